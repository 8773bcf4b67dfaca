"""Where a lead waits: entering a stage (booked with someone by the router, or after a retry
delay), the team and personal queues, hand-overs, and leads that go cold or do not show up.

One of the parts of `simulation.Simulation` (a mixin: the methods run on the simulation itself,
so the hot path pays no extra indirection); `wiring.Wired` names what they may use of it.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING

from salessim.engine.records import Lead, PersonRt, StageRt

if TYPE_CHECKING:
    from salessim.engine.wiring import Wired

INF = math.inf


class Queues:
    """Leads waiting for work."""

    def _enter(self: Wired, lead: Lead, st: StageRt, now: float, retry: bool = False,
               by: PersonRt | None = None, residual: float = 1.0,
               start_now: bool = False) -> None:  # fmt: skip
        """The lead enters `st` (or tries it again, `retry`); `start_now` as in `_enqueue`."""
        if lead.path is not None:
            lead.path.append((st.name, now))
        if retry:
            delay_hours = st.retry_delay() * 24
            target = by
        else:
            if lead.counted:
                st.daily_entered[int(now // 24)] += 1
                if lead.in_stage >= 0:  # the time it spent in the stage it leaves
                    self.stages[lead.in_stage].times_hours.append(now - lead.since)
                lead.since, lead.in_stage = now, st.index
            if st.plain:
                self._enqueue(lead, st, now, start_now=start_now)
                return
            delay_hours = st.delay() * 24 * residual if st.delay is not None else 0.0
            if st.routing is not None:
                target = self.router.assign(st, lead, by, self.sources[lead.source], now)
            else:
                target = self.router.book(st, by, now) if st.delay is not None else None
            if st.patience is not None:
                lead.deadline = min(lead.deadline, now + st.patience())
        booked = not retry and st.delay is not None
        if delay_hours:
            self.at(now + delay_hours, lambda: self._deliver(lead, st, target, booked, True))
        else:
            self._deliver(lead, st, target, booked, start_now)

    def _deliver(self: Wired, lead: Lead, st: StageRt, target: PersonRt | None, booked: bool,
                 start_now: bool) -> None:  # fmt: skip
        """A booked or retried lead becomes workable after its delay."""
        if booked and target is not None:
            target.pending -= 1
        self._enqueue(lead, st, self.env.now, target, start_now)

    def _enqueue(self: Wired, lead: Lead, st: StageRt, now: float,
                 target: PersonRt | None = None, start_now: bool = False) -> None:  # fmt: skip
        """The lead waits for `target` (if they can take it) or the stage's team, and wakes an
        idle person who can work it. With `start_now` the caller does nothing more in this SimPy
        step (a lead source's arrival, the end of a delay), so that person starts at once
        (`hand`): the same as waking them, one event fewer. Otherwise (work another person's
        task produced, leads entering in a batch) they wake after the step, so the person who
        finished, or the whole batch, comes first."""
        lead.queued = now
        if (
            target is not None
            and target.employed(now)
            and (target.wf.handover == "wait" or target.present(now))
        ):
            target.personal[st.index].append(lead)
            lead.at = st.index
            if start_now:
                self.hand(target, now)
            else:
                self.wake(target)
            return
        st.queue.append(lead)
        lead.at = st.index
        for person in st.idle:
            if not person.shares or self._week_open(person, st, now):
                if start_now:
                    self.hand(person, now)
                else:
                    self.wake(person)
                break

    def hand_over(self: Wired, person: PersonRt, leaving: bool = False) -> None:
        """Move the leads booked with `person` to their team's queues; when they leave, each
        may leave with them instead (`customers.deals_follow_owner_on_exit`)."""
        follow = self.scenario.customers.deal_follow_probability if leaving else 0.0
        now = self.env.now
        for index, queue in person.personal.items():
            st = self.stages[index]
            while queue:
                lead = queue.popleft()
                if follow and not lead.repeat and self.follow_rng.random() < follow:
                    self._waited(lead, st, now)
                    self._end(lead, "followed", now, person)
                else:
                    self._enqueue(lead, st, now)

    def _pop(self: Wired, queue: deque[Lead], st: StageRt, now: float) -> Lead | None:
        while queue:
            lead = queue.popleft()
            if lead.deadline < now:
                self._waited(lead, st, lead.deadline)
                self._end(lead, "cold" if lead.contacted < 0 else "left", lead.deadline)
                continue
            if st.no_show and lead.tries == 0 and not lead.repeat and self._no_show(lead, st):
                rng = st.reminder_rng
                if rng is not None:  # the person finds out at a cost: a reminder or a trip
                    caught = st.reminded and rng.random() < st.catches
                    lead.missed = "cancel" if caught else "no_show"
                    self._waited(lead, st, now)
                    return lead
                if lead.counted:
                    st.no_shows += 1
                self._end(lead, "no_show", now)
                continue
            self._waited(lead, st, now)
            return lead
        return None

    def _no_show(self: Wired, lead: Lead, st: StageRt) -> bool:
        if lead.rebooked == st.index:
            return bool(st.reminder_rng.random() < st.no_show)  # type: ignore[union-attr]
        return lead.u[len(self.stages) + st.index] < st.no_show

    def _missed(self: Wired, lead: Lead, st: StageRt, person: PersonRt) -> None:
        """After the reminder (and for a no-show, the wasted trip): lost, or booked again."""
        cancelled, lead.missed = lead.missed == "cancel", None
        if cancelled and st.reminder_rng.random() < st.reschedules:  # type: ignore[union-attr]
            lead.rebooked = st.index
            self._enter(lead, st, self.env.now, by=person)
            return
        if lead.counted:
            st.no_shows += 1
        self._end(lead, "no_show", self.env.now, person)

    def _waited(self: Wired, lead: Lead, st: StageRt, until: float) -> None:
        """Queue time of a lead at a stage, within the measured window."""
        lead.at = -1
        lo = lead.queued if lead.queued > self.warmup else self.warmup
        hi = until if until < self.horizon else self.horizon
        if hi > lo:
            st.wait_hours += hi - lo
        if lead.counted and not lead.repeat:
            st.waits_hours.append(until - lead.queued)
