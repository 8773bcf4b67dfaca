"""An interrupted run keeps what it finished and, resumed, equals an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from salessim.errors import ResultsError
from salessim.experiment import replications as experiment
from salessim.experiment import results
from salessim.scenario.models import Scenario

from .conftest import MINIMAL_YAML


def test_interrupted_and_resumed_run_equals_uninterrupted(tiny: Scenario, tmp_path: Path) -> None:
    whole = experiment.run(tiny, 40, seed=6)
    store = results.PartStore(tmp_path / "run")
    identity = store.identity(tiny, 6, 40, False)
    store.start(identity, resume=False)
    seen = []

    def stop_after_two(chunk: list[experiment.Replication]) -> None:
        store.add(chunk)
        seen.append(len(chunk))
        if len(seen) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        experiment.run(tiny, 40, seed=6, on_chunk=stop_after_two)
    done = store.start(identity, resume=True)
    assert len(done) == 20
    resumed = experiment.run(tiny, 40, seed=6, done=done, on_chunk=store.add)
    pd.testing.assert_frame_equal(whole.replications, resumed.replications)
    pd.testing.assert_frame_equal(whole.people, resumed.people)


def test_resume_refuses_a_changed_scenario(tiny: Scenario, tmp_path: Path) -> None:
    store = results.PartStore(tmp_path / "run")
    store.start(store.identity(tiny, 1, 10, False), resume=False)
    changed = tiny.model_copy(update={"horizon_days": 29})
    with pytest.raises(ResultsError, match="scenario_sha256"):
        store.start(store.identity(changed, 1, 10, False), resume=True)


def salessim(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "salessim", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def test_killed_command_resumes_to_the_same_files(tmp_path: Path) -> None:
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(MINIMAL_YAML.replace("horizon_days: 30", "horizon_days: 400"))
    common = [str(scenario), "-n", "120", "--seed", "8", "-w", "1", "-q"]
    assert salessim("run", *common, "--out", str(tmp_path / "whole")).wait(timeout=300) == 0
    out = tmp_path / "cut"
    proc = salessim("run", *common, "--out", str(out))
    deadline = time.time() + 120
    while len(list((out / "parts").glob("part-*.pkl"))) < 2 and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 130
    assert b"--resume" in proc.communicate()[1]
    assert not (out / "replications.parquet").exists()
    assert salessim("run", *common, "--out", str(out), "--resume").wait(timeout=300) == 0
    a = (tmp_path / "whole" / "replications.parquet").read_bytes()
    assert (out / "replications.parquet").read_bytes() == a
    assert not (out / "parts").exists()


def test_resumed_compare_reads_finished_scenarios_back(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from salessim.cli import app

    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(MINIMAL_YAML)
    b.write_text(MINIMAL_YAML.replace("name: tiny", "name: other"))
    out = tmp_path / "cmp"
    args = ["compare", str(a), str(b), "-n", "4", "--seed", "2", "-w", "1", "-q", "--out", str(out)]
    assert CliRunner().invoke(app, args).exit_code == 0
    first = (out / "comparison.csv").read_text()
    stamp = (out / "tiny" / "replications.parquet").stat().st_mtime_ns
    result = CliRunner().invoke(app, [*args, "--resume"])
    assert result.exit_code == 0, result.output
    assert (out / "comparison.csv").read_text() == first
    assert (out / "tiny" / "replications.parquet").stat().st_mtime_ns == stamp  # not re-run


def test_resumed_sweep_and_stress_do_not_run_finished_points_again(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from salessim.cli import app

    path = tmp_path / "tiny.yaml"
    path.write_text(MINIMAL_YAML)
    for command, extra, probe in (
        ("sweep", ["--set", "roles.designer.headcount=1,2"], "point_1"),
        ("stress", ["--day", "3"], "without_designer[0]"),
    ):
        out = tmp_path / command
        args = [
            command,
            str(path),
            *extra,
            "-n",
            "3",
            "--seed",
            "1",
            "-w",
            "1",
            "-q",
            "--out",
            str(out),
        ]
        assert CliRunner().invoke(app, args).exit_code == 0
        stamp = (out / probe / "replications.parquet").stat().st_mtime_ns
        again = CliRunner().invoke(app, [*args, "--resume"])
        assert again.exit_code == 0, again.output
        assert (out / probe / "replications.parquet").stat().st_mtime_ns == stamp


# -- every ending is clean: SIGTERM, SIGHUP, a killed worker --------------------------------------


def children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def long_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str], bytes]:
    """A scenario, the arguments of a run long enough to stop midway, and the uninterrupted
    result's replications.parquet."""
    root = tmp_path_factory.mktemp("endings")
    scenario = root / "tiny.yaml"
    scenario.write_text(MINIMAL_YAML.replace("horizon_days: 30", "horizon_days: 200"))
    common = [str(scenario), "-n", "600", "--seed", "9", "-q"]
    whole = root / "whole"
    assert salessim("run", *common, "-w", "2", "--out", str(whole)).wait(timeout=600) == 0
    return root, common, (whole / "replications.parquet").read_bytes()


@pytest.mark.parametrize(
    ("how", "code"),
    [("SIGTERM", 128 + signal.SIGTERM), ("SIGHUP", 128 + signal.SIGHUP), ("worker", 3)],
)
def test_a_stopped_run_says_what_is_kept_leaves_no_process_and_resumes_identically(
    how: str, code: int, long_run: tuple[Path, list[str], bytes]
) -> None:
    root, common, whole = long_run
    out = root / how
    proc = salessim("run", *common, "-w", "2", "--out", str(out))
    deadline = time.time() + 120
    while len(list((out / "parts").glob("part-*.pkl"))) < 2 and time.time() < deadline:
        time.sleep(0.05)
    workers = children(proc.pid)
    assert len(workers) == 2, workers
    if how == "worker":
        os.kill(workers[0], signal.SIGKILL)  # as the out-of-memory killer would
    else:
        proc.send_signal(getattr(signal, how))
    assert proc.wait(timeout=60) == code
    stderr = proc.communicate()[1].decode()
    assert "Traceback" not in stderr and "--resume" in stderr, stderr
    assert len(stderr.strip().splitlines()) == 1, stderr  # one paragraph
    assert "replications of tiny are kept in" in stderr
    time.sleep(0.5)
    assert not [w for w in workers if alive(w)], "worker processes left running"
    assert salessim("run", *common, "-w", "2", "--out", str(out), "--resume").wait(600) == 0
    assert (out / "replications.parquet").read_bytes() == whole
