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
    years: float = math.nan  # length of the measured window: money and counts said per year

    def per_year(self) -> Difference:
        """The same difference with money and counts divided by the window's years."""
        if math.isnan(self.years) or self.years <= 0 or metric_kind(self.metric) == "ratio":
            return self
        k = 1 / self.years
        return Difference(self.scenario, self.baseline, self.metric, self.mean * k,
                          self.baseline_mean * k, self.diff * k, self.low * k,
                          self.high * k)  # fmt: skip


def is_clear(d: Difference) -> bool:
    """The 95% interval excludes zero."""
    return d.low > 0 or d.high < 0


def verdict(d: Difference, currency: str = "") -> str:
    """One sentence for a clear difference, else ''."""
    if not is_clear(d) or math.isnan(d.diff):
        return ""
    yearly = not math.isnan(d.years) and metric_kind(d.metric) != "ratio"
    d = d.per_year()
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
    a_year = " a year" if yearly else ""
    if kind == "ratio" or phrase.more != "more":
        head = f"{d.scenario}: {phrase.noun}{a_year} {size} {word}"
    else:
        head = f"{d.scenario} has {size} {word} {phrase.noun}{a_year}"
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


HEADLINE = ("profit", "revenue")


def unclear(d: Difference, currency: str = "") -> str:
    """For a headline metric whose interval includes zero: say so, with the interval."""
    if is_clear(d) or math.isnan(d.diff) or d.metric not in HEADLINE:
        return ""
    y = d.per_year()
    kind = metric_kind(d.metric)
    a_year = " a year" if y is not d else ""
    return (f"{d.scenario} against {d.baseline}: no clear difference in {d.metric}{a_year} (95% "
            f"CI {human(y.low, kind, currency)} to {human(y.high, kind, currency)}); more "
            "replications or a bigger change would tell")  # fmt: skip


def payback_months(profit: Difference, hiring: Difference | None) -> float | None:
    """Months for a clear gain in profit to repay the extra one-off hiring cost, if any."""
    if hiring is None or not is_clear(profit) or profit.diff <= 0 or hiring.diff <= 0:
        return None
    if math.isnan(profit.years) or profit.years <= 0:
        return None
    gain_per_month = (profit.diff + hiring.diff) / (profit.years * 12)  # before the one-off
    return hiring.diff / gain_per_month if gain_per_month > 0 else None


def _row(diffs: pd.DataFrame, scenario: str, metric: str, years: float) -> Difference | None:
    hit = diffs[(diffs["scenario"] == scenario) & (diffs["metric"] == metric)]
    if hit.empty:
        return None
    r = hit.iloc[0]
    return Difference(str(r["scenario"]), str(r["baseline"]), metric, float(r["mean"]),
                      float(r["baseline_mean"]), float(r["diff"]), float(r["diff_low"]),
                      float(r["diff_high"]), years)  # fmt: skip


def conclusion(diffs: pd.DataFrame, currency: str, years: float) -> list[str]:
    """Three lines an owner can read: which option earns the most profit a year; how sure that
    is against the first file (and when a hire pays back); what it does to revenue and to the
    dependency on one person."""
    profit = [d for s in dict.fromkeys(diffs["scenario"])
              if (d := _row(diffs, str(s), "profit", years)) is not None]  # fmt: skip
    if not profit:
        return []
    base = profit[0].baseline
    best = max(profit, key=lambda d: d.mean)
    money = metric_kind("profit")
    if best.mean <= best.baseline_mean:
        y = best.per_year()
        first = (f"Most profit: {base}, the first file ({human(y.baseline_mean, money, currency)} "
                 f"a year); the best alternative, {best.scenario}, makes "
                 f"{human(y.mean, money, currency)}.")  # fmt: skip
    else:
        y = best.per_year()
        first = (f"Most profit: {best.scenario}, {human(y.mean, money, currency)} a year against "
                 f"{human(y.baseline_mean, money, currency)} for {base}.")  # fmt: skip
    lines = [first]
    y = best.per_year()
    interval = f"{human(y.low, money, currency)} to {human(y.high, money, currency)} a year"
    if is_clear(best):
        word = "more" if best.diff > 0 else "less"
        second = (f"{best.scenario} makes {human(abs(y.diff), money, currency)} {word} profit a "
                  f"year than {base} (95% CI {interval})")  # fmt: skip
        hiring = _row(diffs, best.scenario, "cost_hiring", years)
        months = payback_months(best, hiring)
        if months is not None and hiring is not None:
            second += (f"; its extra hiring cost ({human(hiring.diff, money, currency)} in the "
                       f"window) is repaid by its extra profit in {months:.1f} months")  # fmt: skip
        lines.append(second + ".")
    else:
        lines.append(f"The difference between {best.scenario} and {base} in profit is not "
                     f"clear at 95% ({interval}): more replications or a bigger change would "
                     "tell.")  # fmt: skip
    revenue = _row(diffs, best.scenario, "revenue", years)
    share = _row(diffs, best.scenario, "top_person_revenue_share", years)
    third = []
    if revenue is not None and revenue.baseline_mean > 0:
        third.append(f"revenue {revenue.diff / revenue.baseline_mean:+.0%}"
                     + ("" if is_clear(revenue) else " (not clear)"))  # fmt: skip
    if share is not None and not math.isnan(share.mean):
        third.append(f"the top person's share of revenue {share.baseline_mean:.0%} -> "
                     f"{share.mean:.0%}")  # fmt: skip
    if third:
        lines.append(f"With {best.scenario}: " + "; ".join(third) + ".")
    return lines
