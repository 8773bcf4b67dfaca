"""People over time: who is employed, present and how productive, and when that changes.

A `records.PersonRt` is the running state of one occupant of a seat (`designer[1]`);
`Staffing` creates occupants, draws their absences and resignation dates, applies scheduled
events, hires replacements after a delay, runs probation and hands their leads and customers
over when they leave. A person's availability is a `WorkCalendar` (their role's calendar,
limited to their employment, minus absences), so the work arithmetic never schedules work while
they are away. The work loop itself lives in `simulation`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from salessim.engine.calendar import WorkCalendar, merge_intervals, restricted
from salessim.engine.records import PersonRt
from salessim.scenario.workforce import Event, Workforce

if TYPE_CHECKING:
    from salessim.engine.context import Engine
    from salessim.scenario.distributions import FloatArray

INF = math.inf
YEAR_HOURS = 365 * 24.0
MONTH_HOURS = YEAR_HOURS / 12  # the months of bonus targets (outcomes.MONTH_HOURS)
WEEK_HOURS = 168.0


def draw_absences(
    wf: Workforce, rng: np.random.Generator, start: float, end: float
) -> list[tuple[float, float]]:
    """Vacation blocks and sick episodes in [start, end), in hours, sorted and disjoint.

    Each is an alternating renewal process (an absence, then an exponential gap), so absences
    never overlap and the expected days per year are the entered ones: vacations first, then
    sickness in the time left between them (an episode that reaches a vacation goes on after it).
    """
    span = end - start
    if span <= 0:
        return []
    vacation_days = wf.vacation_days_per_year
    block = wf.vacation_block_days * 24

    def blocks(n: int) -> FloatArray:
        return np.full(n, block)

    holes = _renewal(rng, start, end, vacation_days / 365, block, blocks)
    if wf.sick_days_per_year > 0:
        share = wf.sick_days_per_year / max(365 - vacation_days, 1e-9)
        free = restricted(WorkCalendar([(start, end)]), start, end, holes)
        episodes = wf.sick_episode_days
        mean_hours = episodes.mean * 24

        def lengths(n: int) -> FloatArray:
            return episodes.sample(rng, n) * 24

        for a, b in _renewal(rng, 0.0, free.worked(end), share, mean_hours, lengths):
            holes += free.segments(free.at_worked(a), free.at_worked(b))
    return merge_intervals(holes)


def _renewal(
    rng: np.random.Generator,
    start: float,
    end: float,
    share: float,
    mean_hours: float,
    lengths: Callable[[int], FloatArray],
) -> list[tuple[float, float]]:
    """Absences of `lengths` hours separated by exponential gaps, covering `share` of the time
    on average; started a year early so that [start, end) begins in the steady state."""
    if share < 1e-9:
        return []
    if share >= 1:
        return [(start, end)]
    gap = mean_hours * (1 - share) / share
    t = start - YEAR_HOURS - rng.exponential(gap)
    out: list[tuple[float, float]] = []
    n = max(int((end - t) / (mean_hours + gap) * 1.2) + 8, 8)
    while t < end:
        for a, b in zip(lengths(n).tolist(), rng.exponential(gap, n).tolist(), strict=True):
            if t >= end:
                break
            if t + a > start:
                out.append((max(t, start), min(t + a, end)))
            t += a + b
    return out


def parse_seat(ref: str) -> tuple[str, int] | None:
    """`designer[1]` -> ("designer", 1); anything else -> None."""
    if ref.endswith("]") and "[" in ref:
        role, _, index = ref[:-1].partition("[")
        if index.isdigit():
            return role, int(index)
    return None


class SeatEvents:
    """Scheduled events sorted by seat: (role, seat) -> [(hour, action, days, first_only)]."""

    def __init__(self, events: list[Event], names: dict[str, tuple[str, int]]) -> None:
        self.by_seat: dict[tuple[str, int], list[tuple[float, str, float, bool]]] = {}
        self.hires: list[tuple[float, Event]] = []
        for ev in events:
            t = ev.day * 24
            if ev.action == "hire":
                self.hires.append((t, ev))
                continue
            seat = parse_seat(ev.person)
            first_only = seat is None
            seat = seat or names.get(ev.person)
            if seat is not None:
                item = (t, ev.action, (ev.days or 0.0) * 24, first_only)
                self.by_seat.setdefault(seat, []).append(item)

    def apply(self, person: PersonRt) -> None:
        """Set the person's notice, leaving date and fixed absences from the seat's events.

        A resign or leave event applies to the one person in the seat at its time and is then
        used up, so a successor hired at that very moment is not sent away too.
        """
        events = self.by_seat.get((person.role, person.seat), [])
        for item in list(events):
            t, action, hours, first_only = item
            if first_only and person.generation > 0 or not person.hired <= t < person.leaves:
                continue
            if action == "absent":
                person.holes = merge_intervals([*person.holes, (t, t + hours)])
                continue
            events.remove(item)
            _exit(person, action, t)


def _exit(person: PersonRt, action: str, t: float) -> None:
    """A scheduled resignation (with notice) or departure (at once) at `t`."""
    if action == "resign" and t < person.notice_at:
        person.notice_at = t
        person.leaves = t + person.wf.resignation.notice_days * 24
        person.reason = "resigned"
    elif action == "leave":
        person.leaves = t
        person.notice_at = min(person.notice_at, t)
        person.reason = "left"


class Staffing:
    """Creates the people of a simulation and changes them over time."""

    def __init__(self, sim: Engine) -> None:
        self.sim = sim
        sc = sim.scenario
        self.workforce = {role: sc.role_workforce(role) for role in sc.roles}
        names = {
            p.name: (role, i)
            for role, spec in sc.roles.items()
            for i, p in enumerate(spec.people)
            if p.name
        }
        self.events = SeatEvents(sc.events, names)
        self.people: list[PersonRt] = []
        self.seats = {role: spec.headcount for role, spec in sc.roles.items()}
        self.closed: set[tuple[str, int]] = set()  # seats the headcount plan removed
        self.resignations = 0
        self.removals = 0
        self.coaching_hours = 0.0  # coaches' hours spent coaching in the measured window
        self.dismissals = 0
        self.hires = 0
        self.hiring_cost = 0.0

    def start(self) -> None:
        for role, spec in self.sim.scenario.roles.items():
            for seat in range(spec.headcount):
                self.occupy(role, seat, 0.0, generation=0)
        for t, event in self.events.hires:
            self.sim.at(t, partial(self._add_seat, event))
        for role, spec in self.sim.scenario.roles.items():
            for step in sorted(spec.plan, key=lambda s: s.day):
                self.sim.at(step.day * 24, partial(self._plan, role, step.headcount))
            if spec.coaching is not None and self.sim.horizon > MONTH_HOURS:
                self.sim.at(MONTH_HOURS, partial(self._coach_month, role))

    def _coached_each(self, role: str) -> int:
        """How many people each coach of `role` takes on: the span, or fewer if the coached
        roles' seats do not fill every coach's span."""
        roles = self.sim.scenario.roles
        coaching = roles[role].coaching
        assert coaching is not None
        seats = sum(roles[r].headcount for r in coaching.roles if r in roles)
        return min(coaching.span, math.ceil(seats / max(1, roles[role].headcount)))

    def _coach_month(self, role: str) -> None:
        """A month's end: each coach's people (up to the span each, in seat order) gain skill."""
        sim, now = self.sim, self.sim.env.now
        coaching = sim.scenario.roles[role].coaching
        assert coaching is not None
        coaches = [p for p in sim.role_staff[role] if p.employed(now)]
        coached = [p for r in coaching.roles for p in sim.role_staff.get(r, [])
                   if p.employed(now) and p.role != role]  # fmt: skip
        for person in coached[: len(coaches) * coaching.span]:
            if person.success < coaching.max_skill:
                gained = person.success * (1 + coaching.skill_gain_per_month)
                person.success = min(gained, coaching.max_skill)
        if now + MONTH_HOURS < sim.horizon:
            sim.at(now + MONTH_HOURS, partial(self._coach_month, role))

    def _coaching_blocks(self, person: PersonRt) -> None:
        """A coach's weekly coaching hours, at the start of each working week, kept out of
        their working time (counted in staff.coaching_hours)."""
        sim = self.sim
        coaching = sim.scenario.roles[person.role].coaching
        if coaching is None:
            return
        hours = self._coached_each(person.role) * coaching.hours_per_week_each
        if hours <= 0:
            return
        base = sim.seat_calendars.get((person.role, person.seat), sim.role_calendars[person.role])
        end = min(person.leaves, sim.horizon)
        week = int(person.hired // WEEK_HOURS)
        while week * WEEK_HOURS < end:
            start = base.next_open(max(week * WEEK_HOURS, person.hired))
            if start < min((week + 1) * WEEK_HOURS, end):
                block = (start, base.finish(start, hours))
                person.coaching.append(block)
                if sim.warmup <= start:
                    self.coaching_hours += hours
            week += 1

    def _plan(self, role: str, headcount: int) -> None:
        """A step of the headcount plan: hire into new seats, or close the newest seats."""
        now = self.sim.env.now
        seats = [s for s in range(self.seats[role]) if (role, s) not in self.closed]
        for _ in range(headcount - len(seats)):
            self.seats[role] += 1
            self.occupy(role, self.seats[role] - 1, now, generation=1)
        for seat in seats[headcount:]:
            self.closed.add((role, seat))
            for person in list(self.sim.role_staff[role]):
                if person.seat == seat:
                    self._remove(person)

    def _remove(self, person: PersonRt) -> None:
        """The person's seat is closed: they leave once their task in hand is done."""
        now = self.sim.env.now
        if person.leaves <= now:
            return
        person.leaves = max(now, person.busy_until)
        person.notice_at = min(person.notice_at, person.leaves)
        person.reason = "removed"
        self._build_calendar(person)
        self.sim.at(person.leaves, lambda: self.leave(person))

    def _add_seat(self, event: Event) -> None:
        role = event.person
        seat = self.seats[role]
        self.seats[role] += 1
        person = self.occupy(role, seat, self.sim.env.now, generation=1, skill=event.success)
        if person is not None:
            person.work_time = event.work_time

    def occupy(self, role: str, seat: int, hired: float, generation: int,
               skill: float | None = None) -> PersonRt | None:  # fmt: skip
        """Put a new person in a seat from `hired` on (veterans at hour 0, as entered; hires
        ramp up, with `skill` or one drawn from the role's `hire_skill`)."""
        sim = self.sim
        if hired >= sim.horizon or (role, seat) in self.closed:
            return None
        wf = self.workforce[role]
        spec = sim.scenario.roles[role]
        given = spec.people[seat] if generation == 0 and seat < len(spec.people) else None
        base = (given.name if given and given.name else None) or f"{role}[{seat}]"
        name = base if generation == 0 else f"{base}#{generation}"
        person = PersonRt(name, role, seat, hired, wf)
        person.generation = generation
        if given is not None:
            person.work_time, person.success = given.work_time, given.success
            if given.resignation_rate is not None:
                person.resignation_rate = given.resignation_rate
            if given.tenure_days is not None and given.tenure_days < wf.ramp_up.days:
                person.ramp = wf.ramp_up  # still ramping up on day 0
                person.ramp_from = hired - given.tenure_days * 24
        person.resignation_rate *= self._pay_factor(role)
        if generation > 0:
            person.ramp = wf.ramp_up
            person.success = self._hire_skill(person) if skill is None else skill
            if hired >= sim.warmup:
                self.hires += 1
                self.hiring_cost += wf.resignation.hiring_cost
                sim.pay_hiring(hired, wf.resignation.hiring_cost)
        self._draw_tenure(person, given.vacations if given else [])
        self.people.append(person)
        sim.add_person(person)
        sim.person_joined(person)
        return person

    def _pay_factor(self, role: str) -> float:
        """(market pay / pay) ** pay_elasticity: the resignation rate's response to pay."""
        spec, res = self.sim.scenario.roles[role], self.workforce[role].resignation
        market = spec.market_salary_month
        if res.pay_elasticity <= 0 or market is None or spec.salary_month <= 0:
            return 1.0
        return float((market / spec.salary_month) ** res.pay_elasticity)

    def _bonus_month(self, person: PersonRt) -> None:
        """At a month's end: a person who missed the bonus target that month resigns during the
        next month with the extra rate (bonus_miss_factor - 1) x their rate, unless they were
        going to resign sooner anyway (the extra hazard is a competing risk, drawn afresh each
        month, so a month on target removes it)."""
        sim, now = self.sim, self.sim.env.now
        if person.gone or now >= person.notice_at:
            return
        bonus = sim.scenario.roles[person.role].bonus
        res = person.wf.resignation
        month = round(now / MONTH_HOURS) - 1
        credited = now > sim.warmup  # revenue is credited from the warm-up on
        if credited and bonus is not None and person.monthly.get(month, 0.0) < bonus.monthly_target:
            role = sim.role_index[person.role]
            rng = sim.streams(f"bonus_quit.{role}[{person.seat}].{person.generation}.{month}")
            extra = person.resignation_rate * (res.bonus_miss_factor - 1)
            t = now + float(rng.exponential(YEAR_HOURS / extra))
            if t < now + MONTH_HOURS and t < person.notice_at:
                self._resign_at(person, t)
                return
        if now + MONTH_HOURS < min(person.leaves, sim.horizon):
            sim.at(now + MONTH_HOURS, lambda: self._bonus_month(person))

    def _resign_at(self, person: PersonRt, t: float) -> None:
        """The person hands in their notice at `t`, sooner than drawn at hire."""
        res, sim = person.wf.resignation, self.sim
        person.notice_at = t
        person.leaves = t + res.notice_days * 24
        person.reason = "resigned"
        self._build_calendar(person)
        if person.leaves < sim.horizon:
            sim.at(person.leaves, lambda: self.leave(person))
        if res.replace and res.hire_from == "letter" and t < sim.horizon:
            sim.at(t, lambda: self._replace(person))

    def _hire_skill(self, person: PersonRt) -> float:
        """A new hire's skill, from its own stream (so probation on or off, the same people)."""
        sim = self.sim
        rng = sim.streams(f"skill.{sim.role_index[person.role]}[{person.seat}].{person.generation}")
        return float(person.wf.hire_skill.sample(rng, 1)[0])

    def _draw_tenure(self, person: PersonRt, vacations: list[Any]) -> None:
        sim = self.sim
        rng = sim.streams(
            f"people.{sim.role_index[person.role]}[{person.seat}].{person.generation}"
        )
        wf = person.wf
        if person.resignation_rate > 0:
            person.notice_at = person.hired + rng.exponential(YEAR_HOURS / person.resignation_rate)
            person.leaves = person.notice_at + wf.resignation.notice_days * 24
            person.reason = "resigned"
        end = min(person.leaves, sim.horizon)
        holes = draw_absences(wf, rng, person.hired, end)
        start = sim.scenario.calendar.start
        for v in vacations:
            t = (v.start - start).days * 24.0
            holes.append((t, t + v.days * 24))
        person.holes = merge_intervals(holes)
        self._coaching_blocks(person)
        self.events.apply(person)
        self._build_calendar(person)
        self._schedule(person)

    def _build_calendar(self, person: PersonRt) -> None:
        sim = self.sim
        base = sim.seat_calendars.get((person.role, person.seat), sim.role_calendars[person.role])
        off = merge_intervals(person.holes + person.coaching) if person.coaching else person.holes
        person.cal = restricted(base, person.hired, person.leaves, off)
        person.available_hours = person.cal.worked(sim.horizon) - person.cal.worked(sim.warmup)

    def _schedule(self, person: PersonRt) -> None:
        sim = self.sim
        if person.leaves < sim.horizon:
            sim.at(person.leaves, lambda: self.leave(person))
        if person.wf.handover == "team":
            for a, _ in person.holes:
                if person.hired <= a < min(person.leaves, sim.horizon):
                    sim.at(a, lambda: sim.hand_over(person))
        res = person.wf.resignation
        if res.replace and res.hire_from == "letter" and person.notice_at < sim.horizon:
            sim.at(person.notice_at, lambda: self._replace(person))
        bonus = sim.scenario.roles[person.role].bonus
        if res.bonus_miss_factor > 1 and bonus is not None and person.resignation_rate > 0:
            month_end = (math.floor(person.hired / MONTH_HOURS) + 1) * MONTH_HOURS
            if month_end < min(person.leaves, sim.horizon):
                sim.at(month_end, lambda: self._bonus_month(person))
        probation = person.wf.probation
        if probation is not None and person.generation > 0:
            check = person.hired + probation.days * 24
            if check < min(person.leaves, sim.horizon):
                sim.at(check, lambda: self._probation(person))

    def _probation(self, person: PersonRt) -> None:
        """Let the hire go if their successes, on the attempts where their skill counted, fall
        short of `min_relative` times an average person's expected successes on them."""
        rule = person.wf.probation
        if rule is None or person.gone or person.judged < rule.min_attempts:
            return
        if person.judged_successes < rule.min_relative * person.expected:
            now = self.sim.env.now
            person.leaves = max(now, person.busy_until)
            person.notice_at = min(person.notice_at, person.leaves)
            person.reason = "dismissed"
            self._build_calendar(person)
            self.sim.at(person.leaves, lambda: self.leave(person))

    def leave(self, person: PersonRt) -> None:
        """The person is gone: hand over leads and customers, open the seat for a replacement."""
        if person.gone or self.sim.env.now < person.leaves:
            return
        sim = self.sim
        person.gone = True
        if sim.env.now >= sim.warmup:
            if person.reason == "dismissed":
                self.dismissals += 1
            elif person.reason == "removed":
                self.removals += 1
            else:
                self.resignations += 1
        sim.hand_over(person, leaving=True)
        sim.person_left(person)
        sim.wake(person)
        if person.wf.resignation.replace and not person.replaced:
            self._replace(person)

    def _replace(self, person: PersonRt) -> None:
        """Hire the person's successor after the role's hiring delay (from now: the letter or
        the departure)."""
        if person.replaced or (person.role, person.seat) in self.closed:
            return
        person.replaced = True
        sim = self.sim
        role = sim.role_index[person.role]
        rng = sim.streams(f"hire.{role}[{person.seat}].{person.generation}")
        delay = float(person.wf.resignation.hire_days.sample(rng, 1)[0]) * 24
        start = sim.env.now + delay
        sim.at(start, lambda: self.occupy(person.role, person.seat, start, person.generation + 1))
