"""Size a batch before it starts, and refuse one that would exhaust the machine.

`estimate` counts, from the scenario alone, roughly how many leads a replication creates and how
many simulation events and bytes that costs; `check` compares the whole batch with the time
allowed and the memory the machine has and raises `LimitError` with what to change. The
per-event and per-lead costs were measured on the shipped scenarios (5 to 9 microseconds per
event, 3 to 5 events per lead, 725 bytes per lead alive, 430 more per logged lead), the costs of
a person or role on teams of 2,000 to 20,000 (about 30 microseconds and 30 bytes a day, 6 KB
each); the estimate comes out 3 to 14 times the measured time on the shipped scenarios
(two_level 3.1, three_step 5.7, five_stage 6.8, director_sells 13; 2026-12-02), erring on the
side of caution. Memory is compared with the machine's (or its control group's)
and with the address space a process may map (`ulimit -v`). `--no-limit` skips
the check.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from salessim.defaults import DEFAULT_MAX_HOURS
from salessim.errors import SalessimError
from salessim.experiment.replications import MIN_REPLICATIONS_PER_WORKER
from salessim.scenario.models import Scenario

SECONDS_PER_EVENT = 5e-6
BYTES_PER_LIVE_LEAD = 800
BYTES_PER_LOGGED_LEAD = 650  # in the worker's log and in the final leads frame
BYTES_PER_PERIOD_ROW = 40 * 8  # one weekly or monthly row of the time series
BASE_BYTES = 150 * 2**20  # a worker process with numpy, pandas and simpy loaded
BASE_ADDRESS_SPACE = 1.5 * 2**30  # what such a process maps (threads, libraries): ulimit -v
SECONDS_PER_SEAT_DAY = 30e-6  # a person's (or role's) day: calendar, absences, wake-ups
BYTES_PER_SEAT = 6_000  # its process, state and per-person tallies
BYTES_PER_SEAT_DAY = 30  # its daily arrays


class LimitError(SalessimError):
    """A batch estimated to need more time or memory than allowed."""


@dataclass(frozen=True)
class Estimate:
    """Rough cost of one replication of a scenario."""

    leads: float
    events: float
    seconds: float  # of simulation: the events, plus what each person costs a day
    bytes_live: float  # peak memory of one replication (leads in the system at once, logs)
    bytes_kept: float  # what the main process keeps per replication until the files are written


def _work_hours_per_day(scenario: Scenario) -> float:
    h0, h1 = scenario.calendar.hours
    return max(h1 - h0, 0.0) * len(scenario.calendar.workdays) / 7


def estimate(scenario: Scenario, leads_log: bool = False) -> Estimate:
    """How big one replication of `scenario` is, from its settings alone."""
    days = scenario.horizon_days
    inbound = 0.0
    for src in scenario.leads:
        profile = _mean(src.weekday_profile) * _mean(src.monthly_profile)
        expected = src.level_per_day * profile * days
        size = src.market_size
        if size is not None and src.market_saturation == "depletion":
            expected = size * -math.expm1(-expected / size) if size else 0.0
        inbound += min(expected, size) if size is not None else expected
    people = sum(role.headcount for role in scenario.roles.values())
    prospected = sum(
        stage.leads_per_hour * sum(scenario.roles[r].headcount for r in stage.roles if r in
                                   scenario.roles) * _work_hours_per_day(scenario) * days
        for stage in scenario.stages.values() if stage.kind == "prospecting"
    )  # fmt: skip
    leads = inbound + prospected
    repeats = leads * scenario.customers.repeat_per_year * days / 365
    seats = people + len(scenario.roles)  # a role costs about what a person does
    events = (leads + repeats) * (2 + len(scenario.stages) / 2) + seats * days * 3
    live = min(leads + repeats, leads / days * 90 + _backlog(scenario, inbound))
    periods = days / 7 + days / 30
    logged = leads * BYTES_PER_LOGGED_LEAD if leads_log else 0.0
    return Estimate(
        leads=leads,
        events=events,
        seconds=events * SECONDS_PER_EVENT + seats * days * SECONDS_PER_SEAT_DAY,
        bytes_live=live * BYTES_PER_LIVE_LEAD
        + logged
        + seats * (BYTES_PER_SEAT + BYTES_PER_SEAT_DAY * days),
        bytes_kept=logged + periods * BYTES_PER_PERIOD_ROW + people * 400 + 2_000,
    )


def _backlog(scenario: Scenario, inbound: float) -> float:
    """Leads piling up over the horizon in front of the first stage when its people cannot keep
    up (all of them stay in memory; patience is ignored, to stay on the safe side)."""
    first = next((st for st in scenario.stages.values() if st.kind == "work"), None)
    if first is None or inbound == 0:
        return 0.0
    demand = inbound * first.work_hours.mean
    staff = sum(scenario.roles[r].headcount for r in first.roles if r in scenario.roles)
    capacity = staff * _work_hours_per_day(scenario) * scenario.horizon_days
    return inbound * max(0.0, 1 - capacity / demand) if demand > 0 else 0.0


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 1.0


def machine_memory_bytes() -> float:
    """Memory this batch may use: the machine's physical memory, or less if the process runs
    in a control group with a memory limit (a container, a batch job); infinite if unknown."""
    try:
        physical = float(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        physical = math.inf
    return min(physical, _cgroup_limit())


def _cgroup_limit() -> float:
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(path).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 2**60:
            return float(text)
    return math.inf


def process_address_space_bytes() -> float:
    """The address space one process may map (`ulimit -v`), infinite when unlimited."""
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    except (ImportError, ValueError, OSError):
        return math.inf
    return math.inf if soft == resource.RLIM_INFINITY else float(soft)


@dataclass
class Batch:
    """What a batch needs, against what the machine allows."""

    sizes: list[Estimate]
    replications: int
    parallel: int
    hours: float
    memory: float
    available: float
    one: float  # address space of one process
    space: float  # address space a process may map

    @property
    def worst(self) -> Estimate:
        return max(self.sizes, key=lambda s: s.bytes_live)


def check(scenarios: Sequence[Scenario], replications: int, workers: int,
          max_hours: float = DEFAULT_MAX_HOURS, leads_log: bool = False,
          memory_bytes: float | None = None,
          process_bytes: float | None = None) -> None:  # fmt: skip
    """Raise `LimitError` when running `replications` of each scenario would take longer than
    `max_hours` on `workers` processes or need more than 80% of the machine's memory."""
    batch = _measure([estimate(sc, leads_log) for sc in scenarios], replications, workers,
                     memory_bytes, process_bytes)  # fmt: skip
    problems = _problems(batch, max_hours)
    if problems:
        events = sum(s.events for s in batch.sizes) * replications
        per_rep = max(batch.sizes, key=lambda s: s.leads)
        raise LimitError(
            f"This batch is too big to start: {' and '.join(problems)}. It means about "
            f"{events:.2g} simulation events ({per_rep.leads:,.0f} leads per replication in the "
            f"largest scenario, {replications:,} replications of {len(scenarios)} scenario(s)). "
            f"{_advice(batch, max_hours)}{', or leave out --leads' if leads_log else ''}; or "
            "pass --no-limit to run it anyway."
        )


