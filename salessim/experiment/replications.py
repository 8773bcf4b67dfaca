"""Replications and their statistics: the Python API behind `salessim run` and `compare`.

`run(scenario, replications, seed)` simulates replication r with `Streams(seed, r)` (serially or
in worker processes; the result is the same either way), collects one flat record per
replication into a DataFrame and summarises each metric with its mean, 95% confidence interval and
percentiles. Writing files lives in `results`.
"""

from __future__ import annotations

import asyncio
import logging
import math
import multiprocessing
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from salessim.engine.simulation import simulate
from salessim.engine.streams import Streams, fresh_seed
from salessim.errors import SalessimError, WorkerError
from salessim.experiment import verdicts
from salessim.experiment.verdicts import Difference
from salessim.measures.metrics import Record, people_rows, record, timeseries_rows
from salessim.scenario.models import Scenario

Progress = Callable[[int], None]
MIN_REPLICATIONS_PER_WORKER = 4
"""Fewer replications than this per worker run in fewer workers (or in-process): starting a
worker costs more than it saves (results do not depend on it)."""
PARTS = ("record", "people", "timeseries", "leads")
SUMMARY_COLUMNS = ["metric", "mean", "sd", "ci_low", "ci_high", "p10", "p50", "p90", "n"]


@dataclass
class RunResult:
    """Replications of one scenario: one row per replication plus how they were made."""

    scenario: Scenario
    seed: int
    replications: pd.DataFrame
    wall_seconds: float
    workers: int = 1
    source: str | None = None
    people: pd.DataFrame = field(default_factory=pd.DataFrame)
    timeseries: pd.DataFrame = field(default_factory=pd.DataFrame)
    leads: pd.DataFrame = field(default_factory=pd.DataFrame)
    summary: pd.DataFrame = field(init=False)

    def __post_init__(self) -> None:
        self.summary = summarize(self.replications)


Rows = list[dict[str, Any]]


@dataclass
class Replication:
    """Everything one replication returns: small, flat, and cheap to send between processes."""

    record: Record
    people: Rows
    timeseries: Rows
    leads: Rows


def replicate(scenario: Scenario, seed: int, replication: int, leads: bool = False) -> Replication:
    """Simulate one replication: its record, per-person rows, time series and (optionally) the
    per-lead log."""
    log: Rows | None = [] if leads else None
    tally = simulate(scenario, Streams(seed, replication), lead_log=log)
    rec = record(tally)
    rec["replication"] = float(replication)
    out = Replication(rec, people_rows(tally), timeseries_rows(tally), log or [])
    for rows in (out.people, out.timeseries, out.leads):
        for row in rows:
            row["replication"] = replication
    return out


def run_replication(scenario: Scenario, seed: int, replication: int) -> Record:
    """Simulate one replication and return its flat record."""
    return replicate(scenario, seed, replication).record


def _run_chunk(
    scenario: Scenario, seed: int, reps: Sequence[int], leads: bool
) -> list[Replication]:
    return [replicate(scenario, seed, r, leads) for r in reps]


