"""Verdicts read as a consultant would say them: money in the currency, rates in points."""

from __future__ import annotations

from salessim.experiment.verdicts import Difference, verdict


def d(metric: str, mean: float, base: float, low: float, high: float) -> Difference:
    return Difference("three_step", "super_seller", metric, mean, base, mean - base, low, high)


def test_money_in_the_currency_with_both_means_and_the_interval() -> None:
    text = verdict(d("revenue", 150_000, 100_000, 40_000, 60_000), "EUR")
    assert text == ("three_step has 50 k EUR more revenue than super_seller (150 k EUR against "
                    "100 k EUR, +50%; 95% CI 40 k EUR to 60 k EUR)")  # fmt: skip


def test_a_loss_against_a_negative_baseline_has_no_percentage() -> None:
    text = verdict(d("profit", -9_000, -4_000, -7_000, -3_000), "EUR")
    assert text.startswith("three_step has 5 k EUR less profit than super_seller")
    assert "(-9 k EUR against -4 k EUR; 95% CI 3 k EUR to 7 k EUR)" in text


def test_deals_are_counted_and_fewer_is_fewer() -> None:
    text = verdict(d("won", 20, 30, -14, -6))
    assert text == ("three_step has 10 fewer deals won than super_seller (20 against 30, -33%; "
                    "95% CI 6 to 14)")  # fmt: skip


def test_rates_in_percentage_points() -> None:
    text = verdict(d("lead_to_won", 0.07, 0.05, 0.01, 0.03))
    assert text == ("three_step: lead-to-won conversion 2.0 points higher than super_seller "
                    "(7.0% against 5.0%; 95% CI 1.0 to 3.0 points)")  # fmt: skip


def test_an_interval_across_zero_is_no_verdict() -> None:
    assert verdict(d("revenue", 101, 100, -5, 7), "EUR") == ""


def test_other_metrics_get_a_generic_sentence() -> None:
    text = verdict(d("lost_no_show", 12, 10, 1, 3))
    assert text == "three_step has 20% more lost_no_show than super_seller (95% CI 10% to 30%)"
