"""The scenario: a validated, frozen description of one sales department and its market.

This is the static half of the model (like Ciw's `Network`): pydantic models that know nothing of
SimPy. `loader` builds a `Scenario` from YAML; `engine` builds a simulation from a `Scenario` and
trusts it. Cross-checks between sections (every `next` exists, every stage can reach `won`...)
live in `crosscheck`, which works on plain data so it can report problems even when other parts
of the file are broken.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from salessim.scenario.distributions import Distribution, Fixed
from salessim.scenario.workforce import (
    Absence,
    Customers,
    Event,
    Margin,
    Workforce,
    iso_date,
    not_before_start,
)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Probability = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Factor = Annotated[float, Field(ge=0, le=1000, allow_inf_nan=False)]
"""A multiplier or relative weight (a profile's entries)."""
MAX_LEADS_RATE = 1e6  # per day or per hour: times the profiles, still a count numpy can draw
MIN_SESSION_HOURS = 0.05
LAST_START = dt.date(9899, 1, 1)
"""Latest calendar start: the longest horizon (36,600 days) must end before the year 10000."""
MAX_NAME = 80
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class Model(BaseModel):
    """Base of all scenario models: frozen, unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Calendar(Model):
    """Working time. Staff work only inside it; leads arrive around the clock regardless."""

    start: dt.date = Field(
        default=dt.date(2026, 1, 5),
        le=LAST_START,
        description="Date of simulated hour 0 (midnight).",
    )
    workdays: list[Annotated[str, Field(pattern="^(mon|tue|wed|thu|fri|sat|sun)$")]] = Field(
        default=["mon", "tue", "wed", "thu", "fri"],
        description="Days people work: any of mon, tue, wed, thu, fri, sat, sun.",
    )
    hours: tuple[NonNegative, NonNegative] = Field(
        default=(9.0, 18.0),
        description="Working hours [from, to] in hours of the day, 0 <= from < to <= 24.",
    )
    holidays: list[dt.date] = Field(default=[], description="Dates nobody works.")

    @model_validator(mode="after")
    def _hours_in_day(self) -> Calendar:
        start, end = self.hours
        if not 0 <= start < end <= 24:
            raise ValueError(f"hours must satisfy 0 <= from < to <= 24, got [{start}, {end}]")
        return self


class CalendarOverride(Model):
    """A role's own calendar: only the keys given replace the scenario calendar's."""

    workdays: list[Annotated[str, Field(pattern="^(mon|tue|wed|thu|fri|sat|sun)$")]] | None = None
    hours: tuple[NonNegative, NonNegative] | None = None
    holidays: list[dt.date] | None = None


DayOrDate = Annotated[NonNegative, BeforeValidator(not_before_start)]


class SourceChange(Model):
    """A step change of a lead source from a day on (a budget change, a new campaign)."""

    day: DayOrDate = Field(le=36_600, description="Day or date from which it applies.")
    volume: NonNegative = Field(
        default=1.0, le=1000, description="Multiplier of per_day from this day on (0.5 = half)."
    )
    cost_per_lead: NonNegative | None = Field(
        default=None, description="Cost per lead from this day on; none: unchanged."
    )
    spend_per_day: NonNegative | None = Field(
        default=None,
        description="A budget source's spend a day from this day on (its leads follow the "
        "curve); none: unchanged.",
    )


class Budget(Model):
    """Leads bought by a daily marketing spend, with diminishing returns (a Hill curve, as in
    media-mix models): leads a day = max_per_day x s^k / (s^k + h^k), s the spend a day, h
    `half_spend_per_day`, k `shape`. The spend is the cost, whatever the leads it brings."""

    spend_per_day: NonNegative = Field(description="Marketing spend a day (currency).")
    max_per_day: float = Field(
        gt=0,
        le=MAX_LEADS_RATE,
        allow_inf_nan=False,
        description="Leads a day no budget can exceed (the reach of the channel in the market).",
    )
    half_spend_per_day: float = Field(
        gt=0, allow_inf_nan=False, description="Spend a day that buys half of max_per_day."
    )
    shape: float = Field(
        default=1.0,
        gt=0,
        le=10,
        allow_inf_nan=False,
        description="Hill exponent k: 1 = every extra unit of spend buys fewer leads than the "
        "one before; above 1 = S-shaped (spend below a threshold buys little).",
    )

    def leads_per_day(self, spend: float) -> float:
        """Expected leads a day bought by `spend` a day."""
        if spend <= 0:
            return 0.0
        x = (spend / self.half_spend_per_day) ** self.shape
        return self.max_per_day * x / (1 + x)


class LeadSource(Model):
    """A stream of inbound leads: a non-homogeneous Poisson process, 24/7."""

    source: Name = Field(description="Name of the channel (paid_traffic, referrals, showroom...).")
    per_day: NonNegative = Field(
        default=0.0,
        le=MAX_LEADS_RATE,
        description="Mean leads per day on a day whose weekday and month factors are 1 "
        "(required, unless `budget` gives it).",
    )
    budget: Budget | None = Field(
        default=None,
        description="Leads bought by a daily spend with diminishing returns, instead of "
        "`per_day` and `cost_per_lead`.",
    )
    weekday_profile: list[Factor] = Field(
        default=[1.0] * 7,
        min_length=7,
        max_length=7,
        description="Multipliers of per_day for mon..sun (7 numbers).",
    )
    monthly_profile: list[Factor] = Field(
        default=[1.0] * 12,
        min_length=12,
        max_length=12,
        description="Seasonality: multipliers of per_day for jan..dec (12 numbers).",
    )
    hourly_profile: list[Factor] | None = Field(
        default=None,
        min_length=24,
        max_length=24,
        description="Relative arrival intensity for each hour 0..23 of the day; none = even.",
    )
    market_size: int | None = Field(
        default=None, ge=0, description="Total leads this source can ever give; none = unlimited."
    )
    market_saturation: Literal["cliff", "depletion"] = Field(
        default="cliff",
        description="How `market_size` binds: cliff = the full rate until it is used up; "
        "depletion = each lead taken makes the next rarer (the rate times the share of the "
        "market left, so N leads fill as N (1 - e^(-rate x t / N))).",
    )
    patience_hours: Distribution | None = Field(
        default=None,
        description="How long a lead waits for first contact before going cold; none = forever.",
    )
    entry_stage: Name | None = Field(
        default=None,
        description="Stage the lead enters first (a work stage); default: the first stage listed.",
    )
    cost_per_lead: NonNegative = Field(default=0.0, description="Marketing cost per lead.")
    deal_value: Distribution | None = Field(
        default=None, description="Deal value of this source's leads; default: the scenario's."
    )
    trend_per_year: float = Field(
        default=0.0,
        gt=-1,
        le=10,
        allow_inf_nan=False,
        description="Yearly growth of the volume, compounding day by day (0.2: 20% more leads "
        "a year from now; -0.1: 10% fewer).",
    )
    starts: DayOrDate | None = Field(
        default=None, le=36_600, description="Day or date the channel opens; none: from day 0."
    )
    ends: DayOrDate | None = Field(
        default=None, le=36_600, description="Day or date the channel closes; none: never."
    )
    changes: list[SourceChange] = Field(
        default=[], description="Step changes of volume or cost per lead from a day or date on."
    )

    @property
    def level_per_day(self) -> float:
        """Leads a day on a day whose profile factors are 1: `per_day`, or what the budget buys."""
        if self.budget is None:
            return self.per_day
        return self.budget.leads_per_day(self.budget.spend_per_day)

    def open_on(self, day: int) -> bool:
        """Whether the channel brings leads on `day`: from the day `starts` falls in, up to
        (not including) the day `ends` falls in, or the next one when it falls inside a day."""
        after_start = self.starts is None or day >= math.floor(self.starts)
        return after_start and (self.ends is None or day < math.ceil(self.ends))

    def spend_on(self, day: float) -> float:
        """The budget's spend a day on `day`: that of the last change on or before it giving one
        (0 without a budget)."""
        if self.budget is None:
            return 0.0
        spend = self.budget.spend_per_day
        for change in self.changes:
            if change.day <= day and change.spend_per_day is not None:
                spend = change.spend_per_day
        return spend

    def level_on(self, day: float) -> float:
        """`level_per_day` on `day`, after the budget changes up to it."""
        if self.budget is None:
            return self.per_day
        return self.budget.leads_per_day(self.spend_on(day))

    def volume_on(self, day: float) -> float:
        """The volume multiplier on `day`: that of the last step change on or before it."""
        volume = 1.0
        for change in self.changes:
            if change.day <= day:
                volume = change.volume
        return volume

    def cost_on(self, day: float) -> float:
        """The cost per lead on `day`: that of the last change on or before it giving one."""
        cost = self.cost_per_lead
        for change in self.changes:
            if change.day <= day and change.cost_per_lead is not None:
                cost = change.cost_per_lead
        return cost

    @field_validator("changes")
    @classmethod
    def _changes_by_day(cls, changes: list[SourceChange]) -> list[SourceChange]:
        return sorted(changes, key=lambda c: c.day)

    @model_validator(mode="after")
    def _some_hour_open(self) -> LeadSource:
        if self.hourly_profile is not None and sum(self.hourly_profile) <= 0:
            raise ValueError("hourly_profile must have at least one hour above 0")
        return self

    @model_validator(mode="after")
    def _volume_given_once(self) -> LeadSource:
        given = self.model_fields_set
        if self.budget is None:
            if "per_day" not in given:
                raise ValueError("give per_day (mean leads a day) or a budget")
            if any(c.spend_per_day is not None for c in self.changes):
                raise ValueError("a change gives spend_per_day, but the source has no budget")
        elif self.per_day > 0 or self.cost_per_lead > 0:
            raise ValueError("with a budget, leave out per_day and cost_per_lead: the budget "
                             "gives the leads a day and its spend is the cost")  # fmt: skip
        if self.market_saturation == "depletion" and self.market_size is None:
            raise ValueError("market_saturation: depletion needs a market_size")
        return self


class FollowUp(Model):
    """Retry a failed stage: the lead comes back to the same stage after a delay."""

    attempts: int = Field(ge=0, le=20, description="Extra tries after a failure.")
    delay_days: Distribution = Field(
        default_factory=lambda: Fixed(value=1.0), description="Days between tries."
    )


class Routing(Model):
    """Who gets a lead entering the stage. People are named by `role[i]` (seat i, and whoever
    holds it later), by their `name`, or by role (everyone in it)."""

    rule: Literal["shared", "owner", "round_robin", "weighted", "skill"] = Field(
        default="shared",
        description="`shared`: one team queue, the first free person takes the oldest lead "
        "(a booked stage books with the booker or the least booked person); `owner`: the person "
        "who worked the lead's previous stage keeps it; `round_robin`: in turn; `weighted`: in "
        "proportion to `weights`; `skill`: the most skilled person with fewer than `max_waiting` "
        "leads waiting. Except `shared`, each lead is assigned to one person on entry.",
    )
    weights: dict[str, Annotated[float, Field(gt=0, le=1e6)]] = Field(
        default_factory=dict,
        description="`weighted`: share of each person (others 1); `{Anna: 2, Ben: 1}` gives Anna "
        "twice Ben's leads.",
    )
    sources: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Territories: the leads of a source go only to these people (or roles); "
        "sources not listed go to everyone.",
    )
    backup: list[str] = Field(
        default_factory=list,
        description="People who get leads only when every other candidate has at least "
        "`backup_after` leads waiting (a head of sales as back-up closer).",
    )
    backup_after: int = Field(default=3, ge=0, le=10_000, description="See `backup`.")
    max_waiting: int = Field(
        default=3, ge=1, le=10_000, description="`skill`: leads waiting before the next best."
    )

    @property
    def assigns(self) -> bool:
        """Whether leads are assigned to a person on entry (rather than a shared queue)."""
        return self.rule != "shared" or bool(self.sources or self.backup)


class Reminder(Model):
    """A reminder call before each booked piece of work at the stage (a meeting)."""

    hours: NonNegative = Field(
        default=0.1, le=24, description="Working time of one reminder, for every booked lead."
    )
    catches: Probability = Field(
        default=0.5,
        description="Share of would-be no-shows the reminder turns into a cancellation "
        "(no trip wasted).",
    )
    reschedules: Probability = Field(
        default=0.5,
        description="Share of those cancellations that book again (the others are lost).",
    )


class PipelineRule(Model):
    """Prospect by the state of the pipeline: while the person's pipeline from `stage` on holds
    fewer than `below` leads, prospecting comes before any other work, up to `hours_per_day`
    a day; otherwise it keeps its place in the priority list (the idle time). "If many deals
    are near closing but no meetings are booked, make more cold calls; in the opposite case,
    fewer." """

    stage: Name = Field(
        description="First stage counted: the leads waiting there and later (the team's queue "
        "and the person's own), and the meetings booked with the person."
    )
    below: int = Field(ge=1, le=100_000, description="Prospect first while fewer leads than this.")
    hours_per_day: float = Field(
        default=2.0, gt=0, le=24, description="Most hours a day of prospecting put first."
    )


class Branch(Model):
    """Another way out of a stage after success: to `stage` when its conditions hold (the deal
    is worth more than `value_over`, it came from `source`) and a draw falls within `share`."""

    stage: Name = Field(description="Stage the lead goes to instead of `next`, or `won`.")
    share: Probability = Field(
        default=1.0, description="Chance of taking this branch when its conditions hold."
    )
    value_over: NonNegative | None = Field(
        default=None, description="Only deals worth more than this (currency)."
    )
    source: Name | None = Field(default=None, description="Only leads from this source.")


class Stage(Model):
    """A step of the funnel, worked by a person of one of the `by` roles."""

    by: Name | list[Name] = Field(description="Role (or roles) whose people work this stage.")
    kind: Literal["work", "prospecting"] = Field(
        default="work",
        description="`prospecting`: outbound work that creates new leads instead of handling one.",
    )
    work_hours: Distribution = Field(
        description="Working hours one attempt (or one prospecting session) takes."
    )
    success: Probability | None = Field(
        default=None,
        description="Probability the stage succeeds (before skill); required "
        "unless kind is prospecting.",
    )
    leads_per_hour: NonNegative = Field(
        le=MAX_LEADS_RATE,
        default=0.0,
        description="Prospecting only: new leads found per hour of prospecting.",
    )
    next: Name = Field(default="won", description="Stage after success, or `won`.")
    branches: list[Branch] = Field(
        default=[],
        description="Other ways out after success, tried in order before `next`: the first "
        "whose conditions hold and whose share is drawn sends the lead there (an optional demo "
        "for big deals, a wrong contact sent back to qualify).",
    )
    gross_margin: Margin | None = Field(
        default=None,
        description="Share of a deal's value kept after the cost of goods when the deal is won "
        "at this stage (negative: a first offer sold at a loss); default: the scenario's.",
    )
    prospect_while: PipelineRule | None = Field(
        default=None,
        description="Prospecting only: prospect first, for some hours a day, while the pipeline "
        "is thin (see PipelineRule); default: whenever nothing else is waiting.",
    )
    delay_days: Distribution | None = Field(
        default=None,
        description="Calendar days between entering and being workable (a meeting booked ahead).",
    )
    no_show: Probability = Field(
        default=0.0, description="Probability the client does not turn up (lost, no work done)."
    )
    no_show_hours: Distribution | None = Field(
        default=None,
        description="Working hours a no-show costs the person (travel, waiting); none: 0.",
    )
    reminder: Reminder | None = Field(
        default=None, description="A reminder before each booked lead (needs `no_show`)."
    )
    routing: Routing | None = Field(
        default=None, description="Who gets the leads entering the stage (default: shared)."
    )
    patience_hours: Distribution | None = Field(
        default=None,
        description="Hours a client waits for this stage's work, counted from entering it (for "
        "a booked meeting, from the booking), before leaving (`lost_waiting`); none: once "
        "contacted, a client waits for ever.",
    )
    follow_up: FollowUp | None = Field(default=None, description="Retries after a failure.")

    @model_validator(mode="after")
    def _success_given(self) -> Stage:
        if self.kind == "work" and self.success is None:
            raise ValueError("missing required key 'success' (probability the stage succeeds)")
        if self.kind == "prospecting" and self.work_hours.mean < MIN_SESSION_HOURS:
            raise ValueError(
                f"a prospecting session (work_hours) must last at least {MIN_SESSION_HOURS} "
                f"hours on average, got {self.work_hours.mean:g}"
            )
        return self

    @property
    def roles(self) -> list[str]:
        return [self.by] if isinstance(self.by, str) else list(self.by)

    @property
    def exits(self) -> list[str]:
        """Where a lead can go after this stage: `next` and every branch's stage."""
        return [self.next, *(b.stage for b in self.branches)]


class Person(Model):
    """One seat of a role, with personal skill and, optionally, its own shift."""

    name: str | None = Field(default=None, description="Display name; default role[i].")
    work_time: float = Field(
        default=1.0, gt=0, le=100, description="Multiplier on work hours (0.8 = 20% faster)."
    )
    success: float = Field(
        default=1.0, ge=0, le=100, description="Multiplier on stage success (capped at 1)."
    )
    resignation_rate: NonNegative | None = Field(
        default=None, le=50, description="This person's resignations per year; default: role's."
    )
    vacations: list[Absence] = Field(default=[], description="Planned absences of this person.")
    tenure_days: NonNegative | None = Field(
        default=None,
        le=36_600,
        description="Days this person has been in the job on day 0: one still inside the "
        "role's ramp-up period continues it from there; none: fully ramped up.",
    )
    calendar: CalendarOverride | None = Field(
        default=None,
        description="This person's shift: working days, hours or holidays that differ from "
        "the role's (e.g. workdays [wed, thu, fri, sat, sun]); the seat keeps it, so a "
        "successor works the same shift.",
    )


class Bonus(Model):
    """A fixed bonus for each month a person's credited revenue reaches a target."""

    monthly_target: NonNegative = Field(description="Revenue credited in a month to earn it.")
    amount: NonNegative = Field(description="Bonus paid for that month.")


class HeadcountStep(Model):
    """One step of a role's headcount plan: from `day` on, the role has `headcount` seats."""

    day: DayOrDate = Field(le=36_600, description="Day or date the step takes effect.")
    headcount: int = Field(
        ge=0,
        le=100_000,
        description="Seats from that day: more hires new people (who ramp up) at once; fewer "
        "removes the most recently added seats, whose people leave when their task is done "
        "and are not replaced.",
    )


class Coaching(Model):
    """A role whose people coach others (a head of sales, a team lead): each coach spends
    `hours_per_week_each` hours a week, at the start of their working week, with each of up to
    `span` people of the coached roles. Each month of coaching multiplies a coached person's
    skill (their success multiplier) by 1 + `skill_gain_per_month`, up to `max_skill`."""

    roles: list[Name] = Field(min_length=1, description="Roles whose people are coached.")
    span: int = Field(ge=1, le=1000, description="People each coach takes on (span of control).")
    hours_per_week_each: NonNegative = Field(
        default=1.0, le=40, description="Coach's hours a week per person coached."
    )
    skill_gain_per_month: float = Field(
        default=0.02,
        ge=0,
        le=1,
        description="ASSUMPTION (no figure in the sources): the monthly gain in skill of a "
        "coached person, as a share (0.02 = 2% more successes a month).",
    )
    max_skill: float = Field(
        default=1.3, ge=1, le=10, description="Skill beyond which coaching adds nothing."
    )


class Role(Model):
    """A job with a headcount of people sharing a calendar and a priority list of stages."""

    headcount: int = Field(ge=0, le=100_000, description="Number of people in the role.")
    plan: list[HeadcountStep] = Field(
        default=[],
        description="Headcount plan: seats added or removed from a day or date on (e.g. a 4th "
        "designer from 1 March); the headcount above holds until the first step.",
    )
    calendar: CalendarOverride | None = Field(
        default=None, description="Changes to the scenario calendar for this role."
    )
    stages: list[Name] | None = Field(
        default=None,
        description="Stages in priority order; default: stages naming this role, deepest first.",
    )
    people: list[Person] = Field(
        default=[], description="Per-person skill, in seat order; missing seats are average."
    )
    switch_overhead_hours: NonNegative = Field(
        default=0.0, description="Hours lost each time a person changes to another stage."
    )
    switch_hours: dict[Name, dict[Name, NonNegative]] = Field(
        default={},
        description="Hours lost switching from a stage (outer key) to another (inner key), "
        "for the pairs that differ from switch_overhead_hours (prospect -> proposal: 0.5).",
    )
    focus_loss: float = Field(
        default=0.0,
        ge=0,
        le=1,
        allow_inf_nan=False,
        description="Extra share of time on every task for each stage beyond the first in the "
        "role's list (0.05 with four stages: every task takes 15% longer).",
    )
    time_share: float = Field(
        default=1.0,
        gt=0,
        le=1,
        description="Largest share of each week's working time spent "
        "on these stages (the director who sells: 0.3).",
    )
    max_share: dict[Name, Probability] = Field(
        default={}, description="Largest share of each week's working time per stage."
    )
    workforce: Workforce | None = Field(
        default=None, description="Changes to the scenario workforce settings for this role."
    )
    salary_month: NonNegative = Field(
        default=0.0, description="Monthly pay per person, paid while employed (notice included)."
    )
    market_salary_month: NonNegative | None = Field(
        default=None,
        description="What the market pays for this job a month (for "
        "workforce.resignation.pay_elasticity).",
    )
    commission: Probability = Field(
        default=0.0,
        description="Share of the revenue attributed to a person (an equal share of each deal "
        "they worked on, repeat purchases of customers they own) paid to them.",
    )
    sourcing_commission: Probability = Field(
        default=0.0,
        description="Share of each won deal's value paid to the person who first "
        "worked the lead (a lead-manager's or prospector's commission).",
    )
    bonus: Bonus | None = Field(default=None, description="Monthly bonus on a revenue target.")
    coaching: Coaching | None = Field(
        default=None, description="Whether (and how) this role's people coach others."
    )


class OpenDeal(Model):
    """A deal already in the funnel on day 0 (e.g. open in the CRM at a backtest's cut-off)."""

    stage: Name = Field(description="Stage it is at; it waits there for the rest of its delay.")
    age_days: NonNegative = Field(
        default=0.0, le=36_600, description="Days since it was created (for its cycle length)."
    )
    created: dt.date | None = Field(
        default=None,
        description="Date it was created, instead of age_days (on or before calendar.start).",
    )
    value: NonNegative | None = Field(
        default=None, description="Its value; default: drawn from the source's deal value."
    )
    source: Name | None = Field(default=None, description="Its lead source; default: the first.")
    in_stage_days: NonNegative | None = Field(
        default=None,
        description="Days since it entered its stage (for pipeline_survival.by_stage).",
    )


class SurvivalCurves(Model):
    """The share of deals won and the share lost by each age (cumulative incidence curves)."""

    age_days: list[NonNegative] = Field(
        min_length=2, description="Ages in days, from 0, increasing."
    )
    won: list[Probability] = Field(description="Share of deals won by each age (not falling).")
    lost: list[Probability] = Field(description="Share of deals lost by each age (not falling).")

    @model_validator(mode="after")
    def _curves(self) -> SurvivalCurves:
        n = len(self.age_days)
        if len(self.won) != n or len(self.lost) != n:
            raise ValueError(f"won and lost need one share per age ({n} ages)")
        ages = self.age_days
        if ages[0] != 0 or any(b <= a for a, b in zip(ages, ages[1:], strict=False)):
            raise ValueError("age_days must start at 0 and increase")
        for name, curve in (("won", self.won), ("lost", self.lost)):
            if any(b < a for a, b in zip(curve, curve[1:], strict=False)):
                raise ValueError(f"{name} is a share reached by each age: it cannot fall")
        if self.won[-1] + self.lost[-1] > 1 + 1e-9:
            raise ValueError("won and lost together exceed 1 (all deals)")
        return self

    def draw(self, age_days: float, u: float, v: float) -> tuple[float, str] | None:
        """(days left, 'won' or 'lost') for a deal open at `age_days`, from two uniforms; None
        when it does not close within the ages the curves know."""
        ages = np.asarray(self.age_days)
        ended = np.asarray(self.won) + np.asarray(self.lost)
        start = float(np.interp(age_days, ages, ended))
        target = start + u * (1.0 - start)
        if target > ended[-1] or ended[-1] <= start:
            return None
        j = max(int(np.searchsorted(ended, target, side="left")), 1)
        lo, hi = ended[j - 1], ended[j]
        frac = (target - lo) / (hi - lo) if hi > lo else 1.0
        when = ages[j - 1] + frac * (ages[j] - ages[j - 1])
        won_step = self.won[j] - self.won[j - 1]
        kind = "won" if hi > lo and v * (hi - lo) < won_step else "lost"
        return max(when - age_days, 0.0), kind


class PipelineSurvival(SurvivalCurves):
    """How deals open on day 0 end, from their age: the share of deals won and lost by each
    age (as `salessim backtest` fits them on an export with the Aalen-Johansen estimator).
    Each open deal of age a ends at the age where the curves, taken from a on, reach a uniform
    draw: won or lost in the proportion in which deals of that age ended; never, if the draw
    falls beyond the share that ever closed (a stale deal). Such a deal takes no one's working
    time: the curves already carry how the team handled them. A deal with `in_stage_days`
    whose stage has curves in `by_stage` follows those instead, from its time in the stage."""

    by_stage: dict[Name, SurvivalCurves] = Field(
        default={},
        description="Curves per stage, by days since a deal entered it (for deals whose "
        "pipeline entry gives in_stage_days).",
    )

    def for_deal(self, stage: str, age_days: float,
                 in_stage_days: float | None) -> tuple[SurvivalCurves, float]:  # fmt: skip
        """The curves a deal follows and its age on them."""
        curves = self.by_stage.get(stage)
        if curves is not None and in_stage_days is not None:
            return curves, in_stage_days
        return self, age_days


class Scenario(Model):
    """One department plus its market: what `salessim run` simulates."""

    name: Name = Field(description="Short name; also the default results folder.")
    description: str = Field(default="", description="What this scenario represents.")
    currency: str = Field(default="EUR", max_length=8, description="Currency of all money.")
    horizon_days: float = Field(gt=0, le=36_600, description="Simulated days.")
    warmup_days: float = Field(
        default=0.0, ge=0, description="Leads arriving before this day are not counted."
    )
    calendar: Calendar = Field(default_factory=Calendar, description="Default working time.")
    leads: list[LeadSource] = Field(description="Inbound lead sources.")
    deal_value: Distribution = Field(
        default_factory=lambda: Fixed(value=0.0), description="Value of a won deal."
    )
    stages: dict[Name, Stage] = Field(min_length=1, description="Funnel stages, in order.")
    roles: dict[Name, Role] = Field(min_length=1, description="Roles and their headcounts.")
    workforce: Workforce = Field(
        default_factory=Workforce, description="Absences, resignations and hiring (all roles)."
    )
    customers: Customers = Field(
        default_factory=Customers, description="Ownership, repeat purchases and churn."
    )
    events: list[Event] = Field(default=[], description="Scheduled what-if events.")
    pipeline: list[OpenDeal] = Field(
        default=[],
        description="Deals open on day 0 (counted as leads arriving then); each waits a random "
        "part of its stage's delay, as a deal caught midway would.",
    )
    pipeline_survival: PipelineSurvival | None = Field(
        default=None,
        description="If set, the pipeline's deals end by their age on these curves instead of "
        "waiting in their stage (see PipelineSurvival).",
    )
    overhead_month: NonNegative = Field(
        default=0.0, description="Fixed monthly cost of the department (office, CRM licence...)."
    )
    gross_margin: Probability = Field(
        default=1.0,
        description="Share of revenue left after the cost of goods (1 = count revenue).",
    )

    @model_validator(mode="before")
    @classmethod
    def _days_from_dates(cls, data: Any) -> Any:
        for path in unwritable_texts(data):
            raise ValueError(f"{path or 'the scenario'}: text that cannot be written as UTF-8 "
                             "(a lone surrogate such as \\ud800)")  # fmt: skip
        return days_from_dates(data)

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Scenario:
        if info.context and info.context.get("skip_cross_check"):
            return self
        from salessim.scenario.crosscheck import cross_check

        problems = cross_check(self.model_dump(by_alias=True))
        if problems:
            raise ValueError("; ".join(f"{path}: {msg}" for path, msg in problems))
        return self

    @model_validator(mode="after")
    def _role_workforce_resolved(self) -> Scenario:
        """A role's `workforce:` holds only the keys it changes; store it merged with the
        scenario's, so that the scenario written out (scenario.json) and read back runs the
        same (read back, every key would count as changed: defaults would replace the
        scenario's settings). A scenario-level `workforce` changed after validation (say by
        `model_copy`) therefore no longer reaches a role that has its own: validate again."""
        from pydantic import ValidationError

        from salessim.scenario.workforce import merge_workforce

        for name, role in self.roles.items():
            if role.workforce is not None:
                try:
                    merged = merge_workforce(self.workforce, role.workforce)
                except ValidationError:
                    continue  # the cross-check reports it at roles.<name>.workforce
                self.roles[name] = role.model_copy(update={"workforce": merged})
        return self

    def role_workforce(self, role: str) -> Workforce:
        """The role's workforce settings (already merged with the scenario's on validation)."""
        return self.roles[role].workforce or self.workforce

    def stage_roles(self, stage: str) -> list[str]:
        return self.stages[stage].roles

    def role_stages(self, role: str) -> list[str]:
        """Stages a role works, in priority order (explicit, else deepest stage first)."""
        explicit = self.roles[role].stages
        if explicit is not None:
            return list(explicit)
        mine = [name for name, st in self.stages.items() if role in st.roles]
        return sorted(mine, key=lambda s: -self.depth()[s])

    def depth(self) -> dict[str, int]:
        """Distance of each stage from the entry: entry stages are 0."""
        depth: dict[str, int] = {}
        entries = {s.entry_stage or next(iter(self.stages)) for s in self.leads}
        if not entries:
            entries = {next(iter(self.stages))}
        frontier = sorted(entries)
        for d in range(len(self.stages) + 1):
            nxt = []
            for name in frontier:
                if name in self.stages and name not in depth:
                    depth[name] = d
                    nxt.append(self.stages[name].next)
            frontier = nxt
        for name in self.stages:
            depth.setdefault(name, 0)
        return depth


def calendar_start(data: dict[str, Any]) -> dt.date:
    """The calendar start of raw scenario data (the default if it is missing or unreadable)."""
    calendar = data.get("calendar") if isinstance(data, dict) else None
    start = iso_date(calendar.get("start")) if isinstance(calendar, dict) else None
    default: dt.date = Calendar.model_fields["start"].default
    return start if start is not None else default


def days_from_dates(data: Any) -> Any:
    """Raw scenario data with dates turned into day numbers where a day is asked for: an
    event's, a source change's or a headcount step's `day` and a source's `starts` and `ends`
    (from calendar.start), and an open deal's `created` (its `age_days`).

    A date that does not fit (an event before the start, a deal created after it or with an
    age too) is left for validation to refuse with a message."""
    if not isinstance(data, dict):
        return data
    start = calendar_start(data)
    out = dict(data)
    if isinstance(data.get("events"), list):
        out["events"] = [_event_day(e, start) for e in data["events"]]
    if isinstance(data.get("pipeline"), list):
        out["pipeline"] = [_deal_age(d, start) for d in data["pipeline"]]
    if isinstance(data.get("leads"), list):
        out["leads"] = [_source_days(src, start) for src in data["leads"]]
    if isinstance(data.get("roles"), dict):
        out["roles"] = {name: _plan_days(role, start) for name, role in data["roles"].items()}
    return out


def _plan_days(role: Any, start: dt.date) -> Any:
    """A role with the dates of its headcount plan as day numbers."""
    if not isinstance(role, dict) or not isinstance(role.get("plan"), list):
        return role
    return {**role, "plan": [_event_day(step, start) for step in role["plan"]]}


def _source_days(src: Any, start: dt.date) -> Any:
    """A lead source with its opening, closing and change dates as day numbers."""
    if not isinstance(src, dict):
        return src
    out = {key: _day_number(src[key], start) for key in ("starts", "ends") if key in src}
    if isinstance(src.get("changes"), list):
        out["changes"] = [_event_day(c, start) for c in src["changes"]]
    return {**src, **out}


def _day_number(value: Any, start: dt.date) -> Any:
    day = iso_date(value)
    return float((day - start).days) if day is not None and day >= start else value


def _event_day(event: Any, start: dt.date) -> Any:
    day = iso_date(event.get("day")) if isinstance(event, dict) else None
    if day is None or day < start:
        return event
    return {**event, "day": float((day - start).days)}


def _deal_age(deal: Any, start: dt.date) -> Any:
    created = iso_date(deal.get("created")) if isinstance(deal, dict) else None
    if created is None or created > start or "age_days" in deal:
        return deal
    converted = {k: v for k, v in deal.items() if k != "created"}
    return {**converted, "age_days": float((start - created).days)}


def unwritable_texts(data: Any) -> list[str]:
    """Key paths of the texts (values or keys) in raw data that no UTF-8 file can hold: lone
    surrogates, as `"\\ud800"` in YAML or Python gives."""
    found: list[str] = []
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str) and _has_surrogate(value):
            found.append(where)
        elif isinstance(value, dict):
            for key, item in value.items():
                here = f"{where}.{key}".lstrip(".")
                if isinstance(key, str) and _has_surrogate(key):
                    found.append(here)
                stack.append((here, item))
        elif isinstance(value, list | tuple):
            stack += [(f"{where}[{i}]", v) for i, v in enumerate(value)]
    return sorted(found)


def _has_surrogate(text: str) -> bool:
    return any("\ud800" <= ch <= "\udfff" for ch in text)
