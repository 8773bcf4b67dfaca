"""Scenario YAML -> plain Python data plus the file position of every key, read defensively.

The first half of loading (`loader` validates what this module returns):

1. read the file defensively (size, encoding, binary junk) and compose it into a node tree
   with libyaml (PyYAML's C parser: fast, positions kept);
2. walk the nodes into plain Python plus `positions` {key path: (file, line, column)}, reading
   scalars by YAML 1.2 rules (`no` is text, `0o17` octal) and refusing duplicate keys, custom
   tags, alias bombs ("billion laughs") and deep nesting;
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

import yaml
from yaml.error import MarkedYAMLError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import ReaderError

from salessim.errors import Problem, ScenarioError
from salessim.scenario.keypath import KeyPath, format_path
from salessim.scenario.messages import kind, show, yaml_text

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


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when the wheel has it


def _parse_yaml(text: str, shown: str) -> Node | None:
    """The node tree of `text` (None for an empty document); YAML errors raise ScenarioError."""
    _check_flow_depth(text, shown)
    try:
        node: Node | None = yaml.compose(text, Loader=_Loader)
        return node
    except MarkedYAMLError as exc:
        context = f" ({exc.context})" if exc.context else ""
        _fail(f"invalid YAML: {exc.problem}{context}", shown, *_mark(exc))
    except ReaderError as exc:
        message = f"contains a character YAML does not allow ({exc.character!r})"
        _fail(message, shown, _line_at(text, exc.position))
    except RecursionError:
        _fail(_TOO_DEEP, shown)
    except yaml.YAMLError as exc:  # libyaml words a few errors without a position
        _fail(f"invalid YAML: {str(exc).splitlines()[0] if str(exc) else exc!r}", shown)


def _mark(exc: MarkedYAMLError) -> tuple[int | None, int | None]:
    mark = exc.problem_mark or exc.context_mark
    return (mark.line + 1, mark.column + 1) if mark is not None else (None, None)


# ---------------------------------------------------------------------------------------- walking
CORE = "tag:yaml.org,2002:"
_BOOL = re.compile(r"true|True|TRUE|false|False|FALSE")
_NULL = re.compile(r"~|null|Null|NULL|")
_INT = re.compile(  # as ruamel.yaml's YAML 1.2 rules, but at least one digit
    r"[-+]?0b_*[0-1][0-1_]*|[-+]?0o?_*[0-7][0-7_]*|[-+]?_*[0-9][0-9_]*"
    r"|[-+]?0x_*[0-9a-fA-F][0-9a-fA-F_]*"
)
_FLOAT = re.compile(
    r"[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)"
    r"|[-+]?\._*[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
)
_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_STAMP = re.compile(
    r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[Tt]|[ \t]+)([0-9]{1,2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]*))?(?:[ \t]*(Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?"
)


class _Walker:
    """Turns a node tree into plain Python, recording positions and enforcing size limits."""

    def __init__(self, file: str, budget: list[int], text: str) -> None:
        self.file, self.budget, self.text = file, budget, text
        self.positions: Positions = {(): (file, 1, 1)}
        self.problems: list[Problem] = []

    def walk(self, node: Node, path: KeyPath, where: Position) -> Any:
        self._guard(path, where)
        if isinstance(node, MappingNode | SequenceNode):
            self._collection_tag(node, path)
        if isinstance(node, MappingNode):
            return self._mapping(node, path, where)
        if isinstance(node, SequenceNode):
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

    def _collection_tag(self, node: MappingNode | SequenceNode, path: KeyPath) -> None:
        """A mapping or list takes no tag but its own (`!custom {a: 1}`, `!!str [a]` refused)."""
        tag = str(node.tag)
        kind, own = ("mapping", "map") if isinstance(node, MappingNode) else ("list", "seq")
        if not tag.startswith(CORE):
            self._problem(path, f"custom YAML tag {tag} is not supported")
        elif tag != CORE + own:
            self._problem(path, f"YAML tag !!{tag.removeprefix(CORE)} does not fit a {kind}")

    def _mapping(self, node: MappingNode, path: KeyPath, where: Position) -> dict[str, Any]:
        out: dict[str, Any] = {}
        merged: list[dict[str, Any]] = []
        for key_node, value_node in node.value:
            if key_node.tag == CORE + "merge":
                merged += self._merge(value_node, path, where)
                continue
            name = self._key(key_node, path, where)
            here = (*path, name)
            if name in out:
                start = node.start_mark.line + 1
                _fail(f"duplicate key '{name}' (in the mapping starting on line {start}); each "
                      "key may appear only once", self.file, *self._at(key_node)[1:])  # fmt: skip
            self.positions[here] = self._at(key_node)
            out[name] = self.walk(value_node, here, self.positions[here])
        for extra in merged:  # `<<: *defaults`: keys written here win
            out = {**extra, **out}
        return out

    def _merge(self, node: Node, path: KeyPath, where: Position) -> list[dict[str, Any]]:
        sources = node.value if isinstance(node, SequenceNode) else [node]
        found = [self.walk(src, path, where) for src in sources]
        if not all(isinstance(f, dict) for f in found):
            self._problem(path, "a merge key (<<) must name a mapping or a list of mappings")
            return []
        return found  # the first mapping listed wins, as YAML says

    def _sequence(self, node: SequenceNode, path: KeyPath, where: Position) -> list[Any]:
        items = []
        for i, value in enumerate(node.value):
            self.positions[(*path, i)] = self._at(value)
            items.append(self.walk(value, (*path, i), self.positions[(*path, i)]))
        return items

    def _scalar(self, node: Node, path: KeyPath) -> Any:
        tag, value = str(node.tag), str(node.value)
        explicit = self._explicit_tag(node)
        if explicit and not tag.startswith(CORE):
            self._problem(path, f"custom YAML tag {tag} is not supported")
            return value
        if not writable(value):
            self._problem(path, UNWRITABLE)
            return value.encode("utf-8", "replace").decode("utf-8")
        if getattr(node, "style", None) and not explicit:
            return value  # quoted or block text is text
        wanted = tag.removeprefix(CORE) if explicit else None
        try:
            return _resolve_scalar(value, wanted)
        except ValueError as exc:
            self._problem(path, str(exc))
            return value

    def _explicit_tag(self, node: Node) -> bool:
        """Whether the node was written with a tag (`!!str 3`, `!custom x`), not resolved."""
        start, end = node.start_mark.index, node.end_mark.index
        written = self.text[start:end].lstrip()
        if written.startswith("&"):  # an anchor first: `&a !!str x`
            written = written.split(maxsplit=1)[-1] if " " in written else ""
        return written.startswith("!")

    def _key(self, node: Node, path: KeyPath, where: Position) -> str:
        if not isinstance(node, ScalarNode):
            self._problem(path, "complex (list or mapping) keys are not supported", where)
            return f"<{type(node).__name__}>"
        key = self._scalar(node, path)
        if isinstance(key, str) and not writable(key):
            self._problem(path, f"a key {UNWRITABLE}", where)
        return yaml_text(key)

    def _at(self, node: Node) -> Position:
        return (self.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def _problem(self, path: KeyPath, message: str, where: Position | None = None) -> None:
        _, line, col = where or self.positions.get(path, (self.file, 1, 1))
        self.problems.append(Problem(format_path(path), message, self.file, line, col))


def _resolve_scalar(value: str, tag: str | None) -> Any:
    """A scalar by YAML 1.2 core rules (as ruamel.yaml reads them), or as its explicit `tag`."""
    if tag in (None, "null") and _NULL.fullmatch(value):
        return None
    if tag in (None, "bool") and _BOOL.fullmatch(value):
        return value.lower() == "true"
    if tag in (None, "int") and _INT.fullmatch(value):
        return _int(value.replace("_", ""))
    if tag in (None, "float") and (_FLOAT.fullmatch(value) or (tag and _INT.fullmatch(value))):
        return float(value.replace("_", "").replace(".inf", "inf").replace(".Inf", "inf")
                     .replace(".INF", "inf").lower().replace(".nan", "nan"))  # fmt: skip
    if tag in (None, "timestamp"):
        stamp = _timestamp(value)
        if stamp is not None:
            return stamp
    if tag in (None, "str"):
        return value
    raise ValueError(f"'{value}' is not a valid !!{tag} value")


def _int(text: str) -> int:
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-")
    for prefix, base in (("0b", 2), ("0x", 16), ("0o", 8)):
        if digits.startswith(prefix):
            return sign * int(digits[2:], base)
    return sign * int(digits, 10)


def _timestamp(value: str) -> dt.date | dt.datetime | None:
    day = _DATE.fullmatch(value)
    try:
        if day:
            return dt.date(*(int(g) for g in day.groups()))
        stamp = _STAMP.fullmatch(value)
        if stamp is None:
            return None
        y, mo, d, h, mi, sec, frac, zone = stamp.groups()
        micro = int((frac or "0")[:6].ljust(6, "0"))
        tz = _zone(zone)
        return dt.datetime(int(y), int(mo), int(d), int(h), int(mi), int(sec), micro, tzinfo=tz)
    except ValueError as exc:
        raise ValueError(f"'{value}' is not a valid date ({exc})") from None


def _zone(text: str | None) -> dt.timezone | None:
    if text is None:
        return None
    if text == "Z":
        return dt.UTC
    hours, _, minutes = text[1:].partition(":")
    offset = dt.timedelta(hours=int(hours), minutes=int(minutes or 0))
    return dt.timezone(-offset if text[0] == "-" else offset)


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
    text = text.strip()
    if len(text) > MAX_BYTES:
        raise ValueError("a value longer than 1 MB")
    try:
        node = _parse_yaml(text, file) if text else None
    except ScenarioError as exc:
        raise ValueError(exc.problems[0].message) from None
    if node is None:
        return None
    value, walker = _plain(node, file, [MAX_NODES], text)
    if walker.problems:
        raise ValueError(walker.problems[0].message)
    return value


def _plain(node: Node, file: str, budget: list[int], text: str) -> tuple[Any, _Walker]:
    """Walk a whole node tree; the walker holds its positions and problems."""
    walker = _Walker(file, budget, text)
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


def _walk_scalar(node: Node, shown: str) -> Any:
    value, _ = _plain(node, shown, [MAX_NODES], "")
    return value


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
    text = _read_text(path, shown)
    root = _parse_yaml(text, shown)
    if root is None:
        _fail("is empty; a scenario needs name, horizon_days, leads, stages and roles", shown)
    if not isinstance(root, MappingNode):
        got = kind([]) if isinstance(root, SequenceNode) else kind(_walk_scalar(root, shown))
        _fail(f"top level must be a mapping (name:, stages:, ...), got {got}", shown, 1, 1)
    data, walker = _plain(root, shown, budget, text)
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
