"""Open deals end by their age: the competing-risks fit against hand computation, the draw
conditioned on age, and the engine's opening pipeline following the curves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from pydantic import ValidationError

from salessim.crm import survival
from salessim.experiment import replications as experiment
from salessim.scenario.models import PipelineSurvival

from .conftest import make_scenario

# 0 to 10 days: 30% of deals won, 20% lost; 10 to 20: 10% more won, 20% more lost; 40% never
CURVES = {"age_days": [0, 10, 20], "won": [0, 0.3, 0.4], "lost": [0, 0.2, 0.4]}


def test_the_fit_matches_the_aalen_johansen_estimate_by_hand() -> None:
    durations = np.array([1.0, 2.0, 2.0, 3.0, 4.0])
    outcome = np.array(["won", "lost", "open", "won", "open"])
    ages, won, lost = survival.aalen_johansen(durations, outcome)
    # day 1: 1 of 5 at risk won (S = 0.8); day 2: 1 of 4 lost, the open one is still at risk
    # (S = 0.6); day 3: 1 of 2 won. Won by then 0.2 + 0.6/2 = 0.5, lost 0.8/4 = 0.2.
    assert ages.tolist() == [0.0, 1.0, 2.0, 3.0]
    assert won.tolist() == pytest.approx([0.0, 0.2, 0.2, 0.5])
    assert lost.tolist() == pytest.approx([0.0, 0.0, 0.2, 0.2])


def test_without_open_deals_the_curves_are_the_shares_closed_by_each_age() -> None:
    rng = np.random.default_rng(4)
    durations = rng.exponential(20, 500).round(1)
    outcome = np.where(rng.random(500) < 0.3, "won", "lost")
    ages, won, lost = survival.aalen_johansen(durations, outcome)
    for age in (5.0, 20.0, 60.0):
        k = np.searchsorted(ages, age, side="right") - 1
        assert won[k] == pytest.approx(np.mean((durations <= ages[k]) & (outcome == "won")))
        assert lost[k] == pytest.approx(np.mean((durations <= ages[k]) & (outcome == "lost")))
    assert won[-1] + lost[-1] == pytest.approx(1.0)


def test_an_old_open_deal_is_mostly_stale() -> None:
    curves = PipelineSurvival.model_validate(CURVES)
    rng = np.random.default_rng(1)
    young = [curves.draw(0, rng.random(), rng.random()) for _ in range(20_000)]
    old = [curves.draw(10, rng.random(), rng.random()) for _ in range(20_000)]
    # from age 10, of the 50% still open: 10/50 are won later, 20/50 lost, 20/50 never close
    assert np.mean([f is not None and f[1] == "won" for f in young]) == pytest.approx(0.4, abs=0.01)
    assert np.mean([f is not None and f[1] == "won" for f in old]) == pytest.approx(0.2, abs=0.01)
    assert np.mean([f is None for f in old]) == pytest.approx(0.4, abs=0.01)
    assert all(0 <= f[0] <= 10 for f in old if f is not None)
    assert curves.draw(25, 0.01, 0.01) is None  # older than any deal that closed


def test_the_opening_pipeline_follows_the_curves() -> None:
    pipeline = [{"stage": "qualify", "age_days": 10.0, "value": 100.0} for _ in range(3000)]
    scenario = make_scenario(leads=[{"source": "web", "per_day": 0}], pipeline=pipeline,
                             pipeline_survival=CURVES, horizon_days=60)  # fmt: skip
    result = experiment.run(scenario, 1, seed=2, leads=True)
    leads = result.leads
    shares = leads["outcome"].value_counts(normalize=True)
    assert shares["won"] == pytest.approx(0.2, abs=0.03)
    assert shares["rejected"] == pytest.approx(0.4, abs=0.03)
    assert shares["open"] == pytest.approx(0.4, abs=0.03)
    ended_days = leads.loc[leads["outcome"] != "open", "ended_hours"] / 24
    assert ended_days.max() <= 10.0 + 1e-9  # age 20 is where the curves end
    assert (leads["first_contact_hours"].isna()).all()  # nobody's working time
    revenue = result.summary.set_index("metric").loc["revenue", "mean"]
    assert revenue == pytest.approx(100.0 * shares["won"] * 3000)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"won": [0, 0.3, 0.2]}, "cannot fall"),
        ({"age_days": [1, 10, 20]}, "start at 0"),
        ({"won": [0, 0.6, 0.7]}, "exceed 1"),
        ({"lost": [0, 0.2]}, "one share per age"),
    ],
)
def test_curves_that_cannot_be_shares_by_age_are_refused(change: dict, words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        PipelineSurvival.model_validate({**CURVES, **change})


def test_the_fitted_curves_are_valid_scenario_input() -> None:
    created = pd.to_datetime(["2025-01-01"] * 4 + ["2025-03-01"] * 2)
    frame = pd.DataFrame({
        "created": created,
        "closed": pd.to_datetime(["2025-01-11", "2025-01-21", "2025-01-21", None, None, None]),
        "outcome": ["won", "lost", "won", "open", "open", "open"],
    })  # fmt: skip
    entry, how = survival.fit(frame, pd.Timestamp("2025-03-31"))
    curves = PipelineSurvival.model_validate(entry)
    assert curves.age_days == [0.0, 10.0, 20.0]
    # day 10: 1 of 6 won; day 20: of the 5 left, 1 won and 1 lost; the 3 open are censored
    assert curves.won[-1] == pytest.approx(2 / 6, abs=1e-5)
    assert curves.lost[-1] == pytest.approx(1 / 6, abs=1e-5)
    assert "3 still open" in how


def test_a_deal_with_its_time_in_stage_follows_that_stages_curves() -> None:
    stage = next(iter(make_scenario().stages))
    sure = {"age_days": [0, 5], "won": [0, 1.0], "lost": [0, 0]}  # every deal won within 5 days
    pipeline = [{"stage": stage, "age_days": 30.0, "in_stage_days": 2.0, "value": 1.0},
                {"stage": stage, "age_days": 30.0, "value": 1.0}]  # fmt: skip
    scenario = make_scenario(leads=[{"source": "web", "per_day": 0}], pipeline=pipeline * 500,
                             pipeline_survival={**CURVES, "by_stage": {stage: sure}},
                             horizon_days=60)  # fmt: skip
    leads = experiment.run(scenario, 1, seed=3, leads=True).leads.sort_values("lead")
    timed, aged = leads.iloc[0::2], leads.iloc[1::2]  # in the order of the pipeline
    assert (timed["outcome"] == "won").all()
    assert (timed["ended_hours"] <= 3 * 24 + 1e-6).all()  # 5 days in the stage, 2 already spent
    assert (aged["outcome"] == "open").all()  # 30 days old: older than any deal that closed


def test_curves_for_a_stage_that_does_not_exist_are_refused(tmp_path: Path) -> None:
    from salessim.scenario import loader
    from salessim.scenario.loader import ScenarioError

    data = make_scenario().model_dump(mode="json")
    data["pipeline_survival"] = {**CURVES, "by_stage": {"meetng": CURVES}}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ScenarioError, match="pipeline_survival.by_stage.meetng"):
        loader.load(path)
