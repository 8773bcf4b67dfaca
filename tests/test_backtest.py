"""Backtest: fit on the past, simulate what came next, and find the actual months inside the
predicted intervals about as often as the intervals promise."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from salessim.cli import app
from salessim.crm import backtest
from salessim.crm import export as crm
from salessim.experiment import replications as experiment
from salessim.scenario import loader

from .conftest import make_scenario

DATA = Path(__file__).resolve().parent / "data"
ROOT = DATA.parent.parent
runner = CliRunner()


def test_a_model_backtested_on_its_own_history_covers_the_actual_months(tmp_path: Path) -> None:
    out = tmp_path / "bt"
    args = ["backtest", str(DATA / "b2b_export.csv"), "--train-until", "2027-03-31", "-n", "200",
            "--seed", "3", "-w", "2", "-q", "--out", str(out)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "backtest.csv")
    assert set(table["month"]) == {f"{m}" for m in pd.period_range("2027-04", "2028-02", freq="M")}
    assert len(table) == 11 * 4  # the part-month at the end of the data is left out
    in95, in80 = table["in95"].mean(), table["in80"].mean()
    assert in95 >= 0.85, table[~table["in95"]]  # about 19 of 20 expected
    assert 0.55 <= in80 <= 0.97  # the 80% band is not so wide that everything falls inside
    coverage = pd.read_csv(out / "coverage.csv")
    assert list(coverage["months"]) == [11, 11, 11, 11]
    page = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="backtest"' in page and "inside the 95% band" in page
    assert "pipeline:" in (out / "scenario.yaml").read_text(encoding="utf-8")


def test_training_sees_only_what_was_known_at_the_cut_off() -> None:
    deals = crm.read_export(DATA / "b2b_export.csv")
    cut = pd.Timestamp("2026-12-31")
    known = backtest.known_at(deals, cut).frame
    assert known["created"].max() < cut + pd.Timedelta(days=1)
    assert (known["closed"].dropna() < cut + pd.Timedelta(days=1)).all()
    later = deals.frame[
        (deals.frame["created"] <= cut) & (deals.frame["closed"] > cut + pd.Timedelta(days=1))
    ]
    assert (known.set_index("id").loc[later["id"], "outcome"] == "open").all()


def test_open_deals_enter_at_their_stage_and_keep_their_age() -> None:
    pipeline = [{"stage": "meeting", "age_days": 10.0, "value": 500.0} for _ in range(200)]
    scenario = make_scenario(leads=[{"source": "web", "per_day": 0}], pipeline=pipeline,
                             horizon_days=60)  # fmt: skip
    leads = experiment.run(scenario, 1, seed=1, leads=True).leads
    assert len(leads) == 200 and (leads["kind"] == "pipeline").all()
    assert (leads["stages"].str.split(">").str[0] == "meeting").all()  # qualify is not redone
    assert (leads["arrived_hours"] == -240.0).all()
    won = leads[leads["outcome"] == "won"]
    assert 0.4 < len(won) / 200 < 0.6 and (won["value"] == 500.0).all()


def test_a_cut_off_outside_the_data_is_a_clear_error() -> None:
    deals = crm.read_export(DATA / "b2b_export.csv")
    with pytest.raises(Exception, match="must fall inside the data"):
        backtest.backtest(deals, dt.date(2030, 1, 1), 2)
    result = runner.invoke(app, ["backtest", str(DATA / "b2b_export.csv"), "--train-until", "June"])
    assert result.exit_code == 2 and "not a date like 2025-06-30" in result.stderr


def test_the_pipeline_does_not_peek_at_later_stage_histories() -> None:
    deals = crm.read_export(DATA / "b2b_export.csv")
    cut = pd.Timestamp("2027-03-31")
    cal = backtest.fit.calibrate(backtest.known_at(deals, cut), "x", until=cut.date())
    before = backtest.pipeline_at(deals, cut, cal)
    deals.frame["stages"] = "qualify>proposal>close"  # what happened later must not matter
    assert backtest.pipeline_at(deals, cut, cal) == before
    assert {p["stage"] for p in before} <= set(cal.data["stages"])


def test_terminal_steps_of_a_stage_history_are_not_stages() -> None:
    assert backtest.fit.split_path("Prospecting>Proposal>Closed Won") == ["prospecting", "proposal"]
    assert backtest.fit.split_path("qualify > Closed Lost") == ["qualify"]


def test_a_month_cut_short_by_a_mid_month_cut_off_says_so() -> None:
    start = pd.Timestamp("2025-06-16")
    assert backtest.month_label(pd.Period("2025-06", "M"), start) == "2025-06 (from 16th)"
    assert backtest.month_label(pd.Period("2025-07", "M"), start) == "2025-07"
    assert backtest.month_label(pd.Period("2025-06", "M"), pd.Timestamp("2025-06-01")) == (
        "2025-06"
    )
    assert backtest.month_label(pd.Period("2025-06", "M"), pd.Timestamp("2025-06-22")).endswith(
        "(from 22nd)"
    )


def _closed_deals(per_month: dict[str, int]) -> pd.DataFrame:
    """Deals won on the 10th of each month, `n` of them, worth 100 each, created 5 days
    before (the data start on the 1st of the first month)."""
    rows = []
    for month, n in per_month.items():
        closed = pd.Timestamp(f"{month}-10")
        rows += [{"created": closed - pd.Timedelta(days=5), "closed": closed, "outcome": "won",
                  "value": 100.0, "stages": ""} for _ in range(n)]  # fmt: skip
    first = pd.Timestamp(f"{next(iter(per_month))}-01")
    rows.append({"created": first, "closed": first, "outcome": "lost", "value": 0.0, "stages": ""})
    return pd.DataFrame(rows)


def test_the_naive_forecasts_are_the_last_three_months_and_the_same_month_a_year_before() -> None:
    counts = {str(m): 10 + i for i, m in enumerate(pd.period_range("2024-01", "2025-06", freq="M"))}
    known = _closed_deals(counts)
    months = pd.period_range("2025-07", "2025-09", freq="M")
    naive = backtest.naive_forecasts(known, pd.Timestamp("2025-06-30"), months)
    # April, May, June 2025 had 25, 26 and 27 deals; July 2024 had 16
    assert naive["naive_last3"]["won"].tolist() == [26.0, 26.0, 26.0]
    assert naive["naive_last3"]["revenue"].tolist() == [2600.0] * 3
    assert naive["naive_year"]["won"].tolist() == [16.0, 17.0, 18.0]
    # a cut-off on 15 June: the last whole month is May, and half of June is compared
    half = backtest.naive_forecasts(known[known["closed"] <= "2025-06-15"],
                                    pd.Timestamp("2025-06-15"),
                                    pd.period_range("2025-06", "2025-07", freq="M"))  # fmt: skip
    assert half["naive_last3"]["won"].tolist() == pytest.approx([25.0 * 15 / 30, 25.0])
    assert half["naive_year"]["won"].tolist() == pytest.approx([15.0 * 15 / 30, 16.0])


def test_the_forecast_errors_say_whether_the_simulation_beat_the_naive_answer() -> None:
    table = pd.DataFrame({
        "month": ["2025-07", "2025-08"], "metric": ["won", "won"], "actual": [10.0, 20.0],
        "p50": [12.0, 19.0], "naive_last3": [15.0, 15.0], "naive_year": [np.nan, 20.0],
    })  # fmt: skip
    errors = backtest.forecast_errors(table).set_index("naive")
    last3, year = errors.loc["mean of the last 3 months"], errors.loc["same month last year"]
    assert (last3["months"], last3["simulation_error"], last3["naive_error"]) == (2, 1.5, 5.0)
    assert bool(last3["simulation_better"])
    # only August has a year-earlier month: the simulation was off by 1, the naive by 0
    assert (year["months"], year["simulation_error"], year["naive_error"]) == (1, 1.0, 0.0)
    assert not bool(year["simulation_better"])


def test_the_bootstrap_draws_whole_months_and_widens_the_intervals() -> None:
    deals = crm.read_export(DATA / "b2b_export.csv")
    frame = backtest.known_at(deals, pd.Timestamp("2027-03-31")).frame
    sample = backtest.resample_months(frame, np.random.default_rng(5))
    month, drawn = frame["created"].dt.to_period("M"), sample["created"].dt.to_period("M")
    assert drawn.nunique() < month.nunique()  # with replacement: some months twice
    for m, n in drawn.value_counts().items():  # each month drawn comes whole, k times
        assert n % (month == m).sum() == 0
    cut = dt.date(2027, 3, 31)
    one = backtest.backtest(deals, cut, 60, seed=3, workers=2, fits=1).table
    many = backtest.backtest(deals, cut, 60, seed=3, workers=2, fits=6).table
    width = {k: (t["p90"] - t["p10"])[t["metric"] == "won"].mean() for k, t in
             (("one", one), ("many", many))}  # fmt: skip
    assert width["many"] > width["one"]


@pytest.fixture(scope="module")
def dated_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A year and a half of b2b_team as `run --leads` writes it: with each stage's entry time."""
    scenario = loader.load(ROOT / "scenarios" / "b2b_team.yaml", {"horizon_days": 540})
    leads = experiment.run(scenario, 1, seed=4, leads=True).leads
    path = tmp_path_factory.mktemp("dated") / "leads.parquet"
    leads.to_parquet(path)
    return path


