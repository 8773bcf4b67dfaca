"""Scenario loader: YAML file -> plain data with positions -> validated, frozen `Scenario`.

It sits between the files users write and `salessim.scenario`, which knows nothing of YAML, and
ties together the modules that do the work:

1. `yamlfile` reads the file defensively into plain data plus the position of every key,
   resolving `base:` inheritance;
2. `overrides` applies `--set key.path=value` overrides;
3. `Scenario.model_validate` and `cross_check` validate the result, and `messages` words every
   pydantic error in plain English;
4. each problem gets a key path and a position, and all are raised together as one
   `ScenarioError`, which `format_error` renders for people.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from salessim.errors import Problem, ScenarioError
from salessim.scenario.crosscheck import cross_check
from salessim.scenario.keypath import KeyPath, format_path, parse_path
from salessim.scenario.messages import Found, field_errors
from salessim.scenario.models import MAX_NAME, Scenario, days_from_dates
from salessim.scenario.overrides import (
    OVERRIDE_FILE,
    apply_overrides,
    parse_override,
    try_overrides,
)
from salessim.scenario.yamlfile import Positions, load_data

MAX_SHOWN = 50
"""A message lists at most this many problems, then how many more there are."""

__all__ = ["apply_overrides", "format_error", "load", "load_data", "parse_override"]


def load(
    path: str | Path,
    overrides: Mapping[str, Any] | None = None,
    base_folders: Sequence[str | Path] = (),
) -> Scenario:
    """Load, merge, override and validate a scenario; raise `ScenarioError` with all problems.

    `base:` files must be in the scenario's folder tree or in one of `base_folders`."""
    data, positions = load_data(path, base_folders)
    touched: list[KeyPath] = []
    problems: list[Problem] = []
    if overrides:
        data, touched, problems = try_overrides(data, overrides)
        if "name" not in overrides and isinstance(data.get("name"), str):
            data["name"] = variant_name(data["name"], overrides)
    scenario, found = _validate(data, positions, touched)
    problems += found
    if problems or scenario is None:
        raise ScenarioError(sorted(problems, key=Problem.sort_key), file=str(path))
    return scenario


def variant_name(name: str, overrides: Mapping[str, Any]) -> str:
    """The name of a scenario changed by overrides: its own name plus what changed, so a verdict
    never reads "furniture has 29% less profit than furniture".

    >>> variant_name("two_level", {"roles.designer.headcount": 4})
    'two_level_designer_headcount_4'
    """
    parts = [name]
    for key, value in overrides.items():
        short = ".".join(str(key).split(".")[-2:])
        parts.append(re.sub(r"[^A-Za-z0-9]+", "_", f"{short}_{value}").strip("_"))
    return "_".join(p for p in parts if p)[:MAX_NAME]


def _validate(
    data: dict[str, Any], positions: Positions, touched: list[KeyPath]
) -> tuple[Scenario | None, list[Problem]]:
    data = days_from_dates(data)
    found: Found = []
    scenario = None
    try:
        scenario = Scenario.model_validate(data, context={"skip_cross_check": True})
    except ValidationError as exc:
        found += field_errors(exc, data)
    except Exception as exc:  # a validator tripped over malformed input
        found.append(((), f"cannot validate: {exc}"))
    try:
        found += [(parse_path(p) or (p,), message) for p, message in cross_check(data)]
    except Exception as exc:  # cross_check tolerates bad shapes; field errors explain the rest
        if not found:
            found.append(((), f"cannot cross-check: {exc}"))
    problems = [_locate(path, message, positions, touched) for path, message in found]
    return scenario, list(dict.fromkeys(problems))


def _locate(path: KeyPath, message: str, positions: Positions, touched: list[KeyPath]) -> Problem:
    shown = format_path(path)
    if any(path[: len(t)] == t for t in touched):
        return Problem(shown, message, OVERRIDE_FILE)
    for n in range(len(path), -1, -1):
        if path[:n] in positions:
            return Problem(shown, message, *positions[path[:n]])
    return Problem(shown, message)


def format_error(err: ScenarioError, file: str | Path | None = None) -> str:
    """Render a `ScenarioError`: a header, then one `file:line:col key: message` per problem."""
    files = [p.file for p in err.problems if p.file and p.file != OVERRIDE_FILE]
    name = file or err.file or (files[0] if files else "<scenario>")
    count = len(err.problems)
    head = f"Scenario {name} is invalid ({count:,} problem{'' if count == 1 else 's'}):"
    lines = [head, *(_one_line(str(p)) for p in err.problems[:MAX_SHOWN])]
    if count > MAX_SHOWN:
        lines.append(f"... and {count - MAX_SHOWN:,} more problems; fix these first")
    return "\n".join(lines)


def _one_line(text: str) -> str:
    """`text` with line breaks and other control characters (from keys in the file) escaped."""
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)
