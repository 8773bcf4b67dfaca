"""Money, customer and dependency-risk KPIs of one replication, each defined once.

Computed from a finished `Tally` (which holds the people, customers and daily revenue); called
by `metrics.record`. Definitions, in words a business owner can read, are in docs/metrics.md.
Money is in the scenario currency; a month is 365/12 days.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from salessim.engine.tally import Tally

MONTH_HOURS = 365 * 24 / 12
DIP_DAYS = 90
Record = dict[str, float]


def _ratio(a: float, b: float) -> float:
    return a / b if b else math.nan


def _employed_hours(t: Tally, hired: float, leaves: float) -> float:
    return max(0.0, min(leaves, t.horizon) - max(hired, t.warmup))


def costs(t: Tally) -> Record:
    """Costs of the measured window, by kind."""
    sc = t.scenario
    salaries = commissions = bonuses = 0.0
    first_month = math.ceil(t.warmup / MONTH_HOURS - 1e-9)
    last_month = int(t.horizon // MONTH_HOURS)
    for p in t.people:
        role = sc.roles[p.role]
        salaries += role.salary_month * _employed_hours(t, p.hired, p.leaves) / MONTH_HOURS
        commissions += p.commission
        if role.bonus is not None:
            hits = sum(
                1
                for month, value in p.monthly.items()
                if first_month <= month < last_month and value >= role.bonus.monthly_target
            )
            bonuses += hits * role.bonus.amount
    marketing = sum(
        src.cost_per_lead * n for src, n in zip(sc.leads, t.arrived_by_source, strict=False)
    )
    if t.daily_cost or any(src.budget for src in sc.leads):  # as the leads came, and spend
        marketing = float(sum(t.daily_marketing))
    hiring = t.staffing.get("hiring_cost", 0.0)
    overhead = sc.overhead_month * t.window_hours / MONTH_HOURS
    rec = {
        "cost_salaries": salaries,
        "cost_commissions": commissions,
        "cost_bonuses": bonuses,
        "cost_marketing": marketing,
        "cost_hiring": hiring,
        "cost_overhead": overhead,
    }
    rec["cost_total"] = sum(rec.values())
    return rec


def money(t: Tally, cost: Record) -> Record:
    """Profit, CAC, lifetime value, churn, growth and revenue per salesperson."""
    sc = t.scenario
    revenue = t.revenue_new + t.revenue_repeat
    gross = t.gross_window if t.margins else revenue * sc.gross_margin
    acquisition = cost["cost_total"] - cost["cost_overhead"]
    fte = sum(_employed_hours(t, p.hired, p.leaves) for p in t.people) / t.window_hours
    return {
        "gross_profit": gross,
        "profit": gross - cost["cost_total"],
        "cac": _ratio(acquisition, t.won),
        "ltv_observed": t.customers.get("ltv_observed", math.nan),
        "ltv_estimate": ltv_estimate(t),
        "churn_rate_month": _ratio(
            t.customers.get("churned", 0.0), t.customers.get("months_at_risk", 0.0)
        ),
        "revenue_growth_month": monthly_growth(t),
        "revenue_per_salesperson": _ratio(revenue, fte),
        "fte_mean": fte,
    }


def ltv_estimate(t: Tally) -> float:
    """Mean first deal + repeat rate x mean repeat value x expected customer life (1 / churn)."""
    spec = t.scenario.customers
    first = _ratio(t.revenue_new, t.won)
    if spec.repeat_per_year == 0:
        return first
    if spec.churn_per_year == 0:
        return math.nan
    repeat_value = (spec.repeat_value or t.scenario.deal_value).mean
    return first + spec.repeat_per_year * repeat_value / spec.churn_per_year


def monthly_revenue(t: Tally) -> list[float]:
    """Revenue of each whole month inside the measured window."""
    days_per_month = 365 / 12
    first = math.ceil(t.warmup / MONTH_HOURS)
    last = int(t.horizon // MONTH_HOURS)
    daily = t.daily_revenue
    out = []
    for m in range(first, last):
        a, b = m * days_per_month, (m + 1) * days_per_month
        out.append(sum_days(daily, a, b))
    return out


def sum_days(daily: list[float], a: float, b: float) -> float:
    """The sum of a daily series between day `a` and day `b` (fractional days pro rata), added
    day by day in order."""
    total = 0.0
    day, end = int(a), min(len(daily), math.ceil(b))
    while day < end:
        if a <= day and day + 1 <= b:  # a run of whole days: added as they are
            last = min(end, math.floor(b))
            for value in daily[day:last]:
                total += value
            day = last
            continue
        lo = a if a > day else day
        hi = b if b < day + 1 else day + 1
        if hi > lo:
            total += daily[day] * (hi - lo)
        day += 1
    return total


def monthly_growth(t: Tally) -> float:
    """Trend of revenue per month, relative to its mean: the least-squares slope of the whole
    months of the window, each divided by the inbound seasonal factor of the calendar month its
    leads arrived in (the sources' `monthly_profile`, weighted by volume, a mean sales cycle
    earlier), over the mean of those months. NaN
    with fewer than 3 whole months or no revenue. A steady business reads about 0; fill-up
    from an empty start (too short a warm-up) reads positive."""
    months = monthly_revenue(t)
    if len(months) < 3:
        return math.nan
    first = math.ceil(t.warmup / MONTH_HOURS)
    lag = float(np.mean(t.cycle_hours)) / 24 if t.cycle_hours else 0.0
    y = np.asarray(months) / [seasonal_factor(t, first + i, lag) for i in range(len(months))]
    mean = float(y.mean())
    if mean <= 0:
        return math.nan
    x = np.arange(len(y), dtype=float)
    slope = float(np.polyfit(x, y, 1)[0])
    return slope / mean


def seasonal_factor(t: Tally, month: int, lag_days: float) -> float:
    """The mean inbound volume factor over the days on which the leads behind month `month` of
    the run (a block of 365/12 days from calendar.start) arrived: the block, `lag_days` (the
    mean sales cycle) earlier, each day weighted by the sources' volume."""
    sc = t.scenario
    total = sum(src.level_per_day for src in sc.leads)
    if total <= 0:
        return 1.0
    first = (month * 365 / 12) - lag_days
    days = [sc.calendar.start + dt.timedelta(days=first + 0.5 + i) for i in range(30)]
    return sum(src.level_per_day * src.monthly_profile[d.month - 1] for src in sc.leads
               for d in days) / (total * len(days))  # fmt: skip