def test_with_stage_entry_dates_open_deals_are_at_their_stage_and_follow_its_curves(
    dated_log: Path,
) -> None:
    deals = crm.read_export(dated_log)
    assert set(deals.entries) == {"qualify", "proposal", "close"}
    assert "stage entry dates" in "\n".join(deals.report_lines())
    cut = pd.Timestamp("2027-01-31")
    known = backtest.known_at(deals, cut).frame
    assert (known["entered.close"].dropna() < cut + pd.Timedelta(days=1)).all()  # no peeking
    cal = backtest.fit.calibrate(backtest.known_at(deals, cut), "x", until=cut.date())
    pipeline = backtest.pipeline_at(deals, cut, cal)
    truth = known[known["outcome"] == "open"]
    last = truth[[f"entered.{s}" for s in ("qualify", "proposal", "close")]].idxmax(axis=1)
    assert [p["stage"] for p in pipeline] == [c.split(".")[1] for c in last]
    assert all(0 <= p["in_stage_days"] <= p["age_days"] for p in pipeline)
    curves, how = backtest.survival.fit(known, cut, list(cal.data["stages"]))
    by_stage = curves["by_stage"]
    # of the deals that entered a stage, the share finally won is the product of the success
    # rates from there on: 0.6 at close, 0.5 x 0.6 at proposal, 0.5 x 0.5 x 0.6 at qualify
    assert by_stage["close"]["won"][-1] == pytest.approx(0.6, abs=0.06)
    assert by_stage["proposal"]["won"][-1] == pytest.approx(0.3, abs=0.05)
    assert by_stage["qualify"]["won"][-1] == pytest.approx(0.15, abs=0.03)
    assert "per stage" in how
