"""A branching funnel and margins by step: a lead can take another way out of a stage (by
share, deal value or source), and a first offer can be sold at a loss before repeat orders."""

from __future__ import annotations

from pathlib import Path

import pytest

from salessim.errors import ScenarioError
from salessim.experiment import planner
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


def test_a_lead_sent_back_round_a_loop_tries_the_stages_afresh() -> None:
    """Half pass qualify and half of those pass the meeting, where 20% of the successes turn
    out to be the wrong contact and go back to qualify ("a wrong contact sent back"). A second
    visit is a new attempt, so of the leads that end, 0.25 x 0.8 / (1 - 0.25 x 0.2) = 0.2105
    are won. Replaying each lead's first draws (as the engine did) won every lead that once
    passed the meeting: 0.25. The planner's arithmetic goes round the loop the same way."""
    back = {"branches": [{"stage": "qualify", "share": 0.2}]}
    scenario = make_scenario(
        horizon_days=200,
        leads=[{"source": "web", "per_day": 20}],
        stages={"meeting": back},
        roles={"lead_manager": {"headcount": 5}, "designer": {"headcount": 10}},
    )
    reps = experiment.run(scenario, 4, seed=3).replications
    ended = reps["leads_arrived"] - reps["open_at_end"]
    assert (reps["won_cohort"] / ended).mean() == pytest.approx(0.2105, abs=0.012)
    hours, p_win = planner.hours_per_lead(scenario)
    assert p_win == pytest.approx(0.25 * 0.8 / 0.95)
    assert hours["lead_manager"] == pytest.approx(0.5 / 0.95)  # qualify 1 / 0.95 times a lead
    assert hours["designer"] == pytest.approx(0.5 * 2 / 0.95)


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


def test_a_loop_that_no_lead_can_leave_is_refused(tmp_path: Path) -> None:
    """Both stages succeed for sure and the meeting sends every lead back to qualify: no lead
    would ever be won or lost. Refused at the branch; with qualify at 0.5 leads can leave (as
    rejected), and the file loads."""
    path = tmp_path / "s.yaml"
    text = """\
name: s
horizon_days: 30
leads: [{source: web, per_day: 2}]
stages:
  qualify: {by: a, work_hours: 1, success: 1.0, next: meeting}
  meeting: {by: a, work_hours: 1, success: 1.0, branches: [{stage: qualify}]}
roles: {a: {headcount: 1}}
"""
    path.write_text(text)
    with pytest.raises(ScenarioError) as err:
        loader.load(path)
    message = str(err.value)
    assert "stages.meeting.branches" in message and "round a loop for ever" in message
    assert "meeting -> qualify -> meeting" in message, message
    path.write_text(text.replace("success: 1.0, next", "success: 0.5, next"))
    assert loader.load(path).stages["qualify"].success == 0.5
