"""Pay and behaviour (assumptions, off by default): the resignation rate answers pay against
the market and missed bonus targets."""

from __future__ import annotations

import math

import pytest

from salessim.experiment import replications as experiment

from .conftest import make_scenario


def _resignations(designer: dict[str, object], resignation: dict[str, object]) -> float:
    scenario = make_scenario(
        horizon_days=365,
        leads=[{"source": "web", "per_day": 20}],
        roles={"lead_manager": {"headcount": 2},
               "designer": {"headcount": 100, "salary_month": 2000, **designer}},
        workforce={"resignation": {"annual_rate": 0.2, "hire_days": 400, **resignation}},
    )  # fmt: skip
    reps = experiment.run(scenario, 4, seed=8).replications
    return float(reps["staff.resignations"].mean())


def test_pay_below_the_market_drives_people_out() -> None:
    base = _resignations({}, {})
    low = _resignations({"market_salary_month": 2500}, {"pay_elasticity": 2})
    # by hand: (2500 / 2000)^2 = 1.5625 times the rate; with replacements only after the year
    # (hire_days 400), 102 people resign in the year with 1 - exp(-0.2 x 1.5625) against
    # 1 - exp(-0.2) (the 2 lead-managers keep their rate)
    expected = (100 * (1 - math.exp(-0.3125)) + 2 * (1 - math.exp(-0.2))) / (
        102 * (1 - math.exp(-0.2))
    )
    assert low / base == pytest.approx(expected, rel=0.15)
    same = _resignations({"market_salary_month": 2500}, {})  # elasticity 0: no effect
    assert same == base


def test_missed_bonus_targets_raise_the_resignation_rate() -> None:
    bonus = {"bonus": {"monthly_target": 1e9, "amount": 100}}  # never reached
    base = _resignations(bonus, {})
    missed = _resignations(bonus, {"bonus_miss_factor": 3})
    # by hand: the first month at the base rate, the next 11 at three times it
    expected = (100 * (1 - math.exp(-0.2 * (1 + 3 * 11) / 12)) + 2 * (1 - math.exp(-0.2))) / (
        102 * (1 - math.exp(-0.2))
    )
    assert missed / base == pytest.approx(expected, rel=0.15)
    reached = {"bonus": {"monthly_target": 0, "amount": 100}}
    assert _resignations(reached, {"bonus_miss_factor": 3}) == _resignations(reached, {})
