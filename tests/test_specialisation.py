"""Specialists against generalists: learning by doing, switching costs, focus loss and
secondary work, each held to a figure derived by hand (docs/modelling.md, "Learning, switching
and focus").
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from salessim.engine.simulation import Simulation, simulate
from salessim.engine.streams import Streams
from salessim.engine.wiring import TraceRow
from salessim.experiment.replications import replicate
from salessim.scenario.models import Scenario
from salessim.scenario.workforce import Learning

from .conftest import TINY, deep_update

ROOT = Path(__file__).resolve().parents[1]
ALWAYS = {"workdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "hours": [0, 24]}


def scenario(stages: dict[str, Any], roles: dict[str, Any], **changes: Any) -> Scenario:
    data = deep_update(TINY, {"calendar": ALWAYS, **changes})
    data["stages"], data["roles"] = stages, roles
    return Scenario.model_validate(data)


def work_rows(sc: Scenario, seed: int = 1) -> list[TraceRow]:
    trace: list[TraceRow] = []
    simulate(sc, Streams(seed, 0), trace=trace)
    return [row for row in trace if row[0] == "work"]


def one_stage(learning: dict[str, Any], work_hours: Any = 1.0, **changes: Any) -> Scenario:
    """One person doing one stage all year on a queue that never empties (48 leads a day for a
    one-hour task, leads going cold after 12 hours)."""
    settings = {"horizon_days": 365, "workforce": {"learning": learning},
                "leads": [{"source": "web", "per_day": 48, "patience_hours": 12}]}  # fmt: skip
    return scenario(
        {"serve": {"by": "clerk", "work_hours": work_hours, "success": 0.5}},
        {"clerk": {"headcount": 1}},
        **deep_update(settings, changes),
    )


def test_the_experience_curve_is_wrights_law_with_a_plateau() -> None:
    curve = Learning(rate=0.8, reference_tasks=100, plateau_tasks=800)
    assert curve.factors(100) == (1.0, 1.0)
    assert curve.factors(200)[0] == pytest.approx(0.8)
    assert curve.factors(400)[0] == pytest.approx(0.64)
    assert curve.factors(50)[0] == pytest.approx(1.25)
    assert curve.factors(5000) == curve.factors(800)
    assert curve.factors(0) == curve.factors(1)  # the first task is the first of the curve


def test_time_per_task_falls_along_the_entered_curve_all_year() -> None:
    rate, start = 0.85, 20
    sc = one_stage({"rate": rate, "reference_tasks": 100, "start_tasks": start,
                    "plateau_tasks": 100_000})  # fmt: skip
    rows = work_rows(sc)
    hours = np.array([row[6] for row in rows])
    assert len(hours) > 5000  # a year of back-to-back tasks
    expected = ((start + np.arange(len(hours))) / 100) ** np.log2(rate)
    assert np.max(np.abs(hours / expected - 1)) < 0.02
    # Each doubling of experience multiplies the time by the rate: 40 -> 80 -> 160 -> ... tasks
    for n in (40, 80, 160, 320, 640, 1280, 2560):
        assert hours[2 * n - start] / hours[n - start] == pytest.approx(rate, rel=0.02)


def test_time_per_task_falls_along_the_curve_with_random_work_times() -> None:
    """With triangular work times the mean time of a block of tasks follows the curve."""
    rate = 0.8
    sc = one_stage({"rate": rate, "reference_tasks": 100, "start_tasks": 100,
                    "plateau_tasks": 100_000},
                   work_hours={"dist": "triangular", "low": 0.5, "mode": 1,
                               "high": 1.5})  # fmt: skip
    hours = np.array([row[6] for row in work_rows(sc)])
    expected = ((100 + np.arange(len(hours))) / 100) ** np.log2(rate)
    ratio = hours / expected  # the stage's draws, mean 1 and sd 0.2
    for block in np.array_split(ratio, 8):
        assert block.mean() == pytest.approx(1.0, abs=0.02)


def test_learning_stops_at_the_plateau_and_a_hire_starts_from_hire_tasks() -> None:
    sc = one_stage(
        {"rate": 0.8, "reference_tasks": 100, "start_tasks": 100, "plateau_tasks": 400,
         "hire_tasks": 10},
        horizon_days=120,
        events=[{"day": 60, "action": "leave", "person": "clerk[0]"},
                {"day": 60, "action": "hire", "person": "clerk"}],
    )  # fmt: skip
    rows = work_rows(sc)
    veteran = [row[6] for row in rows if row[1] == "clerk[0]"]
    hire = [row[6] for row in rows if row[1] != "clerk[0]"]
    assert veteran[-1] == pytest.approx(0.64)  # 400 tasks: two doublings, then flat
    assert veteran[400] == pytest.approx(0.64)
    assert hire[0] == pytest.approx((10 / 100) ** np.log2(0.8))  # ~2.1 h: a novice
    assert hire[0] > hire[100] > hire[300]


def test_success_learns_when_asked_and_is_otherwise_untouched() -> None:
    base = {"reference_tasks": 10, "start_tasks": 10, "plateau_tasks": 10_000}
    off = replicate(one_stage(base), 3, 0).record
    on = replicate(one_stage({**base, "success_rate": 1.1}), 3, 0).record
    assert on["stage.serve.worked"] == off["stage.serve.worked"]  # time is untouched
    assert off["won"] / off["stage.serve.worked"] == pytest.approx(0.5, abs=0.02)
    # By hand: the n-th task succeeds with 0.5 x (n / 10)^log2(1.1), at most 1
    n = 10 + np.arange(on["stage.serve.worked"])
    expected = np.minimum(1.0, 0.5 * (n / 10) ** np.log2(1.1)).sum()
    assert on["won"] == pytest.approx(expected, rel=0.02)


def test_learning_with_a_flat_curve_is_bit_identical_to_learning_off() -> None:
    """The learning code path (rate 0.8 but every task at the plateau) leaves every random
    stream where it was: the same records to the last bit."""
    sc = one_stage({}, work_hours={"dist": "exponential", "mean": 1},
                   workforce={"sick_days_per_year": 10,
                              "resignation": {"annual_rate": 1}})  # fmt: skip
    flat = sc.model_copy(update={"workforce": sc.workforce.model_copy(update={
        "learning": Learning(rate=0.8, reference_tasks=50, start_tasks=50, hire_tasks=50,
                             plateau_tasks=50)})})  # fmt: skip
    assert type(Simulation(flat, Streams(1, 0)).productivity).__name__ == "LearningProductivity"
    a, b = replicate(sc, 5, 0), replicate(flat, 5, 0)
    assert a.record == b.record
    assert a.people == b.people


def test_a_specialist_gets_faster_than_a_generalist_doing_three_stages() -> None:
    """Same learning curve, same lead stream: one person doing three stages does a third of
    the practice at each, so their tasks take longer on average than three specialists'."""
    learning = {"rate": 0.8, "reference_tasks": 100, "start_tasks": 10, "plateau_tasks": 10_000}
    names = ["a", "b", "c"]

    def stages(specialists: bool) -> dict[str, Any]:
        return {name: {"by": name if specialists else "seller", "work_hours": 0.5,
                       "success": 1.0, "next": names[i + 1] if i < 2 else "won"}
                for i, name in enumerate(names)}  # fmt: skip

    common = {"horizon_days": 120, "workforce": {"learning": learning},
              "leads": [{"source": "web", "per_day": 30, "patience_hours": 12}]}  # fmt: skip
    spec = scenario(stages(True), {n: {"headcount": 1} for n in names}, **common)
    gen = scenario(stages(False), {"seller": {"headcount": 3}}, **common)
    mean_spec = np.mean([row[6] for row in work_rows(spec)])
    mean_gen = np.mean([row[6] for row in work_rows(gen)])
    # By hand: each specialist does ~3x the practice at their stage: 0.8^log2(3) = 0.70
    assert mean_spec / mean_gen == pytest.approx(0.8 ** np.log2(3), rel=0.08)


