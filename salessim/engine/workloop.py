"""A person's work loop: wait for working time and weekly budget, pick the highest-priority work,
do it (hours from the productivity model, switching overhead), account the hours, sleep until
woken. A lead that comes for an idle person starts their work at once (`hand`): they are woken
when it ends, so an idle person costs one SimPy event per piece of work, like a busy one.

One of the parts of `simulation.Simulation` (a mixin: the methods run on the simulation itself,
so the hot path pays no extra indirection); `wiring.Wired` names what they may use of it.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import simpy

from salessim.engine.records import Lead, PersonRt, StageRt, Wake

if TYPE_CHECKING:
    from salessim.engine.wiring import Wired

INF = math.inf
WEEK = 168.0


class WorkLoop:
    """Each person's SimPy process."""

    def wake(self: Wired, person: PersonRt) -> None:
        ev = self._woken(person)
        if ev is not None:
            ev.succeed()

    def _woken(self: Wired, person: PersonRt) -> Wake | None:
        """The person's wake-up, if they are asleep; they are no longer idle."""
        ev = person.wake
        if ev is None:
            return None
        person.wake = None
        for st in person.stages:
            st.idle.pop(person, None)
        return ev

    def hand(self: Wired, person: PersonRt, now: float) -> None:
        """A lead came for `person`: if they are asleep and may work now, they start their next
        piece of work (which is that lead unless something more urgent is waiting) and wake when
        it ends; if they may not work now, they wake to see when they may."""
        if person.wake is None:
            return
        if not self._may_work(person, now):
            self.wake(person)
            return
        ev = self._woken(person)
        assert ev is not None
        lead, st = self._pick(person, now)
        if st is None:  # nothing for them after all (the lead had gone cold): they look again
            ev.succeed()
            return
        end, base = self._begin(person, lead, st, now)
        resume = self._resume_at(person, end)
        if resume < INF:
            ev.after(resume - now, (lead, st, end, base))

    def _may_work(self: Wired, person: PersonRt, now: float) -> bool:
        """Within working time and, with a weekly time share, with room left in it."""
        cal = person.cal
        if not cal.always_open and cal.next_open(now) > now:
            return False
        if not person.limited or self.scenario.roles[person.role].time_share >= 1:
            return True
        return self._week_open(person, None, now)

    def _resume_at(self: Wired, person: PersonRt, end: float) -> float:
        """When a person who started work ending at `end` looks again: at its end, if inside
        the run; else when they leave, if before the end of the run (the work is handed on);
        else never."""
        if end < self.horizon:
            return end
        return person.leaves if person.leaves < self.horizon else INF

    def _sleep(self: Wired, person: PersonRt, close: float) -> Wake:
        ev = Wake(self.env)
        person.wake = ev
        for st in person.stages:
            st.idle[person] = None
        if close < INF and person.timer_at != close:
            person.timer_at = close
            self.at(close, lambda: self.wake(person))
        return ev

    def _week_open(self: Wired, person: PersonRt, st: StageRt | None, now: float) -> bool:
        """Whether the person's weekly time share (overall, or for `st`) has room left."""
        week = int(now // WEEK)
        if week != person.week:
            self._new_week(person, week)
        role = self.scenario.roles[person.role]
        if st is None:
            return person.week_hours < role.time_share * person.week_cap
        share = role.max_share.get(st.name)
        return share is None or person.stage_week.get(st.index, 0.0) < share * person.week_cap

    def _new_week(self: Wired, person: PersonRt, week: int) -> None:
        """Start the week's budgets; hours a task ran over a past week's cap count against the
        following weeks, so the realised share over a year stays within the cap."""
        role = self.scenario.roles[person.role]
        cal = person.cal
        caps = {-1: role.time_share}
        caps.update({st.index: role.max_share[st.name] for st in person.stages
                     if st.name in role.max_share})  # fmt: skip
        used = {-1: person.week_hours, **person.stage_week}
        over = {i: 0.0 for i in caps}
        if person.week >= 0:
            over = {i: used.get(i, 0.0) - share * person.week_cap for i, share in caps.items()}
        w = person.week + 1
        while w < week and any(v > 0 for v in over.values()):
            hours = cal.worked((w + 1) * WEEK) - cal.worked(w * WEEK)
            over = {i: v - caps[i] * hours for i, v in over.items()}
            w += 1
        person.week = week
        person.week_cap = cal.worked((week + 1) * WEEK) - cal.worked(week * WEEK)
        person.week_hours = max(over[-1], 0.0)
        person.stage_week = {i: v for i, v in over.items() if i >= 0 and v > 0}

    def _pick(self: Wired, person: PersonRt, now: float) -> tuple[Lead | None, StageRt | None]:
        shares = person.shares
        for st in person.ruled:  # a thin pipeline puts prospecting first (`prospect_while`)
            if (not shares or self._week_open(person, st, now)) and self.prospecting.urgent(
                person, st, now
            ):
                return None, st
        for st in person.stages:
            if shares and not self._week_open(person, st, now):
                continue
            if st.prospecting:
                if self.prospecting.wants(person, st, now):
                    return None, st
                continue
            personal = person.personal[st.index]
            lead = self._pop(personal, st, now) if personal else None
            if lead is None and st.queue:
                lead = self._pop(st.queue, st, now)
            if lead is not None:
                return lead, st
        return None, None

    def _person(self: Wired, person: PersonRt) -> Generator[simpy.Event, Any, None]:
        env = self.env
        limited = self.scenario.roles[person.role].time_share < 1
        if person.hired > env.now:
            yield env.timeout(person.hired - env.now)
        now = env.now  # read again after every yield, and only then: the steps between are instant
        while not person.gone:
            cal = person.cal
            if not cal.always_open:
                nxt = cal.next_open(now)
                if nxt > now:
                    if nxt >= self.horizon:
                        return
                    yield env.timeout(nxt - now)
                    now = env.now
                    continue
            if limited and not self._week_open(person, None, now):
                yield env.timeout((person.week + 1) * WEEK - now)
                now = env.now
                continue
            lead, st = self._pick(person, now)
            if st is None:
                work = yield self._sleep(person, INF if cal.always_open else cal.close_after(now))
                now = env.now
                if work is None:
                    continue
                lead, st, end, base = work  # started by `hand` when a lead came
            else:
                end, base = self._begin(person, lead, st, now)
                resume = self._resume_at(person, end)
                if resume == INF:
                    return
                yield env.timeout(resume - now)
                now = env.now
            if end >= self.horizon:  # not finished in the run: they left, so it is handed on
                if lead is not None:
                    lead.missed = None
                    self._enqueue(lead, st, now)
                return
            if lead is None:
                self._prospected(st, person, base)
            elif lead.missed is not None:
                self._missed(lead, st, person)
            else:
                self._complete(lead, st, person, now)

    def _begin(self: Wired, person: PersonRt, lead: Lead | None, st: StageRt,
               now: float) -> tuple[float, float]:  # fmt: skip
        """Start one piece of work: its hours (productivity, reminder or no-show, switching),
        accounted; returns (when it ends, its base hours)."""
        missed = lead.missed if lead is not None else None
        if missed is None:
            base, hours = self.productivity.hours(person, st, now)
            if st.reminded and lead is not None and lead.tries == 0 and not lead.repeat:
                hours += st.reminder_hours
        else:
            trip = st.no_show_cost() if missed == "no_show" and st.no_show_cost else 0.0
            base = hours = st.reminder_hours + trip
        if person.last_stage != st.index:
            if person.last_stage >= 0:
                switch = person.switch
                if switch is None:
                    hours += person.overhead
                else:
                    hours += switch.get((person.last_stage, st.index), person.overhead)
            person.last_stage = st.index
        if lead is not None:
            self._start(lead, person, now)
            if missed is None and person not in lead.team:
                lead.team[person] = st.index
        end = person.cal.finish(now, hours)
        self._account(person, st, now, end, hours)
        if self.trace is not None:
            self.trace.append(
                ("work", person.name, st.name, lead.id if lead else -1, now, end, hours)
            )
        person.busy_until = end
        return end, base

    def _account(self: Wired, person: PersonRt, st: StageRt, start: float, end: float,
                 hours: float) -> None:  # fmt: skip
        if person.limited:
            person.week_hours += hours
            person.stage_week[st.index] = person.stage_week.get(st.index, 0.0) + hours
        lo = start if start > self.warmup else self.warmup
        hi = end if end < self.horizon else self.horizon
        if hi > person.leaves:
            hi = person.leaves
        if hi > lo:
            cal = person.cal
            worked = hi - lo if cal.always_open else cal.worked(hi) - cal.worked(lo)
            person.busy_hours += worked
            person.hours_by_stage[st.name] = person.hours_by_stage.get(st.name, 0.0) + worked
            day = int(lo // 24)
            if hi <= (day + 1) * 24:  # within one day: the common case
                person.busy_days[day] += worked
            else:
                self.tally.busy(person.role, lo, hi, cal)
