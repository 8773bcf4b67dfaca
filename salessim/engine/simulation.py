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

import math
from collections import deque
from collections.abc import Callable, Generator
from typing import Any

import simpy

from salessim.engine.arrivals import arrival_chunks
from salessim.engine.calendar import WorkCalendar, resolve
from salessim.engine.customers import CustomerBook
from salessim.engine.people import Staffing
from salessim.engine.records import WON, Customer, Lead, PersonRt, StageRt
from salessim.engine.routing import Router
from salessim.engine.streams import Streams
from salessim.engine.tally import Tally
from salessim.engine.work import Productivity, Prospecting
from salessim.scenario.models import LeadSource, Scenario

INF = math.inf
CHUNK_DAYS = 64
WEEK = 168.0
MONTH_HOURS = 365 * 24 / 12

TraceRow = tuple[Any, ...]


class Simulation:
    """A scenario brought to life in a SimPy environment for one replication."""

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
        self.tally = Tally(scenario, self.stages, self.sources)
        self.role_calendars = self._build_calendars()
        self.role_people: dict[str, list[PersonRt]] = {role: [] for role in scenario.roles}
        # streams of people are keyed by role position, so renaming a role changes nothing
        self.role_index = {role: i for i, role in enumerate(scenario.roles)}
        self.router = router or Router()
        self.productivity = productivity or Productivity()
        self.prospecting = prospecting or Prospecting()
        self.customers = CustomerBook(self, scenario.customers)
        self.staffing = Staffing(self)
        self.staffing.start()
        for k, src in enumerate(scenario.leads):
            self.env.process(self._source(k, src))
        self.opening_age: dict[int, float] = {}
        if scenario.pipeline:
            self.env.process(self._pipeline())

    # --- construction -------------------------------------------------------------------
    def _build_stage(self, name: str, index: int) -> StageRt:
        spec = self.scenario.stages[name]
        st = StageRt(name, index)
        st.success = 1.0 if spec.success is None else spec.success
        st.next = WON if spec.next == "won" else self.stage_index[spec.next]
        st.work = spec.work_hours.sampler(self.streams(f"work.{name}"))
        if spec.delay_days is not None:
            st.delay = spec.delay_days.sampler(self.streams(f"delay.{name}"))
        st.no_show = spec.no_show
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
        return calendars

    def add_person(self, person: PersonRt) -> None:
        """Give a newly created person their stages and start their work process."""
        priority = self.scenario.role_stages(person.role)
        person.stages = [self.stages[self.stage_index[s]] for s in priority]
        person.personal = {st.index: deque() for st in person.stages if not st.prospecting}
        role = self.scenario.roles[person.role]
        person.shares = bool(role.max_share)
        person.limited = person.shares or role.time_share < 1
        person.overhead = role.switch_overhead_hours
        person.commission_rate = role.commission
        person.sourcing_rate = role.sourcing_commission
        for st in person.stages:
            st.workers.append(person)
        self.role_people[person.role].append(person)
        self.env.process(self._person(person))

    def pay_hiring(self, t: float, cost: float) -> None:
        self.tally.daily_hiring[int(t // 24)] += cost

    def person_joined(self, person: PersonRt) -> None:
        self.customers.adopt(person)

    def person_left(self, person: PersonRt) -> None:
        self.customers.owner_left(person)

    def at(self, t: float, action: Callable[[], Any]) -> None:
        """Call `action` at simulated time `t` (now if `t` is in the past)."""
        ev = self.env.timeout(max(t - self.env.now, 0.0))
        ev.callbacks.append(lambda _ev: action())

    # --- leads ----------------------------------------------------------------------------
    def _source(self, k: int, src: LeadSource) -> Generator[Any, Any, None]:
        env = self.env
        entry = self.stages[self.stage_index[src.entry_stage or next(iter(self.scenario.stages))]]
        chunks = arrival_chunks(
            src,
            self.scenario,
            len(self.stages),
            self.streams(f"arrivals.{src.source}"),
            self.streams(f"leads.{src.source}"),
        )
        left = src.market_size if src.market_size is not None else -1
        for chunk in chunks:
            for t, value, patience, u in chunk:
                if t >= self.horizon or left == 0:
                    return
                left -= 1
                yield env.timeout(t - env.now)
                self._enter(self._new_lead(k, t, value, t + patience, u), entry)

    def _pipeline(self) -> Generator[Any, Any, None]:
        """Deals open on day 0 enter their stage with a random part of its delay left."""
        yield self.env.timeout(0)
        rng = self.streams("pipeline")
        for deal in self.scenario.pipeline:
            k = self.sources.index(deal.source) if deal.source else 0
            dist = self.scenario.leads[k].deal_value or self.scenario.deal_value
            value = deal.value if deal.value is not None else float(dist.sample(rng, 1)[0])
            u = rng.random(2 * len(self.stages)).tolist()
            lead = self._new_lead(k, 0.0, value, INF, u)
            self.opening_age[lead.id] = deal.age_days * 24
            self._enter(lead, self.stages[self.stage_index[deal.stage]], residual=rng.random())

    def _new_lead(self, source: int, t: float, value: float, deadline: float,
                  u: list[float]) -> Lead:  # fmt: skip
        lead = Lead(self.next_id, source, t, value, deadline, u, t >= self.warmup)
        self.next_id += 1
        if self.lead_log is not None:
            lead.path = []
        self.open[lead.id] = lead
        self.tally.arrival(lead)
        return lead

    def _prospected(self, st: StageRt, person: PersonRt, base_hours: float, f: float) -> None:
        """A finished prospecting session: new leads found enter the stage after it."""
        n = self.prospecting.found(st, person, base_hours, f)
        if n == 0:
            return
        rng = st.prospect_rng
        assert rng is not None
        now = self.env.now
        values = self.scenario.deal_value.sample(rng, n).tolist()
        uniforms = rng.random((n, 2 * len(self.stages))).tolist()
        for value, u in zip(values, uniforms, strict=True):
            lead = self._new_lead(st.source, now, value, INF, u)
            lead.contacted = now
            lead.by = person
            lead.team.append(person)
            self.tally.contact(lead, now, outbound=True)
            self._advance(lead, st, person)

    def repeat_lead(self, value: float, customer: Customer, stage: str,
                    wait_hours: float) -> None:  # fmt: skip
        """A repeat purchase that waits for someone to work `stage` (support)."""
        now = self.env.now
        owner = customer.owner
        lead = Lead(self.next_id, -1, now, value, now + wait_hours, [], False)
        self.next_id += 1
        lead.repeat = True
        lead.customer = customer
        self.open[lead.id] = lead
        st = self.stages[self.stage_index[stage]]
        self._enqueue(lead, st, self.router.repeat_order(owner, st))

    def repeat_won(self, value: float, customer: Customer) -> None:
        now = self.env.now
        self.tally.repeat_purchase(now, value)
        customer.revenue += value
        owner = customer.owner
        if owner is not None:
            owner.revenue_repeat += value
            self._credit(owner, value, now, now >= self.warmup)
        if self.lead_log is not None and now >= self.warmup:
            self.lead_log.append(self._log_row(None, "won", now, owner, value))

    def _credit(self, person: PersonRt, value: float, now: float, counted: bool) -> None:
        """Revenue attributed to a person, for commissions, bonuses and dependency risk: an equal
        share of each won deal to everyone who worked on it, repeat purchases to the owner.
        Only what `revenue` counts: cohort deals, and repeat purchases after the warm-up."""
        if not counted:
            return
        rate = person.commission_rate
        person.revenue_window += value
        if rate:
            person.commission += value * rate
            self.tally.daily_commission[int(now // 24)] += value * rate
        month = int(now // MONTH_HOURS)
        person.monthly[month] = person.monthly.get(month, 0.0) + value

    def _enter(self, lead: Lead, st: StageRt, retry: bool = False,
               by: PersonRt | None = None, residual: float = 1.0) -> None:  # fmt: skip
        if lead.path is not None:
            lead.path.append(st.name)
        if retry:
            delay_hours = st.retry_delay() * 24
            target = by
        else:
            if lead.counted:
                st.entered += 1
                st.daily_entered[int(self.env.now // 24)] += 1
            delay_hours = st.delay() * 24 * residual if st.delay is not None else 0.0
            target = self.router.book(st, by, self.env.now) if st.delay is not None else None
        booked = not retry and st.delay is not None
        if delay_hours:
            self.at(self.env.now + delay_hours, lambda: self._deliver(lead, st, target, booked))
        else:
            self._deliver(lead, st, target, booked)

    def _deliver(self, lead: Lead, st: StageRt, target: PersonRt | None, booked: bool) -> None:
        """A booked or retried lead becomes workable after its delay."""
        if booked and target is not None:
            target.pending -= 1
        self._enqueue(lead, st, target)

    def _enqueue(self, lead: Lead, st: StageRt, target: PersonRt | None = None) -> None:
        now = self.env.now
        lead.queued = now
        if (
            target is not None
            and target.employed(now)
            and (target.wf.handover == "wait" or target.present(now))
        ):
            target.personal[st.index].append(lead)
            lead.at = st.index
            self.wake(target)
            return
        st.queue.append(lead)
        lead.at = st.index
        for person in st.idle:
            if not person.shares or self._week_open(person, st, now):
                self.wake(person)
                break

    def hand_over(self, person: PersonRt) -> None:
        """Move the leads booked with `person` to their team's queues."""
        for index, queue in person.personal.items():
            st = self.stages[index]
            while queue:
                self._enqueue(queue.popleft(), st)

    def _end(self, lead: Lead, outcome: str, t: float, person: PersonRt | None = None) -> None:
        lead.outcome = outcome
        del self.open[lead.id]
        if self.trace is not None:
            self.trace.append(("end", lead.id, lead.source, lead.arrived, t, outcome, lead.value))
        if lead.repeat:
            if outcome == "won" and lead.customer is not None:
                self.repeat_won(lead.value, lead.customer)
            elif outcome != "won" and t >= self.warmup:
                self.tally.repeat_lost += 1
            return
        self.tally.ended(lead, outcome, t)
        if self.lead_log is not None and lead.counted:
            self.lead_log.append(self._log_row(lead, outcome, t, person, lead.value))

    def _log_row(self, lead: Lead | None, outcome: str, t: float, person: PersonRt | None,
                 value: float) -> dict[str, Any]:  # fmt: skip
        """One row of leads.parquet (a CRM-like export); `lead` None is a repeat purchase."""
        return {
            "lead": lead.id if lead else -1,
            "kind": ("pipeline" if lead.id in self.opening_age else "new") if lead else "repeat",
            "source": self.sources[lead.source] if lead else "",
            "arrived_hours": lead.arrived - self.opening_age.get(lead.id, 0.0) if lead else t,
            "first_contact_hours": lead.contacted if lead and lead.contacted >= 0 else math.nan,
            "ended_hours": t if outcome != "open" else math.nan,
            "outcome": outcome,
            "stages": ">".join(lead.path or []) if lead else "",
            "sourced_by": lead.by.name if lead and lead.by else "",
            "closed_by": person.name if person and outcome == "won" else "",
            "owner": person.name if person else "",
            "value": value,
        }

    # --- people ---------------------------------------------------------------------------
    def wake(self, person: PersonRt) -> None:
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
            self.at(close, lambda: self.wake(person))
        return ev

    def _pop(self, queue: deque[Lead], st: StageRt, now: float) -> Lead | None:
        while queue:
            lead = queue.popleft()
            if lead.deadline < now:
                self._waited(lead, st, lead.deadline)
                self._end(lead, "cold", lead.deadline)
                continue
            if (
                st.no_show
                and lead.tries == 0
                and not lead.repeat
                and (lead.u[len(self.stages) + st.index] < st.no_show)
            ):
                if lead.counted:
                    st.no_shows += 1
                self._end(lead, "no_show", now)
                continue
            self._waited(lead, st, now)
            return lead
        return None

    def _waited(self, lead: Lead, st: StageRt, until: float) -> None:
        """Queue time of a lead at a stage, within the measured window."""
        lead.at = -1
        lo, hi = max(lead.queued, self.warmup), min(until, self.horizon)
        if hi > lo:
            st.wait_hours += hi - lo
        if lead.counted and not lead.repeat:
            st.waits += 1

    def _week_open(self, person: PersonRt, st: StageRt | None, now: float) -> bool:
        """Whether the person's weekly time share (overall, or for `st`) has room left."""
        week = int(now // WEEK)
        if week != person.week:
            person.week = week
            person.week_hours = 0.0
            person.stage_week = {}
            cal = person.cal
            person.week_cap = cal.worked((week + 1) * WEEK) - cal.worked(week * WEEK)
        role = self.scenario.roles[person.role]
        if st is None:
            return person.week_hours < role.time_share * person.week_cap
        share = role.max_share.get(st.name)
        return share is None or person.stage_week.get(st.index, 0.0) < share * person.week_cap

    def _pick(self, person: PersonRt, now: float) -> tuple[Lead | None, StageRt | None]:
        shares = person.shares
        for st in person.stages:
            if shares and not self._week_open(person, st, now):
                continue
            if st.prospecting:
                if self.prospecting.wants(person, st, now):
                    return None, st
                continue
            lead = self._pop(person.personal[st.index], st, now)
            if lead is None:
                lead = self._pop(st.queue, st, now)
            if lead is not None:
                return lead, st
        return None, None

    def _person(self, person: PersonRt) -> Generator[simpy.Event, Any, None]:
        env = self.env
        limited = self.scenario.roles[person.role].time_share < 1
        if person.hired > env.now:
            yield env.timeout(person.hired - env.now)
        while not person.gone:
            now, cal = env.now, person.cal
            if not cal.always_open:
                nxt = cal.next_open(now)
                if nxt > now:
                    if nxt >= self.horizon:
                        return
                    yield env.timeout(nxt - now)
                    continue
            if limited and not self._week_open(person, None, now):
                yield env.timeout((person.week + 1) * WEEK - now)
                continue
            lead, st = self._pick(person, now)
            if st is None:
                yield self._sleep(person, cal.close_after(now))
                continue
            done = yield from self._work(person, lead, st, now)
            if not done:
                return

    def _work(self, person: PersonRt, lead: Lead | None, st: StageRt,
              now: float) -> Generator[simpy.Event, Any, bool]:  # fmt: skip
        """One piece of work; False if it could not be finished (horizon or leaving)."""
        base, hours, f = self.productivity.hours(person, st, now)
        if person.last_stage != st.index:
            if person.last_stage >= 0:
                hours += person.overhead
            person.last_stage = st.index
        if lead is not None:
            self._start(lead, person, now)
            if person not in lead.team:
                lead.team.append(person)
        end = person.cal.finish(now, hours)
        self._account(person, st, now, end, hours)
        if self.trace is not None:
            self.trace.append(
                ("work", person.name, st.name, lead.id if lead else -1, now, end, hours)
            )
        person.busy_until = end
        if end >= self.horizon:
            if person.leaves < self.horizon:
                yield self.env.timeout(person.leaves - now)
                if lead is not None:
                    self._enqueue(lead, st)
            return False
        yield self.env.timeout(end - now)
        if lead is None:
            self._prospected(st, person, base, f)
        else:
            self._complete(lead, st, person, f)
        return True

    def _start(self, lead: Lead, person: PersonRt, now: float) -> None:
        if lead.contacted < 0:
            lead.contacted = now
            lead.deadline = INF
            lead.by = person
            self.tally.contact(lead, now)

    def _account(self, person: PersonRt, st: StageRt, start: float, end: float,
                 hours: float) -> None:  # fmt: skip
        if person.limited:
            person.week_hours += hours
            person.stage_week[st.index] = person.stage_week.get(st.index, 0.0) + hours
        lo, hi = max(start, self.warmup), min(end, self.horizon, person.leaves)
        if hi > lo:
            cal = person.cal
            worked = cal.worked(hi) - cal.worked(lo)
            person.busy_hours += worked
            person.hours_by_stage[st.name] = person.hours_by_stage.get(st.name, 0.0) + worked
            self.tally.busy(person.role, lo, hi, worked, cal.segments)

    def _complete(self, lead: Lead, st: StageRt, person: PersonRt, f: float) -> None:
        counted = lead.counted
        if counted:
            st.worked += 1
        person.attempts += 1
        p = self.productivity.success(person, st, f)
        if lead.repeat:
            u = self._repeat_u()
        elif lead.tries == 0:
            u = lead.u[st.index]
        else:
            u = st.retry_rng.random()  # type: ignore[union-attr]
        if u < p:
            person.successes += 1
            if counted:
                st.succeeded += 1
                st.daily_succeeded[int(self.env.now // 24)] += 1
            self._advance(lead, st, person)
        elif lead.tries < st.attempts and not lead.repeat:
            lead.tries += 1
            self._enter(lead, st, retry=True, by=person)
        else:
            self._end(lead, "rejected", self.env.now, person)

    def _repeat_u(self) -> float:
        return float(self.customers.rng.random())

    def _advance(self, lead: Lead, st: StageRt, person: PersonRt) -> None:
        lead.tries = 0
        if st.next != WON and not lead.repeat:
            self._enter(lead, self.stages[st.next], by=person)
            return
        now = self.env.now
        if not lead.repeat:
            person.deals += 1
            person.revenue += lead.value
            team = lead.team or [person]
            for member in team:
                self._credit(member, lead.value / len(team), now, lead.counted)
            source = lead.by
            if source is not None and lead.counted:
                share = source.sourcing_rate
                source.commission += lead.value * share
                self.tally.daily_commission[int(now // 24)] += lead.value * share
            self.customers.won(person, lead.value)
        self._end(lead, "won", now, person)

    # --- run ------------------------------------------------------------------------------
    def run(self) -> Tally:
        self.env.run(until=self.horizon)
        for lead in list(self.open.values()):
            if lead.contacted < 0 and lead.deadline <= self.horizon:
                if lead.at >= 0:
                    self._waited(lead, self.stages[lead.at], lead.deadline)
                self._end(lead, "cold", lead.deadline)
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
                    self.lead_log.append(self._log_row(lead, "open", self.horizon, None, 0.0))
        self.tally.finish(self.staffing, self.customers)
        return self.tally


def simulate(scenario: Scenario, streams: Streams, trace: list[TraceRow] | None = None,
             lead_log: list[dict[str, Any]] | None = None) -> Tally:  # fmt: skip
    """Run one replication of `scenario` and return its counters (and fill `lead_log`)."""
    return Simulation(scenario, streams, trace, lead_log).run()


__all__ = ["Lead", "Simulation", "StageRt", "Tally", "TraceRow", "simulate"]
