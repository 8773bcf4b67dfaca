"""Terminal tables and progress of the command line, made to fit 80 columns.

The CLI hands over finished results (summaries, sweep and stress tables); this module turns
them into rich tables. A table too wide for the terminal is wrapped: its value columns are split
over several tables that each repeat the key columns, so nothing is cut to `revenue…`. Numbers
are rounded for people (`numbers.human`); whole numbers print without a decimal point.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console
from rich.measure import Measurement
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from salessim.numbers import human, metric_kind
from salessim.numbers import plain as typed

if TYPE_CHECKING:
    import pandas as pd

    from salessim.experiment.replications import RunResult

ProgressFn = Callable[[int], None]


@dataclass
class Column:
    """A column of text cells with its header (which may hold line breaks)."""

    header: str
    cells: list[str]
    right: bool = True


HEADLINE = [
    ("leads_arrived", "Leads arrived", "{:,.0f}"),
    ("won", "Deals won", "{:,.1f}"),
    ("lead_to_won", "Lead-to-won conversion", "{:.1%}"),
    ("revenue", "Revenue", "money"),
    ("revenue_repeat", "  of which repeat", "money"),
    ("profit", "Profit", "money"),
    ("lost_cold", "Leads gone cold", "{:,.1f}"),
    ("lost_waiting", "Clients who left waiting", "{:,.1f}"),
    ("lost_with_leaver", "Deals gone with a leaver", "{:,.1f}"),
    ("lost_no_show", "No-shows", "{:,.1f}"),
    ("open_at_end", "Open at horizon", "{:,.1f}"),
    ("wait_first_contact_hours_mean", "First-contact wait (h)", "{:,.1f}"),
    ("cycle_hours_mean", "Sales cycle, mean (h)", "{:,.0f}"),
    ("cycle_hours_p90", "Sales cycle, p90 (h)", "{:,.0f}"),
    ("customers_lost_with_owner", "Customers lost w/ owner", "{:,.1f}"),
    ("staff.resignations", "People who left", "{:,.1f}"),
    ("leads_weekly_cv", "Weekly lead variation", "{:.2f}"),
]


def print_fitted(console: Console, keys: list[Column], values: list[Column], title: str = "",
                 legend: str = "") -> None:  # fmt: skip
    """Print `keys` + `values` as one table, or as several (each with `keys`) if too wide."""
    chunk: list[Column] = []
    for col in values:
        if chunk and _width(console, _table(keys + chunk + [col], title)) > console.width:
            console.print(_table(keys + chunk, title))
            chunk, title = [], ""
        chunk.append(col)
    if chunk or not values:
        console.print(_table(keys + chunk, title))
    if legend:
        console.print(legend, highlight=False, markup=False)


def _table(columns: list[Column], title: str) -> Table:
    table = Table(title=title or None, box=box.SIMPLE_HEAD, pad_edge=False)
    for col in columns:
        table.add_column(col.header, justify="right" if col.right else "left", overflow="fold")
    for row in zip(*(c.cells for c in columns), strict=True):
        table.add_row(*row)
    return table


def _width(console: Console, table: Table) -> int:
    return Measurement.get(console, console.options.update_width(10_000), table).maximum


def _money(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:,.0f}"


def cell(summary: pd.DataFrame, metric: str, fmt: str) -> str:
    """`mean ±half-width` of a summary metric, '-' if the run has no such metric."""
    row = summary[summary["metric"] == metric]
    if row.empty or math.isnan(float(row["mean"].iloc[0])):
        return "-"
    mean, lo, hi = (float(row[c].iloc[0]) for c in ("mean", "ci_low", "ci_high"))
    show = _money if fmt == "money" else fmt.format
    if math.isnan(lo):
        return show(mean)
    return f"{show(mean)} ±{show((hi - lo) / 2)}"


def headline_rows(runs: Sequence[RunResult]) -> list[tuple[str, str, str]]:
    """(metric, label, format) of the run table: the headline, then utilisation per role."""
    rows: list[tuple[str, str, str]] = []
    for res in runs:
        extra = [
            (f"role.{r}.utilisation", f"Utilisation {r}", "{:.0%}") for r in res.scenario.roles
        ]
        rows += [row for row in HEADLINE + extra if row not in rows]
    currency = runs[0].scenario.currency
    return [(m, f"{label} ({currency})" if fmt == "money" else label, fmt)
            for m, label, fmt in rows]  # fmt: skip


def print_runs(console: Console, runs: Sequence[RunResult]) -> None:
    """The headline metrics of each run side by side (mean ± half-width of the 95% CI)."""
    rows = headline_rows(runs)
    keys = [Column("Metric", [label for _, label, _ in rows], right=False)]
    values = [Column(res.scenario.name, [cell(res.summary, m, f) for m, _, f in rows])
              for res in runs]  # fmt: skip
    n = len(runs[0].replications)
    print_fitted(console, keys, values, f"Mean ± half-width of the 95% CI, {n} replications")


def plain(value: Any) -> str:
    """A value as a person wrote it: 3 rather than 3.0, '-' for a missing number."""
    if isinstance(value, float) and (math.isnan(value) or abs(value) >= 1e15):
        return "-" if math.isnan(value) else str(value)
    return typed(value)


def _key_header(key: str) -> str:
    """A dotted key path broken after its dots, so a long setting wraps instead of being cut."""
    return ".\n".join(key.split(".")) if len(key) > 12 else key


SWEEP_SHOWN = (("revenue", "Revenue"), ("profit", "Profit"), ("won", "Deals\nwon"),
               ("lead_to_won", "Lead-to-\nwon"), ("lost_cold", "Leads\ngone cold"),
               ("top_person_revenue_share", "Top person's\nshare"))  # fmt: skip


AGAINST_SHOWN = (("profit", "Profit\ndifference"), ("won", "Deals won\ndifference"))


def print_sweep(console: Console, table: pd.DataFrame, settings: list[str], currency: str) -> None:
    """One row per point: its settings, then the mean of each headline metric."""
    keys = [Column("Point", [plain(v) for v in table["point"]])]
    keys += [Column(_key_header(k), [plain(v) for v in table[k]]) for k in settings]
    values = []
    for metric, label in SWEEP_SHOWN:
        if f"{metric}.mean" in table:
            kind = metric_kind(metric)
            unit = f"\n({currency})" if kind == "money" else ""
            cells = [_money(v) if kind == "money" else human(v, kind)
                     for v in table[f"{metric}.mean"]]  # fmt: skip
            values.append(Column(label + unit, cells))
    for metric, label in AGAINST_SHOWN:
        if f"{metric}.diff" in table:
            money = metric_kind(metric) == "money"
            show = _money if money else (lambda v: human(v, "count"))
            cells = [f"{_signed(show(d), d)} ({show(lo)} to {show(hi)})"
                     for d, lo, hi in zip(table[f"{metric}.diff"], table[f"{metric}.diff_low"],
                                          table[f"{metric}.diff_high"], strict=True)]  # fmt: skip
            unit = f", {currency}" if money else ""
            values.append(Column(f"{label}\n(95% CI{unit})", cells))
    print_fitted(console, keys, values, "Mean per point")


def _signed(text: str, value: float) -> str:
    return text if text.startswith("-") or value <= 0 else "+" + text


def print_stress(console: Console, table: pd.DataFrame, currency: str) -> None:
    """People ranked by the profit lost when they go (then the revenue lost), with the 95%
    intervals."""
    names = table["name"] if "name" in table else table["person"]
    shown = [seat if name == seat else f"{name} ({seat})"
             for seat, name in zip(table["person"], names, strict=True)]  # fmt: skip

    def interval(kind: str) -> list[str]:
        bounds = zip(table[f"{kind}_lost_low"], table[f"{kind}_lost_high"], strict=True)
        return [f"{_money(lo)} to {_money(hi)}" for lo, hi in bounds]

    values = [
        Column(f"Profit lost\n({currency})", [_money(v) for v in table["profit_lost"]]),
        Column("95% CI", interval("profit")),
        Column(f"Revenue lost\n({currency})", [_money(v) for v in table["revenue_lost"]]),
        Column("95% CI ", interval("revenue")),
        Column("Share of\nrevenue", [human(v, "ratio") for v in table["revenue_lost_share"]]),
        Column("Customers\nlost", [human(v, "count") for v in table["customers_lost_with_owner"]]),
        Column("Recovery\n(days)", [human(v, "count") for v in table["recovery_days"]]),
    ]
    print_fitted(console, [Column("Person", shown, right=False)], values)


def variant_label(kind: str, k: int, total: int, name: str) -> str:
    """What the progress bar says of the k-th of `total` runs of a command."""
    return f"{kind} {k} of {total}: {name}" if total > 1 else name


@contextmanager
def progress(console: Console, quiet: bool, runs: int, replications: int,
             kind: str = "scenario") -> Iterator[Callable[[str], ProgressFn | None]]:  # fmt: skip
    """A progress display for a command that makes `runs` runs of `replications` each.

    Yields `start(name)`, to call as each run begins; it returns the function that advances
    that run's bar (and the overall bar, with its estimate of the time left, when there are
    several runs), or None when there is nothing to draw (quiet, or not a terminal)."""
    if quiet or not console.is_terminal:
        yield lambda name: None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn())  # fmt: skip
    with Progress(*columns, console=console, transient=True) as bars:
        yield _Bars(bars, runs, replications, kind).start


class _Bars:
    """The bar of the run under way ("variant k of N: name") and, for several runs, the
    overall bar."""

    def __init__(self, bars: Progress, runs: int, replications: int, kind: str) -> None:
        self.bars, self.runs, self.replications, self.kind = bars, runs, replications, kind
        self.overall = (
            bars.add_task(f"all {runs} {kind}s", total=runs * replications) if runs > 1 else None
        )
        self.current: Any = None
        self.started = 0

    def start(self, name: str) -> ProgressFn:
        self.started += 1
        if self.current is not None:
            self.bars.remove_task(self.current)
        label = variant_label(self.kind, self.started, self.runs, name)
        self.current = self.bars.add_task(label, total=self.replications)
        return self.advance

    def advance(self, n: int) -> None:
        self.bars.advance(self.current, n)
        if self.overall is not None:
            self.bars.advance(self.overall, n)
