"""Working-time arithmetic: the base of 'nobody works outside their hours'."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from salessim.engine.calendar import WorkCalendar, resolve
from salessim.scenario.models import Calendar, CalendarOverride

WEEKDAY_9_17 = Calendar(start="2026-01-05", hours=(9, 17))  # 2026-01-05 is a Monday


def test_work_continues_next_working_period() -> None:
    cal = WorkCalendar.build(WEEKDAY_9_17, 24 * 14)
    assert cal.finish(16, 3) == 24 + 11  # 1 h on Monday, 2 h on Tuesday morning
    friday_4pm = 4 * 24 + 16
    assert cal.finish(friday_4pm, 2) == 7 * 24 + 10  # skips the weekend


def test_work_ending_at_closing_time_ends_then() -> None:
    cal = WorkCalendar.build(WEEKDAY_9_17, 24 * 14)
    assert cal.finish(9, 8) == 17


def test_holidays_and_round_the_clock() -> None:
    cal = WorkCalendar.build(Calendar(start="2026-01-05", holidays=["2026-01-06"]), 24 * 7)
    assert not cal.is_open(24 + 10)
    assert cal.next_open(24 + 10) == 48 + 9
    always = WorkCalendar.build(
        Calendar(workdays=["mon", "tue", "wed", "thu", "fri", "sat", "sun"], hours=(0, 24)), 500
    )
    assert always.always_open and always.finish(3.5, 100) == 103.5


def test_role_override_keeps_other_keys() -> None:
    merged = resolve(WEEKDAY_9_17, CalendarOverride(workdays=["sat", "sun"]))
    assert merged.hours == (9, 17) and merged.workdays == ["sat", "sun"]


@given(start=st.floats(0, 24 * 20), hours=st.just(0.0) | st.floats(0.001, 200))
def test_finish_counts_only_working_time(start: float, hours: float) -> None:
    cal = WorkCalendar.build(WEEKDAY_9_17, 24 * 60)
    end = cal.finish(start, hours)
    assert end >= start
    worked = sum(b - a for a, b in cal.segments(start, end))
    assert math.isclose(worked, hours, abs_tol=1e-6)
    if hours > 0:
        assert cal.is_open(end - 1e-6)


def test_work_ending_exactly_at_the_last_closing_time_is_finishable() -> None:
    cal = WorkCalendar([(9, 17), (33, 41)])
    assert cal.finish(39, 2) == 41
    assert cal.finish(16.1, 0.9) == 17  # floating point must not push it to the next morning
