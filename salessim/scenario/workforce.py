"""Scenario models for what people and customers do over time.

Static descriptions only (no SimPy): sick leave and vacations, resignations with notice,
hiring delays and ramp-up, probation, scheduled what-if events, and customers' repeat purchases,
churn and loyalty to their owner. `scenario.Scenario` holds them; `people` and `engine` act them
out. A role's `workforce:` changes only the keys it gives of the scenario-wide `workforce:`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from salessim.scenario.distributions import Distribution, Fixed, LogNormal

Probability = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
# a share of revenue kept after the cost of goods; negative for a sale at a loss
Margin = Annotated[float, Field(ge=-10, le=1, allow_inf_nan=False)]
MIN_ABSENCE_DAYS = 0.5
"""Shortest mean sick episode or vacation block, so that a person has at most two a day."""


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Resignation(Model):
    """People leave at random (a constant hazard), after a notice period, and are replaced."""

    annual_rate: NonNegative = Field(
        default=0.0, le=50, description="Resignations per person-year (0.3 = 30% leave a year)."
    )
    notice_days: NonNegative = Field(default=14.0, description="Days worked after resigning.")
    notice_effort: float = Field(
        default=1.0, gt=0, le=1, description="Productivity during notice (0.7 = 30% slower)."
    )
    hire_days: Distribution = Field(
        default_factory=lambda: Fixed(value=45.0),
        description="Days until the replacement starts, counted from `hire_from`.",
    )
    hire_from: Literal["letter", "departure"] = Field(
        default="letter",
        description="Where `hire_days` counts from: the resignation `letter` (as HR figures "
        "do; a successor may start during the notice and overlap with the leaver) or the "
        "`departure`. Dismissals and departures without notice count from the departure.",
    )
    hiring_cost: NonNegative = Field(default=0.0, description="Cost of each hire.")
    replace: bool = Field(default=True, description="Whether a leaver is replaced at all.")
    pay_elasticity: NonNegative = Field(
        default=0.0,
        le=20,
        description="ASSUMPTION, off at 0: the resignation rate is multiplied by (the role's "
        "market_salary_month / salary_month) to this power, so pay below the market drives "
        "people out (2: 10% below the market gives 1.23 times the rate).",
    )
    bonus_miss_factor: float = Field(
        default=1.0,
        ge=1,
        le=100,
        description="ASSUMPTION, off at 1: in the month after a month in which a person missed "
        "their role's bonus target, their resignation rate is this many times higher.",
    )


class RampUp(Model):
    """A new hire's productivity (work speed) rises from `start` to 1 over `days`."""

    days: NonNegative = Field(default=0.0, description="Days until a new hire is fully productive.")
    start: float = Field(
        default=0.5, gt=0, le=1, description="Fraction of full productivity on the first day."
    )
    shape: Literal["linear", "s_curve"] = Field(default="linear", description="Curve of the rise.")


class Probation(Model):
    """A new hire whose successes over the first `days` fall below `min_relative` times what an
    average person would expect on the same attempts is let go."""

    days: float = Field(gt=0, le=3650, description="Length of probation in days.")
    min_relative: float = Field(
        ge=0,
        le=10,
        allow_inf_nan=False,
        description="Least ratio of the hire's successes to an average person's expected "
        "successes on the same attempts (0.8 = at least 80% as good; 0 = keep everyone).",
    )
    min_attempts: int = Field(
        default=5, ge=0, description="Fewer judged attempts than this: too early to judge, kept."
    )

    @model_validator(mode="before")
    @classmethod
    def _renamed(cls, data: Any) -> Any:
        if isinstance(data, dict) and "min_conversion" in data:
            raise ValueError(
                "min_conversion (a raw success rate) was replaced by min_relative: the hire's "
                "successes against an average person's on the same attempts (0.8 = 80% as good)"
            )
        return data


