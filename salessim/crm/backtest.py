"""Backtest a calibration: fit on the deals up to a cut-off, simulate what came next, compare.

`backtest(deals, cutoff, replications)` calibrates on what was known at the cut-off (deals closed
later count as open), starts the simulation the day after with the people active then and the
deals open then (each ending as the survival curves fitted on the training deals say for its
age), and compares, per calendar month, the deals
won, revenue, win rate (won / closed) and mean cycle of won deals: the simulated median and 80%
and 95% intervals against what actually happened. The month table and the simulated run are
written by the CLI; the report draws them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from salessim.crm import calibrate as fit
from salessim.crm import survival
from salessim.crm.export import Deals, cycle_days, frame_at
from salessim.errors import SalessimError
from salessim.experiment import replications as experiment
from salessim.experiment.replications import RunResult
from salessim.scenario.models import Scenario

# the monthly metrics compared, and how to round them for people (see report.human)
METRICS = {"won": "count", "revenue": "money", "win_rate": "ratio", "cycle_days": "count"}
BANDS = {"p2.5": 0.025, "p10": 0.10, "p50": 0.50, "p90": 0.90, "p97.5": 0.975}
# forecasts without a simulation, to compare the simulated median with (see naive_forecasts)
DEFAULT_FITS = 10  # calibrations the replications are spread over (1: no parameter uncertainty)
NAIVE = {"naive_last3": "mean of the last 3 months", "naive_year": "same month last year"}


@dataclass
class Backtest:
    table: pd.DataFrame  # month, metric, actual, p2.5 .. p97.5, naive_*, in80, in95
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
    """Deals open at the cut-off, each with its age and its product's lead source; how each
    ends is drawn from the survival curves fitted on what was known then
    (`survival.fit`), so an old open deal is mostly a stale one. Nothing recorded later is
    used: not the stage (a stage history in an export is the final one), nor the amount (a CRM
    keeps the latest, often the one the deal closed at), which is drawn from the source's deal
    values."""
    known = known_at(deals, cutoff).frame
    start = cutoff + pd.Timedelta(days=1)  # the simulation starts at midnight after the cut-off
    stages = list(cal.data["stages"])
    dated = [s for s in stages if f"entered.{s}" in known]  # stages with entry dates
    out = []
    for _, deal in known[known["outcome"] == "open"].iterrows():
        entry: dict[str, Any] = {
            "stage": stages[0],
            "age_days": round((start - deal["created"]).total_seconds() / 86400, 2),
        }
        entries = {s: deal[f"entered.{s}"] for s in dated if pd.notna(deal[f"entered.{s}"])}
        if entries:  # the stage it was in at the cut-off: the last one entered by then
            stage, since = max(entries.items(), key=lambda item: item[1])
            in_stage = round((start - since).total_seconds() / 86400, 2)
            entry.update(stage=stage, in_stage_days=min(in_stage, entry["age_days"]))
        source = cal.source_of_product.get(deal["product"])
        if source is not None and len(cal.data["leads"]) > 1:
            entry["source"] = source
        out.append(entry)
    return out


def backtest(
    deals: Deals,
    cutoff: dt.date,
    replications: int,
    seed: int | None = None,
    workers: int = 1,
    work_hours: float = fit.DEFAULT_WORK_HOURS,
    name: str = "backtest",
    fits: int = DEFAULT_FITS,
) -> Backtest:
    """Calibrate up to `cutoff`, simulate to the end of the data, compare month by month (a
    month cut short by the end of the data is left out: it cannot be compared fairly).

    The intervals carry the uncertainty of the fitted parameters as well as the simulation's
    own: the replications are spread over `fits` calibrations, the first on the training deals
    themselves, the others on bootstrap resamples of them (`resample_months`). `calibration`
    and `run` are the first fit's."""
    cut = pd.Timestamp(cutoff)
    end = deals.end
    if cut >= end.normalize() or cut < deals.frame["created"].min().normalize():
        raise SalessimError(
            f"--train-until {cutoff} must fall inside the data "
            f"({deals.frame['created'].min().date()} to {end.date()}), with time after it "
            "to compare"
        )
    known = known_at(deals, cut)
    fits = max(1, min(fits, replications))
    seeds = np.random.SeedSequence(seed).spawn(fits + 1)
    draw = np.random.default_rng(seeds[0])
    runs = []
    first: fit.Calibration | None = None
    for b in range(fits):
        sample = known if b == 0 else replace(known, frame=resample_months(known.frame, draw))
        cal = _fitted(sample, deals, cut, (end.normalize() - cut).days, work_hours, name)
        if b == 0:
            first = cal
            if fits > 1:
                cal.header.append(f"Backtest intervals: {fits} fits, this one and {fits - 1} on "
                                  "bootstrap resamples of the training months.")  # fmt: skip
        n = replications // fits + (1 if b < replications % fits else 0)
        scenario = Scenario.model_validate(cal.data)
        rep_seed = int(seeds[b + 1].generate_state(1)[0])
        runs.append(experiment.run(scenario, n, rep_seed, workers, leads=True))
    assert first is not None
    leads = pd.concat(
        [r.leads.assign(replication=r.leads["replication"] + 10_000_000 * b)
         for b, r in enumerate(runs)], ignore_index=True,
    )  # fmt: skip
    return Backtest(compare(deals, leads, cut, end), runs[0], first)


