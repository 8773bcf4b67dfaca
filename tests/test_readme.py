"""README's quick start is what CI runs, and its main job works on the shipped scenarios."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from salessim.cli import app
from salessim.scenario import loader
from salessim.scenario.models import Scenario

ROOT = Path(__file__).resolve().parent.parent


def quick_start_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```bash\n(.+?)\n```", text)[:2]


def test_ci_runs_the_readme_test_command() -> None:
    _, test_command = quick_start_commands()
    assert "pytest" in test_command
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_main_job_answers_one_question_on_one_market(tmp_path: Path) -> None:
    """The first command compares the SME market's structures against today's super-seller
    (like for like: same market, the generalists at the three-step's headcount) and prints
    verdicts in money."""
    main_job, _ = quick_start_commands()
    args = shlex.split(main_job.split("&&")[-1])[1:]
    files = [a for a in args if a.endswith(".yaml")]
    assert files[0] == "scenarios/super_seller.yaml"
    scenarios = [loader.load(ROOT / f) for f in files]

    def market(s: Scenario) -> str:
        data = s.model_dump(mode="json")
        funnel = {k: (st["success"], st["work_hours"]) for k, st in data["stages"].items()}
        return json.dumps([data["leads"], data["deal_value"], data["calendar"], funnel])

    markets = {market(s) for s in scenarios}
    assert len(markets) == 1, "the compared files must share one market"
    heads = {s.name: sum(r.headcount for r in s.roles.values()) for s in scenarios}
    assert heads["three_step"] == heads["three_generalists"] == 3
    args[args.index("-n") + 1] = "12"
    args[args.index("--out") + 1] = str(tmp_path / "sme")
    result = CliRunner().invoke(app, [*args, "-w", "1"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert "EUR more revenue a year than super_seller" in result.stdout
    assert "In short:" in result.stdout and "Most profit:" in result.stdout
    assert len(list((tmp_path / "sme").glob("*/summary.csv"))) == len(files)


def test_every_shipped_scenario_runs(tmp_path: Path) -> None:
    files = sorted(str(p) for p in (ROOT / "scenarios").glob("*.yaml"))
    out = tmp_path / "comparison"
    args = ["compare", *files, "-n", "2", "--seed", "1", "--out", str(out), "-w", "1", "-q"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert len(list(out.glob("*/summary.csv"))) == len(files)


DOC_FILES = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
    ROOT / "bench" / "README.md",
]
PATH_LIKE = re.compile(
    r"(?<![\w./-])((?:[\w.-]+/)+[\w.-]+\.(?:yaml|csv|py|md|json|parquet|html|txt))"
)


@pytest.mark.parametrize("doc", DOC_FILES, ids=lambda p: p.name)
def test_docs_name_only_files_that_are_in_the_repository(doc: Path) -> None:
    """Every repository path a page names (scenarios/x.yaml, docs/y.md, tests/z.py) exists.

    Paths of results a command writes (results/..., a run's own folder) are outputs, not files
    of the repository, and are skipped."""
    text = doc.read_text(encoding="utf-8")
    missing = []
    written = ("--out ", "-o ")  # a path after these is made by the command shown
    outputs = {m.group(1) for m in PATH_LIKE.finditer(text) if text[: m.start()].endswith(written)}
    named = set(PATH_LIKE.findall(text)) - outputs
    named |= set(FOLDER_LIKE.findall(text))
    for path in sorted(named):
        if path.startswith(("results/", "/", "http")) or "<" in path:
            continue
        if (
            path.split("/")[0] in TOP_FOLDERS
            and not (ROOT / path).exists()
            and not (doc.parent / path).exists()
        ):
            missing.append(path)
    assert not missing, f"{doc.name} names files that are not in the repository: {missing}"


FOLDER_LIKE = re.compile(r"`((?:[\w.-]+/)+)`")
TOP_FOLDERS = {"scenarios", "docs", "tests", "bench", "salessim", "shared", ".ci", "seeds"}
