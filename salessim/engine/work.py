"""How a person works: the time and success of a piece of work, and when they prospect.

`Productivity` gives the hours a person needs for a stage and their chance of success there;
`Prospecting` decides whether a person who reaches a prospecting stage in their priority list
prospects, and how many leads a session finds. Today's rules are the defaults; a different
productivity model (learning by doing, fatigue) or prospecting policy (only when the pipeline
is thin) is a subclass given to the simulation.

The definitions (docs/modelling.md, "Productivity and skill"): a person's productivity factor
`f` (ramp-up times notice effort) acts on time only, so at f a person finishes f as much work in
an hour; their skill (`success` multiplier) acts once per lead, on the first stage they work on
it, so of the leads they take on they carry about `skill` as many through their part.
"""

from __future__ import annotations

from collections.abc import Callable

from salessim.engine.records import PersonRt, StageRt
from salessim.scenario.models import MIN_SESSION_HOURS


class Productivity:
    """Today's model: work time is the stage's draw times the person's `work_time`, divided by
    their ramp-up and notice factor `f`; success is the stage's, times the person's skill on
    the first stage they work on the lead."""

    def hours(self, person: PersonRt, st: StageRt, now: float) -> tuple[float, float]:
        """(base hours, hours needed at `now`) for one piece of work at `st`."""
        base = st.work() * person.work_time
        if st.prospecting:
            base = max(base, MIN_SESSION_HOURS)
        return base, base * person.focus / person.productivity(now)

    def success(self, person: PersonRt, st: StageRt, skilled: bool) -> float:
        """Chance that the work succeeds: the stage's, times the person's skill if `skilled`
        (this is the first stage they work on the lead)."""
        return st.success * person.success if skilled else st.success


class LearningProductivity(Productivity):
    """Learning by doing (`workforce.learning`): each task at a stage is the person's n-th
    there (counting their prior experience), and its time (and, if set, its success) follows
    the role's experience curve, `Learning.factors(n)`."""

    def hours(self, person: PersonRt, st: StageRt, now: float) -> tuple[float, float]:
        base, hours = Productivity.hours(self, person, st, now)
        done = person.done.get(st.index, person.prior_tasks)
        person.done[st.index] = done + 1
        return base, hours * person.wf.learning.time_factor(done)

    def success(self, person: PersonRt, st: StageRt, skilled: bool) -> float:
        p = Productivity.success(self, person, st, skilled)
        learning = person.wf.learning
        if learning.success_rate == 1.0:
            return p
        return p * learning.success_factor(person.done.get(st.index, person.prior_tasks) - 1)


class Prospecting:
    """Today's policy: a person prospects whenever their priority list reaches a prospecting
    stage (so in every working hour nothing else is waiting); a session of `base` hours (which
    takes base / f hours at productivity f) finds a Poisson number of leads with mean
    leads_per_hour x base hours x skill."""

    def wants(self, person: PersonRt, st: StageRt, now: float) -> bool:
        return True

    def urgent(self, person: PersonRt, st: StageRt, now: float) -> bool:
        """Whether prospecting at `st` comes before any other work now (a pipeline rule)."""
        return False

    def found(self, st: StageRt, person: PersonRt, base_hours: float) -> int:
        rng = st.prospect_rng
        assert rng is not None
        mean = st.leads_per_hour * base_hours * person.success
        return int(rng.poisson(mean)) if mean > 0 else 0


class PipelineProspecting(Prospecting):
    """Prospecting by a rule on the pipeline (`prospect_while`): while a person's pipeline from
    the rule's stage on holds fewer leads than its threshold (the leads waiting at those
    stages, in the team's queue and their own, and the meetings booked with them), prospecting
    comes before any other work, up to the rule's hours a day; otherwise it keeps its place in
    the priority list (idle time). So a thin pipeline gets more cold calls, a full one fewer."""

    def __init__(self, stages: list[StageRt], clock: Callable[[], float]) -> None:
        self.stages = stages
        self.clock = clock
        self.today: dict[PersonRt, tuple[int, float]] = {}  # person -> (day, hours prospected)

    def urgent(self, person: PersonRt, st: StageRt, now: float) -> bool:
        day, hours = self.today.get(person, (-1, 0.0))
        if day == int(now // 24) and hours >= st.rule_hours:
            return False
        pipeline = person.pending
        for later in self.stages[st.rule_from :]:
            pipeline += len(later.queue) + len(person.personal.get(later.index, ()))
            if pipeline >= st.rule_below:
                return False
        return True

    def found(self, st: StageRt, person: PersonRt, base_hours: float) -> int:
        if st.rule_from >= 0:
            day = int(self.clock() // 24)
            before, hours = self.today.get(person, (day, 0.0))
            self.today[person] = (day, (hours if before == day else 0.0) + base_hours)
        return super().found(st, person, base_hours)
