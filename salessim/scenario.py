"""The scenario: a validated, frozen description of one sales department and its market.

This is the static half of the model (like Ciw's `Network`): pydantic models that know nothing of
SimPy. `loader` builds a `Scenario` from YAML; `engine` builds a simulation from a `Scenario` and
trusts it. Cross-checks between sections (every `next` exists, every stage can reach `won`...)
live in `cross_check`, which works on plain data so it can report problems even when other parts
of the file are broken.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from salessim.distributions import Distribution, Fixed

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
OUTCOMES = ("won",)
Probability = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Name = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class Model(BaseModel):
    """Base of all scenario models: frozen, unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Calendar(Model):
    """Working time. Staff work only inside it; leads arrive around the clock regardless."""

    start: dt.date = Field(
        default=dt.date(2026, 1, 5), description="Date of simulated hour 0 (midnight)."
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


class LeadSource(Model):
    """A stream of inbound leads: a non-homogeneous Poisson process, 24/7."""

    source: Name = Field(description="Name of the channel (paid_traffic, referrals, showroom...).")
    per_day: NonNegative = Field(
        description="Mean leads per day on a day whose weekday and month factors are 1."
    )
    weekday_profile: list[NonNegative] = Field(
        default=[1.0] * 7,
        min_length=7,
        max_length=7,
        description="Multipliers of per_day for mon..sun (7 numbers).",
    )
    monthly_profile: list[NonNegative] = Field(
        default=[1.0] * 12,
        min_length=12,
        max_length=12,
        description="Seasonality: multipliers of per_day for jan..dec (12 numbers).",
    )
    hourly_profile: list[NonNegative] | None = Field(
        default=None,
        min_length=24,
        max_length=24,
        description="Relative arrival intensity for each hour 0..23 of the day; none = even.",
    )
    market_size: int | None = Field(
        default=None, ge=0, description="Total leads this source can ever give; none = unlimited."
    )
    patience_hours: Distribution | None = Field(
        default=None,
        description="How long a lead waits for first contact before going cold; none = forever.",
    )
    entry_stage: Name | None = Field(
        default=None, description="Stage the lead enters first; default: the first stage listed."
    )
    cost_per_lead: NonNegative = Field(default=0.0, description="Marketing cost per lead.")
    deal_value: Distribution | None = Field(
        default=None, description="Deal value of this source's leads; default: the scenario's."
    )

    @model_validator(mode="after")
    def _some_hour_open(self) -> LeadSource:
        if self.hourly_profile is not None and sum(self.hourly_profile) <= 0:
            raise ValueError("hourly_profile must have at least one hour above 0")
        return self


class FollowUp(Model):
    """Retry a failed stage: the lead comes back to the same stage after a delay."""

    attempts: int = Field(ge=0, le=20, description="Extra tries after a failure.")
    delay_days: Distribution = Field(
        default_factory=lambda: Fixed(value=1.0), description="Days between tries."
    )


class Stage(Model):
    """A step of the funnel, worked by a person of one of the `by` roles."""

    by: Name | list[Name] = Field(description="Role (or roles) whose people work this stage.")
    work_hours: Distribution = Field(description="Working hours one attempt takes.")
    success: Probability = Field(description="Probability the stage succeeds (before skill).")
    next: Name = Field(default="won", description="Stage after success, or `won`.")
    delay_days: Distribution | None = Field(
        default=None,
        description="Calendar days between entering and being workable (a meeting booked ahead).",
    )
    no_show: Probability = Field(
        default=0.0, description="Probability the client does not turn up (lost, no work done)."
    )
    follow_up: FollowUp | None = Field(default=None, description="Retries after a failure.")

    @property
    def roles(self) -> list[str]:
        return [self.by] if isinstance(self.by, str) else list(self.by)


class Person(Model):
    """One seat of a role, with personal skill."""

    name: str | None = Field(default=None, description="Display name; default role[i].")
    work_time: float = Field(
        default=1.0, gt=0, le=100, description="Multiplier on work hours (0.8 = 20% faster)."
    )
    success: float = Field(
        default=1.0, ge=0, le=100, description="Multiplier on stage success (capped at 1)."
    )


class Role(Model):
    """A job with a headcount of people sharing a calendar and a priority list of stages."""

    headcount: int = Field(ge=0, le=100_000, description="Number of people in the role.")
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

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Scenario:
        if info.context and info.context.get("skip_cross_check"):
            return self
        problems = cross_check(self.model_dump(by_alias=True))
        if problems:
            raise ValueError("; ".join(f"{path}: {msg}" for path, msg in problems))
        return self

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


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, str):
        return [value]
    return list(value) if isinstance(value, list) else []


