"""What-if experiments built on `experiment.run`: sweeps over settings and key-person stress.

A sweep is "the same run with these keys changed": each point is the scenario file loaded with
dotted-path overrides (validated like the file itself), run with the same replication seeds.
A stress test removes one person at a time (a `leave` or `absent` event on a given day) and
compares each variant with the unchanged scenario, paired by replication.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from salessim.errors import Problem, SalessimError, ScenarioError
from salessim.experiment import replications as experiment
from salessim.experiment.replications import RunResult
from salessim.scenario import loader
from salessim.scenario.models import Scenario
from salessim.scenario.overrides import OVERRIDE_FILE
from salessim.scenario.workforce import Event
from salessim.scenario.yamlfile import read_value

SWEEP_METRICS = ("revenue", "profit", "won", "lead_to_won", "leads_contacted", "lost_cold",
                 "wait_first_contact_hours_mean", "top_person_revenue_share")  # fmt: skip
AGAINST_METRICS = ("profit", "revenue", "won")
"""Metrics whose paired difference (file - against) a sweep with `--against` adds per point."""
DIFF_STATS = ("diff", "diff_low", "diff_high")
RunFn = Callable[[Scenario], RunResult]


def split_values(text: str) -> tuple[str, list[Any]]:
    """`key=v1,v2,...` -> (key, [values]); commas inside [] or {} do not split."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ScenarioError(
            [Problem(key, f"expected key.path=v1,v2,..., got {text!r}", OVERRIDE_FILE)]
        )
    parts = _top_level_parts(raw)
    values = [read_value(p.strip(), OVERRIDE_FILE) for p in parts if p.strip()]
    if not values:
        raise ScenarioError(
            [
                Problem(
                    key.strip(),
                    f"no values after '=' in {text!r}; give key.path=v1,v2,...",
                    OVERRIDE_FILE,
                )
            ]  # fmt: skip
        )
    return key.strip(), values


def _top_level_parts(raw: str) -> list[str]:
    """`raw` split at the commas outside [] and {}."""
    parts, depth, cur = [], 0, ""
    for ch in raw:
        depth += ch in "[{"
        depth -= ch in "]}"
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return parts


def grid(sets: Sequence[str]) -> list[dict[str, Any]]:
    """All combinations of the `--set key=v1,v2` options."""
    return combinations(dict(split_values(text) for text in sets))


