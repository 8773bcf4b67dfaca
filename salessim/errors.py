"""Exceptions of salessim, one family per layer.

`ScenarioError` carries every problem found in a scenario file (file, line, key path, message);
the CLI turns it into a readable paragraph and exit code 2. The engine raises
`SimulationError` only for states that validation should have made impossible.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario, located by key path and (when known) YAML position."""

    path: str
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = self.file or "<scenario>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        key = self.path or "(top level)"
        return f"{where} {key}: {self.message}"


class SalessimError(Exception):
    """Base class of every error salessim raises on purpose."""


class ScenarioError(SalessimError):
    """A scenario file or object is invalid; `problems` lists every reason at once."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class SimulationError(SalessimError):
    """The engine reached a state that a validated scenario should never produce."""


class ResultsError(SalessimError):
    """A results folder cannot be written or read (exists, locked, unwritable, incomplete)."""
