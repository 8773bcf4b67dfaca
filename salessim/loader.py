"""Scenario loader: YAML file -> plain data with positions -> validated, frozen `Scenario`.

It sits between the files users write and `salessim.scenario`, which knows nothing of YAML:

1. read the file defensively (size, encoding, binary junk) and parse it with ruamel.yaml in
   round-trip mode (YAML 1.2: `no` is a string, duplicate keys are errors, positions are kept);
2. walk the tree into plain Python plus `positions` {key path: (file, line, column)}, refusing
   alias bombs ("billion laughs") and deep nesting;
3. resolve `base: other.yaml` inheritance (deep merge, the child wins) and apply `--set` overrides;
4. validate with pydantic and `cross_check`, turning every error into a `Problem` with a key path,
   a position and a plain-English message; all problems are raised together as one `ScenarioError`.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import re
import stat
import types
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from ruamel.yaml import YAML
from ruamel.yaml.comments import TaggedScalar
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.scalarbool import ScalarBoolean

from salessim.errors import Problem, ScenarioError
from salessim.scenario import Scenario, cross_check

MAX_BYTES = 1_000_000
MAX_NODES = 100_000
MAX_DEPTH = 50
MAX_BASES = 20
OVERRIDE_FILE = "--set"

Key = str | int
KeyPath = tuple[Key, ...]
Position = tuple[str, int, int]
"""(file, 1-based line, 1-based column) of a key or list item."""
Positions = dict[KeyPath, Position]

_NAME_PATTERN = "^[A-Za-z_][A-Za-z0-9_]*$"
_FLOW_TOKENS = re.compile(r"""#[^\n]*|"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[\[\]{}]""")
_SEGMENT = re.compile(r"([^.\[\]\s]+)((?:\[\d+\])*)")


class ScenarioFileError(ScenarioError):
    """A `ScenarioError` that remembers the file the user asked to load (for `format_error`)."""

    def __init__(self, problems: list[Problem], file: str | None = None) -> None:
        super().__init__(problems)
        self.file = file


class _PathError(Exception):
    """An override path that cannot be set; the message says why."""


def _fail(file: str, message: str, line: int | None = None, column: int | None = None) -> NoReturn:
    raise ScenarioError([Problem("", message, file, line, column)])


