"""The Python API in one place: load, run, compare, sweep and stress, as the CLI does them.

`import salessim` exposes these functions (loaded on first use, so `import salessim` stays
light). They return pandas DataFrames inside small result objects and write no files; the
command line adds result folders, resume and the report on top. Examples that the test suite
runs are in docs/python.md.

Worker processes (`workers=2`) are forked on Linux, so a plain script needs nothing special;
where workers are spawned (macOS, Windows), put the calls under `if __name__ == "__main__":`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from salessim.engine.streams import fresh_seed
from salessim.experiment import replications as experiment
from salessim.experiment import whatif
from salessim.experiment.replications import RunResult
from salessim.scenario import loader
from salessim.scenario.models import Scenario

__all__ = ["WhatIf", "compare", "differences", "load", "run", "stress", "sweep"]

load = loader.load
run = experiment.run
compare = experiment.compare
differences = experiment.differences


@dataclass
class WhatIf:
    """A sweep or stress test: its table (one row per point or person) and the runs behind it."""

    table: pd.DataFrame
    runs: list[RunResult]


def _runner(replications: int, seed: int, workers: int) -> whatif.RunFn:
    return lambda sc: experiment.run(sc, replications, seed, workers)


def sweep(
    path: str | Path,
    settings: Mapping[str, Sequence[Any]],
    replications: int = 100,
    seed: int | None = None,
    workers: int = 1,
) -> WhatIf:
    """The scenario file at every combination of `settings` (key path -> values), all on the
    same seed; `table` has the KPIs of each point (mean, 95% CI, p10, p90)."""
    points = whatif.combinations(settings)
    scenarios = whatif.load_points(Path(path), points)
    seed = fresh_seed() if seed is None else seed
    table, runs = whatif.sweep(points, scenarios, _runner(replications, seed, workers))
    return WhatIf(table, runs)


def stress(
    scenario: Scenario,
    replications: int = 100,
    seed: int | None = None,
    workers: int = 1,
    day: float | None = None,
    absent_days: float | None = None,
) -> WhatIf:
    """Each person removed in turn on `day` (default: 90 days after the warm-up), or absent for
    `absent_days`; `table` ranks them by profit lost (then revenue lost), `runs` is the baseline
    then each variant."""
    when = whatif.default_stress_day(scenario) if day is None else day
    seed = fresh_seed() if seed is None else seed
    table, baseline, variants = whatif.stress(
        scenario, _runner(replications, seed, workers), when, absent_days
    )
    return WhatIf(table, [baseline, *variants])
