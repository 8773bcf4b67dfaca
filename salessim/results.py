"""Results folders: write a run's files atomically and describe how they were made.

A run folder holds `manifest.json` (scenario, its sha256, seed, versions, wall time),
`scenario.json` (the fully resolved scenario, so any figure can be reproduced), `summary.csv` and
`replications.parquet`. Every file is written to a temporary name in the same folder and renamed,
so a reader never sees half a file. An existing folder is only reused with `force=True`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import simpy

import salessim
from salessim.errors import ResultsError
from salessim.experiment import RunResult, timeseries_bands

RUN_FILES = (
    "manifest.json",
    "scenario.json",
    "summary.csv",
    "replications.parquet",
    "people.parquet",
    "timeseries.parquet",
    "timeseries_summary.csv",
)


def prepare_folder(path: Path, force: bool) -> Path:
    """Create `path`, refusing a non-empty existing folder unless `force`."""
    if path.exists() and not path.is_dir():
        raise ResultsError(f"{path} exists and is not a folder; choose another --out")
    if path.exists() and any(path.iterdir()) and not force:
        raise ResultsError(
            f"results folder {path} already exists and is not empty; "
            "pass --force to overwrite it or choose another --out"
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".salessim-write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise ResultsError(f"cannot write to results folder {path}: {exc.strerror or exc}") from exc
    return path


def write_atomic(target: Path, write: Callable[[Path], None]) -> None:
    """Call `write(tmp)` on a temporary file beside `target`, then rename it onto `target`."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ResultsError(f"cannot write {target}: {exc.strerror or exc}") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text(target: Path, text: str) -> None:
    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    write_atomic(target, write)


def write_csv(target: Path, frame: pd.DataFrame) -> None:
    write_atomic(target, lambda tmp: frame.to_csv(tmp, index=False, float_format="%.6g"))


def write_parquet(target: Path, frame: pd.DataFrame) -> None:
    write_atomic(target, lambda tmp: frame.to_parquet(tmp, index=False))


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def manifest(result: RunResult) -> dict[str, Any]:
    """What a reader needs to reproduce the run."""
    resolved = result.scenario.model_dump_json()
    return {
        "scenario": result.scenario.name,
        "scenario_file": result.source,
        "scenario_file_sha256": file_sha256(result.source) if result.source else None,
        "scenario_sha256": hashlib.sha256(resolved.encode()).hexdigest(),
        "seed": result.seed,
        "replications": len(result.replications),
        "workers": result.workers,
        "wall_seconds": round(result.wall_seconds, 3),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "versions": {
            "salessim": salessim.__version__,
            "python": platform.python_version(),
            "simpy": simpy.__version__,
            "numpy": np.__version__,
            "pandas": pd.__version__,
        },
    }


def write_run(result: RunResult, out: Path, force: bool = False) -> Path:
    """Write a run's files into `out` (created; refused if it holds anything, unless `force`)."""
    prepare_folder(out, force)
    write_parquet(out / "replications.parquet", result.replications)
    write_parquet(out / "people.parquet", result.people)
    write_parquet(out / "timeseries.parquet", result.timeseries)
    write_csv(out / "timeseries_summary.csv", timeseries_bands(result.timeseries))
    if not result.leads.empty:
        write_parquet(out / "leads.parquet", result.leads)
    write_csv(out / "summary.csv", result.summary)
    write_text(out / "scenario.json", result.scenario.model_dump_json(indent=2, by_alias=True))
    write_text(out / "manifest.json", json.dumps(manifest(result), indent=2))
    return out
