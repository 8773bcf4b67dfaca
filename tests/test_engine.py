"""Engine behaviour: conservation of leads, reproducibility, working hours and capacity."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salessim.engine.calendar import WorkCalendar, resolve
from salessim.engine.simulation import TraceRow, simulate
from salessim.engine.streams import Streams
from salessim.experiment.replications import run_replication
from salessim.measures.metrics import record
from salessim.scenario.models import Scenario

from .conftest import make_scenario

ALL_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def traced(scenario: Scenario, seed: int = 1) -> tuple[dict[str, float], list[TraceRow]]:
    trace: list[TraceRow] = []
    rec = record(simulate(scenario, Streams(seed, 0), trace))
    return rec, trace


def assert_conserved(rec: dict[str, float]) -> None:
    ended = (
        rec["won_cohort"]
        + rec["lost_rejected"]
        + rec["lost_cold"]
        + rec["lost_waiting"]
        + rec["lost_with_leaver"]
        + rec["lost_no_show"]
    )
    assert rec["leads_arrived"] == ended + rec["open_at_end"]


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    """Random valid scenarios: a chain of 1-4 stages over 1-3 roles, any calendars."""
    n_roles = draw(st.integers(1, 3))
    roles: dict[str, Any] = {}
    for r in range(n_roles):
        role: dict[str, Any] = {"headcount": draw(st.integers(0, 3))}
        if draw(st.booleans()):
            days = draw(st.lists(st.sampled_from(ALL_DAYS), min_size=1, max_size=7, unique=True))
            start = draw(st.integers(0, 20))
            role["calendar"] = {
                "workdays": days,
                "hours": [start, draw(st.integers(start + 1, 24))],
            }
        roles[f"r{r}"] = role
    n_stages = draw(st.integers(1, 4))
    dist = st.one_of(
        st.floats(0, 5),
        st.builds(lambda m: {"dist": "exponential", "mean": m}, st.floats(0.05, 5)),
        st.builds(
            lambda a, b: {"dist": "uniform", "low": a, "high": a + b},
            st.floats(0, 3),
            st.floats(0, 3),
        ),
    )
    stages: dict[str, Any] = {}
    for s in range(n_stages):
        stage: dict[str, Any] = {
            "by": f"r{draw(st.integers(0, n_roles - 1))}",
            "work_hours": draw(dist),
            "success": draw(st.floats(0, 1)),
            "next": f"s{s + 1}" if s + 1 < n_stages else "won",
            "no_show": draw(st.sampled_from([0.0, 0.3])),
        }
        if draw(st.booleans()):
            stage["delay_days"] = draw(dist)
        if draw(st.booleans()):
            stage["follow_up"] = {"attempts": draw(st.integers(0, 2)), "delay_days": draw(dist)}
        if draw(st.booleans()):
            stage["patience_hours"] = draw(dist)
        if draw(st.booleans()):
            stage["no_show_hours"] = draw(dist)
        if draw(st.booleans()):
            stage["reminder"] = {
                "hours": draw(st.floats(0, 1)),
                "catches": draw(st.floats(0, 1)),
                "reschedules": draw(st.floats(0, 1)),
            }
        stages[f"s{s}"] = stage
    source: dict[str, Any] = {"source": "web", "per_day": draw(st.floats(0, 30))}
    if draw(st.booleans()):
        source["patience_hours"] = draw(dist)
    if draw(st.booleans()):
        source["market_size"] = draw(st.integers(0, 50))
    horizon = draw(st.floats(0.2, 20))
    extra: dict[str, Any] = {}
    if draw(st.booleans()):
        extra["workforce"] = {
            "sick_days_per_year": draw(st.floats(0, 60)),
            "vacation_days_per_year": draw(st.floats(0, 40)),
            "handover": draw(st.sampled_from(["wait", "team"])),
            "resignation": {
                "annual_rate": draw(st.floats(0, 10)),
                "notice_days": draw(st.floats(0, 10)),
                "hire_days": draw(st.floats(0, 10)),
            },
            "ramp_up": {"days": draw(st.floats(0, 20))},
            "probation": {
                "days": draw(st.floats(1, 20)),
                "min_relative": draw(st.floats(0, 2)),
                "min_attempts": draw(st.integers(0, 3)),
            },
        }
    if draw(st.booleans()):
        r = draw(st.integers(0, n_roles - 1))
        stages["hunt"] = {
            "by": f"r{r}",
            "kind": "prospecting",
            "work_hours": draw(st.floats(0.1, 3)),
            "leads_per_hour": draw(st.floats(0, 3)),
            "next": "s0",
        }
        roles[f"r{r}"]["switch_overhead_hours"] = draw(st.floats(0, 2))
        roles[f"r{r}"]["time_share"] = draw(st.floats(0.1, 1))
    if draw(st.booleans()):
        extra["customers"] = {
            "repeat_per_year": draw(st.floats(0, 50)),
            "repeat_stage": draw(st.sampled_from([None, "s0", f"s{n_stages - 1}"])),
            "churn_per_year": draw(st.floats(0, 5)),
            "follows_owner_on_exit": draw(st.floats(0, 1)),
        }
    seats = [f"r{r}[{i}]" for r in range(n_roles) for i in range(roles[f"r{r}"]["headcount"])]
    if seats and draw(st.booleans()):
        extra["events"] = [
            {
                "day": draw(st.floats(0, horizon)),
                "person": draw(st.sampled_from(seats)),
                "action": draw(st.sampled_from(["resign", "leave", "absent"])),
                "days": 2,
            },
            {"day": draw(st.floats(0, horizon)), "person": "r0", "action": "hire"},
        ]
    return Scenario.model_validate(
        {
            **extra,
            "name": "random",
            "horizon_days": horizon,
            "warmup_days": draw(st.floats(0, horizon * 0.9)),
            "leads": [source],
            "stages": stages,
            "roles": roles,
        }
    )


@settings(
    max_examples=int(os.environ.get("SALESSIM_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(scenario=scenarios(), seed=st.integers(0, 2**32))
def test_every_lead_is_won_lost_or_open(scenario: Scenario, seed: int) -> None:
    rec, trace = traced(scenario, seed)
    assert_conserved(rec)
    assert rec["leads_arrived"] == sum(v for k, v in rec.items() if k.startswith("source."))
    ended = [row[1] for row in trace if row[0] == "end"]
    assert len(ended) == len(set(ended)), "a lead ended twice"
    for row in trace:
        if row[0] == "work":
            assert row[4] <= row[5]


def test_same_seed_same_record_and_other_seed_differs(tiny: Scenario) -> None:
    a = run_replication(tiny, seed=7, replication=3)
    b = run_replication(tiny, seed=7, replication=3)
    c = run_replication(tiny, seed=8, replication=3)
    assert a == b
    assert a != c


def test_more_staff_keeps_the_same_leads() -> None:
    small = make_scenario(roles={"designer": {"headcount": 1}})
    big = make_scenario(roles={"designer": {"headcount": 3}})
    for rep in range(5):
        assert (
            run_replication(small, 1, rep)["leads_arrived"]
            == run_replication(big, 1, rep)["leads_arrived"]
        )


def test_adding_a_person_to_the_bottleneck_does_not_lower_work_done() -> None:
    heavy = {"meeting": {"work_hours": {"dist": "exponential", "mean": 3}}}
    one = make_scenario(stages=heavy, roles={"designer": {"headcount": 1}})
    two = make_scenario(stages=heavy, roles={"designer": {"headcount": 2}})
    assert run_replication(one, 1, 0)["role.designer.utilisation"] > 0.9  # it is the bottleneck

    def worked(sc: Scenario) -> float:
        recs = [run_replication(sc, 11, r) for r in range(50)]
        return float(np.mean([r["stage.qualify.worked"] + r["stage.meeting.worked"] for r in recs]))

    assert worked(two) >= worked(one)


def test_no_work_outside_working_hours() -> None:
    sc = make_scenario(
        calendar={"holidays": ["2026-01-07"]},
        roles={
            "designer": {
                "headcount": 1,
                "calendar": {"workdays": ["sat", "sun"], "hours": [10, 14]},
            }
        },
    )
    _, trace = traced(sc)
    work = [row for row in trace if row[0] == "work"]
    assert len(work) > 50
    cals = {
        role: WorkCalendar.build(resolve(sc.calendar, r.calendar), sc.horizon_days * 24)
        for role, r in sc.roles.items()
    }
    for _, person, _stage, _lead, start, end, hours in work:
        cal = cals[person.split("[")[0]]
        assert cal.is_open(start), f"{person} started work at closed hour {start}"
        if end <= sc.horizon_days * 24:  # work cut by the horizon is not finished
            inside = sum(b - a for a, b in cal.segments(start, end))
            assert abs(inside - hours) < 1e-6, "work spilled outside working hours"
            assert cal.is_open(end - 1e-6), f"{person} finished work at closed hour {end}"


def test_weekend_leads_wait_until_monday() -> None:
    sc = make_scenario(
        leads=[{"source": "web", "per_day": 10, "weekday_profile": [0, 0, 0, 0, 0, 1, 1]}]
    )
    _, trace = traced(sc)
    first_work: dict[int, float] = {}
    for row in trace:
        if row[0] == "work" and row[2] == "qualify":
            first_work.setdefault(row[3], row[4])
    assert first_work
    for start in first_work.values():
        assert int(start // 24) % 7 < 5, f"weekend lead first worked on a weekend, hour {start}"
    mondays_9am = {week * 168 + 9.0 for week in range(1, 4)}
    assert mondays_9am <= set(first_work.values()), "the weekend queue did not start on Monday"


def test_headcount_zero_means_the_stage_never_completes() -> None:
    sc = make_scenario(roles={"designer": {"headcount": 0}})
    rec = run_replication(sc, 1, 0)
    assert rec["stage.meeting.entered"] > 0
    assert rec["stage.meeting.worked"] == 0 and rec["won"] == 0
    assert rec["open_at_end"] >= rec["stage.meeting.entered"]
    assert_conserved(rec)


def test_impatient_leads_with_nobody_to_call_go_cold() -> None:
    sc = make_scenario(
        leads=[{"source": "web", "per_day": 5, "patience_hours": 2}],
        roles={"lead_manager": {"headcount": 0}},
    )
    rec = run_replication(sc, 1, 0)
    assert rec["lost_cold"] >= rec["leads_arrived"] - 2 * 5  # all but the last couple of hours
    assert_conserved(rec)


def test_market_size_caps_arrivals() -> None:
    sc = make_scenario(leads=[{"source": "web", "per_day": 50, "market_size": 30}])
    assert run_replication(sc, 1, 0)["leads_arrived"] == 30


def test_certain_funnel_wins_every_contacted_lead() -> None:
    sc = make_scenario(
        stages={"qualify": {"success": 1.0}, "meeting": {"success": 1.0, "work_hours": 0.1}},
        roles={"lead_manager": {"headcount": 5}, "designer": {"headcount": 5}},
    )
    rec = run_replication(sc, 1, 0)
    assert rec["lost_rejected"] == 0
    assert rec["won"] == rec["leads_arrived"] - rec["open_at_end"]
    assert rec["revenue"] == 1000 * rec["won"]


def test_follow_up_retries_raise_conversion() -> None:
    plain = make_scenario(roles={"lead_manager": {"headcount": 3}, "designer": {"headcount": 3}})
    retry = make_scenario(
        stages={"qualify": {"follow_up": {"attempts": 2, "delay_days": 0.5}}},
        roles={"lead_manager": {"headcount": 3}, "designer": {"headcount": 3}},
    )
    a = np.mean([run_replication(plain, 2, r)["stage.qualify.conversion"] for r in range(20)])
    b = np.mean([run_replication(retry, 2, r)["stage.qualify.conversion"] for r in range(20)])
    assert b > a + 0.15  # 1 - 0.5**3 = 0.875 against 0.5


def test_skill_multipliers_change_conversion() -> None:
    good = make_scenario(roles={"designer": {"headcount": 1, "people": [{"success": 1.8}]}})
    base = make_scenario()
    a = np.mean([run_replication(base, 3, r)["stage.meeting.conversion"] for r in range(20)])
    b = np.mean([run_replication(good, 3, r)["stage.meeting.conversion"] for r in range(20)])
    assert b > a + 0.2


def test_hourly_profile_puts_arrivals_in_office_hours() -> None:
    profile = [0.0] * 8 + [1.0] * 10 + [0.0] * 6  # 08:00-18:00 only
    sc = make_scenario(leads=[{"source": "web", "per_day": 20, "hourly_profile": profile}])
    _, trace = traced(sc)
    arrivals = [row[3] for row in trace if row[0] == "end"]
    assert len(arrivals) > 100
    assert all(8 <= t % 24 < 18 for t in arrivals)
