"""Per-replication metrics: turn the engine's counters into one flat record of numbers.

A record is a `dict[str, float]` with stable, dotted names (`stage.meeting.conversion`,
`role.designer.utilisation`); it is the unit that crosses processes, is aggregated over
replications and becomes one Parquet row. Definitions are in docs/metrics.md. Lead counts are by
cohort: a lead counts if it arrived after the warm-up, and its outcome is followed to the horizon.
"""

from __future__ import annotations

import math

import numpy as np

from salessim.engine import Tally

Record = dict[str, float]

GLOSSARY: dict[str, str] = {
    "leads_arrived": "Leads that arrived after the warm-up (the cohort all lead counts refer to).",
    "leads_contacted": "Cohort leads that a person started working on at least once.",
    "won": "Cohort leads that became customers by the horizon.",
    "lost_rejected": "Cohort leads lost because a stage failed (after any follow-ups).",
    "lost_cold": "Cohort leads that waited longer than their patience before first contact.",
    "lost_no_show": "Cohort leads that did not turn up to a booked stage (e.g. a meeting).",
    "open_at_end": "Cohort leads still in the funnel at the horizon.",
    "lead_to_won": "won / leads_arrived.",
    "revenue": "Sum of deal values of cohort leads won, in the scenario currency.",
    "cycle_hours_mean": "Mean hours from arrival to won, over won leads.",
    "cycle_hours_p90": "90th percentile of hours from arrival to won.",
    "wait_first_contact_hours_mean": "Mean hours from arrival to the first work on the lead.",
    "open_leads_mean": "Time-average number of leads in the funnel during the measured window.",
    "time_in_system_hours_mean": "Mean hours from arrival to won or lost, over ended leads.",
    "stage.<s>.entered": "Cohort leads that entered stage s (retries not counted again).",
    "stage.<s>.worked": "Attempts completed at stage s (including follow-up retries).",
    "stage.<s>.succeeded": "Attempts at stage s that succeeded.",
    "stage.<s>.conversion": "stage.<s>.succeeded / stage.<s>.entered: share of leads passing s.",
    "stage.<s>.no_show": "Cohort leads lost at stage s because they did not turn up.",
    "role.<r>.utilisation": "Hours worked / working hours available, over the role's people.",
    "role.<r>.headcount": "People in the role.",
}


def _ratio(a: float, b: float) -> float:
    return a / b if b else math.nan


def record(tally: Tally) -> Record:
    """The flat per-replication record of a finished simulation."""
    rec: Record = {
        "leads_arrived": tally.arrived,
        "leads_contacted": tally.contacted,
        "won": tally.won,
        "lost_rejected": tally.lost["rejected"],
        "lost_cold": tally.lost["cold"],
        "lost_no_show": tally.lost["no_show"],
        "open_at_end": tally.open_at_end,
        "lead_to_won": _ratio(tally.won, tally.arrived),
        "revenue": tally.revenue,
        "cycle_hours_mean": float(np.mean(tally.cycle_hours)) if tally.cycle_hours else math.nan,
        "cycle_hours_p90": (
            float(np.percentile(tally.cycle_hours, 90)) if tally.cycle_hours else math.nan
        ),
        "wait_first_contact_hours_mean": _ratio(tally.wait_hours, tally.contacted),
        "open_leads_mean": _ratio(tally.lead_hours, tally.window_hours),
        "time_in_system_hours_mean": _ratio(tally.system_hours, tally.ended),
    }
    for st in tally.stages:
        prefix = f"stage.{st.name}."
        rec[prefix + "entered"] = st.entered
        rec[prefix + "worked"] = st.worked
        rec[prefix + "succeeded"] = st.succeeded
        rec[prefix + "conversion"] = _ratio(st.succeeded, st.entered)
        rec[prefix + "no_show"] = st.no_shows
    busy: dict[str, float] = {}
    available: dict[str, float] = {}
    heads: dict[str, int] = {}
    for p in tally.people:
        busy[p.role] = busy.get(p.role, 0.0) + p.busy_hours
        available[p.role] = available.get(p.role, 0.0) + p.available_hours
        heads[p.role] = heads.get(p.role, 0) + 1
    for role in tally.roles:
        rec[f"role.{role}.headcount"] = heads.get(role, 0)
        rec[f"role.{role}.utilisation"] = _ratio(busy.get(role, 0.0), available.get(role, 0.0))
    return {k: float(v) for k, v in rec.items()}
