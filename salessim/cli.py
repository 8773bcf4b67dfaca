"""The `salessim` command line: a thin shell over the Python API.

Each command loads scenarios with `loader.load`, calls one function of `experiment` or `results`,
and prints a table. salessim's own exceptions become a short message on stderr and exit code 2;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import shutil
import signal
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer
from rich.console import Console

from salessim import tables
from salessim.defaults import DEFAULT_MAX_HOURS, DEFAULT_WORK_HOURS
from salessim.errors import SalessimError, ScenarioError, WriteError

if TYPE_CHECKING:  # imported where they are used, so `salessim --help` starts quickly
    import pandas as pd

    from salessim.crm import export as crm
    from salessim.experiment import replications as experiment
    from salessim.experiment.precision import Reached
    from salessim.experiment.replications import Replication, RunResult
    from salessim.scenario.models import Scenario

app = typer.Typer(
    help="Simulate sales-team structures and compare them. See docs/cli.md.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out_console = Console(emoji=False)
err_console = Console(stderr=True, emoji=False)  # `file.yaml:100:5` is not an emoji
T = TypeVar("T")
Start = Callable[[str], "tables.ProgressFn | None"]


def _version(value: bool) -> None:
    if value:
        from salessim.version import __version__

        out_console.print(f"salessim {__version__}", highlight=False)
        raise typer.Exit()


BASE_FOLDERS: list[Path] = []
"""Folders besides a scenario's own folder tree where its `base:` files may be (--base-dir)."""


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
    base_dir: Annotated[
        list[Path] | None,
        typer.Option(
            "--base-dir",
            help="Also allow `base:` files in this folder (repeatable); by default they must be "
            "in the scenario's own folder or below it.",
        ),
    ] = None,
) -> None:
    """Simulate sales-team structures and compare them. See docs/cli.md."""
    BASE_FOLDERS[:] = base_dir or []


ReplicationsOpt = Annotated[int, typer.Option("-n", "--replications", min=1, help="Replications.")]
AUTO = 0  # `-n auto`: as many replications as --precision needs


def _replications(text: str) -> int:
    if str(text).strip().lower() == "auto":
        return AUTO
    try:
        n = int(text)
    except ValueError:
        raise typer.BadParameter(f"'{text}' is not a whole number, or auto") from None
    if n < 1:
        raise typer.BadParameter(f"{n}: at least 1 replication, or auto")
    return n


AutoReplicationsOpt = Annotated[
    int,
    typer.Option("-n", "--replications", parser=_replications, metavar="N|auto",
                 help="Replications, or auto: as many as --precision needs."),
]  # fmt: skip
PrecisionOpt = Annotated[
    str | None,
    typer.Option("--precision", help="With -n auto: the relative half-width of the 95% "
                 "intervals to reach for revenue, profit and deals (and their differences), "
                 "e.g. 5%."),
]  # fmt: skip
SeedOpt = Annotated[int | None, typer.Option("--seed", help="Root seed; random if omitted.")]
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers",
        "-w",
        min=1,
        help="Worker processes (default: all cores). Results do not depend on it.",
        show_default=False,
    ),
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option("--scheduler", help="Run on this dask.distributed scheduler (tcp://host:8786)."),
]
ForceOpt = Annotated[bool, typer.Option("--force", help="Overwrite an existing results folder.")]
ForceFileOpt = Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or table.")]
XlsxOpt = Annotated[
    bool,
    typer.Option("--xlsx", help="Also write results.xlsx: the tables and a metadata sheet."),
]
MaxHoursOpt = Annotated[
    float,
    typer.Option("--max-hours", min=0, help="Refuse a batch estimated to take longer (hours)."),
]
NoLimitOpt = Annotated[
    bool,
    typer.Option("--no-limit", help="Start even if the batch looks too big for this machine."),
]


def check_size(scenarios: Sequence[Scenario], n: int, workers: int | None, max_hours: float,
               no_limit: bool, leads: bool = False) -> None:  # fmt: skip
    """Refuse, before anything is written, a batch that would exhaust the machine."""
    from salessim.experiment import limits

    if not no_limit:
        cores = workers or os.cpu_count() or 1
        guarded(lambda: limits.check(scenarios, n, cores, max_hours, leads))


