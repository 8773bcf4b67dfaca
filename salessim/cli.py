"""The `salessim` command line: a thin shell over the Python API.

Each command loads scenarios with `loader.load`, calls one function of `experiment` or `results`,
and prints a table. salessim's own exceptions become a short message on stderr and exit code 2;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Annotated, TypeVar

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from salessim import backtest as backtesting
from salessim import calibrate as fitting
from salessim import crm, experiment, limits, loader, report, results, whatif
from salessim.errors import ResultsError, SalessimError, ScenarioError
from salessim.experiment import Progress as ProgressFn
from salessim.experiment import RunResult
from salessim.scenario import Scenario

app = typer.Typer(
    help="Simulate sales-team structures and compare them. See docs/cli.md.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out_console = Console(emoji=False)
err_console = Console(stderr=True, emoji=False)  # `file.yaml:100:5` is not an emoji
T = TypeVar("T")

HEADLINE = [
    ("leads_arrived", "Leads arrived", "{:,.0f}"),
    ("won", "Deals won", "{:,.1f}"),
    ("lead_to_won", "Lead-to-won conversion", "{:.1%}"),
    ("revenue", "Revenue", "{:,.0f}"),
    ("revenue_repeat", "  of which repeat purchases", "{:,.0f}"),
    ("lost_cold", "Leads gone cold", "{:,.1f}"),
    ("lost_no_show", "No-shows", "{:,.1f}"),
    ("open_at_end", "Open at horizon", "{:,.1f}"),
    ("wait_first_contact_hours_mean", "Wait for first contact (h)", "{:,.1f}"),
    ("cycle_hours_mean", "Sales cycle, mean (h)", "{:,.0f}"),
    ("cycle_hours_p90", "Sales cycle, p90 (h)", "{:,.0f}"),
    ("customers_lost_with_owner", "Customers lost with their owner", "{:,.1f}"),
    ("staff.resignations", "People who left", "{:,.1f}"),
    ("leads_weekly_cv", "Weekly new-lead variation (CV)", "{:.2f}"),
]

ReplicationsOpt = Annotated[int, typer.Option("-n", "--replications", min=1, help="Replications.")]
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
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or table.")]
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
        fail(loader.format_error(exc))
    except (ResultsError, SalessimError) as exc:
        fail(f"Error: {exc}")
    raise AssertionError("unreachable")


@contextmanager
def progress_bar(total: int, quiet: bool, label: str) -> Iterator[ProgressFn | None]:
    if quiet or not sys.stderr.isatty():
        yield None
        return
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


def _cell(summary: pd.DataFrame, metric: str, fmt: str) -> str:
    row = summary[summary["metric"] == metric]
    if row.empty or pd.isna(row["mean"].iloc[0]):
        return "-"
    mean, lo, hi = (float(row[c].iloc[0]) for c in ("mean", "ci_low", "ci_high"))
    if pd.isna(lo):
        return fmt.format(mean)
    return f"{fmt.format(mean)} ±{fmt.format((hi - lo) / 2)}"


def _headline(result: RunResult) -> list[tuple[str, str, str]]:
    rows = list(HEADLINE)
    for role in result.scenario.roles:
        rows.append((f"role.{role}.utilisation", f"Utilisation {role}", "{:.0%}"))
    return rows


def print_table(runs: Sequence[RunResult]) -> None:
    n = len(runs[0].replications)
    table = Table(title=f"Mean ± half-width of the 95% CI, {n} replications")
    table.add_column("Metric")
    for res in runs:
        table.add_column(res.scenario.name, justify="right")
    seen: list[tuple[str, str, str]] = []
    for res in runs:
        seen += [row for row in _headline(res) if row not in seen]
    for metric, label, fmt in seen:
        if metric.startswith("revenue"):
            label = f"{label} ({runs[0].scenario.currency})"
        table.add_row(label, *(_cell(res.summary, metric, fmt) for res in runs))
    console = out_console if out_console.is_terminal else Console(width=40 + 20 * len(runs))
    console.print(table)


VERDICT_METRICS = ("revenue", "profit", "won", "lead_to_won", "top_person_revenue_share")


def print_verdicts(diffs: pd.DataFrame) -> None:
    """Plain sentences for the headline metrics whose paired interval excludes zero."""
    chosen = diffs[diffs["metric"].isin(VERDICT_METRICS) & (diffs["verdict"] != "")]
    if chosen.empty:
        out_console.print("No headline difference is clear at 95% (try more replications).")
    for text in chosen["verdict"]:
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
    problems = []
    for path in files:
        try:
            scenario = loader.load(path)
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
    out_console.print_json(json.dumps(Scenario.model_json_schema(by_alias=True)))


def _run_one(
    scenario: Scenario,
    source: Path,
    n: int,
    seed: int | None,
    workers: int | None,
    quiet: bool,
    leads: bool = False,
    scheduler: str | None = None,
    done: Sequence[experiment.Replication] = (),
    on_chunk: Callable[[list[experiment.Replication]], None] | None = None,
) -> RunResult:
    with progress_bar(n, quiet, scenario.name) as bar:
        cores = workers or os.cpu_count() or 1
        return guarded(
            lambda: experiment.run(
                scenario, n, seed, cores, bar, str(source), leads, scheduler, done, on_chunk
            )
        )


@app.command("run")
def run_cmd(
    file: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    replications: ReplicationsOpt = 100,
    seed: SeedOpt = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Results folder.")] = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    force: ForceOpt = False,
    quiet: QuietOpt = False,
    leads: Annotated[
        bool, typer.Option("--leads", help="Also write leads.parquet: one row per lead (CRM-like).")
    ] = False,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue an interrupted run in the same folder.")
    ] = False,
    max_hours: MaxHoursOpt = limits.DEFAULT_MAX_HOURS,
    no_limit: NoLimitOpt = False,
) -> None:
    """Run replications of one scenario and write results/<name>/.

    Finished replications are kept as the run goes: after Ctrl-C or a crash, the same command
    with --resume runs only what is missing and gives the same result.

    Example: salessim run scenarios/two_level.yaml -n 200 --seed 1
    """
    scenario = guarded(lambda: loader.load(file))
    check_size([scenario], replications, workers, max_hours, no_limit, leads)
    folder = out or default_out(scenario.name)
    with _locked(folder):
        seed = (
            _start_folder(folder.parent, False, True, seed, folder.name)
            if resume
            else (_start_folder(folder, force, False, seed, ""))
        )
        result = _durable_run(scenario, file, folder, replications, seed, workers, quiet, leads,
                              scheduler, resume)  # fmt: skip
        _report(folder, quiet)
    if not quiet:
        print_table([result])
        out_console.print(f"Results in {folder}{os.sep} (seed {result.seed})", highlight=False)


def _runner(
    folders: list[Path],
    source: Path,
    n: int,
    seed: int,
    workers: int | None,
    quiet: bool,
    scheduler: str | None,
    resume: bool,
) -> Callable[[Scenario], RunResult]:
    """A run function for what-if experiments: the k-th call runs durably into `folders[k]`."""
    pending = iter(folders)

    def run(sc: Scenario) -> RunResult:
        return _durable_run(sc, source, next(pending), n, seed, workers, quiet, False, scheduler,
                            resume)  # fmt: skip

    return run


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold the results folder's lock while a command writes there."""
    lock = guarded(lambda: results.FolderLock(folder).__enter__())
    try:
        yield
    finally:
        lock.__exit__()


