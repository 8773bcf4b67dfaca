"""Fit a scenario to a CRM export: arrivals, funnel, cycle times, deal values and people.

`calibrate(deals)` takes the clean deals of `crm.read_export` and returns a `Calibration`: the
scenario as plain data plus, for every fitted value, a comment saying how it was estimated
(sample size, estimate, interval). `to_yaml` writes both, the comments beside the values. What an
export cannot tell (salaries, absences) keeps salessim's defaults and says so.

Methods, in brief: arrival rate = deals created per calendar day (exact Poisson interval); weekday
and monthly profiles = counts per weekday / calendar month relative to the mean (monthly only
with 24 months or more); win probability per stage from stage histories, else overall (Wilson
interval); cycle time and deal value = the family (exponential, log-normal, normal) with the best
Kolmogorov-Smirnov fit, or the empirical distribution when every family is rejected at 5%;
people = owners active in the last month, their win rates shrunk toward the team's (beta-binomial
partial pooling); resignations = owners who stopped appearing per person-year.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from scipy import stats

from salessim.crm.export import Deals, ExportError, cycle_days, outcome_of
from salessim.defaults import DEFAULT_WORK_HOURS

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MIN_MONTHS_FOR_SEASONALITY = 24
MIN_PRODUCT_DEALS = 30
# owners' deals per month vary this much (coefficient of variation) in a shared queue with
# sickness and vacations (0.12 in the shipped b2b example): beyond it, routing is weighted
SHARE_CV = 0.2
MIN_DEALS_FOR_PROFILES = 100
Path_ = tuple[str | int, ...]


@dataclass
class Calibration:
    """A fitted scenario (plain data, as in a YAML file) and a comment per fitted key path."""

    data: dict[str, Any]
    comments: dict[Path_, str] = field(default_factory=dict)
    header: list[str] = field(default_factory=list)
    source_of_product: dict[str, str] = field(default_factory=dict)  # lead source per product

    def note(self, path: Path_, text: str) -> None:
        self.comments[path] = text


def poisson_rate(count: int, exposure: float) -> tuple[float, float, float]:
    """Rate and exact 95% interval of `count` events in `exposure` units."""
    low = stats.chi2.ppf(0.025, 2 * count) / 2 / exposure if count else 0.0
    high = stats.chi2.ppf(0.975, 2 * count + 2) / 2 / exposure
    return count / exposure, float(low), float(high)


def wilson(successes: int, trials: int) -> tuple[float, float]:
    ci = stats.binomtest(successes, trials).proportion_ci(method="wilson")
    return float(ci.low), float(ci.high)


def fit_distribution(samples: np.ndarray, unit: str) -> tuple[dict[str, Any], str]:
    """The best of exponential / log-normal / normal by Kolmogorov-Smirnov, else empirical."""
    x = np.asarray(samples, dtype=float)
    x = x[np.isfinite(x) & (x >= 0)]
    n = len(x)
    if n == 0:
        return {"dist": "fixed", "value": 0.0}, "no data: 0"
    if n < 20 or x.std() == 0:
        values = [round(float(v), 3) for v in np.sort(x)]
        return (
            {"dist": "empirical", "values": values},
            f"{n} values, too few to test a family: empirical",
        )
    mean, sd = float(x.mean()), float(x.std(ddof=1))
    candidates: list[tuple[float, str, dict[str, Any]]] = []
    p = stats.kstest(x, "expon", args=(0, mean)).pvalue
    candidates.append((p, "exponential", {"dist": "exponential", "mean": _r(mean)}))
    if (x > 0).all():
        shape, _, scale = stats.lognorm.fit(x, floc=0)
        p = stats.kstest(x, "lognorm", args=(shape, 0, scale)).pvalue
        lmean = scale * math.exp(shape**2 / 2)
        lsd = lmean * math.sqrt(math.expm1(shape**2))
        candidates.append((p, "lognormal", {"dist": "lognormal", "mean": _r(lmean), "sd": _r(lsd)}))
    if mean > 2 * sd:
        p = stats.kstest(x, "norm", args=(mean, sd)).pvalue
        candidates.append((p, "normal", {"dist": "normal", "mean": _r(mean), "sd": _r(sd)}))
    candidates.sort(key=lambda c: -c[0])
    best_p, best_name, best = candidates[0]
    tested = ", ".join(f"{name} p={pv:.2g}" for pv, name, _ in candidates)
    if best_p < 0.05:
        quantiles = np.quantile(x, np.linspace(0, 1, 21))
        return (
            {"dist": "empirical", "values": [_r(q) for q in quantiles]},
            f"{n} values, mean {mean:.3g} {unit}; every family rejected by KS at 5% "
            f"({tested}): empirical (21 quantiles)",
        )
    return best, f"{n} values, mean {mean:.3g} {unit}; KS: {tested}: {best_name} fits best"


def _r(value: float) -> float:
    return float(f"{value:.4g}")


def calibrate(
    deals: Deals, name: str, work_hours: float = DEFAULT_WORK_HOURS, until: dt.date | None = None
) -> Calibration:
    """Fit a scenario to `deals` (created up to `until`, default: the last date in the data)."""
    frame = deals.frame
    first = frame["created"].min().normalize()
    last = pd.Timestamp(until) if until else deals.end
    if not frame["outcome"].isin(["won", "lost"]).any():
        raise ExportError(
            f"{deals.source}: no won or lost deal with a close date among its {len(frame):,} "
            "usable deals, so there is nothing to learn win rates and sales cycles from; export "
            "closed deals too (and check the outcome and close date columns)"
        )
    days = max((last.normalize() - first).days + 1, 1)
    cal = Calibration({"name": name})
    cal.header = [
        f"Calibrated by `salessim calibrate` from {deals.source}.",
        *deals.report_lines(),
        f"Data window: {first.date()} to {last.date()} ({days} days).",
    ]
    closed = _settled(cal, frame, last)
    won = closed[closed["outcome"] == "won"]
    cycle = cycle_days(won)
    cal.data.update(
        description=f"Calibrated from {deals.source}: {len(frame):,} deals, {first.date()} to "
        f"{last.date()}.",
        currency=deals.currency or "EUR",  # noted below when the export names none
        horizon_days=365,
        warmup_days=float(max(14, math.ceil(np.nanpercentile(cycle, 90)))) if len(cycle) else 30.0,
        calendar={
            "start": (last.normalize() + pd.Timedelta(days=1)).date().isoformat(),
            "workdays": _workdays(closed),
            "hours": [9, 17],
        },
    )
    cal.note(("warmup_days",), "90th percentile of won deals' cycle: the pipeline fills first")
    if not deals.currency:
        cal.note(("currency",), "DEFAULT: the export names no currency")
    cal.note(("calendar", "hours"), "DEFAULT: the export has no working hours")
    cal.note(("calendar", "workdays"), "weekdays with at least 3% of the closes")
    _fit_leads(cal, frame, first, days)
    _fit_funnel(cal, frame, closed, cycle, work_hours)
    _fit_people(cal, frame, closed, first, last, work_hours)
    return cal


def _settled(cal: Calibration, frame: pd.DataFrame, last: pd.Timestamp) -> pd.DataFrame:
    """Closed deals created early enough that nearly all their cohort has closed: the last
    weeks' deals are mostly still open, and those that did close are the quick ones (mostly
    quick losses), so fitting on them would bias win rates and cycles."""
    closed = frame[frame["outcome"].isin(["won", "lost"])]
    won = closed[closed["outcome"] == "won"]
    if len(won) < 20:
        return closed
    p90 = np.percentile(cycle_days(won), 90)
    cut = last - pd.Timedelta(days=float(p90))
    early = closed[closed["created"] <= cut]
    if len(early) < 0.5 * len(closed):
        return closed
    cal.header.append(
        f"Win rates and cycles from the {len(early):,} closed deals created up to {cut.date()} "
        f"(one 90th-percentile cycle, {p90:.0f} days, before the end): later deals are mostly "
        "still open."
    )
    return early


def _workdays(closed: pd.DataFrame) -> list[str]:
    if len(closed) < MIN_DEALS_FOR_PROFILES:
        return list(WEEKDAYS[:5])
    share = closed["closed"].dt.day_of_week.value_counts(normalize=True)
    days = [WEEKDAYS[d] for d in range(7) if share.get(d, 0.0) >= 0.03]
    return days or list(WEEKDAYS[:5])


def _profiles(created: pd.Series, first: pd.Timestamp, days: int) -> tuple[list[float], str]:
    if len(created) < MIN_DEALS_FOR_PROFILES:
        return [1.0] * 7, f"flat: {len(created)} deals are too few for a weekday profile"
    calendar = pd.date_range(first, periods=days, freq="D")
    exposure = pd.Series(calendar.day_of_week).value_counts().reindex(range(7), fill_value=0)
    counts = created.dt.day_of_week.value_counts().reindex(range(7), fill_value=0)
    rate = (counts / exposure.where(exposure > 0)).fillna(0.0)
    profile = rate / rate.mean() if rate.mean() > 0 else pd.Series(1.0, index=range(7))
    return [round(float(v), 3) for v in profile], "deals created per weekday / mean weekday rate"


def _monthly(created: pd.Series, first: pd.Timestamp, days: int) -> tuple[list[float] | None, str]:
    months = len(pd.period_range(first, first + pd.Timedelta(days=days - 1), freq="M"))
    if months < MIN_MONTHS_FOR_SEASONALITY:
        return None, (
            f"no monthly_profile: the data cover {months} calendar months, too short to "
            f"fit seasonality (needs {MIN_MONTHS_FOR_SEASONALITY})"
        )
    calendar = pd.date_range(first, periods=days, freq="D")
    exposure = pd.Series(calendar.month).value_counts().reindex(range(1, 13), fill_value=0)
    counts = created.dt.month.value_counts().reindex(range(1, 13), fill_value=0)
    rate = counts / exposure
    return (
        [round(float(v), 3) for v in rate / rate.mean()],
        f"deals created per calendar month / mean, over {months:.0f} months",
    )


def _fit_leads(cal: Calibration, frame: pd.DataFrame, first: pd.Timestamp, days: int) -> None:
    products = frame["product"].replace("", np.nan).dropna()
    counts = products.value_counts()
    groups: list[tuple[str, pd.DataFrame]]
    if len(counts) >= 2 and (counts >= MIN_PRODUCT_DEALS).sum() >= 2:
        big = list(counts[counts >= MIN_PRODUCT_DEALS].index)
        rest = frame[~frame["product"].isin(big)]
        groups = [(str(p), frame[frame["product"] == p]) for p in big]
        if not rest.empty:
            groups.append(("other", rest))
    else:
        groups = [("crm", frame)]
    weekday, weekday_how = _profiles(frame["created"], first, days)
    monthly, monthly_how = _monthly(frame["created"], first, days)
    sources = []
    used: set[str] = set()
    for i, (label, group) in enumerate(groups):
        source = slug(label)
        while source in used:
            source += "_2"
        used.add(source)
        cal.source_of_product.update(dict.fromkeys(group["product"].unique(), source))
        rate, low, high = poisson_rate(len(group), days)
        entry: dict[str, Any] = {"source": source, "per_day": _r(rate), "weekday_profile": weekday}
        cal.note(
            ("leads", i, "per_day"),
            f"{len(group):,} deals created in {days} days; 95% CI "
            f"{low:.3g} to {high:.3g} (exact Poisson)",
        )
        cal.note(("leads", i, "weekday_profile"), weekday_how)
        if monthly is not None:
            entry["monthly_profile"] = monthly
            cal.note(("leads", i, "monthly_profile"), monthly_how)
        values = group.loc[group["outcome"] == "won", "value"].dropna().to_numpy()
        if len(values):
            dist, how = fit_distribution(values, cal.data.get("currency", ""))
            entry["deal_value"] = dist
            cal.note(("leads", i, "deal_value"), f"won deals' values: {how}")
        sources.append(entry)
    cal.data["leads"] = sources
    if monthly is None:
        cal.header.append(monthly_how)


def slug(text: str) -> str:
    """A name usable as a scenario key: lower case, underscores, starting with a letter."""
    name = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return name if name and name[0].isalpha() else f"p_{name or 'other'}"


def stage_order(paths: pd.Series) -> list[str]:
    """Stage names in funnel order: by their mean position in the recorded histories."""
    positions: dict[str, list[int]] = {}
    for path in paths:
        for i, stage in enumerate(split_path(path)):
            positions.setdefault(stage, []).append(i)
    return sorted(positions, key=lambda s: (float(np.mean(positions[s])), s))


def split_path(path: str) -> list[str]:
    """Stage names of a history; outcome steps ("Closed Won", "lost") are not stages."""
    steps = [p for p in re.split(r"\s*(?:>|\||;|->|→|,)\s*", str(path)) if p.strip()]
    return [slug(p) for p in steps if outcome_of(p, True) not in ("won", "lost")]


def _fit_funnel(
    cal: Calibration, frame: pd.DataFrame, closed: pd.DataFrame, cycle: pd.Series, work_hours: float
) -> None:
    has_history = (closed["stages"] != "").mean() >= 0.5 if len(closed) else False
    names = stage_order(closed["stages"]) if has_history else ["sell"]
    work_days = work_hours / 8 * 7 / 5  # calendar days that much work spans
    delay = (cycle - work_days).clip(lower=0)
    stages: dict[str, Any] = {}
    # how far each deal got: the last stage of the funnel it reached (a won deal: past all);
    # a deal that skipped a stage passed it, so the stages' rates multiply to the win rate
    index = {name: k for k, name in enumerate(names)}
    furthest = closed["stages"].map(lambda p: max((index.get(s, -1) for s in split_path(p)),
                                                  default=-1))  # fmt: skip
    furthest = furthest.where(closed["outcome"] != "won", len(names))
    skipped = 0
    for k, stage in enumerate(names):
        if has_history:
            reached = closed[furthest >= k] if k else closed
            passed = reached[furthest[reached.index] > k]
            visited = reached["stages"].map(lambda p, s=stage: s in split_path(p))
            skipped += int((~visited).sum()) if k else 0
        else:
            reached, passed = closed, closed[closed["outcome"] == "won"]
        n, w = len(reached), len(passed)
        p = w / n if n else 0.0
        low, high = wilson(w, n) if n else (0.0, 1.0)
        spec: dict[str, Any] = {
            "by": "sales",
            "work_hours": _r(work_hours / len(names)),
            "success": round(p, 4),
        }
        if k + 1 < len(names):
            spec["next"] = names[k + 1]
        what = f"passed {stage}" if has_history else "won"
        cal.note(
            ("stages", stage, "success"),
            f"{w:,} {what} of {n:,} closed deals that reached "
            f"it; 95% CI {low:.3f} to {high:.3f} (Wilson)",
        )
        cal.note(
            ("stages", stage, "work_hours"),
            f"ASSUMPTION (--work-hours-per-deal {work_hours:g}): the export has no work time",
        )
        stages[stage] = spec
    last = names[-1]
    if len(delay):
        dist, how = fit_distribution(delay.to_numpy(), "days")
        stages[last]["delay_days"] = dist
        cal.note(
            ("stages", last, "delay_days"),
            f"client's time = won deals' cycle minus the work ({work_days:.2g} days): {how}",
        )
    lost = closed[closed["outcome"] == "lost"]
    lost_cycle = cycle_days(lost).to_numpy()
    if len(lost_cycle):
        _, how = fit_distribution(lost_cycle, "days")
        cal.header.append(
            f"Lost deals' cycle (not used: one cycle per stage in this format): {how}"
        )
    cal.data["stages"] = stages
    if skipped:
        cal.header.append(
            f"{skipped:,} times a closed deal skipped a stage: counted as passing it (so the "
            "stages' rates multiply to the win rate); its work there is still simulated."
        )
    if not has_history:
        cal.header.append(
            "No stage history in the export: one stage 'sell' with the overall win probability."
        )


def active_owners(frame: pd.DataFrame) -> pd.DataFrame:
    """Per owner: first and last month with a deal created or closed, and closed deals."""
    dated = frame[frame["owner"] != ""]
    months = pd.concat(
        [
            dated[["owner", "created"]].rename(columns={"created": "at"}),
            dated[["owner", "closed"]].rename(columns={"closed": "at"}),
        ]
    ).dropna()
    months["month"] = months["at"].dt.to_period("M")
    span = months.groupby("owner")["month"].agg(["min", "max"])
    return span


def _fit_shares(cal: Calibration, frame: pd.DataFrame, span: pd.DataFrame) -> None:
    """Who gets how many deals: when the active owners' deals per active month differ by more
    than chance (chi-square, p < 0.01) and by more than absences in a shared queue make them
    (a coefficient of variation above `SHARE_CV`), the first stage routes leads in proportion
    to those rates (`weighted`) and each owner keeps their deals through the later stages."""
    if len(span) < 2:
        return
    months = (span["max"] - span["min"]).map(lambda d: d.n).astype(float) + 1
    counts = frame[frame["owner"].isin(span.index)].groupby("owner").size()
    deals = counts.reindex(span.index, fill_value=0).astype(float)
    rate = deals / months
    cv = float(rate.std() / rate.mean()) if rate.mean() > 0 else 0.0
    test = stats.chisquare(deals, months / months.sum() * deals.sum())
    if cv <= SHARE_CV or test.pvalue >= 0.01:
        cal.header.append(
            f"Owners' deals per active month differ by a coefficient of variation of {cv:.2f} "
            f"(chi-square p = {test.pvalue:.2g}): no more than chance or absences explain, so "
            "leads go to a shared queue."
        )
        return
    weights = (rate / rate.mean()).round(3)
    names = list(cal.data["stages"])
    cal.data["stages"][names[0]]["routing"] = {
        "rule": "weighted",
        "weights": {str(o): max(float(w), 0.001) for o, w in weights.items()},
    }
    cal.note(
        ("stages", names[0], "routing"),
        f"deals per active month of each owner / the mean (coefficient of variation {cv:.2f}, "
        f"chi-square p = {test.pvalue:.2g}): leads are assigned in those proportions",
    )
    for name in names[1:]:
        cal.data["stages"][name]["routing"] = {"rule": "owner"}
        cal.note(("stages", name, "routing"), "the owner keeps the deal, as in a CRM")


def shrunk_multipliers(wins: pd.Series, trials: pd.Series) -> tuple[pd.Series, float]:
    """Win-rate multipliers per person shrunk toward the team mean (beta-binomial, moments).

    Returns the multipliers and the prior strength k: a person with k closed deals is pulled
    halfway to the team mean; k is infinite (all 1.0) when rates differ no more than chance."""
    trials = trials.astype(float)
    pbar = float(wins.sum() / trials.sum()) if trials.sum() else 0.0
    if pbar in (0.0, 1.0) or len(trials) < 2:
        return pd.Series(1.0, index=wins.index), math.inf
    rates = wins / trials
    weights = trials / trials.sum()
    observed = float((weights * (rates - pbar) ** 2).sum())
    chance = float((weights * pbar * (1 - pbar) / trials).sum())
    between = observed - chance
    if between <= 0:
        return pd.Series(1.0, index=wins.index), math.inf
    k = max(pbar * (1 - pbar) / between - 1, 0.0)
    shrunk = (wins + k * pbar) / (trials + k)
    return shrunk / pbar, k


def _fit_people(
    cal: Calibration,
    frame: pd.DataFrame,
    closed: pd.DataFrame,
    first: pd.Timestamp,
    last: pd.Timestamp,
    work_hours: float,
) -> None:
    stages = len(cal.data["stages"])
    span = active_owners(frame)
    end_month = last.to_period("M")
    if span.empty:
        demand = sum(src["per_day"] for src in cal.data["leads"]) * work_hours
        capacity = 8 * 5 / 7 * 0.7  # hours a person gives a calendar day at 70% busy
        headcount = max(1, math.ceil(demand / capacity))
        cal.data["roles"] = {"sales": {"headcount": headcount}}
        cal.note(("roles", "sales", "headcount"), f"ASSUMPTION: the export names no owners; "
                 f"sized so that {demand:.1f} h of work a day keeps them ~70% busy")  # fmt: skip
        return
    active = span[span["max"] >= end_month - 1].index.tolist()
    monthly = [
        int(((span["min"] <= m) & (span["max"] >= m)).sum())
        for m in pd.period_range(first.to_period("M"), end_month, freq="M")
    ]
    mine = closed[closed["owner"].isin(active)]
    wins = (mine["outcome"] == "won").groupby(mine["owner"]).sum().reindex(active, fill_value=0)
    trials = mine.groupby("owner").size().reindex(active, fill_value=0)
    multipliers, k = shrunk_multipliers(wins[trials > 0], trials[trials > 0])
    # a person's multiplier acts at every stage: the S-th root gives their whole-funnel rate
    multipliers = (multipliers ** (1 / stages)).clip(0.1, 10.0)
    people = [
        {"name": str(o), "success": round(float(multipliers.get(o, 1.0)), 3)}
        for o in sorted(active)
    ]
    cal.data["roles"] = {"sales": {"headcount": len(active), "people": people}}
    cal.note(
        ("roles", "sales", "headcount"),
        f"owners active in the last two months; owners per "
        f"month: {', '.join(map(str, monthly[-12:]))}",
    )
    cal.note(
        ("roles", "sales", "people"),
        "per-stage success multipliers ("
        + ("win-rate ratios" if stages == 1 else f"the root of order {stages} of win-rate ratios")
        + ") shrunk "
        "toward the team mean "
        + (
            f"(beta-binomial, k = {k:.0f} closed deals)"
            if math.isfinite(k)
            else "(one owner, or differences no bigger than chance: all 1.0)"
        ),
    )
    _fit_shares(cal, frame, span.loc[active])
    leavers = int((span["max"] < end_month - 1).sum())
    years = float(((span["max"] - span["min"]).map(lambda d: d.n) + 1).sum()) / 12
    hires = int((span["min"] > first.to_period("M")).sum())
    rate, low, high = poisson_rate(leavers, max(years, 1 / 12))
    cal.data["workforce"] = {"resignation": {"annual_rate": round(rate, 3)}}
    cal.note(
        ("workforce", "resignation", "annual_rate"),
        f"{leavers} owner(s) stopped appearing in {years:.1f} person-years ({hires} appeared "
        f"after the start); 95% CI {low:.2f} to {high:.2f}",
    )
    cal.header.append(
        "Not in the export, left at salessim's defaults: salaries and costs, "
        "sickness and vacations, hiring delay, ramp-up."
    )


def to_yaml(cal: Calibration) -> str:
    """The scenario as YAML, each fitted value with its method as a comment beside it."""
    root = _commented(cal.data, (), cal.comments)
    root.yaml_set_start_comment("\n".join(cal.header))
    out = io.StringIO()
    yaml = YAML()
    yaml.width = 100
    yaml.default_flow_style = False
    yaml.dump(root, out)
    return out.getvalue()


def _commented(value: Any, path: Path_, comments: dict[Path_, str]) -> Any:
    if isinstance(value, dict):
        node = CommentedMap()
        for key, item in value.items():
            node[key] = _commented(item, (*path, key), comments)
            if (*path, key) in comments:
                node.yaml_add_eol_comment(comments[(*path, key)], key)
        commented = any((*path, key) in comments for key in value)
        if "dist" in value or (
            not commented
            and len(value) <= 3
            and all(not isinstance(v, dict | list) for v in value.values())
        ):
            node.fa.set_flow_style()
        return node
    if isinstance(value, list):
        seq = CommentedSeq(_commented(v, (*path, i), comments) for i, v in enumerate(value))
        if all(not isinstance(v, dict | list) for v in value):
            seq.fa.set_flow_style()
        return seq
    return value


__all__: Sequence[str] = ["Calibration", "calibrate", "fit_distribution", "to_yaml"]