def fail(message: str) -> None:
    err_console.print(message, markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def guarded(action: Callable[[], T]) -> T:
    """Run `action`, turning salessim's own errors into a message and exit code 2."""
    try:
        return action()
    except ScenarioError as exc:
        from salessim.scenario import loader

        fail(loader.format_error(exc))
    except SalessimError as exc:
        fail(f"Error: {exc}")
    raise AssertionError("unreachable")


def load(path: Path, overrides: dict[str, object] | None = None) -> Scenario:
    from salessim.scenario import loader

    return guarded(lambda: loader.load(path, overrides, BASE_FOLDERS))


VERDICT_METRICS = ("revenue", "profit", "won", "lead_to_won", "top_person_revenue_share")


def print_verdicts(diffs: pd.DataFrame, runs: Sequence[RunResult]) -> None:
    """The three-line conclusion, then plain sentences for the headline metrics: in money a
    year where the paired interval excludes zero, and saying so where it does not."""
    from salessim.experiment import replications as experiment
    from salessim.experiment import verdicts

    currency, years = runs[0].scenario.currency, experiment.window_years(runs[0].scenario)
    lines = verdicts.conclusion(diffs, currency, years)
    if lines:
        out_console.print("In short:", highlight=False)
        for line in lines:
            out_console.print(f"  {line}", markup=False, highlight=False)
    chosen = diffs[diffs["metric"].isin(VERDICT_METRICS) & (diffs["verdict"] != "")]
    if chosen.empty:
        out_console.print("No headline difference is clear at 95% (try more replications).")
    for text in chosen["verdict"]:
        out_console.print(f"- {text}", markup=False, highlight=False)
    for row in diffs[diffs["metric"].isin(verdicts.HEADLINE)].to_dict("records"):
        found = verdicts.Difference(str(row["scenario"]), str(row["baseline"]), str(row["metric"]),
                                    float(row["mean"]), float(row["baseline_mean"]),
                                    float(row["diff"]), float(row["diff_low"]),
                                    float(row["diff_high"]), years)  # fmt: skip
        text = verdicts.unclear(found, currency)
        if text:
            out_console.print(f"- {text}", markup=False, highlight=False)


def default_out(name: str) -> Path:
    return Path("results") / name


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Scenario YAML files.")],
) -> None:
    """Check scenario files and report every problem with its line.

    Example: salessim validate scenarios/two_level.yaml
    """
    from salessim.scenario import loader

    problems = []
    for path in files:
        try:
            scenario = loader.load(path, None, BASE_FOLDERS)
            out_console.print(f"{path}: ok ({scenario.name})", markup=False, highlight=False)
        except ScenarioError as exc:
            problems.append(loader.format_error(exc))
    if problems:
        fail("\n\n".join(problems))


@app.command()
def schema() -> None:
    """Print the JSON Schema of the scenario format.

    Example: salessim schema > scenario.schema.json
    """
    from salessim.scenario.models import Scenario

    out_console.print_json(json.dumps(Scenario.model_json_schema(by_alias=True)))


def _run_one(
    scenario: Scenario,
    source: Path,
    n: int,
    seed: int | None,
    workers: int | None,
    bar: tables.ProgressFn | None,
    leads: bool = False,
    scheduler: str | None = None,
    done: Sequence[experiment.Replication] = (),
    on_chunk: Callable[[list[experiment.Replication]], None] | None = None,
) -> RunResult:
    from salessim.errors import WorkerError
    from salessim.experiment import replications as experiment

    cores = workers or os.cpu_count() or 1
    try:
        return experiment.run(
            scenario, n, seed, cores, bar, str(source), leads, scheduler, done, on_chunk
        )
    except WorkerError:
        raise  # the caller says what was kept
    except SalessimError as exc:
        fail(f"Error: {exc}")
        raise AssertionError("unreachable") from exc


@app.command("run")
def run_cmd(
    file: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    replications: AutoReplicationsOpt = 100,
    precision: PrecisionOpt = None,
    seed: SeedOpt = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Results folder.")] = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    force: ForceOpt = False,
    quiet: QuietOpt = False,
    xlsx: XlsxOpt = False,
    leads: Annotated[
        bool, typer.Option("--leads", help="Also write leads.parquet: one row per lead (CRM-like).")
    ] = False,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue an interrupted run in the same folder.")
    ] = False,
    max_hours: MaxHoursOpt = DEFAULT_MAX_HOURS,
    no_limit: NoLimitOpt = False,
) -> None:
    """Run replications of one scenario and write results/<name>/.

    Finished replications are kept as the run goes: after Ctrl-C or a crash, the same command
    with --resume runs only what is missing and gives the same result.

    Example: salessim run scenarios/two_level.yaml -n 200 --seed 1
    """
    scenario = load(file)
    target = _precision(replications, precision, resume)
    check_size([scenario], replications or 100, workers, max_hours, no_limit, leads)
    folder = out or default_out(scenario.name)
    reached = None
    with _locked(folder), tables.progress(err_console, quiet, 1, replications) as start:
        seed = (
            _start_folder(folder.parent, False, True, seed, folder.name)
            if resume
            else (_start_folder(folder, force, False, seed, ""))
        )
        if target is not None:
            [result], reached = _auto_runs([scenario], [file], [folder], target, seed, workers,
                                           leads)  # fmt: skip
        else:
            result = _durable_run(scenario, file, folder, replications, seed, workers, start,
                                  leads, scheduler, resume)  # fmt: skip
        _report(folder, quiet, xlsx)
    if not quiet:
        if reached is not None:
            out_console.print(reached.sentence(), highlight=False)
        tables.print_runs(out_console, [result])
        _print_warmup_warnings([result])
        out_console.print(f"Results in {folder}{os.sep} (seed {result.seed})", highlight=False)


def _print_warmup_warnings(runs: list[RunResult]) -> None:
    from salessim.experiment import verdicts

    for res in runs:
        text = verdicts.warmup_warning(res.scenario.name, res.summary, res.scenario.warmup_days)
        if text:
            err_console.print(text, style="yellow", highlight=False)


def _runner(
    folders: list[Path],
    source: Path,
    n: int,
    seed: int,
    workers: int | None,
    start: Start,
    scheduler: str | None,
    resume: bool,
) -> Callable[[Scenario], RunResult]:
    """A run function for what-if experiments: the k-th call runs durably into `folders[k]`."""
    pending = iter(folders)

    def run(sc: Scenario) -> RunResult:
        return _durable_run(sc, source, next(pending), n, seed, workers, start, False, scheduler,
                            resume)  # fmt: skip

    return run


