"""Management: a role that coaches raises its people's skill month by month, at the cost of
its own working hours."""

from __future__ import annotations

import pytest

from salessim.experiment import replications as experiment

from .conftest import make_scenario

COACH = {"headcount": 1, "stages": ["qualify"],
         "coaching": {"roles": ["designer"], "span": 2, "hours_per_week_each": 4,
                      "skill_gain_per_month": 0.05, "max_skill": 1.1}}  # fmt: skip


def _run(coach: dict[str, object] | None) -> experiment.RunResult:
    roles = {"designer": {"headcount": 2}}
    roles["lead_manager"] = coach or {"headcount": 1, "stages": ["qualify"]}
    scenario = make_scenario(horizon_days=120, leads=[{"source": "web", "per_day": 4}],
                             roles=roles)  # fmt: skip
    return experiment.run(scenario, 4, seed=5)


def test_coaching_raises_skill_up_to_the_ceiling_and_costs_the_coachs_hours() -> None:
    plain, coached = _run(None), _run(COACH)
    designers = coached.people[coached.people["role"] == "designer"]
    # by hand: month ends on days 30.4, 60.8 and 91.25 within 120 days: 1.05^3 = 1.158, but
    # the ceiling is 1.1
    assert designers["skill"].to_numpy() == pytest.approx(1.1)
    assert (plain.people[plain.people["role"] == "designer"]["skill"] == 1.0).all()
    # the coach gives 2 people x 4 hours = 8 of their 40 hours a week: 17 weeks and a day
    # begin in 120 days, so 18 blocks of 8 hours
    hours = coached.replications["staff.coaching_hours"]
    assert (hours == 18 * 8).all()
    manager = coached.people[coached.people["role"] == "lead_manager"]
    alone = plain.people[plain.people["role"] == "lead_manager"]
    lost = alone["hours_available"].to_numpy() - manager["hours_available"].to_numpy()
    assert lost == pytest.approx(18 * 8, abs=8)  # less a block cut by a holiday or the end
    # a designer at 1.1 wins about 10% more of the meetings they hold, from the second month
    won = coached.replications["won"].mean() / plain.replications["won"].mean()
    assert 1.0 < won < 1.12


def test_a_coach_of_an_unknown_role_is_refused() -> None:
    from pydantic import ValidationError

    bad = {**COACH, "coaching": {**COACH["coaching"], "roles": ["desginer"]}}  # type: ignore[dict-item]
    with pytest.raises(ValidationError, match="lead_manager.coaching.roles"):
        _run(bad)
