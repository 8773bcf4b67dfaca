"""Replications and their files: reproducible bit for bit, whatever the number of workers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from salessim.errors import ResultsError
from salessim.experiment import replications as experiment
from salessim.experiment import results
from salessim.scenario.models import Scenario


def test_same_seed_gives_identical_parquet(tiny: Scenario, tmp_path: Path) -> None:
    a = results.write_run(experiment.run(tiny, 5, seed=42), tmp_path / "a")
    b = results.write_run(experiment.run(tiny, 5, seed=42), tmp_path / "b")
    assert (a / "replications.parquet").read_bytes() == (b / "replications.parquet").read_bytes()
    c = experiment.run(tiny, 5, seed=43)
    assert not c.replications.equals(pd.read_parquet(a / "replications.parquet"))


def test_workers_do_not_change_results(tiny: Scenario) -> None:
    serial = experiment.run(tiny, 6, seed=3, workers=1)
    parallel = experiment.run(tiny, 6, seed=3, workers=2)
    pd.testing.assert_frame_equal(serial.replications, parallel.replications)


def test_summary_has_interval_around_mean(tiny: Scenario) -> None:
    summary = experiment.run(tiny, 20, seed=1).summary.set_index("metric")
    row = summary.loc["leads_arrived"]
    assert row["ci_low"] < row["mean"] < row["ci_high"]
    assert row["p10"] <= row["p50"] <= row["p90"]
    assert row["n"] == 20


def test_run_folder_has_manifest_and_refuses_overwrite(tiny: Scenario, tmp_path: Path) -> None:
    out = results.write_run(experiment.run(tiny, 2, seed=9), tmp_path / "run")
    assert {p.name for p in out.iterdir()} == set(results.RUN_FILES)
    manifest = (out / "manifest.json").read_text()
    assert '"seed": 9' in manifest and '"replications": 2' in manifest
    with pytest.raises(ResultsError, match="--force"):
        results.write_run(experiment.run(tiny, 2, seed=9), out)
    results.write_run(experiment.run(tiny, 2, seed=9), out, force=True)
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_lead_log_won_rows_sum_to_revenue(tmp_path: Path) -> None:
    from .conftest import make_scenario

    sc = make_scenario(
        horizon_days=60,
        warmup_days=10,
        customers={"repeat_per_year": 6, "repeat_value": 300},
        deal_value={"dist": "lognormal", "mean": 1000, "sd": 400},
    )
    result = experiment.run(sc, 3, seed=2, leads=True)
    out = results.write_run(result, tmp_path / "run")
    log = pd.read_parquet(out / "leads.parquet")
    reps = pd.read_parquet(out / "replications.parquet").set_index("replication")
    won = log[log["outcome"] == "won"].groupby("replication")["value"].sum()
    cohort = reps["revenue_new_cohort"] + reps["revenue_repeat"]
    for rep, revenue in cohort.items():
        assert won[rep] == pytest.approx(revenue, rel=1e-12)
    assert (log[log["kind"] == "new"].groupby("replication").size() == reps["leads_arrived"]).all()
    open_values = log.loc[log["outcome"] == "open", "value"]  # an open deal shows its amount
    assert len(open_values) > 0 and (open_values > 0).all()


def test_timeseries_bands_cover_the_window(tiny: Scenario, tmp_path: Path) -> None:
    out = results.write_run(experiment.run(tiny, 4, seed=1), tmp_path / "run")
    series = pd.read_parquet(out / "timeseries.parquet")
    weeks = series[series["period"] == "week"]
    assert set(weeks["replication"]) == {0, 1, 2, 3}
    assert len(weeks) == 4 * 4  # 28 days = 4 whole weeks per replication
    bands = pd.read_csv(out / "timeseries_summary.csv")
    assert (bands["revenue_p10"] <= bands["revenue_p90"]).all()


def test_renamed_role_gives_exactly_zero_paired_difference() -> None:
    from .conftest import make_scenario

    workforce = {"sick_days_per_year": 20, "resignation": {"annual_rate": 1.0}}
    base = make_scenario(horizon_days=90, workforce=workforce)
    data = base.model_dump(by_alias=True)
    data["roles"] = {"closer" if k == "designer" else k: v for k, v in data["roles"].items()}
    data["stages"]["meeting"]["by"] = "closer"
    renamed = Scenario.model_validate(data)
    a = experiment.run(base, 8, seed=4)
    b = experiment.run(renamed, 8, seed=4)
    diffs = experiment.paired_differences(a, b).set_index("metric")
    for metric in ("revenue", "won", "leads_arrived", "cost_total", "profit"):
        assert diffs.loc[metric, "diff"] == 0
        assert diffs.loc[metric, "diff_low"] == 0 and diffs.loc[metric, "diff_high"] == 0
        assert diffs.loc[metric, "verdict"] == ""


def test_paired_difference_gives_a_plain_verdict() -> None:
    from .conftest import make_scenario

    one = make_scenario(horizon_days=60)
    three = make_scenario(name="three", horizon_days=60, roles={"designer": {"headcount": 3}})
    diffs = experiment.paired_differences(
        experiment.run(one, 10, seed=1), experiment.run(three, 10, seed=1)
    ).set_index("metric")
    assert diffs.loc["won", "diff_low"] > 0
    assert diffs.loc["won", "verdict"].startswith("three has")
    assert "more deals won a year than tiny" in diffs.loc["won", "verdict"]


def test_result_files_are_readable_by_others(tiny: Scenario, tmp_path: Path) -> None:
    import os
    import stat

    out = results.write_run(experiment.run(tiny, 2, seed=1), tmp_path / "run")
    mask = os.umask(0)
    os.umask(mask)
    expected = 0o666 & ~mask
    assert stat.S_IMODE((out / "summary.csv").stat().st_mode) == expected


def test_small_batches_run_in_process_with_the_same_results() -> None:
    from .conftest import make_scenario

    tiny = make_scenario(horizon_days=20)
    few = experiment.run(tiny, 3, seed=5, workers=2)
    assert few.workers == 1  # 3 replications are not worth starting two workers
    pd.testing.assert_frame_equal(few.replications, experiment.run(tiny, 3, seed=5).replications)
    assert experiment.run(tiny, 8, seed=5, workers=2).workers == 2
