"""What salessim's per-lead counters cost, against plain SimPy on the M/M/c model of bench (a).

    python bench/accounting.py            # 600 simulated days, median of 5 interleaved repeats
    python bench/accounting.py --smoke    # tiny, used by CI to keep the script working

Runs the model three ways: plain SimPy, salessim as it is, and salessim with its per-lead
counters switched off (the tally's arrival, first contact and end of a lead, the customer book's
first purchase and a person's hours: replaced by functions that do nothing). The last is not a
usable model (its results are empty); it shows how much of a lead's cost is the engine moving
the lead (arrival, queue, wake-up, work, outcome) and how much is what it counts on the way.
Times are CPU time per customer of `Simulation.run` only (no metrics), as ratios to plain.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from salessim.engine.customers import CustomerBook
from salessim.engine.simulation import Simulation
from salessim.engine.streams import Streams
from salessim.engine.tally import Tally
from salessim.engine.workloop import WorkLoop

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import mmc_scenario, plain_simpy_mmc  # noqa: E402

COUNTERS: list[tuple[type, str]] = [
    (Tally, "arrival"),
    (Tally, "contact"),
    (Tally, "ended"),
    (CustomerBook, "won"),
    (WorkLoop, "_account"),
]


def nothing(*args: Any, **kwargs: Any) -> None:
    return None


@contextmanager
def counters_off() -> Iterator[None]:
    saved = [(cls, name, cls.__dict__[name]) for cls, name in COUNTERS]
    for cls, name in COUNTERS:
        setattr(cls, name, nothing)
    try:
        yield
    finally:
        for cls, name, fn in saved:
            setattr(cls, name, fn)


def per_customer_us(servers: int, days: float) -> tuple[float, float, float]:
    """CPU microseconds per customer: plain SimPy, salessim, salessim without its counters."""
    lam, mu = 0.8 * servers, 1.0
    sc = mmc_scenario(servers, lam, mu, days)

    def engine() -> float:
        started = time.process_time()
        sim = Simulation(sc, Streams(1, 0))
        sim.run()
        return (time.process_time() - started) / sim.stages[0].worked * 1e6

    started = time.process_time()
    served = plain_simpy_mmc(servers, lam, mu, days * 24, 1)
    plain = (time.process_time() - started) / served * 1e6
    full = engine()
    with counters_off():  # the stage still counts the leads it worked
        bare = engine()
    return plain, full, bare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI")
    args = parser.parse_args()
    days, repeat = (20.0, 1) if args.smoke else (600.0, 5)
    print("M/M/c at utilisation 0.8: CPU us per customer (median of interleaved repeats)")
    print(f"{'c':>4} {'plain':>7} {'salessim':>9} {'no counters':>12} {'ratio':>6} "
          f"{'ratio without':>14}")  # fmt: skip
    for servers in (1, 3, 10):
        runs = [per_customer_us(servers, days) for _ in range(repeat)]
        plain, full, bare = (statistics.median(r[i] for r in runs) for i in range(3))
        ratio = statistics.median(r[1] / r[0] for r in runs)
        ratio_bare = statistics.median(r[2] / r[0] for r in runs)
        print(f"{servers:>4} {plain:>7.2f} {full:>9.2f} {bare:>12.2f} {ratio:>6.2f} "
              f"{ratio_bare:>14.2f}")  # fmt: skip
    print("ratio = salessim / plain SimPy; 'without' = with the per-lead counters off (not a "
          "usable model: it shows what the counting costs)")  # fmt: skip


if __name__ == "__main__":
    main()
