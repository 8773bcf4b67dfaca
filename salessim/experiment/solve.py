"""Solve for the cheapest team that meets a target with a given confidence (`salessim solve`).

Each point (a combination of the varied settings) runs the same replications with the same seed
(common random numbers), so points differ only by the settings. A point's chance of meeting the
target is the share of its replications that meet it, with a Wilson 95% interval. The point is
feasible when that share is at least the confidence asked for.

The search assumes that raising a varied setting (one more person) never lowers the chance of
meeting the target. It also assumes it never lowers the cost. Under these assumptions the
search does not need every point. It takes the setting with the most values and, for every
combination of the others, bisects it for the smallest feasible value: about log2(n) + 1 runs
instead of n. Among those smallest feasible points the cheapest one wins (mean of the minimised
metric; ties go to fewer people). The runner-up is the next cheapest. `tried` lists every point
that was run.

`planner` gives the spreadsheet answer for comparison. It uses capacity arithmetic with mean
values, without queues, absences or randomness (see `planner.py`).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from salessim.errors import SalessimError
from salessim.experiment import planner
from salessim.experiment.replications import RunResult
from salessim.numbers import human
from salessim.scenario.models import Scenario

ALIASES = {"cost": "cost_total", "deals": "won"}
SUFFIX = {"k": 1e3, "m": 1e6, "": 1.0}
Point = dict[str, Any]


class SolveError(SalessimError):
    """A target or a varied setting that cannot be read."""


@dataclass(frozen=True)
class Target:
    """`metric op value`, e.g. revenue >= 1,200,000, met or not by each replication."""

    metric: str
    op: str  # ">=" or "<="
    value: float

    def met(self, values: np.ndarray) -> np.ndarray:
        return values >= self.value if self.op == ">=" else values <= self.value

    def __str__(self) -> str:
        value = f"{self.value:,.0f}" if abs(self.value) >= 1000 else f"{self.value:g}"
        return f"{self.metric} {self.op} {value}"


def parse_target(text: str) -> Target:
    """'revenue >= 1.2M', 'profit>=150k', 'wait_hours_mean <= 24'."""
    match = re.fullmatch(r"\s*([a-z_][a-z0-9_.]*)\s*(>=|<=)\s*([-+]?[\d.,_]+)\s*([kKmM]?)\s*",
                         text)  # fmt: skip
    if not match:
        raise SolveError(
            f"--target '{text}': write it as 'metric >= value' or 'metric <= value', e.g. "
            "'revenue >= 1.2M' (k and M for thousands and millions)"
        )
    metric, op, number, suffix = match.groups()
    try:
        value = float(number.replace(",", "").replace("_", "")) * SUFFIX[suffix.lower()]
    except ValueError:
        raise SolveError(f"--target '{text}': '{number}' is not a number") from None
    return Target(ALIASES.get(metric, metric), op, value)


def parse_vary(text: str) -> tuple[str, list[Any]]:
    """'roles.designer.headcount=1..8' (whole numbers, both ends included) or '=1,2,4'."""
    key, _, values = text.partition("=")
    key, values = key.strip(), values.strip()
    span = re.fullmatch(r"(-?\d+)\s*\.\.\s*(-?\d+)", values)
    if key and span:
        low, high = int(span.group(1)), int(span.group(2))
        if high < low:
            raise SolveError(f"--vary {text}: the range {low}..{high} runs backwards")
        return key, list(range(low, high + 1))
    try:
        listed = [float(v) if "." in v else int(v) for v in values.split(",") if v.strip()]
    except ValueError:
        listed = []
    if not key or not listed:
        raise SolveError(
            f"--vary '{text}': write key.path=low..high (e.g. roles.designer.headcount=1..8) "
            "or key.path=v1,v2,v3 with numbers"
        )
    return key, sorted(set(listed))


@dataclass
class Tried:
    """One point run: its chance of meeting the target and its mean cost."""

    point: Point
    chance: float
    chance_low: float
    chance_high: float
    cost: float
    people: float  # the sum of the varied settings, to break ties
    feasible: bool


@dataclass
class Solution:
    target: Target
    confidence: float
    minimise: str
    best: Tried | None
    runner_up: Tried | None
    tried: list[Tried] = field(default_factory=list)
    grid_size: int = 0

    def table(self) -> pd.DataFrame:
        """Every point run, cheapest feasible first."""
        rows = [{**t.point, "chance": t.chance, "chance_low": t.chance_low,
                 "chance_high": t.chance_high, f"{self.minimise}.mean": t.cost,
                 "feasible": t.feasible,
                 "answer": "best" if t is self.best else
                 ("runner-up" if t is self.runner_up else "")} for t in self.tried]  # fmt: skip
        frame = pd.DataFrame(rows)
        if frame.empty:
            return frame
        return frame.sort_values(["feasible", f"{self.minimise}.mean"], ascending=[False, True],
                                 kind="stable").reset_index(drop=True)  # fmt: skip


def wilson(successes: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a proportion."""
    if trials == 0:
        return 0.0, 1.0
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = (
        z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    )
    return max(0.0, centre - half), min(1.0, centre + half)


