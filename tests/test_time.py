"""Time that starts from today's business: money booked in the measured window, growth as a
trend of de-seasonalised months, and the warm-up check (docs/metrics.md, docs/modelling.md).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from salessim.experiment.replications import replicate, run
from salessim.scenario.models import Scenario

from .conftest import TINY, deep_update

ALWAYS = {"workdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "hours": [0, 24]}


def booked(warmup_days: float, **changes: Any) -> Scenario:
    """10 leads a day, each booked 20 days ahead and then always won (value 100) by a team
    that is never the bottleneck: a deal is booked 20 days after its lead arrives."""
    data = deep_update(TINY, {"calendar": ALWAYS, "horizon_days": 100,
                              "warmup_days": warmup_days, "deal_value": 100,
                              "leads": [{"source": "web", "per_day": 10}], **changes})  # fmt: skip
    data["stages"] = {"close": {"by": "rep", "work_hours": 0.1, "success": 1.0,
                                "delay_days": 20}}  # fmt: skip
    data["roles"] = {"rep": {"headcount": 2}}
    return Scenario.model_validate(data)


def test_money_counts_what_is_booked_in_the_window_and_the_cohort_keeps_its_names() -> None:
    rec = replicate(booked(30), 1, 0).record
    # By hand: deals booked on days 30-100 come from leads of days 10-80: 70 days x 10 x 100;
    # the cohort (leads of days 30-100) books only those of days 30-80: 50 days.
    assert rec["revenue_new"] == pytest.approx(70 * 10 * 100, rel=0.06)
    assert rec["won"] == pytest.approx(700, rel=0.06)
    assert rec["revenue_new_cohort"] == pytest.approx(50 * 10 * 100, rel=0.07)
    assert rec["won_cohort"] == pytest.approx(500, rel=0.07)
    assert rec["lead_to_won"] == pytest.approx(rec["won_cohort"] / rec["leads_arrived"])
    assert rec["revenue"] == rec["revenue_new"]  # no repeat purchases here


def test_without_warm_up_window_and_cohort_agree() -> None:
    rec = replicate(booked(0), 1, 0).record
    assert rec["won"] == rec["won_cohort"]
    assert rec["revenue_new"] == rec["revenue_new_cohort"]


def test_steady_business_has_no_growth_and_fill_up_reads_as_growth() -> None:
    """With a warm-up longer than the 20-day booking delay, months are level: the growth's
    95% CI covers 0. Without one, the first month books only a third of a month's deals, so
    the slope is clearly positive: this is why the warm-up check exists."""
    steady = run(booked(30, horizon_days=400), 20, 1).summary.set_index("metric")
    low, high = steady.at["revenue_growth_month", "ci_low"], steady.at["revenue_growth_month",
                                                                       "ci_high"]  # fmt: skip
    assert low <= 0 <= high
    assert abs(steady.at["revenue_growth_month", "mean"]) < 0.01
    filling = run(booked(0, horizon_days=120), 10, 1).summary.set_index("metric")
    assert filling.at["revenue_growth_month", "ci_low"] > 0.05


def test_growth_is_taken_net_of_the_seasonal_profile() -> None:
    """A strong yearly profile with no trend: raw months swing by 2x, the de-seasonalised
    slope stays about 0."""
    profile = [0.6, 0.6, 0.8, 1.0, 1.2, 1.4, 1.4, 1.2, 1.0, 0.8, 1.0, 1.0]
    seasonal = booked(
        30,
        horizon_days=400,
        calendar={**ALWAYS, "start": "2026-01-01"},
        leads=[{"source": "web", "per_day": 10, "monthly_profile": profile}],
    )
    res = run(seasonal, 20, 1).summary.set_index("metric")
    assert abs(res.at["revenue_growth_month", "mean"]) < 0.01


def test_the_warm_up_check_warns_while_the_pipeline_fills_and_says_how_long() -> None:
    """By hand: with every deal booked 20 days ahead, the pipeline holds 200 leads once it has
    filled, which takes 20 days. Measuring from day 0 starts with an empty one; from day 30 it
    has settled. The advice is the 90th percentile over replications of the first day whose
    week holds 95% of the level: ~16-20 days by hand, more with noise."""
    from salessim.experiment.verdicts import warmup_warning

    cold = run(booked(0, horizon_days=120), 10, 1).summary
    text = warmup_warning("booked", cold, 0)
    assert "still filling" in text
    needed = int(text.split("at least ")[1].split(" ")[0])
    assert 15 <= needed <= 26
    warm = run(booked(30, horizon_days=120), 10, 1).summary
    assert warmup_warning("booked", warm, 30) == ""
    ratio = warm.set_index("metric").at["warmup_wip_ratio", "mean"]
    assert 0.9 < ratio < 1.1  # settled, within the noise of a 200-lead pipeline over a week


def with_customers(opening: list[dict[str, Any]], **changes: Any) -> Scenario:
    """booked(30) over 400 days with customers who buy twice a year (50 each, no support
    needed) and churn at 1 a year: 3,650 deals a year make a steady book of 3,650 customers."""
    customers = {"repeat_per_year": 2, "repeat_value": 50, "churn_per_year": 1,
                 "opening": opening}  # fmt: skip
    return booked(30, horizon_days=400, customers=customers, **changes)


def test_an_opening_customer_book_starts_the_run_in_steady_state() -> None:
    """By hand: 3,650 customers buying twice a year at 50 make ~30.4k of repeat revenue a
    month from day 0, so months are level (growth CI covers 0); an empty book fills up over
    years, and its growth reads clearly positive."""
    steady = run(with_customers([{"count": 3650}]), 10, 1)
    rows = steady.summary.set_index("metric")
    low, high = rows.at["revenue_growth_month", "ci_low"], rows.at["revenue_growth_month",
                                                                     "ci_high"]  # fmt: skip
    assert low <= 0 <= high
    months = (400 - 30) / (365 / 12)
    assert rows.at["revenue_repeat", "mean"] / months == pytest.approx(3650 * 2 / 12 * 50,
                                                                       rel=0.05)  # fmt: skip
    empty = run(with_customers([]), 10, 1).summary.set_index("metric")
    assert empty.at["revenue_growth_month", "ci_low"] > 0.02
    assert empty.at["revenue_repeat", "mean"] < 0.6 * rows.at["revenue_repeat", "mean"]


def test_opening_customers_belong_to_their_owner_and_follow_them() -> None:
    """400 opening customers of rep[0], who leaves on day 50: with a follow probability of
    0.5, about 400 x 0.5 x (still active on day 50: e^(-50/365) = 0.87) ~ 174 leave too."""

    def lost(opening: list[dict[str, Any]]) -> float:
        sc = with_customers(opening, events=[{"day": 50, "action": "leave", "person": "rep[0]"}])
        sc = sc.model_copy(update={"customers": sc.customers.model_copy(
            update={"follows_owner_on_exit": 0.5})})  # fmt: skip
        return sum(replicate(sc, 1, r).record["customers_lost_with_owner"] for r in range(5)) / 5

    # the customers rep[0] won in the run follow them too: compare with no opening book
    extra = lost([{"count": 400, "owner": "rep[0]"}]) - lost([])
    assert extra == pytest.approx(400 * 0.5 * 2.718281828 ** (-50 / 365), rel=0.12)


def test_opening_tenure_continues_the_ramp_up_where_it_is() -> None:
    """A person 45 days into a 90-day ramp from 50% works at 75% on day 0: a 1-hour task
    takes 1 / 0.75 h; a person with no tenure given is fully ramped."""
    from salessim.engine.simulation import simulate
    from salessim.engine.streams import Streams

    sc = booked(0, horizon_days=10, workforce={"ramp_up": {"days": 90, "start": 0.5}})
    data = sc.model_dump(by_alias=True, exclude_unset=True)
    data["stages"]["close"].update({"work_hours": 1.0, "delay_days": None})
    data["roles"]["rep"] = {"headcount": 2, "people": [{"tenure_days": 45}]}
    trace: list[Any] = []
    simulate(Scenario.model_validate(data), Streams(1, 0), trace=trace)
    first = {row[1]: row[6] for row in reversed(trace) if row[0] == "work"}
    assert first["rep[0]"] == pytest.approx(1 / 0.75, rel=0.01)
    assert first["rep[1]"] == pytest.approx(1.0)


def test_an_opening_book_names_a_real_owner() -> None:
    from salessim.scenario.crosscheck import cross_check

    data = deep_update(TINY, {"customers": {"opening": [{"count": 3, "owner": "desinger"}]}})
    (path, message), *_ = cross_check(data)
    assert path == "customers.opening[0].owner" and "designer" in message


def run_cli(sc: Scenario, folder: Path, name: str, reps: int) -> tuple[Path, str]:
    """`salessim run` on `sc` written to `folder/name.yaml`: its results folder and output."""
    import yaml
    from typer.testing import CliRunner

    from salessim.cli import app

    data = sc.model_dump(mode="json", by_alias=True, exclude_unset=True)
    (folder / f"{name}.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    out = folder / name
    result = CliRunner().invoke(app, ["run", str(folder / f"{name}.yaml"), "-n", str(reps),
                                      "--seed", "1", "-w", "1", "-o", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    return out, result.output


def test_run_warns_in_the_cli_and_the_report_when_the_warm_up_is_too_short(tmp_path: Path) -> None:
    out, output = run_cli(booked(0, horizon_days=120), tmp_path, "cold", 6)
    assert "still filling at the end of the warm-up" in output
    page = (out / "report.html").read_text(encoding="utf-8")
    assert 'class="warning"' in page and "set warmup_days to at least" in page


def arrivals_by_day(sc: Scenario, reps: int = 3) -> np.ndarray:
    days = np.zeros(int(sc.horizon_days))
    for r in range(reps):
        for row in replicate(sc, 1, r, leads=True).leads:
            if row["kind"] == "new":
                days[int(row["arrived_hours"] // 24)] += 1
    return days / reps


def test_a_yearly_trend_compounds_and_growth_reads_it() -> None:
    """Volume doubling in a year: the second half-year brings 2^0.5 = 1.41 times the first;
    20% a year reads as ~1.5% of a month's revenue per month (1.2^(1/12) - 1)."""
    sc = booked(0, horizon_days=365, leads=[{"source": "web", "per_day": 10,
                                             "trend_per_year": 1.0}])  # fmt: skip
    days = arrivals_by_day(sc)
    assert days[182:364].sum() / days[:182].sum() == pytest.approx(2**0.5, rel=0.05)
    growing = booked(30, horizon_days=400, leads=[{"source": "web", "per_day": 10,
                                                   "trend_per_year": 0.2}])  # fmt: skip
    rows = run(growing, 10, 1).summary.set_index("metric")
    assert rows.at["revenue_growth_month", "mean"] == pytest.approx(1.2 ** (1 / 12) - 1, abs=0.004)
    assert rows.at["revenue_growth_month", "ci_low"] > 0.008


