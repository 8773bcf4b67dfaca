"""Where bench (b)'s growth per doubling of the horizon comes from: CPU time per SimPy event in
each simulated year of one long run, with and without the customer base.

    python bench/growth.py            # 8-year runs of two_level, 6 replications each
    python bench/growth.py --smoke    # tiny, used by CI to keep the script working

bench (b) compares whole replications of 1, 2, 4 and 8 years. This runs one replication year by
year (`env.run(until=...)`), so each year's cost per event is measured on the same structures
(calendars and day series as long as the whole horizon). If that cost is flat from year to year,
a longer horizon costs the engine nothing extra per event; if it rises, the model's state (what
builds up during the run) does. The scenario is bench (b)'s: two_level without its market size,
as `run.scaled` makes it. "without customers" is the same scenario with `customers: {}` (no
repeat orders, churn or customer book).

    python bench/growth.py --work     # the model's work in bench (b)'s runs, 4 replications

With `--work`, what bench (b)'s runs ask of the model, counted over whole runs and set beside
the SimPy events: leads that arrived, pieces of work people started (`WorkLoop._begin`) and
actions the customer book carried out (repeat orders, churn, referrals: what its agenda pops),
with their growth per doubling. Counting wraps those two functions from here; the engine is not
changed.
"""

from __future__ import annotations

import argparse
import heapq
import sys
import time
import types
from pathlib import Path
from typing import Any

from salessim.engine import agenda
from salessim.engine.simulation import Simulation, cyclic_gc_paused
from salessim.engine.streams import Streams
from salessim.engine.workloop import WorkLoop
from salessim.scenario import loader
from salessim.scenario.models import Scenario

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import TWO_LEVEL, per_doubling, scaled  # noqa: E402

YEAR_HOURS = 8760.0


def per_year(sc: Scenario, years: int, reps: int) -> list[tuple[float, float]]:
    """(CPU microseconds per SimPy event, events) of each simulated year, over `reps` runs."""
    cpu, events = [0.0] * years, [0] * years
    for r in range(reps):
        sim = Simulation(sc, Streams(1, r))
        with cyclic_gc_paused():
            for y in range(years):
                first, started = next(sim.env._eid), time.process_time()
                sim.env.run(until=YEAR_HOURS * (y + 1))
                cpu[y] += time.process_time() - started
                events[y] += next(sim.env._eid) - first
    return [(c / e * 1e6, e / reps) for c, e in zip(cpu, events, strict=True)]


COUNTS = {"work": 0, "actions": 0}


def _counted_pop(heap: list[Any]) -> Any:
    COUNTS["actions"] += 1
    return heapq.heappop(heap)


def _counting_begin(begin: Any) -> Any:
    def counted(*args: Any) -> Any:
        COUNTS["work"] += 1
        return begin(*args)

    return counted


def model_work(sc: Scenario, reps: int) -> list[float]:
    """Mean (SimPy events, leads, pieces of work, customer actions) of `reps` whole runs."""
    totals = [0.0] * 4
    for r in range(reps):
        COUNTS.update(work=0, actions=0)
        sim = Simulation(sc, Streams(1, r))
        sim.run()
        counted = (next(sim.env._eid), sim.next_id, COUNTS["work"], COUNTS["actions"])
        totals = [t + c / reps for t, c in zip(totals, counted, strict=True)]
    return totals


def work_table(reps: int) -> None:
    """The model's work in bench (b)'s runs and its growth per doubling."""
    agenda.heapq = types.SimpleNamespace(heappush=heapq.heappush, heappop=_counted_pop)  # type: ignore[assignment]
    WorkLoop._begin = _counting_begin(WorkLoop._begin)  # type: ignore[method-assign]
    base = loader.load(TWO_LEVEL)
    runs = [(f"{y} y", float(y), scaled(base, 365 * y, 1)) for y in (1, 2, 4, 8)]
    runs.append(("x10", 10.0, scaled(base, 365, 10)))
    names = ("events", "leads", "pieces of work", "customer actions", "work (3 before)")
    print(f"bench (b)'s runs, mean of {reps} replications (growth per doubling)")
    print(f"{'':>5}" + "".join(f"{n:>20}" for n in names) + f"{'events/work':>12}")
    rows = []
    for label, size, sc in runs:
        counts = model_work(sc, reps)
        counts.append(sum(counts[1:]))
        previous = rows[0] if label == "x10" else (rows[-1] if rows else None)
        cells = ""
        for k, value in enumerate(counts):
            grown = ""
            if previous is not None:
                grown = f"({per_doubling(value / previous[1][k], size / previous[0]):.3f})"
            cells += f"{value:>12,.0f} {grown:>7}"
        print(f"{label:>5}{cells}{counts[0] / counts[4]:>12.3f}")
        rows.append((size, counts))
    print("x10 (volume and staff) is compared with 1 y; work = leads + pieces + customer actions")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI")
    parser.add_argument("--work", action="store_true", help="the model's work in bench (b)")
    args = parser.parse_args()
    if args.work:
        work_table(reps=1 if args.smoke else 4)
        return
    years, reps = (2, 1) if args.smoke else (8, 6)
    with_customers = scaled(loader.load(TWO_LEVEL), 365 * years, 1)
    data = with_customers.model_dump(by_alias=True)
    data["customers"] = {}
    without = Scenario.model_validate(data)
    print(f"two_level over {years} years, {reps} replications: CPU us per SimPy event in each "
          "year (events a year)")  # fmt: skip
    for label, sc in (("with customers", with_customers), ("without customers", without)):
        rows = per_year(sc, years, reps)
        cells = "  ".join(f"y{y + 1} {us:.2f} ({ev:,.0f})" for y, (us, ev) in enumerate(rows))
        print(f"{label:>18}: {cells}")
        print(f"{'':>18}  last year / first: {rows[-1][0] / rows[0][0]:.2f}")


if __name__ == "__main__":
    main()