def _start_folder(folder: Path, force: bool, resume: bool, seed: int | None, first: str) -> int:
    """Prepare a results folder (or, resuming, find the seed of the run in it)."""
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
    quiet: bool,
    leads: bool,
    scheduler: str | None,
    resume: bool,
) -> RunResult:
    """Run with a part file per finished batch; on Ctrl-C keep them and say how to resume.

    With `resume`, a folder whose run already finished is read back, not run again.
    """
    store = results.PartStore(folder)
    if resume and results.finished(folder, scenario, seed, n):
        return guarded(lambda: results.read_run(folder, scenario, str(source)))
    identity = store.identity(scenario, seed, n, leads)
    done = guarded(lambda: store.start(identity, resume and store.started()))
    try:
        result = _run_one(scenario, source, n, seed, workers, quiet, leads, scheduler,
                          done=done, on_chunk=store.add)  # fmt: skip
    except KeyboardInterrupt:
        kept = len(store.load())
        err_console.print(
            f"Interrupted: {kept} of {n} replications of {scenario.name} are kept in {folder}. "
            "Run the same command with --resume to finish.",
            markup=False,
            highlight=False,
        )
        raise typer.Exit(130) from None
    guarded(lambda: results.write_run(result, folder, force=True))
    store.finish()
    return result


