"""Degenerate but valid scenarios run and give the answer a person would work out by hand."""

from __future__ import annotations

import datetime as dt
import tracemalloc

import pandas as pd
import pytest

from salessim.experiment import replications as experiment
from salessim.experiment.replications import RunResult
from salessim.scenario.models import Scenario

from .conftest import TINY, make_scenario

OUTCOMES = [
    "won",
    "lost_rejected",
    "lost_cold",
    "lost_waiting",
    "lost_with_leaver",
    "lost_no_show",
    "open_at_end",
]


def run(scenario: Scenario, n: int = 3) -> RunResult:
    result = experiment.run(scenario, n, seed=11)
    reps = result.replications
    assert (reps[OUTCOMES].sum(axis=1) == reps["leads_arrived"]).all()  # every lead accounted for
    return result


def mean(result: RunResult, metric: str) -> float:
    return float(result.summary.set_index("metric").at[metric, "mean"])


def test_zero_leads_means_nothing_happens_but_people_are_paid() -> None:
    salaried = {"lead_manager": {"headcount": 1, "salary_month": 3000}}
    result = run(make_scenario(leads=[{"source": "web", "per_day": 0}], roles=salaried))
    for metric in ("leads_arrived", "won", "revenue", "role.lead_manager.utilisation"):
        assert mean(result, metric) == 0
    assert mean(result, "cost_salaries") == pytest.approx(3000 * 12 * 28 / 365, rel=0.01)


def test_zero_staff_leaves_every_lead_open() -> None:
    nobody = {"lead_manager": {"headcount": 0}, "designer": {"headcount": 0}}
    result = run(make_scenario(roles=nobody))
    assert mean(result, "leads_arrived") > 100
    assert mean(result, "leads_contacted") == mean(result, "won") == 0
    assert mean(result, "open_at_end") == mean(result, "leads_arrived")


def test_horizon_before_the_first_working_hour_contacts_nobody() -> None:
    result = run(make_scenario(horizon_days=0.3, leads=[{"source": "web", "per_day": 40}]), n=5)
    assert mean(result, "leads_arrived") > 0  # leads arrive from midnight, work starts at 9:00
    assert mean(result, "leads_contacted") == 0
    assert (result.people["hours_worked"] == 0).all()


def test_horizon_of_half_a_day_allows_at_most_three_hours_of_work() -> None:
    result = run(make_scenario(horizon_days=0.5, leads=[{"source": "web", "per_day": 40}]), n=5)
    assert mean(result, "leads_contacted") > 0
    assert result.people["hours_worked"].max() <= 3.0 + 1e-9  # 9:00 to 12:00


@pytest.mark.parametrize("p", [0.0, 1.0])
def test_probabilities_of_zero_and_one(p: float) -> None:
    stages = {"qualify": {"success": p}, "meeting": {"success": p}}
    result = run(make_scenario(stages=stages))
    if p == 0:
        assert mean(result, "won") == 0
        assert mean(result, "lost_rejected") > 0.9 * mean(result, "leads_contacted")
        assert mean(result, "lost_rejected") + mean(result, "open_at_end") == mean(
            result, "leads_arrived"
        )
    else:
        assert mean(result, "lost_rejected") == 0
        assert mean(result, "won") > 0
        assert mean(result, "won") + mean(result, "open_at_end") == mean(result, "leads_arrived")


def test_a_role_nobody_needs_idles_and_changes_nothing_else() -> None:
    extra = make_scenario(roles={**TINY["roles"], "janitor": {"headcount": 2}})
    with_janitor, without = run(extra), run(make_scenario())
    assert mean(with_janitor, "role.janitor.utilisation") == 0
    janitors = with_janitor.people[with_janitor.people["role"] == "janitor"]
    assert len(janitors) == 2 * 3 and (janitors["hours_worked"] == 0).all()
    for metric in ("leads_arrived", "won", "revenue"):
        assert with_janitor.replications[metric].tolist() == without.replications[metric].tolist()


def test_a_holiday_every_day_means_no_work() -> None:
    start = dt.date(2026, 1, 5)
    every_day = [(start + dt.timedelta(days=d)).isoformat() for d in range(30)]
    result = run(make_scenario(calendar={"holidays": every_day}))
    assert mean(result, "leads_arrived") > 100
    assert mean(result, "leads_contacted") == 0
    assert (result.people["hours_worked"] == 0).all()
    assert (result.people["hours_available"] == 0).all()


def test_a_thousand_people_share_the_work() -> None:
    crowd = {"lead_manager": {"headcount": 500}, "designer": {"headcount": 500}}
    scenario = make_scenario(
        horizon_days=7, leads=[{"source": "web", "per_day": 1500}], roles=crowd
    )
    result = run(scenario, n=1)
    assert len(result.people) == 1000
    assert mean(result, "won") > 0.2 * 0.8 * mean(result, "leads_arrived")  # 0.5 * 0.5, minus open
    worked = result.people.groupby("role")["hours_worked"]
    assert (worked.count() == 500).all() and (worked.apply(lambda h: (h > 0).mean()) > 0.9).all()


def test_ten_year_horizon_runs_in_bounded_memory() -> None:
    scenario = make_scenario(horizon_days=3650)
    tracemalloc.start()
    result = run(scenario, n=1)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    expected = 6 * 3650  # per_day over every calendar day
    assert mean(result, "leads_arrived") == pytest.approx(expected, rel=0.05)
    weeks = result.timeseries[result.timeseries["period"] == "week"]
    assert len(weeks) == 3650 // 7
    assert peak < 20 * 2**20, f"peak {peak / 2**20:.1f} MiB"
    assert isinstance(result.summary, pd.DataFrame)