# ---------------------------------------------------------------------------------------- reading
def _read_text(path: Path, shown: str) -> str:
    try:
        mode = path.stat().st_mode
        if stat.S_ISDIR(mode):
            _fail(shown, "is a directory, not a scenario file")
        if not stat.S_ISREG(mode):
            _fail(shown, "is not a regular file")
        with path.open("rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        _fail(shown, "file not found")
    except PermissionError:
        _fail(shown, "permission denied: cannot read the file")
    except (OSError, ValueError) as exc:
        _fail(shown, f"cannot read the file: {getattr(exc, 'strerror', None) or exc}")
    if len(raw) > MAX_BYTES:
        _fail(shown, "file is larger than 1 MB; a scenario file should be a few kilobytes")
    if b"\x00" in raw:
        _fail(shown, "looks like a binary file, not YAML text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        _fail(shown, f"is not UTF-8 text (byte 0x{raw[exc.start]:02x}); save it as UTF-8", line)


def _check_flow_depth(text: str, shown: str) -> None:
    """Refuse deeply nested `[[[...` before the parser spends seconds recursing into them."""
    depth = 0
    for match in _FLOW_TOKENS.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > MAX_DEPTH:
                line = text.count("\n", 0, match.start()) + 1
                _fail(shown, f"is nested more than {MAX_DEPTH} levels deep", line)
        elif token in ("]", "}"):
            depth = max(depth - 1, 0)


def _parse_yaml(text: str, shown: str) -> Any:
    _check_flow_depth(text, shown)
    try:
        return YAML(typ="rt").load(text)
    except DuplicateKeyError as exc:
        _fail(shown, _duplicate_message(exc), *_mark(exc))
    except MarkedYAMLError as exc:
        context = f" ({exc.context})" if exc.context else ""
        _fail(shown, f"invalid YAML: {exc.problem}{context}", *_mark(exc))
    except ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        _fail(shown, f"contains a character YAML does not allow ({exc.character!r})", line)
    except RecursionError:
        _fail(shown, f"is nested more than {MAX_DEPTH} levels deep")
    except Exception as exc:  # ruamel raises a few other types on odd input
        _fail(shown, f"invalid YAML: {str(exc).splitlines()[0] if str(exc) else exc!r}")


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
        self.budget[0] -= 1
        if self.budget[0] < 0:
            _fail(
                self.file,
                f"is too big: more than {MAX_NODES} values once aliases are expanded "
                "(refused to guard against 'billion laughs' alias bombs)",
            )
        if len(path) > MAX_DEPTH:
            _fail(
                self.file,
                f"is nested more than {MAX_DEPTH} levels deep",
                where[1],
                where[2],
            )
        if isinstance(node, dict):
            out: dict[str, Any] = {}
            for key, value in node.items():
                name = self._key(key, path, where)
                here = (*path, name)
                self.positions[here] = self._lc(node, key, where)
                if name in out:
                    self._problem(here, f"duplicate key '{name}'")
                out[name] = self.walk(value, here, self.positions[here])
            return out
        if isinstance(node, list):
            items = []
            for i, value in enumerate(node):
                self.positions[(*path, i)] = self._lc(node, i, where)
                items.append(self.walk(value, (*path, i), self.positions[(*path, i)]))
            return items
        return self._scalar(node, path)

    def _scalar(self, node: Any, path: KeyPath) -> Any:
        if node is None or isinstance(node, bool):
            return node
        if isinstance(node, ScalarBoolean):
            return bool(node)
        for kind in (int, float, str):
            if isinstance(node, kind):
                return kind(node)
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
        if isinstance(key, str | int | float | bool | dt.date) or key is None:
            return _yaml_text(key)
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
        self.problems.append(Problem(_fmt_path(path), message, self.file, line, col))


def _yaml_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)


# ------------------------------------------------------------------------------- files and bases
def load_data(path: str | Path) -> tuple[dict[str, Any], Positions]:
    """Read a scenario file and its `base:` chain into plain data and key positions.

    `data` holds only dict/list/str/int/float/bool/None/date, with `base` merged in and removed.
    `positions` maps each key path (`("leads", 0, "per_day")`; `()` is the file itself) to the
    (file, line, column) of that key or list item; inherited keys point into the base file.
    Nothing is validated; every file-level problem raises `ScenarioError`.
    """
    shown = str(path)
    try:
        file = Path(path)
        return _load_tree(file, shown, ((_resolve(file), shown),), [MAX_NODES])
    except ScenarioError as exc:
        raise ScenarioFileError(_sorted(exc.problems), shown) from None


def _resolve(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError):
        return path


def _load_tree(
    path: Path, shown: str, chain: tuple[tuple[Path, str], ...], budget: list[int]
) -> tuple[dict[str, Any], Positions]:
    root = _parse_yaml(_read_text(path, shown), shown)
    if root is None:
        _fail(shown, "is empty; a scenario needs name, horizon_days, leads, stages and roles")
    if not isinstance(root, dict):
        _fail(shown, f"top level must be a mapping (name:, stages:, ...), got {_kind(root)}", 1, 1)
    walker = _Walker(shown, budget)
    data, positions = walker.walk(root, (), (shown, 1, 1)), walker.positions
    if walker.problems:
        raise ScenarioError(walker.problems)
    if "base" not in data:
        return data, positions
    value, where = data.pop("base"), positions[("base",)]

    def bad(message: str) -> NoReturn:
        raise ScenarioError([Problem("base", message, *where)])

    if not isinstance(value, str) or not value.strip():
        bad(f"must be the path of another scenario file, got {_show(value)}")
    target, base_shown = path.parent / value, str(Path(shown).parent / value)
    key = _resolve(target)
    if any(key == seen for seen, _ in chain):
        bad("base files form a cycle: " + " -> ".join([*(s for _, s in chain), base_shown]))
    if len(chain) > MAX_BASES:
        bad(f"more than {MAX_BASES} levels of base files")
    if not target.exists():
        bad(f"base file '{value}' not found (looked for {target})")
    base, base_positions = _load_tree(target, base_shown, (*chain, (key, base_shown)), budget)
    merged = _deep_merge(base, data)
    return merged, _merge_positions(merged, base_positions, positions)


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


# ------------------------------------------------------------------------------------ overrides
def _fmt_path(path: Iterable[Key]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}" if out else str(part)
    return out


def _parse_path(text: str) -> KeyPath | None:
    parts: list[Key] = []
    for segment in text.split("."):
        match = _SEGMENT.fullmatch(segment)
        if match is None:
            return None
        parts.append(match.group(1))
        parts.extend(int(i) for i in re.findall(r"\d+", match.group(2)))
    return tuple(parts)


def parse_override(text: str) -> tuple[str, Any]:
    """Split `key.path=value` and read the value as YAML (`3` int, `0.5` float, `[1,2]` list)."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or _parse_path(key) is None:
        message = f"expected key.path=value (e.g. leads[0].per_day=5), got {text!r}"
        raise ScenarioError([Problem(key, message, OVERRIDE_FILE)])
    try:
        node = YAML(typ="rt").load(raw.strip()) if len(raw) <= MAX_BYTES else None
        walker = _Walker(OVERRIDE_FILE, [MAX_NODES])
        value = walker.walk(node, (), (OVERRIDE_FILE, 1, 1))
        if walker.problems:
            raise ValueError(walker.problems[0].message)
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
    out, _, problems = _apply(data, overrides)
    if problems:
        raise ScenarioError(problems)
    return out


def _apply(
    data: Mapping[str, Any], overrides: Mapping[str, Any]
) -> tuple[dict[str, Any], list[KeyPath], list[Problem]]:
    out = copy.deepcopy(dict(data))
    touched: list[KeyPath] = []
    problems: list[Problem] = []
    for key, value in overrides.items():
        path = _parse_path(str(key))
        try:
            if path is None:
                raise _PathError(
                    "is not a key path like roles.designer.headcount or leads[0].per_day"
                )
            if path[0] == "base":
                raise _PathError("base cannot be overridden; load the base file instead")
            touched.append(_set_path(out, path, copy.deepcopy(value)))
        except _PathError as exc:
            problems.append(Problem(str(key), str(exc), OVERRIDE_FILE))
    return out, touched, problems


def _set_path(data: dict[str, Any], path: KeyPath, value: Any) -> KeyPath:
    """Set `value` at `path`; return the outermost path that was created or replaced."""
    node: Any = data
    for i, part in enumerate(path):
        where, last = _fmt_path(path[:i]) or "the top level", i == len(path) - 1
        if isinstance(part, int):
            if not isinstance(node, list):
                raise _PathError(f"{where} is {_kind(node)}, not a list")
            if part >= len(node):
                raise _PathError(f"index {part} is out of range: {where} has {len(node)} items")
        elif not isinstance(node, dict):
            raise _PathError(f"{where} is {_kind(node)}, not a mapping")
        elif not last and node.get(part) is None:
            if isinstance(path[i + 1], int):
                raise _PathError(
                    f"{_fmt_path(path[: i + 1])} does not exist; list items must exist"
                )
            node[part] = {}
            _set_path(node[part], path[i + 1 :], value)
            return path[: i + 1]
        if last:
            node[part] = value
            return path
        node = node[part]
    return path


# ----------------------------------------------------------------------------------- validation
def load(path: str | Path, overrides: Mapping[str, Any] | None = None) -> Scenario:
    """Load, merge, override and validate a scenario; raise `ScenarioError` with all problems."""
    data, positions = load_data(path)
    touched: list[KeyPath] = []
    problems: list[Problem] = []
    if overrides:
        data, touched, problems = _apply(data, overrides)
    scenario, found = _validate(data, positions, touched)
    problems += found
    if problems or scenario is None:
        raise ScenarioFileError(_sorted(problems), str(path))
    return scenario


def _validate(
    data: dict[str, Any], positions: Positions, touched: list[KeyPath]
) -> tuple[Scenario | None, list[Problem]]:
    found: list[tuple[KeyPath, str]] = []
    scenario = None
    try:
        scenario = Scenario.model_validate(data, context={"skip_cross_check": True})
    except ValidationError as exc:
        found += _field_errors(exc, data)
    except Exception as exc:  # a validator tripped over malformed input
        found.append(((), f"cannot validate: {exc}"))
    try:
        found += [(_parse_path(p) or (p,), message) for p, message in cross_check(data)]
    except Exception as exc:  # cross_check tolerates bad shapes; field errors explain the rest
        if not found:
            found.append(((), f"cannot cross-check: {exc}"))
    problems = [_locate(path, message, positions, touched) for path, message in found]
    return scenario, list(dict.fromkeys(problems))


def _locate(path: KeyPath, message: str, positions: Positions, touched: list[KeyPath]) -> Problem:
    shown = _fmt_path(path)
    if any(path[: len(t)] == t for t in touched):
        return Problem(shown, message, OVERRIDE_FILE)
    for n in range(len(path), -1, -1):
        if path[:n] in positions:
            return Problem(shown, message, *positions[path[:n]])
    return Problem(shown, message)


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.file or "", p.line or 0, p.column or 0, p.path))


def format_error(err: ScenarioError, file: str | Path | None = None) -> str:
    """Render a `ScenarioError`: a header, then one `file:line:col key: message` per problem."""
    files = [p.file for p in err.problems if p.file and p.file != OVERRIDE_FILE]
    name = file or getattr(err, "file", None) or (files[0] if files else "<scenario>")
    count = len(err.problems)
    head = f"Scenario {name} is invalid ({count} problem{'' if count == 1 else 's'}):"
    return "\n".join([head, *(str(p) for p in err.problems)])


# ------------------------------------------------------------------- pydantic errors in English
class _Loc:
    """Where a pydantic `loc` lands: the real key path and the model types along it."""

    def __init__(self, loc: Sequence[Key]) -> None:
        self.path: list[Key] = []
        self.parent: type[BaseModel] | None = None  # model owning the last key
        self.meta: list[Any] = []  # constraints (Ge, MaxLen...) of the type reached
        self.union: tuple[KeyPath, Any, tuple[Any, ...]] | None = None
        self.key_error = False
        tp: Any = Scenario
        key_type: Any = Any
        for part in loc:
            tp, members = _unwrap(tp, self.meta)
            if part == "[key]":
                self.key_error, tp, self.meta = True, key_type, []
                continue
            member = _member_for(members, part)
            if member is not None:
                if _discriminator(members) is None:
                    self.union = (tuple(self.path), member, members)
                tp = member
                continue
            if isinstance(tp, type) and issubclass(tp, BaseModel):
                field = _field(tp, part)
                self.parent = tp
                tp, self.meta = (field.annotation, list(field.metadata)) if field else (Any, [])
            elif get_origin(tp) is dict:
                key_type, tp = get_args(tp)
                self.meta = []
            elif get_origin(tp) in (list, tuple) and isinstance(part, int):
                args = get_args(tp)
                tp, self.meta = args[min(part, len(args) - 1)] if args else Any, []
            elif tp is not Any:
                continue  # a union member or validator name, not a key
            self.path.append(part)
        self.type, self.members = _unwrap(tp, self.meta)


def _unwrap(tp: Any, meta: list[Any]) -> tuple[Any, tuple[Any, ...]]:
    """Strip Annotated (collecting its constraints into `meta`) and Optional; split unions."""
    while True:
        if get_origin(tp) is Annotated:
            tp, *extra = get_args(tp)
            for item in extra:
                meta.extend(item.metadata if isinstance(item, FieldInfo) else [item])
        elif get_origin(tp) in (Union, types.UnionType):
            members = tuple(a for a in get_args(tp) if a is not type(None))
            if len(members) > 1:
                return tp, members
            tp = members[0]
        else:
            return tp, ()


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _field(model: type[BaseModel], key: Key) -> FieldInfo | None:
    return next((f for n, f in model.model_fields.items() if key in (n, f.alias)), None)


def _keys(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _tags_of(field: FieldInfo) -> tuple[Any, ...]:
    return get_args(field.annotation) if get_origin(field.annotation) is Literal else ()


def _tags(model: Any) -> list[str]:
    fields = model.model_fields.values() if _is_model(model) else []
    return [tag for f in fields for tag in _tags_of(f)]


def _discriminator(members: tuple[Any, ...]) -> str | None:
    models = [_unwrap(m, [])[0] for m in members]
    if not members or not all(_is_model(m) for m in models):
        return None
    literal = [{n for n, f in m.model_fields.items() if _tags_of(f)} for m in models]
    common = set.intersection(*literal)
    return min(common) if common else None


def _member_for(members: tuple[Any, ...], part: Key) -> Any:
    if not isinstance(part, str):
        return None
    for member in members:
        base = _unwrap(member, [])[0]
        name = getattr(get_origin(base) or base, "__name__", "")
        if part in _tags(base) or part.split("[")[0].removeprefix("constrained-") == name:
            return member
    return None


def _settle_unions(
    located: list[tuple[Any, _Loc]], data: Any
) -> tuple[list[tuple[Any, _Loc]], list[tuple[KeyPath, str]]]:
    """Plain unions report one error per member: keep the member matching the input's shape."""
    keep = [(e, at) for e, at in located if at.union is None]
    merged: list[tuple[KeyPath, str]] = []
    groups: dict[KeyPath, list[tuple[Any, _Loc, Any]]] = {}
    members: dict[KeyPath, tuple[Any, ...]] = {}
    for err, at in located:
        if at.union is not None:
            path, member, members[path] = at.union
            groups.setdefault(path, []).append((err, at, member))
    for path, errors in groups.items():
        value = _get(data, path)
        fitting = [(e, at) for e, at, m in errors if _shape(m) == _shape(type(value))]
        if fitting:
            keep += fitting
        else:
            wanted = " or ".join(dict.fromkeys(_WORDS[_shape(m)] for m in members[path]))
            merged.append((path, f"expected {wanted}, got {_show(value)}"))
    return keep, merged


def _field_errors(exc: ValidationError, data: dict[str, Any]) -> list[tuple[KeyPath, str]]:
    located = [(err, _Loc(err["loc"])) for err in exc.errors(include_url=False)]
    located, found = _settle_unions(located, data)
    suggested: set[KeyPath] = set()
    for err, at in located:
        path = tuple(at.path)
        if err["type"] == "extra_forbidden":
            message, suggestion = _unknown_key(at, data)
            if suggestion:
                suggested.add((*path[:-1], suggestion))
            found.append((path, message))
        else:
            found.append((path, _message(err, at)))
    missing = {tuple(at.path) for err, at in located if err["type"] == "missing"}
    return [(p, m) for p, m in found if not (p in suggested and p in missing)]


def _unknown_key(at: _Loc, data: Any) -> tuple[str, str | None]:
    key, parent = at.path[-1], at.path[:-1]
    where = f"in {_fmt_path(parent)}" if parent else "at the top level"
    allowed = _keys(at.parent) if at.parent else []
    present = _get(data, tuple(parent))
    free = [k for k in allowed if not isinstance(present, dict) or k not in present] or allowed
    close = difflib.get_close_matches(str(key), free, n=1)
    if close:
        return f"unknown key '{key}' {where}; did you mean '{close[0]}'?", close[0]
    return f"unknown key '{key}' {where}; allowed keys: {', '.join(allowed)}", None


_NUMBER = {"float_type", "float_parsing", "decimal_type", "decimal_parsing"}
_INT = {"int_type", "int_parsing", "int_from_float", "int_parsing_size"}
_DATE = {"date_type", "date_parsing", "date_from_datetime_parsing", "datetime_parsing"}
_MAPPING = {"dict_type", "model_type", "model_attributes_type", "dataclass_type"}
_SIMPLE = {
    "finite_number": "must be a finite number",
    "string_type": "expected text",
    "list_type": "expected a list",
    "tuple_type": "expected a list",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "date_from_datetime_inexact": "expected a date without a time of day",
}


def _message(err: Any, at: _Loc) -> str:
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    got = "" if at.key_error else f", got {_show(value)}"
    disc = _discriminator(at.members)
    tags = ", ".join(t for m in at.members for t in _tags(_unwrap(m, [])[0]))
    if kind == "missing":
        return _missing(at, err["loc"][-1])
    if kind in _NUMBER or kind in _INT:
        text = f"expected a {'whole ' if kind in _INT else ''}number{got}"
    elif kind in _DATE:
        text = f"expected a date like 2026-01-05{got}"
    elif kind in _SIMPLE:
        text = _SIMPLE[kind] + got
    elif kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        text = f"must be {_bounds(at.meta, ctx)}{got}"
    elif kind in ("too_short", "too_long", "string_too_short", "string_too_long"):
        text = _length(kind, at, ctx) + got
    elif kind == "string_pattern_mismatch":
        text = _pattern(str(ctx.get("pattern", ""))) + got
    elif kind in _MAPPING and disc:
        text = f"expected a number or a mapping with {disc}: (one of {tags}){got}"
    elif kind in _MAPPING:
        text = f"expected a mapping of keys{got}"
    elif kind == "union_tag_invalid":
        tag, wanted = ctx.get("tag"), str(ctx.get("expected_tags", tags)).replace("'", "")
        close = difflib.get_close_matches(str(tag), wanted.split(", "), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        text = f"unknown {disc or 'kind'} '{tag}'{hint}; use one of {wanted}"
    elif kind == "union_tag_not_found":
        text = f"missing '{disc}': give a number for a fixed value, or {disc}: one of {tags}"
    elif kind in ("value_error", "assertion_error"):
        text = str(ctx.get("error") or err["msg"])
    else:
        text = str(err["msg"])[:1].lower() + str(err["msg"])[1:] + got
    return f"invalid name {_show(value)}: {text}" if at.key_error else text


def _missing(at: _Loc, key: Key) -> str:
    if isinstance(key, int):
        return f"missing item [{key}]"
    field = _field(at.parent, key) if at.parent else None
    about = f" ({field.description})" if field and field.description else ""
    return f"missing required key '{key}'{about}"


def _bounds(meta: list[Any], ctx: Mapping[str, Any]) -> str:
    found = {
        a: v
        for a in ("gt", "ge", "lt", "le")
        for m in [*meta, ctx]
        if (v := (m.get(a) if isinstance(m, Mapping) else getattr(m, a, None))) is not None
    }
    if "ge" in found and "le" in found:
        return f"between {_show(found['ge'])} and {_show(found['le'])}"
    signs = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}
    return " and ".join(f"{signs[a]} {_show(v)}" for a, v in found.items())


def _length(kind: str, at: _Loc, ctx: Mapping[str, Any]) -> str:
    lo = next((m.min_length for m in at.meta if hasattr(m, "min_length")), ctx.get("min_length"))
    hi = next((m.max_length for m in at.meta if hasattr(m, "max_length")), ctx.get("max_length"))
    if get_origin(at.type) is tuple:
        lo = hi = len(get_args(at.type))
    unit = {"Dictionary": "entr"}.get(ctx.get("field_type", ""), "item")
    unit = "character" if kind.startswith("string") else unit
    if kind == "string_too_short" and lo == 1:
        return "must not be empty"
    if lo is not None and lo == hi:
        return f"must have exactly {_count(lo, unit)}"
    if kind.endswith("short"):
        return f"must have at least {_count(lo, unit)}"
    return f"must have at most {_count(hi, unit)}"


def _count(n: int | None, unit: str) -> str:
    if unit == "entr":
        return f"{n} entr{'y' if n == 1 else 'ies'}"
    return f"{n} {unit}{'' if n == 1 else 's'}"


def _pattern(pattern: str) -> str:
    if pattern == _NAME_PATTERN:
        return "must contain only letters, digits and _, and not start with a digit"
    choice = re.fullmatch(r"\^\(([\w|]+)\)\$", pattern)
    return (
        f"must be one of {choice.group(1).replace('|', ', ')}"
        if choice
        else f"must match {pattern}"
    )


_WORDS = {"list": "a list", "mapping": "a mapping", "text": "text", "number": "a number",
          "bool": "true or false", "date": "a date", "value": "a value"}  # fmt: skip
_SHAPES = ((bool, "bool"), ((int, float), "number"), (str, "text"), (dt.date, "date"),
           ((list, tuple), "list"), ((dict, BaseModel), "mapping"))  # fmt: skip


def _shape(tp: Any) -> str:
    """The YAML shape (list, mapping, text, number...) of a type annotation."""
    tp = _unwrap(tp, [])[0]
    tp = get_origin(tp) or tp
    fits = (name for kinds, name in _SHAPES if isinstance(tp, type) and issubclass(tp, kinds))
    return next(fits, "value")


def _get(data: Any, path: KeyPath) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _kind(value: Any) -> str:
    return "empty" if value is None else _WORDS[_shape(type(value))]


def _show(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return _yaml_text(value) if value is not None else "an empty value"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return "a mapping" if value else "an empty mapping"
    text = repr(value)
    if len(text) <= 40:
        return text
    return f"a list of {len(value)} items" if isinstance(value, list) else repr(value[:36] + "...")