def test_a_channel_opens_and_closes_on_dates_and_changes_volume_and_cost() -> None:
    """Open from 4 February (day 30) to day 80, half the volume and a cost of 20 a lead
    from day 60: ~10 x 30 + 5 x 20 = 400 leads, costing 10 x 300 + 20 x 100 = 5,000."""
    source = {
        "source": "web",
        "per_day": 10,
        "cost_per_lead": 10,
        "starts": dt.date(2026, 2, 4),
        "ends": 80,
        "changes": [{"day": 60, "volume": 0.5, "cost_per_lead": 20}],
    }
    sc = booked(0, horizon_days=120, leads=[source])
    assert sc.leads[0].starts == 30
    days = arrivals_by_day(sc, reps=5)
    assert days[:30].sum() == 0 and days[80:].sum() == 0
    assert days[30:60].sum() == pytest.approx(300, rel=0.08)
    assert days[60:80].sum() == pytest.approx(100, rel=0.15)
    rec = replicate(sc, 1, 0).record
    by_day = arrivals_by_day(sc, reps=1)
    assert rec["cost_marketing"] == pytest.approx(10 * by_day[:60].sum() + 20 * by_day[60:].sum())


def neglected(churn_per_lost_order: float) -> Scenario:
    """2,000 opening customers who order twice a year; every order waits 30 days for a support
    stage nobody staffs, and is lost."""
    customers = {"opening": [{"count": 2000}], "repeat_per_year": 2, "repeat_value": 50,
                 "repeat_stage": "support", "repeat_wait_days": 30,
                 "churn_per_lost_order": churn_per_lost_order}  # fmt: skip
    data = booked(0, horizon_days=365).model_dump(by_alias=True, exclude_unset=True)
    data["leads"] = [{"source": "web", "per_day": 0}]
    data["stages"]["support"] = {"by": "helper", "work_hours": 0.5, "success": 1.0}
    data["roles"]["helper"] = {"headcount": 0}
    return Scenario.model_validate({**data, "customers": customers})