class Learning(Model):
    """Learning by doing on an experience curve (Wright's law): each doubling of the tasks a
    person has done at a stage multiplies their time per task there by `rate` (and optionally
    their success there by `success_rate`), until `plateau_tasks`. The stages' `work_hours`
    and `success` are those of someone who has done `reference_tasks` of them."""

    rate: float = Field(
        default=1.0,
        gt=0,
        le=1,
        description="Time per task multiplied by this at each doubling of the tasks done at a "
        "stage (0.9: 10% faster per doubling; 1: no learning). Studies of industrial and "
        "service work find 0.7-0.95, most often about 0.8-0.9 (docs/modelling.md).",
    )
    success_rate: float = Field(
        default=1.0,
        ge=1,
        le=2,
        description="Success at a stage multiplied by this at each doubling of the tasks done "
        "there (1: no learning; capped at probability 1).",
    )
    reference_tasks: float = Field(
        default=100.0,
        ge=1,
        le=1e7,
        description="Tasks done at a stage by the person the stage's work_hours and success "
        "describe.",
    )
    start_tasks: float | None = Field(
        default=None,
        ge=0,
        le=1e7,
        description="Tasks already done at each of their stages by the people there on day "
        "0; default: reference_tasks.",
    )
    hire_tasks: float | None = Field(
        default=None,
        ge=0,
        le=1e7,
        description="Tasks already done at each of their stages by a new hire (their prior "
        "experience); default: reference_tasks.",
    )
    plateau_tasks: float = Field(
        default=1000.0,
        ge=1,
        le=1e7,
        description="Tasks done at a stage after which a person improves no further there.",
    )

    @property
    def active(self) -> bool:
        return self.rate != 1.0 or self.success_rate != 1.0

    def factors(self, tasks_done: float) -> tuple[float, float]:
        """(time multiplier, success multiplier) for the next task of a person who has done
        `tasks_done` at the stage: (n / reference)^log2(rate), n between 1 and the plateau."""
        return self.time_factor(tasks_done), self.success_factor(tasks_done)

    def time_factor(self, tasks_done: float) -> float:
        return self._experience(tasks_done) ** self._exponents[0]

    def success_factor(self, tasks_done: float) -> float:
        return self._experience(tasks_done) ** self._exponents[1]

    def _experience(self, tasks_done: float) -> float:
        n = self.plateau_tasks if tasks_done > self.plateau_tasks else tasks_done
        return (n if n > 1.0 else 1.0) / self.reference_tasks

    @cached_property
    def _exponents(self) -> tuple[float, float]:
        return math.log2(self.rate), math.log2(self.success_rate)

    @model_validator(mode="after")
    def _plateau_after_reference(self) -> Learning:
        if self.plateau_tasks < self.reference_tasks:
            raise ValueError(
                f"plateau_tasks ({self.plateau_tasks:g}) must be at least reference_tasks "
                f"({self.reference_tasks:g}): people improve up to the plateau"
            )
        return self


def default_hire_skill() -> Distribution:
    """Skill of a new hire when the scenario does not say: the role's average (1), sd 0.2."""
    return LogNormal.model_validate({"dist": "lognormal", "mean": 1.0, "sd": 0.2})


class Workforce(Model):
    """Absences, resignations, hiring, ramp-up and probation of a role's people."""

    sick_days_per_year: NonNegative = Field(default=0.0, le=365, description="Mean sick days.")
    sick_episode_days: Distribution = Field(
        default_factory=lambda: Fixed(value=3.0), description="Length of one sickness (days)."
    )
    vacation_days_per_year: NonNegative = Field(
        default=0.0, le=365, description="Vacation days a year, taken in blocks at random dates."
    )
    vacation_block_days: float = Field(
        default=5.0, ge=MIN_ABSENCE_DAYS, le=365, description="Length of one vacation block (days)."
    )
    handover: Literal["wait", "team"] = Field(
        default="team",
        description="Leads booked with an absent person: `wait` for them, or go to the `team`.",
    )
    resignation: Resignation = Field(default_factory=Resignation, description="Resignations.")
    ramp_up: RampUp = Field(default_factory=RampUp, description="Ramp-up of new hires.")
    hire_skill: Distribution = Field(
        default_factory=default_hire_skill,
        description="Skill (success multiplier) of each new hire, drawn once per hire; "
        "default log-normal with mean 1 and sd 0.2.",
    )
    probation: Probation | None = Field(default=None, description="Probation of new hires.")
    learning: Learning = Field(
        default_factory=Learning, description="Learning by doing at each stage (off by default)."
    )

    @field_validator("sick_episode_days")
    @classmethod
    def _episodes_not_too_short(cls, value: Distribution) -> Distribution:
        if value.mean < MIN_ABSENCE_DAYS:
            raise ValueError(
                f"a sickness must last at least {MIN_ABSENCE_DAYS} days on average, "
                f"got {value.mean:g}"
            )
        return value


def merge_workforce(base: Workforce, override: Workforce | None) -> Workforce:
    """`base` with the keys explicitly given in `override` replaced (nested mappings merged)."""
    if override is None:
        return base
    merged = deep_merge(
        base.model_dump(by_alias=True), override.model_dump(exclude_unset=True, by_alias=True)
    )
    return Workforce.model_validate(merged)


def deep_merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """`a` with `b`'s keys replaced; mappings merge, except distributions, which replace."""
    out = dict(a)
    for key, value in b.items():
        old = out.get(key)
        if (
            isinstance(value, dict)
            and isinstance(old, dict)
            and not ("dist" in value or "dist" in old)
        ):
            out[key] = deep_merge(old, value)
        else:
            out[key] = value
    return out


class Absence(Model):
    """A fixed absence of one person (a planned vacation)."""

    start: dt.date = Field(description="First day away.")
    days: float = Field(gt=0, le=3650, description="Calendar days away.")


ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def iso_date(value: Any) -> dt.date | None:
    """A date from YAML: unquoted (YAML's own date), or quoted as "YYYY-MM-DD"; else None."""
    if isinstance(value, str):
        text = value.strip()
        if not ISO_DATE.fullmatch(text):
            return None
        try:
            return dt.date.fromisoformat(text)
        except ValueError:  # 2026-02-30
            return None
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