def _report(folder: Path, quiet: bool) -> None:
    """Write the folder's report.html; the results are already safe, so a failure only warns."""
    try:
        target = report.write(folder)
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
    target = guarded(lambda: report.write(folder, out))
    out_console.print(f"Report: {target}", highlight=False)


ResumeOpt = Annotated[
    bool, typer.Option("--resume", help="Continue an interrupted run in the same folder.")
]


@app.command()
def compare(
    files: Annotated[list[Path], typer.Argument(help="Two or more scenario YAML files.")],
    replications: ReplicationsOpt = 100,
    seed: SeedOpt = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Results folder.")] = Path(
        "results/comparison"
    ),
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    force: ForceOpt = False,
    quiet: QuietOpt = False,
    resume: ResumeOpt = False,
    max_hours: MaxHoursOpt = limits.DEFAULT_MAX_HOURS,
    no_limit: NoLimitOpt = False,
) -> None:
    """Run scenarios with the same seeds and compare them side by side.

    Example: salessim compare scenarios/super_seller.yaml scenarios/three_step.yaml -n 200
    """
    scenarios = [guarded(partial(loader.load, f)) for f in files]
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        fail(f"Error: scenario names must differ to be compared, got {', '.join(names)}")
    check_size(scenarios, replications, workers, max_hours, no_limit)
    with _locked(out):
        seed = _start_folder(out, force, resume, seed, names[0])
        runs: list[RunResult] = []
        for scenario, path in zip(scenarios, files, strict=True):
            folder = out / scenario.name
            runs.append(_durable_run(scenario, path, folder, replications, seed, workers, quiet,
                                     False, scheduler, resume))  # fmt: skip
        table = experiment.comparison_table(runs)
        guarded(lambda: results.write_csv(out / "comparison.csv", table))
        diffs = pd.concat([experiment.paired_differences(runs[0], r) for r in runs[1:]])
        guarded(lambda: results.write_csv(out / "differences.csv", diffs))
        _report(out, quiet)
    if not quiet:
        print_table(runs)
        print_verdicts(diffs)
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
    replications: ReplicationsOpt = 100,
    seed: SeedOpt = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Results folder.")] = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    force: ForceOpt = False,
    quiet: QuietOpt = False,
    resume: ResumeOpt = False,
    max_hours: MaxHoursOpt = limits.DEFAULT_MAX_HOURS,
    no_limit: NoLimitOpt = False,
) -> None:
    """Run the scenario at every combination of changed settings, with the same seeds.

    Example: salessim sweep scenarios/two_level.yaml --set roles.designer.headcount=2,3,4
    """
    if not sets and from_csv is None:
        fail("Error: give at least one --set key.path=v1,v2,... or --from-csv points.csv")
    points = guarded(
        lambda: whatif.points_from_csv(from_csv) if from_csv else whatif.grid(sets or [])
    )
    scenarios = guarded(lambda: whatif.load_points(file, points))
    check_size(scenarios, replications, workers, max_hours, no_limit)
    folder = out or Path("results") / f"{file.stem}_sweep"
    with _locked(folder):
        seed = _start_folder(folder, force, resume, seed, "point_0")
        subfolders = [folder / f"point_{i}" for i in range(len(points))]
        run_point = _runner(subfolders, file, replications, seed, workers, quiet, scheduler, resume)
        table, _ = guarded(lambda: whatif.sweep(points, scenarios, run_point))
        guarded(lambda: results.write_csv(folder / "sweep.csv", table))
        _report(folder, quiet)
    if not quiet:
        print_frame(table, [c for c in table.columns if not c.endswith(("p10", "p90"))][:10])
        out_console.print(f"Results in {folder}{os.sep} (seed {seed})", highlight=False)


