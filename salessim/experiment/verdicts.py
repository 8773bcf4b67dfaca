"""Plain sentences for paired differences, worded as a consultant would say them.

`experiment.paired_differences` computes, per metric, the mean difference between a scenario and
its baseline with a 95% interval; when the interval excludes zero, `verdict` turns it into one
sentence: money in the scenario's currency, deals and leads as counts, rates in percentage
points, each with both means and the interval. Metrics without a phrase here get a generic
sentence that names the metric.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from salessim.numbers import human, metric_kind


@dataclass(frozen=True)
class Phrase:
    """How to talk about one metric: `more`/`less` are the verbs for a rise and a fall."""

    noun: str
    more: str = "more"
    less: str = "less"


PHRASES: dict[str, Phrase] = {
    "revenue": Phrase("revenue"),
    "revenue_new": Phrase("revenue from new deals"),
    "revenue_repeat": Phrase("revenue from repeat purchases"),
    "profit": Phrase("profit"),
    "gross_profit": Phrase("gross profit"),
    "cost_total": Phrase("costs"),
    "cac": Phrase("cost per customer won (CAC)", "higher", "lower"),
    "won": Phrase("deals won", less="fewer"),
    "leads_arrived": Phrase("leads", less="fewer"),
    "leads_contacted": Phrase("leads contacted", less="fewer"),
    "lost_cold": Phrase("leads gone cold", less="fewer"),
    "lost_waiting": Phrase("clients who left while waiting", less="fewer"),
    "lost_with_leaver": Phrase("open deals gone with a leaver", less="fewer"),
    "lead_to_won": Phrase("lead-to-won conversion", "higher", "lower"),
    "top_person_revenue_share": Phrase("top person's share of revenue", "higher", "lower"),
}


@dataclass(frozen=True)
class Difference:
    """A paired difference `scenario - baseline` of one metric with its 95% interval."""

    scenario: str
    baseline: str
    metric: str
    mean: float
    baseline_mean: float
    diff: float
    low: float
    high: float


def is_clear(d: Difference) -> bool:
    """The 95% interval excludes zero."""
    return d.low > 0 or d.high < 0


def verdict(d: Difference, currency: str = "") -> str:
    """One sentence for a clear difference, else ''."""
    if not is_clear(d) or math.isnan(d.diff):
        return ""
    phrase = PHRASES.get(d.metric)
    kind = metric_kind(d.metric)
    lo, hi = sorted((abs(d.low), abs(d.high)))
    if phrase is None:
        return _generic(d, kind, currency, lo, hi)
    word = phrase.more if d.diff > 0 else phrase.less
    size, interval = _sizes(d, kind, currency, lo, hi)
    means = f"{human(d.mean, kind, currency)} against {human(d.baseline_mean, kind, currency)}"
    if kind != "ratio" and d.baseline_mean > 0:
        means += f", {d.diff / d.baseline_mean:+.0%}"
    if kind == "ratio" or phrase.more != "more":
        head = f"{d.scenario}: {phrase.noun} {size} {word}"
    else:
        head = f"{d.scenario} has {size} {word} {phrase.noun}"
    return f"{head} than {d.baseline} ({means}; 95% CI {interval})"


def _sizes(d: Difference, kind: str, currency: str, lo: float, hi: float) -> tuple[str, str]:
    """The difference and its interval as text: points for rates, else rounded amounts."""
    if kind == "ratio":
        return f"{abs(d.diff) * 100:.1f} points", f"{lo * 100:.1f} to {hi * 100:.1f} points"
    interval = f"{human(lo, kind, currency)} to {human(hi, kind, currency)}"
    return human(abs(d.diff), kind, currency), interval


def _generic(d: Difference, kind: str, currency: str, lo: float, hi: float) -> str:
    word = "more" if d.diff > 0 else "less"
    if d.baseline_mean > 0:
        size = f"{abs(d.diff) / d.baseline_mean:.0%}"
        interval = f"{lo / d.baseline_mean:.0%} to {hi / d.baseline_mean:.0%}"
    else:
        size = human(abs(d.diff), kind, currency)
        interval = f"{human(lo, kind, currency)} to {human(hi, kind, currency)}"
    return f"{d.scenario} has {size} {word} {d.metric} than {d.baseline} (95% CI {interval})"


WARMUP_RATIO_WARN = 0.9


def warmup_warning(name: str, summary: pd.DataFrame, warmup_days: float) -> str:
    """A sentence when the pipeline was still filling at the end of the warm-up (the leads in
    progress in the first measured week are clearly below their later level), else "". It says
    how long the warm-up should be: the 90th percentile over replications of the day the
    pipeline settled (`warmup_days_needed`)."""
    rows = summary.set_index("metric")
    if "warmup_wip_ratio" not in rows.index:
        return ""
    ratio, high = (_cell(rows, "warmup_wip_ratio", c) for c in ("mean", "ci_high"))
    if math.isnan(ratio) or not (ratio < WARMUP_RATIO_WARN and high < 1.0):
        return ""
    needed = _cell(rows, "warmup_days_needed", "p90")
    advice = (f"set warmup_days to at least {math.ceil(needed)} (now {warmup_days:g})"
              if not math.isnan(needed) else "lengthen warmup_days or the horizon")  # fmt: skip
    return (f"Warning: {name}: the pipeline was still filling at the end of the warm-up (leads "
            f"in progress in the first measured week were {ratio:.0%} of their later level), "
            f"so early months understate revenue; {advice}.")  # fmt: skip


def _cell(frame: pd.DataFrame, metric: str, col: str) -> float:
    return float(frame.at[metric, col])  # type: ignore[arg-type]
