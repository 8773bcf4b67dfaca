"""The planner's answer: capacity arithmetic with mean values, as a spreadsheet would do it.

`forecast(scenario)` follows the funnel from the first stage with each stage's mean success, and
splits the leads at a stage's `branches` as the simulation does: each lead takes the first
branch whose conditions hold (its source, a deal worth more than `value_over`) and whose share
is drawn. The split is taken over the arriving mix of leads (each source's share of them and
20,000 fixed-seed draws of its deal values), also at later stages. The leads that arrive in the
measured window are the mean rate (or what a budget buys) times its days. Each role can handle
as many leads as its hours allow: people x working hours a week x time share x weeks, divided by
the role's mean hours per lead (the work of its stages, weighted by the share of leads that
reach them). The funnel handles as many leads as arrive, or as its tightest role can handle,
whichever is fewer. Won deals are that number times the win probability, and revenue is won
deals times the mean deal value. Costs are salaries, marketing (per lead, and a budget's spend)
and overhead for the window.

The arithmetic leaves out queues, absences, resignations, ramp-up, retries, repeat purchases,
profiles and trends. The simulation keeps them, which is why its answer usually needs more
people: a team planned at 100% of its hours is late most of the time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from salessim.scenario.models import Branch, Scenario

MONTH_DAYS = 365 / 12
VALUE_DRAWS = 20_000


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
    mix = LeadMix(scenario)
    reach, hours, won = {names[0]: 1.0}, dict.fromkeys(scenario.roles, 0.0), 0.0
    for name in funnel_order(scenario, names[0]):
        stage, share = scenario.stages[name], reach.get(name, 0.0)
        roles = [stage.by] if isinstance(stage.by, str) else list(stage.by)
        for role in roles:
            hours[role] += share * stage.work_hours.mean / len(roles)
        passed = share * (stage.success if stage.success is not None else 1.0)
        parts = mix.branch_parts(stage.branches)
        ways = [(b.stage, part) for b, part in zip(stage.branches, parts, strict=True)]
        for target, part in [*ways, (stage.next, 1.0 - sum(parts))]:
            if target == "won":
                won += passed * part
            else:
                reach[target] = reach.get(target, 0.0) + passed * part
    return hours, won


def funnel_order(scenario: Scenario, first: str) -> list[str]:
    """The stages reachable from `first` (by `next` and branches), each after every stage that
    leads to it (the funnel has no loops: validation refuses them)."""
    stages = scenario.stages
    done: set[str] = set()
    order: list[str] = []
    stack = [(first, False)]
    while stack:
        name, children_done = stack.pop()
        if children_done:
            order.append(name)
            continue
        if name in done or name not in stages:
            continue
        done.add(name)
        stack.append((name, True))
        stage = stages[name]
        stack.extend((t, False) for t in (stage.next, *(b.stage for b in stage.branches)))
    return order[::-1]


class LeadMix:
    """The arriving leads as the branches see them: each source's share of the leads, and (drawn
    when a branch asks) 20,000 of its deal values, with a fixed seed."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        rates = [src.level_per_day for src in scenario.leads]
        total = sum(rates)
        self.weights = [r / total if total > 0 else 1 / len(rates) for r in rates]
        self.values: dict[int, np.ndarray] = {}

    def branch_parts(self, branches: list[Branch]) -> list[float]:
        """Of the leads passing a stage, the share that takes each branch: the first whose
        conditions hold and whose share is drawn (the rest go on to `next`)."""
        parts = [0.0] * len(branches)
        for k, (src, weight) in enumerate(zip(self.scenario.leads, self.weights, strict=True)):
            left: float | np.ndarray = 1.0  # chance a lead has taken no branch yet
            for i, branch in enumerate(branches):
                if branch.source is not None and branch.source != src.source:
                    continue
                admits = 1.0 if branch.value_over is None else self._values(k) > branch.value_over
                took = left * admits * branch.share
                parts[i] += weight * float(np.mean(took))
                left = left - took
        return parts

    def _values(self, k: int) -> np.ndarray:
        if k not in self.values:
            src = self.scenario.leads[k]
            dist = src.deal_value or self.scenario.deal_value
            self.values[k] = dist.sample(np.random.default_rng(0), VALUE_DRAWS)
        return self.values[k]


def forecast(scenario: Scenario) -> Forecast:
    """Deals, revenue, cost and profit of the measured window by capacity arithmetic."""
    days = scenario.horizon_days - scenario.warmup_days
    leads = sum(src.level_per_day for src in scenario.leads) * days
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
    marketing = days * sum(src.level_per_day * src.cost_per_lead
                           + (src.budget.spend_per_day if src.budget else 0.0)
                           for src in scenario.leads)  # fmt: skip
    cost = salaries + marketing + scenario.overhead_month * months
    return Forecast(leads, handled, bottleneck, won, revenue, cost,
                    revenue * scenario.gross_margin - cost)  # fmt: skip
