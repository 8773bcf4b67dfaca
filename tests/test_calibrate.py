"""Calibration round trip: an export simulated from known parameters gives them back."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from salessim.cli import app
from salessim.crm import calibrate
from salessim.crm import export as crm
from salessim.experiment import replications as experiment
from salessim.scenario import loader
from salessim.scenario.models import Scenario

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
runner = CliRunner()


@pytest.fixture(scope="module")
def lead_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two years of b2b_team (resignations off, so nobody ramps up) as `run --leads` writes them."""
    folder = tmp_path_factory.mktemp("roundtrip")
    text = (ROOT / "scenarios" / "b2b_team.yaml").read_text(encoding="utf-8")
    text = text.replace("horizon_days: 365", "horizon_days: 790")
    text = text.replace("annual_rate: 0.2", "annual_rate: 0")
    (folder / "b2b.yaml").write_text(text, encoding="utf-8")
    args = ["run", str(folder / "b2b.yaml"), "-n", "1", "--seed", "7", "--leads", "-q",
            "--out", str(folder / "run")]  # fmt: skip
    assert runner.invoke(app, args).exit_code == 0
    return folder / "run" / "leads.parquet"


def test_the_lead_log_calibrates_back_to_the_true_parameters(
    lead_log: Path, tmp_path: Path
) -> None:
    out = tmp_path / "acme.yaml"
    result = runner.invoke(app, ["calibrate", str(lead_log), "--out", str(out)])
    assert result.exit_code == 0, result.output
    fitted = loader.load(out)
    deals = crm.read_export(lead_log)
    source = fitted.leads[0]
    low, high = (float(x) for x in _comment_interval(out, "per_day"))
    assert low <= 4.0 <= high  # true: 4 a calendar day (weekday and monthly profiles mean 1)
    assert source.per_day == pytest.approx(4.0, rel=0.05)
    assert list(fitted.stages) == ["qualify", "proposal", "close"]
    for stage, truth in {"qualify": 0.5, "proposal": 0.5, "close": 0.6}.items():
        low, high = _comment_interval(out, f"passed {stage}")
        assert low <= truth <= high, (stage, fitted.stages[stage].success, low, high)
    won = deals.frame.loc[deals.frame["outcome"] == "won", "value"]
    half = stats.t.ppf(0.975, len(won) - 1) * won.std() / math.sqrt(len(won))
    assert abs(won.mean() - 9000) < half  # the sample mean's 95% interval holds the true mean
    assert source.deal_value is not None
    assert source.deal_value.mean == pytest.approx(9000, rel=0.1)
    assert fitted.roles["sales"].headcount == 4
    assert fitted.stages["close"].delay_days is not None
    assert fitted.stages["close"].delay_days.mean == pytest.approx(5 + 12, rel=0.2)  # both delays


def _comment_interval(path: Path, marker: str) -> tuple[float, float]:
    """The '95% CI a to b' of the line whose comment mentions `marker`."""
    line = next(x for x in path.read_text(encoding="utf-8").splitlines() if marker in x)
    low, high = line.split("95% CI ")[1].split(" (")[0].split(" to ")
    return float(low), float(high)


def test_every_fitted_value_says_how_it_was_estimated(lead_log: Path, tmp_path: Path) -> None:
    text = calibrate.to_yaml(calibrate.calibrate(crm.read_export(lead_log), "acme"))
    for line in ("per_day:", "success:", "weekday_profile:", "deal_value:", "delay_days:",
                 "headcount:", "annual_rate:"):  # fmt: skip
        assert "#" in next(x for x in text.splitlines() if x.strip().startswith(line)), line
    assert "ASSUMPTION (--work-hours-per-deal 3)" in text
    assert "salaries and costs, sickness and vacations" in text  # defaults are named


def test_seasonality_is_fitted_only_from_enough_months(lead_log: Path) -> None:
    deals = crm.read_export(lead_log)
    two_years = calibrate.calibrate(deals, "acme").data["leads"][0]
    assert "monthly_profile" in two_years  # 24 months of data
    august = two_years["monthly_profile"][7]
    assert august < 0.9  # the summer dip (true 0.75) is found
    deals.frame = deals.frame[
        deals.frame["created"] < deals.frame["created"].min() + pd.Timedelta(days=300)
    ]
    one_year = calibrate.calibrate(deals, "acme")
    assert "monthly_profile" not in one_year.data["leads"][0]
    assert any("too short to fit seasonality" in line for line in one_year.header)


def test_a_rep_with_five_deals_is_not_called_a_genius() -> None:
    wins = pd.Series({"a": 60, "b": 55, "c": 65, "d": 58, "new": 5})
    trials = pd.Series({"a": 200, "b": 200, "c": 200, "d": 200, "new": 5})
    multipliers, k = calibrate.shrunk_multipliers(wins, trials)
    assert multipliers["new"] < 1.5  # raw rate 1.0 against a team's 0.3: 3.3 times
    assert math.isfinite(k) or (multipliers == 1).all()
    even = calibrate.shrunk_multipliers(
        pd.Series({"a": 30, "b": 31}), pd.Series({"a": 100, "b": 100})
    )
    assert (even[0] == 1.0).all()  # differences within chance: everyone average