EXIT_STOPPED = 3
"""Exit code when a worker or the dask scheduler went away; finished replications are kept."""


class Stopped(BaseException):
    """SIGTERM or SIGHUP arrived (a batch system's time limit, a closed SSH session)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name


def _raise_stopped(signum: int, frame: object) -> None:
    raise Stopped(signum)


@contextmanager
def _stoppable() -> Iterator[None]:
    """SIGTERM and SIGHUP end the command as Ctrl-C does: workers stopped, results kept."""
    previous = {sig: signal.signal(sig, _raise_stopped) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold the results folder's lock while a command writes there, and end the command
    cleanly however it is stopped (Ctrl-C, SIGTERM, SIGHUP, a worker or scheduler lost).

    If the command fails in a folder it created and no finished replication is kept there, the
    folder is removed, so a failed first try never blocks the next command."""
    from salessim.experiment import results

    existed = folder.exists()
    lock = guarded(lambda: results.FolderLock(folder).__enter__())
    try:
        with _stoppable():
            yield
    except Stopped as exc:  # arrived outside a run (while writing files or the report)
        _say_kept(f"Stopped by {exc.name}", folder, None)
        raise typer.Exit(128 + exc.signum) from None
    except BaseException as exc:
        if not existed and _failed(exc) and not _holds_results(folder):
            shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        lock.__exit__()


def _failed(exc: BaseException) -> bool:
    """The command failed (an error), rather than finished or was stopped midway."""
    stopped = (0, 130, EXIT_STOPPED, 129, 143)
    return not (isinstance(exc, KeyboardInterrupt)
                or (isinstance(exc, typer.Exit) and exc.exit_code in stopped))  # fmt: skip


def _holds_results(folder: Path) -> bool:
    """Finished replications (part files) or finished runs (manifests) are kept there."""
    return any(folder.rglob("part-*.pkl")) or any(folder.rglob("manifest.json"))


def _say_kept(why: str, folder: Path, kept: str | None) -> None:
    what = f"{kept} are kept" if kept else "the finished replications are kept"
    err_console.print(f"{why}: {what} in {folder}. Run the same command with --resume to "
                      "finish.", markup=False, highlight=False, soft_wrap=True)  # fmt: skip


def _start_folder(folder: Path, force: bool, resume: bool, seed: int | None, first: str) -> int:
    """Prepare a results folder (or, resuming, find the seed of the run in it)."""
    from salessim.experiment import replications as experiment
    from salessim.experiment import results

    if not resume:
        guarded(lambda: results.prepare_folder(folder, force))
    elif seed is None:
        seed = guarded(lambda: results.saved_seed_any([folder / first]))
    return seed if seed is not None else experiment.fresh_seed()


def _durable_run(
    scenario: Scenario,
    source: Path,
    folder: Path,
    n: int,
    seed: int,
    workers: int | None,
    start: Start,
    leads: bool,
    scheduler: str | None,
    resume: bool,
) -> RunResult:
    """Run with a part file per finished batch; on Ctrl-C keep them and say how to resume.

    With `resume`, a folder whose run already finished is read back, not run again.
    """
    from salessim.experiment import results

    bar = start(scenario.name)
    store = results.PartStore(folder)
    if resume and results.finished(folder, scenario, seed, n):
        if bar:
            bar(n)
        return guarded(lambda: results.read_run(folder, scenario, str(source)))
    identity = store.identity(scenario, seed, n, leads)
    done = guarded(lambda: store.start(identity, resume and store.started()))
    from salessim.errors import WorkerError

    try:
        result = _run_one(scenario, source, n, seed, workers, bar, leads, scheduler,
                          done=done, on_chunk=store.add)  # fmt: skip
    except (KeyboardInterrupt, Stopped, WorkerError) as exc:
        _stopped(exc, f"{len(store.load())} of {n} replications of {scenario.name}", folder)
    result.wall_seconds = store.seconds()
    guarded(lambda: results.write_run(result, folder, force=True))
    store.finish()
    return result


def _stopped(exc: BaseException, kept: str, folder: Path) -> NoReturn:
    """Say what a stopped run keeps and how to resume it, and exit with the stop's code."""
    if isinstance(exc, Stopped):
        _say_kept(f"Stopped by {exc.name}", folder, kept)
        raise typer.Exit(128 + exc.signum) from None
    if isinstance(exc, KeyboardInterrupt):
        _say_kept("Interrupted", folder, kept)
        raise typer.Exit(130) from None
    _say_kept(f"Stopped: {exc}", folder, kept)  # a worker or the dask scheduler went away
    raise typer.Exit(EXIT_STOPPED) from None


def _precision(replications: int, precision: str | None, resume: bool) -> float | None:
    """The relative half-width asked for with -n auto (None for a fixed -n)."""
    if replications != AUTO:
        if precision is not None:
            fail("Error: --precision goes with -n auto (a fixed -n already says how many)")
        return None
    if precision is None:
        fail("Error: -n auto needs --precision, e.g. --precision 5%")
    if resume:
        fail("Error: --resume continues a fixed -n; an -n auto run starts again")
    return _share(str(precision), "--precision")


