"""The SimPy model of a sales department: one replication of one scenario.

`simulate(scenario, streams)` builds a `Simulation` (the running half of the model, kept apart
from the static `Scenario`), runs it to the horizon and returns a `Tally` of counters that
`metrics` turns into a flat record. Leads arrive per source as a non-homogeneous Poisson process,
or are found by people prospecting; each person (see `people`) is a SimPy process that works,
inside their own availability, on the highest-priority waiting lead among their stages: first the
leads booked with them, then the team's queue. Waiting leads go cold after their patience; cold
leads are removed lazily when a person reaches them, which gives the same dynamics as removing
them on time. Nothing here knows about YAML, the CLI or plotting.
"""

from __future__ import annotations

import gc
import math
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import simpy

from salessim.engine.calendar import WorkCalendar, resolve
from salessim.engine.customers import CustomerBook
from salessim.engine.inflow import Inflow
from salessim.engine.outcomes import Outcomes
from salessim.engine.people import Staffing
from salessim.engine.queues import Queues
from salessim.engine.records import WON, Lead, PersonRt, StageRt
from salessim.engine.routing import Router
from salessim.engine.streams import Streams
from salessim.engine.tally import Tally
from salessim.engine.wiring import TraceRow
from salessim.engine.work import (
    LearningProductivity,
    PipelineProspecting,
    Productivity,
    Prospecting,
)
from salessim.engine.workloop import WorkLoop
from salessim.scenario.models import Scenario

INF = math.inf


