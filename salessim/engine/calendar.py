"""Working time on a real calendar, as arithmetic on sorted working intervals.

Simulated time is hours since midnight of `Calendar.start`. A `WorkCalendar` holds the working
intervals of one calendar over the horizon (touching intervals merged, so a 24/7 calendar is one
interval) plus the cumulative working hours at each interval start. The engine asks it when a
person next works and when a piece of work started now will be finished; work not finished at
closing time continues in the next working period. No SimPy here.
"""

from __future__ import annotations

import datetime as dt
import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable

from salessim.scenario.models import WEEKDAYS, Calendar, CalendarOverride

INF = math.inf


class WorkCalendar:
    """Working intervals [starts[i], ends[i]) in simulated hours, sorted and disjoint."""

    __slots__ = ("starts", "ends", "cum", "always_open")

    def __init__(self, intervals: Iterable[tuple[float, float]]) -> None:
        starts: list[float] = []
        ends: list[float] = []
        for a, b in intervals:
            if b <= a:
                continue
            if ends and a <= ends[-1]:
                ends[-1] = max(ends[-1], b)
            else:
                starts.append(a)
                ends.append(b)
        self.starts = starts
        self.ends = ends
        cum = [0.0]
        for a, b in zip(starts, ends, strict=True):
            cum.append(cum[-1] + (b - a))
        self.cum = cum
        self.always_open = len(starts) == 1 and starts[0] <= 0 and ends[0] == INF

    @classmethod
    def build(cls, cal: Calendar, horizon_hours: float) -> WorkCalendar:
        """Working intervals of `cal` from hour 0 to the horizon (plus one spare day)."""
        days = int(math.ceil(horizon_hours / 24)) + 1
        workdays = {WEEKDAYS.index(d) for d in cal.workdays}
        holidays = set(cal.holidays)
        h0, h1 = cal.hours
        intervals = []
        for day in range(days):
            date = cal.start + dt.timedelta(days=day)
            if date.weekday() in workdays and date not in holidays:
                intervals.append((day * 24 + h0, day * 24 + h1))
        if intervals and intervals[-1][1] >= days * 24:
            intervals[-1] = (intervals[-1][0], INF)
        return cls(intervals)

    def is_open(self, t: float) -> bool:
        i = bisect_right(self.starts, t) - 1
        return i >= 0 and t < self.ends[i]

    def next_open(self, t: float) -> float:
        """Earliest working instant at or after `t` (inf if the calendar has ended)."""
        i = bisect_right(self.starts, t) - 1
        if i >= 0 and t < self.ends[i]:
            return t
        return self.starts[i + 1] if i + 1 < len(self.starts) else INF

    def close_after(self, t: float) -> float:
        """End of the working interval containing `t` (or of the next one if closed)."""
        i = bisect_right(self.starts, t) - 1
        if i >= 0 and t < self.ends[i]:
            return self.ends[i]
        return self.ends[i + 1] if i + 1 < len(self.ends) else INF

    def worked(self, t: float) -> float:
        """Working hours in [0, t)."""
        i = bisect_right(self.starts, t) - 1
        if i < 0:
            return 0.0
        return self.cum[i] + min(t, self.ends[i]) - self.starts[i]

    def at_worked(self, w: float) -> float:
        """Inverse of `worked`: the instant at which `w` working hours have elapsed.

        Work ending exactly at a closing time (within 1e-9 h) ends at that closing time.
        """
        if w <= 0:
            return self.starts[0] if self.starts else INF
        j = bisect_left(self.cum, w - 1e-9)
        if j < len(self.cum) and abs(self.cum[j] - w) <= 1e-9:
            return self.ends[j - 1] if j > 0 else (self.starts[0] if self.starts else INF)
        k = j - 1
        if k >= len(self.starts):
            return INF
        return self.starts[k] + (w - self.cum[k])

    def finish(self, t: float, hours: float) -> float:
        """Instant when `hours` of work started at `t` end, counting only working time."""
        if self.always_open or hours <= 0:
            return t + hours
        return max(t, self.at_worked(self.worked(t) + hours))

    def segments(self, a: float, b: float) -> list[tuple[float, float]]:
        """Working sub-intervals of [a, b)."""
        out = []
        i = max(bisect_right(self.starts, a) - 1, 0)
        while i < len(self.starts) and self.starts[i] < b:
            lo, hi = max(a, self.starts[i]), min(b, self.ends[i])
            if hi > lo:
                out.append((lo, hi))
            i += 1
        return out


def resolve(base: Calendar, override: CalendarOverride | None) -> Calendar:
    """A calendar with a role's (or a person's) overrides applied."""
    if override is None:
        return base
    changes = {k: v for k, v in override.model_dump().items() if v is not None}
    return base.model_copy(update=changes)


def restricted(
    cal: WorkCalendar, start: float, end: float, holes: list[tuple[float, float]]
) -> WorkCalendar:
    """`cal` limited to [start, end) and with the `holes` (sorted, disjoint) cut out."""
    i = max(bisect_right(cal.starts, start) - 1, 0)
    pieces: list[tuple[float, float]] = []
    while i < len(cal.starts) and cal.starts[i] < end:
        lo, hi = max(cal.starts[i], start), min(cal.ends[i], end)
        if hi > lo:
            pieces.append((lo, hi))
        i += 1
    if holes:
        pieces = _cut(pieces, holes)
    return WorkCalendar(pieces)


def _cut(
    pieces: list[tuple[float, float]], holes: list[tuple[float, float]]
) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    j = 0
    for lo, hi in pieces:
        while j < len(holes) and holes[j][1] <= lo:
            j += 1
        k = j
        cur = lo
        while k < len(holes) and holes[k][0] < hi:
            if holes[k][0] > cur:
                out.append((cur, holes[k][0]))
            cur = max(cur, holes[k][1])
            k += 1
        if cur < hi:
            out.append((cur, hi))
    return out


def merge_intervals(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Sorted union of intervals."""
    out: list[tuple[float, float]] = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out