def test_switching_cost_depends_on_from_and_to() -> None:
    """Pairs named in switch_hours cost their hours; other switches cost switch_overhead."""
    stages = {
        "call": {"by": "rep", "work_hours": 0.5, "success": 0.5, "next": "meet"},
        "meet": {"by": "rep", "work_hours": 1.0, "success": 0.5},
    }
    sc = scenario(stages, {"rep": {"headcount": 1, "switch_overhead_hours": 0.1,
                                   "switch_hours": {"call": {"meet": 0.75}}}},
                  leads=[{"source": "web", "per_day": 6}])  # fmt: skip
    rows = work_rows(sc)
    assert len(rows) > 50
    for prev, row in zip(rows, rows[1:], strict=False):
        base = 0.5 if row[2] == "call" else 1.0
        extra = {("call", "meet"): 0.75, ("meet", "call"): 0.1}.get((prev[2], row[2]), 0.0)
        assert row[6] == pytest.approx(base + extra)


def test_switch_hours_name_stages_of_the_role() -> None:
    from salessim.scenario.crosscheck import cross_check

    data = deep_update(TINY, {"roles": {"designer": {"switch_hours": {"meeting": {"qualify": 1}}}}})
    assert ("roles.designer.switch_hours.meeting.qualify",
            "'qualify' is not a stage worked by role 'designer'") in cross_check(data)  # fmt: skip


def test_focus_loss_slows_every_task_by_the_number_of_stage_kinds() -> None:
    names = ["a", "b", "c", "d"]
    stages = {name: {"by": "seller", "work_hours": 1.0, "success": 0.5,
                     "next": names[i + 1] if i < 3 else "won"}
              for i, name in enumerate(names)}  # fmt: skip
    sc = scenario(stages, {"seller": {"headcount": 1, "focus_loss": 0.05}})
    hours = np.array([row[6] for row in work_rows(sc)])
    assert len(hours) > 50
    assert np.allclose(hours, 1.15)  # 1 + 0.05 x (4 - 1)


