"""The dask.distributed backend gives exactly the local results."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest

from salessim import experiment
from salessim.errors import SalessimError
from salessim.scenario import Scenario

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
