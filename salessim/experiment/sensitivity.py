"""One-at-a-time sensitivity (`salessim sensitivity`): each numeric input set lower and higher
by a share, all other inputs as in the file, and the effects on a metric, ranked: the data of a
tornado chart.

`inputs(data)` lists the numeric settings the scenario file gives (not salessim's defaults),
leaving out what is not an assumption about the business: the horizon, warm-up, calendar, and
the opening pipeline and events. A count (a headcount, attempts) is rounded after the change,
and an input that the change leaves unchanged (1 person x 0.8 is still 1) is skipped and
reported. A share (success, probability) is kept at most 1. Every variant runs on the same seed
as the baseline (common random numbers), so an effect is the input's, not noise: the table
holds the mean of the metric at the low and the high value, and the paired difference of each
from the baseline with its 95% interval.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from salessim.experiment import replications as experiment
from salessim.experiment.replications import RunResult
from salessim.scenario.models import Scenario

SKIP_TOP = {"name", "description", "currency", "horizon_days", "warmup_days", "calendar",
            "pipeline", "pipeline_survival", "events", "base"}  # fmt: skip
WHOLE = {"headcount", "attempts", "max_waiting", "backup_after", "market_size", "min_attempts",
         "count"}  # fmt: skip
SHARES = {"success", "no_show", "catches", "reschedules", "time_share", "gross_margin",
          "commission", "sourcing_commission", "annual_rate", "follows_owner_on_exit",
          "deals_follow_owner_on_exit", "crm_follow_factor", "start", "notice_effort"}  # fmt: skip


@dataclass(frozen=True)
class Input:
    path: str  # key path as --set writes it, e.g. stages.meeting.success or leads[0].per_day
    value: float
    whole: bool  # a count of people or tries: rounded after the change

    def changed(self, share: float) -> tuple[float, float]:
        """(low, high) values of a change by `share` either way."""
        low, high = self.value * (1 - share), self.value * (1 + share)
        if self.whole:
            low, high = round(low), round(high)
        if self.path.rsplit(".", 1)[-1] in SHARES:
            high = min(high, 1.0)
        return low, high


def inputs(data: Mapping[str, Any]) -> list[Input]:
    """Every numeric setting given in a scenario file's data, as key paths."""
    found: list[Input] = []

    def walk(value: Any, path: str) -> Iterator[Input]:
        if isinstance(value, bool):
            return
        if isinstance(value, (int, float)) and math.isfinite(value) and value != 0:
            yield Input(path, float(value), path.rsplit(".", 1)[-1] in WHOLE)
        elif isinstance(value, Mapping):
            for key, item in value.items():
                yield from walk(item, f"{path}.{key}" if path else str(key))
        elif isinstance(value, list) and all(isinstance(v, Mapping) for v in value):
            for i, item in enumerate(value):
                yield from walk(item, f"{path}[{i}]")

    for key, value in data.items():
        if key not in SKIP_TOP:
            found += walk(value, str(key))
    return found


@dataclass
class Sensitivity:
    table: pd.DataFrame  # one row per input, largest effect first
    skipped: list[str]  # inputs the change leaves unchanged
    baseline: RunResult


def sensitivity(
    items: Sequence[Input],
    share: float,
    metric: str,
    load: Callable[[dict[str, Any]], Scenario],
    run: Callable[[Scenario], RunResult],
) -> Sensitivity:
    """Run the baseline (`load({})`) and each input at its low and high value; rank by the
    distance between the two means of `metric`."""
    baseline = run(load({}))
    if metric not in baseline.replications:
        raise KeyError(metric)
    base_mean = float(baseline.replications[metric].mean())
    rows, skipped = [], []
    for item in items:
        low, high = item.changed(share)
        if low == item.value and high == item.value:
            skipped.append(item.path)
            continue
        row: dict[str, Any] = {"input": item.path, "value": item.value, "low_value": low,
                               "high_value": high, "baseline": base_mean}  # fmt: skip
        for side, value in (("low", low), ("high", high)):
            if value == item.value:
                row.update({side: base_mean, f"{side}_diff": 0.0, f"{side}_diff_low": 0.0,
                            f"{side}_diff_high": 0.0})  # fmt: skip
                continue
            result = run(load({item.path: value}))
            diffs = experiment.paired_differences(baseline, result)
            diff = diffs[diffs["metric"] == metric].iloc[0]
            row[side] = float(result.replications[metric].mean())
            for stat in ("diff", "diff_low", "diff_high"):
                row[f"{side}_{stat}"] = float(diff[stat])
        row["swing"] = abs(row["high"] - row["low"])
        rows.append(row)
    table = pd.DataFrame(rows)
    if not table.empty:
        table = table.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
        table.insert(0, "rank", range(1, len(table) + 1))
    return Sensitivity(table, skipped, baseline)
