"""An agenda of timed actions kept outside SimPy's event queue: the customer book's repeat
orders, churn dates and referrals.

A long run builds up thousands of active customers, each with an order and a churn date
pending. As SimPy events each would be an `Event` object with its callback list and a closure,
all in SimPy's heap; here each is one small tuple in the agenda's own heap, and SimPy holds one
timeout, for the earliest. An action runs at the same instant and in the same order as its own
SimPy timeout would have: its time is reckoned as SimPy reckons a timeout's (now plus delay),
the agenda's timeout is set to land on exactly that time, and actions of one instant run in the
order they were booked. A booking in the past gets a timeout of its own, run after the events
already queued at this instant, as before.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable
from functools import partial
from typing import Any

import simpy

Action = Callable[[Any, float], None]


class Agenda:
    """Timed calls `action(subject, t)`, made when the simulation reaches `t`."""

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self.heap: list[tuple[float, int, Action, Any, float]] = []
        self.order = itertools.count()
        self.timers: set[float] = set()  # instants for which a SimPy timeout is pending

    def at(self, t: float, action: Action, subject: Any) -> None:
        """Call `action(subject, t)` at `t` (at once, after this instant's events, if past)."""
        now = self.env.now
        if t <= now:  # a timeout of its own, queued after this instant's events, as always
            self.env.timeout(0).callbacks.append(lambda _e: action(subject, t))
            return
        due = now + (t - now)
        heap = self.heap
        heapq.heappush(heap, (due, next(self.order), action, subject, t))
        if heap[0][0] == due:
            self._timer(due)

    def _timer(self, due: float) -> None:
        if due not in self.timers:
            self.timers.add(due)
            self._land(due)

    def _land(self, due: float) -> None:
        """A SimPy timeout that fires at exactly `due`, or at a hop on the way to it."""
        now = self.env.now
        delay = due - now
        for _ in range(4):  # rounding: now + (due - now) is not always due
            if now + delay == due:
                break
            delay = math.nextafter(delay, math.inf if now + delay < due else -math.inf)
        else:  # no delay lands on `due` from here (ties round to even on both sides): hop half
            # way; from there `due - now` is exact (now >= due / 2), so the next try lands
            delay = (due - now) / 2
        self.env.timeout(delay).callbacks.append(partial(self._fire, due))

    def _fire(self, due: float, _event: simpy.Event) -> None:
        if self.env.now != due:
            self._land(due)
            return
        self.timers.discard(due)
        heap = self.heap
        while heap and heap[0][0] <= due:
            _, _, action, subject, t = heapq.heappop(heap)
            action(subject, t)
        if heap:
            self._timer(heap[0][0])
