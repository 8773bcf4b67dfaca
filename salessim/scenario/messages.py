"""Pydantic validation errors -> plain-English messages located by scenario key path.

`loader` validates plain data with `Scenario.model_validate` and hands each `ValidationError`
to `field_errors`, which cleans pydantic's `loc` into the key path the user wrote (dropping union
member and validator names), keeps only the union member that fits the input's shape, suggests
the closest allowed key for typos and words every error type for people who write YAML, not
Python. `show` and `kind` describe values the same way for the rest of the loader.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import types
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from salessim.scenario.keypath import Key, KeyPath, format_path, get_path
from salessim.scenario.models import Scenario

_NAME_PATTERN = "^[A-Za-z_][A-Za-z0-9_]*$"
_NUMBER = {"float_type", "float_parsing", "decimal_type", "decimal_parsing"}
_INT = {"int_type", "int_parsing", "int_from_float", "int_parsing_size"}
_DATE = {"date_type", "date_parsing", "date_from_datetime_parsing", "datetime_parsing"}
_MAPPING = {"dict_type", "model_type", "model_attributes_type", "dataclass_type"}
_BOUNDS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}
_LENGTHS = {"too_short", "too_long", "string_too_short", "string_too_long"}
_SIMPLE = {
    "finite_number": "must be a finite number",
    "string_type": "expected text",
    "list_type": "expected a list",
    "tuple_type": "expected a list",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "date_from_datetime_inexact": "expected a date without a time of day",
}
_WORDS = {"list": "a list", "mapping": "a mapping", "text": "text", "number": "a number",
          "bool": "true or false", "date": "a date", "value": "a value"}  # fmt: skip
_SHAPES = ((bool, "bool"), ((int, float), "number"), (str, "text"), (dt.date, "date"),
           ((list, tuple), "list"), ((dict, BaseModel), "mapping"))  # fmt: skip

Found = list[tuple[KeyPath, str]]
"""(key path, message) pairs, not yet located in a file."""


# ------------------------------------------------------------------------------ entry point
def field_errors(exc: ValidationError, data: dict[str, Any]) -> Found:
    """Every error of `exc` as (key path, message); `data` is the input that was validated."""
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


# ------------------------------------------------------------------------ where an error lands
class _Loc:
    """Where a pydantic `loc` lands: the real key path and the model types along it."""

    def __init__(self, loc: Sequence[Key]) -> None:
        self.path: list[Key] = []
        self.parent: type[BaseModel] | None = None  # model owning the last key
        self.meta: list[Any] = []  # constraints (Ge, MaxLen...) of the type reached
        self.union: tuple[KeyPath, Any, tuple[Any, ...]] | None = None
        self.key_error = False
        self._type: Any = Scenario
        self._key_type: Any = Any
        for part in loc:
            self._step(part)
        self.type, self.members = _unwrap(self._type, self.meta)

    def _step(self, part: Key) -> None:
        self._type, members = _unwrap(self._type, self.meta)
        if part == "[key]":
            self.key_error, self._type, self.meta = True, self._key_type, []
        elif (member := _member_for(members, part)) is not None:
            if _discriminator(members) is None:
                self.union = (tuple(self.path), member, members)
            self._type = member
        elif self._enter(part) or self._type is Any:
            self.path.append(part)
        # otherwise `part` names a union member or a validator, not a key

    def _enter(self, part: Key) -> bool:
        """Move into key or index `part` of the current type; False if it has no such part."""
        tp = self._type
        if _is_model(tp):
            field = _field(tp, part)
            self.parent = tp
            self._type, self.meta = (field.annotation, list(field.metadata)) if field else (Any, [])
        elif get_origin(tp) is dict:
            self._key_type, self._type = get_args(tp)
            self.meta = []
        elif get_origin(tp) in (list, tuple) and isinstance(part, int):
            args = get_args(tp)
            self._type, self.meta = args[min(part, len(args) - 1)] if args else Any, []
        else:
            return False
        return True


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


def _bare(tp: Any) -> Any:
    """`tp` without Annotated or Optional around it."""
    return _unwrap(tp, [])[0]


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
    models = [_bare(m) for m in members]
    if not members or not all(_is_model(m) for m in models):
        return None
    literal = [{n for n, f in m.model_fields.items() if _tags_of(f)} for m in models]
    common = set.intersection(*literal)
    return min(common) if common else None


def _member_for(members: tuple[Any, ...], part: Key) -> Any:
    if not isinstance(part, str):
        return None
    for member in members:
        base = _bare(member)
        name = getattr(get_origin(base) or base, "__name__", "")
        if part in _tags(base) or part.split("[")[0].removeprefix("constrained-") == name:
            return member
    return None


# ------------------------------------------------------------------------------ plain unions
Located = list[tuple[Any, _Loc]]


def _settle_unions(located: Located, data: Any) -> tuple[Located, Found]:
    """Plain unions report one error per member: keep the member matching the input's shape."""
    keep = [(e, at) for e, at in located if at.union is None]
    merged: Found = []
    for path, (errors, members) in _union_groups(located).items():
        value = get_path(data, path)
        fitting = [(e, at) for e, at, m in errors if _shape(m) == _shape(type(value))]
        if fitting:
            keep += fitting
        else:
            wanted = " or ".join(dict.fromkeys(_WORDS[_shape(m)] for m in members))
            merged.append((path, f"expected {wanted}, got {show(value)}"))
    return keep, merged