def test_fit_distribution_picks_the_family_or_falls_back_to_empirical() -> None:
    rng = np.random.default_rng(1)
    dist, how = calibrate.fit_distribution(rng.lognormal(2, 0.5, 500), "days")
    assert dist["dist"] == "lognormal" and "lognormal fits best" in how
    dist, _ = calibrate.fit_distribution(rng.exponential(10, 500), "days")
    assert dist["dist"] == "exponential"
    bimodal = np.concatenate([rng.normal(5, 0.5, 300), rng.normal(50, 2, 300)])
    dist, how = calibrate.fit_distribution(bimodal, "days")
    assert dist["dist"] == "empirical" and "every family rejected" in how


def test_the_calibrated_scenario_compares_with_the_shipped_ones(tmp_path: Path) -> None:
    out = tmp_path / "acme.yaml"
    assert (
        runner.invoke(app, ["calibrate", str(DATA / "b2b_export.csv"), "-o", str(out)]).exit_code
        == 0
    )
    shipped = str(ROOT / "scenarios" / "b2b_team.yaml")
    args = ["compare", shipped, str(out), "-n", "4", "--seed", "2", "-w", "1", "-q",
            "--out", str(tmp_path / "cmp")]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    page = (tmp_path / "cmp" / "report.html").read_text(encoding="utf-8")
    assert "Comparison: b2b_team, acme" in page


def test_products_get_their_own_arrivals_and_deal_values(tmp_path: Path) -> None:
    table = pd.read_csv(DATA / "b2b_export.csv")
    pro = table["Opportunity ID"] % 3 == 0
    table["Product"] = np.where(pro, "Pro Suite", "Basic")
    table.loc[pro, "Amount"] *= 3
    path = tmp_path / "products.xlsx"
    table.to_excel(path, index=False)  # Excel, as many CRMs export
    fitted = calibrate.calibrate(crm.read_export(path), "acme").data["leads"]
    by_source = {src["source"]: src for src in fitted}
    assert set(by_source) == {"basic", "pro_suite"}
    assert by_source["basic"]["per_day"] == pytest.approx(
        2 * by_source["pro_suite"]["per_day"], rel=0.15
    )
    ratio = by_source["pro_suite"]["deal_value"]["mean"] / by_source["basic"]["deal_value"]["mean"]
    assert ratio == pytest.approx(3, rel=0.2)


def test_deals_that_skip_a_stage_pass_it_so_the_stages_multiply_to_the_win_rate(
    tmp_path: Path,
) -> None:
    table = pd.read_csv(DATA / "b2b_export.csv")
    won = table["Stage"] == "Closed Won"
    history = table["Stage History"].fillna("")
    # half of the won deals never recorded the middle stage: they went straight to the last
    middle = calibrate.stage_order(history)[1]
    skip = won & (table["Opportunity ID"] % 2 == 0)
    table.loc[skip, "Stage History"] = history[skip].map(
        lambda p: ">".join(s for s in p.split(">") if s.strip().lower() != middle)
    )
    path = tmp_path / "skips.csv"
    table.to_csv(path, index=False)
    cal = calibrate.calibrate(crm.read_export(path), "acme")
    deals = crm.read_export(path).frame
    closed = deals[deals["outcome"].isin(["won", "lost"])]
    rate = math.prod(spec["success"] for spec in cal.data["stages"].values())
    settled_rate = (closed["outcome"] == "won").mean()
    assert rate == pytest.approx(settled_rate, abs=0.02)
    assert any("skipped a stage" in line for line in cal.header)


def test_owners_who_get_more_deals_get_more_leads_in_the_simulation(tmp_path: Path) -> None:
    table = pd.read_csv(DATA / "b2b_export.csv")
    shared = calibrate.calibrate(crm.read_export(DATA / "b2b_export.csv"), "acme")
    assert "routing" not in shared.data["stages"]["qualify"]  # a shared queue made that export
    assert any("shared queue" in line for line in shared.header)
    # Anna takes over Ben's and Eva's deals: about three times the others' volume
    table["Opportunity Owner"] = table["Opportunity Owner"].replace(
        {"Ben Ortiz": "Anna Berg", "Eva Lind": "Anna Berg"}
    )
    path = tmp_path / "anna.csv"
    table.to_csv(path, index=False)
    cal = calibrate.calibrate(crm.read_export(path), "acme")
    stages = cal.data["stages"]
    first, *later = list(stages)
    weights = stages[first]["routing"]["weights"]
    assert stages[first]["routing"]["rule"] == "weighted"
    others = [w for name, w in weights.items() if name != "Anna Berg"]
    assert weights["Anna Berg"] / np.mean(others) == pytest.approx(3, rel=0.2)
    assert all(stages[s]["routing"] == {"rule": "owner"} for s in later)
    scenario = Scenario.model_validate(cal.data)
    leads = experiment.run(scenario, 3, seed=1, leads=True).leads
    won = leads[(leads["outcome"] == "won") & (leads["kind"] == "new")]
    assert (won["closed_by"] == "Anna Berg").mean() == pytest.approx(0.5, abs=0.08)
