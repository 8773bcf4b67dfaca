"""Fuzzing the command line: whatever the file holds, `validate` and `run` never crash.

Hypothesis writes random YAML documents and random mutations of the shipped scenarios (deleted
keys, wrong types, huge, negative, NaN and infinite numbers, junk bytes, deep nesting, alias
bombs, duplicated keys, tabs) and runs `salessim validate FILE` and, when that passes,
`salessim run FILE -n 2`, in-process. Each must exit 0, or exit 2 with a short message on stderr
(never a traceback), within a time bound. CI runs a fixed set of examples (`derandomize`);
raise SALESSIM_FUZZ_EXAMPLES (default 300 per test) to hunt for crashes by hand, with
SALESSIM_FUZZ_RANDOM=1 for new examples each time and SALESSIM_FUZZ_SAVE=folder to keep the
inputs that fail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from typer.testing import CliRunner

from salessim.cli import app
from salessim.scenario.distributions import DIST_FAMILIES
from salessim.scenario.loader import MAX_SHOWN

from .conftest import Hang, hang_guard

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))
EXAMPLES = int(os.environ.get("SALESSIM_FUZZ_EXAMPLES", "300"))
SAVE = os.environ.get("SALESSIM_FUZZ_SAVE")  # folder to keep failing inputs in
runner = CliRunner()
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")


def _shrink(text: str) -> str:
    """A shipped scenario over 60 days instead of a year, so that a run takes a fraction of a
    second (comments and layout kept, for the text mutations)."""
    text = re.sub(r"(?m)^horizon_days: .*$", "horizon_days: 60", text)
    return re.sub(r"(?m)^warmup_days: .*$", "warmup_days: 7", text)


TEXTS = {path.name: _shrink(path.read_text(encoding="utf-8")) for path in SHIPPED}
DATA = {name: YAML(typ="safe", pure=True).load(text) for name, text in TEXTS.items()}


# ------------------------------------------------------------------------------- the checks
PROBLEM_COUNT = re.compile(r"^Scenario (.+) is invalid \(([\d,]+) problems?\):$")
MORE = re.compile(r"^\.\.\. and ([\d,]+) more problems; fix these first$")
LEAKS = ("Traceback", "<class ", " object at 0x", "datetime.", "cannot validate:",
         "cannot cross-check:")  # fmt: skip
EXCEPTION_REPR = re.compile(r"\b[A-Z]\w*(Error|Exception)\(")


def check_result(result: Result, command: str) -> None:
    """Exit 0, or exit 2 with a clean message; never an uncaught exception or a traceback."""
    shown = (
        f"{command}: exit {result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{command} raised {result.exception!r}\n{shown}") from (
            result.exception
        )
    assert result.exit_code in (0, 2), shown
    for leak in LEAKS:
        assert leak not in result.output, shown
    stderr = result.stderr
    assert not EXCEPTION_REPR.search(stderr), shown
    if result.exit_code == 2:
        check_message(stderr, command, shown)


def check_message(stderr: str, command: str, shown: str) -> None:
    """The shapes of error message the CLI prints (see `cli.fail` and `loader.format_error`).

    A scenario error is a header `Scenario FILE is invalid (N problems):` followed by exactly N
    lines `FILE[:LINE[:COL]] KEY: MESSAGE` (so no message may span lines). Any other error is one
    line starting `Error: `; for a file that validated, `run` may only refuse a batch too big.
    """
    lines = stderr.rstrip("\n").splitlines()
    assert lines and lines[0].strip(), shown
    header = PROBLEM_COUNT.match(lines[0])
    if header is None:
        assert len(lines) == 1 and lines[0].startswith("Error: "), shown
        if command == "run":
            assert lines[0].startswith("Error: This batch is too big to start"), shown
        return
    assert command == "validate", shown  # run only sees files that validated
    count = int(header.group(2).replace(",", ""))
    more = MORE.match(lines[-1])
    if more:  # capped: the first MAX_SHOWN problems, then how many more
        assert int(more.group(1).replace(",", "")) == count - MAX_SHOWN, shown
        lines = lines[:-1]
    assert len(lines) == 1 + min(count, MAX_SHOWN) and count >= 1, shown
    folder = str(Path(header.group(1)).parent)
    for line in lines[1:]:
        assert line.startswith((folder + os.sep, "<scenario>")), shown
        where, _, rest = line.partition(" ")
        assert re.fullmatch(r".+?\.yaml(:\d+(:\d+)?)?|<scenario>", where), shown
        assert ": " in rest and rest.split(": ", 1)[1].strip(), shown


def run_cli(folder: Path, name: str, content: bytes) -> None:
    """Write `content` to folder/name, validate it and, if valid, run it: both must be clean."""
    path = folder / name
    path.write_bytes(content)
    try:
        with hang_guard():
            validate_and_run(path, folder / "out")
    except (AssertionError, Hang):
        if SAVE:  # keep the input of a failure found by a long hand-run hunt
            Path(SAVE).mkdir(parents=True, exist_ok=True)
            digest = hashlib.sha256(content).hexdigest()[:12]
            (Path(SAVE) / f"{digest}-{name}").write_bytes(content)
        raise


def validate_and_run(path: Path, out: Path) -> None:
    validated = runner.invoke(app, ["validate", str(path)])
    check_result(validated, "validate")
    if validated.exit_code != 0:
        return
    args = ["run", str(path), "-n", "2", "--seed", "1", "-w", "1", "-q", "--force"]
    ran = runner.invoke(app, [*args, "--out", str(out), "--max-hours", "0.0005"])
    check_result(ran, "run")
    if ran.exit_code == 0:
        assert (out / "replications.parquet").is_file()


@contextmanager
def scenario_folder() -> Iterator[Path]:
    """A fresh folder holding the (shortened) shipped scenarios, so `base:` files resolve."""
    with tempfile.TemporaryDirectory() as folder:
        write_shipped(Path(folder))
        yield Path(folder)


def write_shipped(folder: Path) -> None:
    for name, text in TEXTS.items():
        (folder / name).write_text(text, encoding="utf-8")


def dump(data: Any) -> str:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = None
    yaml.representer.sort_base_mapping_type_on_output = False  # stage order matters
    stream = io.StringIO()
    yaml.dump(data, stream)
    return stream.getvalue()


# ----------------------------------------------------------------------------- nasty inputs
def billion_laughs(levels: int = 10) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def deep_block(depth: int) -> str:
    return "".join(" " * i + f"k{i}:\n" for i in range(depth)) + " " * depth + "x: 1\n"


def deep_flow(depth: int) -> str:
    return "deep: " + "[" * depth + "1" + "]" * depth + "\n"


def deep_value(depth: int) -> Any:
    value: Any = 1
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


FRAGMENTS = [
    "name: x\n", "horizon_days: ", "leads:\n", "stages:\n", "roles:\n", "  - ", "  ", "\t",
    ": ", "- ", "? ", "[", "]", "{", "}", ",", "&a ", "*a", "&b [*a, *a, *a] ", "<<: *a\n",
    "!!python/object/apply:os.system ['true']", "!!binary aGVsbG8=", "!custom ", "!!set {a}",
    "!!omap [a: 1]", "---\n", "...\n", "%YAML 1.1\n", "%TAG ! tag:x,2000:\n", "|\n  x\n",
    ">-\n  x\n", "'", '"', "\\", "#", ".nan", ".inf", "-.inf", ".NaN", "1e400", "-1e400",
    "0x1F", "0o17", "1_000", "99999999999999999999999999", "~", "null", "yes", "no", "on",
    "2026-02-30", "2026-01-05T10:00:00Z", "\"\\u0000\"", "\"a\\nb\"", "\u2028", "\u0085",
    "\ufeff", "\r\n", "\n", "\x7f", "\U0001f600", "dist: lognormal\n", "by: ", "next: won\n",
    "base: ", "base: fuzz.yaml\n", "base: two_level.yaml\n", "headcount: ", "per_day: ",
]  # fmt: skip
SCALARS = st.sampled_from(
    [None, True, False, 0, -1, 1, -0.0, 0.5, 1.5, -1e9, 1e308, -1e308, 1e-300, 5e-324, 10**30,
     -(10**30), 2**63, 2**64 + 1, math.nan, math.inf, -math.inf, "", " ", "x", "nan", "inf",
     "1e400", "won", "lost", "mon", "designer", "designer[0]", "roles.designer[0]", "a\nb",
     "é" * 3, "x" * 300, dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.date(2026, 2, 28),
     dt.datetime(2026, 1, 5, 10, 30)]
)  # fmt: skip
NUMBERS = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=0, max_value=1e6),
    st.floats(min_value=0, max_value=2),
    st.sampled_from([0, 1, 2, 7, 12, 24, 365, 36_600, 100_000, 1e15, 1e300]),
)
DISTS = st.builds(
    lambda dist, params: {"dist": dist, **params},
    st.sampled_from([*DIST_FAMILIES, "bogus", "Lognormal"]),
    st.dictionaries(
        st.sampled_from(["mean", "sd", "low", "mode", "high", "value", "values", "weights"]),
        NUMBERS | st.lists(NUMBERS, max_size=4),
        max_size=4,
    ),
)
SIZES = st.floats(min_value=0, max_value=100) | st.sampled_from([0, 1e-9, 1e-300, 1e6, 1e12])
SORTED = st.lists(SIZES, min_size=3, max_size=3).map(sorted)
VALID_DISTS = st.one_of(
    st.builds(lambda v: {"dist": "fixed", "value": v}, SIZES),
    st.builds(lambda m: {"dist": "exponential", "mean": m}, SIZES.filter(lambda m: m > 0)),
    SORTED.map(lambda v: {"dist": "uniform", "low": v[0], "high": v[2]}),
    SORTED.map(lambda v: {"dist": "triangular", "low": v[0], "mode": v[1], "high": v[2]}),
    st.builds(lambda m, s: {"dist": "normal", "mean": m, "sd": s}, SIZES, SIZES),
    st.builds(lambda m, s: {"dist": "lognormal", "mean": m, "sd": s},
              SIZES.filter(lambda m: m > 0), SIZES),
    st.builds(lambda v, w: {"dist": "empirical", "values": v, "weights": w[: len(v)] or None},
              st.lists(SIZES, min_size=1, max_size=4), st.lists(SIZES, max_size=4)),
)  # fmt: skip
KEYS = st.one_of(
    st.sampled_from(["name", "dist", "mean", "by", "next", "headcount", "stages", "roles",
                     "leads", "base", "<<", "kind", "people", "workforce", "événement"]),
    st.text(max_size=8),
)  # fmt: skip
LEAVES = st.one_of(SCALARS, NUMBERS, st.text(max_size=12), DISTS)
VALUES = st.recursive(
    LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=10,
)
NASTY = st.one_of(
    SCALARS,
    NUMBERS,
    DISTS,
    VALUES,
    st.builds(deep_value, st.integers(min_value=10, max_value=120)),
)


# ------------------------------------------------------------------------ data mutations
Path_ = tuple[Any, ...]


def paths(node: Any, here: Path_ = ()) -> list[Path_]:
    """Every key path inside `node` (the root excluded)."""
    found: list[Path_] = []
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in items:
        found.append((*here, key))
        if isinstance(value, dict | list):
            found += paths(value, (*here, key))
    return found


def parent_of(data: Any, path: Path_) -> Any:
    for key in path[:-1]:
        data = data[key]
    return data


def copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy(v) for v in value]
    return value


@st.composite
def mutate_data(draw: st.DrawFn, data: dict[str, Any]) -> dict[str, Any]:
    """`data` with one to four random structural changes."""
    data = copy(data)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        targets = paths(data)
        if not targets:
            break
        path = draw(st.sampled_from(targets))
        parent, key = parent_of(data, path), path[-1]
        action = draw(st.sampled_from(["delete", "replace", "replace", "add", "rename", "wrap"]))
        if action == "delete":
            del parent[key]
        elif action == "replace":
            parent[key] = draw(NASTY)
        elif action == "add" and isinstance(parent, dict):
            parent[draw(KEYS)] = draw(NASTY)
        elif action == "add":
            parent.insert(draw(st.integers(0, len(parent))), draw(NASTY))
        elif action == "rename" and isinstance(parent, dict):
            new = draw(st.sampled_from([str(key).upper(), f"{key}_", str(key)[:-1], "base"]))
            parent[new] = parent.pop(key)
        else:
            parent[key] = [parent[key]] if draw(st.booleans()) else {"x": parent[key]}
    return data


TWEAKS = st.one_of(
    NUMBERS,
    st.sampled_from([0, 0.0, 1e-9, 1e-300, 0.05, 1, 24, 100, 1e6, 1e9, 1e200, -0.0, -1]),
)


def near(value: float) -> st.SearchStrategy[float]:
    """Numbers of the same scale as `value`, or simple multiples of it (mostly still valid)."""
    scale = float(min(max(abs(value) * 3, 1.0), 1e300)) if math.isfinite(value) else 1.0
    return st.floats(min_value=0, max_value=scale) | st.sampled_from([0, value * 2, value / 2])


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@st.composite
def tweak_numbers(draw: st.DrawFn, data: dict[str, Any]) -> dict[str, Any]:
    """`data` with one to four numbers (or distributions) changed: the structure stays valid,
    so the engine sees extreme but allowed values (zero, tiny, huge)."""
    data = copy(data)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        targets = [
            p for p in paths(data)
            if is_number(parent_of(data, p)[p[-1]]) or p[-1] in ("mean", "sd", "low", "high")
            or isinstance(parent_of(data, p)[p[-1]], dict) and "dist" in parent_of(data, p)[p[-1]]
        ]  # fmt: skip
        if not targets:
            break
        path = draw(st.sampled_from(targets))
        parent = parent_of(data, path)
        old = parent[path[-1]]
        parent[path[-1]] = draw(
            near(old) | near(old) | TWEAKS if is_number(old) else VALID_DISTS | DISTS
        )
    return data


# ------------------------------------------------------------------------ text mutations
@st.composite
def mutate_text(draw: st.DrawFn, text: str) -> bytes:
    """`text` with zero to three random textual changes, as bytes."""
    lines = text.split("\n")
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        i = draw(st.integers(min_value=0, max_value=max(len(lines) - 1, 0)))
        action = draw(
            st.sampled_from(["tab", "duplicate", "delete", "insert", "indent", "truncate", "crlf"])
        )
        if action == "tab":
            lines[i] = (
                re.sub(r"^ +", "\t", lines[i]) if lines[i].startswith(" ") else "\t" + lines[i]
            )
        elif action == "duplicate":
            lines.insert(i, lines[i])
        elif action == "delete":
            del lines[i]
        elif action == "insert":
            at = draw(st.integers(min_value=0, max_value=len(lines[i])))
            lines[i] = lines[i][:at] + draw(st.sampled_from(FRAGMENTS)) + lines[i][at:]
        elif action == "indent":
            lines[i] = " " * draw(st.integers(min_value=1, max_value=5)) + lines[i]
        elif action == "truncate":
            lines = lines[:i]
        else:
            lines = [line + "\r" for line in lines]
        if not lines:
            break
    raw = "\n".join(lines).encode("utf-8")
    if draw(st.integers(min_value=0, max_value=19)) == 0:  # binary junk somewhere
        at = draw(st.integers(min_value=0, max_value=len(raw)))
        raw = raw[:at] + draw(st.binary(min_size=1, max_size=8)) + raw[at:]
    return raw


@st.composite
def mutated_scenario(draw: st.DrawFn) -> tuple[str, bytes]:
    """(file name, content): a shipped scenario mutated as data, as text, or both."""
    name = draw(st.sampled_from(sorted(TEXTS)))
    how = draw(st.sampled_from(["numbers"] * 4 + ["data"] * 3 + ["text"] * 2 + ["both", "bomb"]))
    if how == "text":
        return name, draw(mutate_text(TEXTS[name]))
    if how == "bomb":
        extra = draw(st.sampled_from([billion_laughs(), deep_block(60), deep_flow(60)]))
        return name, (TEXTS[name] + extra).encode()
    if how == "numbers":
        return name, dump(draw(tweak_numbers(DATA[name]))).encode()
    text = dump(draw(mutate_data(DATA[name])))
    return name, draw(mutate_text(text)) if how == "both" else text.encode()


SCENARIO_KEYS = {
    "name": st.text(max_size=10) | SCALARS,
    "horizon_days": NUMBERS | SCALARS,
    "warmup_days": NUMBERS | SCALARS,
    "calendar": VALUES,
    "leads": st.lists(st.fixed_dictionaries({"source": st.just("web"), "per_day": NUMBERS})),
    "deal_value": NUMBERS | DISTS,
    "stages": st.dictionaries(
        st.sampled_from(["a", "b", "won", "1x"]),
        st.fixed_dictionaries(
            {"by": st.sampled_from(["r", "q", ["r"]]), "work_hours": NUMBERS | DISTS},
            optional={
                "success": NUMBERS,
                "next": st.sampled_from(["a", "b", "won", "x"]),
                "kind": st.sampled_from(["work", "prospecting"]),
                "leads_per_hour": NUMBERS,
                "delay_days": NUMBERS | DISTS,
                "no_show": NUMBERS,
            },
        ),  # fmt: skip
        max_size=3,
    ),
    "roles": st.dictionaries(
        st.sampled_from(["r", "q"]),
        st.fixed_dictionaries({"headcount": NUMBERS}, optional={"people": VALUES}),
        max_size=2,
    ),
    "workforce": VALUES,
    "customers": VALUES,
    "events": VALUES,
}
RANDOM_DOCUMENTS = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200),
    st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=4), max_size=40).map("".join),
    VALUES.map(dump),
    st.fixed_dictionaries({}, optional=SCENARIO_KEYS).map(dump),
)


# ------------------------------------------------------------------------------ the fuzzers
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not os.environ.get("SALESSIM_FUZZ_RANDOM"),
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much, HealthCheck.large_base_example],
)  # fmt: skip


@FUZZ
@given(mutated_scenario())
@example(("two_level.yaml", TEXTS["two_level.yaml"].encode()))
@example(("super_seller_leaves.yaml", b"base: super_seller_leaves.yaml\nname: loop\n"))
def test_mutated_scenarios_never_crash(case: tuple[str, bytes]) -> None:
    name, content = case
    with scenario_folder() as folder:
        run_cli(folder, name, content)


@FUZZ
@given(RANDOM_DOCUMENTS)
@example(b"")
@example(b"\x00\x01\x02\xff\xfe junk")
@example(billion_laughs().encode())
@example(deep_block(200).encode())
@example(deep_flow(200).encode())
@example(b"name: x\nname: y\n")
@example(b"name: x\nroles:\n\tr: {headcount: 1}\n")
def test_random_documents_never_crash(content: bytes | str) -> None:
    raw = content.encode("utf-8", "surrogatepass") if isinstance(content, str) else content
    with scenario_folder() as folder:
        run_cli(folder, "fuzz.yaml", raw)


# ----------------------------------------------------------- the reader's limits, explicitly
def validate_quickly(tmp_path: Path, content: bytes) -> str:
    """Validate `content`; it must be refused (exit 2) without hanging. Returns stderr."""
    write_shipped(tmp_path)  # for `base:`
    path = tmp_path / "limit.yaml"
    path.write_bytes(content)
    with hang_guard():
        result = runner.invoke(app, ["validate", str(path)])
    check_result(result, "validate")
    assert result.exit_code == 2
    return result.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (billion_laughs().encode(), "billion laughs"),
        ((TEXTS["two_level.yaml"] + billion_laughs()).encode(), "billion laughs"),
        (b"x: " + b"y" * 2_000_000 + b"\n", "larger than 1 MB"),
        (deep_block(200).encode(), "nested more than 50 levels"),
        (deep_flow(200).encode(), "nested more than 50 levels"),
        (deep_flow(100_000).encode(), "nested more than 50 levels"),
        (b"\x00\x01\x02\xff\xfe junk", "binary"),
        (b"", "is empty"),
        (b"name: x\nname: y\n", "duplicate key 'name'"),
        (b"name: x\nroles:\n\tr: {headcount: 1}\n", "invalid YAML"),
    ],
    ids=["billion-laughs", "bomb-in-scenario", "2MB", "deep-block", "deep-flow",
         "deep-flow-100k", "binary", "empty", "duplicate-key", "tab"],
)  # fmt: skip
def test_reader_limits_refuse_fast_and_clearly(
    tmp_path: Path, content: bytes, message: str
) -> None:
    assert message in validate_quickly(tmp_path, content)


# ------------------------------------------------------------- regressions found by fuzzing
def test_key_with_line_break_stays_on_one_line(tmp_path: Path) -> None:
    """`{"\\n"}` (a key that is a line break) once split its problem over three lines."""
    stderr = validate_quickly(tmp_path, b'{"\\n"}\n')
    assert "unknown key '\\n' at the top level" in stderr


TWO_LEVEL_EVENT = (
    TEXTS["two_level.yaml"] + "events: [{day: 2912439, action: leave, person: 'designer[0]'}]\n"
)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (TWO_LEVEL_EVENT, "events[0].day: must be between 0 and 36600, got 2912439"),
        (
            TEXTS["two_level.yaml"].replace("start: 2026-01-05", "start: 9999-12-01"),
            "calendar.start: must be <= 9899-01-01, got 9999-12-01",
        ),
    ],
    ids=["event-after-year-9999", "start-near-year-9999"],
)
def test_dates_past_year_9999_are_refused(tmp_path: Path, content: str, message: str) -> None:
    """An event on day 2,912,439 validated, then the report crashed turning it into a date
    (OverflowError); so did a calendar starting in December 9999, in the engine."""
    assert message in validate_quickly(tmp_path, content.encode())


def test_line_100_is_not_an_emoji(tmp_path: Path) -> None:
    """A problem on line 100 once read `three_step.yaml💯5 stages.support...`."""
    stderr = validate_quickly(tmp_path, b"\n" * 99 + b"    bogus: 1\n")
    assert "limit.yaml:100:5 bogus: unknown key 'bogus'" in stderr


def with_workforce(**changes: object) -> bytes:
    """two_level.yaml with keys of its `workforce:` section changed."""
    text = TEXTS["two_level.yaml"]
    for key, value in changes.items():
        text, found = re.subn(rf"(?m)^  {key}: .*$", f"  {key}: {value}", text)
        assert found == 1, key
    return text.encode()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            with_workforce(sick_episode_days="8e-162"),
            "workforce.sick_episode_days: a sickness must last at least 0.5 days on average",
        ),
        (
            with_workforce(sick_episode_days="0"),
            "workforce.sick_episode_days: a sickness must last at least 0.5 days on average",
        ),
        (
            with_workforce(vacation_block_days="1e-300"),
            "workforce.vacation_block_days: must be between 0.5 and 365, got 1e-300",
        ),
    ],
    ids=["sick-episode-tiny", "sick-episode-zero", "vacation-block-tiny"],
)
def test_absences_too_short_are_refused(tmp_path: Path, content: bytes, message: str) -> None:
    """Sick episodes averaging 8e-162 days validated, then numpy refused to draw ~1e164 of them
    (`ValueError: lam value too large`); a zero mean divided by zero."""
    assert message in validate_quickly(tmp_path, content)


def test_huge_headcount_with_events_is_refused_quickly(tmp_path: Path) -> None:
    """The cross-check once listed every seat `role[i]`: a headcount of 2e14 ran out of memory."""
    text = TEXTS["super_seller_leaves.yaml"] + "roles: {seller: {headcount: 235104301556705}}\n"
    stderr = validate_quickly(tmp_path, text.encode())
    assert "headcount: must be between 0 and 100000, got 235104301556705" in stderr


def test_python_reprs_do_not_leak_into_messages(tmp_path: Path) -> None:
    """A list of dates was shown as `[datetime.date(2026, 4, 6)]`."""
    text = TEXTS["three_step.yaml"].replace("holidays: [", "holidays: [[2026-04-06], ", 1)
    stderr = validate_quickly(tmp_path, text.encode())
    assert "expected a date like 2026-01-05, got [2026-04-06]" in stderr


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "{dist: triangular, low: 1, mode: 2, high: 4}",
            "{dist: triangular, low: 1, mode: 2, high: 1e+200}",
            "work_hours.high: must be between 0 and 1000000000000, got 1e+200",
        ),
        (
            "deal_value: {dist: lognormal, mean: 3500, sd: 2000}",
            "deal_value: {dist: lognormal, mean: 1e-200, sd: 1}",
            "deal_value: sd (1) must be at most 1e+06 times the mean (1e-200)",
        ),
    ],
    ids=["triangular-huge-high", "lognormal-huge-spread"],
)
def test_distributions_that_overflow_are_refused(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    """A triangular `high: 1e200` validated, then numpy drew -inf hours from it and SimPy
    refused the `Negative delay -inf`; a log-normal with sd 1e200 times its mean overflowed."""
    assert TEXTS["three_step.yaml"].count(old) == 1
    content = TEXTS["three_step.yaml"].replace(old, new).encode()
    assert message in validate_quickly(tmp_path, content)


def test_lead_rate_beyond_what_numpy_can_draw_is_refused(tmp_path: Path) -> None:
    """`per_day: 1e20` with a `market_size` passed the size check (the market caps the leads),
    then numpy refused to draw the day's count (`ValueError: lam value too large`)."""
    content = TEXTS["two_level.yaml"].replace("per_day: 12\n", "per_day: 1e20\n", 1).encode()
    assert "leads[0].per_day: must be between 0 and 1000000, got 1e+20" in validate_quickly(
        tmp_path, content
    )


def test_unknown_dist_that_is_not_text_is_shown_as_yaml(tmp_path: Path) -> None:
    """`dist: [2026-01-05, 1]` was named by Python's repr, `[datetime.date(2026, 1, 5), 1]`."""
    old = "deal_value: {dist: lognormal, mean: 3500, sd: 2000}"
    content = TEXTS["three_step.yaml"].replace(old, "deal_value: {dist: [2026-01-05, 1]}")
    stderr = validate_quickly(tmp_path, content.encode())
    assert "deal_value: unknown dist [2026-01-05, 1]; use one of fixed," in stderr


def test_base_name_too_long_is_a_clear_error(tmp_path: Path) -> None:
    """`base: xxx...` (300 characters) raised `OSError: File name too long` from Path.exists."""
    stderr = validate_quickly(tmp_path, b"base: " + b"x" * 300 + b"\nname: x\n")
    assert "base: base file 'xxx" in stderr and "cannot be read: File name too long" in stderr