def solve(
    settings: Mapping[str, Sequence[Any]],
    target: Target,
    confidence: float,
    minimise: str,
    evaluate: Callable[[Point], RunResult],
) -> Solution:
    """The cheapest point of the grid `settings` whose chance of meeting `target` is at least
    `confidence`, found by bisection along the widest setting (see the module's docstring);
    `evaluate` runs one point (all points on the same seed)."""
    minimise = ALIASES.get(minimise, minimise)
    keys = list(settings)
    axis = max(keys, key=lambda k: len(settings[k]))
    others = [k for k in keys if k != axis]
    seen: dict[tuple[Any, ...], Tried] = {}

    def run(point: Point) -> Tried:
        point = {k: point[k] for k in keys}  # in the order the settings were given
        key = tuple(point.values())
        if key not in seen:
            seen[key] = _judge(point, evaluate(point), target, confidence, minimise)
        return seen[key]

    minima: list[Tried] = []
    values = list(settings[axis])
    for combo in itertools.product(*(settings[k] for k in others)):
        fixed = dict(zip(others, combo, strict=True))

        def at(i: int, fixed: Point = fixed) -> Tried:
            return run({**fixed, axis: values[i]} if fixed else {axis: values[i]})

        if not at(len(values) - 1).feasible:
            continue  # not even the most of the widest setting is enough here
        low, high = 0, len(values) - 1  # high is feasible; find the smallest feasible index
        while low < high:
            mid = (low + high) // 2
            if at(mid).feasible:
                high = mid
            else:
                low = mid + 1
        minima.append(at(high))
    ranked = sorted(minima, key=lambda t: (t.cost, t.people))
    best = ranked[0] if ranked else None
    runner = ranked[1] if len(ranked) > 1 else None
    tried = [seen[k] for k in seen]
    grid = math.prod(len(v) for v in settings.values())
    return Solution(target, confidence, minimise, best, runner, tried, grid)


def _judge(point: Point, result: RunResult, target: Target, confidence: float,
           minimise: str) -> Tried:  # fmt: skip
    reps = result.replications
    for metric in (target.metric, minimise):
        if metric not in reps:
            known = ", ".join(sorted(c for c in reps.columns if c != "replication")[:12])
            raise SolveError(f"no metric '{metric}' (some metrics: {known}, ...; all in "
                             "docs/metrics.md)")  # fmt: skip
    values = reps[target.metric].to_numpy(dtype=float)
    hits = int(target.met(values).sum())
    low, high = wilson(hits, len(values))
    chance = hits / len(values)
    people = float(sum(v for v in point.values() if isinstance(v, (int, float))))
    cost = float(reps[minimise].mean())
    return Tried(point, chance, low, high, cost, people, chance >= confidence)


