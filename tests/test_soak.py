"""Soak: a long batch keeps its memory bounded (results are aggregated as batches finish).

Runs `salessim run two_level.yaml` with 2 workers for 200 and for 2,000 replications and samples
the summed proportional memory (Pss) of the command and its worker processes. The bound is fixed
and the 2,000-replication peak must stay close to the 200-replication one: memory must not grow
with the number of replications. Marked `slow`; CI runs it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from .memory import peak_rss

ROOT = Path(__file__).resolve().parent.parent
BOUND_BYTES = 900 * 2**20  # the CLI plus two workers, each with numpy, pandas, simpy, plotly


def _run(replications: int, out: Path) -> int:
    scenario = str(ROOT / "scenarios" / "two_level.yaml")
    command = [sys.executable, "-m", "salessim", "run", scenario, "-n", str(replications),
               "--seed", "1", "-w", "2", "-q", "--out", str(out)]  # fmt: skip
    code, peak = peak_rss(command)
    assert code == 0
    summary = pd.read_csv(out / "summary.csv").set_index("metric")
    assert summary.at["revenue", "n"] == replications
    return peak


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/smaps_rollup").exists(), reason="needs Linux /proc")
def test_memory_does_not_grow_with_replications(tmp_path: Path) -> None:
    small = _run(200, tmp_path / "n200")
    large = _run(2000, tmp_path / "n2000")
    print(f"peak memory: {small / 2**20:.0f} MiB for 200, {large / 2**20:.0f} MiB for 2,000")
    assert small < BOUND_BYTES and large < BOUND_BYTES
    assert large < small * 1.2 + 50 * 2**20
