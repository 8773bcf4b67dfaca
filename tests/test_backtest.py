"""Backtest: fit on the past, simulate what came next, and find the actual months inside the
predicted intervals about as often as the intervals promise."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from salessim.cli import app
from salessim.crm import backtest
from salessim.crm import export as crm
from salessim.experiment import replications as experiment

from .conftest import make_scenario

DATA = Path(__file__).resolve().parent / "data"
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