class Simulation(Inflow, Queues, WorkLoop, Outcomes):
    """A scenario brought to life in a SimPy environment for one replication: the wiring of
    its parts (leads coming in, queues, each person's work loop, outcomes) and its policies."""

    def __init__(self, scenario: Scenario, streams: Streams, trace: list[TraceRow] | None = None,
                 lead_log: list[dict[str, Any]] | None = None, router: Router | None = None,
                 productivity: Productivity | None = None,
                 prospecting: Prospecting | None = None):  # fmt: skip
        self.scenario = scenario
        self.lead_log = lead_log
        self.streams = streams
        self.env = simpy.Environment()
        self.horizon = scenario.horizon_days * 24
        self.warmup = scenario.warmup_days * 24
        self.trace = trace
        self.open: dict[int, Lead] = {}
        self.next_id = 0
        self.stage_index = {name: i for i, name in enumerate(scenario.stages)}
        self.sources = [src.source for src in scenario.leads]
        self.stages = [self._build_stage(name, i) for i, name in enumerate(scenario.stages)]
        referral_source = -1
        if scenario.customers.referrals_per_year > 0:
            referral_source = len(self.sources)
            self.sources.append("referrals")
        self.tally = Tally(scenario, self.stages, self.sources)
        self.tally.referral_source = referral_source
        self.seat_calendars: dict[tuple[str, int], WorkCalendar] = {}  # people's own shifts
        self.role_calendars = self._build_calendars()
        self.role_people: dict[str, list[PersonRt]] = {role: [] for role in scenario.roles}
        self.role_staff: dict[str, list[PersonRt]] = {role: [] for role in scenario.roles}
        # streams of people are keyed by role position, so renaming a role changes nothing
        self.role_index = {role: i for i, role in enumerate(scenario.roles)}
        self.router = router or Router()
        learns = any(scenario.role_workforce(r).learning.active for r in scenario.roles)
        self.productivity = productivity or (LearningProductivity() if learns else Productivity())
        ruled = any(st.rule_from >= 0 for st in self.stages)
        self.prospecting = prospecting or (
            PipelineProspecting(self.stages, lambda: self.env.now) if ruled else Prospecting()
        )
        self.follow_rng = streams("follow_deals")
        self.customers = CustomerBook(self, scenario.customers)
        self.staffing = Staffing(self)
        self.staffing.start()
        self.customers.open_book()
        for k, src in enumerate(scenario.leads):
            self.env.process(self._source(k, src))
        self.opening_age: dict[int, float] = {}
        if scenario.pipeline:
            self.env.process(self._pipeline())

    # --- construction -------------------------------------------------------------------
    def _leads_to(self, start: int, name: str) -> bool:
        """Whether a lead at stage `start` can come to stage `name` (by `next` or branches)."""
        names, seen = list(self.scenario.stages), set()
        frontier = [names[start]]
        while frontier:
            here = frontier.pop()
            if here == name:
                return True
            if here in seen or here not in self.scenario.stages:
                continue
            seen.add(here)
            frontier.extend(self.scenario.stages[here].exits)
        return False

    def _build_stage(self, name: str, index: int) -> StageRt:
        spec = self.scenario.stages[name]
        st = StageRt(name, index)
        st.success = 1.0 if spec.success is None else spec.success
        st.next = WON if spec.next == "won" else self.stage_index[spec.next]
        if spec.branches:
            st.branches = [
                (WON if b.stage == "won" else self.stage_index[b.stage], b.share,
                 b.value_over if b.value_over is not None else -INF,
                 self.sources.index(b.source) if b.source is not None else -1)
                for b in spec.branches
            ]  # fmt: skip
            if any(b.share < 1 for b in spec.branches):
                st.branch_rng = self.streams(f"branch.{name}")
            st.loops = {t for t, *_ in st.branches if t != WON and self._leads_to(t, name)}
            if st.loops:
                st.loop_rng = self.streams(f"loop.{name}")
        st.margin = (
            spec.gross_margin if spec.gross_margin is not None else self.scenario.gross_margin
        )
        st.work = spec.work_hours.sampler(self.streams(f"work.{name}"))
        if spec.delay_days is not None:
            st.delay = spec.delay_days.sampler(self.streams(f"delay.{name}"))
        st.no_show = spec.no_show
        if spec.no_show_hours is not None:
            st.no_show_cost = spec.no_show_hours.sampler(self.streams(f"no_show_hours.{name}"))
        if spec.reminder is not None:
            st.reminded = True
            st.reminder_hours = spec.reminder.hours
            st.catches, st.reschedules = spec.reminder.catches, spec.reminder.reschedules
        if spec.reminder is not None or spec.no_show_hours is not None:
            st.reminder_rng = self.streams(f"reminder.{name}")
        if spec.routing is not None and spec.routing.assigns:
            st.routing = spec.routing
        if spec.patience_hours is not None:
            st.patience = spec.patience_hours.sampler(self.streams(f"patience.{name}"))
        st.plain = st.delay is None and st.routing is None and st.patience is None
        if spec.follow_up is not None and spec.follow_up.attempts > 0:
            st.attempts = spec.follow_up.attempts
            st.retry_delay = spec.follow_up.delay_days.sampler(self.streams(f"retry_delay.{name}"))
            st.retry_rng = self.streams(f"retry.{name}")
        if spec.kind == "prospecting":
            st.prospecting = True
            st.leads_per_hour = spec.leads_per_hour
            st.prospect_rng = self.streams(f"prospect.{name}")
            st.source = len(self.sources)
            self.sources.append(f"prospecting.{name}")
            if spec.prospect_while is not None:
                st.rule_from = self.stage_index[spec.prospect_while.stage]
                st.rule_below = spec.prospect_while.below
                st.rule_hours = spec.prospect_while.hours_per_day
        return st

    def _build_calendars(self) -> dict[str, WorkCalendar]:
        calendars: dict[str, WorkCalendar] = {}
        by_key: dict[str, WorkCalendar] = {}
        for role_name, role in self.scenario.roles.items():
            spec = resolve(self.scenario.calendar, role.calendar)
            key = spec.model_dump_json()
            if key not in by_key:
                by_key[key] = WorkCalendar.build(spec, self.horizon)
            calendars[role_name] = by_key[key]
            for seat, person in enumerate(role.people):
                if person.calendar is not None:
                    own = resolve(spec, person.calendar)
                    key = own.model_dump_json()
                    if key not in by_key:
                        by_key[key] = WorkCalendar.build(own, self.horizon)
                    self.seat_calendars[role_name, seat] = by_key[key]
        return calendars

    def add_person(self, person: PersonRt) -> None:
        """Give a newly created person their stages and start their work process."""
        priority = self.scenario.role_stages(person.role)
        person.stages = [self.stages[self.stage_index[s]] for s in priority]
        person.personal = {st.index: deque() for st in person.stages if not st.prospecting}
        person.ruled = [st for st in person.stages if st.rule_from >= 0]
        role = self.scenario.roles[person.role]
        person.shares = bool(role.max_share)
        person.limited = person.shares or role.time_share < 1
        person.overhead = role.switch_overhead_hours
        person.busy_days = self.tally.daily_busy[person.role]
        if role.switch_hours:
            index = self.stage_index
            person.switch = {(index[a], index[b]): hours for a, to in role.switch_hours.items()
                             for b, hours in to.items()}  # fmt: skip
        person.focus = 1.0 + role.focus_loss * (len(person.stages) - 1)
        learning = person.wf.learning
        prior = learning.start_tasks if person.generation == 0 else learning.hire_tasks
        person.prior_tasks = learning.reference_tasks if prior is None else prior
        person.commission_rate = role.commission
        person.bonus = role.bonus is not None
        person.sourcing_rate = role.sourcing_commission
        for st in person.stages:
            st.workers.append(person)
            st.staff.append(person)
        self.role_people[person.role].append(person)
        self.role_staff[person.role].append(person)
        self.env.process(self._person(person))

    def pay_hiring(self, t: float, cost: float) -> None:
        self.tally.daily_hiring[int(t // 24)] += cost

    def person_joined(self, person: PersonRt) -> None:
        self.customers.adopt(person)

    def person_left(self, person: PersonRt) -> None:
        for st in person.stages:
            st.staff.remove(person)
        self.role_staff[person.role].remove(person)
        self.customers.owner_left(person)

    def at(self, t: float, action: Callable[[], Any]) -> None:
        """Call `action` at simulated time `t` (now if `t` is in the past)."""
        ev = self.env.timeout(max(t - self.env.now, 0.0))
        ev.callbacks.append(lambda _ev: action())

    # --- run ------------------------------------------------------------------------------
    def run(self) -> Tally:
        with cyclic_gc_paused():
            self.env.run(until=self.horizon)
        for lead in list(self.open.values()):
            if lead.deadline <= self.horizon:
                if lead.at >= 0:
                    self._waited(lead, self.stages[lead.at], lead.deadline)
                self._end(lead, "cold" if lead.contacted < 0 else "left", lead.deadline)
        for st in self.stages:
            waiting = [
                *st.queue,
                *(lead for p in st.workers for lead in p.personal.get(st.index, ())),
            ]
            for lead in waiting:
                if lead.outcome is None:
                    lo = max(lead.queued, self.warmup)
                    st.wait_hours += max(0.0, self.horizon - lo)
        for lead in self.open.values():
            if not lead.repeat:
                self.tally.still_open(lead)
                if self.lead_log is not None and lead.counted:
                    row = self._log_row(lead, "open", self.horizon, None, lead.value)
                    self.lead_log.append(row)
        self.tally.finish(self.staffing, self.customers)
        return self.tally


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while the event loop runs. A run frees its
    events and finished leads by reference counting; the collector's periodic passes would
    only walk the whole heap of the process (imported libraries included) over and over,
    about a tenth of the run's time. Garbage with cycles is collected as usual afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def simulate(scenario: Scenario, streams: Streams, trace: list[TraceRow] | None = None,
             lead_log: list[dict[str, Any]] | None = None) -> Tally:  # fmt: skip
    """Run one replication of `scenario` and return its counters (and fill `lead_log`)."""
    return Simulation(scenario, streams, trace, lead_log).run()


__all__ = ["Lead", "Simulation", "StageRt", "Tally", "TraceRow", "simulate"]
