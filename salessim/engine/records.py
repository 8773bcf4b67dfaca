"""The runtime records of one replication: a lead on its journey, a stage with its queue, a
person with their availability and tallies, a won customer.

Plain slotted classes (a person also answers where they are at a time), created and mutated by
the engine's behaviour modules (`simulation`, `people`, `customers`) and read by `tally`. They
import nothing of the engine above them, so the engine's modules form no circle.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import simpy

from salessim.engine.calendar import WorkCalendar
from salessim.scenario.workforce import RampUp, Workforce

if TYPE_CHECKING:
    from salessim.scenario.models import Routing

INF = float("inf")
WON = -1


class Lead:
    """One prospect's journey (or one repeat purchase); `outcome` stays None while open."""

    __slots__ = ("id", "source", "arrived", "value", "deadline", "u", "counted", "contacted",
                 "outcome", "tries", "repeat", "customer", "by", "queued", "path", "at",
                 "team", "missed", "rebooked", "since", "in_stage")  # fmt: skip

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
        self.path: list[tuple[str, float]] | None = None  # (stage, when entered), if logged
        self.since = arrived  # when it entered its current stage (`in_stage`)
        self.in_stage = -1
        self.missed: str | None = None  # "no_show" or "cancel" (found by a reminder)
        self.rebooked = -1  # stage it was booked at again after a cancellation: a fresh draw
        self.team: dict[PersonRt, int] = {}
        """Everyone who worked on the lead, in order, with the stage they first worked (where
        their skill counts)."""


class StageRt:
    """Runtime state of a stage: its team queue, idle people able to work it, and counters."""

    __slots__ = ("name", "index", "queue", "idle", "success", "next", "work", "delay",
                 "no_show", "attempts", "retry_delay", "retry_rng", "prospecting",
                 "leads_per_hour", "prospect_rng", "source", "worked",
                 "patience", "no_show_cost", "reminded", "reminder_hours", "catches",
                 "reschedules", "reminder_rng", "no_shows", "workers", "staff", "wait_hours",
                 "daily_entered", "daily_succeeded", "waits_hours",
                 "times_hours", "routing", "assigned", "turn", "plain", "rule_from",
                 "rule_below", "rule_hours", "branches", "branch_rng", "margin",
                 "lost_waiting", "loops", "loop_rng")  # fmt: skip

    def __init__(self, name: str, index: int) -> None:
        self.name = name
        self.index = index
        self.queue: deque[Lead] = deque()
        self.idle: dict[PersonRt, None] = {}
        self.success = 1.0
        self.next: int = WON
        self.work: Callable[[], float] = lambda: 0.0
        self.delay: Callable[[], float] | None = None
        self.patience: Callable[[], float] | None = None
        self.no_show_cost: Callable[[], float] | None = None
        self.reminded = False
        self.reminder_hours = 0.0
        self.catches = 0.0
        self.reschedules = 0.0
        self.reminder_rng: np.random.Generator | None = None
        self.no_show = 0.0
        self.attempts = 0
        self.retry_delay: Callable[[], float] = lambda: 0.0
        self.retry_rng: np.random.Generator | None = None
        self.prospecting = False
        self.rule_from = -1  # prospect only while the pipeline from this stage on is thin
        self.rule_below = 0
        self.rule_hours = 0.0
        # (target, share, deals worth more than, source or -1): ways out before `next`
        self.branches: list[tuple[int, float, float, int]] | None = None
        self.branch_rng: np.random.Generator | None = None
        # branch targets from which a lead can come back here, and the stream that then draws
        # its per-stage chances afresh (a second visit is a new attempt, not a replay)
        self.loops: set[int] = set()
        self.loop_rng: np.random.Generator | None = None
        self.margin = 1.0  # gross margin of deals won here (the stage's, else the scenario's)
        self.leads_per_hour = 0.0
        self.prospect_rng: np.random.Generator | None = None
        self.source = -1
        self.worked = 0
        self.no_shows = 0
        self.lost_waiting = 0  # cohort leads that left while waiting here (`patience_hours`)
        self.workers: list[PersonRt] = []  # everyone who ever worked it, in order of joining
        self.staff: list[PersonRt] = []  # those of them not yet gone
        self.wait_hours = 0.0
        self.daily_entered: list[float] = []
        self.daily_succeeded: list[float] = []
        # cohort leads' waits in the queue, and times from entering to leaving (8 bytes each)
        self.waits_hours = array("d")
        self.times_hours = array("d")
        self.routing: Routing | None = None  # set when leads are assigned on entry
        self.assigned: dict[PersonRt, int] = {}  # leads assigned to each person (weighted)
        self.turn = 0  # round robin: where the next turn starts in `workers`
        self.plain = True  # no booking delay, routing or patience: a lead joins the queue

    @property
    def waits(self) -> int:
        """Cohort leads (not repeat orders) that waited in the stage's queues."""
        return len(self.waits_hours)

    @property
    def entered(self) -> int:
        """Cohort leads that entered the stage (retries not counted)."""
        return int(sum(self.daily_entered))

    @property
    def succeeded(self) -> int:
        """Cohort leads whose work at the stage succeeded."""
        return int(sum(self.daily_succeeded))