WARMUP_WEEK_DAYS = 7
WIP_SETTLED = 0.95


def warmup_check(t: Tally) -> Record:
    """Whether the warm-up was long enough, from the leads in progress each day (all leads,
    whenever they arrived), against their level over the second half of the window:

    - `warmup_wip_ratio`: the mean over the first measured week over that level (about 1
      when the department had settled; well below 1 while the pipeline is still filling);
    - `warmup_days_needed`: the first day from which the mean over the next 7 days reaches
      95% of that level: a warm-up this long would have passed the check (NaN if no day
      before the second half does).
    """
    wip = np.cumsum(t.daily_wip)
    first, last = math.ceil(t.warmup / 24), int(t.horizon // 24)
    half = (first + last) // 2
    if last - half < WARMUP_WEEK_DAYS or first + WARMUP_WEEK_DAYS > last:
        return {"warmup_wip_ratio": math.nan, "warmup_days_needed": math.nan}
    level = float(wip[half:last].mean())
    start = float(wip[first : first + WARMUP_WEEK_DAYS].mean())
    weekly = np.convolve(wip[:half], np.ones(WARMUP_WEEK_DAYS) / WARMUP_WEEK_DAYS, "valid")
    hit = np.nonzero(weekly >= WIP_SETTLED * level)[0]  # weekly[d]: the mean of days d..d+6
    return {
        "warmup_wip_ratio": _ratio(start, level) if level > 0 else math.nan,
        "warmup_days_needed": float(hit[0]) if hit.size else math.nan,
    }


def dependency(t: Tally) -> Record:
    """How much revenue depends on single people, and what departures cost."""
    credited = np.array([p.revenue_window for p in t.people], dtype=float)
    total = credited.sum()
    shares = credited / total if total > 0 else credited
    dips, recoveries = resignation_dips(t)
    return {
        "top_person_revenue_share": float(shares.max()) if total > 0 else math.nan,
        "revenue_herfindahl": float((shares**2).sum()) if total > 0 else math.nan,
        "revenue_lost_with_owner": t.revenue_lost_with_owner,
        "resignation_revenue_dip": float(np.mean(dips)) if dips else math.nan,
        "resignation_recovery_days": float(np.mean(recoveries)) if recoveries else math.nan,
    }


def resignation_dips(t: Tally) -> tuple[list[float], list[float]]:
    """For each departure with 90 days of data on both sides: the revenue dip and recovery days.

    Dip = 1 - revenue(90 days after) / revenue(90 days before). Recovery = days from the
    departure until the trailing 28-day revenue is back to 28/90 of the 90 days before (NaN if
    not within the horizon; such departures count in the dip, not in the recovery mean).
    """
    daily = np.asarray(t.daily_revenue)
    first_day, last_day = t.warmup / 24, t.horizon / 24
    dips, recoveries = [], []
    for leave in t.leavers:
        day = int(leave // 24)
        if day - DIP_DAYS < first_day or day + DIP_DAYS > last_day:
            continue
        before = daily[day - DIP_DAYS : day].sum()
        if before <= 0:
            continue
        after = daily[day : day + DIP_DAYS].sum()
        dips.append(1 - after / before)
        target = before * 28 / DIP_DAYS
        trailing = np.convolve(daily[day : int(last_day)], np.ones(28), mode="valid")
        hit = np.nonzero(trailing >= target)[0]
        if hit.size:
            recoveries.append(float(hit[0] + 28))
    return dips, recoveries


def period_costs(t: Tally, a: float, b: float) -> Record:
    """Costs and profit of days [a, b): salaries pro rata of employment, commissions, marketing
    and hiring by the day they arise, overhead pro rata. Bonuses are left out (they are decided
    per calendar month of each person; see `costs`)."""
    sc = t.scenario
    lo, hi = a * 24, b * 24
    salaries = (
        sum(
            sc.roles[p.role].salary_month * max(0.0, min(p.leaves, hi) - max(p.hired, lo))
            for p in t.people
        )
        / MONTH_HOURS
    )
    rec = {
        "cost_salaries": salaries,
        "cost_commissions": sum_days(t.daily_commission, a, b),
        "cost_marketing": sum_days(t.daily_marketing, a, b),
        "cost_hiring": sum_days(t.daily_hiring, a, b),
        "cost_overhead": sc.overhead_month * (hi - lo) / MONTH_HOURS,
    }
    rec["cost_total"] = sum(rec.values())
    gross = (sum_days(t.daily_gross, a, b) if t.margins
             else sum_days(t.daily_revenue, a, b) * sc.gross_margin)  # fmt: skip
    rec["profit"] = gross - rec["cost_total"]
    return rec


def period_kpis(t: Tally, a: float, b: float, monthly: bool) -> Record:
    """Of days [a, b): revenue split, costs, profit, CAC, speed to lead, flow conversion per
    stage (passed / entered in the period) and utilisation per role."""
    deals = sum_days(t.daily_deals, a, b)
    rec = {
        "revenue_new": sum_days(t.daily_revenue_new, a, b),
        "revenue_repeat": sum_days(t.daily_revenue_repeat, a, b),
        **period_costs(t, a, b),
        "wait_first_contact_hours_mean": _ratio(
            sum_days(t.daily_wait_hours, a, b), sum_days(t.daily_contacts, a, b)
        ),
    }
    rec["cac"] = _ratio(rec["cost_total"] - rec["cost_overhead"], deals)
    rec["lead_to_won"] = _ratio(deals, sum_days(t.daily_leads, a, b))
    rec["cycle_hours_mean"] = _ratio(sum_days(t.daily_cycle_hours, a, b), deals)
    if monthly:  # bonuses are decided per month; weeks leave them out
        rec["cost_bonuses"] = period_bonuses(t, a, b)
        rec["cost_total"] += rec["cost_bonuses"]
        rec["profit"] -= rec["cost_bonuses"]
    for st in t.stages:
        if st.prospecting:
            continue
        entered = sum_days(st.daily_entered, a, b)
        passed = sum_days(st.daily_succeeded, a, b)
        rec[f"stage.{st.name}.entered"] = entered
        rec[f"stage.{st.name}.succeeded"] = passed
        rec[f"stage.{st.name}.conversion"] = _ratio(passed, entered)
    lo, hi = a * 24, b * 24
    for role in t.roles:
        available = sum(p.cal.worked(hi) - p.cal.worked(lo) for p in t.people if p.role == role)
        rec[f"role.{role}.utilisation"] = _ratio(sum_days(t.daily_busy[role], a, b), available)
    return rec


def period_bonuses(t: Tally, a: float, b: float) -> float:
    """Bonuses earned in the months that start inside days [a, b), the same rule as `costs`."""
    total = 0.0
    first, last = math.ceil(a * 24 / MONTH_HOURS - 1e-9), math.ceil(b * 24 / MONTH_HOURS - 1e-9)
    for p in t.people:
        bonus = t.scenario.roles[p.role].bonus
        if bonus is None:
            continue
        for month in range(first, last):
            if p.monthly.get(month, 0.0) >= bonus.monthly_target:
                total += bonus.amount
    return total
