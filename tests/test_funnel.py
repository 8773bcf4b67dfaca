"""A branching funnel and margins by step: a lead can take another way out of a stage (by
share, deal value or source), and a first offer can be sold at a loss before repeat orders."""

from __future__ import annotations

from pathlib import Path

import pytest

from salessim.errors import ScenarioError
from salessim.experiment import replications as experiment
from salessim.scenario import loader

from .conftest import make_scenario

DEMO = {"by": "designer", "work_hours": 1.0, "success": 1.0, "next": "meeting"}


def _leads(**qualify: object) -> object:
    scenario = make_scenario(
        horizon_days=56,
        deal_value={"dist": "uniform", "low": 0, "high": 2000},
        stages={"qualify": {"success": 1.0, **qualify}, "demo": DEMO},
        roles={"lead_manager": {"headcount": 2}, "designer": {"headcount": 3}},
    )
    return experiment.run(scenario, 2, seed=6, leads=True).leads


def test_big_deals_take_the_demo_and_small_ones_do_not() -> None:
    leads = _leads(branches=[{"stage": "demo", "value_over": 1000}])
    passed = leads[leads["stages"].str.contains("meeting")]  # open ones keep their value too
    demo = passed["stages"].str.contains("demo")
    assert (passed.loc[demo, "value"] > 1000).all() and (passed.loc[~demo, "value"] <= 1000).all()
    assert demo.any() and (~demo).any()


def test_a_share_sends_that_part_of_the_leads() -> None:
    leads = _leads(branches=[{"stage": "demo", "share": 0.3}])
    passed = leads[leads["stages"].str.contains("meeting")]
    assert passed["stages"].str.contains("demo").mean() == pytest.approx(0.3, abs=0.05)


def test_a_first_offer_sold_at_a_loss_and_profitable_repeat_orders() -> None:
    scenario = make_scenario(
        horizon_days=120,
        stages={"meeting": {"gross_margin": -0.5}},
        customers={"repeat_per_year": 6, "repeat_margin": 0.6},
    )
    reps = experiment.run(scenario, 5, seed=2).replications
    # by hand, per replication: gross profit = -0.5 x first sales + 0.6 x repeat orders
    expected = -0.5 * reps["revenue_new"] + 0.6 * reps["revenue_repeat"]
    assert reps["gross_profit"].to_numpy() == pytest.approx(expected.to_numpy())
    assert (reps["revenue_new"] > 0).all() and (reps["revenue_repeat"] > 0).all()


def test_a_branch_to_a_missing_stage_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("""\
name: s
horizon_days: 30
leads: [{source: web, per_day: 2}]
stages:
  qualify: {by: a, work_hours: 1, success: 0.5, next: meeting,
            branches: [{stage: deom, value_over: 100}, {stage: meeting, source: webb}]}
  meeting: {by: a, work_hours: 1, success: 0.5}
roles: {a: {headcount: 1}}
""")
    with pytest.raises(ScenarioError) as err:
        loader.load(path)
    text = str(err.value)
    assert "stages.qualify.branches[0].stage" in text and "deom" in text
    assert "stages.qualify.branches[1].source" in text
