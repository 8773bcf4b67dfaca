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
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from salessim.engine.simulation import Simulation, cyclic_gc_paused
from salessim.engine.streams import Streams
from salessim.scenario import loader
from salessim.scenario.models import Scenario

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import TWO_LEVEL, scaled  # noqa: E402

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI")
    args = parser.parse_args()
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
