"""Backtest a calibration: fit on the deals up to a cut-off, simulate what came next, compare.

`backtest(deals, cutoff, replications)` calibrates on what was known at the cut-off (deals closed
later count as open), starts the simulation the day after with the people active then and the
deals open then (each at its last recorded stage), and compares, per calendar month, the deals
won, revenue, win rate (won / closed) and mean cycle of won deals: the simulated median and 80%
and 95% intervals against what actually happened. The month table and the simulated run are
written by the CLI; the report draws them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from salessim.crm import calibrate as fit
from salessim.crm.export import Deals, cycle_days, frame_at
from salessim.errors import SalessimError
from salessim.experiment import replications as experiment
from salessim.experiment.replications import RunResult
from salessim.scenario.models import Scenario

# the monthly metrics compared, and how to round them for people (see report.human)
METRICS = {"won": "count", "revenue": "money", "win_rate": "ratio", "cycle_days": "count"}
BANDS = {"p2.5": 0.025, "p10": 0.10, "p50": 0.50, "p90": 0.90, "p97.5": 0.975}


@dataclass
class Backtest:
    table: pd.DataFrame  # month, metric, actual, p2.5 .. p97.5, in80, in95
    run: RunResult
    calibration: fit.Calibration


def known_at(deals: Deals, cutoff: pd.Timestamp) -> Deals:
    """The deals as the CRM showed them at the end of `cutoff`'s day."""
    frame, _, _ = frame_at(deals.frame, cutoff)
    return Deals(
        frame,
        deals.source,
        deals.columns,
        deals.rows_read,
        deals.problems,
        deals.notes,
        deals.currency,
    )


def monthly(frame: pd.DataFrame) -> pd.DataFrame:
    """Per calendar month of closing: deals won, revenue, win rate and mean cycle of won deals."""
    closed = frame[frame["outcome"].isin(["won", "lost"]) & frame["closed"].notna()].copy()
    closed["month"] = closed["closed"].dt.to_period("M")
    closed["is_won"] = closed["outcome"] == "won"
    closed["won_value"] = closed["value"].where(closed["is_won"], 0.0).fillna(0.0)
    closed["won_cycle"] = cycle_days(closed).where(closed["is_won"])
    grouped = closed.groupby("month")
    return pd.DataFrame(
        {
            "won": grouped["is_won"].sum().astype(float),
            "revenue": grouped["won_value"].sum(),
            "win_rate": grouped["is_won"].mean(),
            "cycle_days": grouped["won_cycle"].mean(),
        }
    )


def simulated_deals(leads: pd.DataFrame) -> pd.DataFrame:
    """The simulated lead log in the shape of clean export deals."""
    outcome = leads["outcome"].map(
        lambda o: "won" if o == "won" else ("open" if o == "open" else "lost")
    )
    return pd.DataFrame(
        {
            "replication": leads["replication"],
            "created": leads["created_at"],
            "closed": leads["closed_at"],
            "outcome": outcome,
            "value": leads["value"],
        }
    )


def pipeline_at(deals: Deals, cutoff: pd.Timestamp, cal: fit.Calibration) -> list[dict[str, Any]]:
    """Deals open at the cut-off, each with its age, amount and a stage chosen from what was
    known then: the stage whose remaining win chance is closest to the share of closed deals
    of that age or older that were won. (A stage history read from the export is the final
    one, so using it would leak what happened later.) Deals open longer than 99% of closed
    deals took are taken as dead and left out; the header says how many."""
    known = known_at(deals, cutoff).frame
    closed = known[known["outcome"].isin(["won", "lost"])]
    took = cycle_days(closed)
    is_won = (closed["outcome"] == "won").to_numpy()
    stages = list(cal.data["stages"])
    success = [float(cal.data["stages"][name]["success"]) for name in stages]
    remaining = [float(np.prod(success[k:])) for k in range(len(stages))]
    oldest = float(np.percentile(took, 99)) if len(took) else np.inf
    start = cutoff + pd.Timedelta(days=1)  # the simulation starts at midnight after the cut-off
    out, dead = [], 0
    for _, deal in known[known["outcome"] == "open"].iterrows():
        age = (start - deal["created"]).total_seconds() / 86400
        if age > oldest:
            dead += 1
            continue
        older = took.to_numpy() >= age
        chance = float(is_won[older].mean()) if older.sum() >= 10 else remaining[-1]
        k = int(np.argmin([abs(r - chance) for r in remaining]))
        entry: dict[str, Any] = {"stage": stages[k], "age_days": round(age, 2)}
        if pd.notna(deal["value"]) and deal["value"] > 0:
            entry["value"] = float(deal["value"])  # as exported: CRMs keep the latest amount
        out.append(entry)
    if dead:
        cal.header.append(
            f"{dead} deals open at the cut-off for longer than 99% of closed deals took "
            f"({oldest:.0f} days) are taken as dead: not in the pipeline."
        )
    return out


