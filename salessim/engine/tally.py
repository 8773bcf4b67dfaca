"""Counters of one replication, updated as the simulation runs (no event lists are kept).

The engine calls `arrival`, `contact`, `ended` and `still_open` for every lead and
`repeat_purchase` for repeat revenue; `finish` copies what people, stages and customers hold.
`metrics` turns a finished `Tally` into the flat per-replication record and per-person rows.
Weekly series (new leads, deals, revenue) have one slot per week of the horizon.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from salessim.scenario.models import LeadSource, Scenario

if TYPE_CHECKING:
    from salessim.engine.calendar import WorkCalendar
    from salessim.engine.customers import CustomerBook
    from salessim.engine.people import Staffing
    from salessim.engine.records import Lead, PersonRt, StageRt

WEEK = 168.0


class Tally:
    """What one replication counted."""

    def __init__(self, scenario: Scenario, stages: list[StageRt], sources: list[str]) -> None:
        self.warmup = scenario.warmup_days * 24
        self.horizon = scenario.horizon_days * 24
        self.window_hours = self.horizon - self.warmup
        self.stages = stages
        self.sources = sources
        self.inbound_sources = len(scenario.leads)
        self.referral_source = -1  # the source index of customers' referrals, if any
        self.roles: list[str] = list(scenario.roles)
        self.arrived_by_source = [0] * len(sources)
        self.contacted = 0
        self.wait_hours = 0.0
        self.won = 0  # deals booked in the measured window, whenever the lead arrived
        self.revenue_new = 0.0  # their value
        self.revenue_cohort = 0.0  # value of the deals of leads that arrived after the warm-up
        self.revenue_repeat = 0.0
        self.repeat_purchases = 0
        self.repeat_lost = 0
        self.lost = {"rejected": 0, "cold": 0, "left": 0, "followed": 0, "no_show": 0}
        self.open_at_end = 0
        self.cycle_hours: list[float] = []
        self.lead_hours = 0.0
        self.system_hours = 0.0
        self.people: list[PersonRt] = []
        self.staffing: dict[str, float] = {}
        self.customers: dict[str, float] = {}
        self.customers_lost_with_owner = 0
        self.revenue_lost_with_owner = 0.0
        days = math.ceil(self.horizon / 24) + 1
        self.daily_revenue = [0.0] * days
        # gross profit booked, when margins differ by stage or for repeat orders (else revenue
        # times the scenario's gross_margin)
        repeat = scenario.customers.repeat_margin
        self.repeat_margin = repeat if repeat is not None else scenario.gross_margin
        self.margins = repeat is not None or any(
            spec.gross_margin is not None for spec in scenario.stages.values()
        )
        self.daily_gross = [0.0] * days if self.margins else []
        self.gross_window = 0.0
        self.daily_leads = [0.0] * days
        self.daily_deals = [0.0] * days
        self.daily_outbound = [0.0] * days
        self.daily_marketing = [0.0] * days
        self.daily_commission = [0.0] * days
        self.daily_hiring = [0.0] * days
        self.daily_revenue_new = [0.0] * days
        self.daily_cycle_hours = [0.0] * days
        self.daily_revenue_repeat = [0.0] * days
        self.daily_wait_hours = [0.0] * days
        self.daily_contacts = [0.0] * days
        self.daily_ended = [0.0] * days  # leads that ended each day (all leads)
        self.daily_busy = {role: [0.0] * days for role in scenario.roles}
        for st in stages:
            st.daily_entered = [0.0] * days
            st.daily_succeeded = [0.0] * days
        # cost per lead of each day, for the sources whose cost changes on a date
        self.daily_cost: dict[int, list[float]] = {
            k: [src.cost_on(day) for day in range(days)] for k, src in enumerate(scenario.leads)
            if any(c.cost_per_lead is not None for c in src.changes)
        }  # fmt: skip
        # each inbound source's cost per lead by day (the same list for every day if it never
        # changes)
        self.lead_cost = [
            self.daily_cost.get(k) or [src.cost_per_lead] * days
            for k, src in enumerate(scenario.leads)
        ]
        for src in scenario.leads:
            if src.budget is not None:
                self._spend(src, scenario.warmup_days, scenario.horizon_days)
        self.leavers: list[float] = []
        self.scenario = scenario

    def _spend(self, src: LeadSource, warmup_days: float, horizon_days: float) -> None:
        """A budget source's spend on each day the channel is open, for the part of the day
        inside the measured window."""
        for day in range(int(warmup_days), math.ceil(horizon_days)):
            inside = min(day + 1.0, horizon_days) - max(float(day), warmup_days)
            if inside > 0 and src.open_on(day):
                self.daily_marketing[day] += src.spend_on(day) * inside

    @property
    def arrived(self) -> int:
        """Cohort leads (arrived after the warm-up), inbound and outbound."""
        return sum(self.arrived_by_source)

    @property
    def daily_wip(self) -> list[float]:
        """Leads arrived minus leads ended each day (all leads, whenever they arrived): their
        running sum is the work in progress."""
        return [a - b for a, b in zip(self.daily_leads, self.daily_ended, strict=True)]

    @property
    def won_cohort(self) -> int:
        """Deals of the leads that arrived after the warm-up (one cycle time each)."""
        return len(self.cycle_hours)

    @property
    def ended_count(self) -> int:
        """Cohort leads that ended inside the run, won or lost."""
        return self.won_cohort + sum(self.lost.values())

    @property
    def inbound_contacted(self) -> int:
        """Cohort inbound leads that were contacted."""
        return int(sum(self.daily_contacts))

    def arrival(self, lead: Lead) -> None:
        day = int(lead.arrived // 24)
        self.daily_leads[day] += 1
        if lead.counted:
            source = lead.source
            self.arrived_by_source[source] += 1
            if source < self.inbound_sources:
                self.daily_marketing[day] += self.lead_cost[source][day]
            elif source != self.referral_source:
                self.daily_outbound[day] += 1

    def contact(self, lead: Lead, now: float, outbound: bool = False) -> None:
        """First work on a lead; outbound leads are found by the person, so they do not wait."""
        if lead.counted:
            self.contacted += 1
            if not outbound:
                wait, day = now - lead.arrived, int(now // 24)
                self.wait_hours += wait
                self.daily_wait_hours[day] += wait
                self.daily_contacts[day] += 1

    def ended(self, lead: Lead, outcome: str, t: float) -> None:
        """A lead's end: a won deal counts where it is booked (the day series, and the window's
        `won` and `revenue_new` from the warm-up on, whenever the lead arrived); the cohort
        (leads that arrived after the warm-up) keeps its own counts and cycle times."""
        arrived = lead.arrived
        lo = arrived if arrived > self.warmup else self.warmup  # its open hours in the window
        hi = t if t < self.horizon else self.horizon
        if hi > lo:
            self.lead_hours += hi - lo
        day = int(t // 24)
        self.daily_ended[day] += 1
        cycle = t - arrived
        if outcome == "won":
            value = lead.value
            self.daily_revenue[day] += value
            self.daily_revenue_new[day] += value
            self.daily_cycle_hours[day] += cycle
            self.daily_deals[day] += 1
            if t >= self.warmup:
                self.won += 1
                self.revenue_new += value
        if not lead.counted:
            return
        self.system_hours += cycle
        if outcome == "won":
            self.revenue_cohort += lead.value
            self.cycle_hours.append(cycle)
        else:
            self.lost[outcome] += 1
            if outcome == "left":
                self.stages[lead.in_stage].lost_waiting += 1

    def still_open(self, lead: Lead) -> None:
        lo = lead.arrived if lead.arrived > self.warmup else self.warmup
        if self.horizon > lo:
            self.lead_hours += self.horizon - lo
        if lead.counted:
            self.open_at_end += 1

    def gross(self, t: float, value: float) -> None:
        """Gross profit of a sale booked at `t` (with `margins` only)."""
        self.daily_gross[int(t // 24)] += value
        if t >= self.warmup:
            self.gross_window += value

    def repeat_purchase(self, t: float, value: float) -> None:
        self.daily_revenue[int(t // 24)] += value
        self.daily_revenue_repeat[int(t // 24)] += value
        if t < self.warmup:
            return
        self.repeat_purchases += 1
        self.revenue_repeat += value

    def busy(self, role: str, lo: float, hi: float, cal: WorkCalendar) -> None:
        """Spread the working time of `cal` in [lo, hi) over the days it falls on (the work
        loop adds a task within one day itself)."""
        arr = self.daily_busy[role]
        for a, b in cal.segments(lo, hi):
            while a < b:
                end = min(b, (int(a // 24) + 1) * 24)
                arr[int(a // 24)] += end - a
                a = end

    def finish(self, staffing: Staffing, customers: CustomerBook) -> None:
        self.people = staffing.people
        self.staffing = {
            "resignations": staffing.resignations,
            "dismissals": staffing.dismissals,
            "removals": staffing.removals,
            "coaching_hours": staffing.coaching_hours,
            "hires": staffing.hires,
            "hiring_cost": staffing.hiring_cost,
        }
        self.customers = customers.counts(self.warmup, self.horizon)
        self.customers_lost_with_owner = customers.lost_with_owner
        self.revenue_lost_with_owner = customers.lost_revenue
        self.leavers = sorted(p.leaves for p in staffing.people if p.leaves < self.horizon)

    @staticmethod
    def _weekly(daily: list[float], weeks: int) -> list[float]:
        return [sum(daily[7 * w : 7 * w + 7]) for w in range(weeks)]

    @property
    def weeks(self) -> int:
        return max(1, math.ceil(self.horizon / WEEK))

    @property
    def weekly_leads(self) -> list[float]:
        return self._weekly(self.daily_leads, self.weeks)

    @property
    def weekly_outbound(self) -> list[float]:
        return self._weekly(self.daily_outbound, self.weeks)

    @property
    def weekly_deals(self) -> list[float]:
        return self._weekly(self.daily_deals, self.weeks)

    @property
    def weekly_revenue(self) -> list[float]:
        return self._weekly(self.daily_revenue, self.weeks)

    def measured_weeks(self) -> slice:
        """Weekly slots wholly inside the measured window."""
        first = math.ceil(self.warmup / WEEK)
        last = int(self.horizon // WEEK)
        return slice(first, max(first, last))


def days_absent(p: PersonRt, tally: Tally) -> float:
    """Days the person was away while employed in the measured window."""
    lo, hi = max(p.hired, tally.warmup), min(p.leaves, tally.horizon)
    return sum(max(0.0, min(b, hi) - max(a, lo)) for a, b in p.holes) / 24


def person_row(p: PersonRt, tally: Tally) -> dict[str, Any]:
    """One row of people.parquet: what this person did in this replication."""
    row: dict[str, Any] = {
        "person": p.name,
        "role": p.role,
        "seat": p.seat,
        "start_day": p.hired / 24,
        "end_day": p.leaves / 24 if p.leaves < tally.horizon else math.nan,
        "left_because": p.reason if p.leaves < tally.horizon else "",
        "deals": p.deals,
        "revenue_closed": p.revenue,
        "revenue_repeat_owned": p.revenue_repeat,
        "revenue_attributed": p.revenue_window,
        "customers_lost_with_them": p.customers_lost,
        "hours_worked": p.busy_hours,
        "hours_available": p.available_hours,
        "days_absent": days_absent(p, tally),
        "attempts": p.attempts,
        "successes": p.successes,
        "skill": p.success,
    }
    for stage, hours in sorted(p.hours_by_stage.items()):
        row[f"hours.{stage}"] = hours
    return row
