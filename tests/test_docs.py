"""The documentation cannot drift from the code."""

from __future__ import annotations

import re
from pathlib import Path

from salessim import reference
from salessim.experiment.replications import run_replication
from salessim.scenario.models import Scenario

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_scenario_reference_is_generated_from_models() -> None:
    on_disk = (DOCS / "scenario-format.md").read_text(encoding="utf-8")
    assert on_disk == reference.markdown(), (
        "docs/scenario-format.md is stale: run python -m salessim.reference > "
        "docs/scenario-format.md"
    )


def test_every_metric_is_in_the_glossary(tiny: Scenario) -> None:
    text = (DOCS / "metrics.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([^`]+)` \|", text, flags=re.M))
    for name in run_replication(tiny, 1, 0):
        if name == "replication":
            continue
        generic = re.sub(
            r"^(stage|role|source)\.[^.]+\.",
            lambda m: f"{m.group(1)}.<{ {'stage': 's', 'role': 'r', 'source': 'x'}[m.group(1)] }>.",
            name,
        )
        assert generic in documented, f"metric {name} is not in docs/metrics.md"


def test_cli_reference_is_generated_from_help() -> None:
    on_disk = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert on_disk == reference.cli_markdown(), (
        "docs/cli.md is stale: run python -m salessim.reference --cli > docs/cli.md"
    )