def _measure(sizes: list[Estimate], replications: int, workers: int,
             memory_bytes: float | None, process_bytes: float | None) -> Batch:  # fmt: skip
    parallel = max(1, min(workers, replications // MIN_REPLICATIONS_PER_WORKER))
    worst = max(sizes, key=lambda s: s.bytes_live)
    memory = BASE_BYTES * (parallel + 1) + parallel * worst.bytes_live
    memory += max(s.bytes_kept for s in sizes) * replications
    return Batch(
        sizes, replications, parallel,
        hours=sum(s.seconds for s in sizes) * replications / parallel / 3600, memory=memory,
        available=0.8 * (memory_bytes if memory_bytes is not None else machine_memory_bytes()),
        one=BASE_ADDRESS_SPACE + 2 * worst.bytes_live,
        space=process_bytes if process_bytes is not None else process_address_space_bytes(),
    )  # fmt: skip


def _problems(b: Batch, max_hours: float) -> list[str]:
    problems = []
    if b.hours > max_hours:
        problems.append(f"an estimated {_duration(b.hours)} on {b.parallel} worker(s), more than "
                        f"the {_duration(max_hours)} allowed (--max-hours)")  # fmt: skip
    if b.memory > b.available:
        problems.append(f"about {_gib(b.memory)} of memory, more than the {_gib(b.available)} "
                        "this machine can give (80% of its memory)")  # fmt: skip
    if b.one > b.space:
        problems.append(f"about {_gib(b.one)} of address space in each process, more than the "
                        f"{_gib(b.space)} a process may use here (ulimit -v)")  # fmt: skip
    return problems


def _advice(b: Batch, max_hours: float) -> str:
    if b.worst.bytes_live + BASE_BYTES > b.available or b.one > b.space:
        return "A single replication is too big: shorten horizon_days or lower per_day"
    if b.hours > max_hours:
        return ("Use fewer replications (-n), a shorter horizon_days or fewer leads (per_day), "
                "or allow more time with --max-hours")  # fmt: skip
    return "Use fewer workers (-w) or fewer replications (-n)"


def _duration(hours: float) -> str:
    if hours >= 48:
        return f"{hours / 24:,.0f} days"
    if hours >= 1:
        return f"{hours:.1f} hours"
    return f"{hours * 60:.1f} minutes" if hours * 60 >= 1 else f"{hours * 3600:.0f} seconds"


def _gib(size: float) -> str:
    return f"{size / 2**30:,.1f} GiB"
