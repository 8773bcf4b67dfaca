"""Inbound lead arrivals: a non-homogeneous Poisson process per source, drawn in chunks.

The rate on a day is `per_day x weekday_profile[weekday] x monthly_profile[month]` (per_day being
what the budget's spend buys, for a budget source), times a yearly trend and the step changes of
volume, and 0 outside the channel's dates; within a day
arrival times are uniform or follow `hourly_profile`. Each lead's deal value, patience and
per-stage random numbers are drawn with it from the source's own stream, so two scenarios with
the same seed see the same leads. `engine` turns the chunks into SimPy timeouts.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator

import numpy as np

from salessim.scenario.models import LeadSource, Scenario

CHUNK_DAYS = 64
Arrival = tuple[float, float, float, list[float]]  # time (h), value, patience (h), uniforms


def day_rates(src: LeadSource, start: dt.date, first: int, last: int) -> np.ndarray:
    """Expected leads on each day in [first, last): per_day (or what the budget's spend on
    the day buys) x the weekday and monthly profiles, x the trend (1 + trend_per_year)^(day /
    365), x the volume of the last step change on or before the day; 0 before `starts` and
    from `ends` on."""
    rates = np.empty(last - first)
    level = src.level_on if src.budget is not None else None
    for j in range(last - first):
        date = start + dt.timedelta(days=first + j)
        factor = src.weekday_profile[date.weekday()] * src.monthly_profile[date.month - 1]
        rates[j] = (src.per_day if level is None else level(first + j)) * factor
    if src.trend_per_year or src.starts is not None or src.ends is not None or src.changes:
        days = np.arange(first, last, dtype=float)
        rates *= (1 + src.trend_per_year) ** (days / 365)
        rates *= [src.volume_on(d) for d in days]
        if src.starts is not None or src.ends is not None:
            rates *= [src.open_on(first + j) for j in range(last - first)]
    return rates


def hour_offsets(src: LeadSource, rng: np.random.Generator, n: int) -> np.ndarray:
    """Hours into the day of `n` arrivals, following the source's hourly profile."""
    if src.hourly_profile is None:
        return rng.uniform(0, 24, n)
    weights = np.asarray(src.hourly_profile, dtype=float)
    hours = rng.choice(24, size=n, p=weights / weights.sum())
    return hours + rng.uniform(0, 1, n)


def arrival_chunks(
    src: LeadSource,
    scenario: Scenario,
    n_stages: int,
    arrivals: np.random.Generator,
    attrs: np.random.Generator,
) -> Iterator[list[Arrival]]:
    """Arrivals of `src` over the horizon, sorted, in chunks of `CHUNK_DAYS` days."""
    value_dist = src.deal_value or scenario.deal_value
    days = int(math.ceil(scenario.horizon_days))
    for first in range(0, days, CHUNK_DAYS):
        last = min(first + CHUNK_DAYS, days)
        counts = arrivals.poisson(day_rates(src, scenario.calendar.start, first, last))
        total = int(counts.sum())
        if total == 0:
            continue
        times = np.repeat(np.arange(first, last) * 24.0, counts)
        times += hour_offsets(src, arrivals, total)
        times.sort()
        values = value_dist.sample(attrs, total).tolist()
        if src.patience_hours is not None:
            patience = src.patience_hours.sample(attrs, total).tolist()
        else:
            patience = [math.inf] * total
        uniforms = attrs.random((total, 2 * n_stages)).tolist()
        yield list(zip(times.tolist(), values, patience, uniforms, strict=True))
