"""Scenario YAML -> plain Python data plus the file position of every key, read defensively.

The first half of loading (`loader` validates what this module returns):

1. read the file defensively (size, encoding, binary junk) and parse it with ruamel.yaml in
   round-trip mode (YAML 1.2: `no` is a string, duplicate keys are errors, positions are kept);
2. walk the tree into plain Python plus `positions` {key path: (file, line, column)}, refusing
   alias bombs ("billion laughs") and deep nesting;
3. resolve `base: other.yaml` inheritance (deep merge, the child wins).

`overrides` reads `--set` values with `read_value`. Every problem raises `ScenarioError`;
nothing here knows about the `Scenario` model.
"""

from __future__ import annotations

import datetime as dt
import re
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from ruamel.yaml import YAML
from ruamel.yaml.comments import TaggedScalar
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.scalarbool import ScalarBoolean

from salessim.errors import Problem, ScenarioError
from salessim.keypath import KeyPath, format_path
from salessim.messages import kind, show, yaml_text

MAX_BYTES = 1_000_000
MAX_NODES = 100_000
MAX_DEPTH = 50
MAX_BASES = 20

Position = tuple[str, int, int]
"""(file, 1-based line, 1-based column) of a key or list item."""
Positions = dict[KeyPath, Position]
Chain = tuple[tuple[Path, str], ...]
"""The files being loaded, outermost first: (resolved path, path as shown to the user)."""

_TOO_DEEP = f"is nested more than {MAX_DEPTH} levels deep"
_FLOW_TOKENS = re.compile(r"""#[^\n]*|"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[\[\]{}]""")


def _fail(
    message: str, file: str, line: int | None = None, column: int | None = None, *, path: str = ""
) -> NoReturn:
    raise ScenarioError([Problem(path, message, file, line, column)])


def _line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


# ---------------------------------------------------------------------------------------- reading
def _read_text(path: Path, shown: str) -> str:
    raw = _read_bytes(path, shown)
    if len(raw) > MAX_BYTES:
        _fail("file is larger than 1 MB; a scenario file should be a few kilobytes", shown)
    encoding = _wide_encoding(raw)
    if encoding:
        _fail(f"is {encoding} text; save it as UTF-8 (most editors offer it under "
              "'Save as' or 'Encoding')", shown)  # fmt: skip
    if b"\x00" in raw:
        _fail("looks like a binary file, not YAML text", shown)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        _fail(f"is not UTF-8 text (byte 0x{raw[exc.start]:02x}); save it as UTF-8", shown, line)


