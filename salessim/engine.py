"""The SimPy model of a sales department: one replication of one scenario.

`simulate(scenario, streams)` builds a `Simulation` (the running half of the model, kept apart
from the static `Scenario`), runs it to the horizon and returns a `Tally` of counters that
`metrics` turns into a flat per-replication record. Leads arrive per source as a non-homogeneous
Poisson process; each person is a SimPy process that works, inside their own calendar, on the
highest-priority waiting lead among their stages. Waiting leads go cold after their patience;
cold leads are removed lazily when a person reaches them, which gives the same dynamics as
removing them on time. Nothing here knows about YAML, the CLI or plotting.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import deque
from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import simpy

from salessim.calendar import WorkCalendar, resolve
from salessim.scenario import LeadSource, Scenario
from salessim.streams import Streams

INF = math.inf
CHUNK_DAYS = 64
WON = -1

TraceRow = tuple[Any, ...]


class Lead:
    """One prospect's journey; `outcome` stays None while it is open."""

    __slots__ = (
        "id",
        "source",
        "arrived",
        "value",
        "deadline",
        "u",
        "counted",
        "contacted",
        "outcome",
        "ended",
        "tries",
    )

    def __init__(
        self,
        lid: int,
        source: int,
        arrived: float,
        value: float,
        deadline: float,
        u: list[float],
        counted: bool,
    ) -> None:
        self.id = lid
        self.source = source
        self.arrived = arrived
        self.value = value
        self.deadline = deadline
        self.u = u
        self.counted = counted
        self.contacted = -1.0
        self.outcome: str | None = None
        self.ended = INF
        self.tries = 0


class StageRt:
    """Runtime state of a stage: its queue, idle people able to work it, and counters."""

    __slots__ = (
        "name",
        "index",
        "queue",
        "idle",
        "success",
        "next",
        "work",
        "delay",
        "no_show",
        "attempts",
        "retry_delay",
        "retry_rng",
        "entered",
        "worked",
        "succeeded",
        "no_shows",
    )

    def __init__(self, name: str, index: int) -> None:
        self.name = name
        self.index = index
        self.queue: deque[Lead] = deque()
        self.idle: dict[PersonRt, None] = {}
        self.success = 0.0
        self.next: int = WON
        self.work: Callable[[], float] = lambda: 0.0
        self.delay: Callable[[], float] | None = None
        self.no_show = 0.0
        self.attempts = 0
        self.retry_delay: Callable[[], float] = lambda: 0.0
        self.retry_rng: np.random.Generator | None = None
        self.entered = 0
        self.worked = 0
        self.succeeded = 0
        self.no_shows = 0


class PersonRt:
    """Runtime state of one person: calendar, skill, priority list and time accounting."""

    __slots__ = (
        "name",
        "role",
        "cal",
        "stages",
        "work_time",
        "success",
        "wake",
        "timer_at",
        "busy_hours",
        "available_hours",
        "deals",
        "revenue",
    )

    def __init__(
        self, name: str, role: str, cal: WorkCalendar, work_time: float, success: float
    ) -> None:
        self.name = name
        self.role = role
        self.cal = cal
        self.stages: list[StageRt] = []
        self.work_time = work_time
        self.success = success
        self.wake: simpy.Event | None = None
        self.timer_at = -1.0
        self.busy_hours = 0.0
        self.available_hours = 0.0
        self.deals = 0
        self.revenue = 0.0


class Tally:
    """Counters of one replication, collected as the run goes (no event lists kept)."""

    def __init__(self, scenario: Scenario) -> None:
        self.window_hours = (scenario.horizon_days - scenario.warmup_days) * 24
        self.arrived = 0
        self.arrived_all = 0
        self.contacted = 0
        self.wait_hours = 0.0
        self.won = 0
        self.revenue = 0.0
        self.lost = {"rejected": 0, "cold": 0, "no_show": 0}
        self.open_at_end = 0
        self.cycle_hours: list[float] = []
        self.lead_hours = 0.0
        self.ended = 0
        self.system_hours = 0.0
        self.stages: list[StageRt] = []
        self.people: list[PersonRt] = []
        self.roles: list[str] = list(scenario.roles)


