"""Replications chosen by precision (`-n auto --precision 5%`), after the replication algorithm
of Hoad, Robinson & Davies (2010), "Automating the selection of the number of replications for
discrete-event simulation", Journal of the Operational Research Society 61(11).

The precision of a metric after n replications is the relative half-width of its 95%
confidence interval, d(n) = t(n-1) s(n) / (sqrt(n) |mean(n)|), for revenue and deals won;
profit, which can be near zero, is measured against mean revenue instead. A compare also
measures each paired difference against the baseline: the half-width of the difference's
interval divided by the baseline's mean (revenue for profit).

The algorithm starts with 10 replications. It looks for the first n at which every measured
metric has d <= the target, and keeps running past it: the n stands only
if d stays within the target for the next kLimit replications. This look-ahead is what guards
against an early, lucky crossing; kLimit is 5 up to 100 replications and 5 n / 100 beyond, as
in the paper. Batches are sized by the usual estimate n (d / target)^2. The run stops at
`MAX_REPLICATIONS` if the target is never reached, and says so.

Replications are numbered and seeded one by one, so the first n of a longer run are exactly a
run of n: the check at each n needs no re-run, and the result equals `-n` of the count reached.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from salessim.experiment.replications import RunResult

HEADLINE = ("revenue", "profit", "won")
# what a metric's half-width is relative to: profit can be near zero, so it is measured against
# revenue (a precision "of the business"), as are differences, against the baseline's
SCALE = {"profit": "revenue"}
START = 10
MAX_REPLICATIONS = 5_000


@dataclass(frozen=True)
class Reached:
    """What `-n auto` reached: the replications run, the n at which the precision held, and
    the relative half-width of each measured metric after all of them."""

    target: float
    replications: int
    solution: int | None  # None: not reached within MAX_REPLICATIONS
    widths: dict[str, float]

    def sentence(self) -> str:
        shown = ", ".join(f"{name} ±{w:.1%}" for name, w in self.widths.items())
        if self.solution is None:
            return (f"Precision {self.target:.0%} not reached in {self.replications:,} "
                    f"replications (the most -n auto runs): {shown}.")  # fmt: skip
        return (f"Replications by precision (Hoad, Robinson & Davies 2010): ±{self.target:.0%} "
                f"reached at {self.solution:,} replications and held to {self.replications:,}: "
                f"{shown} (95% CI half-widths over the mean; profit's over revenue).")  # fmt: skip


def look_ahead(n: int) -> int:
    """Hoad et al.'s kLimit: 5 replications up to 100, then 5% of n."""
    return 5 if n <= 100 else math.ceil(5 * n / 100)


def relative_half_width(values: np.ndarray, scale: float | None = None) -> float:
    """t(n-1) s / sqrt(n) / |scale| (scale: the mean of `values` by default)."""
    values = values[np.isfinite(values)]
    n = len(values)
    centre = abs(float(values.mean())) if scale is None else abs(scale)
    if n < 2 or centre == 0:
        return math.inf
    half = stats.t.ppf(0.975, n - 1) * float(values.std(ddof=1)) / math.sqrt(n)
    return half / centre


def widths(results: Sequence[RunResult], n: int,
           metrics: Sequence[str] = HEADLINE) -> dict[str, float]:  # fmt: skip
    """The relative half-width of each measured metric over the first `n` replications: each
    run's headline metrics, and for several runs each paired difference against the first."""
    frames = [r.replications.sort_values("replication") for r in results]
    names = [r.scenario.name for r in results]
    return _widths(frames, names, n, metrics)


def _widths(frames: list[pd.DataFrame], names: list[str], n: int,
            metrics: Sequence[str]) -> dict[str, float]:  # fmt: skip
    heads = [frame.head(n) for frame in frames]
    out: dict[str, float] = {}

    def scale(frame: pd.DataFrame, metric: str) -> float:
        by = SCALE.get(metric, metric)
        return float(frame[by].mean()) if by in frame else 0.0

    for frame, name in zip(heads, names, strict=True):
        for metric in metrics:
            if metric in frame and scale(frame, metric) != 0:
                key = metric if len(heads) == 1 else f"{name}.{metric}"
                values = frame[metric].to_numpy(dtype=float)
                out[key] = relative_half_width(values, scale(frame, metric))
    base = heads[0]
    for frame, name in zip(heads[1:], names[1:], strict=True):
        for metric in metrics:
            if metric not in frame or metric not in base or scale(base, metric) == 0:
                continue
            diff = frame[metric].to_numpy(dtype=float) - base[metric].to_numpy(dtype=float)
            out[f"{name} - {names[0]}.{metric}"] = relative_half_width(diff, scale(base, metric))
    return out


def run_to_precision(
    run_to: Callable[[int], list[RunResult]],
    target: float,
    metrics: Sequence[str] = HEADLINE,
    start: int = START,
    cap: int = MAX_REPLICATIONS,
) -> tuple[list[RunResult], Reached]:
    """Extend the runs (`run_to(n)`: all runs with n replications each, reusing those done)
    until every measured metric's relative half-width is at most `target` and stays so for
    the look-ahead."""
    n, checked, candidate = min(start, cap), 0, None
    while True:
        results = run_to(n)
        frames = [r.replications.sort_values("replication") for r in results]
        names = [r.scenario.name for r in results]
        for m in range(max(checked + 1, 2), n + 1):
            within = max(_widths(frames, names, m, metrics).values(), default=math.inf) <= target
            if within and candidate is None:
                candidate = m
            elif not within:
                candidate = None
        checked = n
        if candidate is not None and n >= candidate + look_ahead(candidate):
            return results, Reached(target, n, candidate, widths(results, n, metrics))
        if n >= cap:
            return results, Reached(target, n, None, widths(results, n, metrics))
        if candidate is not None:
            n = min(cap, candidate + look_ahead(candidate))
        else:
            d = max(widths(results, n, metrics).values(), default=math.inf)
            wanted = n * (d / target) ** 2 if math.isfinite(d) else 2 * n
            n = min(cap, max(n + look_ahead(n), min(math.ceil(wanted), 2 * n)))
