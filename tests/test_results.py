"""Results folders: one writer at a time, no overwrite without --force, clear errors when the
disk is full or the folder cannot be written, and nothing finished is lost."""

from __future__ import annotations

import errno
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from salessim.cli import app
from salessim.errors import ResultsError, WriteError
from salessim.experiment.results import LOCK_NAME, FolderLock

from .conftest import MINIMAL_YAML

runner = CliRunner()


def run_args(tiny_file: Path, out: Path) -> list[str]:
    return ["run", str(tiny_file), "-n", "4", "--seed", "2", "-w", "1", "-q", "--out", str(out)]


def test_a_folder_in_use_is_refused(tiny_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with FolderLock(out):
        result = runner.invoke(app, run_args(tiny_file, out))
    assert result.exit_code == 2
    assert "in use by another salessim command (pid" in result.stderr
    assert not (out / "summary.csv").exists()
    assert runner.invoke(app, run_args(tiny_file, out)).exit_code == 0  # released


def test_the_lock_of_a_killed_process_is_released(tiny_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; "
         "from salessim.experiment.results import FolderLock\n"
         f"with FolderLock(Path({str(out)!r})):\n    print('locked', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        compare = ["compare", str(tiny_file), str(tiny_file), "--out", str(out), "-q"]
        refused = runner.invoke(app, [*run_args(tiny_file, out)])
        assert refused.exit_code == 2 and f"pid {holder.pid}" in refused.stderr
        assert runner.invoke(app, compare).exit_code == 2
    finally:
        holder.kill()
        holder.wait()
    assert (out / LOCK_NAME).exists()  # a killed holder leaves its note: harmless, the lock is
    assert runner.invoke(app, run_args(tiny_file, out)).exit_code == 0  # the flock, not the file
    assert not (out / LOCK_NAME).exists()  # a command that ends removes its note


def test_existing_results_are_never_overwritten_without_force(
    tiny_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert runner.invoke(app, run_args(tiny_file, out)).exit_code == 0
    before = (out / "summary.csv").read_bytes()
    other_seed = [("9" if a == "2" else a) for a in run_args(tiny_file, out)]
    again = runner.invoke(app, other_seed)
    assert again.exit_code == 2 and "--force" in again.stderr
    assert (out / "summary.csv").read_bytes() == before


def test_a_full_disk_is_reported_and_the_run_can_be_resumed(
    tiny_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"

    def disk_full(self: pd.DataFrame, path: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(pd.DataFrame, "to_parquet", disk_full)
        result = runner.invoke(app, run_args(tiny_file, out))
    assert result.exit_code == 2, result.output
    assert "No space left on device" in result.stderr and "--resume" in result.stderr
    assert "Traceback" not in result.output
    assert not list(out.glob(".*.tmp"))  # no half-written files left behind
    assert list((out / "parts").glob("part-*.pkl"))  # the finished replications are kept
    resumed = runner.invoke(app, [*run_args(tiny_file, out), "--resume"])
    assert resumed.exit_code == 0, resumed.output
    clean = tmp_path / "clean"
    assert runner.invoke(app, run_args(tiny_file, clean)).exit_code == 0
    for name in ("summary.csv", "replications.parquet"):
        assert (out / name).read_bytes() == (clean / name).read_bytes()


@pytest.mark.parametrize("where", ["a_file/sub", "/proc/salessim-results"])
def test_an_unwritable_folder_is_a_clear_error(tiny_file: Path, tmp_path: Path, where: str) -> None:
    (tmp_path / "a_file").write_text("not a folder")
    out = tmp_path / where if not where.startswith("/") else Path(where)
    result = runner.invoke(app, run_args(tiny_file, out))
    assert result.exit_code == 2
    assert "cannot write to results folder" in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("held", "wanted"),
    [("R", "R/two_level"), ("R/two_level", "R"), ("R", "R/a/b"), ("R/a/b", "R"), ("R", "R")],
)
def test_a_lock_covers_the_folder_and_everything_under_it(
    held: str, wanted: str, tiny_file: Path, tmp_path: Path
) -> None:
    """`compare --out R` alongside `run --out R/two_level` (either first) is refused."""
    with FolderLock(tmp_path / held):
        with pytest.raises(ResultsError, match="in use by another salessim command"):
            FolderLock(tmp_path / wanted).__enter__()
        result = runner.invoke(app, run_args(tiny_file, tmp_path / wanted))
        assert result.exit_code == 2 and "in use by another salessim command" in result.stderr
    released = runner.invoke(app, [*run_args(tiny_file, tmp_path / wanted), "--force"])
    assert released.exit_code == 0, released.output


def test_sibling_folders_can_be_written_at_once(tmp_path: Path) -> None:
    with FolderLock(tmp_path / "R" / "a"), FolderLock(tmp_path / "R" / "b"):
        pass
    with FolderLock(tmp_path / "R"):  # and both released
        pass


def test_a_default_run_during_a_compare_into_results_is_refused(
    tiny_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with FolderLock(Path("results")):
        args = ["run", str(tiny_file), "-n", "2", "-q"]  # default --out: results/tiny
        result = runner.invoke(app, args)
    assert result.exit_code == 2 and "results/tiny is inside it" in result.stderr


def test_a_forced_rerun_that_dies_in_its_final_write_is_never_mixed(
    tiny_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Old manifest beside new replications used to pass for a finished run."""
    from salessim.experiment import results

    out = tmp_path / "out"
    other = tmp_path / "other.yaml"
    other.write_text(MINIMAL_YAML.replace("name: tiny", "name: other"))
    compare = ["compare", str(tiny_file), str(other), "-n", "3", "-w", "1", "-q", "--out", str(out)]
    assert runner.invoke(app, [*compare, "--seed", "1"]).exit_code == 0
    written = results.write_parquet

    def dies_on_the_second_runs_people(target: Path, frame: pd.DataFrame) -> None:
        if target.parent.name == "other" and target.name == "people.parquet":
            raise results.ResultsError(f"cannot write {target}: No space left on device")
        written(target, frame)

    monkeypatch.setattr(results, "write_parquet", dies_on_the_second_runs_people)
    failed = runner.invoke(app, [*compare, "--seed", "2", "--force"])
    assert failed.exit_code == 2 and "No space left" in failed.stderr
    monkeypatch.setattr(results, "write_parquet", written)
    assert not (out / "other" / "manifest.json").exists()
    assert not (out / "comparison.csv").exists()
    report = runner.invoke(app, ["report", str(out / "other")])
    assert report.exit_code == 2 and "unfinished run" in report.stderr
    assert runner.invoke(app, ["report", str(out)]).exit_code == 2  # no comparison table
    assert runner.invoke(app, [*compare, "--seed", "2", "--force"]).exit_code == 0
    assert runner.invoke(app, ["report", str(out)]).exit_code == 0


def test_a_report_refuses_runs_of_different_seeds(tiny_file: Path, tmp_path: Path) -> None:
    import json

    out = tmp_path / "out"
    other = tmp_path / "other.yaml"
    other.write_text(MINIMAL_YAML.replace("name: tiny", "name: other"))
    args = ["compare", str(tiny_file), str(other), "-n", "3", "-w", "1", "-q", "--out", str(out)]
    assert runner.invoke(app, [*args, "--seed", "1"]).exit_code == 0
    path = out / "other" / "manifest.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "seed": 99}))
    result = runner.invoke(app, ["report", str(out)])
    assert result.exit_code == 2 and "different seeds (1, 99)" in result.stderr


def test_a_full_disk_while_writing_the_report_is_an_error_exit(
    tiny_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from salessim.report import page as report

    def disk_full(target: Path, text: str) -> None:
        from salessim.experiment.results import _write_failure

        raise WriteError(_write_failure(target, OSError(errno.ENOSPC, "No space left on device")))

    monkeypatch.setattr(report, "write_text", disk_full)
    result = runner.invoke(app, run_args(tiny_file, tmp_path / "out"))
    assert result.exit_code == 2 and "No space left on device" in result.stderr
    assert "results in" in result.stderr and "are complete" in result.stderr
    assert (tmp_path / "out" / "manifest.json").exists()


def test_leftover_temporary_files_are_removed_when_a_command_starts(
    tiny_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    (out / "parts").mkdir(parents=True)
    left = [out / ".replications.parquet.x1y2.tmp", out / "parts" / ".part-0000000-0010.pkl.z.tmp"]
    for path in left:
        path.write_bytes(b"half a file from a killed command")
    (out / "keep.tmp").write_text("not ours: no leading dot")
    with FolderLock(out):
        pass
    assert not any(path.exists() for path in left) and (out / "keep.tmp").exists()


def test_wall_seconds_cover_every_session_of_a_resumed_run(tmp_path: Path) -> None:
    from salessim.experiment import replications as experiment
    from salessim.experiment import results

    from .conftest import make_scenario

    tiny = make_scenario()
    store = results.PartStore(tmp_path / "run")
    identity = store.identity(tiny, 1, 30, False)
    store.start(identity, resume=False)
    store.started_at -= 100.0  # the first session ran 100 s before it was interrupted
    experiment.run(tiny, 10, seed=1, on_chunk=store.add)
    again = results.PartStore(tmp_path / "run")
    done = again.start(identity, resume=True)
    assert len(done) == 10 and again.before >= 100.0
    assert again.seconds() >= 100.0


def test_a_refused_nested_lock_leaves_no_empty_folder(tmp_path: Path) -> None:
    with FolderLock(tmp_path / "R"):
        with pytest.raises(ResultsError, match="in use"):
            FolderLock(tmp_path / "R" / "a" / "b").__enter__()
        assert not (tmp_path / "R" / "a").exists()


def test_where_folders_cannot_be_flocked_the_note_file_is_locked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NFS refuses flock on a directory (EBADF): the folders above are skipped and the folder's
    own `.salessim.lock` file is locked instead, which still refuses a second command there."""
    import fcntl
    import os

    real = fcntl.flock

    def no_directory_locks(fd: int, op: int) -> None:
        if os.path.isdir(f"/proc/self/fd/{fd}"):
            raise OSError(errno.EBADF, "Bad file descriptor")
        real(fd, op)

    monkeypatch.setattr(fcntl, "flock", no_directory_locks)
    busy = pytest.raises(ResultsError, match="in use by another salessim command")
    with FolderLock(tmp_path / "out"), busy:
        FolderLock(tmp_path / "out").__enter__()
    with FolderLock(tmp_path / "out"):  # released
        pass


def test_a_fresh_start_forgets_an_old_runs_seconds(tmp_path: Path) -> None:
    from salessim.experiment import results

    from .conftest import make_scenario

    tiny = make_scenario()
    store = results.PartStore(tmp_path / "run")
    store.start(store.identity(tiny, 1, 10, False), resume=False)
    (store.parts / "seconds.json").write_text("1000.0")
    again = results.PartStore(tmp_path / "run")
    identity = again.identity(tiny, 2, 10, False)
    again.start(identity, resume=False)
    assert not (again.parts / "seconds.json").exists()
    assert results.PartStore(tmp_path / "run").start(identity, resume=True) == []