def test_customers_whose_repeat_orders_are_lost_churn_faster() -> None:
    """By hand: with 50 extra churn a year per lost order (a week's notice), a customer is still
    active at the end about when their first order has not yet been lost by then: P(first order
    after day 365 - 30) = e^(-2 x 335/365) = 0.160, plus those lost but not yet gone
    (2/48 x 0.160 = 0.007): ~0.166 of 2,000. Without the effect nobody churns."""
    kept = replicate(neglected(0), 1, 0).record
    assert kept["customers_active_end"] == 2000
    left = replicate(neglected(50), 1, 0).record
    assert left["customers_active_end"] == pytest.approx(2000 * 0.166, rel=0.12)
    assert left["customers_churned"] == 2000 - left["customers_active_end"]
    assert left["repeat_lost"] < 0.7 * kept["repeat_lost"]  # gone customers order no more


def test_a_budget_buys_leads_with_diminishing_returns_and_costs_its_spend() -> None:
    """Hill curve with max 20 a day and half at 300 a day: 300 a day buys 10 leads, 900 buys
    15 (three times the spend, 1.5 times the leads); from day 50 the spend triples. The cost
    is the spend over the measured days: 300 x 20 + 900 x 50 with a 30-day warm-up."""
    budget = {"spend_per_day": 300, "max_per_day": 20, "half_spend_per_day": 300}
    source = {"source": "ads", "budget": budget, "changes": [{"day": 50, "spend_per_day": 900}]}
    sc = booked(30, horizon_days=100, leads=[source])
    assert sc.leads[0].level_per_day == pytest.approx(10)
    assert sc.leads[0].level_on(60) == pytest.approx(15)
    days = arrivals_by_day(sc, reps=5)
    assert days[30:50].mean() == pytest.approx(10, rel=0.08)  # the log keeps the window
    assert days[50:].mean() == pytest.approx(15, rel=0.06)
    rec = replicate(sc, 1, 0).record
    assert rec["cost_marketing"] == pytest.approx(300 * 20 + 900 * 50)


