"""One Excel workbook of a results folder (`--xlsx`): its tables, one sheet each, and a
metadata sheet (scenario hash, seed, replications, versions, per run).

`write_workbook(folder)` reads what the command wrote (summary, comparison, differences, sweep,
solve, stress and backtest tables, and every run's manifest.json) and writes
`results.xlsx` atomically. Text cells that a spreadsheet would take for a formula (starting
with `=`, `+`, `-` or `@`: OWASP's "CSV injection") get a space in front, so a scenario or
person name cannot run anything when the file is opened. Numbers stay numbers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from salessim.experiment.results import write_atomic

# the folder's tables, in sheet order: file -> sheet name
TABLES = {
    "summary.csv": "summary",
    "comparison.csv": "comparison",
    "differences.csv": "differences",
    "sweep.csv": "sweep",
    "solve.csv": "solve",
    "stress.csv": "stress",
    "sensitivity.csv": "sensitivity",
    "backtest.csv": "backtest",
    "coverage.csv": "coverage",
    "forecast_errors.csv": "forecast errors",
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
META_KEYS = ("scenario", "scenario_file", "scenario_sha256", "scenario_file_sha256", "seed",
             "replications", "workers", "wall_seconds", "created")  # fmt: skip


def safe_cell(value: Any) -> Any:
    """A value as a spreadsheet cell: text that would start a formula gets a leading space."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return " " + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out.columns = [safe_cell(str(c)) for c in out.columns]
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(safe_cell)
    return out


def metadata(folder: Path) -> pd.DataFrame:
    """One row per run in the folder (its manifest.json, top level or one folder down)."""
    rows = []
    for path in sorted([folder / "manifest.json", *folder.glob("*/manifest.json")]):
        if not path.is_file():
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        row = {"folder": str(path.parent.relative_to(folder)) or "."}
        row.update({k: data.get(k) for k in META_KEYS})
        row.update({f"version.{k}": v for k, v in data.get("versions", {}).items()})
        rows.append(row)
    return pd.DataFrame(rows)


def write_workbook(folder: Path) -> Path:
    """`folder`/results.xlsx from the tables found in `folder`; returns its path."""
    sheets: dict[str, pd.DataFrame] = {}
    for name, sheet in TABLES.items():
        path = folder / name
        if path.is_file():
            sheets[sheet] = pd.read_csv(path)
    sheets["metadata"] = metadata(folder)
    target = folder / "results.xlsx"

    def write(tmp: Path) -> None:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            for sheet, frame in sheets.items():
                safe_frame(frame).to_excel(writer, sheet_name=sheet, index=False)

    write_atomic(target, write)
    return target
