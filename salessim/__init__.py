"""salessim: a discrete-event simulator of sales-team structures, built on SimPy.

Data flows one way: YAML -> `Scenario` (scenario, loader) -> engine -> per-replication records
(metrics) -> aggregates and files (experiment, results) -> report and CLI. From Python::

    import salessim
    scenario = salessim.load("scenarios/two_level.yaml")
    result = salessim.run(scenario, replications=200, seed=1)
    result.summary  # pandas DataFrame

`load`, `run`, `compare`, `differences`, `sweep` and `stress` come from `salessim.api` and are
imported on first use, so `import salessim` (and `salessim --help`) stays fast. See
docs/python.md.
"""

from __future__ import annotations

from typing import Any

from salessim.version import __version__

API = ("load", "run", "compare", "differences", "sweep", "stress", "WhatIf")
__all__ = ["__version__", *API]


def __getattr__(name: str) -> Any:
    if name in API:
        from salessim import api

        return getattr(api, name)
    raise AttributeError(f"module 'salessim' has no attribute {name!r}")
