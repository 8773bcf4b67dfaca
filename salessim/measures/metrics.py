"""Per-replication metrics: turn a finished `Tally` into one flat record of numbers.

A record is a `dict[str, float]` with stable, dotted names (`stage.meeting.conversion`,
`role.designer.utilisation`); it is the unit that crosses processes, is aggregated over
replications and becomes one Parquet row. `people_rows` gives the per-person table. Definitions
are in docs/metrics.md. Money and deals count what is booked inside the measured window, whenever
the lead arrived; lead counts, conversion and cycle times are by cohort (a lead counts if it
arrived after the warm-up, and its outcome is followed to the horizon), with `_cohort` names
for the cohort's deals and revenue.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from salessim.engine.tally import Tally, person_row
from salessim.measures import kpis

Record = dict[str, float]


def _ratio(a: float, b: float) -> float:
    return a / b if b else math.nan


def _spread(values: list[float], kind: str) -> float:
    """Of a weekly count: `cv` = sd / mean; `dispersion` = variance / mean (1 for Poisson)."""
    if len(values) < 2:
        return math.nan
    arr = np.asarray(values)
    mean = float(arr.mean())
    if mean <= 0:
        return math.nan
    return float(arr.std(ddof=1)) / mean if kind == "cv" else float(arr.var(ddof=1)) / mean


def _leads(t: Tally) -> Record:
    cycles = t.cycle_hours
    return {
        "leads_arrived": t.arrived,
        "leads_contacted": t.contacted,
        "won": t.won,
        "won_cohort": t.won_cohort,
        "lost_rejected": t.lost["rejected"],
        "lost_cold": t.lost["cold"],
        "lost_waiting": t.lost["left"],
        "lost_with_leaver": t.lost["followed"],
        "lost_no_show": t.lost["no_show"],
        "open_at_end": t.open_at_end,
        "lead_to_won": _ratio(t.won_cohort, t.arrived),
        "cycle_hours_mean": float(np.mean(cycles)) if cycles else math.nan,
        "cycle_hours_p90": float(np.percentile(cycles, 90)) if cycles else math.nan,
        "wait_first_contact_hours_mean": _ratio(t.wait_hours, t.inbound_contacted),
        "open_leads_mean": _ratio(t.lead_hours, t.window_hours),
        "time_in_system_hours_mean": _ratio(t.system_hours, t.ended_count),
    }


def _money_and_customers(t: Tally) -> Record:
    weeks = t.measured_weeks()
    return {
        "revenue": t.revenue_new + t.revenue_repeat,
        "revenue_new": t.revenue_new,
        "revenue_new_cohort": t.revenue_cohort,
        "revenue_repeat": t.revenue_repeat,
        "repeat_purchases": t.repeat_purchases,
        "repeat_lost": t.repeat_lost,
        "customers_active_end": t.customers["active"],
        "customers_churned": t.customers["churned"],
        "customers_lost_with_owner": t.customers_lost_with_owner,
        "leads_weekly_cv": _spread(t.weekly_leads[weeks], "cv"),
        "leads_weekly_dispersion": _spread(t.weekly_leads[weeks], "dispersion"),
        "outbound_weekly_cv": _spread(t.weekly_outbound[weeks], "cv"),
        "deals_weekly_cv": _spread(t.weekly_deals[weeks], "cv"),
    }


def _sources(t: Tally) -> Record:
    return {
        f"source.{name}.leads": n for name, n in zip(t.sources, t.arrived_by_source, strict=True)
    }


def _stages(t: Tally) -> Record:
    rec: Record = {}
    for st in t.stages:
        if st.prospecting:
            continue
        prefix = f"stage.{st.name}."
        rec[prefix + "entered"] = st.entered
        rec[prefix + "worked"] = st.worked
        rec[prefix + "succeeded"] = st.succeeded
        rec[prefix + "conversion"] = _ratio(st.succeeded, st.entered)
        rec[prefix + "no_show"] = st.no_shows
        if st.patience is not None:  # only where clients can leave while they wait
            rec[prefix + "lost_waiting"] = st.lost_waiting
        rec[prefix + "queue_mean"] = _ratio(st.wait_hours, t.window_hours)
        rec.update(_durations(prefix + "wait_hours", st.waits_hours))
        rec.update(_durations(prefix + "time_hours", st.times_hours))
    return rec


def _durations(name: str, values: Sequence[float]) -> Record:
    """Mean, median and 90th percentile of `values` (nan when there are none)."""
    if not len(values):
        return {f"{name}_{k}": math.nan for k in ("mean", "p50", "p90")}
    arr = np.asarray(values, dtype=np.float64)
    p50, p90 = np.percentile(arr, [50, 90])
    return {f"{name}_mean": float(np.mean(arr)), f"{name}_p50": float(p50),
            f"{name}_p90": float(p90)}  # fmt: skip


def _roles(t: Tally) -> Record:
    rec: Record = {}
    for role in t.roles:
        people = [p for p in t.people if p.role == role]
        busy = sum(p.busy_hours for p in people)
        available = sum(p.available_hours for p in people)
        rec[f"role.{role}.headcount"] = sum(1 for p in people if p.generation == 0)
        rec[f"role.{role}.utilisation"] = _ratio(busy, available)
        rec[f"role.{role}.days_absent"] = sum(person_row(p, t)["days_absent"] for p in people)
    rec.update({f"staff.{k}": v for k, v in t.staffing.items()})
    return rec


def _kpis(t: Tally) -> Record:
    cost = kpis.costs(t)
    return {**cost, **kpis.money(t, cost), **kpis.dependency(t), **kpis.warmup_check(t)}


def record(tally: Tally) -> Record:
    """The flat per-replication record of a finished simulation."""
    rec: Record = {}
    for part in (_leads, _money_and_customers, _kpis, _sources, _stages, _roles):
        rec.update(part(tally))
    return {k: float(v) for k, v in rec.items()}


def people_rows(tally: Tally) -> list[dict[str, Any]]:
    """One row per person who held a seat during the replication."""
    return [person_row(p, tally) for p in tally.people]


def timeseries_rows(t: Tally) -> list[dict[str, Any]]:
    """Per week and per month of the measured window: leads, deals, revenue, costs, profit,
    conversion per stage, utilisation per role and speed to lead (see `kpis.period_kpis`).

    Leads count leads by arrival day, deals the deals booked each day (whenever their lead
    arrived), revenue all revenue (first deals and repeat purchases) by day. The weeks of the
    warm-up follow as `warmup_week` rows with only those three, to show the fill-up.
    """
    rows: list[dict[str, Any]] = []
    first_day, last_day = t.warmup / 24, t.horizon / 24
    for kind, length in (("week", 7.0), ("month", 365 / 12)):
        index = math.ceil(first_day / length)
        while (index + 1) * length <= last_day + 1e-9:
            a, b = index * length, (index + 1) * length
            rows.append(
                {
                    "period": kind,
                    "index": index,
                    "start_day": a,
                    "leads": kpis.sum_days(t.daily_leads, a, b),
                    "deals": kpis.sum_days(t.daily_deals, a, b),
                    "revenue": kpis.sum_days(t.daily_revenue, a, b),
                    **kpis.period_kpis(t, a, b, monthly=kind == "month"),
                }
            )
            index += 1
    for index in range(math.ceil(first_day / 7.0 - 1e-9)):
        a, b = index * 7.0, min((index + 1) * 7.0, last_day)
        rows.append({"period": "warmup_week", "index": index, "start_day": a,
                     "leads": kpis.sum_days(t.daily_leads, a, b),
                     "deals": kpis.sum_days(t.daily_deals, a, b),
                     "revenue": kpis.sum_days(t.daily_revenue, a, b)})  # fmt: skip
    return rows