def backtest(
    deals: Deals,
    cutoff: dt.date,
    replications: int,
    seed: int | None = None,
    workers: int = 1,
    work_hours: float = fit.DEFAULT_WORK_HOURS,
    name: str = "backtest",
) -> Backtest:
    """Calibrate up to `cutoff`, simulate to the end of the data, compare month by month (a
    month cut short by the end of the data is left out: it cannot be compared fairly)."""
    cut = pd.Timestamp(cutoff)
    end = deals.end
    if cut >= end.normalize() or cut < deals.frame["created"].min().normalize():
        raise SalessimError(
            f"--train-until {cutoff} must fall inside the data "
            f"({deals.frame['created'].min().date()} to {end.date()}), with time after it "
            "to compare"
        )
    cal = fit.calibrate(known_at(deals, cut), name, work_hours, until=cut.date())
    horizon = (end.normalize() - cut).days
    cal.data.update(
        horizon_days=float(horizon), warmup_days=0.0, pipeline=pipeline_at(deals, cut, cal)
    )
    cal.note(("warmup_days",), "none: the simulation starts from the deals open at the cut-off")
    cal.note(("pipeline",), "deals open at the cut-off: age, amount, stage from their age")
    scenario = Scenario.model_validate(cal.data)
    run = experiment.run(scenario, replications, seed, workers, leads=True)
    return Backtest(compare(deals, run, cut, end), run, cal)


def compare(deals: Deals, run: RunResult, cut: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    first_day = cut + pd.Timedelta(days=1)
    last_day = end.normalize()
    last_full = last_day.to_period("M") - (0 if last_day.is_month_end else 1)
    months = pd.period_range(first_day.to_period("M"), last_full, freq="M")
    if len(months) == 0:
        raise SalessimError(
            f"no whole month of data after {cut.date()} (the data end on {last_day.date()}): "
            "choose an earlier --train-until"
        )
    actual = monthly(deals.frame[deals.frame["closed"] >= first_day]).reindex(months)
    sims = simulated_deals(run.leads)
    per_rep = {r: monthly(group).reindex(months) for r, group in sims.groupby("replication")}
    rows = []
    for metric in METRICS:
        stack = np.vstack([frame[metric].to_numpy(dtype=float) for frame in per_rep.values()])
        if metric in ("won", "revenue"):
            stack = np.nan_to_num(stack)
        for j, month in enumerate(months):
            column = stack[:, j][np.isfinite(stack[:, j])]
            value = float(actual[metric].get(month, np.nan))
            if metric in ("won", "revenue") and np.isnan(value):
                value = 0.0
            row: dict[str, Any] = {"month": month_label(month, first_day), "metric": metric,
                                   "actual": value}  # fmt: skip
            for name, q in BANDS.items():
                row[name] = float(np.quantile(column, q)) if len(column) else np.nan
            row["in80"] = bool(row["p10"] <= value <= row["p90"]) if np.isfinite(value) else None
            row["in95"] = bool(row["p2.5"] <= value <= row["p97.5"]) if np.isfinite(value) else None
            rows.append(row)
    return pd.DataFrame(rows)


def month_label(month: pd.Period, first_day: pd.Timestamp) -> str:
    """'2025-06', or '2025-06 (from 16th)' for the month the comparison starts in mid-way."""
    if month == first_day.to_period("M") and first_day.day != 1:
        day = first_day.day
        suffix = "th" if 11 <= day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
        return f"{month} (from {day}{suffix})"
    return str(month)


def coverage(table: pd.DataFrame) -> pd.DataFrame:
    """Per metric: months compared and how many fell inside the 80% and 95% intervals."""
    known = table[table["in95"].notna()]
    return known.groupby("metric", sort=False).agg(
        months=("in95", "size"), in80=("in80", "sum"), in95=("in95", "sum")
    )
