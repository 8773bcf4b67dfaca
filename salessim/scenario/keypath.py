"""Key paths: how a place in scenario data is named (`leads[0].per_day`), parsed and looked up.

A key path is a tuple of mapping keys (str) and list indexes (int); `()` is the whole scenario.
`yamlfile` records YAML positions by key path, `messages` and `loader` name problems with
`format_path`, and `--set` overrides are parsed with `parse_path`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

Key = str | int
KeyPath = tuple[Key, ...]

_SEGMENT = re.compile(r"([^.\[\]\s]+)((?:\[\d+\])*)")


def format_path(path: Iterable[Key]) -> str:
    """`("leads", 0, "per_day")` -> `leads[0].per_day`; the empty path is ``""``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}" if out else str(part)
    return out


def parse_path(text: str) -> KeyPath | None:
    """`leads[0].per_day` -> `("leads", 0, "per_day")`; None if `text` is not a key path."""
    parts: list[Key] = []
    for segment in text.split("."):
        match = _SEGMENT.fullmatch(segment)
        if match is None:
            return None
        parts.append(match.group(1))
        parts.extend(int(i) for i in re.findall(r"\d+", match.group(2)))
    return tuple(parts)


def get_path(data: Any, path: KeyPath) -> Any:
    """The value at `path` inside `data`, or None where the path leads nowhere."""
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data