def cross_check(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Return (key path, message) for every inconsistency between sections of raw scenario data.

    Tolerant of malformed input: parts that are not the right shape are skipped (the field
    validation reports them).
    """
    problems: list[tuple[str, str]] = []
    stages = data.get("stages")
    stages = stages if isinstance(stages, Mapping) else {}
    roles = data.get("roles")
    roles = roles if isinstance(roles, Mapping) else {}
    leads = data.get("leads")
    leads = leads if isinstance(leads, list) else []
    stage_names = [str(s) for s in stages]
    targets = {*stage_names, "won"}
    nexts: dict[str, str] = {}

    for name, stage in stages.items():
        if not isinstance(stage, Mapping):
            continue
        if name in OUTCOMES or name == "lost":
            problems.append(
                (f"stages.{name}", f"'{name}' is an outcome and cannot be a stage name")
            )
        for role in _as_list(stage.get("by")):
            if roles and role not in roles:
                problems.append(
                    (f"stages.{name}.by", f"role '{role}' does not exist{_choices(role, roles)}")
                )
        nxt = stage.get("next", "won")
        if isinstance(nxt, str):
            nexts[str(name)] = nxt
            if nxt not in targets:
                problems.append(
                    (f"stages.{name}.next", f"stage '{nxt}' does not exist{_choices(nxt, targets)}")
                )

    for role_name, role in roles.items():
        if not isinstance(role, Mapping):
            continue
        for i, st in enumerate(_as_list(role.get("stages"))):
            if st not in stages:
                problems.append(
                    (
                        f"roles.{role_name}.stages[{i}]",
                        f"stage '{st}' does not exist{_choices(st, stage_names)}",
                    )
                )
            elif isinstance(stages[st], Mapping) and role_name not in _as_list(
                stages[st].get("by")
            ):
                problems.append(
                    (
                        f"roles.{role_name}.stages[{i}]",
                        f"stage '{st}' is not worked by role '{role_name}' (see stages.{st}.by)",
                    )
                )
        people, headcount = role.get("people"), role.get("headcount")
        if isinstance(people, list) and isinstance(headcount, int) and len(people) > headcount:
            problems.append(
                (
                    f"roles.{role_name}.people",
                    f"{len(people)} people listed but headcount is {headcount}",
                )
            )

    entries: set[str] = set()
    for i, src in enumerate(leads):
        if not isinstance(src, Mapping):
            continue
        entry = src.get("entry_stage")
        if entry is None and stage_names:
            entry = stage_names[0]
        if isinstance(entry, str):
            if entry not in stages:
                problems.append(
                    (
                        f"leads[{i}].entry_stage",
                        f"stage '{entry}' does not exist{_choices(entry, stage_names)}",
                    )
                )
            entries.add(entry)

    reached: set[str] = set()
    frontier = [e for e in entries if e in stages]
    while frontier:
        st = frontier.pop()
        if st in reached:
            continue
        reached.add(st)
        if nexts.get(st) in stages:
            frontier.append(nexts[st])
    if leads:
        for name in stage_names:
            if name not in reached:
                problems.append(
                    (
                        f"stages.{name}",
                        "no lead ever reaches this stage: no lead source enters it and no "
                        "reachable stage has it as `next`",
                    )
                )

    for name in stage_names:
        seen = [name]
        cur = nexts.get(name)
        while cur is not None and cur in stages and cur not in seen:
            seen.append(cur)
            cur = nexts.get(cur)
        if cur is not None and cur in stages and cur in seen:
            problems.append(
                (
                    f"stages.{name}.next",
                    "this stage never leads to 'won': the chain loops " + " -> ".join([*seen, cur]),
                )
            )

    warmup, horizon = data.get("warmup_days", 0), data.get("horizon_days")
    if isinstance(warmup, int | float) and isinstance(horizon, int | float) and warmup >= horizon:
        problems.append(
            ("warmup_days", f"must be less than horizon_days ({horizon}), got {warmup}")
        )
    return problems


def _choices(word: str, options: Any) -> str:
    import difflib

    names = [str(o) for o in options]
    close = difflib.get_close_matches(str(word), names, n=1)
    if close:
        return f"; did you mean '{close[0]}'?"
    return f"; choose one of: {', '.join(sorted(names))}" if names else ""
