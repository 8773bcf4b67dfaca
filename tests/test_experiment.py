"""Replications and their files: reproducible bit for bit, whatever the number of workers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from salessim import experiment, results
from salessim.errors import ResultsError
from salessim.scenario import Scenario


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
