"""salessim.scenario.loader: YAML -> positions -> validated Scenario, with located problems."""

from __future__ import annotations

import pickle
import re
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salessim.errors import ScenarioError
from salessim.scenario.loader import apply_overrides, format_error, load, load_data, parse_override

from .conftest import BROKEN_YAML as BROKEN
from .conftest import MINIMAL_YAML as MINIMAL
from .conftest import hang_guard


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path, overrides: dict[str, object] | None = None) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load(path, overrides)
    return info.value


def test_minimal_scenario_loads(tmp_path: Path) -> None:
    scenario = load(write(tmp_path, "tiny.yaml", MINIMAL))
    assert scenario.name == "tiny"
    assert list(scenario.stages) == ["qualify", "meeting"]
    assert scenario.stages["qualify"].work_hours.mean == 0.5
    assert scenario.stages["meeting"].work_hours.mean == pytest.approx(2.0)
    assert scenario.roles["lead_manager"].headcount == 2
    assert scenario.leads[0].per_day == 5


def test_all_problems_reported_at_once_with_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.yaml", BROKEN)
    err = problems_of(path)
    found = {(p.path, p.line): p.message for p in err.problems}
    assert found == {
        ("leads[0].per_day", 4): "expected a number, got 'lots'",
        ("stages.meeting.success", 10): "must be between 0 and 1, got 1.5",
        ("stages.meeting.next", 11): "stage 'meting' does not exist; did you mean 'meeting'?",
        ("roles.designer.headcont", 14): (
            "unknown key 'headcont' in roles.designer; did you mean 'headcount'?"
        ),
    }
    assert all(p.file == str(path) for p in err.problems)
    assert [p.line for p in err.problems] == [4, 10, 11, 14]
    assert err.problems[0].column == 19  # `per_day` in `  - {source: web, per_day: lots}`


def test_format_error(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.yaml", BROKEN)
    text = format_error(problems_of(path))
    lines = text.splitlines()
    assert lines[0] == f"Scenario {path} is invalid (4 problems):"
    assert lines[1] == f"{path}:4:19 leads[0].per_day: expected a number, got 'lots'"
    assert len(lines) == 5


def test_error_survives_pickling(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.yaml", BROKEN)
    err = problems_of(path)
    copy = pickle.loads(pickle.dumps(err))
    assert copy.problems == err.problems
    assert copy.file == err.file == str(path)
    assert str(copy) == str(err)
    assert format_error(copy) == format_error(err)


def test_distribution_messages(tmp_path: Path) -> None:
    text = MINIMAL.replace("work_hours: 0.5", "work_hours: {dist: gauss, mean: 1}").replace(
        "{dist: triangular, low: 1, mode: 2, high: 3}", "{dist: lognormal, mean: 2, sd: 1, zzz: 3}"
    )
    messages = {p.path: p.message for p in problems_of(write(tmp_path, "d.yaml", text)).problems}
    assert messages == {
        "stages.qualify.work_hours": "unknown dist 'gauss'; use one of fixed, exponential, "
        "uniform, triangular, normal, lognormal, empirical",
        "stages.meeting.work_hours.zzz": "unknown key 'zzz' in stages.meeting.work_hours; "
        "allowed keys: dist, mean, sd",
    }


def test_typo_in_distribution_key_suggests_alias(tmp_path: Path) -> None:
    text = MINIMAL.replace("work_hours: 0.5", "work_hours: {dist: exponential, maen: 1}")
    err = problems_of(write(tmp_path, "d.yaml", text))
    assert [p.message for p in err.problems] == [
        "unknown key 'maen' in stages.qualify.work_hours; did you mean 'mean'?"
    ]


def test_other_field_messages(tmp_path: Path) -> None:
    text = (
        MINIMAL.replace("headcount: 2", "headcount: -3").replace("by: designer", "by: 5")
        + "calendar: {workdays: [mon, funday]}\nbad-key: 1\n"
    )
    messages = {p.path: p.message for p in problems_of(write(tmp_path, "m.yaml", text)).problems}
    assert messages["roles.lead_manager.headcount"] == "must be between 0 and 100000, got -3"
    assert messages["stages.meeting.by"] == "expected text or a list, got 5"
    assert messages["calendar.workdays[1]"].startswith("must be one of mon, tue")
    assert messages["bad-key"].startswith("unknown key 'bad-key' at the top level; allowed keys:")


def test_duplicate_key_reports_line(tmp_path: Path) -> None:
    path = write(tmp_path, "dup.yaml", MINIMAL + "horizon_days: 60\n")
    err = problems_of(path)
    assert len(err.problems) == 1
    assert err.problems[0].line == 11
    assert "duplicate key 'horizon_days'" in err.problems[0].message


def test_yaml_1_2_keeps_no_and_yes_as_strings(tmp_path: Path) -> None:
    text = MINIMAL.replace("name: tiny", "name: no\ncurrency: yes")
    scenario = load(write(tmp_path, "no.yaml", text))
    assert scenario.name == "no"
    assert scenario.currency == "yes"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty"),
        ("# only a comment\n", "is empty"),
        (b"\x00\x01\x02\xff\xfe binary", "binary"),
        (b"name: caf\xe9\n", "not UTF-8"),
        ("- name: tiny\n- horizon_days: 30\n", "top level must be a mapping"),
        ("just a string\n", "top level must be a mapping"),
        ("name: tiny\n  horizon_days: 30\n", "invalid YAML"),
        ("name: [unclosed\n", "invalid YAML"),
        ("--- {a: 1}\n--- {b: 2}\n", "invalid YAML"),
        ("a: " + "[" * 100_000, "nested more than"),
        ("x: " + "y" * 1_100_000, "larger than 1 MB"),
    ],
)
def test_bad_files_become_scenario_errors(
    tmp_path: Path, content: str | bytes, message: str
) -> None:
    path = write(tmp_path, "bad.yaml", content)
    with hang_guard(), pytest.raises(ScenarioError, match=re.escape(str(path))) as info:
        load(path)
    assert message in str(info.value)