def _fitted(sample: Deals, deals: Deals, cut: pd.Timestamp, horizon_days: int,
            work_hours: float, name: str) -> fit.Calibration:  # fmt: skip
    """A calibration on `sample`, started the day after the cut-off from the deals open then."""
    cal = fit.calibrate(sample, name, work_hours, until=cut.date())
    curves, how = survival.fit(sample.frame, cut, list(cal.data["stages"]))
    cal.data.update(
        horizon_days=float(horizon_days),
        warmup_days=0.0,
        pipeline=pipeline_at(deals, cut, cal),
        pipeline_survival=curves,
    )
    cal.note(("warmup_days",), "none: the simulation starts from the deals open at the cut-off")
    cal.note(
        ("pipeline",),
        "deals open at the cut-off: their age and product (and, with stage "
        "entry dates, their stage then and time in it)",
    )
    cal.note(("pipeline_survival",), how)
    return cal


def resample_months(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """A bootstrap resample of the training deals in blocks of a calendar month of creation:
    as many months as the data span, drawn with replacement, each with all its deals (a block
    bootstrap, Kunsch 1989, with one-month blocks), so that the month-to-month changes of the
    level, not only the count of deals, show as uncertainty of the fitted rates. Open deals
    come with their month, so the survival curves are refitted too."""
    month = frame["created"].dt.to_period("M")
    months = month.unique()
    picks = rng.choice(len(months), size=len(months), replace=True)
    return pd.concat([frame[month == months[i]] for i in picks], ignore_index=True)


def compare(deals: Deals, leads: pd.DataFrame, cut: pd.Timestamp,
            end: pd.Timestamp) -> pd.DataFrame:  # fmt: skip
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
    naive = naive_forecasts(known_at(deals, cut).frame, cut, months)
    sims = simulated_deals(leads)
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
            for name in NAIVE:
                row[name] = float(naive[name][metric].iloc[j])
            row["in80"] = bool(row["p10"] <= value <= row["p90"]) if np.isfinite(value) else None
            row["in95"] = bool(row["p2.5"] <= value <= row["p97.5"]) if np.isfinite(value) else None
            rows.append(row)
    return pd.DataFrame(rows)


def naive_forecasts(known: pd.DataFrame, cut: pd.Timestamp,
                    months: pd.PeriodIndex) -> dict[str, pd.DataFrame]:  # fmt: skip
    """The answers without a simulation, per month compared: the mean of the last 3 whole
    months before the cut-off, and the same month a year earlier (where the data have it
    whole: from the first whole month after both the first deal created and the first
    closed). Counts and money of the month the comparison starts in mid-way are scaled to
    the days compared."""
    past = monthly(known)
    first = max(known["created"].min(), known["closed"].min()).normalize()
    first_whole = first.to_period("M") + (0 if first.day == 1 else 1)
    end = cut.normalize() + pd.Timedelta(days=1)
    last_whole = (end - pd.Timedelta(days=1)).to_period("M") - (0 if end.day == 1 else 1)
    whole = past.reindex(pd.period_range(first_whole, last_whole, freq="M"))
    for metric in ("won", "revenue"):
        whole[metric] = whole[metric].fillna(0.0)
    last3 = whole.tail(3).mean() if len(whole) >= 3 else whole.mean() * np.nan
    year = whole.reindex(months - 12)
    year.index = months
    out = {"naive_last3": pd.DataFrame([last3] * len(months), index=months), "naive_year": year}
    start = end.to_period("M")
    first_share = (start.days_in_month - end.day + 1) / start.days_in_month
    share = pd.Series([first_share if m == start else 1.0 for m in months], index=months)
    for frame in out.values():
        for metric in ("won", "revenue"):
            frame[metric] = frame[metric] * share
    return out


def forecast_errors(table: pd.DataFrame) -> pd.DataFrame:
    """Per metric and naive forecast: the mean absolute error of the simulated median and of
    the naive forecast over the months where both exist, and whether the simulation did
    better: is it worth more than the answer without one?"""
    rows = []
    for metric, group in table[table["actual"].notna()].groupby("metric", sort=False):
        for name, label in NAIVE.items():
            both = group["p50"].notna() & group[name].notna()
            sim = (
                float((group["p50"] - group["actual"])[both].abs().mean()) if both.any() else np.nan
            )
            other = (
                float((group[name] - group["actual"])[both].abs().mean()) if both.any() else np.nan
            )
            better = bool(sim < other) if both.any() else None
            rows.append({"metric": metric, "naive": label, "months": int(both.sum()),
                         "simulation_error": sim, "naive_error": other,
                         "simulation_better": better})  # fmt: skip
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
