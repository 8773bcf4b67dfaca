"""salessim: a discrete-event simulator of sales-team structures, built on SimPy.

Data flows one way: YAML -> `Scenario` (scenario, loader) -> engine -> per-replication records
(metrics) -> aggregates and files (experiment) -> CLI. From Python::

    import salessim
    scenario = salessim.load("scenarios/two_level.yaml")
    result = salessim.run(scenario, replications=200, seed=1)
    result.summary  # pandas DataFrame
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("salessim")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