def _auto_runs(scenarios: Sequence[Scenario], files: Sequence[Path], folders: Sequence[Path],
               target: float, seed: int, workers: int | None,
               leads: bool) -> tuple[list[RunResult], Reached]:  # fmt: skip
    """Runs extended until the precision holds (`precision.run_to_precision`), then written."""
    from salessim.experiment import precision as precise
    from salessim.experiment import replications as experiment
    from salessim.experiment import results

    cores = workers or os.cpu_count() or 1
    kept: list[list[Replication]] = [[] for _ in scenarios]

    def run_to(n: int) -> list[RunResult]:
        return [experiment.run(sc, n, seed, cores, source=str(f), leads=leads, done=list(k),
                               on_chunk=k.extend)
                for sc, f, k in zip(scenarios, files, kept, strict=True)]  # fmt: skip

    def write(run: RunResult, folder: Path, reached: Reached) -> None:
        results.write_run(run, folder, force=True)
        results.write_text(folder / "precision.txt", reached.sentence() + "\n")

    runs, reached = guarded(lambda: precise.run_to_precision(run_to, target))
    for run, folder in zip(runs, folders, strict=True):
        guarded(partial(write, run, folder, reached))
    return runs, reached


def _auto_runner(folders: list[Path], source: Path, target: float, seed: int,
                 workers: int | None) -> Callable[[Scenario], RunResult]:  # fmt: skip
    """A run function for what-if experiments with -n auto: the k-th call runs one scenario
    to the precision (`_auto_runs`) into `folders[k]`."""
    pending = iter(folders)

    def run(sc: Scenario) -> RunResult:
        [result], _ = _auto_runs([sc], [source], [next(pending)], target, seed, workers, False)
        return result

    return run


def _report(folder: Path, quiet: bool, xlsx: bool = False) -> None:
    """Write the folder's report.html (and with `xlsx`, results.xlsx); the results are already
    safe, so a failure of the report only warns."""
    from salessim.experiment import workbook
    from salessim.report import page as report

    if xlsx:
        book = guarded(lambda: workbook.write_workbook(folder))
        if not quiet:
            out_console.print(f"Workbook: {book}", highlight=False)

    try:
        target = report.write(folder)
    except WriteError as exc:  # the page could not be written (a full disk...)
        fail(f"Error: {exc}. The results in {folder} are complete; `salessim report {folder}` "
             "writes the report once there is room.")  # fmt: skip
        return
    except SalessimError as exc:
        err_console.print(f"Warning: no report.html: {exc}. The results in {folder} are "
                          "complete; `salessim report` can retry.", markup=False,
                          highlight=False)  # fmt: skip
        return
    if not quiet:
        out_console.print(f"Report: {target}", highlight=False)


@app.command("report")
def report_cmd(
    folder: Annotated[Path, typer.Argument(help="Results folder written by run/compare/...")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Report file (default: FOLDER/report.html).")
    ] = None,
) -> None:
    """Rebuild the HTML report of a results folder from its files alone.

    The page embeds plotly.js, so it opens offline and can be sent as one file.

    Example: salessim report results/comparison
    """
    from salessim.report import page as report

    target = guarded(lambda: report.write(folder, out))
    out_console.print(f"Report: {target}", highlight=False)


ResumeOpt = Annotated[
    bool, typer.Option("--resume", help="Continue an interrupted run in the same folder.")
]


@app.command()
def compare(
    files: Annotated[list[Path], typer.Argument(help="Two or more scenario YAML files.")],
    replications: AutoReplicationsOpt = 100,
    precision: PrecisionOpt = None,
    seed: SeedOpt = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Results folder.")] = Path(
        "results/comparison"
    ),
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    force: ForceOpt = False,
    quiet: QuietOpt = False,
    xlsx: XlsxOpt = False,
    resume: ResumeOpt = False,
    max_hours: MaxHoursOpt = DEFAULT_MAX_HOURS,
    no_limit: NoLimitOpt = False,
) -> None:
    """Run scenarios with the same seeds and compare them side by side.

    Example: salessim compare scenarios/super_seller.yaml scenarios/three_step.yaml -n 200
    """
    from salessim.experiment import replications as experiment
    from salessim.experiment import results

    if len(files) < 2:
        fail(f"Error: compare needs two or more scenario files, got {len(files)}; to simulate "
             f"one scenario use: salessim run {files[0]}")  # fmt: skip
    scenarios = [load(f) for f in files]
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        fail(
            f"Error: scenario names must differ to be compared; {', '.join(twice)} is given "
            "more than once (the same file twice, or two files with the same `name:`)"
        )
    target = _precision(replications, precision, resume)
    check_size(scenarios, replications or 100, workers, max_hours, no_limit)
    reached = None
    with _locked(out), tables.progress(err_console, quiet, len(files), replications) as start:
        seed = _start_folder(out, force, resume, seed, names[0])
        runs: list[RunResult] = []
        if target is not None:
            folders = [out / scenario.name for scenario in scenarios]
            runs, reached = _auto_runs(scenarios, files, folders, target, seed, workers, False)
        for scenario, path in zip(scenarios if target is None else [], files, strict=False):
            folder = out / scenario.name
            runs.append(_durable_run(scenario, path, folder, replications, seed, workers, start,
                                     False, scheduler, resume))  # fmt: skip
        table = experiment.comparison_table(runs)
        guarded(lambda: results.write_csv(out / "comparison.csv", table))
        diffs = experiment.differences(runs)
        guarded(lambda: results.write_csv(out / "differences.csv", diffs))
        _report(out, quiet, xlsx)
    if not quiet:
        if reached is not None:
            out_console.print(reached.sentence(), highlight=False)
        tables.print_runs(out_console, runs)
        _print_warmup_warnings(runs)
        print_verdicts(diffs, runs)
        out_console.print(f"Results in {out}{os.sep} (seed {seed})", highlight=False)


SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set", help="key.path=v1,v2,... (repeat for a grid), e.g. roles.designer.headcount=1,2,3"
    ),
]


@app.command()
def sweep(
    file: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    sets: SetOpt = None,
    from_csv: Annotated[
        Path | None, typer.Option("--from-csv", help="Points: one row each, one column per key.")
    ] = None,
    against: Annotated[
        Path | None,
        typer.Option(
            "--against",
            help="Another scenario run at the same points: adds the paired difference in "
            "profit, revenue and deals per point, and the break-even of one numeric setting.",
        ),
    ] = None,
    replications: AutoReplicationsOpt = 100,
    precision: PrecisionOpt = None,
    seed: SeedOpt = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Results folder.")] = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    force: ForceOpt = False,
    quiet: QuietOpt = False,
    xlsx: XlsxOpt = False,
    resume: ResumeOpt = False,
    max_hours: MaxHoursOpt = DEFAULT_MAX_HOURS,
    no_limit: NoLimitOpt = False,
) -> None:
    """Run the scenario at every combination of changed settings, with the same seeds.

    Example: salessim sweep scenarios/two_level.yaml --set roles.designer.headcount=2,3,4
    """
    from salessim.experiment import results, whatif

    if not sets and from_csv is None:
        fail("Error: give at least one --set key.path=v1,v2,... or --from-csv points.csv")
    points = guarded(
        lambda: whatif.points_from_csv(from_csv) if from_csv else whatif.grid(sets or [])
    )
    scenarios = guarded(lambda: whatif.load_points(file, points, BASE_FOLDERS))
    others = guarded(lambda: whatif.load_points(against, points, BASE_FOLDERS)) if against else []
    target = _precision(replications, precision, resume)
    check_size(scenarios + others, replications or 100, workers, max_hours, no_limit)
    folder = out or Path("results") / f"{file.stem}_sweep"
    settings = list(dict.fromkeys(k for point in points for k in point))
    with _locked(folder), tables.progress(err_console, quiet, len(points) + len(others),
                                          replications, "point") as start:  # fmt: skip
        seed = _start_folder(folder, force, resume, seed, "point_0")
        subfolders = [folder / f"point_{i}" for i in range(len(points))]
        subfolders += [folder / f"against_{i}" for i in range(len(others))]
        run_point = (_runner(subfolders, file, replications, seed, workers, start, scheduler,
                             resume) if target is None
                     else _auto_runner(subfolders, file, target, seed, workers))  # fmt: skip
        table, _ = guarded(lambda: whatif.sweep(points, scenarios, run_point, others or None))
        guarded(lambda: results.write_csv(folder / "sweep.csv", table))
        found = None
        if others and len(settings) == 1:
            names = (file.stem, against.stem if against else "")
            found = whatif.break_even(table, settings[0], "profit", names)
        if found is not None:
            text = found.sentence(scenarios[0].currency)
            guarded(lambda: results.write_text(folder / "break_even.txt", text + "\n"))
        _report(folder, quiet, xlsx)
    if not quiet:
        tables.print_sweep(out_console, table, settings, scenarios[0].currency)
        if found is not None:
            out_console.print(text, highlight=False)
        out_console.print(f"Results in {folder}{os.sep} (seed {seed})", highlight=False)


