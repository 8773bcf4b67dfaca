"""Every money and risk KPI on a tiny scenario whose answer follows by hand from its counts."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from salessim.experiment.replications import run_replication
from salessim.measures.kpis import MONTH_HOURS
from salessim.scenario.models import Scenario

from .conftest import deep_update

ROUND_THE_CLOCK = {"workdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "hours": [0, 24]}


def certain_sale(**changes: Any) -> Scenario:
    """One stage, always won, 6 minutes of work, 24/7: every lead becomes a 500 deal at once."""
    base: dict[str, Any] = {
        "name": "certain",
        "horizon_days": 60,
        "calendar": ROUND_THE_CLOCK,
        "leads": [{"source": "web", "per_day": 2, "cost_per_lead": 10}],
        "deal_value": 500,
        "stages": {"qualify": {"by": "closer", "work_hours": 0.1, "success": 1.0}},
        "roles": {"closer": {"headcount": 1, "salary_month": 3000, "commission": 0.1}},
        "overhead_month": 1000,
        "gross_margin": 0.4,
    }
    return Scenario.model_validate(deep_update(base, changes))


def test_costs_profit_and_cac_by_hand() -> None:
    rec = run_replication(certain_sale(), 1, 0)
    won, leads = rec["won"], rec["leads_arrived"]
    months = 60 * 24 / MONTH_HOURS
    assert won == leads - rec["open_at_end"] and won > 80
    assert rec["revenue"] == 500 * won
    assert rec["cost_salaries"] == pytest.approx(3000 * months)
    assert rec["cost_commissions"] == pytest.approx(0.1 * 500 * won)
    assert rec["cost_marketing"] == 10 * leads
    assert rec["cost_overhead"] == pytest.approx(1000 * months)
    total = 3000 * months + 50 * won + 10 * leads + 1000 * months
    assert rec["cost_total"] == pytest.approx(total)
    assert rec["gross_profit"] == pytest.approx(0.4 * 500 * won)
    assert rec["profit"] == pytest.approx(0.4 * 500 * won - total)
    assert rec["cac"] == pytest.approx((total - 1000 * months) / won)
    assert rec["revenue_per_salesperson"] == pytest.approx(500 * won)  # one person all along
    assert rec["top_person_revenue_share"] == 1.0 and rec["revenue_herfindahl"] == 1.0


def test_bonus_paid_for_each_month_on_target() -> None:
    roles = {"closer": {"headcount": 1, "bonus": {"monthly_target": 1000, "amount": 250}}}
    rec = run_replication(certain_sale(roles=roles, horizon_days=365), 1, 0)
    assert rec["cost_bonuses"] == 250 * 12  # 365 days are 12 months of 365/12 days
    never = {"closer": {"headcount": 1, "bonus": {"monthly_target": 1e9, "amount": 250}}}
    assert run_replication(certain_sale(roles=never), 1, 0)["cost_bonuses"] == 0


def test_two_equal_closers_share_revenue() -> None:
    rec = run_replication(certain_sale(roles={"closer": {"headcount": 2}}, horizon_days=200), 1, 0)
    assert rec["top_person_revenue_share"] == pytest.approx(0.5, abs=0.08)
    assert rec["revenue_herfindahl"] == pytest.approx(0.5, abs=0.03)


def test_lifetime_value_and_churn() -> None:
    customers = {"repeat_per_year": 12, "repeat_value": 100, "churn_per_year": 2}
    sc = certain_sale(customers=customers, horizon_days=720)
    recs = [run_replication(sc, 3, r) for r in range(5)]
    assert recs[0]["ltv_estimate"] == pytest.approx(500 + 12 * 100 / 2)
    churn = np.mean([r["churn_rate_month"] for r in recs])
    assert churn == pytest.approx(2 / 12, rel=0.1)  # monthly hazard of a 2-a-year churn
    assert all(r["ltv_observed"] > 500 for r in recs)
    assert math.isnan(
        run_replication(certain_sale(customers={"repeat_per_year": 1}), 1, 0)["ltv_estimate"]
    )


def test_revenue_dip_when_the_only_closer_leaves_for_good() -> None:
    sc = certain_sale(
        horizon_days=300,
        workforce={"resignation": {"replace": False}},
        events=[{"day": 150, "action": "leave", "person": "closer[0]"}],
    )
    rec = run_replication(sc, 1, 0)
    assert rec["resignation_revenue_dip"] == 1.0  # nothing sold in the 90 days after
    assert math.isnan(rec["resignation_recovery_days"])


def test_revenue_recovers_after_a_replacement() -> None:
    sc = certain_sale(
        horizon_days=400,
        leads=[{"source": "web", "per_day": 2, "patience_hours": 12}],
        workforce={"resignation": {"hire_days": 30}},
        events=[{"day": 150, "action": "leave", "person": "closer[0]"}],
    )
    recs = [run_replication(sc, 1, r) for r in range(10)]
    dip = np.mean([r["resignation_revenue_dip"] for r in recs])
    assert dip == pytest.approx(30 / 90, abs=0.08)  # a month without anybody: leads go cold
    recovery = np.mean([r["resignation_recovery_days"] for r in recs])
    assert 58 <= recovery < 120  # the replacement starts at day 30, plus a 28-day window


def test_queue_length_is_littles_law_of_the_waits() -> None:
    sc = certain_sale(
        stages={"qualify": {"by": "closer", "work_hours": 10, "success": 1.0}},
        leads=[{"source": "web", "per_day": 2}],
        horizon_days=200,
    )
    rec = run_replication(sc, 1, 0)
    assert rec["stage.qualify.queue_mean"] > 1  # 20 hours of work a day for 24 hours: it queues


def test_monthly_costs_add_up_to_the_year() -> None:
    from salessim.experiment.replications import replicate

    roles = {
        "closer": {
            "headcount": 1,
            "sourcing_commission": 0.02,
            "bonus": {"monthly_target": 5000, "amount": 100},
        }
    }
    one = replicate(certain_sale(horizon_days=365, roles=roles), 1, 0)
    months = [row for row in one.timeseries if row["period"] == "month"]
    assert len(months) == 12
    assert one.record["cost_bonuses"] > 0
    for cost in (
        "cost_salaries",
        "cost_commissions",
        "cost_marketing",
        "cost_overhead",
        "cost_bonuses",
        "cost_total",
    ):
        assert sum(row[cost] for row in months) == pytest.approx(one.record[cost])
    assert sum(row["revenue"] for row in months) == pytest.approx(one.record["revenue"])
    assert sum(row["profit"] for row in months) == pytest.approx(one.record["profit"])


def test_monthly_flows_add_up_to_the_year() -> None:
    from salessim.experiment.replications import replicate

    sc = certain_sale(
        horizon_days=365,
        calendar={"workdays": ["mon", "tue", "wed", "thu", "fri"], "hours": [9, 17]},
        stages={"qualify": {"by": "closer", "work_hours": 1.5, "success": 0.5}},
        customers={"repeat_per_year": 4},
    )
    one = replicate(sc, 2, 0)
    months = [row for row in one.timeseries if row["period"] == "month"]
    rec = one.record
    for key in (
        "stage.qualify.entered",
        "stage.qualify.succeeded",
        "revenue_new",
        "revenue_repeat",
        "deals",
    ):
        total = sum(row[key] for row in months)
        assert total == pytest.approx(rec["won" if key == "deals" else key])
    # utilisation per month averages (weighted by working hours) to the year's
    util = [row["role.closer.utilisation"] for row in months]
    assert min(util) <= rec["role.closer.utilisation"] <= max(util)
    assert all(0 <= u <= 1 + 1e-9 for u in util)


def test_queue_length_counts_leads_that_went_cold_while_waiting() -> None:
    from .conftest import make_scenario

    sc = make_scenario(
        leads=[{"source": "web", "per_day": 6, "patience_hours": 10}],
        roles={"lead_manager": {"headcount": 0}},
    )
    rec = run_replication(sc, 1, 0)
    # nobody works: every lead waits in qualify until it goes cold, so the queue is the funnel
    assert rec["stage.qualify.queue_mean"] == pytest.approx(rec["open_leads_mean"], rel=0.02)


def test_bonus_months_skip_the_month_cut_by_the_warm_up() -> None:
    from salessim.experiment.replications import replicate

    sc = certain_sale(
        horizon_days=365 / 12 * 4,
        warmup_days=20,
        roles={"closer": {"headcount": 1, "bonus": {"monthly_target": 1, "amount": 100}}},
    )
    one = replicate(sc, 1, 0)
    months = [row for row in one.timeseries if row["period"] == "month"]
    assert one.record["cost_bonuses"] == 300 == sum(row["cost_bonuses"] for row in months)


@given(
    daily=st.lists(st.floats(0, 1e6), max_size=60),
    a=st.floats(0, 70),
    length=st.floats(0, 40),
)
def test_sum_days_is_the_pro_rata_sum_of_the_days(daily: list[float], a: float,
                                                   length: float) -> None:  # fmt: skip
    """Each day d counts for its overlap with [a, b): the definition, day by day."""
    from salessim.measures.kpis import sum_days

    b = a + length
    expected = sum(v * max(0.0, min(b, d + 1) - max(a, d)) for d, v in enumerate(daily))
    assert sum_days(daily, a, b) == pytest.approx(expected, rel=1e-12, abs=1e-9)