def combinations(settings: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every point of the grid: one value of each key path, in every combination."""
    keys = list(settings)
    return [
        dict(zip(keys, combo, strict=True))
        for combo in itertools.product(*(settings[k] for k in keys))
    ]


def points_from_csv(path: Path) -> list[dict[str, Any]]:
    """Designed points: one row per point, one column per key path."""
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ScenarioError([Problem("", f"cannot read points file: {exc}", str(path))]) from None
    if not rows:
        raise ScenarioError([Problem("", "the points file has no rows", str(path))])
    return [{k: read_value(v, OVERRIDE_FILE) for k, v in row.items()} for row in rows]


def load_points(
    file: Path, points: list[dict[str, Any]], base_folders: Sequence[str | Path] = ()
) -> list[Scenario]:
    """The scenario at every point; all problems are reported together, before anything runs."""
    scenarios = []
    problems: list[Problem] = []
    for point in points:
        try:
            scenarios.append(loader.load(file, point, base_folders))
        except ScenarioError as exc:
            problems += exc.problems
    if problems:
        raise ScenarioError(list(dict.fromkeys(problems)), file=str(file))
    return scenarios


def sweep(
    points: list[dict[str, Any]],
    scenarios: list[Scenario],
    run: RunFn,
    against: list[Scenario] | None = None,
) -> tuple[pd.DataFrame, list[RunResult]]:
    """Run the scenario of each point (from `load_points`) and tabulate the KPIs per point.

    With `against` (the other file at the same points), each point is also run on it, with
    the same seeds, and the table adds the paired difference scenario - against of the
    `AGAINST_METRICS` with its 95% CI (`profit.diff`, `profit.diff_low`, `profit.diff_high`).
    """
    results = [run(sc) for sc in scenarios]
    others = [run(sc) for sc in against or []]
    rows = []
    for i, (point, res) in enumerate(zip(points, results, strict=True)):
        summary = res.summary.set_index("metric")
        row: dict[str, Any] = {"point": i, **point}
        for metric in SWEEP_METRICS:
            if metric in summary.index:
                for col in ("mean", "ci_low", "ci_high", "p10", "p90"):
                    row[f"{metric}.{col}"] = summary.loc[metric, col]
        if others:
            diff = experiment.paired_differences(others[i], res).set_index("metric")
            for metric in AGAINST_METRICS:
                for col in DIFF_STATS:
                    row[f"{metric}.{col}"] = diff.loc[metric, col]
        rows.append(row)
    return pd.DataFrame(rows), results


@dataclass(frozen=True)
class BreakEven:
    """Where a swept setting makes the paired difference of `metric` change sign.

    `at` interpolates the mean difference linearly between the two points around the change;
    `low` and `high` are where the 95% CI's bounds cross zero (the settings beyond which one
    side is ahead with 95% confidence), None when that happens outside the swept range.
    """

    setting: str
    metric: str
    at: float | None
    low: float | None
    high: float | None
    ahead_below: str  # which scenario is ahead at the low end of the setting
    ahead_above: str

    def sentence(self, currency: str) -> str:
        what = "profit" if self.metric == "profit" else self.metric
        if self.at is None:  # then ahead_below is ahead everywhere, ahead_above nowhere
            return (f"{self.ahead_below} has more {what} than {self.ahead_above} at every swept "
                    f"{self.setting}: no break-even in the range")  # fmt: skip
        bounds = [f"{v:.4g}" if v is not None else "beyond the swept range"
                  for v in (self.low, self.high)]  # fmt: skip
        return (f"Break-even in {what} at {self.setting} = {self.at:.4g} (95% CI {bounds[0]} to "
                f"{bounds[1]}): {self.ahead_below} is ahead below it, {self.ahead_above} above "
                "it")  # fmt: skip


def break_even(
    table: pd.DataFrame, setting: str, metric: str, names: tuple[str, str]
) -> BreakEven | None:
    """The break-even of a sweep with `--against` over one numeric setting; `names` are
    (file's scenario, against's scenario). None if the table has no differences."""
    if f"{metric}.diff" not in table or not pd.api.types.is_numeric_dtype(table[setting]):
        return None
    ordered = table.sort_values(setting)
    x = ordered[setting].to_numpy(dtype=float)
    mean, low, high = (ordered[f"{metric}.{c}"].to_numpy(dtype=float) for c in DIFF_STATS)
    first, last = (names if d > 0 else names[::-1] for d in (mean[0], mean[-1]))
    at = _crossing(x, mean)
    if at is None:
        return BreakEven(setting, metric, None, None, None, first[0], first[1])
    bounds = sorted(c for c in (_crossing(x, low), _crossing(x, high)) if c is not None)
    lo = bounds[0] if bounds and bounds[0] <= at else None
    hi = bounds[-1] if bounds and bounds[-1] >= at else None
    return BreakEven(setting, metric, at, lo, hi, first[0], last[0])


def _crossing(x: Any, y: Any) -> float | None:
    """The first x where the piecewise-linear y(x) changes sign, if any."""
    for i in range(len(x) - 1):
        if y[i] == 0:
            return float(x[i])
        if y[i] * y[i + 1] < 0:
            return float(x[i] + (x[i + 1] - x[i]) * y[i] / (y[i] - y[i + 1]))
    return None


def default_stress_day(scenario: Scenario) -> float:
    """When a stress test removes each person: 90 days after the warm-up, at most mid-horizon."""
    return min(scenario.warmup_days + 90, scenario.horizon_days / 2)


def day_number(scenario: Scenario, text: str) -> float:
    """A day given as a number or as a date (days from calendar.start), inside the horizon."""
    try:
        day = float(text)
    except ValueError:
        try:
            day = float((dt.date.fromisoformat(text) - scenario.calendar.start).days)
        except ValueError:
            raise SalessimError(f"--day: '{text}' is neither a day number nor a date like "
                                f"{scenario.calendar.start.isoformat()}") from None  # fmt: skip
    if not 0 <= day < scenario.horizon_days:
        start, horizon = scenario.calendar.start, scenario.horizon_days
        raise SalessimError(f"--day: {text} is outside the simulated days 0 to {horizon:g} "
                            f"from {start}")  # fmt: skip
    return day


def people_at_start(scenario: Scenario) -> list[str]:
    """Every seat occupied at the start, as `role[i]`."""
    return [f"{role}[{i}]" for role, spec in scenario.roles.items() for i in range(spec.headcount)]


def person_name(scenario: Scenario, seat: str) -> str:
    """How a person at the start is shown: their `name:` if they have one, else `role[i]`."""
    role, _, rest = seat.partition("[")
    index = int(rest.rstrip("]"))
    people = scenario.roles[role].people
    name = people[index].name if index < len(people) else None
    return name or seat


def without(scenario: Scenario, person: str, day: float, absent_days: float | None) -> Scenario:
    """The scenario with `person` leaving (or absent for `absent_days`) on `day`."""
    action = "absent" if absent_days else "leave"
    event = Event(day=day, action=action, person=person, days=absent_days)
    return scenario.model_copy(update={"events": [*scenario.events, event]})


def _cell(frame: pd.DataFrame, metric: str, col: str) -> float:
    return float(frame.at[metric, col])  # type: ignore[arg-type]


STRESS_COLUMNS = ["person", "name", "role", "profit_lost", "profit_lost_low", "profit_lost_high",
                  "revenue_lost", "revenue_lost_low", "revenue_lost_high",
                  "revenue_lost_share", "deals_lost", "customers_lost_with_owner",
                  "recovery_days"]  # fmt: skip


def stress(
    scenario: Scenario, run: RunFn, day: float, absent_days: float | None = None
) -> tuple[pd.DataFrame, RunResult, list[RunResult]]:
    """Who can we not afford to lose: each person removed in turn, against the baseline; ranked
    by the profit lost (the revenue they bring less the pay saved), then the revenue lost."""
    baseline = run(scenario)
    rows, variants = [], []
    for person in people_at_start(scenario):
        variant = run(without(scenario, person, day, absent_days))
        variants.append(variant)
        diff = experiment.paired_differences(baseline, variant).set_index("metric")
        summary = variant.summary.set_index("metric")
        rows.append(
            {
                "person": person,
                "name": person_name(scenario, person),
                "role": person.split("[")[0],
                "profit_lost": -_cell(diff, "profit", "diff"),
                "profit_lost_low": -_cell(diff, "profit", "diff_high"),
                "profit_lost_high": -_cell(diff, "profit", "diff_low"),
                "revenue_lost": -_cell(diff, "revenue", "diff"),
                "revenue_lost_low": -_cell(diff, "revenue", "diff_high"),
                "revenue_lost_high": -_cell(diff, "revenue", "diff_low"),
                "revenue_lost_share": -_cell(diff, "revenue", "relative"),
                "deals_lost": -_cell(diff, "won", "diff"),
                "customers_lost_with_owner": _cell(diff, "customers_lost_with_owner", "diff"),
                "recovery_days": _cell(summary, "resignation_recovery_days", "mean"),
            }
        )
    table = pd.DataFrame(rows, columns=STRESS_COLUMNS)
    table = table.sort_values(["profit_lost", "revenue_lost"], ascending=False, ignore_index=True)
    return table, baseline, variants