@app.command()
def stress(
    file: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    day: Annotated[
        float | None, typer.Option("--day", help="Day the person goes (default: warm-up + 90).")
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
    resume: ResumeOpt = False,
    max_hours: MaxHoursOpt = limits.DEFAULT_MAX_HOURS,
    no_limit: NoLimitOpt = False,
) -> None:
    """Key-person test: remove each person in turn and rank them by revenue lost.

    Example: salessim stress scenarios/super_seller.yaml -n 200
    """
    scenario = guarded(lambda: loader.load(file))
    when = day if day is not None else min(scenario.warmup_days + 90, scenario.horizon_days / 2)
    variants = len(whatif.people_at_start(scenario)) + 1
    check_size([scenario] * variants, replications, workers, max_hours, no_limit)
    folder = out or Path("results") / f"{scenario.name}_stress"
    with _locked(folder):
        seed = _start_folder(folder, force, resume, seed, "baseline")
        names = ["baseline", *(f"without_{p}" for p in whatif.people_at_start(scenario))]
        subfolders = [folder / name for name in names]
        run_variant = _runner(
            subfolders, file, replications, seed, workers, quiet, scheduler, resume
        )
        table, _, _ = whatif.stress(scenario, run_variant, when, days)
        guarded(lambda: results.write_csv(folder / "stress.csv", table))
        _report(folder, quiet)
    if not quiet:
        out_console.print(
            f"Each person {'absent ' + str(days) + ' days' if days else 'leaves'} "
            f"on day {when:g}; revenue lost against the unchanged scenario:"
        )
        print_frame(
            table,
            [
                "person",
                "revenue_lost",
                "revenue_lost_low",
                "revenue_lost_high",
                "revenue_lost_share",
                "customers_lost_with_owner",
                "recovery_days",
            ],
        )
        out_console.print(f"Results in {folder}{os.sep} (seed {seed})", highlight=False)


def print_frame(frame: pd.DataFrame, columns: list[str]) -> None:
    table = Table()
    for col in columns:
        table.add_column(col, justify="left" if frame[col].dtype == object else "right")
    for _, row in frame.iterrows():
        table.add_row(*(_fmt(row[c], "share" in c or "lead_to_won" in c) for c in columns))
    console = out_console if out_console.is_terminal else Console(width=40 + 16 * len(columns))
    console.print(table)


def _fmt(value: object, percent: bool) -> str:
    if isinstance(value, float):
        return "-" if pd.isna(value) else (f"{value:.1%}" if percent else f"{value:,.1f}")
    return str(value)


ColumnsOpt = Annotated[
    Path | None,
    typer.Option("--columns", help="YAML mapping of fields to column names, e.g. owner: Rep."),
]
WorkHoursOpt = Annotated[
    float,
    typer.Option("--work-hours-per-deal", min=0.01,
                 help="Seller's work per deal (hours), which exports do not record."),
]  # fmt: skip


def _read_export(export: Path, columns: Path | None) -> crm.Deals:
    deals = guarded(lambda: crm.read_export(export, columns))
    for line in deals.report_lines():
        err_console.print(line, markup=False, highlight=False)
    return deals


@app.command("calibrate")
def calibrate_cmd(
    export: Annotated[Path, typer.Argument(help="Opportunities export: CSV, Excel or Parquet.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Scenario YAML file to write.")],
    columns: ColumnsOpt = None,
    work_hours: WorkHoursOpt = fitting.DEFAULT_WORK_HOURS,
    name: Annotated[str | None, typer.Option("--name", help="Scenario name.")] = None,
    force: ForceOpt = False,
) -> None:
    """Fit a scenario to a CRM opportunities export; every value carries its method as a comment.

    Example: salessim calibrate deals.csv --out scenarios/acme.yaml
    """
    if out.exists() and not force:
        fail(f"Error: {out} exists; pass --force to overwrite it or choose another --out")
    deals = _read_export(export, columns)
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
    work_hours: WorkHoursOpt = fitting.DEFAULT_WORK_HOURS,
    workers: WorkersOpt = None,
    force: ForceOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Fit on the deals up to a day, simulate the months after it, compare with what happened.

    Example: salessim backtest deals.csv --train-until 2025-06-30 -n 500
    """
    try:
        cutoff = dt.date.fromisoformat(train_until)
    except ValueError:
        fail(f"Error: --train-until: '{train_until}' is not a date like 2025-06-30")
    deals = _read_export(export, columns)
    folder = out or Path("results") / f"{export.stem}_backtest"
    cores = workers or os.cpu_count() or 1
    with _locked(folder):
        guarded(lambda: results.prepare_folder(folder, force))
        seed = experiment.fresh_seed() if seed is None else seed
        name = fitting.slug(f"{export.stem}_until_{cutoff:%Y_%m_%d}")
        done = guarded(lambda: backtesting.backtest(deals, cutoff, replications, seed, cores,
                                                    work_hours, name))  # fmt: skip
        guarded(lambda: results.write_run(done.run, folder / "simulated", force=True))
        guarded(lambda: results.write_text(folder / "scenario.yaml",
                                           fitting.to_yaml(done.calibration)))  # fmt: skip
        guarded(lambda: results.write_csv(folder / "backtest.csv", done.table))
        cover = backtesting.coverage(done.table)
        guarded(lambda: results.write_csv(folder / "coverage.csv", cover.reset_index()))
        _report(folder, quiet)
    if not quiet:
        print_frame(_backtest_rows(done.table, done.run.scenario.currency),
                    ["month", "metric", "actual", "median", "95% interval", "inside"])  # fmt: skip
        for metric, row in cover.iterrows():
            out_console.print(f"{metric}: {row['in95']} of {row['months']} months inside the 95% "
                              f"interval, {row['in80']} inside the 80% interval",
                              highlight=False)  # fmt: skip
        out_console.print(f"Results in {folder}{os.sep} (seed {seed})", highlight=False)


def _backtest_rows(table: pd.DataFrame, currency: str) -> pd.DataFrame:
    """The backtest table as text: numbers rounded per metric, the interval in one column."""

    def show(value: float, metric: str) -> str:
        return report.human(value, backtesting.METRICS[metric], currency)

    return pd.DataFrame({
        "month": table["month"],
        "metric": table["metric"],
        "actual": [show(v, m) for v, m in zip(table["actual"], table["metric"], strict=True)],
        "median": [show(v, m) for v, m in zip(table["p50"], table["metric"], strict=True)],
        "95% interval": [f"{show(lo, m)} to {show(hi, m)}" for lo, hi, m in
                         zip(table["p2.5"], table["p97.5"], table["metric"], strict=True)],
        "inside": ["yes" if v is True else ("no" if v is False else "-") for v in table["in95"]],
    }, dtype=object)  # fmt: skip


def main() -> None:  # pragma: no cover - console entry point
    app()
