"""The planner's answer: capacity arithmetic with mean values, as a spreadsheet would do it.

`forecast(scenario)` follows the funnel as the simulation routes leads: each source's leads
enter at its `entry_stage` (else the first stage); at each stage those who turn up (all but the
`no_show` share) are worked and pass with its mean success; each then takes the first branch
whose conditions hold (its source, a deal worth more than `value_over`) and whose share is
drawn, else `next`. Leads stand for their source's share of the arriving leads and, where a
branch looks at deal values, 20,000 fixed-seed draws of them, so a later stage sees the sources
and values the branches before it let through (`Flow`). The leads that arrive in the measured
window are the mean rate (or what a budget buys) times its days. Each role can handle as many
leads as its hours allow: its people's working hours a week, each on their own shift, x time
share x weeks, divided by the role's mean hours per lead (the work of its stages, weighted by
the share of leads that reach them, with reminders and the trips wasted on no-shows). The funnel
handles as many leads as arrive, or as its tightest role can handle, whichever is fewer. Won
deals are that number times the win probability, and revenue is that number times the mean value
won per lead (each source's own deal values, as the branches sort them); gross profit takes each
deal's value times the margin of the stage that won it. Costs are salaries, marketing (per lead,
and a budget's spend) and overhead for the window. A caught cancellation that reschedules is
booked again (`visits`), and a branch back to an earlier stage is followed round its loop.

The arithmetic leaves out queues, absences, resignations, ramp-up, retries, repeat purchases,
referrals, prospected leads, the opening pipeline, commissions and bonuses, profiles and trends;
a stage worked by several roles is split equally between them. The simulation keeps all of
that, which is why its answer usually needs more people: a team planned at 100% of its hours is
late most of the time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from salessim.engine.calendar import resolve
from salessim.scenario.models import LeadSource, Scenario, Stage

MONTH_DAYS = 365 / 12
VALUE_DRAWS = 20_000
MAX_ROUNDS = 1_000  # rounds of a loop followed (each keeps a share below 1 of the leads)


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
    hours, won, _, _ = funnel(scenario)
    return hours, won


def funnel(scenario: Scenario) -> tuple[dict[str, float], float, float, float]:
    """Per arriving lead: (role -> mean working hours, probability of a win, mean value won,
    mean gross profit won: each deal's value times the margin of the stage that won it)."""
    hours = dict.fromkeys(scenario.roles, 0.0)
    if not any(st.kind == "work" for st in scenario.stages.values()):
        return hours, 0.0, 0.0, 0.0
    flow = Flow(scenario)
    won, value, gross = 0.0, 0.0, 0.0
    order = funnel_order(scenario, list(flow.reach))
    for _ in range(MAX_ROUNDS):  # once through, and again for leads a branch sent back
        for name in order:
            stage, arriving = scenario.stages[name], flow.reach.pop(name, None)
            if arriving is None or stage.kind != "work":
                continue
            share = flow.share(arriving)
            for role in stage.roles:
                hours[role] += share * stage_hours(stage) / len(stage.roles)
            for target, part in flow.split(stage, arriving):
                if target == "won":
                    margin = stage.gross_margin
                    won_value = flow.value(part)
                    won += flow.share(part)
                    value += won_value
                    gross += won_value * (scenario.gross_margin if margin is None else margin)
                else:
                    flow.add(target, part)
        if sum(flow.share(part) for part in flow.reach.values()) < 1e-12:
            break
    return hours, won, value, gross


def visits(stage: Stage) -> float:
    """Visits per lead reaching a stage: with a reminder, a caught cancellation that
    reschedules is booked again (and may cancel again)."""
    if stage.reminder is None:
        return 1.0
    return 1.0 / (1.0 - stage.no_show * stage.reminder.catches * stage.reminder.reschedules)


def stage_hours(stage: Stage) -> float:
    """Mean working hours a stage takes per lead that reaches it, over its `visits`: the work of
    those who turn up, the reminder every booking gets and the wasted trip of a no-show the
    reminder did not catch."""
    shown = 1.0 - stage.no_show
    hours = shown * stage.work_hours.mean
    if stage.reminder is not None:
        hours += stage.reminder.hours
    if stage.no_show_hours is not None:
        caught = stage.reminder.catches if stage.reminder is not None else 0.0
        hours += stage.no_show * (1.0 - caught) * stage.no_show_hours.mean
    return hours * visits(stage)


def funnel_order(scenario: Scenario, entries: list[str]) -> list[str]:
    """The stages reachable from the `entries` (by `next` and branches), each after every stage
    that leads to it. A branch back to an earlier stage (a wrong contact sent back to qualify)
    makes a loop; its stages come in the order they are first met."""
    stages = scenario.stages
    done: set[str] = set()
    order: list[str] = []
    stack = [(name, False) for name in reversed(entries)]
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
        stack.extend((t, False) for t in stage.exits)
    return order[::-1]


class Flow:
    """The leads on their way through the funnel, as the branches see them. Each source stands
    for its share of the arriving leads (what it brings a day, or what its budget buys) and,
    when a branch looks at deal values, for 20,000 fixed-seed draws of them; `reach` holds, for
    each stage not yet worked through, the chance that each of those leads gets there. So a
    later stage sees the sources and values that the branches before it let through."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        rates = [src.level_per_day for src in scenario.leads]
        total = sum(rates)
        self.weights = [r / total if total > 0 else 1 / len(rates) for r in rates]
        by_value = any(b.value_over is not None for st in scenario.stages.values()
                       for b in st.branches)  # fmt: skip
        self.values = [self._values(src, VALUE_DRAWS if by_value else 0) for src in scenario.leads]
        first = next(iter(scenario.stages))
        self.reach: dict[str, list[np.ndarray]] = {}
        for k, src in enumerate(scenario.leads):
            part = [np.zeros_like(v) for v in self.values]
            part[k] = np.ones_like(self.values[k])
            self.add(src.entry_stage or first, part)

    def _values(self, src: LeadSource, draws: int) -> np.ndarray:
        """`draws` fixed-seed draws of the source's deal values, or (0) its mean alone."""
        dist = src.deal_value or self.scenario.deal_value
        if not draws:
            return np.array([dist.mean], dtype=float)
        return np.asarray(dist.sample(np.random.default_rng(0), draws), dtype=float)

    def add(self, stage: str, part: list[np.ndarray]) -> None:
        """More leads reaching `stage` (a chance per lead of each source)."""
        if stage in self.reach:
            self.reach[stage] = [a + b for a, b in zip(self.reach[stage], part, strict=True)]
        else:
            self.reach[stage] = part

    def share(self, part: list[np.ndarray]) -> float:
        """The share of all arriving leads that `part` stands for."""
        return sum(w * float(np.mean(p)) for w, p in zip(self.weights, part, strict=True))

    def value(self, part: list[np.ndarray]) -> float:
        """The mean deal value `part` stands for, per arriving lead."""
        return sum(w * float(np.mean(p * v))
                   for w, p, v in zip(self.weights, part, self.values, strict=True))  # fmt: skip

    def split(self, stage: Stage, arriving: list[np.ndarray]) -> list[tuple[str, list[np.ndarray]]]:
        """Where the leads reaching `stage` go: of those who turn up and succeed, each takes the
        first branch whose conditions hold and whose share is drawn, the rest go on to `next`."""
        success = stage.success if stage.success is not None else 1.0
        passed = visits(stage) * (1.0 - stage.no_show) * success
        left = [p * passed for p in arriving]
        ways: list[tuple[str, list[np.ndarray]]] = []
        for branch in stage.branches:
            took = []
            for k, (src, lead_left) in enumerate(zip(self.scenario.leads, left, strict=True)):
                part = lead_left * branch.share
                if branch.source is not None and branch.source != src.source:
                    part = np.zeros_like(lead_left)
                elif branch.value_over is not None:
                    part = part * (self.values[k] > branch.value_over)
                took.append(part)
            left = [a - b for a, b in zip(left, took, strict=True)]
            ways.append((branch.stage, took))
        return [*ways, (stage.next, left)]


def team_week_hours(scenario: Scenario, role: str) -> float:
    """Working hours a week of a role's people, each on their own shift (the scenario's
    calendar, changed by the role's and by the person's), times the role's time share."""
    spec = scenario.roles[role]
    shared = resolve(scenario.calendar, spec.calendar)
    total = 0.0
    for seat in range(spec.headcount):
        own = spec.people[seat].calendar if seat < len(spec.people) else None
        cal = resolve(shared, own)
        total += len(cal.workdays) * (cal.hours[1] - cal.hours[0])
    return total * spec.time_share


def forecast(scenario: Scenario) -> Forecast:
    """Deals, revenue, cost and profit of the measured window by capacity arithmetic."""
    days = scenario.horizon_days - scenario.warmup_days
    leads = sum(src.level_per_day for src in scenario.leads) * days
    per_lead, p_win, value_per_lead, gross_per_lead = funnel(scenario)
    handled, bottleneck = leads, ""
    for role, hours in per_lead.items():
        if hours <= 0:
            continue
        can = team_week_hours(scenario, role) * days / 7 / hours
        if can < handled:
            handled, bottleneck = can, role
    won = handled * p_win
    revenue = handled * value_per_lead
    months = days / MONTH_DAYS
    salaries = sum(r.salary_month * r.headcount for r in scenario.roles.values()) * months
    marketing = days * sum(src.level_per_day * src.cost_per_lead
                           + (src.budget.spend_per_day if src.budget else 0.0)
                           for src in scenario.leads)  # fmt: skip
    cost = salaries + marketing + scenario.overhead_month * months
    return Forecast(leads, handled, bottleneck, won, revenue, cost,
                    handled * gross_per_lead - cost)  # fmt: skip