def test_idle_specialists_can_be_given_secondary_work() -> None:
    """A support person who prospects when idle finds leads in the time they had spare, and
    never delays support work for it (it comes after support in their priority list)."""
    stages = {
        "sell": {"by": "closer", "work_hours": 1.0, "success": 0.5, "next": "support"},
        "support": {"by": "support", "work_hours": 1.0, "success": 1.0},
        "prospect": {"by": ["support"], "kind": "prospecting", "work_hours": 1.0,
                     "leads_per_hour": 0.2, "next": "sell"},
    }  # fmt: skip
    common = {"horizon_days": 120, "leads": [{"source": "web", "per_day": 2}]}
    idle = scenario(
        {k: v for k, v in stages.items() if k != "prospect"},
        {"closer": {"headcount": 1}, "support": {"headcount": 1}},
        **common,
    )
    busy = scenario(stages, {"closer": {"headcount": 1},
                             "support": {"headcount": 1, "stages": ["support", "prospect"]}},
                    **common)  # fmt: skip
    a, b = replicate(idle, 2, 0).record, replicate(busy, 2, 0).record
    # By hand: support is ~1 h busy per won sale (1/day), so ~23 h a day are free; at 0.2
    # leads an hour that is ~4.5 outbound leads a day, more than the 2 inbound.
    found = b["leads_arrived"] - a["leads_arrived"]
    assert found / 120 == pytest.approx(23 * 0.2, rel=0.15)
    assert b["won"] > a["won"]


BREAK_EVEN = re.compile(r"^ *(salessim sweep scenarios/sme_specialists\.yaml --against .*)$", re.M)


def test_the_documented_break_even_sweep_flips_its_verdict(tmp_path: Path) -> None:
    """docs/scenarios.md's sweep: without learning the two structures make the same profit
    (the paired 95% CI covers 0); with learning at 0.8 or faster the specialists make more
    (CI above 0). The break-even, where the interpolated difference is zero, lies at the
    no-learning end, and the command prints and records it."""
    from typer.testing import CliRunner

    from salessim.cli import app
    from salessim.experiment.whatif import break_even

    found = BREAK_EVEN.search((ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8"))
    assert found is not None, "docs/scenarios.md lost its break-even example"
    args = shlex.split(found.group(1))[1:]
    args[args.index("-o") + 1] = str(tmp_path / "sweep")
    result = CliRunner().invoke(app, args, env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "sweep" / "sweep.csv").set_index("workforce.learning.rate")
    assert table.at[1.0, "profit.diff_low"] < 0 < table.at[1.0, "profit.diff_high"]
    for rate in (0.8, 0.7):
        assert table.at[rate, "profit.diff_low"] > 0
    assert table["profit.diff"].is_monotonic_increasing  # the faster the learning, the wider
    flip = break_even(table.reset_index(), "workforce.learning.rate", "profit",
                      ("sme_specialists", "sme_generalists"))  # fmt: skip
    assert flip is not None
    if flip.at is not None:  # a crossing: at the no-learning end
        assert 0.9 <= flip.at <= 1.0 and flip.ahead_below == "sme_specialists"
        text = (tmp_path / "sweep" / "break_even.txt").read_text(encoding="utf-8")
        assert f"{flip.at:.4g}" in text and f"{flip.at:.4g}" in result.output
    page = (tmp_path / "sweep" / "report.html").read_text(encoding="utf-8")
    assert 'id="break-even"' in page


def test_break_even_interpolates_the_difference_and_its_interval() -> None:
    """By hand: the mean difference 30, 10, -10 at 0.8, 0.9, 1.0 crosses zero at 0.95; the
    CI's lower bound (10, -10, -30) at 0.85; the upper bound (50, 30, 10) never: beyond."""
    from salessim.experiment.whatif import break_even

    table = pd.DataFrame(
        {
            "x": [1.0, 0.9, 0.8],
            "profit.diff": [-10, 10, 30],
            "profit.diff_low": [-30, -10, 10],
            "profit.diff_high": [10, 30, 50],
        }
    )
    found = break_even(table, "x", "profit", ("a", "b"))
    assert found is not None and found.at == pytest.approx(0.95)
    assert found.low == pytest.approx(0.85) and found.high is None
    assert (found.ahead_below, found.ahead_above) == ("a", "b")
    assert "0.95 (95% CI 0.85 to beyond the swept range)" in found.sentence("EUR")
    ahead = break_even(table.assign(**{"profit.diff": [5, 10, 30]}), "x", "profit", ("a", "b"))
    assert ahead is not None and ahead.at is None
    assert ahead.sentence("EUR").startswith("a has more profit than b at every swept x")