def _union_groups(
    located: Located,
) -> dict[KeyPath, tuple[list[tuple[Any, _Loc, Any]], tuple[Any, ...]]]:
    """Errors inside plain unions by the union's key path, with that union's members."""
    groups: dict[KeyPath, tuple[list[tuple[Any, _Loc, Any]], tuple[Any, ...]]] = {}
    for err, at in located:
        if at.union is not None:
            path, member, members = at.union
            errors = groups[path][0] if path in groups else []
            errors.append((err, at, member))
            groups[path] = (errors, members)
    return groups


# ---------------------------------------------------------------------------------- wording
def _unknown_key(at: _Loc, data: Any) -> tuple[str, str | None]:
    key, parent = at.path[-1], at.path[:-1]
    where = f"in {format_path(parent)}" if parent else "at the top level"
    allowed = _keys(at.parent) if at.parent else []
    present = get_path(data, tuple(parent))
    free = [k for k in allowed if not isinstance(present, dict) or k not in present] or allowed
    close = _closest(str(key), free)
    if close:
        return f"unknown key '{key}' {where}; did you mean '{close}'?", close
    return f"unknown key '{key}' {where}; allowed keys: {', '.join(allowed)}", None


def _closest(word: str, choices: list[str]) -> str | None:
    close = difflib.get_close_matches(word, choices, n=1)
    return close[0] if close else None


def _message(err: Any, at: _Loc) -> str:
    if err["type"] == "missing":
        return _missing(at, err["loc"][-1])
    value = err.get("input")
    got = "" if at.key_error else f", got {show(value)}"
    text = _describe(err, at, got)
    return f"invalid name {show(value)}: {text}" if at.key_error else text


def _describe(err: Any, at: _Loc, got: str) -> str:
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error") or err["msg"])
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        return _tag_problem(kind, at, ctx, err.get("input"))
    msg = str(err["msg"])
    return (_expected(kind, at) or _limit(kind, at, ctx) or msg[:1].lower() + msg[1:]) + got


def _expected(kind: str, at: _Loc) -> str | None:
    """The wording of a value of the wrong type, or None for other kinds of error."""
    if kind in _NUMBER or kind in _INT:
        return f"expected a {'whole ' if kind in _INT else ''}number"
    if kind in _DATE:
        return "expected a date like 2026-01-05"
    if kind in _MAPPING:
        disc = _discriminator(at.members)
        if disc:
            return f"expected a number or a mapping with {disc}: (one of {_member_tags(at)})"
        return "expected a mapping of keys"
    return _SIMPLE.get(kind)


