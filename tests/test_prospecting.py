"""Prospecting by a rule on the pipeline (`prospect_while`): calls first while the pipeline is
thin, up to a block a day; idle-time prospecting otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from salessim.errors import ScenarioError
from salessim.experiment import replications as experiment
from salessim.scenario import loader

from .conftest import make_scenario

ROOT = Path(__file__).resolve().parent.parent

# one person, far more inbound work than hours: idle-time prospecting never happens
BUSY = {
    "horizon_days": 28,
    "leads": [{"source": "web", "per_day": 40}],
    "stages": {
        "qualify": {"by": "seller", "work_hours": 1.0, "success": 0.5, "next": "meeting"},
        "meeting": {"by": "seller", "work_hours": 1.0, "success": 0.5},
        "prospect": {"by": "seller", "kind": "prospecting", "work_hours": 1.0,
                     "leads_per_hour": 1.0, "next": "qualify"},
    },
    "roles": {"seller": {"headcount": 1, "stages": ["meeting", "qualify", "prospect"]}},
}  # fmt: skip


def _outbound(scenario: object) -> float:
    result = experiment.run(scenario, 10, seed=2)  # type: ignore[arg-type]
    return float(result.replications["source.prospecting.prospect.leads"].mean())


def test_a_thin_pipeline_puts_a_daily_block_of_calls_first() -> None:
    assert _outbound(make_scenario(**BUSY)) == 0  # inbound fills every hour
    ruled = {**BUSY, "stages": {**BUSY["stages"], "prospect": {
        **BUSY["stages"]["prospect"],
        "prospect_while": {"stage": "qualify", "below": 10_000, "hours_per_day": 2}}}}  # fmt: skip
    # by hand: 20 working days x 2 hours first thing x 1 lead an hour = about 40 leads
    assert _outbound(make_scenario(**ruled)) == pytest.approx(40, rel=0.15)
    full = {**ruled, "stages": {**ruled["stages"], "prospect": {
        **ruled["stages"]["prospect"],
        "prospect_while": {"stage": "qualify", "below": 1, "hours_per_day": 2}}}}  # fmt: skip
    assert _outbound(make_scenario(**full)) == 0  # the pipeline is never thin: no block


def test_the_shipped_variant_smooths_weekly_new_leads() -> None:
    base = loader.load(ROOT / "scenarios" / "super_seller.yaml")
    ruled = loader.load(ROOT / "scenarios" / "super_seller_pipeline.yaml")
    a, b = (experiment.run(sc, 20, seed=1, workers=2) for sc in (base, ruled))
    diff = experiment.paired_differences(a, b).set_index("metric")
    assert diff.loc["outbound_weekly_cv", "diff_high"] < 0  # lower CV, clear at 95%


def test_a_rule_on_a_missing_stage_or_a_working_stage_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("base: " + str(ROOT / "scenarios" / "super_seller.yaml") + "\n"
                    "stages:\n  prospect:\n    prospect_while: {stage: proposl, below: 3}\n"
                    "  close:\n    prospect_while: {stage: qualify, below: 3}\n")  # fmt: skip
    with pytest.raises(ScenarioError) as err:
        loader.load(path, base_folders=[ROOT / "scenarios"])
    text = str(err.value)
    assert "stages.prospect.prospect_while.stage" in text and "proposal" in text
    assert "only a prospecting stage" in text


def test_inbound_leads_cannot_fall_into_a_prospecting_stage_listed_first(tmp_path: Path) -> None:
    """A source without entry_stage enters the first stage; if that is a prospecting stage,
    its leads would wait there for ever (nobody works a lead at a prospecting stage), so the
    file is refused at that source's line, and accepted once the source names its entry."""
    path = tmp_path / "s.yaml"
    path.write_text(
        "name: prospect_first\nhorizon_days: 28\n"
        "leads:\n  - {source: web, per_day: 3}\n"
        "stages:\n"
        "  prospect: {by: seller, kind: prospecting, work_hours: 1.0, leads_per_hour: 1.0,\n"
        "             next: qualify}\n"
        "  qualify: {by: seller, work_hours: 0.5, success: 0.5}\n"
        "roles:\n  seller: {headcount: 1}\n"
    )
    with pytest.raises(ScenarioError) as err:
        loader.load(path)
    text = str(err.value)
    assert "s.yaml:4:5 leads[0]" in text and "'prospect', a prospecting stage" in text
    path.write_text(path.read_text().replace("per_day: 3}", "per_day: 3, entry_stage: qualify}"))
    assert loader.load(path).leads[0].entry_stage == "qualify"
