"""The command line: exit codes, clear messages (never a traceback), files written."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from salessim.cli import app

from .conftest import BROKEN_YAML, MINIMAL_YAML

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))
runner = CliRunner()


def test_every_shipped_scenario_validates() -> None:
    assert len(SHIPPED) >= 6
    result = runner.invoke(app, ["validate", *map(str, SHIPPED)])
    assert result.exit_code == 0, result.output
    assert result.output.count(": ok") == len(SHIPPED)


def test_invalid_file_reports_all_problems_with_lines(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN_YAML)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    text = result.stderr
    assert "Traceback" not in text
    assert f"{path}:4:" in text and "leads[0].per_day" in text
    assert f"{path}:10:" in text and "stages.meeting.success" in text
    assert f"{path}:11:" in text and "did you mean 'meeting'" in text
    assert f"{path}:14:" in text and "did you mean 'headcount'" in text


def test_run_writes_results_and_refuses_overwrite(tiny_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["run", str(tiny_file), "-n", "3", "--seed", "5", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Deals won" in result.output
    frame = pd.read_parquet(out / "replications.parquet")
    assert list(frame["replication"]) == [0, 1, 2]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 5 and manifest["scenario_file_sha256"]
    again = runner.invoke(app, args)
    assert again.exit_code == 2 and "--force" in again.stderr
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0


def test_run_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "nope.yaml" in result.stderr and "Traceback" not in result.stderr


def test_compare_uses_same_leads_and_writes_table(tiny_file: Path, tmp_path: Path) -> None:
    bigger = tmp_path / "bigger.yaml"
    bigger.write_text(
        MINIMAL_YAML.replace("name: tiny", "name: bigger").replace(
            "designer: {headcount: 1}", "designer: {headcount: 2}"
        )
    )
    out = tmp_path / "cmp"
    result = runner.invoke(
        app, ["compare", str(tiny_file), str(bigger), "-n", "4", "--seed", "2", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "comparison.csv")
    arrived = table[table["metric"] == "leads_arrived"].set_index("scenario")["mean"]
    assert arrived["tiny"] == arrived["bigger"]  # common random numbers
    diffs = pd.read_csv(out / "differences.csv").set_index("metric")
    assert diffs.loc["leads_arrived", "diff"] == 0
    assert (diffs["baseline"] == "tiny").all() and (diffs["scenario"] == "bigger").all()
    assert (out / "tiny" / "summary.csv").exists() and (out / "bigger" / "summary.csv").exists()


def test_schema_is_json() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    assert "stages" in json.loads(result.output)["properties"]


@pytest.mark.parametrize(
    "command",
    ["validate", "schema", "run", "compare", "sweep", "stress", "report", "calibrate", "backtest"],
)
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output


def test_sweep_and_stress_write_their_tables(tiny_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    args = [
        "sweep",
        str(tiny_file),
        "--set",
        "roles.designer.headcount=1,2",
        "-n",
        "3",
        "--seed",
        "1",
        "--out",
        str(out),
        "-w",
        "1",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "sweep.csv")
    assert list(table["roles.designer.headcount"]) == [1, 2]
    bad = runner.invoke(app, [*args[:3], "roles.designer.headcont=1", "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "headcont" in bad.stderr
    out = tmp_path / "stress"
    result = runner.invoke(
        app,
        [
            "stress",
            str(tiny_file),
            "-n",
            "3",
            "--seed",
            "1",
            "--out",
            str(out),
            "-w",
            "1",
            "--day",
            "5",
        ],
    )
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(out / "stress.csv")) == 3  # lead_manager[0..1], designer[0]


def test_one_and_two_workers_write_identical_files(tiny_file: Path, tmp_path: Path) -> None:
    for workers in ("1", "2"):
        args = [
            "run",
            str(tiny_file),
            "-n",
            "6",
            "--seed",
            "4",
            "-w",
            workers,
            "-q",
            "--out",
            str(tmp_path / workers),
        ]
        assert runner.invoke(app, args).exit_code == 0
    for name in ("replications.parquet", "people.parquet", "timeseries.parquet", "summary.csv"):
        assert (tmp_path / "1" / name).read_bytes() == (tmp_path / "2" / name).read_bytes()


# -- unusual arguments: a result or one paragraph with exit 2, never a half-made folder ----------

UNUSUAL = {
    "compare one file": ["compare", "{tiny}"],
    "compare the same file twice": ["compare", "{tiny}", "{tiny}"],
    "compare zero replications": ["compare", "{tiny}", "{other}", "-n", "0"],
    "run zero replications": ["run", "{tiny}", "-n", "0"],
    "sweep with no values": ["sweep", "{tiny}", "--set", "roles.designer.headcount="],
    "sweep with no settings": ["sweep", "{tiny}"],
    "sweep from an empty csv": ["sweep", "{tiny}", "--from-csv", "{empty}"],
    "stress zero replications": ["stress", "{tiny}", "-n", "0"],
}


@pytest.mark.parametrize("case", sorted(UNUSUAL))
def test_unusual_arguments_give_one_paragraph_and_leave_no_folder(
    case: str, tiny_file: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other.yaml"
    other.write_text(MINIMAL_YAML.replace("name: tiny", "name: other"))
    empty = tmp_path / "empty.csv"
    empty.write_text("roles.designer.headcount\n")
    files = {"tiny": tiny_file, "other": other, "empty": empty}
    out = tmp_path / "out"
    args = [a.format(**files) for a in UNUSUAL[case]] + ["--out", str(out), "-w", "1", "-q"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, (case, result.output)
    message = result.stderr.strip()
    assert message and "Traceback" not in message and "\n\n" not in message, message
    assert not out.exists(), f"{case} left {sorted(out.rglob('*'))}"
    # nothing blocks the next command in the same folder
    again = runner.invoke(app, ["run", str(tiny_file), "-n", "2", "--out", str(out), "-q"])
    assert again.exit_code == 0, again.output


def test_compare_one_file_says_to_use_run(tiny_file: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["compare", str(tiny_file), "--out", str(tmp_path / "c")])
    assert result.exit_code == 2 and f"salessim run {tiny_file}" in result.stderr


def test_a_failure_after_the_folder_was_made_removes_it(
    tiny_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from salessim.errors import SalessimError
    from salessim.experiment import replications as experiment

    def broken(*args: object, **kwargs: object) -> None:
        raise SalessimError("the cluster went away")

    monkeypatch.setattr(experiment, "run", broken)
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(tiny_file), "-n", "2", "--out", str(out), "-q"])
    assert result.exit_code == 2 and "the cluster went away" in result.stderr
    assert not out.exists()


def test_version() -> None:
    import salessim

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.strip() == f"salessim {salessim.__version__}"


def test_a_normal_run_prints_no_warning(tmp_path: Path) -> None:
    import subprocess
    import sys

    files = [str(ROOT / "scenarios" / f"{n}.yaml") for n in ("super_seller", "three_step")]
    done = subprocess.run(
        [sys.executable, "-W", "default", "-m", "salessim", "compare", *files, "-n", "6",
         "--seed", "1", "--out", str(tmp_path / "c"), "-w", "2"],
        capture_output=True, text=True, timeout=600, check=False, env={"COLUMNS": "80",
        "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr and "warn" not in done.stdout.lower(), done.stderr
    widths = [len(line) for line in done.stdout.splitlines()]
    assert max(widths) <= 80 and "…" not in done.stdout
    assert "Profit (EUR)" in done.stdout
    assert "EUR more revenue a year than super_seller" in done.stdout  # a verdict in money
    assert "In short:" in done.stdout


def test_a_run_of_the_written_scenario_json_gives_the_same_files(tmp_path: Path) -> None:
    """`salessim run results/x/scenario.json` with the run's seed reproduces its results to
    the byte (the scenario has a role workforce override, which the written form once lost)."""
    import hashlib

    role = "  lead_manager: {headcount: 2, workforce: {vacation_days_per_year: 0}}"
    path = tmp_path / "s.yaml"
    path.write_text(MINIMAL_YAML.replace("  lead_manager: {headcount: 2}", role)
                    + "workforce: {sick_days_per_year: 30}\n")  # fmt: skip
    first, second = tmp_path / "first", tmp_path / "second"
    args = ["-n", "3", "--seed", "8", "-w", "1", "-q"]
    assert runner.invoke(app, ["run", str(path), "--out", str(first), *args]).exit_code == 0
    written = str(first / "scenario.json")
    assert runner.invoke(app, ["run", written, "--out", str(second), *args]).exit_code == 0
    for name in ("replications.parquet", "people.parquet"):
        digests = {hashlib.sha256((d / name).read_bytes()).hexdigest() for d in (first, second)}
        assert len(digests) == 1, name
