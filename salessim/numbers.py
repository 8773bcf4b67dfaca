"""Numbers for people: how a metric is rounded and shown in tables, verdicts and the report.

Light on purpose (no pandas, no plotly): the command line imports it before anything heavy.
"""

from __future__ import annotations

import math

RATIO_WORDS = (
    "conversion",
    "utilisation",
    "share",
    "herfindahl",
    "lead_to_won",
    "churn_rate",
    "growth",
    "revenue_dip",
)
MONEY_PREFIXES = ("revenue", "cost_", "profit", "gross_profit", "cac", "ltv_")


def human(value: float, kind: str, currency: str = "") -> str:
    """A number rounded for people: 3 significant figures, k/M for money, % for ratios."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if kind == "ratio":
        return f"{value:.1%}" if abs(value) < 10 else f"{value:.3g}"
    rounded = float(f"{value:.3g}")
    if kind == "money":
        for size, suffix in ((1e9, " bn"), (1e6, " M"), (1e3, " k")):
            if abs(rounded) >= size:
                return f"{rounded / size:.3g}{suffix} {currency}".rstrip()
        return f"{rounded:.3g} {currency}".rstrip()
    return f"{value:,.0f}" if abs(rounded) >= 1000 else f"{rounded:.3g}"


def metric_kind(metric: str) -> str:
    """How to round a summary metric: `ratio` (as %), `money` (currency) or `count`.

    Only the last dotted part counts, so a role or stage name never changes the kind."""
    name = metric.rsplit(".", 1)[-1]
    if any(word in name for word in RATIO_WORDS):
        return "ratio"
    if name.startswith(MONEY_PREFIXES) or name.endswith("hiring_cost"):
        return "money"
    return "count"


def plain(value: object) -> str:
    """A value as the user typed it: 2 rather than 2.0."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