def judge(point: Point, result: RunResult, solution: Solution) -> Tried:
    """A point run outside the search (the planner's answer), judged like the others."""
    return _judge(point, result, solution.target, solution.confidence, solution.minimise)


@dataclass(frozen=True)
class Plan:
    """The planner's answer: the cheapest point whose arithmetic meets the target."""

    point: Point | None
    forecast: planner.Forecast | None
    supported: bool  # whether the arithmetic knows the target's metric


def planner_answer(grid: list[Point], scenarios: list[Scenario], solution: Solution) -> Plan:
    """The cheapest point of the grid by capacity arithmetic (`planner.forecast`)."""
    best: tuple[float, float, Point, planner.Forecast] | None = None
    for point, scenario in zip(grid, scenarios, strict=True):
        plan = planner.forecast(scenario)
        value = plan.metric(solution.target.metric)
        if value is None:
            return Plan(None, None, False)
        if not solution.target.met(np.array([value]))[0]:
            continue
        cost = plan.metric(solution.minimise)
        people = float(sum(v for v in point.values() if isinstance(v, (int, float))))
        rank = (cost if cost is not None else people, people, point, plan)
        if best is None or rank[:2] < best[:2]:
            best = rank
    return Plan(best[2], best[3], True) if best else Plan(None, None, True)


def _where(point: Point) -> str:
    return ", ".join(f"{k} = {v}" for k, v in point.items())


def explain(solution: Solution, plan: Plan | None, currency: str) -> str:
    """The answer in sentences: the point, its chance and cost, the runner-up, what was tried,
    and the planner's answer with why the two differ."""
    goal = f"{solution.target} in at least {solution.confidence:.0%} of replications"
    n = len(solution.tried)
    lines = []

    def cost(t: Tried) -> str:
        kind = "money" if solution.minimise.startswith(("cost", "profit", "revenue")) else "count"
        return f"{solution.minimise} {human(t.cost, kind, currency)}"

    def chance(t: Tried) -> str:
        return (f"meets it in {t.chance:.0%} of replications (95% CI {t.chance_low:.0%} to "
                f"{t.chance_high:.0%})")  # fmt: skip

    best = solution.best
    if best is None:
        top = max(solution.tried, key=lambda t: t.chance)
        lines.append(f"No point of the grid meets {goal}. The best chance was {top.chance:.0%} "
                     f"at {_where(top.point)}: widen --vary or lower the target.")  # fmt: skip
    else:
        lines.append(f"Answer for {goal}: {_where(best.point)}; {chance(best)}; {cost(best)}.")
        runner = solution.runner_up
        if runner is not None:
            lines.append(f"Runner-up: {_where(runner.point)}; {chance(runner)}; {cost(runner)}.")
        else:
            lines.append("No runner-up: no other combination of the other settings meets it.")
    lines.append(f"Tried {n} of the {solution.grid_size} points (all in solve.csv).")
    if plan is None or not plan.supported:
        lines.append(f"The planner's arithmetic covers revenue, won, cost_total and profit; "
                     f"not {solution.target.metric}.")  # fmt: skip
    elif plan.point is None:
        lines.append("By the planner's arithmetic (capacity at mean values) no point of the grid "
                     "meets the target either.")  # fmt: skip
    else:
        found = next((t for t in solution.tried if t.point == plan.point), None)
        assert plan.forecast is not None
        at = plan.forecast.metric(solution.target.metric) or 0.0
        kind = "count" if solution.target.metric == "won" else "money"
        neck = (f", the {plan.forecast.bottleneck} role at all of its hours"
                if plan.forecast.bottleneck else "")  # fmt: skip
        line = (f"The planner's answer (capacity arithmetic at mean values, as a spreadsheet): "
                f"{_where(plan.point)}, for {human(at, kind, currency)} {solution.target.metric}"
                f"{neck}.")  # fmt: skip
        if found is not None:
            line += (f" With that team the simulation {chance(found)}: the arithmetic "
                     "leaves out queues, absences, resignations and bad months.")  # fmt: skip
        lines.append(line)
    return "\n".join(lines)