def _wide_encoding(raw: bytes) -> str | None:
    """'UTF-16' or 'UTF-32' for text saved so (by its byte-order mark, or, without one, by the
    zero bytes between ASCII characters), else None."""
    for mark, name in ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"),
                       (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16")):  # fmt: skip
        if raw.startswith(mark):
            return name
    sample = raw[:400]
    if len(sample) < 8:
        return None
    if sample.count(0) >= 0.6 * len(sample):
        return "UTF-32"
    halves = [sample[0::2].count(0) / len(sample[0::2]), sample[1::2].count(0) / len(sample[1::2])]
    if max(halves) >= 0.75 and min(halves) < 0.1:
        return "UTF-16"
    return None


def _read_bytes(path: Path, shown: str) -> bytes:
    """At most MAX_BYTES + 1 bytes of a regular file."""
    try:
        mode = path.stat().st_mode
        if stat.S_ISDIR(mode):
            _fail("is a directory, not a scenario file", shown)
        if not stat.S_ISREG(mode):
            _fail("is not a regular file", shown)
        with path.open("rb") as fh:
            return fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        _fail("file not found", shown)
    except PermissionError:
        _fail("permission denied: cannot read the file", shown)
    except (OSError, ValueError) as exc:
        _fail(f"cannot read the file: {getattr(exc, 'strerror', None) or exc}", shown)


def _check_flow_depth(text: str, shown: str) -> None:
    """Refuse deeply nested `[[[...` before the parser spends seconds recursing into them."""
    depth = 0
    for match in _FLOW_TOKENS.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > MAX_DEPTH:
                _fail(_TOO_DEEP, shown, _line_at(text, match.start()))
        elif token in ("]", "}"):
            depth = max(depth - 1, 0)


def _parse_yaml(text: str, shown: str) -> Any:
    _check_flow_depth(text, shown)
    try:
        return YAML(typ="rt").load(text)
    except DuplicateKeyError as exc:
        _fail(_duplicate_message(exc), shown, *_mark(exc))
    except MarkedYAMLError as exc:
        context = f" ({exc.context})" if exc.context else ""
        _fail(f"invalid YAML: {exc.problem}{context}", shown, *_mark(exc))
    except ReaderError as exc:
        message = f"contains a character YAML does not allow ({exc.character!r})"
        _fail(message, shown, _line_at(text, exc.position))
    except RecursionError:
        _fail(_TOO_DEEP, shown)
    except Exception as exc:  # ruamel raises a few other types on odd input
        _fail(f"invalid YAML: {str(exc).splitlines()[0] if str(exc) else exc!r}", shown)


def _mark(exc: MarkedYAMLError) -> tuple[int | None, int | None]:
    mark = exc.problem_mark or exc.context_mark
    return (mark.line + 1, mark.column + 1) if mark is not None else (None, None)


def _duplicate_message(exc: MarkedYAMLError) -> str:
    found = re.search(r'duplicate key "(.*?)" with value', exc.problem or "")
    start = (
        f" (in the mapping starting on line {exc.context_mark.line + 1})"
        if exc.context_mark
        else ""
    )
    return (
        f"duplicate key '{found.group(1) if found else '?'}'{start}; each key may appear only once"
    )


# ---------------------------------------------------------------------------------------- walking
class _Walker:
    """Turns a ruamel tree into plain Python, recording positions and enforcing size limits."""

    def __init__(self, file: str, budget: list[int]) -> None:
        self.file, self.budget = file, budget
        self.positions: Positions = {(): (file, 1, 1)}
        self.problems: list[Problem] = []

    def walk(self, node: Any, path: KeyPath, where: Position) -> Any:
        self._guard(path, where)
        if isinstance(node, dict):
            return self._mapping(node, path, where)
        if isinstance(node, list):
            return self._sequence(node, path, where)
        return self._scalar(node, path)

    def _guard(self, path: KeyPath, where: Position) -> None:
        self.budget[0] -= 1
        if self.budget[0] < 0:
            _fail(
                f"is too big: more than {MAX_NODES} values once aliases are expanded "
                "(refused to guard against 'billion laughs' alias bombs)",
                self.file,
            )
        if len(path) > MAX_DEPTH:
            _fail(_TOO_DEEP, self.file, where[1], where[2])

    def _mapping(self, node: dict[Any, Any], path: KeyPath, where: Position) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in node.items():
            name = self._key(key, path, where)
            here = (*path, name)
            self.positions[here] = self._lc(node, key, where)
            if name in out:
                self._problem(here, f"duplicate key '{name}'")
            out[name] = self.walk(value, here, self.positions[here])
        return out

    def _sequence(self, node: list[Any], path: KeyPath, where: Position) -> list[Any]:
        items = []
        for i, value in enumerate(node):
            self.positions[(*path, i)] = self._lc(node, i, where)
            items.append(self.walk(value, (*path, i), self.positions[(*path, i)]))
        return items

    def _scalar(self, node: Any, path: KeyPath) -> Any:
        if node is None or isinstance(node, bool):
            return node
        if isinstance(node, ScalarBoolean):
            return bool(node)
        if isinstance(node, str):
            text = str(node)
            if not writable(text):
                self._problem(path, UNWRITABLE)
                return text.encode("utf-8", "replace").decode("utf-8")
            return text
        for plain in (int, float):
            if isinstance(node, plain):
                return plain(node)
        if isinstance(node, dt.datetime):
            return dt.datetime(*node.timetuple()[:6], node.microsecond, tzinfo=node.tzinfo)
        if isinstance(node, dt.date):
            return dt.date(node.year, node.month, node.day)
        if isinstance(node, TaggedScalar):
            self._problem(path, f"custom YAML tag {node.tag} is not supported")
            return str(node.value)
        self._problem(path, f"unsupported YAML value ({type(node).__name__})")
        return None

    def _key(self, key: Any, path: KeyPath, where: Position) -> str:
        if isinstance(key, str) and not writable(key):
            self._problem(path, f"a key {UNWRITABLE}", where)
            return key.encode("utf-8", "replace").decode("utf-8")
        if isinstance(key, str | int | float | bool | dt.date) or key is None:
            return yaml_text(key)
        self._problem(path, "complex (list or mapping) keys are not supported", where)
        return str(key)

    def _lc(self, node: Any, key: Any, default: Position) -> Position:
        try:
            lc = node.lc
            line, col = lc.key(key) if isinstance(node, dict) else lc.item(key)
            return (self.file, line + 1, col + 1)
        except (AttributeError, KeyError, IndexError, TypeError):
            return default

    def _problem(self, path: KeyPath, message: str, where: Position | None = None) -> None:
        _, line, col = where or self.positions.get(path, (self.file, 1, 1))
        self.problems.append(Problem(format_path(path), message, self.file, line, col))


UNWRITABLE = (
    "holds a lone surrogate (such as \\ud800), which no UTF-8 file can hold; remove it or "
    "write the character itself"
)


def writable(text: str) -> bool:
    """Whether `text` can be written as UTF-8 (no lone surrogates, as `"\\ud800"` gives)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def read_value(text: str, file: str) -> Any:
    """A YAML snippet (such as the value of `--set key=value`) as plain data; raises on problems."""
    node = YAML(typ="rt").load(text.strip()) if len(text) <= MAX_BYTES else None
    value, walker = _plain(node, file, [MAX_NODES])
    if walker.problems:
        raise ValueError(walker.problems[0].message)
    return value


def _plain(node: Any, file: str, budget: list[int]) -> tuple[Any, _Walker]:
    """Walk a whole ruamel tree; the walker holds its positions and problems."""
    walker = _Walker(file, budget)
    return walker.walk(node, (), (file, 1, 1)), walker


# ------------------------------------------------------------------------------- files and bases
def load_data(
    path: str | Path, base_folders: Sequence[str | Path] = ()
) -> tuple[dict[str, Any], Positions]:
    """Read a scenario file and its `base:` chain into plain data and key positions.

    `data` holds only dict/list/str/int/float/bool/None/date, with `base` merged in and removed.
    `positions` maps each key path (`("leads", 0, "per_day")`; `()` is the file itself) to the
    (file, line, column) of that key or list item; inherited keys point into the base file.
    Nothing is validated; every file-level problem raises `ScenarioError`.

    A `base:` file must lie in the folder of `path` (or below it) or in one of `base_folders`,
    after following symlinks, and be a .yaml file: a scenario cannot make salessim read, and
    echo in its messages, any other file of the machine.
    """
    shown = str(path)
    try:
        file = Path(path)
        top = _resolve(file)
        roots = (top.parent, *(_resolve(Path(f)) for f in base_folders))
        return _load_tree(file, shown, ((top, shown),), [MAX_NODES], roots)
    except ScenarioError as exc:
        raise ScenarioError(sorted(exc.problems, key=Problem.sort_key), file=shown) from None


def _resolve(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError):
        return path


def _load_tree(
    path: Path, shown: str, chain: Chain, budget: list[int], roots: tuple[Path, ...]
) -> tuple[dict[str, Any], Positions]:
    data, positions = _load_file(path, shown, budget)
    if "base" not in data:
        return data, positions
    value, where = data.pop("base"), positions[("base",)]
    target, link = _find_base(path, shown, value, where, chain, roots)
    base, base_positions = _load_tree(target, link[1], (*chain, link), budget, roots)
    merged = _deep_merge(base, data)
    return merged, _merge_positions(merged, base_positions, positions)


def _load_file(path: Path, shown: str, budget: list[int]) -> tuple[dict[str, Any], Positions]:
    root = _parse_yaml(_read_text(path, shown), shown)
    if root is None:
        _fail("is empty; a scenario needs name, horizon_days, leads, stages and roles", shown)
    if not isinstance(root, dict):
        _fail(f"top level must be a mapping (name:, stages:, ...), got {kind(root)}", shown, 1, 1)
    data, walker = _plain(root, shown, budget)
    if walker.problems:
        raise ScenarioError(walker.problems)
    return data, walker.positions


def _find_base(
    path: Path, shown: str, value: Any, where: Position, chain: Chain, roots: tuple[Path, ...]
) -> tuple[Path, tuple[Path, str]]:
    """The file named by `base: value` in `path`, and its link (resolved, shown) in the chain."""

    def bad(message: str) -> NoReturn:
        _fail(message, *where, path="base")

    if not isinstance(value, str) or not value.strip():
        bad(f"must be the path of another scenario file, got {show(value)}")
    target, base_shown = path.parent / value, str(Path(shown).parent / value)
    key = _resolve(target)
    if any(key == seen for seen, _ in chain):
        bad("base files form a cycle: " + " -> ".join([*(s for _, s in chain), base_shown]))
    if len(chain) > MAX_BASES:
        bad(f"more than {MAX_BASES} levels of base files")
    try:
        exists = target.exists()
    except (OSError, ValueError) as exc:  # a name too long, a NUL byte...
        bad(f"base file {show(value)} cannot be read: {getattr(exc, 'strerror', None) or exc}")
    if not exists:
        bad(f"base file '{value}' not found (looked for {target})")
    if not any(key.is_relative_to(root) for root in roots):
        bad(f"base file '{value}' is outside the scenario's folder {roots[0]} (symlinks "
            "followed); keep base files in that folder or below it, or allow another folder "
            "with --base-dir")  # fmt: skip
    if key.suffix.lower() not in (".yaml", ".yml"):
        bad(f"base file '{value}' is not a .yaml file; base must name another scenario file")
    return target, (key, base_shown)


def _deep_merge(base: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """Child keys override base keys; mappings merge recursively, lists and scalars are replaced."""
    out = dict(base)
    for key, value in child.items():
        old = out.get(key)
        if isinstance(old, dict) and isinstance(value, dict):
            value = _deep_merge(old, value)
        out[key] = value
    return out


def _merge_positions(merged: Any, base: Positions, child: Positions) -> Positions:
    out: Positions = {(): child[()]}
    stack: list[tuple[KeyPath, Any]] = [((), merged)]
    while stack:
        path, node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            here = (*path, key)
            pos = child.get(here) or base.get(here)
            if pos is not None:
                out[here] = pos
            if isinstance(value, dict | list):
                stack.append((here, value))
    return out
