"""-n auto --precision: replications added until the 95% intervals are as narrow as asked
(Hoad, Robinson & Davies 2010), checked on outputs of known variance and on the command."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from salessim.cli import app
from salessim.experiment import precision
from salessim.experiment.replications import RunResult

from .conftest import make_scenario

runner = CliRunner()


def _known(sd: float, draws: int = 20_000) -> precision.Reached:
    """Runs whose revenue is normal with mean 100 and standard deviation `sd`."""
    values = np.random.default_rng(11).normal(100.0, sd, draws)
    scenario = make_scenario()

    def run_to(n: int) -> list[RunResult]:
        frame = pd.DataFrame({"replication": np.arange(n), "revenue": values[:n]})
        return [RunResult(scenario, 1, frame, 0.0)]

    _, reached = precision.run_to_precision(run_to, 0.05, metrics=["revenue"], cap=draws)
    return reached


def test_it_stops_where_the_known_variance_says() -> None:
    # half-width 1.96 sd / sqrt(n) is 5% of 100 at n = (1.96 x 20 / 5)^2, about 61
    reached = _known(20.0)
    assert reached.solution is not None
    assert reached.solution == pytest.approx((1.96 * 20 / 5) ** 2, rel=0.25)
    assert reached.widths["revenue"] <= 0.05
    assert reached.replications >= reached.solution + precision.look_ahead(reached.solution)
    # four times the variance needs about four times the replications
    wider = _known(40.0)
    assert wider.solution == pytest.approx(4 * reached.solution, rel=0.3)


def test_a_precision_out_of_reach_says_so() -> None:
    values = np.random.default_rng(2).normal(0.01, 1.0, 50)
    scenario = make_scenario()

    def run_to(n: int) -> list[RunResult]:
        frame = pd.DataFrame({"replication": np.arange(n), "revenue": values[:n]})
        return [RunResult(scenario, 1, frame, 0.0)]

    _, reached = precision.run_to_precision(run_to, 0.05, metrics=["revenue"], cap=50)
    assert reached.solution is None and reached.replications == 50
    assert "not reached in 50 replications" in reached.sentence()


def test_look_ahead_follows_the_paper() -> None:
    assert [precision.look_ahead(n) for n in (10, 100, 101, 400)] == [5, 5, 6, 20]
    assert math.isinf(precision.relative_half_width(np.array([1.0])))


def test_auto_gives_the_same_files_as_the_count_it_reached(tiny_file: Path, tmp_path: Path) -> None:
    auto = tmp_path / "auto"
    result = runner.invoke(app, ["run", str(tiny_file), "-n", "auto", "--precision", "5%",
                                 "--seed", "4", "-w", "1", "-q", "--out", str(auto)])  # fmt: skip
    assert result.exit_code == 0, result.output
    note = (auto / "precision.txt").read_text(encoding="utf-8")
    assert "±5% reached at" in note
    count = len(pd.read_parquet(auto / "replications.parquet"))
    fixed = tmp_path / "fixed"
    result = runner.invoke(app, ["run", str(tiny_file), "-n", str(count), "--seed", "4", "-w",
                                 "1", "-q", "--out", str(fixed)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (auto / "replications.parquet").read_bytes() == (
        fixed / "replications.parquet"
    ).read_bytes()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["-n", "auto"], "needs --precision"),
        (["-n", "50", "--precision", "5%"], "goes with -n auto"),
        (["-n", "auto", "--precision", "150%"], "a share between 0 and 1"),
        (["-n", "lots"], "is not a whole number"),
    ],
)
def test_wrong_precision_options_are_clear_errors(tiny_file: Path, tmp_path: Path,
                                                  args: list[str], words: str) -> None:  # fmt: skip
    result = runner.invoke(app, ["run", str(tiny_file), *args, "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and words in result.stderr, result.stderr


def test_sweep_and_solve_take_auto_too(tiny_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    result = runner.invoke(app, ["sweep", str(tiny_file), "--set", "roles.designer.headcount=1,2",
                                 "-n", "auto", "--precision", "10%", "--seed", "1", "-w", "1",
                                 "-q", "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    for point in ("point_0", "point_1"):
        assert "±10% reached at" in (out / point / "precision.txt").read_text(encoding="utf-8")
    out = tmp_path / "solve"
    result = runner.invoke(app, ["solve", str(tiny_file), "--target", "won >= 10", "--vary",
                                 "roles.designer.headcount=1..2", "-n", "auto", "--precision",
                                 "10%", "--seed", "1", "-w", "1", "-q", "--out",
                                 str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (out / "answer.txt").read_text(encoding="utf-8").startswith("Answer for won >= 10")