class PersonRt:
    """Running state of one person: availability, skill, queue of booked leads and records."""

    __slots__ = (
        "name", "role", "seat", "generation", "cal", "stages", "work_time", "success",
        "resignation_rate", "hired", "notice_at", "leaves", "effort", "ramp", "holes", "gone",
        "reason", "personal", "wake", "timer_at", "busy_until", "last_stage", "week",
        "week_hours", "week_cap", "stage_week", "busy_hours", "available_hours",
        "hours_by_stage", "attempts", "successes", "judged", "judged_successes",
        "expected", "deals", "revenue", "revenue_repeat",
        "customers", "customers_lost", "wf", "revenue_window", "commission", "monthly",
        "pending", "last_booked", "shares", "limited", "overhead", "commission_rate", "bonus",
        "sourcing_rate", "replaced", "done", "prior_tasks", "focus", "switch", "busy_days",
        "ramp_from", "ruled", "coaching",
    )  # fmt: skip

    def __init__(self, name: str, role: str, seat: int, hired: float, wf: Workforce) -> None:
        self.name = name
        self.role = role
        self.seat = seat
        self.generation = 0
        self.wf = wf
        self.cal = WorkCalendar([])
        self.stages: list[StageRt] = []
        self.work_time = 1.0
        self.success = 1.0
        self.resignation_rate = wf.resignation.annual_rate
        self.hired = hired
        self.ramp_from = hired  # when their ramp-up began (before day 0 for opening tenure)
        self.ruled: list[StageRt] = []  # prospecting stages with a pipeline rule: first if thin
        self.coaching: list[tuple[float, float]] = []  # weekly coaching blocks (a coach's)
        self.notice_at = INF
        self.leaves = INF
        self.effort = wf.resignation.notice_effort
        self.ramp: RampUp | None = None
        self.holes: list[tuple[float, float]] = []
        self.gone = False
        self.reason = ""
        self.personal: dict[int, deque[Lead]] = {}
        self.wake: Wake | None = None
        self.timer_at = -1.0
        self.busy_until = 0.0
        self.last_stage = -1
        self.week = -1
        self.week_hours = 0.0
        self.week_cap = INF
        self.stage_week: dict[int, float] = {}
        self.busy_hours = 0.0
        self.available_hours = 0.0
        self.hours_by_stage: dict[str, float] = {}
        self.attempts = 0
        self.successes = 0
        self.judged = 0  # attempts where their skill counted (first stage on a lead) ...
        self.judged_successes = 0  # ... those that succeeded ...
        self.expected = 0.0  # ... and an average person's expected successes on them
        self.deals = 0
        self.revenue = 0.0
        self.revenue_repeat = 0.0
        self.customers: dict[Customer, None] = {}  # active customers they own, oldest first
        self.customers_lost = 0
        self.revenue_window = 0.0
        self.commission = 0.0
        self.monthly: dict[int, float] = {}
        self.pending = 0
        self.last_booked = -1.0
        self.shares = False
        self.limited = False
        self.overhead = 0.0
        self.commission_rate = 0.0
        self.bonus = False  # whether their role pays a monthly bonus (so `monthly` is kept)
        self.sourcing_rate = 0.0
        self.replaced = False
        self.done: dict[int, float] = {}  # tasks done at each stage (learning by doing)
        self.prior_tasks = 0.0  # tasks done at each stage before joining
        self.focus = 1.0  # time multiplier for the number of stages the person works
        self.switch: dict[tuple[int, int], float] | None = None  # hours per (from, to) stage
        self.busy_days: list[float] = []  # the role's daily busy hours (`Tally.daily_busy`)

    def employed(self, t: float) -> bool:
        return self.hired <= t < self.leaves and not self.gone

    def on_leave(self, t: float) -> bool:
        """Sick, on vacation or on a scheduled absence at `t`."""
        i = bisect_right(self.holes, (t, INF)) - 1
        return i >= 0 and t < self.holes[i][1]

    def present(self, t: float) -> bool:
        """Employed and not on leave at `t` (off-hours still count as present)."""
        return self.employed(t) and not self.on_leave(t)

    def productivity(self, t: float) -> float:
        """Ramp-up factor in (0, 1] times notice effort: at f, work takes 1/f as long."""
        ramp = self.ramp
        if ramp is None and t < self.notice_at:
            return 1.0
        f = 1.0
        if ramp is not None:
            if ramp.days > 0:
                x = min(max((t - self.ramp_from) / (ramp.days * 24), 0.0), 1.0)
                if ramp.shape == "s_curve":
                    x = x * x * (3 - 2 * x)
                f = ramp.start + (1 - ramp.start) * x
            if f == 1.0:  # ramped up: full speed from now on (simulated time only goes forward)
                self.ramp = None
        if t >= self.notice_at:
            f *= self.effort
        return f


class Wake(simpy.Event):
    """What an idle person waits for: to be woken now (`succeed`: they look for work again), or
    the end of work a lead's arrival started for them (`after`: its value says which)."""

    def after(self, delay_hours: float, work: Work) -> None:
        self._ok = True  # as `succeed` does, but processed `delay_hours` from now
        self._value = work
        self.env.schedule(self, delay=delay_hours)


Work = tuple[Lead | None, StageRt, float, float]
"""A piece of work started: (lead or None for prospecting, stage, when it ends, base hours)."""


class Customer:
    __slots__ = ("owner", "active", "churn_at", "lost_with_owner", "won_at", "ended_at", "revenue",
                 "lost_orders")  # fmt: skip

    def __init__(self, owner: PersonRt | None, churn_at: float, won_at: float, value: float):
        self.owner = owner
        self.active = True
        self.churn_at = churn_at
        self.lost_with_owner = False
        self.won_at = won_at
        self.ended_at = churn_at
        self.revenue = value
        self.lost_orders = 0
