"""The Python API of docs/python.md: every example there runs as a plain script and does what
its comments say."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import salessim

from .conftest import make_scenario

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = re.findall(r"```python\n(.+?)```", (ROOT / "docs" / "python.md").read_text(), re.S)


def test_the_page_has_an_example_of_each_function() -> None:
    code = "\n".join(EXAMPLES)
    for name in ("load", "run", "compare", "differences", "sweep", "stress"):
        assert f"salessim.{name}(" in code


@pytest.mark.parametrize("index", range(len(EXAMPLES)))
def test_example_runs_as_a_plain_script(index: int, tmp_path: Path) -> None:
    script = tmp_path / f"example_{index}.py"
    script.write_text(EXAMPLES[index], encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True,
                          text=True, timeout=600, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr


def test_workers_from_a_script_without_a_main_guard(tmp_path: Path) -> None:
    """A notebook-style script (no `if __name__ == "__main__":`) with two workers."""
    script = tmp_path / "unguarded.py"
    script.write_text(
        "import salessim\n"
        "sc = salessim.load('scenarios/super_seller.yaml')\n"
        "one = salessim.run(sc, replications=6, seed=2, workers=1)\n"
        "two = salessim.run(sc, replications=6, seed=2, workers=2)\n"
        "assert one.replications.equals(two.replications)\n",
        encoding="utf-8",
    )
    done = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True,
                          text=True, timeout=600, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]


def test_overridden_scenarios_get_names_that_say_what_changed(tmp_path: Path) -> None:
    path = ROOT / "scenarios" / "two_level.yaml"
    base = salessim.load(path)
    four = salessim.load(path, {"roles.designer.headcount": 4})
    assert four.name == f"{base.name}_designer_headcount_4"
    renamed = salessim.load(path, {"roles.designer.headcount": 4, "name": "mine"})
    assert renamed.name == "mine"
    runs = salessim.compare([base, four], replications=8, seed=3)
    diffs = salessim.differences(runs)
    assert set(diffs["scenario"]) == {four.name} and set(diffs["baseline"]) == {base.name}
    for verdict in filter(None, diffs["verdict"]):
        assert verdict.startswith(four.name) and f" than {base.name} (" in verdict


def test_differences_of_a_single_run_is_an_empty_table() -> None:
    runs = salessim.compare([make_scenario(horizon_days=20)], replications=2, seed=1)
    table = salessim.differences(runs)
    assert table.empty and "verdict" in table.columns


def test_import_salessim_stays_light() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import sys, salessim.cli; "
         "print(sorted(m for m in ('pandas', 'numpy', 'scipy', 'plotly', 'pydantic', 'simpy') "
         "if m in sys.modules))"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert done.stdout.strip() == "[]"
