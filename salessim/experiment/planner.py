"""The planner's answer: capacity arithmetic with mean values, as a spreadsheet would do it.

`forecast(scenario)` follows the funnel from the first stage with each stage's mean success. The
leads that arrive in the measured window are the mean rate times its days. Each role can handle
as many leads as its hours allow: people x working hours a week x time share x weeks, divided by
the role's mean hours per lead (the work of its stages, weighted by the share of leads that
reach them). The funnel handles as many leads as arrive, or as its tightest role can handle,
whichever is fewer. Won deals are that number times the win probability, and revenue is won
deals times the mean deal value. Costs are salaries, marketing per lead and overhead for the
window.

The arithmetic leaves out queues, absences, resignations, ramp-up, retries, repeat purchases,
profiles and trends. The simulation keeps them, which is why its answer usually needs more
people: a team planned at 100% of its hours is late most of the time.
"""

from __future__ import annotations

from dataclasses import dataclass

from salessim.scenario.models import Scenario

MONTH_DAYS = 365 / 12


@dataclass(frozen=True)
class Forecast:
    leads: float  # arriving in the window
    handled: float  # leads the tightest role can handle in the window (or all of them)
    bottleneck: str  # the tightest role ('' if every role could handle every lead)
    won: float
    revenue: float
    cost_total: float
    profit: float

    def metric(self, name: str) -> float | None:
        return {"won": self.won, "revenue": self.revenue, "cost_total": self.cost_total,
                "profit": self.profit}.get(name)  # fmt: skip


def hours_per_lead(scenario: Scenario) -> tuple[dict[str, float], float]:
    """(role -> mean working hours per arriving lead, probability that a lead is won)."""
    names = [n for n, st in scenario.stages.items() if st.kind == "work"]
    if not names:
        return {}, 0.0
    reach, name, hours = 1.0, names[0], dict.fromkeys(scenario.roles, 0.0)
    seen: set[str] = set()
    while name != "won" and name in scenario.stages and name not in seen:
        seen.add(name)
        stage = scenario.stages[name]
        roles = [stage.by] if isinstance(stage.by, str) else list(stage.by)
        for role in roles:
            hours[role] += reach * stage.work_hours.mean / len(roles)
        reach *= stage.success if stage.success is not None else 1.0
        name = stage.next
    return hours, reach if name == "won" else 0.0


def forecast(scenario: Scenario) -> Forecast:
    """Deals, revenue, cost and profit of the measured window by capacity arithmetic."""
    days = scenario.horizon_days - scenario.warmup_days
    leads = sum(src.per_day for src in scenario.leads) * days
    per_lead, p_win = hours_per_lead(scenario)
    handled, bottleneck = leads, ""
    for role, hours in per_lead.items():
        if hours <= 0:
            continue
        spec = scenario.roles[role]
        cal = scenario.calendar
        workdays = spec.calendar.workdays if spec.calendar and spec.calendar.workdays else None
        span = spec.calendar.hours if spec.calendar and spec.calendar.hours else cal.hours
        week_hours = len(workdays or cal.workdays) * (span[1] - span[0]) * spec.time_share
        can = spec.headcount * week_hours * days / 7 / hours
        if can < handled:
            handled, bottleneck = can, role
    won = handled * p_win
    revenue = won * scenario.deal_value.mean
    months = days / MONTH_DAYS
    salaries = sum(r.salary_month * r.headcount for r in scenario.roles.values()) * months
    marketing = sum(src.per_day * src.cost_per_lead for src in scenario.leads) * days
    cost = salaries + marketing + scenario.overhead_month * months
    return Forecast(leads, handled, bottleneck, won, revenue, cost,
                    revenue * scenario.gross_margin - cost)  # fmt: skip
