"""People effects that add up: productivity, skill, probation, caps and absences as entered.

Each test holds the engine to a figure derived by hand (docs/modelling.md, "Productivity and
skill"): a person at factor f produces about f of a veteran's output on a saturated funnel; a
person of skill s carries about s as many leads through their part; caps and absence days come
out as entered.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

import salessim
from salessim.experiment.replications import replicate
from salessim.scenario.models import Scenario

from .conftest import TINY, deep_update

ROOT = Path(__file__).resolve().parents[1]
SEEDS = range(4)


def make_scenario(
    stages: dict[str, Any] | None = None, roles: dict[str, Any] | None = None, **changes: Any
) -> Scenario:
    """TINY's calendar and leads with these stages and roles (replaced, not merged)."""
    data = deep_update(TINY, changes)
    data["stages"] = stages or TINY["stages"]
    data["roles"] = roles or TINY["roles"]
    return Scenario.model_validate(data)


def funnel(stages: int, specialists: bool, per_day: float, **changes: Any) -> Scenario:
    """A funnel of `stages` stages of 0.25 h (success 0.7), one person per role, no absences;
    a lead not contacted within a day goes cold, so the backlog stays about a day long."""
    names = [f"s{i}" for i in range(stages)]
    spec = {
        name: {
            "by": f"r{i}" if specialists else "seller",
            "work_hours": 0.25,
            "success": 0.7,
            "next": names[i + 1] if i + 1 < stages else "won",
        }
        for i, name in enumerate(names)
    }
    roles = [f"r{i}" for i in range(stages)] if specialists else ["seller"]
    return make_scenario(
        horizon_days=120,
        warmup_days=20,
        leads=[{"source": "web", "per_day": per_day, "patience_hours": 24}],
        stages=spec,
        roles={role: {"headcount": 1} for role in roles},
        **changes,
    )


def at_effort(scenario: Scenario, effort: float) -> Scenario:
    """Everyone resigns on day 0 and works a notice longer than the horizon at `effort`."""
    events = [{"day": 0, "action": "resign", "person": f"{role}[0]"} for role in scenario.roles]
    data = scenario.model_dump(by_alias=True, exclude_unset=True)
    data["events"] = events
    data["workforce"] = {
        "resignation": {"notice_days": 10_000, "notice_effort": effort, "replace": False}
    }
    return Scenario.model_validate(data)


def won(scenario: Scenario, seeds: range = SEEDS) -> float:
    return sum(replicate(scenario, seed, 0).record["won"] for seed in seeds)


@pytest.mark.parametrize(("stages", "specialists"), [(1, False), (4, False), (4, True)])
def test_half_productivity_wins_half_the_deals_on_a_saturated_funnel(
    stages: int, specialists: bool
) -> None:
    # 40 leads a day against a capacity of at most 32 pieces of work a working day per person.
    veteran = funnel(stages, specialists, per_day=40)
    ratio = won(at_effort(veteran, 0.5)) / won(veteran)
    assert 0.45 <= ratio <= 0.55, ratio


def test_skill_counts_once_per_lead_for_a_generalist() -> None:
    # Few leads (nobody waits long): a seller of skill 0.5 working all four stages of each lead
    # wins about half the deals of an average one, not 0.5^4.
    average = funnel(4, False, per_day=3)
    data = average.model_dump(by_alias=True, exclude_unset=True)
    data["roles"] = {"seller": {"headcount": 1, "people": [{"success": 0.5}]}}
    weak = Scenario.model_validate(data)
    ratio = won(weak, range(10)) / won(average, range(10))
    assert 0.42 <= ratio <= 0.58, ratio


def star_leaves(notice_days: float, effort: float, replace: bool) -> float:
    scenario = salessim.load(
        ROOT / "scenarios" / "super_seller_leaves.yaml",
        {
            "workforce.resignation.notice_days": notice_days,
            "workforce.resignation.notice_effort": effort,
            "workforce.resignation.replace": replace,
        },
    )
    summary = salessim.run(scenario, 20, seed=3).summary.set_index("metric")
    return float(summary.loc["revenue", "mean"])


@pytest.mark.parametrize("replace", [True, False])
@pytest.mark.parametrize("effort", [0.1, 0.8])
def test_a_longer_notice_never_lowers_revenue(effort: float, replace: bool) -> None:
    assert star_leaves(90, effort, replace) >= star_leaves(30, effort, replace)


def turnover(probation: bool) -> Scenario:
    """Eight sellers who leave three times a year; hires vary (sd 0.4) and start after 5 days."""
    workforce: dict[str, Any] = {
        "resignation": {"annual_rate": 3.0, "notice_days": 0, "hire_days": 5},
        "hire_skill": {"dist": "lognormal", "mean": 1.0, "sd": 0.4},
    }
    if probation:
        workforce["probation"] = {"days": 30, "min_relative": 0.9, "min_attempts": 30}
    return make_scenario(
        horizon_days=365,
        leads=[{"source": "web", "per_day": 60}],
        stages={"close": {"by": "seller", "work_hours": 1.0, "success": 0.5}},
        roles={"seller": {"headcount": 8}},
        workforce=workforce,
    )


