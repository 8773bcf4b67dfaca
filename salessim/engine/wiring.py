"""What the parts of the simulation (`inflow`, `queues`, `workloop`, `outcomes`) share.

`Wired` is the protocol of the assembled `simulation.Simulation` as those mixins see it: its
state (environment, stages, open leads, people, tally, policies) and the methods one part calls
on another. Each part's methods are typed `self: Wired`, so mypy checks every use against this
list, and a new part shows here what it needs.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np
    import simpy

    from salessim.engine.calendar import WorkCalendar
    from salessim.engine.customers import CustomerBook
    from salessim.engine.people import Staffing
    from salessim.engine.records import Customer, Lead, PersonRt, StageRt, Wake
    from salessim.engine.routing import Router
    from salessim.engine.streams import Streams
    from salessim.engine.tally import Tally
    from salessim.engine.work import Productivity, Prospecting
    from salessim.scenario.models import Scenario

TraceRow = tuple[Any, ...]


class Wired(Protocol):
    """The assembled simulation: shared state and the methods its parts call on each other."""

    scenario: Scenario
    streams: Streams
    env: simpy.Environment
    horizon: float
    warmup: float
    trace: list[TraceRow] | None
    lead_log: list[dict[str, Any]] | None
    open: dict[int, Lead]
    next_id: int
    stage_index: dict[str, int]
    sources: list[str]
    stages: list[StageRt]
    tally: Tally
    role_people: dict[str, list[PersonRt]]
    role_staff: dict[str, list[PersonRt]]
    customers: CustomerBook
    staffing: Staffing
    opening_age: dict[int, float]
    router: Router
    productivity: Productivity
    prospecting: Prospecting
    follow_rng: np.random.Generator
    role_calendars: dict[str, WorkCalendar]
    seat_calendars: dict[tuple[str, int], WorkCalendar]

    def at(self, t: float, action: Callable[[], Any]) -> None: ...

    # inflow
    def _new_lead(self, source: int, t: float, value: float, deadline: float,
                  u: list[float]) -> Lead: ...  # fmt: skip

    def _prospected(self, st: StageRt, person: PersonRt, base_hours: float) -> None: ...

    def _fate(self, lead: Lead, kind: str) -> None: ...

    def _branch(self, lead: Lead, st: StageRt) -> int: ...

    # queues
    def _enter(self, lead: Lead, st: StageRt, now: float, retry: bool = False,
               by: PersonRt | None = None, residual: float = 1.0,
               start_now: bool = False) -> None: ...  # fmt: skip

    def _deliver(self, lead: Lead, st: StageRt, target: PersonRt | None, booked: bool,
                 start_now: bool) -> None: ...  # fmt: skip

    def _enqueue(self, lead: Lead, st: StageRt, now: float,
                 target: PersonRt | None = None, start_now: bool = False) -> None: ...  # fmt: skip

    def _pop(self, queue: deque[Lead], st: StageRt, now: float) -> Lead | None: ...

    def _waited(self, lead: Lead, st: StageRt, until: float) -> None: ...

    # outcomes
    def _start(self, lead: Lead, person: PersonRt, now: float) -> None: ...

    def _complete(self, lead: Lead, st: StageRt, person: PersonRt, now: float) -> None: ...

    def _repeat_u(self) -> float: ...

    def _advance(self, lead: Lead, st: StageRt, person: PersonRt, now: float) -> None: ...

    def _credit(self, person: PersonRt, value: float, now: float, counted: bool) -> None: ...

    def repeat_won(self, value: float, customer: Customer) -> None: ...

    def _end(self, lead: Lead, outcome: str, t: float, person: PersonRt | None = None) -> None: ...

    def _log_row(self, lead: Lead | None, outcome: str, t: float, person: PersonRt | None,
                 value: float) -> dict[str, Any]: ...  # fmt: skip

    # workloop
    def wake(self, person: PersonRt) -> None: ...

    def hand(self, person: PersonRt, now: float) -> None: ...

    def _woken(self, person: PersonRt) -> Wake | None: ...

    def _may_work(self, person: PersonRt, now: float) -> bool: ...

    def _resume_at(self, person: PersonRt, end: float) -> float: ...

    def _sleep(self, person: PersonRt, close: float) -> Wake: ...

    def _no_show(self, lead: Lead, st: StageRt) -> bool: ...
    def _missed(self, lead: Lead, st: StageRt, person: PersonRt) -> None: ...
    def _week_open(self, person: PersonRt, st: StageRt | None, now: float) -> bool: ...
    def _new_week(self, person: PersonRt, week: int) -> None: ...

    def _pick(self, person: PersonRt, now: float) -> tuple[Lead | None, StageRt | None]: ...

    def _person(self, person: PersonRt) -> Generator[simpy.Event, Any, None]: ...

    def _begin(self, person: PersonRt, lead: Lead | None, st: StageRt,
               now: float) -> tuple[float, float]: ...  # fmt: skip

    def _account(self, person: PersonRt, st: StageRt, start: float, end: float,
                 hours: float) -> None: ...  # fmt: skip
