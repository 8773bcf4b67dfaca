"""Referrals: active customers bring new leads at a settable rate, as their own free source."""

from __future__ import annotations

import math

import pytest

from salessim.experiment import replications as experiment

from .conftest import make_scenario


def _run(**customers: object) -> dict[str, float]:
    scenario = make_scenario(
        horizon_days=30,
        leads=[{"source": "web", "per_day": 0, "cost_per_lead": 50}],
        stages={"qualify": {"success": 0.0}},  # nobody is won: no new customers to refer
        customers={"opening": [{"count": 100}], **customers},
    )
    summary = experiment.run(scenario, 10, seed=4).summary.set_index("metric")
    return {m: float(summary.loc[m, "mean"]) for m in summary.index}


def test_customers_refer_at_the_rate_given_as_their_own_free_source() -> None:
    found = _run(referrals_per_year=12)
    # by hand: 100 customers x 12 a year x 30/365 of a year = 98.6 leads
    assert found["source.referrals.leads"] == pytest.approx(100 * 12 * 30 / 365, rel=0.08)
    assert found["leads_arrived"] == pytest.approx(found["source.referrals.leads"])
    assert found["cost_marketing"] == 0  # word of mouth costs no marketing
    assert "source.referrals.leads" not in _run()  # off by default: no such source


def test_churned_customers_stop_referring() -> None:
    # by hand: at churn 12 a year a customer is still active after t with probability
    # exp(-12 t), so over 30 days 100 customers refer 100 x 12 x (1 - exp(-12 x 30/365)) / 12
    churning = _run(referrals_per_year=12, churn_per_year=12)["source.referrals.leads"]
    assert churning == pytest.approx(100 * (1 - math.exp(-12 * 30 / 365)), rel=0.12)
