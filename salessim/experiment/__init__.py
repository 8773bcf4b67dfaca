"""Many replications: runs, comparisons, sweeps and stress tests, their statistics and files.

`replications` runs a scenario's replications (in-process, on worker processes or on a dask
cluster) and summarises them; `whatif` builds sweeps and key-person stress tests on it;
`verdicts` words paired differences; `limits` sizes a batch before it starts; `results` writes
and reads result folders (atomic files, part files for resume, the folder lock).

    records -> replications.run -> RunResult -> results (files) -> report

The names below are the Python API of `salessim.experiment` (also in `salessim.api`).
"""

from salessim.experiment.replications import (
    Replication,
    RunResult,
    compare,
    comparison_table,
    differences,
    fresh_seed,
    paired_differences,
    replicate,
    run,
    run_replication,
    summarize,
)

__all__ = [
    "Replication",
    "RunResult",
    "compare",
    "comparison_table",
    "differences",
    "fresh_seed",
    "paired_differences",
    "replicate",
    "run",
    "run_replication",
    "summarize",
]