def test_syntax_error_has_line(tmp_path: Path) -> None:
    path = write(tmp_path, "syntax.yaml", "name: tiny\nhorizon_days: 30\n  leads: 3\n")
    err = problems_of(path)
    assert err.problems[0].line == 3


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"nothere\.yaml.*file not found"):
        load(tmp_path / "nothere.yaml")
    with pytest.raises(ScenarioError, match="is a directory"):
        load(tmp_path)


def test_base_inheritance_merges(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", MINIMAL)
    child = write(
        tmp_path,
        "child.yaml",
        "base: base.yaml\nname: child\nroles:\n  designer: {headcount: 4}\n",
    )
    scenario = load(child)
    assert scenario.name == "child"
    assert scenario.roles["designer"].headcount == 4
    assert scenario.roles["lead_manager"].headcount == 2
    assert list(scenario.stages) == ["qualify", "meeting"]
    data, positions = load_data(child)
    assert "base" not in data
    assert positions[("roles", "designer", "headcount")] == (str(child), 4, 14)
    assert positions[("stages", "qualify")] == (str(tmp_path / "base.yaml"), 6, 3)


def test_problem_in_inherited_key_points_at_base(tmp_path: Path) -> None:
    base = write(tmp_path, "base.yaml", MINIMAL.replace("success: 0.4", "success: 4"))
    child = write(tmp_path, "child.yaml", "base: base.yaml\nname: child\n")
    (problem,) = problems_of(child).problems
    assert (problem.file, problem.line, problem.path) == (str(base), 6, "stages.qualify.success")


def test_lists_are_replaced_not_merged(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", MINIMAL)
    child = write(
        tmp_path,
        "child.yaml",
        "base: base.yaml\nleads:\n  - {source: ads, per_day: 1}\n",
    )
    assert [s.source for s in load(child).leads] == ["ads"]


def test_base_cycle(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "base: b.yaml\nname: a\n")
    write(tmp_path, "b.yaml", "name: b\nbase: a.yaml\n")
    err = problems_of(tmp_path / "a.yaml")
    (problem,) = err.problems
    assert "cycle" in problem.message
    assert (problem.path, problem.line) == ("base", 2)


def test_missing_base(tmp_path: Path) -> None:
    path = write(tmp_path, "child.yaml", "name: child\nbase: gone.yaml\n")
    with pytest.raises(ScenarioError, match="gone.yaml") as info:
        load(path)
    (problem,) = info.value.problems
    assert (problem.file, problem.line, problem.path) == (str(path), 2, "base")


def test_billion_laughs_fails_fast(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]")
    path = write(tmp_path, "lol.yaml", "\n".join(lines) + "\n")
    with hang_guard(), pytest.raises(ScenarioError, match="billion laughs"):
        load(path)


def test_deep_block_nesting_is_refused(tmp_path: Path) -> None:
    nested = "".join(" " * i + f"k{i}:\n" for i in range(1, 80))
    path = write(tmp_path, "deep.yaml", MINIMAL + "description:\n" + nested)
    with pytest.raises(ScenarioError, match="nested more than 50 levels"):
        load(path)


def test_parse_override() -> None:
    assert parse_override("roles.designer.headcount=3") == ("roles.designer.headcount", 3)
    assert parse_override("stages.q.success = 0.5") == ("stages.q.success", 0.5)
    assert parse_override("leads[0].weekday_profile=[1,2]") == ("leads[0].weekday_profile", [1, 2])
    assert parse_override("name=no") == ("name", "no")
    assert parse_override("x={dist: fixed, value: 2}") == ("x", {"dist": "fixed", "value": 2})
    with pytest.raises(ScenarioError, match="--set"):
        parse_override("no-equals-sign")
    with pytest.raises(ScenarioError, match="cannot read the value"):
        parse_override("x=[1, 2")


def test_apply_overrides() -> None:
    data = {"roles": {"lead_manager": {"headcount": 1}}, "leads": [{"per_day": 1}]}
    out = apply_overrides(
        data,
        {"roles.lead_manager.headcount": 3, "leads[0].per_day": 5, "calendar.hours": [8, 17]},
    )
    assert out["roles"]["lead_manager"]["headcount"] == 3
    assert out["leads"][0]["per_day"] == 5
    assert out["calendar"] == {"hours": [8, 17]}
    assert data["roles"]["lead_manager"]["headcount"] == 1  # input untouched


def test_bad_override_paths() -> None:
    data = {"name": "x", "leads": [{"per_day": 1}], "roles": {}}
    with pytest.raises(ScenarioError) as info:
        apply_overrides(data, {"leads[3].per_day": 1, "name.first": 1, "roles[0]": 1, "a..b": 1})
    problems = {p.path: p.message for p in info.value.problems}
    assert all(p.file == "--set" for p in info.value.problems)
    assert problems["leads[3].per_day"] == "index 3 is out of range: leads has 1 items"
    assert problems["name.first"] == "name is text, not a mapping"
    assert problems["roles[0]"] == "roles is a mapping, not a list"
    assert "is not a key path" in problems["a..b"]


def test_load_with_overrides(tmp_path: Path) -> None:
    path = write(tmp_path, "tiny.yaml", MINIMAL)
    scenario = load(path, {"roles.lead_manager.headcount": 3, "leads[0].per_day": 7})
    assert scenario.roles["lead_manager"].headcount == 3
    assert scenario.leads[0].per_day == 7
    err = problems_of(path, {"stages.meeting.success": 2, "leads[4].per_day": 1})
    assert {(p.file, p.path) for p in err.problems} == {
        ("--set", "stages.meeting.success"),
        ("--set", "leads[4].per_day"),
    }


YAMLISH = st.text(
    alphabet=st.sampled_from(list("ab:- \n[]{},&*!|>'\"#%@`?.0123456789")), max_size=80
)


@settings(max_examples=200, deadline=None)
@given(st.one_of(YAMLISH, st.binary(max_size=60), st.builds(lambda t: MINIMAL + t, YAMLISH)))
def test_garbage_only_ever_raises_scenario_error(content: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = write(Path(folder), "fuzz.yaml", content)
        try:
            load(path)
        except ScenarioError as err:
            assert err.problems
            assert format_error(err).startswith(f"Scenario {path} is invalid")


VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
PATHS = st.sampled_from(
    ["name", "calendar", "calendar.hours", "leads", "leads[0]", "leads[0].patience_hours",
     "stages", "stages.qualify", "stages.qualify.by", "stages.meeting.work_hours",
     "stages.meeting.work_hours.dist", "stages.qualify.follow_up", "roles", "roles.designer",
     "roles.designer.people", "roles.designer.calendar", "deal_value", "horizon_days"]
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(PATHS, VALUES, max_size=3))
def test_any_override_values_give_scenario_error_or_scenario(overrides: dict[str, object]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = write(Path(folder), "tiny.yaml", MINIMAL)
        try:
            load(path, overrides)
        except ScenarioError as err:
            assert err.problems
            assert all(p.message for p in err.problems)


# -- dates wherever a day number is asked for ----------------------------------------------------


def test_an_event_on_a_date_is_the_same_as_its_day_number(tmp_path: Path) -> None:
    from salessim.experiment import replications as experiment

    start = "calendar: {start: 2026-01-05}\n"
    by_day = write(tmp_path, "a.yaml", MINIMAL + start + "events:\n"
                   "  - {day: 10, action: resign, person: 'designer[0]'}\n"
                   "  - {day: 3, action: hire, person: designer}\n")  # fmt: skip
    by_date = write(tmp_path, "b.yaml", MINIMAL + start + "events:\n"
                    "  - {day: 2026-01-15, action: resign, person: 'designer[0]'}\n"
                    "  - {day: 2026-01-08, action: hire, person: designer}\n")  # fmt: skip
    a, b = load(by_day), load(by_date)
    assert [e.day for e in b.events] == [10.0, 3.0] and a.events == b.events
    ra, rb = (experiment.run(s, 3, seed=4).replications for s in (a, b))
    pd.testing.assert_frame_equal(ra, rb)


def test_an_event_before_the_start_is_refused_where_it_is(tmp_path: Path) -> None:
    path = write(tmp_path, "early.yaml", MINIMAL + "calendar: {start: 2026-01-05}\nevents:\n"
                 "  - {day: 2025-12-24, action: leave, person: 'designer[0]'}\n")  # fmt: skip
    (err,) = problems_of(path).problems
    assert (err.path, err.line) == ("events[0].day", 13)
    assert "2025-12-24 is before calendar.start" in err.message


def test_an_open_deal_can_give_its_creation_date(tmp_path: Path) -> None:
    body = MINIMAL + "calendar: {start: 2026-01-05}\npipeline:\n"
    ok = load(write(tmp_path, "ok.yaml", body + "  - {stage: meeting, created: 2025-12-06}\n"))
    assert ok.pipeline[0].age_days == 30.0 and ok.pipeline[0].created is None
    late = write(tmp_path, "late.yaml", body + "  - {stage: meeting, created: 2026-02-01}\n")
    assert "must be on or before calendar.start" in str(problems_of(late))
    both = write(tmp_path, "both.yaml",
                 body + "  - {stage: meeting, created: 2025-12-06, age_days: 3}\n")  # fmt: skip
    assert "not both" in str(problems_of(both))


def test_a_quoted_date_reads_like_an_unquoted_one(tmp_path: Path) -> None:
    """'2025-12-06' in quotes is a date too: 30 days before a start of 2026-01-05, as unquoted
    (it used to stay text, and a deal created before the start was refused as created after)."""
    body = MINIMAL + "calendar: {start: '2026-01-05'}\n"
    deal = load(write(tmp_path, "d.yaml", body + "pipeline:\n"
                      "  - {stage: meeting, created: '2025-12-06'}\n"))  # fmt: skip
    assert deal.pipeline[0].age_days == 30.0
    quoted_event = "  - {day: \"2026-01-15\", action: resign, person: 'designer[0]'}\n"
    event = load(write(tmp_path, "e.yaml", body + "events:\n" + quoted_event))
    assert event.events[0].day == 10.0
    early = write(
        tmp_path,
        "early.yaml",
        body + "events:\n" + quoted_event.replace("2026-01-15", "2025-12-30"),
    )
    assert "2025-12-30 is before calendar.start" in str(problems_of(early))
    # only YYYY-MM-DD is a date: other ISO spellings ('20260115', '2026W031') stay text
    compact = write(
        tmp_path, "c.yaml", body + "events:\n" + quoted_event.replace("2026-01-15", "20260115")
    )
    assert "events[0].day" in str(problems_of(compact))


def test_a_custom_tag_on_a_mapping_or_list_is_refused_like_on_a_value(tmp_path: Path) -> None:
    text = MINIMAL.replace("roles:\n", "roles: !team\n").replace("leads:\n", "leads: !feed\n")
    found = {(p.path, p.message) for p in problems_of(write(tmp_path, "t.yaml", text)).problems}
    assert ("roles", "custom YAML tag !team is not supported") in found
    assert ("leads", "custom YAML tag !feed is not supported") in found
    wrong = MINIMAL.replace("roles:\n", "roles: !!str\n")
    (problem,) = problems_of(write(tmp_path, "w.yaml", wrong)).problems
    assert (problem.path, problem.message) == ("roles", "YAML tag !!str does not fit a mapping")


def test_a_file_with_thousands_of_problems_shows_the_first_fifty(tmp_path: Path) -> None:
    stages = "".join(f"  s{i}: {{by: nobody, work_hours: 0.1, success: 0.5}}\n" for i in range(300))
    text = MINIMAL.replace("stages:\n", "stages:\n" + stages)
    with pytest.raises(ScenarioError) as info:
        load(write(tmp_path, "many.yaml", text))
    shown = format_error(info.value).splitlines()
    assert len(info.value.problems) >= 300
    assert len(shown) == 1 + 50 + 1
    assert shown[-1] == f"... and {len(info.value.problems) - 50:,} more problems; fix these first"


def test_a_long_chain_of_stages_is_checked_in_one_pass() -> None:
    """4,000 stages chained by `next` (and one loop): the loop check walks each stage once, so
    it is linear; before, it walked every chain from every stage (cubic: minutes of CPU)."""
    from salessim.scenario import crosscheck

    n = 4000
    nexts = {f"s{i}": f"s{i + 1}" for i in range(n)} | {f"s{n}": "s0", "x": "won"}
    walked = []
    original = dict.__getitem__

    class Counting(dict[str, str]):
        def __getitem__(self, key: str) -> str:
            walked.append(key)
            return original(self, key)

    loops = crosscheck._loops([*nexts], Counting(nexts))
    assert set(loops) == set(nexts) - {"x"}
    assert loops["s3"].startswith("s3 -> s4 -> s5 -> s6 -> ...") and loops["s3"].endswith("s3")
    assert len(walked) <= 3 * len(nexts) + 8 * len(loops)  # each stage walked once


def test_text_that_cannot_be_written_is_refused_at_validation(tmp_path: Path) -> None:
    """A lone surrogate (`"\\ud800"` in YAML) used to pass validate and crash run."""
    text = MINIMAL.replace("name: tiny\n", 'name: tiny\ndescription: "bad \\ud800"\n')
    (err,) = problems_of(write(tmp_path, "s.yaml", text)).problems
    assert err.line == 2  # libyaml refuses the escape itself; the pure-Python reader passes it on
    assert "invalid Unicode character escape" in err.message or "lone surrogate" in err.message
    with pytest.raises(ScenarioError, match="lone surrogate"):
        load(write(tmp_path, "t.yaml", MINIMAL), {"description": "x\udc00"})
    from pydantic import ValidationError

    from salessim.scenario.models import Scenario

    data = load(write(tmp_path, "u.yaml", MINIMAL)).model_dump()
    with pytest.raises(ValidationError, match="description: text that cannot be written"):
        Scenario.model_validate({**data, "description": "a\ud800"})


def test_base_files_stay_in_the_scenario_folder_tree(tmp_path: Path) -> None:
    """`base:` may not open a file outside the scenario's folder (absolute, `../`, a symlink
    leaving it), nor a file that is not .yaml, and never prints such a file's content."""
    secret = write(tmp_path, "secret.yaml", "root:x:0:0:root:/root:/bin/bash\nkey: s3cr3t\n")
    inner = tmp_path / "inner"
    inner.mkdir()
    (inner / "link.yaml").symlink_to(secret)
    write(inner, "notes.txt", "name: x\n")
    (inner / "sub").mkdir()
    write(inner / "sub", "base.yaml", MINIMAL)
    write(tmp_path, "b.yaml", MINIMAL)
    for value in (str(secret), "../secret.yaml", "link.yaml", "/etc/passwd"):
        path = write(inner, "child.yaml", f"base: {value}\nname: child\n")
        (err,) = problems_of(path).problems
        assert err.path == "base" and "outside the scenario's folder" in err.message, value
        assert "s3cr3t" not in str(err) and "root:x" not in str(err)
    path = write(inner, "child.yaml", "base: notes.txt\nname: child\n")
    assert "not a .yaml file" in str(problems_of(path))
    assert load(write(inner, "ok.yaml", "base: sub/base.yaml\nname: ok\n")).name == "ok"
    allowed = (
        load(write(inner, "up.yaml", "base: ../b.yaml\nname: up\n"), None, [tmp_path])
        if write(tmp_path, "b.yaml", MINIMAL)
        else None
    )
    assert allowed is not None and allowed.name == "up"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le"])
def test_utf16_and_utf32_files_are_asked_to_be_saved_as_utf8(tmp_path: Path, encoding: str) -> None:
    path = write(tmp_path, "wide.yaml", MINIMAL.encode(encoding))
    (err,) = problems_of(path).problems
    assert err.message.startswith(f"is {encoding[:6].upper()} text; save it as UTF-8")


@pytest.mark.parametrize(
    ("text", "value"),
    [("a: _", "_"), ("a: __", "__"), ("a: 0x_", "0x_"), ("a: ._", "._"), ("a: 1_000", 1000),
     ("a: 0o17", 15), ("a: no", "no"), ("a: 2026-01-05", __import__("datetime").date(2026, 1, 5))],
)  # fmt: skip
def test_scalars_read_by_yaml_1_2_rules(text: str, value: object) -> None:
    from salessim.scenario.yamlfile import read_value

    assert read_value(text, "x") == {"a": value}


def test_the_first_merged_mapping_wins() -> None:
    from salessim.scenario.yamlfile import read_value

    assert read_value("{<<: [{k: 1}, {k: 2}], j: 3}", "x") == {"k": 1, "j": 3}
    assert read_value("{<<: {k: 1}, k: 5}", "x") == {"k": 5}


def test_the_written_scenario_runs_as_the_file_did(tmp_path: Path) -> None:
    """results/scenario.json is the resolved scenario, "so any figure can be reproduced": read
    back, it must run the same. A role's `workforce:` that changes one key (vacations) keeps the
    scenario's sick days; read back from the written scenario, every key of it counted as given,
    so the default of 0 sick days replaced the scenario's 30, and the lead manager was never
    ill. The same seed must give the same replications."""
    from salessim.experiment import replications as experiment
    from salessim.scenario.models import Scenario

    path = tmp_path / "s.yaml"
    role = "  lead_manager: {headcount: 2, workforce: {vacation_days_per_year: 0}}"
    text = MINIMAL.replace("  lead_manager: {headcount: 2}", role)
    path.write_text(text + "workforce: {sick_days_per_year: 30}\n")
    loaded = load(path)
    again = Scenario.model_validate_json(loaded.model_dump_json(by_alias=True))
    assert again.role_workforce("lead_manager").sick_days_per_year == 30
    assert again.role_workforce("lead_manager").vacation_days_per_year == 0
    first = experiment.run(loaded, 3, seed=4).replications
    second = experiment.run(again, 3, seed=4).replications
    pd.testing.assert_frame_equal(first, second)


def test_a_role_workforce_that_breaks_the_merge_is_reported_once_at_its_key(
    tmp_path: Path,
) -> None:
    """The role's change is valid alone but not combined with the scenario's learning curve:
    one message, at roles.designer.workforce and its line, none at the top of the file."""
    path = tmp_path / "s.yaml"
    role = "  designer: {headcount: 1, workforce: {learning: {reference_tasks: 500}}}"
    text = MINIMAL.replace("  designer: {headcount: 1}", role)
    path.write_text(text + "workforce: {learning: {rate: 0.9, plateau_tasks: 300}}\n")
    with pytest.raises(ScenarioError) as err:
        load(path)
    text = str(err.value)
    assert text.count("plateau_tasks") == 1 and "s.yaml:10:" in text, text
    assert "roles.designer.workforce" in text and ":1:1" not in text
