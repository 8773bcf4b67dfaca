"""`--set key.path=value` overrides: parsed from the command line and applied to plain data.

`loader.load` applies them after `yamlfile` has read the scenario and before validation, and
reports problems in overridden keys against the pseudo-file `--set` (`OVERRIDE_FILE`).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from salessim.errors import Problem, ScenarioError
from salessim.scenario.keypath import KeyPath, format_path, parse_path
from salessim.scenario.messages import kind
from salessim.scenario.yamlfile import read_value

OVERRIDE_FILE = "--set"


class _PathError(Exception):
    """An override path that cannot be set; the message says why."""


def parse_override(text: str) -> tuple[str, Any]:
    """Split `key.path=value` and read the value as YAML (`3` int, `0.5` float, `[1,2]` list)."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or parse_path(key) is None:
        message = f"expected key.path=value (e.g. leads[0].per_day=5), got {text!r}"
        raise ScenarioError([Problem(key, message, OVERRIDE_FILE)])
    try:
        value = read_value(raw, OVERRIDE_FILE)
    except Exception as exc:
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        problem = Problem(key, f"cannot read the value as YAML: {first}", OVERRIDE_FILE)
        raise ScenarioError([problem]) from None
    return key, value


def apply_overrides(data: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Return a deep copy of `data` with every `key.path: value` of `overrides` set.

    Missing mapping keys are created; list indexes must exist. Raises `ScenarioError` (file
    `--set`) listing every path that cannot be set.
    """
    out, _, problems = try_overrides(data, overrides)
    if problems:
        raise ScenarioError(problems)
    return out


def try_overrides(
    data: Mapping[str, Any], overrides: Mapping[str, Any]
) -> tuple[dict[str, Any], list[KeyPath], list[Problem]]:
    """`apply_overrides` without raising: (data, key paths set or created, problems)."""
    out = copy.deepcopy(dict(data))
    touched: list[KeyPath] = []
    problems: list[Problem] = []
    for key, value in overrides.items():
        try:
            path = _override_path(str(key))
            touched.append(_set_path(out, path, copy.deepcopy(value)))
        except _PathError as exc:
            problems.append(Problem(str(key), str(exc), OVERRIDE_FILE))
    return out, touched, problems


def _override_path(text: str) -> KeyPath:
    path = parse_path(text)
    if path is None:
        raise _PathError("is not a key path like roles.designer.headcount or leads[0].per_day")
    if path[0] == "base":
        raise _PathError("base cannot be overridden; load the base file instead")
    return path


def _set_path(data: dict[str, Any], path: KeyPath, value: Any) -> KeyPath:
    """Set `value` at `path`; return the outermost path that was created or replaced."""
    node: Any = data
    for i, part in enumerate(path):
        _check_step(node, part, format_path(path[:i]) or "the top level")
        if i == len(path) - 1:
            node[part] = value
            return path
        if isinstance(part, str) and node.get(part) is None:
            return _create(node, path, i, value)
        node = node[part]
    return path


def _check_step(node: Any, part: Any, where: str) -> None:
    """Raise `_PathError` unless `node` (at `where`) is a container that `part` can index."""
    if isinstance(part, int):
        if not isinstance(node, list):
            raise _PathError(f"{where} is {kind(node)}, not a list")
        if part >= len(node):
            raise _PathError(f"index {part} is out of range: {where} has {len(node)} items")
    elif not isinstance(node, dict):
        raise _PathError(f"{where} is {kind(node)}, not a mapping")


def _create(node: dict[Any, Any], path: KeyPath, i: int, value: Any) -> KeyPath:
    """Create the missing mapping `path[i]` in `node` and set `value` below it."""
    if isinstance(path[i + 1], int):
        raise _PathError(f"{format_path(path[: i + 1])} does not exist; list items must exist")
    node[path[i]] = {}
    _set_path(node[path[i]], path[i + 1 :], value)
    return path[: i + 1]
