"""Exceptions of salessim, one family per layer.

`ScenarioError` carries every problem found in a scenario file (file, line, key path, message);
the CLI turns it into a readable paragraph and exit code 2. The engine raises
`SimulationError` only for states that validation should have made impossible.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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

    def sort_key(self) -> tuple[str, int, int, str]:
        """Order problems as a reader meets them: by file, line, column, then key path."""
        return (self.file or "", self.line or 0, self.column or 0, self.path)


class SalessimError(Exception):
    """Base class of every error salessim raises on purpose."""


class ScenarioError(SalessimError):
    """A scenario file or object is invalid; `problems` lists every reason at once.

    `file` is the file the user asked to load (None for overrides or in-memory data); the
    problems themselves may point into other files, such as a `base:` file.
    """

    def __init__(self, problems: list[Problem], *, file: str | None = None) -> None:
        self.problems = problems
        self.file = file
        super().__init__("\n".join(str(p) for p in problems))

    def __reduce__(self) -> tuple[Any, ...]:
        # The default rebuilds from `args` (the joined message), not from `problems`; the state
        # dict restores `file` and anything else set on the instance.
        return type(self), (self.problems,), self.__dict__


class SimulationError(SalessimError):
    """The engine reached a state that a validated scenario should never produce."""


class ResultsError(SalessimError):
    """A results folder cannot be written or read (exists, locked, unwritable, incomplete)."""


class WriteError(ResultsError):
    """A file could not be written (a full disk, a folder that is not writable)."""


class WorkerError(SalessimError):
    """A batch could not finish because a worker process or the cluster went away; the
    replications finished before it are kept and `--resume` continues."""