def _limit(kind: str, at: _Loc, ctx: Mapping[str, Any]) -> str | None:
    """The wording of a value outside its bounds, length or pattern, or None."""
    if kind in _BOUNDS:
        return f"must be {_bounds(at.meta, ctx)}"
    if kind in _LENGTHS:
        return _length(kind, at, ctx)
    if kind == "string_pattern_mismatch":
        return _pattern(str(ctx.get("pattern", "")))
    return None


def _tag_problem(kind: str, at: _Loc, ctx: Mapping[str, Any], value: Any) -> str:
    """A tagged union (such as a distribution's `dist:`) with a missing or unknown tag."""
    disc, tags = _discriminator(at.members), _member_tags(at)
    if kind == "union_tag_not_found":
        return f"missing '{disc}': give a number for a fixed value, or {disc}: one of {tags}"
    tag, wanted = ctx.get("tag"), str(ctx.get("expected_tags", tags)).replace("'", "")
    if isinstance(value, dict) and disc in value:
        tag = value[disc]  # pydantic's `tag` is str() of it: Python's repr of a list
    if not isinstance(tag, str):
        return f"unknown {disc or 'kind'} {show(tag)}; use one of {wanted}"
    close = _closest(tag, wanted.split(", "))
    hint = f" (did you mean '{close}'?)" if close else ""
    return f"unknown {disc or 'kind'} '{tag}'{hint}; use one of {wanted}"


def _member_tags(at: _Loc) -> str:
    return ", ".join(t for m in at.members for t in _tags(_bare(m)))


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
        for m in [ctx, *meta]
        if (v := (m.get(a) if isinstance(m, Mapping) else getattr(m, a, None))) is not None
    }
    if "ge" in found and "le" in found:
        return f"between {show(found['ge'])} and {show(found['le'])}"
    signs = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}
    return " and ".join(f"{signs[a]} {show(v)}" for a, v in found.items())


def _length(kind: str, at: _Loc, ctx: Mapping[str, Any]) -> str:
    lo, hi = _declared(at, ctx, "min_length"), _declared(at, ctx, "max_length")
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


def _declared(at: _Loc, ctx: Mapping[str, Any], name: str) -> Any:
    """Constraint `name` of the first annotation declaring it, else pydantic's context value."""
    return next((getattr(m, name) for m in at.meta if hasattr(m, name)), ctx.get(name))


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


# ----------------------------------------------------------------------------- describing values
def _shape(tp: Any) -> str:
    """The YAML shape (list, mapping, text, number...) of a type annotation."""
    tp = _bare(tp)
    tp = get_origin(tp) or tp
    fits = (name for kinds, name in _SHAPES if isinstance(tp, type) and issubclass(tp, kinds))
    return next(fits, "value")


def kind(value: Any) -> str:
    """What sort of YAML value `value` is, for messages: `a list`, `text`, `empty`..."""
    return "empty" if value is None else _WORDS[_shape(type(value))]


def yaml_text(value: Any) -> str:
    """A YAML scalar as its text: `true`, `null`, `3`, `2026-01-05`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)


def show(value: Any) -> str:
    """A short, readable rendering of a user's value for `got ...` in messages."""
    if isinstance(value, bool) or value is None:
        return yaml_text(value) if value is not None else "an empty value"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return "a mapping" if value else "an empty mapping"
    text = _inline(value)
    if len(text) <= 40:
        return text
    if isinstance(value, list):
        return f"a list of {len(value)} items"
    return text[:36] + "..."


def _inline(value: Any) -> str:
    """`value` as YAML flow text (`['a', 2026-01-05, {k: 1}]`), not Python's repr of it."""
    if isinstance(value, list):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_inline(k)}: {_inline(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bool) or value is None:
        return yaml_text(value)
    if isinstance(value, float | dt.date):
        return show(value)
    return repr(value)