@app.command()
def solve(
    file: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    target: Annotated[
        str,
        typer.Option("--target", help="What to meet, e.g. 'revenue >= 1.2M' or 'profit >= 150k'."),
    ],
    vary: Annotated[
        list[str],
        typer.Option("--vary", help="A setting to choose, key.path=low..high or =v1,v2,...; "
                     "repeatable. Raising it must never lower the chance of the target."),
    ],
    confidence: Annotated[
        float,
        typer.Option("--confidence", min=0.01, max=0.999,
                     help="Share of replications that must meet the target."),
    ] = 0.8,
    minimise: Annotated[
        str, typer.Option("--minimise", help="Metric to make smallest (cost = cost_total).")
    ] = "cost",
    replications: AutoReplicationsOpt = 100,
    precision: PrecisionOpt = None,
    seed: SeedOpt = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Results folder.")] = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    force: ForceOpt = False,
    quiet: QuietOpt = False,
    xlsx: XlsxOpt = False,
    resume: ResumeOpt = False,
) -> None:  # fmt: skip
    """Find the cheapest team whose chance of meeting a target is at least the confidence.

    Example: salessim solve scenarios/two_level.yaml --target 'revenue >= 1.2M'
    --vary roles.designer.headcount=1..8 --vary roles.lead_manager.headcount=1..4
    """
    from salessim.experiment import results, whatif
    from salessim.experiment import solve as solving

    goal = guarded(lambda: solving.parse_target(target))
    wanted = _precision(replications, precision, resume)
    settings = dict(guarded(lambda: [solving.parse_vary(v) for v in vary]))
    grid = whatif.combinations(settings)
    scenarios = guarded(lambda: whatif.load_points(file, grid, BASE_FOLDERS))
    by_point = {tuple(p.items()): sc for p, sc in zip(grid, scenarios, strict=True)}
    folder = out or Path("results") / f"{file.stem}_solve"
    widest = max(len(v) for v in settings.values())
    runs = min(len(grid), len(grid) // widest * (math.ceil(math.log2(widest)) + 1) + 1)
    with _locked(folder), tables.progress(err_console, quiet, runs, replications,
                                          "point") as start:  # fmt: skip
        seed = _start_folder(folder, force, resume, seed, "point_0")

        def evaluate(point: dict[str, object]) -> RunResult:
            index = grid.index(point)
            sc, where = by_point[tuple(point.items())], folder / f"point_{index}"
            if wanted is not None:
                return _auto_runner([where], file, wanted, seed, workers)(sc)
            return _durable_run(sc, file, where, replications, seed, workers, start, False,
                                scheduler, resume)  # fmt: skip

        found = guarded(lambda: solving.solve(settings, goal, confidence, minimise, evaluate))
        plan = solving.planner_answer(grid, scenarios, found)
        if (
            plan is not None
            and plan.point is not None
            and plan.point not in [t.point for t in found.tried]
        ):
            found.tried.append(solving.judge(plan.point, evaluate(plan.point), found))
        text = solving.explain(found, plan, scenarios[0].currency)
        guarded(lambda: results.write_csv(folder / "solve.csv", found.table()))
        guarded(lambda: results.write_text(folder / "answer.txt", text + "\n"))
        if xlsx:
            from salessim.experiment import workbook

            guarded(lambda: workbook.write_workbook(folder))
    if not quiet:
        out_console.print(text, highlight=False, markup=False)
        out_console.print(f"Results in {folder}{os.sep} (seed {seed})", highlight=False)


@app.command()
def sensitivity(
    file: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    vary: Annotated[
        str, typer.Option("--vary", help="How much lower and higher each input is set, e.g. 20%.")
    ] = "20%",
    inputs: Annotated[
        list[str] | None,
        typer.Option("--input", help="Only this input (key.path, repeatable); default: every "
                     "numeric setting in the file."),
    ] = None,
    metric: Annotated[
        str, typer.Option("--metric", help="Metric to rank the effects on.")
    ] = "profit",
    replications: ReplicationsOpt = 50,
    seed: SeedOpt = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Results folder.")] = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    force: ForceOpt = False,
    quiet: QuietOpt = False,
    xlsx: XlsxOpt = False,
    resume: ResumeOpt = False,
) -> None:  # fmt: skip
    """Set each numeric input lower and higher, one at a time, and rank what the metric depends on.

    Example: salessim sensitivity scenarios/two_level.yaml --vary 20% --metric profit -n 50
    """
    from salessim.experiment import results
    from salessim.experiment import sensitivity as sens
    from salessim.scenario import loader
    from salessim.scenario.yamlfile import load_data

    share = _share(vary, "--vary")
    data, _ = guarded(lambda: load_data(file, BASE_FOLDERS))
    items = sens.inputs(data)
    if inputs:
        known = {item.path: item for item in items}
        unknown = [i for i in inputs if i not in known]
        if unknown:
            fail(f"Error: --input {unknown[0]}: not a numeric setting given in {file} (some are: "
                 f"{', '.join(list(known)[:8])})")  # fmt: skip
        items = [known[i] for i in inputs]
    folder = out or Path("results") / f"{file.stem}_sensitivity"
    runs = 1 + 2 * len(items)
    with _locked(folder), tables.progress(err_console, quiet, runs, replications,
                                          "variant") as start:  # fmt: skip
        seed = _start_folder(folder, force, resume, seed, "run_0")
        subfolders = [folder / f"run_{i}" for i in range(runs)]
        run = _runner(subfolders, file, replications, seed, workers, start, scheduler, resume)
        try:
            done = guarded(lambda: sens.sensitivity(
                items, share, metric, lambda o: loader.load(file, o, BASE_FOLDERS),
                run))  # fmt: skip
        except KeyError:
            fail(f"Error: --metric {metric}: no such metric (see docs/metrics.md)")
        guarded(lambda: results.write_csv(folder / "sensitivity.csv", done.table))
        how = {"metric": metric, "share": share, "replications": replications,
               "skipped": done.skipped}  # fmt: skip
        guarded(lambda: results.write_text(folder / "sensitivity.json", json.dumps(how, indent=2)))
        _report(folder, quiet, xlsx)
    if not quiet:
        for row in done.table.head(10).itertuples():
            out_console.print(f"{row.rank:>2}. {row.input}: {row.low_value:g} -> {row.low:,.4g}, "
                              f"{row.high_value:g} -> {row.high:,.4g} {metric} (as given "
                              f"{row.baseline:,.4g})", highlight=False, markup=False)  # fmt: skip
        if done.skipped:
            out_console.print(f"Unchanged by {share:.0%} (whole numbers): "
                              f"{', '.join(done.skipped)}", highlight=False,
                              markup=False)  # fmt: skip
        out_console.print(f"Results in {folder}{os.sep} (seed {seed})", highlight=False)


def _share(text: str, option: str) -> float:
    """'20%' or '0.2' as 0.2."""
    text = str(text).strip()
    try:
        value = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
    except ValueError:
        value = math.nan
    if not 0 < value < 1:
        fail(f"Error: {option} {text}: a share between 0 and 1, or a percentage such as 5%")
    return value


@app.command()
def stress(
    file: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    day: Annotated[
        str | None,
        typer.Option(
            "--day", help="Day number or date (2026-05-04) the person goes (default: warm-up + 90)."
        ),
    ] = None,
    days: Annotated[
        float | None, typer.Option("--days", help="Absent for this many days instead of leaving.")
    ] = None,
    replications: ReplicationsOpt = 100,
    seed: SeedOpt = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Results folder.")] = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    force: ForceOpt = False,
    quiet: QuietOpt = False,
    xlsx: XlsxOpt = False,
    resume: ResumeOpt = False,
    max_hours: MaxHoursOpt = DEFAULT_MAX_HOURS,
    no_limit: NoLimitOpt = False,
) -> None:
    """Key-person test: remove each person in turn and rank them by revenue lost.

    Example: salessim stress scenarios/super_seller.yaml -n 200
    """
    from salessim.experiment import results, whatif

    scenario = load(file)
    when = (
        whatif.default_stress_day(scenario)
        if day is None
        else guarded(lambda: whatif.day_number(scenario, day))
    )
    people = whatif.people_at_start(scenario)
    check_size([scenario] * (len(people) + 1), replications, workers, max_hours, no_limit)
    folder = out or Path("results") / f"{scenario.name}_stress"
    with _locked(folder), tables.progress(err_console, quiet, len(people) + 1, replications,
                                          "variant") as start:  # fmt: skip
        seed = _start_folder(folder, force, resume, seed, "baseline")
        names = ["baseline", *(f"without_{p}" for p in people)]
        subfolders = [folder / name for name in names]
        run_variant = _runner(subfolders, file, replications, seed, workers, start, scheduler,
                              resume)  # fmt: skip
        table, _, _ = whatif.stress(scenario, run_variant, when, days)
        guarded(lambda: results.write_csv(folder / "stress.csv", table))
        _report(folder, quiet, xlsx)
    if not quiet:
        out_console.print(
            f"Each person {'absent ' + tables.plain(days) + ' days' if days else 'leaves'} "
            f"on day {when:g}; revenue lost against the unchanged scenario:"
        )
        tables.print_stress(out_console, table, scenario.currency)
        out_console.print(f"Results in {folder}{os.sep} (seed {seed})", highlight=False)


ColumnsOpt = Annotated[
    Path | None,
    typer.Option("--columns", help="YAML mapping of fields to column names, e.g. owner: Rep."),
]
ExportDateOpt = Annotated[
    str | None,
    typer.Option("--export-date", help="Day the export was taken (YYYY-MM-DD): the data ends "
                 "then; later close dates are planned closes, still open."),
]  # fmt: skip
RateOpt = Annotated[
    list[str] | None,
    typer.Option("--rate", help="Exchange rate for deals in another currency, as CODE=value of "
                 "one unit in the export's main currency (e.g. USD=0.92); repeatable."),
]  # fmt: skip
WorkHoursOpt = Annotated[
    float,
    typer.Option("--work-hours-per-deal", min=0.01,
                 help="Seller's work per deal (hours), which exports do not record."),
]  # fmt: skip


def _rates(given: list[str] | None) -> dict[str, float]:
    rates: dict[str, float] = {}
    for text in given or []:
        code, _, value = text.partition("=")
        try:
            rate = float(value)
        except ValueError:
            rate = math.nan
        if not re.fullmatch(r"[A-Za-z]{3}", code.strip()) or not rate > 0 or math.isinf(rate):
            fail(f"Error: --rate: '{text}' is not CODE=rate with a positive rate, e.g. USD=0.92")
        rates[code.strip().upper()] = rate
    return rates


def _read_export(export: Path, columns: Path | None, export_date: str | None,
                 rate: list[str] | None = None) -> crm.Deals:  # fmt: skip
    from salessim.crm import export as crm

    rates = _rates(rate)
    day = None
    if export_date is not None:
        try:
            day = dt.date.fromisoformat(export_date)
        except ValueError:
            fail(f"Error: --export-date: '{export_date}' is not a date like 2025-06-30")
    deals = guarded(lambda: crm.read_export(export, columns, day, rates))
    for line in deals.report_lines():
        err_console.print(line, markup=False, highlight=False)
    return deals


@app.command("calibrate")
def calibrate_cmd(
    export: Annotated[Path, typer.Argument(help="Opportunities export: CSV, Excel or Parquet.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Scenario YAML file to write.")],
    columns: ColumnsOpt = None,
    export_date: ExportDateOpt = None,
    rate: RateOpt = None,
    work_hours: WorkHoursOpt = DEFAULT_WORK_HOURS,
    name: Annotated[str | None, typer.Option("--name", help="Scenario name.")] = None,
    force: ForceFileOpt = False,
) -> None:
    """Fit a scenario to a CRM opportunities export; every value carries its method as a comment.

    Example: salessim calibrate deals.csv --out scenarios/acme.yaml
    """
    from salessim.crm import calibrate as fitting
    from salessim.experiment import results
    from salessim.scenario import loader

    if out.exists() and not force:
        fail(f"Error: {out} exists; pass --force to overwrite it or choose another --out")
    deals = _read_export(export, columns, export_date, rate)
    scenario_name = fitting.slug(name or out.stem)
    calibration = guarded(lambda: fitting.calibrate(deals, scenario_name, work_hours))
    draft = out.with_name(f".{out.name}.draft.yaml")
    guarded(lambda: results.write_text(draft, fitting.to_yaml(calibration)))
    try:
        guarded(lambda: loader.load(draft))  # never leave an invalid scenario behind
        draft.replace(out)
    finally:
        draft.unlink(missing_ok=True)
    out_console.print(f"Scenario written to {out} (it validates; run it with salessim run {out})",
                      highlight=False)  # fmt: skip


@app.command("backtest")
def backtest_cmd(
    export: Annotated[Path, typer.Argument(help="Opportunities export: CSV, Excel or Parquet.")],
    train_until: Annotated[
        str, typer.Option("--train-until", help="Last day of the data to fit on (YYYY-MM-DD).")
    ],
    replications: ReplicationsOpt = 200,
    seed: SeedOpt = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Results folder.")] = None,
    columns: ColumnsOpt = None,
    export_date: ExportDateOpt = None,
    rate: RateOpt = None,
    work_hours: WorkHoursOpt = DEFAULT_WORK_HOURS,
    fits: Annotated[
        int,
        typer.Option(
            "--fits",
            min=1,
            help="Calibrations the replications are spread over: the fit on the training deals "
            "and bootstrap refits, so the intervals carry the uncertainty of the fitted "
            "parameters (1: the simulation's own spread only).",
        ),
    ] = 10,
    workers: WorkersOpt = None,
    force: ForceOpt = False,
    quiet: QuietOpt = False,
    xlsx: XlsxOpt = False,
) -> None:
    """Fit on the deals up to a day, simulate the months after it, compare with what happened.

    Example: salessim backtest deals.csv --train-until 2025-06-30 -n 500
    """
    from salessim.crm import backtest as backtesting
    from salessim.crm import calibrate as fitting
    from salessim.experiment import replications as experiment
    from salessim.experiment import results

    try:
        cutoff = dt.date.fromisoformat(train_until)
    except ValueError:
        fail(f"Error: --train-until: '{train_until}' is not a date like 2025-06-30")
    deals = _read_export(export, columns, export_date, rate)
    folder = out or Path("results") / f"{export.stem}_backtest"
    cores = workers or os.cpu_count() or 1
    with _locked(folder):
        guarded(lambda: results.prepare_folder(folder, force))
        seed = experiment.fresh_seed() if seed is None else seed
        name = fitting.slug(f"{export.stem}_until_{cutoff:%Y_%m_%d}")
        done = guarded(lambda: backtesting.backtest(deals, cutoff, replications, seed, cores,
                                                    work_hours, name, fits))  # fmt: skip
        guarded(lambda: results.write_run(done.run, folder / "simulated", force=True))
        guarded(lambda: results.write_text(folder / "scenario.yaml",
                                           fitting.to_yaml(done.calibration)))  # fmt: skip
        guarded(lambda: results.write_csv(folder / "backtest.csv", done.table))
        cover = backtesting.coverage(done.table)
        guarded(lambda: results.write_csv(folder / "coverage.csv", cover.reset_index()))
        errors = backtesting.forecast_errors(done.table)
        guarded(lambda: results.write_csv(folder / "forecast_errors.csv", errors))
        _report(folder, quiet, xlsx)
    if not quiet:
        rows = _backtest_rows(done.table, done.run.scenario.currency)
        keys = [tables.Column(c, list(rows[c]), right=False) for c in ("month", "metric")]
        values = [tables.Column(c, list(rows[c])) for c in ("actual", "median", "95% interval",
                                                            "inside")]  # fmt: skip
        tables.print_fitted(out_console, keys, values)
        for metric, row in cover.iterrows():
            out_console.print(f"{metric}: {row['in95']} of {row['months']} months inside the 95% "
                              f"interval, {row['in80']} inside the 80% interval",
                              highlight=False)  # fmt: skip
        for line in _naive_lines(errors, done.run.scenario.currency):
            out_console.print(line, highlight=False)
        out_console.print(f"Results in {folder}{os.sep} (seed {seed})", highlight=False)


def _backtest_rows(table: pd.DataFrame, currency: str) -> pd.DataFrame:
    """The backtest table as text: numbers rounded per metric, the interval in one column."""
    import pandas as pd

    from salessim.crm import backtest as backtesting
    from salessim.numbers import human

    def show(value: float, metric: str) -> str:
        return human(value, backtesting.METRICS[metric], currency)

    return pd.DataFrame({
        "month": table["month"],
        "metric": table["metric"],
        "actual": [show(v, m) for v, m in zip(table["actual"], table["metric"], strict=True)],
        "median": [show(v, m) for v, m in zip(table["p50"], table["metric"], strict=True)],
        "95% interval": [f"{show(lo, m)} to {show(hi, m)}" for lo, hi, m in
                         zip(table["p2.5"], table["p97.5"], table["metric"], strict=True)],
        "inside": ["yes" if v is True else ("no" if v is False else "-") for v in table["in95"]],
    }, dtype=object)  # fmt: skip


def _naive_lines(errors: pd.DataFrame, currency: str) -> list[str]:
    """Whether the simulation beat the naive forecasts, in words, per metric and forecast."""
    from salessim.crm import backtest as backtesting
    from salessim.numbers import human

    lines = []
    for row in errors.to_dict("records"):
        metric, forecast, months = str(row["metric"]), str(row["naive"]), int(row["months"])
        if not months:
            lines.append(f"{metric}: no {forecast} to compare with in the data")
            continue
        kind = backtesting.METRICS[metric]
        sim = human(float(row["simulation_error"]), kind, currency)
        naive = human(float(row["naive_error"]), kind, currency)
        verdict = "better than" if row["simulation_better"] else "no better than"
        lines.append(f"{metric}: the simulated median is off by {sim} a month on average, "
                     f"the {forecast} by {naive} ({months} months): {verdict} it")  # fmt: skip
    return lines


def main() -> None:  # pragma: no cover - console entry point
    app()