def _chunks(reps: Sequence[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(reps), size):
        yield list(reps[i : i + size])


def _frame(batches: list[pd.DataFrame]) -> pd.DataFrame:
    """The batches' rows as one frame in replication order, whatever order they finished in."""
    batches = [b for b in batches if not b.empty]
    if not batches:
        return pd.DataFrame()
    batches.sort(key=lambda b: int(b["replication"].iloc[0]))
    frame = pd.concat(batches, ignore_index=True).infer_objects()
    frame = frame.sort_values("replication", kind="stable", ignore_index=True)
    others = [c for c in frame.columns if c != "replication"]
    return frame[["replication", *others]].astype({"replication": "int64"})


def run(
    scenario: Scenario,
    replications: int = 100,
    seed: int | None = None,
    workers: int = 1,
    progress: Progress | None = None,
    source: str | None = None,
    leads: bool = False,
    scheduler: str | None = None,
    done: Sequence[Replication] = (),
    on_chunk: Callable[[list[Replication]], None] | None = None,
) -> RunResult:
    """Run `replications` independent replications of `scenario` and summarise them.

    With `leads`, also keep the per-lead log of every replication (memory grows with it). With a
    dask `scheduler` address, replications run on that dask.distributed cluster instead of
    local processes; the results are the same. `done` are replications finished earlier (a
    resumed run): they are not run again. `on_chunk` is called with each newly finished batch
    (to store it durably).
    """
    if replications < 1:
        raise ValueError(f"replications must be >= 1, got {replications}")
    seed = fresh_seed() if seed is None else seed
    started = time.perf_counter()
    finished = {int(one.record["replication"]) for one in done}
    reps = [r for r in range(replications) if r not in finished]
    batches = _Batches(progress, on_chunk)
    batches.keep(done)
    if progress and done:
        progress(len(done))
    workers = min(workers, max(1, len(reps) // MIN_REPLICATIONS_PER_WORKER))
    if scheduler is not None:
        _run_on_dask(scheduler, scenario, seed, list(_chunks(reps, 10)), leads, batches.collect)
    elif workers <= 1:
        for chunk in _chunks(reps, 10):
            batches.collect([replicate(scenario, seed, r, leads) for r in chunk])
    else:
        _run_on_processes(scenario, seed, reps, leads, workers, batches.collect)
    return batches.result(scenario, seed, time.perf_counter() - started, workers, source)


class _Batches:
    """Finished batches as they arrive: stored (`on_chunk`), counted (`progress`) and kept as one
    small frame per batch, far less memory than the rows' dicts."""

    def __init__(self, progress: Progress | None,
                 on_chunk: Callable[[list[Replication]], None] | None) -> None:  # fmt: skip
        self.progress, self.on_chunk = progress, on_chunk
        self.parts: dict[str, list[pd.DataFrame]] = {k: [] for k in PARTS}

    def keep(self, chunk: Sequence[Replication]) -> None:
        self.parts["record"].append(pd.DataFrame.from_records([one.record for one in chunk]))
        for key in PARTS[1:]:
            rows = [row for one in chunk for row in getattr(one, key)]
            self.parts[key].append(pd.DataFrame.from_records(rows))

    def collect(self, chunk: list[Replication]) -> None:
        if self.on_chunk:
            self.on_chunk(chunk)
        self.keep(chunk)
        if self.progress:
            self.progress(len(chunk))

    def result(self, scenario: Scenario, seed: int, wall: float, workers: int,
               source: str | None) -> RunResult:  # fmt: skip
        frames = {key: _frame(batches) for key, batches in self.parts.items()}
        result = RunResult(scenario, seed, frames["record"], wall, workers, source,
                           frames["people"])  # fmt: skip
        result.timeseries = frames["timeseries"]
        result.leads = crm_dates(frames["leads"], scenario)
        return result


def _worker_signals() -> None:
    """In a worker: Ctrl-C is the parent's to handle (it stops the workers), and SIGTERM or
    SIGHUP end the worker at once, as they would any program."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)


def _pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes: forked where the platform allows it (they start in milliseconds and
    need no `if __name__ == "__main__":` guard in the calling script; a forked pool cannot
    recycle its workers), else spawned and recycled every 200 batches to bound leaks."""
    if "fork" in multiprocessing.get_all_start_methods() and sys.platform == "linux":
        context = multiprocessing.get_context("fork")
        return ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_signals)
    return ProcessPoolExecutor(workers, max_tasks_per_child=200, initializer=_worker_signals)


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """End the workers now, not after the batches they are running (minutes of a long batch,
    hundreds of MB each): a stopped command leaves no process behind."""
    workers = list(getattr(pool, "_processes", {}).values())  # the executor has no public handle
    manager = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=False, cancel_futures=True)
    for process in workers:
        process.terminate()
    for process in workers:
        process.join(timeout=10)
    if manager is not None:
        # Let the executor finish closing its wake-up pipe now: left to the interpreter's exit,
        # that races with its own wake-up call and prints an OSError traceback (CPython 3.11).
        manager.join(timeout=10)


def _run_on_processes(scenario: Scenario, seed: int, reps: list[int], leads: bool, workers: int,
                      collect: Callable[[list[Replication]], None]) -> None:  # fmt: skip
    """Batches of replications on local worker processes, at most 3 per worker in flight, so
    finished results never pile up; batches of at most 10, so that at the end no worker waits
    long for the other's last batch."""
    size = max(1, min(10, math.ceil(len(reps) / (workers * 4))))
    pool = _pool(workers)
    try:
        pending: deque[Future[list[Replication]]] = deque()
        for c in _chunks(reps, size):
            pending.append(pool.submit(_run_chunk, scenario, seed, c, leads))
            if len(pending) >= 3 * workers:
                collect(pending.popleft().result())
        while pending:
            collect(pending.popleft().result())
    except BrokenProcessPool as exc:
        _stop_workers(pool)
        raise WorkerError(
            "a worker process died before finishing its replications (killed, out of memory, "
            "or, on a platform that spawns workers, a script without an "
            '`if __name__ == "__main__":` guard)'
        ) from exc
    except BaseException:
        _stop_workers(pool)
        raise
    pool.shutdown()


def crm_dates(leads: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """The lead log with calendar timestamps, as a CRM export has them (`created_at`,
    `closed_at`, empty while open), so `salessim calibrate` reads it like one."""
    if leads.empty:
        return leads
    start = pd.Timestamp(scenario.calendar.start)
    leads["created_at"] = start + pd.to_timedelta(leads["arrived_hours"], unit="h")
    leads["closed_at"] = start + pd.to_timedelta(leads["ended_hours"], unit="h")
    return leads


def _run_on_dask(
    scheduler: str,
    scenario: Scenario,
    seed: int,
    chunks: list[list[int]],
    leads: bool,
    collect: Callable[[list[Replication]], None],
) -> None:
    """Send chunks of replications to a dask.distributed cluster (extra `salessim[dask]`)."""
    try:
        from distributed import Client, as_completed
    except ImportError as exc:
        raise SalessimError(
            "the dask backend needs dask.distributed: pip install 'salessim[dask]'"
        ) from exc
    # the client logs its reconnection attempts as tracebacks; the error raised says it all
    for name in [n for n in logging.root.manager.loggerDict if n.startswith("distributed")]:
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)
    try:
        client = Client(scheduler, timeout="10s")
    except (OSError, ValueError, TypeError) as exc:  # unreachable, or not an address at all
        raise SalessimError(f"cannot reach the dask scheduler at {scheduler}: {exc}") from exc
    with client:
        # pure=False: identical-looking calls must not be merged; the seed is in the arguments
        futures = client.map(_run_chunk, [scenario] * len(chunks), [seed] * len(chunks), chunks,
                             [leads] * len(chunks), pure=False)  # fmt: skip
        try:
            for future in as_completed(futures):
                collect(future.result())
                future.release()
        except (CancelledError, asyncio.CancelledError, OSError, TimeoutError) as exc:
            why = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
            raise WorkerError(f"lost the dask scheduler at {scheduler} ({why})") from exc


def timeseries_bands(frame: pd.DataFrame) -> pd.DataFrame:
    """Per period: mean and p10/p50/p90 over replications of each time-series column."""
    keys = ["period", "index", "start_day"]
    if frame.empty:
        return pd.DataFrame(columns=keys)
    value_cols = [c for c in frame.columns if c not in (*keys, "replication")]
    grouped = frame.groupby(keys, sort=True)[value_cols]
    parts = [grouped.mean().add_suffix("_mean")]
    parts += [grouped.quantile(q).add_suffix(f"_p{round(q * 100)}") for q in (0.1, 0.5, 0.9)]
    return pd.concat(parts, axis=1).copy().reset_index()


def t_half_width(values: np.ndarray) -> float:
    """Half-width of the 95% Student-t interval of the mean of `values` (NaN below 2 values)."""
    n = len(values)
    if n < 2:
        return math.nan
    return float(stats.t.ppf(0.975, n - 1) * values.std(ddof=1) / math.sqrt(n))


def summarize(frame: pd.DataFrame) -> pd.DataFrame:
    """Per metric: mean, sd, 95% t-interval of the mean, p10/p50/p90 and the non-NaN count."""
    rows = []
    for col in frame.columns:
        if col == "replication":
            continue
        values = frame[col].to_numpy(dtype=float)
        values = values[~np.isnan(values)]
        n = len(values)
        if n == 0:
            rows.append([col, *([math.nan] * 7), 0])
            continue
        mean = float(values.mean())
        sd = float(values.std(ddof=1)) if n > 1 else math.nan
        half = t_half_width(values)
        p10, p50, p90 = (float(x) for x in np.percentile(values, [10, 50, 90]))
        rows.append([col, mean, sd, mean - half, mean + half, p10, p50, p90, n])
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def compare(
    scenarios: Sequence[Scenario],
    replications: int = 100,
    seed: int | None = None,
    workers: int = 1,
    progress: Progress | None = None,
    sources: Sequence[str | None] | None = None,
) -> list[RunResult]:
    """Run several scenarios with the same replication seeds (common random numbers)."""
    seed = fresh_seed() if seed is None else seed
    srcs = list(sources) if sources is not None else [None] * len(scenarios)
    return [
        run(sc, replications, seed, workers, progress, src)
        for sc, src in zip(scenarios, srcs, strict=True)
    ]


def comparison_table(results: Sequence[RunResult]) -> pd.DataFrame:
    """Long table: one row per (scenario, metric) with the summary statistics."""
    frames = []
    for res in results:
        frame = res.summary.copy()
        frame.insert(0, "scenario", res.scenario.name)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def differences(runs: Sequence[RunResult]) -> pd.DataFrame:
    """Paired differences of every run against the first (no rows for a single run)."""
    frames = [paired_differences(runs[0], other) for other in runs[1:]]
    if not frames:
        return pd.DataFrame(columns=DIFF_COLUMNS)
    return pd.concat(frames, ignore_index=True)


DIFF_COLUMNS = [
    "scenario", "baseline", "metric", "baseline_mean", "mean", "diff", "diff_low", "diff_high",
    "relative", "relative_low", "relative_high", "n", "verdict",
]  # fmt: skip


def paired_differences(baseline: RunResult, other: RunResult) -> pd.DataFrame:
    """Per metric: `other - baseline`, paired by replication (same seeds), with a 95% CI.

    The relative difference divides the difference and its interval by the baseline mean. The
    verdict is a plain sentence when the interval excludes zero, else empty.
    """
    a = baseline.replications.set_index("replication")
    b = other.replications.set_index("replication")
    common = a.index.intersection(b.index)
    rows = []
    for metric in a.columns.intersection(b.columns):
        before = a.loc[common, metric].to_numpy(dtype=float)
        after = b.loc[common, metric].to_numpy(dtype=float)
        d = after - before
        d = d[~np.isnan(d)]
        rows.append(_difference_row(baseline, other, metric, d, _nanmean(before),
                                    _nanmean(after)))  # fmt: skip
    return pd.DataFrame(rows, columns=DIFF_COLUMNS)


def window_years(scenario: Scenario) -> float:
    """Years of the measured window (the horizon after the warm-up)."""
    return (scenario.horizon_days - scenario.warmup_days) / 365


def _nanmean(values: np.ndarray) -> float:
    values = values[~np.isnan(values)]
    return float(values.mean()) if len(values) else math.nan


def _difference_row(baseline: RunResult, other: RunResult, metric: str, d: np.ndarray,
                    base_mean: float, mean: float) -> list[object]:  # fmt: skip
    n = len(d)
    diff = float(d.mean()) if n else math.nan
    half = t_half_width(d)
    lo, hi = diff - half, diff + half
    rel = [x / base_mean if base_mean > 0 else math.nan for x in (diff, lo, hi)]
    verdict = ""
    if n > 1:
        found = Difference(other.scenario.name, baseline.scenario.name, metric, mean, base_mean,
                           diff, lo, hi, window_years(baseline.scenario))  # fmt: skip
        verdict = verdicts.verdict(found, other.scenario.currency)
    return [other.scenario.name, baseline.scenario.name, metric, base_mean, mean, diff, lo, hi,
            *rel, n, verdict]  # fmt: skip