def test_a_budget_source_gives_its_volume_once() -> None:
    from pydantic import ValidationError

    budget = {"spend_per_day": 300, "max_per_day": 20, "half_spend_per_day": 300}
    with pytest.raises(ValidationError, match="leave out per_day and cost_per_lead"):
        booked(0, leads=[{"source": "ads", "per_day": 5, "budget": budget}])
    with pytest.raises(ValidationError, match="give per_day"):
        booked(0, leads=[{"source": "ads"}])


def test_a_depleting_market_fills_as_the_share_left_falls() -> None:
    """A market of 1,000 leads at 20 a day: a cliff gives all 1,000 by day 50 and none after;
    depletion gives N (1 - e^(-20 t / N)): 632 by day 50, 865 by day 100."""

    def taken(saturation: str) -> np.ndarray:
        source = {"source": "web", "per_day": 20, "market_size": 1000,
                  "market_saturation": saturation}  # fmt: skip
        return np.cumsum(arrivals_by_day(booked(0, horizon_days=150, leads=[source]), reps=4))

    cliff, pool = taken("cliff"), taken("depletion")
    assert cliff[55] == 1000 and cliff[45] < 1000
    assert pool[49] == pytest.approx(1000 * (1 - np.exp(-1)), rel=0.05)
    assert pool[99] == pytest.approx(1000 * (1 - np.exp(-2)), rel=0.04)


def planned(plan: list[dict[str, Any]]) -> Scenario:
    """20 leads a day for reps working round the clock, 4 h a deal: each rep works 6 deals
    a day and the queue never empties."""
    data = booked(0, horizon_days=100).model_dump(by_alias=True, exclude_unset=True)
    data["leads"] = [{"source": "web", "per_day": 20}]
    data["stages"]["close"] = {"by": "rep", "work_hours": 4, "success": 1.0}
    data["roles"]["rep"] = {"headcount": 1, "plan": plan}
    return Scenario.model_validate(data)


