"""Terminal tables and progress: fit 80 columns, nothing cut, whole numbers whole."""

from __future__ import annotations

import io

import pandas as pd
from rich.console import Console

from salessim import tables
from salessim.experiment import replications as experiment

from .conftest import make_scenario


def _console(width: int = 80, terminal: bool = False) -> Console:
    return Console(file=io.StringIO(), width=width, force_terminal=terminal, record=True,
                   color_system=None)  # fmt: skip


def test_a_comparison_of_four_long_names_fits_80_columns_without_cutting() -> None:
    names = ["super_seller_with_crm", "director_who_sells", "three_step_department", "generalists"]
    runs = [experiment.run(make_scenario(name=n, horizon_days=20), 3, seed=1) for n in names]
    console = _console()
    tables.print_runs(console, runs)
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "…" not in text
    for name in names:
        assert name in text
    assert "Profit (EUR)" in text and "Revenue (EUR)" in text


def test_sweep_settings_print_as_typed() -> None:
    table = pd.DataFrame({"point": [0, 1], "roles.designer.headcount": [2.0, 3.0],
                          "leads[0].per_day": [7.5, 10.0], "revenue.mean": [1234.4, 5678.9],
                          "won.mean": [3.25, 4.0]})  # fmt: skip
    console = _console()
    tables.print_sweep(console, table, ["roles.designer.headcount", "leads[0].per_day"], "EUR")
    text = console.export_text()
    assert " 2 " in text and " 3 " in text and "7.5" in text and " 10 " in text
    assert "2.0" not in text and "3.0" not in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_plain() -> None:
    assert [tables.plain(v) for v in (3.0, 2.5, float("nan"), "x", 7)] == ["3", "2.5", "-", "x",
                                                                          "7"]  # fmt: skip


def test_progress_names_each_variant_and_counts_all() -> None:
    console = _console(terminal=True)
    with tables.progress(console, False, 3, 4, "variant") as start:
        for name in ("baseline", "without_a", "without_b"):
            advance = start(name)
            assert advance is not None
            advance(4)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert "variant 2 of 3: without_a" in text and "all 3 variants" in text


def test_no_progress_when_quiet_or_not_a_terminal() -> None:
    with tables.progress(_console(terminal=True), True, 3, 4) as start:
        assert start("x") is None
    with tables.progress(_console(terminal=False), False, 3, 4) as start:
        assert start("x") is None