def not_before_start(value: Any) -> Any:
    """Dates on or after calendar.start became day numbers before validation; this one did not."""
    day = iso_date(value)
    if day is not None:
        raise ValueError(
            f"{day.isoformat()} is before calendar.start; give a date on or after it, or a day "
            "number (0 = calendar.start)"
        )
    return value


class Event(Model):
    """A scheduled what-if: on `day`, `person` resigns, leaves, is absent, or a seat is hired."""

    day: Annotated[NonNegative, BeforeValidator(not_before_start)] = Field(
        le=36_600,
        description="Simulated day the event happens, or its date (on or after calendar.start).",
    )
    action: Literal["resign", "leave", "absent", "hire"] = Field(
        description="resign (works the notice period), leave (at once), absent (for `days`), "
        "hire (adds a seat to the role named in `person`)."
    )
    person: str = Field(
        min_length=1,
        description="`role[i]` (seat i of the role), a person's name, or for `hire` a role name.",
    )
    days: NonNegative | None = Field(default=None, description="Length of an absence (days).")
    work_time: float = Field(
        default=1.0, gt=0, le=100, description="`hire` only: the hire's work-time multiplier."
    )
    success: float | None = Field(
        default=None,
        ge=0,
        le=100,
        description="`hire` only: the hire's skill (success multiplier); default: drawn from "
        "the role's `workforce.hire_skill`.",
    )


class OpeningCustomers(Model):
    """Customers the business already has on day 0 (part of the opening customer book)."""

    count: int = Field(default=1, ge=0, le=1_000_000, description="How many such customers.")
    owner: str | None = Field(
        default=None,
        description="Who owns them: a role (spread evenly over its people), `role[i]` or a "
        "person's name; default: `owner_role`, else everyone, evenly.",
    )
    value: Distribution | None = Field(
        default=None,
        description="What each has bought so far (for their recorded revenue; not revenue of "
        "the run); default: the scenario deal_value.",
    )


class Customers(Model):
    """What happens after a deal: ownership, repeat purchases, churn, loyalty to the owner."""

    opening: list[OpeningCustomers] = Field(
        default=[],
        description="The opening customer book: customers on day 0, who buy again, churn and "
        "follow their owner like any other (so a run can start from today's business).",
    )

    owner_role: str | None = Field(
        default=None, description="Role that owns won customers; default: whoever closed them."
    )
    repeat_per_year: NonNegative = Field(
        default=0.0, le=365, description="Repeat purchases per active customer per year."
    )
    repeat_value: Distribution | None = Field(
        default=None, description="Value of a repeat purchase; default: the scenario deal_value."
    )
    repeat_stage: str | None = Field(
        default=None,
        description="Stage someone must work for a repeat purchase to happen (e.g. support); "
        "none = repeat purchases happen by themselves.",
    )
    repeat_wait_days: NonNegative = Field(
        default=30.0, description="Days a repeat purchase waits for that stage before it is lost."
    )
    churn_per_year: NonNegative = Field(
        default=0.0, le=50, description="Rate at which an active customer stops buying."
    )
    repeat_margin: Margin | None = Field(
        default=None,
        description="Gross margin of repeat purchases (a cheap first offer, then profitable "
        "repeat orders); default: the scenario's gross_margin.",
    )
    referrals_per_year: NonNegative = Field(
        default=0.0,
        le=1000,
        description="New leads each active customer brings a year by word of mouth (a Poisson "
        "process per customer), as the lead source `referrals`, free of marketing cost.",
    )
    referrals_if_served: bool = Field(
        default=False,
        description="Only customers none of whose repeat orders was lost waiting refer others.",
    )
    churn_per_lost_order: NonNegative = Field(
        default=0.0,
        le=50,
        description="Extra churn per year for each repeat order a customer has had lost "
        "waiting for `repeat_stage` (neglected customers leave sooner; 0 = no effect).",
    )
    follows_owner_on_exit: Probability = Field(
        default=0.0, description="Chance each customer of a leaver leaves with them (no CRM)."
    )
    deals_follow_owner_on_exit: Probability = Field(
        default=0.0,
        description="Chance each open deal booked with a leaver (a meeting in their diary) "
        "leaves with them (no CRM; times `crm_follow_factor` with one); the others go to the "
        "team.",
    )
    crm: bool = Field(default=False, description="Contacts and history are kept in a CRM.")
    crm_follow_factor: Probability = Field(
        default=0.25, description="With a CRM, follows_owner_on_exit is multiplied by this."
    )

    @property
    def follow_probability(self) -> float:
        return self.follows_owner_on_exit * (self.crm_follow_factor if self.crm else 1.0)

    @property
    def deal_follow_probability(self) -> float:
        return self.deals_follow_owner_on_exit * (self.crm_follow_factor if self.crm else 1.0)