def test_a_headcount_plan_adds_and_removes_seats_on_its_dates() -> None:
    """By hand: one rep until 1 March (6 deals a day), a second from 1 March 2026 (day 55:
    12 a day), back to one from day 80. The planned hire is a hire; the removed seat is not
    refilled."""
    from salessim.engine.simulation import simulate
    from salessim.engine.streams import Streams
    from salessim.measures.metrics import people_rows

    sc = planned([{"day": dt.date(2026, 3, 1), "headcount": 2}, {"day": 80, "headcount": 1}])
    assert sc.roles["rep"].plan[0].day == 55
    trace: list[Any] = []
    tally = simulate(sc, Streams(1, 0), trace=trace)
    per_day = np.bincount(
        [int(row[4] // 24) for row in trace if row[0] == "end"], minlength=100
    )  # deals worked (the hire's skill is drawn: not all won)
    assert per_day[1:55].mean() == pytest.approx(6, abs=0.1)
    assert per_day[56:80].mean() == pytest.approx(12, abs=0.2)
    assert per_day[81:100].mean() == pytest.approx(6, abs=0.1)
    rows = {row["person"]: row for row in people_rows(tally)}
    assert set(rows) == {"rep[0]", "rep[1]#1"}
    assert rows["rep[1]#1"]["left_because"] == "removed"
    assert tally.staffing["hires"] == 1 and tally.staffing["removals"] == 1
    assert tally.staffing["resignations"] == 0


def test_a_person_works_their_own_shift_and_the_seat_keeps_it() -> None:
    """Two reps on a Mon-Fri 9-17 role calendar; rep[1] works Wed-Sun 10-18. Over 28 days from
    a Monday each has 20 working days of 8 h (160 h); work happens on a Saturday only by rep[1].
    rep[1] leaves on day 10 and is replaced at once: the successor works Wed-Sun too."""
    from salessim.engine.simulation import simulate
    from salessim.engine.streams import Streams

    data = planned([]).model_dump(by_alias=True, exclude_unset=True)
    data.update(horizon_days=28, calendar={"start": "2026-01-05", "workdays": ["mon", "tue",
                "wed", "thu", "fri"], "hours": [9, 17]})  # fmt: skip
    data["roles"]["rep"] = {"headcount": 2, "people": [{}, {"calendar": {
        "workdays": ["wed", "thu", "fri", "sat", "sun"], "hours": [10, 18]}}],
        "workforce": {"resignation": {"hire_days": 0}}}  # fmt: skip
    data["events"] = [{"day": 10, "action": "leave", "person": "rep[1]"}]
    trace: list[Any] = []
    tally = simulate(Scenario.model_validate(data), Streams(1, 0), trace=trace)
    people = {p.name: p for p in tally.people}
    assert people["rep[0]"].available_hours == pytest.approx(160)
    assert people["rep[1]"].available_hours + people["rep[1]#1"].available_hours == (
        pytest.approx(160)
    )
    weekend = {row[1] for row in trace if row[0] == "work" and (row[4] // 24) % 7 in (5, 6)}
    assert weekend == {"rep[1]", "rep[1]#1"}
    hours = {row[4] % 24 for row in trace if row[0] == "work" and row[1].startswith("rep[1]")}
    assert min(hours) >= 10


def test_the_report_draws_the_warm_up_weeks_shaded_with_the_revenue_booked(
    tmp_path: Path,
) -> None:
    """booked(30): nothing is booked before day 20, then 10 deals of 100 a day (7,000 a
    week); the 5 warm-up weeks are kept apart from the measured ones and shaded in the report."""
    import pandas as pd

    out, _ = run_cli(booked(30, horizon_days=100), tmp_path, "warm", 3)
    series = pd.read_parquet(out / "timeseries.parquet")
    warm = series[series["period"] == "warmup_week"].groupby("index")["revenue"].mean()
    assert list(warm.index) == [0, 1, 2, 3, 4]
    assert warm[0] == warm[1] == 0
    assert warm[3] == pytest.approx(7000, rel=0.15)
    weeks = series[series["period"] == "week"]
    assert weeks["start_day"].min() >= 30 and weeks["cost_total"].notna().all()
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "warm-up (30 days, not counted)" in page


def test_churn_per_lost_order_needs_a_repeat_stage() -> None:
    from salessim.scenario.crosscheck import cross_check

    data = deep_update(TINY, {"customers": {"repeat_per_year": 1, "churn_per_lost_order": 2}})
    (path, message), *_ = cross_check(data)
    assert path == "customers.churn_per_lost_order" and "repeat_stage" in message
