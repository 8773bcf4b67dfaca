"""The runtime records of the funnel: a lead on its journey and a stage with its queue.

Plain slotted classes, created and mutated only by `engine.Simulation`; `people`, `customers`
and `tally` read them. Kept apart so the engine module holds behaviour, not data layout.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from salessim.engine.customers import Customer
    from salessim.engine.people import PersonRt

INF = float("inf")
WON = -1


class Lead:
    """One prospect's journey (or one repeat purchase); `outcome` stays None while open."""

    __slots__ = ("id", "source", "arrived", "value", "deadline", "u", "counted", "contacted",
                 "outcome", "tries", "repeat", "customer", "by", "queued", "path", "at",
                 "team")  # fmt: skip

    def __init__(self, lid: int, source: int, arrived: float, value: float, deadline: float,
                 u: list[float], counted: bool) -> None:  # fmt: skip
        self.id = lid
        self.source = source
        self.arrived = arrived
        self.value = value
        self.deadline = deadline
        self.u = u
        self.counted = counted
        self.contacted = -1.0
        self.outcome: str | None = None
        self.tries = 0
        self.repeat = False
        self.customer: Customer | None = None
        self.by: PersonRt | None = None
        self.queued = arrived
        self.at = -1
        self.path: list[str] | None = None
        self.team: list[PersonRt] = []


class StageRt:
    """Runtime state of a stage: its team queue, idle people able to work it, and counters."""

    __slots__ = ("name", "index", "queue", "idle", "success", "next", "work", "delay",
                 "no_show", "attempts", "retry_delay", "retry_rng", "prospecting",
                 "leads_per_hour", "prospect_rng", "source", "entered", "worked", "succeeded",
                 "no_shows", "workers", "wait_hours", "waits", "daily_entered",
                 "daily_succeeded")  # fmt: skip

    def __init__(self, name: str, index: int) -> None:
        self.name = name
        self.index = index
        self.queue: deque[Lead] = deque()
        self.idle: dict[PersonRt, None] = {}
        self.success = 1.0
        self.next: int = WON
        self.work: Callable[[], float] = lambda: 0.0
        self.delay: Callable[[], float] | None = None
        self.no_show = 0.0
        self.attempts = 0
        self.retry_delay: Callable[[], float] = lambda: 0.0
        self.retry_rng: np.random.Generator | None = None
        self.prospecting = False
        self.leads_per_hour = 0.0
        self.prospect_rng: np.random.Generator | None = None
        self.source = -1
        self.entered = 0
        self.worked = 0
        self.succeeded = 0
        self.no_shows = 0
        self.workers: list[PersonRt] = []
        self.wait_hours = 0.0
        self.waits = 0
        self.daily_entered: list[float] = []
        self.daily_succeeded: list[float] = []