class Simulation:
    """A scenario brought to life in a SimPy environment for one replication."""

    def __init__(self, scenario: Scenario, streams: Streams, trace: list[TraceRow] | None = None):
        self.scenario = scenario
        self.env = simpy.Environment()
        self.horizon = scenario.horizon_days * 24
        self.warmup = scenario.warmup_days * 24
        self.trace = trace
        self.tally = Tally(scenario)
        self.open: dict[int, Lead] = {}
        self.next_id = 0
        self.stage_index = {name: i for i, name in enumerate(scenario.stages)}
        self.stages = [
            self._build_stage(name, i, streams) for i, name in enumerate(scenario.stages)
        ]
        self.people = self._build_people()
        self.tally.stages = self.stages
        self.tally.people = self.people
        for k, src in enumerate(scenario.leads):
            self.env.process(self._source(k, src, streams))
        for person in self.people:
            self.env.process(self._person(person))

    # --- construction -------------------------------------------------------------------
    def _build_stage(self, name: str, index: int, streams: Streams) -> StageRt:
        spec = self.scenario.stages[name]
        st = StageRt(name, index)
        st.success = spec.success
        st.next = WON if spec.next == "won" else self.stage_index[spec.next]
        st.work = spec.work_hours.sampler(streams(f"work.{name}"))
        if spec.delay_days is not None:
            st.delay = spec.delay_days.sampler(streams(f"delay.{name}"))
        st.no_show = spec.no_show
        if spec.follow_up is not None and spec.follow_up.attempts > 0:
            st.attempts = spec.follow_up.attempts
            st.retry_delay = spec.follow_up.delay_days.sampler(streams(f"retry_delay.{name}"))
            st.retry_rng = streams(f"retry.{name}")
        return st

    def _build_people(self) -> list[PersonRt]:
        people = []
        calendars: dict[str, WorkCalendar] = {}
        for role_name, role in self.scenario.roles.items():
            cal_spec = resolve(self.scenario.calendar, role.calendar)
            key = cal_spec.model_dump_json()
            if key not in calendars:
                calendars[key] = WorkCalendar.build(cal_spec, self.horizon)
            cal = calendars[key]
            priority = [
                self.stages[self.stage_index[s]] for s in self.scenario.role_stages(role_name)
            ]
            for i in range(role.headcount):
                spec = role.people[i] if i < len(role.people) else None
                name = (spec.name if spec and spec.name else None) or f"{role_name}[{i}]"
                p = PersonRt(
                    name,
                    role_name,
                    cal,
                    spec.work_time if spec else 1.0,
                    spec.success if spec else 1.0,
                )
                p.stages = priority
                p.available_hours = cal.worked(self.horizon) - cal.worked(self.warmup)
                people.append(p)
        return people

    # --- leads ----------------------------------------------------------------------------
    def _day_rates(self, src: LeadSource, first: int, last: int) -> np.ndarray:
        start = self.scenario.calendar.start
        rates = np.empty(last - first)
        for j in range(last - first):
            date = start + dt.timedelta(days=first + j)
            factor = src.weekday_profile[date.weekday()] * src.monthly_profile[date.month - 1]
            rates[j] = src.per_day * factor
        return rates

    def _source(self, k: int, src: LeadSource, streams: Streams) -> Generator[Any, Any, None]:
        env = self.env
        arrivals = streams(f"arrivals.{src.source}")
        attrs = streams(f"leads.{src.source}")
        value_dist = src.deal_value or self.scenario.deal_value
        entry = self.stages[self.stage_index[src.entry_stage or next(iter(self.scenario.stages))]]
        n_stages = len(self.stages)
        left = src.market_size if src.market_size is not None else -1
        days = int(math.ceil(self.scenario.horizon_days))
        for first in range(0, days, CHUNK_DAYS):
            last = min(first + CHUNK_DAYS, days)
            counts = arrivals.poisson(self._day_rates(src, first, last))
            total = int(counts.sum())
            if total == 0:
                continue
            times = np.repeat(np.arange(first, last) * 24.0, counts)
            times += self._hour_offsets(src, arrivals, total)
            times.sort()
            values = value_dist.sample(attrs, total).tolist()
            if src.patience_hours is not None:
                patience = src.patience_hours.sample(attrs, total).tolist()
            else:
                patience = [INF] * total
            uniforms = attrs.random((total, 2 * n_stages)).tolist()
            for t, value, pat, u in zip(times.tolist(), values, patience, uniforms, strict=True):
                if t >= self.horizon or left == 0:
                    return
                left -= 1
                yield env.timeout(t - env.now)
                self._arrive(k, t, value, t + pat, u, entry)

    @staticmethod
    def _hour_offsets(src: LeadSource, rng: np.random.Generator, n: int) -> np.ndarray:
        """Hours into the day of `n` arrivals, following the source's hourly profile."""
        if src.hourly_profile is None:
            return rng.uniform(0, 24, n)
        weights = np.asarray(src.hourly_profile, dtype=float)
        hours = rng.choice(24, size=n, p=weights / weights.sum())
        return hours + rng.uniform(0, 1, n)

    def _arrive(
        self, source: int, t: float, value: float, deadline: float, u: list[float], entry: StageRt
    ) -> None:
        lead = Lead(self.next_id, source, t, value, deadline, u, t >= self.warmup)
        self.next_id += 1
        self.open[lead.id] = lead
        self.tally.arrived_all += 1
        if lead.counted:
            self.tally.arrived += 1
        self._enter(lead, entry)

    def _enter(self, lead: Lead, st: StageRt, retry: bool = False) -> None:
        if retry:
            delay_hours = st.retry_delay() * 24
        else:
            if lead.counted:
                st.entered += 1
            delay_hours = st.delay() * 24 if st.delay is not None else 0.0
        if delay_hours:
            ev = self.env.timeout(delay_hours)
            ev.callbacks.append(lambda _ev: self._enqueue(lead, st))
        else:
            self._enqueue(lead, st)

    def _enqueue(self, lead: Lead, st: StageRt) -> None:
        st.queue.append(lead)
        if st.idle:
            person = next(iter(st.idle))
            self._wake(person)

    def _end(self, lead: Lead, outcome: str, t: float) -> None:
        lead.outcome = outcome
        lead.ended = t
        del self.open[lead.id]
        self._add_lead_hours(lead.arrived, t)
        tally = self.tally
        if self.trace is not None:
            self.trace.append(("end", lead.id, lead.source, lead.arrived, t, outcome, lead.value))
        if not lead.counted:
            return
        tally.ended += 1
        tally.system_hours += t - lead.arrived
        if outcome == "won":
            tally.won += 1
            tally.revenue += lead.value
            tally.cycle_hours.append(t - lead.arrived)
        else:
            tally.lost[outcome] += 1

    def _add_lead_hours(self, a: float, b: float) -> None:
        lo, hi = max(a, self.warmup), min(b, self.horizon)
        if hi > lo:
            self.tally.lead_hours += hi - lo

    # --- people ---------------------------------------------------------------------------
    def _wake(self, person: PersonRt) -> None:
        ev = person.wake
        if ev is None:
            return
        person.wake = None
        for st in person.stages:
            st.idle.pop(person, None)
        ev.succeed()

    def _sleep(self, person: PersonRt, close: float) -> simpy.Event:
        ev = self.env.event()
        person.wake = ev
        for st in person.stages:
            st.idle[person] = None
        if close < INF and person.timer_at != close:
            person.timer_at = close
            timer = self.env.timeout(close - self.env.now)
            timer.callbacks.append(lambda _ev: self._wake(person))
        return ev

    def _pick(self, person: PersonRt, now: float) -> tuple[Lead, StageRt] | tuple[None, None]:
        for st in person.stages:
            queue = st.queue
            while queue:
                lead = queue.popleft()
                if lead.deadline < now:
                    self._end(lead, "cold", lead.deadline)
                    continue
                if (
                    st.no_show
                    and lead.tries == 0
                    and lead.u[len(self.stages) + st.index] < st.no_show
                ):
                    if lead.counted:
                        st.no_shows += 1
                    self._end(lead, "no_show", now)
                    continue
                return lead, st
        return None, None

    def _person(self, person: PersonRt) -> Generator[simpy.Event, Any, None]:
        env, cal = self.env, person.cal
        while True:
            now = env.now
            if not cal.always_open:
                nxt = cal.next_open(now)
                if nxt > now:
                    if nxt >= self.horizon:
                        return
                    yield env.timeout(nxt - now)
                    continue
            lead, st = self._pick(person, now)
            if lead is None or st is None:
                yield self._sleep(person, cal.close_after(now))
                continue
            self._start(lead, person, now)
            hours = st.work() * person.work_time
            end = cal.finish(now, hours)
            self._account_busy(person, now, end)
            if self.trace is not None:
                self.trace.append(("work", person.name, st.name, lead.id, now, end, hours))
            if end >= self.horizon:
                return
            yield env.timeout(end - now)
            self._complete(lead, st, person, end)

    def _start(self, lead: Lead, person: PersonRt, now: float) -> None:
        if lead.contacted < 0:
            lead.contacted = now
            lead.deadline = INF
            if lead.counted:
                self.tally.contacted += 1
                self.tally.wait_hours += now - lead.arrived

    def _account_busy(self, person: PersonRt, start: float, end: float) -> None:
        lo, hi = max(start, self.warmup), min(end, self.horizon)
        if hi > lo:
            cal = person.cal
            person.busy_hours += cal.worked(hi) - cal.worked(lo)

    def _complete(self, lead: Lead, st: StageRt, person: PersonRt, now: float) -> None:
        counted = lead.counted
        if counted:
            st.worked += 1
        p = st.success * person.success
        u = lead.u[st.index] if lead.tries == 0 else st.retry_rng.random()  # type: ignore[union-attr]
        if u < p:
            lead.tries = 0
            if counted:
                st.succeeded += 1
            if st.next == WON:
                person.deals += 1
                person.revenue += lead.value
                self._end(lead, "won", now)
            else:
                self._enter(lead, self.stages[st.next])
        elif lead.tries < st.attempts:
            lead.tries += 1
            self._enter(lead, st, retry=True)
        else:
            self._end(lead, "rejected", now)

    # --- run ------------------------------------------------------------------------------
    def run(self) -> Tally:
        self.env.run(until=self.horizon)
        for lead in list(self.open.values()):
            if lead.contacted < 0 and lead.deadline <= self.horizon:
                self._end(lead, "cold", lead.deadline)
        for lead in self.open.values():
            self._add_lead_hours(lead.arrived, self.horizon)
            if lead.counted:
                self.tally.open_at_end += 1
        return self.tally


def simulate(scenario: Scenario, streams: Streams, trace: list[TraceRow] | None = None) -> Tally:
    """Run one replication of `scenario` and return its counters."""
    return Simulation(scenario, streams, trace).run()


__all__ = ["Lead", "Simulation", "Tally", "simulate"]