def staff_skill(scenario: Scenario) -> list[float]:
    """Skill of the people still employed at the horizon, over five replications."""
    return [
        row["skill"]
        for r in range(5)
        for row in replicate(scenario, 11, r).people
        if np.isnan(row["end_day"])
    ]


def test_probation_raises_the_skill_of_the_staff_when_hires_vary() -> None:
    without, with_probation = staff_skill(turnover(False)), staff_skill(turnover(True))
    assert abs(np.mean(without) - 1.0) < 0.1  # veterans 1, hires 1 on average
    assert np.mean(with_probation) > np.mean(without) + 0.05


def test_new_hires_draw_their_skill_from_the_role() -> None:
    hires = [
        row["skill"]
        for r in range(5)
        for row in replicate(turnover(False), 12, r).people
        if "#" in row["person"]
    ]
    assert len(hires) > 80
    assert abs(np.mean(hires) - 1.0) < 0.06 and 0.28 < np.std(hires) < 0.55


def one_hire(stage_success: float, skill: float) -> str:
    """Why a hire of `skill` on a stage of base success `stage_success` left (or "")."""
    scenario = make_scenario(
        horizon_days=150,
        leads=[{"source": "web", "per_day": 20}],
        stages={"close": {"by": "seller", "work_hours": 1.0, "success": stage_success}},
        roles={"seller": {"headcount": 1}},
        workforce={"probation": {"days": 60, "min_relative": 0.9, "min_attempts": 30}},
        events=[{"day": 1, "action": "hire", "person": "seller", "success": skill}],
    )
    rows = replicate(scenario, 1, 0).people
    return str(next(row["left_because"] for row in rows if "#" in row["person"]))


def test_probation_judges_against_the_stage_not_a_raw_rate() -> None:
    # A raw rate of 0.76 on an easy stage is poor work; 0.3 on a hard stage is average work.
    assert one_hire(0.95, 0.8) == "dismissed"
    assert one_hire(0.30, 1.0) == ""


def share_worked(scenario: Scenario) -> float:
    rows = [row for r in range(4) for row in replicate(scenario, 5, r).people]
    return sum(r["hours_worked"] for r in rows) / sum(r["hours_available"] for r in rows)


@pytest.mark.parametrize("task_hours", [None, 4.0, 20.0])
def test_the_time_share_holds_over_a_year_whatever_the_task_length(
    task_hours: float | None,
) -> None:
    overrides = {} if task_hours is None else {
        f"stages.{stage}.work_hours": task_hours
        for stage in ("qualify", "proposal", "close", "support")
    }  # fmt: skip
    director = salessim.load(ROOT / "scenarios" / "director_sells.yaml", overrides)
    share = share_worked(director)
    assert 0.2 < share <= 0.30 + 0.01, share


def absent_days(workforce: dict[str, Any]) -> np.ndarray:
    """Days absent of each of 30 people over a whole year, for 8 replications."""
    scenario = make_scenario(
        horizon_days=365,
        roles={"lead_manager": {"headcount": 15}, "designer": {"headcount": 15}},
        workforce=workforce,
    )
    days = [row["days_absent"] for r in range(8) for row in replicate(scenario, 9, r).people]
    return np.array(days)


@pytest.mark.parametrize(
    ("workforce", "entered"),
    [
        ({"sick_days_per_year": 10}, 10.0),
        ({"sick_days_per_year": 36.5}, 36.5),
        ({"sick_days_per_year": 11, "vacation_days_per_year": 28, "vacation_block_days": 7}, 39.0),
    ],
)
def test_absence_days_come_out_as_entered(workforce: dict[str, Any], entered: float) -> None:
    days = absent_days(workforce)
    low, high = stats.t.interval(0.99, len(days) - 1, days.mean(), stats.sem(days))
    assert low <= entered <= high, (low, high)


def probation_revenue(headcount: int, min_relative: float) -> float:
    scenario = salessim.load(
        ROOT / "scenarios" / "probation.yaml",
        {"roles.rep.headcount": headcount, "workforce.probation.min_relative": min_relative},
    )
    summary = salessim.run(scenario, 20, seed=1).summary.set_index("metric")
    return float(summary.loc["revenue", "mean"])


def test_the_shipped_probation_variant_pays_in_a_team_and_costs_a_lone_rep() -> None:
    # With slack in the team a vacancy costs little and better hires sell more; with one rep
    # every dismissal empties the only seat for 45 days.
    assert probation_revenue(4, 0.85) > 1.02 * probation_revenue(4, 0.0)
    assert probation_revenue(1, 0.85) < probation_revenue(1, 0.0)
