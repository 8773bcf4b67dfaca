"""Shared fixtures: small scenarios built in code, so each test states only what it changes."""

from __future__ import annotations

import copy
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from salessim.scenario.models import Scenario

TINY: dict[str, Any] = {
    "name": "tiny",
    "horizon_days": 28,
    "calendar": {
        "start": "2026-01-05",
        "workdays": ["mon", "tue", "wed", "thu", "fri"],
        "hours": [9, 17],
    },
    "leads": [{"source": "web", "per_day": 6}],
    "deal_value": 1000,
    "stages": {
        "qualify": {"by": "lead_manager", "work_hours": 0.5, "success": 0.5, "next": "meeting"},
        "meeting": {
            "by": "designer",
            "work_hours": {"dist": "exponential", "mean": 2},
            "success": 0.5,
        },
    },
    "roles": {"lead_manager": {"headcount": 1}, "designer": {"headcount": 1}},
}


MINIMAL_YAML = """\
name: tiny
horizon_days: 30
leads:
  - {source: web, per_day: 5}
stages:
  qualify: {by: lead_manager, work_hours: 0.5, success: 0.4, next: meeting}
  meeting: {by: designer, work_hours: {dist: triangular, low: 1, mode: 2, high: 3}, success: 0.5}
roles:
  lead_manager: {headcount: 2}
  designer: {headcount: 1}
"""

# Four mistakes: a wrong type (line 4), success out of range (line 10), `next` naming a missing
# stage (line 11) and a typo of a required key (line 14).
BROKEN_YAML = """\
name: tiny
horizon_days: 30
leads:
  - {source: web, per_day: lots}
stages:
  qualify: {by: lead_manager, work_hours: 0.5, success: 0.4, next: meeting}
  meeting:
    by: designer
    work_hours: {dist: triangular, low: 1, mode: 2, high: 3}
    success: 1.5
    next: meting
roles:
  lead_manager: {headcount: 2}
  designer: {headcont: 1}
"""


def deep_update(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_update(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def make_scenario(**changes: Any) -> Scenario:
    """The TINY scenario with `changes` deep-merged in (mappings merge, other values replace)."""
    return Scenario.model_validate(deep_update(TINY, changes))


@pytest.fixture
def tiny_file(tmp_path: Path) -> Path:
    """MINIMAL_YAML written to a file, for tests of the command line."""
    path = tmp_path / "tiny.yaml"
    path.write_text(MINIMAL_YAML)
    return path


@pytest.fixture
def tiny() -> Scenario:
    return make_scenario()


HANG_SECONDS = 300.0
"""A guard against a real hang, never a speed test: speed is measured in bench/."""


class Hang(Exception):
    """A block took longer than its hang guard."""


@contextmanager
def hang_guard(seconds: float = HANG_SECONDS) -> Iterator[None]:
    """Fail if the block takes longer than `seconds` (minutes: only a real hang trips it), even
    if the code under test swallows the interruption (the alarm is remembered)."""
    fired: list[bool] = []

    def on_alarm(signum: int, frame: Any) -> None:
        fired.append(True)
        raise Hang(f"still running after {seconds} s: a hang")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert not fired, f"still running after {seconds} s: a hang"
