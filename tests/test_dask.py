"""The dask.distributed backend gives exactly the local results."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from salessim.errors import SalessimError
from salessim.experiment import replications as experiment
from salessim.scenario.models import Scenario

from .conftest import MINIMAL_YAML

distributed = pytest.importorskip("distributed", reason="dask extra not installed")


@pytest.fixture(scope="module")
def cluster() -> Iterator[object]:
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as local:
        yield local


def test_dask_cluster_equals_local_run(tiny: Scenario, cluster: object) -> None:
    local = experiment.run(tiny, 12, seed=9, workers=1)
    remote = experiment.run(tiny, 12, seed=9, scheduler=cluster.scheduler_address)  # type: ignore[attr-defined]
    pd.testing.assert_frame_equal(local.replications, remote.replications)
    pd.testing.assert_frame_equal(local.people, remote.people)


def test_unreachable_scheduler_is_a_clear_error(tiny: Scenario) -> None:
    with pytest.raises(SalessimError, match="cannot reach the dask scheduler"):
        experiment.run(tiny, 2, seed=1, scheduler="tcp://127.0.0.1:1")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_cluster(port: int) -> list[subprocess.Popen[bytes]]:
    """A dask scheduler and one worker as separate processes (what a real cluster is)."""
    dask = str(Path(sys.executable).with_name("dask"))
    address = f"tcp://127.0.0.1:{port}"
    commands = [
        [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        [dask, "worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard"],
    ]
    return [subprocess.Popen(c, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for c in commands]  # fmt: skip


def test_a_lost_scheduler_ends_cleanly_and_the_run_resumes(tmp_path: Path) -> None:
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(MINIMAL_YAML.replace("horizon_days: 30", "horizon_days: 200"))
    common = [sys.executable, "-m", "salessim", "run", str(scenario), "-n", "300", "--seed", "4",
              "-q"]  # fmt: skip
    local = tmp_path / "local"
    subprocess.run([*common, "-w", "1", "--out", str(local)], check=True, timeout=600)
    port = _free_port()
    cluster = _start_cluster(port)
    out = tmp_path / "remote"
    try:
        run = subprocess.Popen([*common, "--scheduler", f"tcp://127.0.0.1:{port}", "--out",
                                str(out)], stderr=subprocess.PIPE)  # fmt: skip
        deadline = time.time() + 120
        while len(list((out / "parts").glob("part-*.pkl"))) < 2 and time.time() < deadline:
            time.sleep(0.05)
        cluster[0].kill()  # the scheduler's machine goes away
        assert run.wait(timeout=120) == 3
        stderr = run.communicate()[1].decode()
        assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1, stderr
        assert "lost the dask scheduler" in stderr and "--resume" in stderr
    finally:
        for proc in cluster:
            proc.kill()
            proc.wait()
    cluster = _start_cluster(port)
    try:
        again = [*common, "--scheduler", f"tcp://127.0.0.1:{port}", "--out", str(out), "--resume"]
        subprocess.run(again, check=True, timeout=600)
    finally:
        for proc in cluster:
            proc.kill()
            proc.wait()
    for name in ("replications.parquet", "people.parquet", "timeseries.parquet"):
        assert (out / name).read_bytes() == (local / name).read_bytes(), name


def test_a_malformed_scheduler_address_is_a_clear_error(tiny: Scenario) -> None:
    with pytest.raises(SalessimError, match="cannot reach the dask scheduler"):
        experiment.run(tiny, 2, seed=1, scheduler="localhost")
