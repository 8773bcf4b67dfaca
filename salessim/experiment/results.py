"""Results folders: write a run's files atomically and describe how they were made.

A run folder holds `manifest.json` (scenario, its sha256, seed, versions, wall time),
`scenario.json` (the fully resolved scenario, so any figure can be reproduced), `summary.csv` and
`replications.parquet`. Every file is written to a temporary name in the same folder and renamed,
so a reader never sees half a file. An existing folder is only reused with `force=True`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import hashlib
import json
import os
import pickle
import platform
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import simpy

from salessim.errors import ResultsError, WriteError
from salessim.experiment.replications import RunResult, timeseries_bands
from salessim.scenario.models import Scenario
from salessim.version import __version__

RUN_FILES = (
    "manifest.json",
    "scenario.json",
    "summary.csv",
    "replications.parquet",
    "people.parquet",
    "timeseries.parquet",
    "timeseries_summary.csv",
)


LOCK_NAME = ".salessim.lock"


class FolderLock:
    """An exclusive lock on a results folder and everything under it for the whole of one
    command, so two salessim processes never interleave their files there.

    The locks are `flock`s on the folders themselves: exclusive on the results folder, shared
    on each folder above it. A command writing in `R` and one writing in `R/two_level` (or the
    other way round) therefore exclude each other, while `R/a` and `R/b` can be written at
    once. The system releases the locks when the process ends, however it ends, so a crashed
    run never leaves a stale lock; `.salessim.lock` only tells who holds it.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.fds: list[int] = []
        self.holding = False

    def __enter__(self) -> FolderLock:
        if self.folder.exists() and not self.folder.is_dir():
            raise ResultsError(f"{self.folder} exists and is not a folder; choose another --out")
        made = [p for p in (self.folder, *self.folder.parents) if not p.exists()]
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            here = self.folder.resolve()
        except OSError as exc:
            raise ResultsError(
                f"cannot write to results folder {self.folder}: {exc.strerror or exc}; "
                "choose another --out"
            ) from exc
        try:
            self._lock_tree(here)
        except BaseException:
            self.__exit__()
            for folder in made:  # refused: leave no empty folder behind (deepest first)
                with contextlib.suppress(OSError):
                    folder.rmdir()
            raise
        return self

    def _lock_tree(self, here: Path) -> None:
        """Shared locks on the folders above, the exclusive one here, then our note."""
        for above in reversed(here.parents):
            self._lock(above, fcntl.LOCK_SH, required=False)
        self._lock(here, fcntl.LOCK_EX, required=True)
        self._write_holder()
        self.holding = True
        _remove_leftovers(here)

    def _lock(self, folder: Path, kind: int, required: bool) -> None:
        try:
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as exc:
            if required:
                raise ResultsError(f"cannot lock results folder {folder}: {exc}") from exc
            return  # a folder above we may not read cannot be a results folder of ours
        try:
            fcntl.flock(fd, kind | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in BUSY:
                raise ResultsError(self._busy(folder)) from exc
            if required:  # folders cannot be flocked here (NFS, some FUSE mounts)
                self._lock_note_file(folder)
            return
        self.fds.append(fd)

    def _lock_note_file(self, folder: Path) -> None:
        """Where a folder cannot be locked, lock the file `.salessim.lock` in it instead: it
        still excludes a second command on the same folder (not on nested ones)."""
        fd = -1
        try:
            fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o666 & ~_umask())
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if fd >= 0:
                os.close(fd)
            if exc.errno in BUSY:
                raise ResultsError(self._busy(folder)) from exc
            raise ResultsError(f"cannot lock results folder {folder}: {exc}") from exc
        self.fds.append(fd)

    def _busy(self, folder: Path) -> str:
        holder = _holder(folder)
        if folder != self.folder.resolve():
            return (f"results folder {folder} is in use by another salessim command ({holder}), "
                    f"and {self.folder} is inside it; wait for it to finish or choose another "
                    "--out")  # fmt: skip
        inner = sorted(str(p.parent) for p in folder.rglob(LOCK_NAME) if p.parent != folder)
        inside = f"; it may be writing in {inner[0]}" if inner and holder == UNKNOWN else ""
        return (f"results folder {self.folder} is in use by another salessim command "
                f"({holder}{inside}); wait for it to finish or choose another --out")  # fmt: skip

    def _write_holder(self) -> None:
        started = dt.datetime.now().isoformat(timespec="seconds")
        note = f"pid {os.getpid()}, started {started}"
        try:
            (self.folder / LOCK_NAME).write_text(note, encoding="utf-8")
        except OSError as exc:
            raise ResultsError(
                f"cannot write to results folder {self.folder}: {exc.strerror or exc}; "
                "choose another --out"
            ) from exc

    def __exit__(self, *exc: object) -> None:
        if self.holding:
            (self.folder / LOCK_NAME).unlink(missing_ok=True)
            self.holding = False
        for fd in reversed(self.fds):
            os.close(fd)  # closing releases the flock
        self.fds = []


