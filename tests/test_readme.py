"""README's quick start is what CI runs, and its main job works on the shipped scenarios."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from salessim.cli import app

ROOT = Path(__file__).resolve().parent.parent


def quick_start_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```bash\n(.+?)\n```", text)[:2]


def test_ci_runs_the_readme_test_command() -> None:
    _, test_command = quick_start_commands()
    assert "pytest" in test_command
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_main_job_compares_every_shipped_scenario(tmp_path: Path) -> None:
    main_job, _ = quick_start_commands()
    assert "salessim compare scenarios/*.yaml" in main_job
    files = sorted(str(p) for p in (ROOT / "scenarios").glob("*.yaml"))
    out = tmp_path / "comparison"
    args = ["compare", *files, "-n", "2", "--seed", "1", "--out", str(out), "-w", "1", "-q"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert len(list(out.glob("*/summary.csv"))) == len(files)