def _remove_leftovers(folder: Path) -> None:
    """Temporary files of writes that a killed command never finished (`write_atomic` names
    them `.NAME.*.tmp`); nobody else writes here while we hold the lock."""
    for pattern in (".*.tmp", "parts/.*.tmp", "*/.*.tmp", "*/parts/.*.tmp"):
        for tmp in folder.glob(pattern):  # where salessim writes, not a whole tree
            if tmp.is_file():
                tmp.unlink(missing_ok=True)


UNKNOWN = "another process"
BUSY = (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES)


def _holder(folder: Path) -> str:
    try:
        return (folder / LOCK_NAME).read_text(encoding="utf-8").strip() or UNKNOWN
    except OSError:
        return UNKNOWN


def prepare_folder(path: Path, force: bool) -> Path:
    """Create `path`, refusing a non-empty existing folder unless `force`."""
    if path.exists() and not path.is_dir():
        raise ResultsError(f"{path} exists and is not a folder; choose another --out")
    if path.exists() and any(p.name != LOCK_NAME for p in path.iterdir()) and not force:
        raise ResultsError(
            f"results folder {path} already exists and is not empty; "
            "pass --force to overwrite it, --resume to continue an interrupted run there, "
            "or choose another --out"
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
        if force:
            _forget_finished(path)
        probe = path / ".salessim-write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise ResultsError(f"cannot write to results folder {path}: {exc.strerror or exc}") from exc
    return path


FOLDER_TABLES = ("comparison.csv", "differences.csv", "sweep.csv", "stress.csv", "backtest.csv",
                 "coverage.csv")  # fmt: skip
"""What a compare, sweep, stress or backtest writes at the top of its folder, last."""


def _forget_finished(path: Path) -> None:
    """Before results are replaced: remove what marks them finished (every manifest.json under
    `path`, the folder's tables), so a replacement that dies midway leaves a folder that is
    recognisably unfinished, never old manifests beside new replications."""
    for name in FOLDER_TABLES:
        (path / name).unlink(missing_ok=True)
    for old in path.rglob("manifest.json"):
        old.unlink(missing_ok=True)


def write_atomic(target: Path, write: Callable[[Path], object]) -> None:
    """Call `write(tmp)` on a temporary file beside `target`, then rename it onto `target`."""
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise WriteError(_write_failure(target, exc)) from exc
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise WriteError(_write_failure(target, exc)) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write_failure(target: Path, exc: OSError) -> str:
    message = f"cannot write {target}: {exc.strerror or exc}"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        message += (
            ". Free some space (or choose another --out) and run the same command again; for "
            "run, compare, sweep and stress add --resume: the finished replications are kept"
        )
    return message


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(target: Path, text: str) -> None:
    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    write_atomic(target, write)


def write_csv(target: Path, frame: pd.DataFrame) -> None:
    write_atomic(target, lambda tmp: frame.to_csv(tmp, index=False, float_format="%.6g"))


def write_parquet(target: Path, frame: pd.DataFrame) -> None:
    write_atomic(target, lambda tmp: frame.to_parquet(tmp, index=False))


def scenario_digest(scenario: Scenario) -> str:
    """sha256 of the fully resolved scenario: what a run's files belong to."""
    return hashlib.sha256(scenario.model_dump_json().encode()).hexdigest()


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def manifest(result: RunResult) -> dict[str, Any]:
    """What a reader needs to reproduce the run."""
    return {
        "scenario": result.scenario.name,
        "scenario_file": result.source,
        "scenario_file_sha256": file_sha256(result.source) if result.source else None,
        "scenario_sha256": scenario_digest(result.scenario),
        "seed": result.seed,
        "replications": len(result.replications),
        "workers": result.workers,
        "wall_seconds": round(result.wall_seconds, 3),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "versions": {
            "salessim": __version__,
            "python": platform.python_version(),
            "simpy": simpy.__version__,
            "numpy": np.__version__,
            "pandas": pd.__version__,
        },
    }


def write_run(result: RunResult, out: Path, force: bool = False) -> Path:
    """Write a run's files into `out` (created; refused if it holds anything, unless `force`).

    manifest.json goes last: a folder without it holds an unfinished run."""
    prepare_folder(out, force)
    (out / "manifest.json").unlink(missing_ok=True)
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


class PartStore:
    """Finished replications of a run in progress, one part file per batch, so an interrupted
    run keeps them and `--resume` continues it.

    `run.json` records what the parts belong to (scenario hash, seed, replications); a resume
    with anything else is refused. Parts are written to a temporary name and renamed, so a part
    file is either whole or absent. They are removed once the final files are written.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.parts = folder / "parts"
        self.started_at = time.perf_counter()
        self.before = 0.0  # seconds spent by the earlier, interrupted sessions of this run

    @staticmethod
    def identity(scenario: Scenario, seed: int, replications: int, leads: bool) -> dict[str, Any]:
        digest = scenario_digest(scenario)
        return {"scenario_sha256": digest, "seed": seed, "replications": replications,
                "leads": leads}  # fmt: skip

    def start(self, identity: dict[str, Any], resume: bool) -> list[Any]:
        """Begin (or, with `resume`, continue) a run; returns the replications already done."""
        marker = self.parts / "run.json"
        if resume:
            self._check_same(identity)
            self.started_at = time.perf_counter()
            self.before = self._saved_seconds()
            return self.load()
        self.parts.mkdir(parents=True, exist_ok=True)
        self.started_at, self.before = time.perf_counter(), 0.0
        for old in [*self.parts.glob("part-*.pkl"), self.parts / "seconds.json"]:
            old.unlink(missing_ok=True)
        write_text(marker, json.dumps(identity))
        return []

    def _check_same(self, identity: dict[str, Any]) -> None:
        """Refuse to resume a run other than this command's (scenario, seed, replications)."""
        marker = self.parts / "run.json"
        if not marker.exists():
            raise ResultsError(f"nothing to resume in {self.folder}: no interrupted run there")
        saved = json.loads(marker.read_text(encoding="utf-8"))
        if saved != identity:
            changed = ", ".join(k for k in identity if saved.get(k) != identity[k])
            raise ResultsError(
                f"cannot resume the run in {self.folder}: its {changed} differ from this "
                "command's; run without --resume (and with --force) to start again"
            )

    def started(self) -> bool:
        return (self.parts / "run.json").exists()

    def saved_seed(self) -> int:
        """The seed of the interrupted run in this folder."""
        marker = self.parts / "run.json"
        if not marker.exists():
            raise ResultsError(f"nothing to resume in {self.folder}: no interrupted run there")
        return int(json.loads(marker.read_text(encoding="utf-8"))["seed"])

    def add(self, chunk: list[Any]) -> None:
        first = min(int(one.record["replication"]) for one in chunk)
        target = self.parts / f"part-{first:07d}-{len(chunk):04d}.pkl"
        write_atomic(target, lambda tmp: tmp.write_bytes(pickle.dumps(chunk)))
        write_text(self.parts / "seconds.json", json.dumps(self.seconds()))

    def seconds(self) -> float:
        """Wall seconds of this run over all its sessions (an interrupted one and its resume)."""
        return self.before + time.perf_counter() - self.started_at

    def _saved_seconds(self) -> float:
        try:
            return float(json.loads((self.parts / "seconds.json").read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return 0.0

    def load(self) -> list[Any]:
        done: dict[int, Any] = {}
        for path in sorted(self.parts.glob("part-*.pkl")):
            for one in pickle.loads(path.read_bytes()):
                done[int(one.record["replication"])] = one
        return [done[r] for r in sorted(done)]

    def finish(self) -> None:
        shutil.rmtree(self.parts, ignore_errors=True)


def finished(folder: Path, scenario: Scenario, seed: int, replications: int) -> bool:
    """Whether `folder` holds the complete results of exactly this run."""
    path = folder / "manifest.json"
    if not path.exists() or (folder / "parts").exists():
        return False
    saved = json.loads(path.read_text(encoding="utf-8"))
    return (saved.get("scenario_sha256"), saved.get("seed"), saved.get("replications")) == (
        scenario_digest(scenario), seed, replications)  # fmt: skip


def read_run(folder: Path, scenario: Scenario, source: str | None) -> RunResult:
    """A finished run read back from its files (for a resumed comparison)."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        result = RunResult(scenario, int(manifest["seed"]),
                           pd.read_parquet(folder / "replications.parquet"),
                           float(manifest["wall_seconds"]), int(manifest["workers"]), source,
                           pd.read_parquet(folder / "people.parquet"))  # fmt: skip
        result.timeseries = pd.read_parquet(folder / "timeseries.parquet")
    except (OSError, ValueError, KeyError) as exc:
        raise ResultsError(f"cannot read the finished run in {folder}: {exc}") from exc
    return result


def saved_seed_any(folders: list[Path]) -> int:
    """The seed of the first interrupted or finished run among `folders`."""
    for folder in folders:
        store = PartStore(folder)
        if store.started():
            return store.saved_seed()
        if (folder / "manifest.json").exists():
            return int(json.loads((folder / "manifest.json").read_text())["seed"])
    raise ResultsError("nothing to resume: none of the scenario folders holds a run")
