"""Benchmarks of the salessim engine, printed as ratios (not timed tests).

    python bench/run.py            # full run, a few minutes
    python bench/run.py --smoke    # tiny sizes, used by CI to keep the script working

(a) M/M/c: the same model in plain SimPy (Resource + a process per customer) and as a salessim
    scenario; customers per second for both and the ratio of salessim time to plain time
    (CPU time, median of 5 repeats in which the two alternate).
(b) Scaling: seconds per replication of scenarios/two_level.yaml as the horizon doubles, and as
    lead volume and headcount grow together; growth factor per doubling (2.0 = linear).
(c) Peak memory of one 10-year replication (tracemalloc).
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import simpy

from salessim.experiment.replications import run_replication
from salessim.scenario import loader
from salessim.scenario.models import Scenario

ROOT = Path(__file__).resolve().parent.parent
TWO_LEVEL = ROOT / "scenarios" / "two_level.yaml"


def plain_simpy_mmc(servers: int, lam: float, mu: float, hours: float, seed: int) -> int:
    """The textbook SimPy M/M/c: returns the number of customers served."""
    rnd = random.Random(seed)
    env = simpy.Environment()
    staff = simpy.Resource(env, capacity=servers)
    served = [0]
    waits: list[float] = []

    def customer(env: simpy.Environment) -> Any:
        arrived = env.now
        with staff.request() as req:
            yield req
            waits.append(env.now - arrived)
            yield env.timeout(rnd.expovariate(mu))
            served[0] += 1

    def arrivals(env: simpy.Environment) -> Any:
        while True:
            yield env.timeout(rnd.expovariate(lam))
            env.process(customer(env))

    env.process(arrivals(env))
    env.run(until=hours)
    return served[0]


def mmc_scenario(servers: int, lam: float, mu: float, days: float,
                 learning: bool = False) -> Scenario:  # fmt: skip
    """The M/M/c queue as a scenario; with `learning`, every server has learning by doing on
    (rate 0.9) but already at its plateau, so the queue is the same and the ratio shows the
    cost of the curve's bookkeeping on every task."""
    extra: dict[str, Any] = {}
    if learning:
        flat = {"rate": 0.9, "reference_tasks": 1e6, "start_tasks": 1e6, "plateau_tasks": 1e6}
        extra["workforce"] = {"learning": flat}
    return Scenario.model_validate(
        {
            **extra,
            "name": "mmc",
            "horizon_days": days,
            "calendar": {
                "workdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                "hours": [0, 24],
            },
            "leads": [{"source": "poisson", "per_day": lam * 24}],
            "stages": {
                "serve": {
                    "by": "server",
                    "success": 1.0,
                    "work_hours": {"dist": "exponential", "mean": 1 / mu},
                }
            },
            "roles": {"server": {"headcount": servers}},
        }
    )


def cpu_seconds(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.process_time()
    out = fn()
    return time.process_time() - started, out


def bench_mmc(days: float, repeat: int) -> None:
    print("(a) M/M/c, plain SimPy vs salessim (same model, 24/7, utilisation 0.8)")
    print(f"{'c':>4} {'customers':>10} {'plain/s':>10} {'salessim/s':>11} {'ratio':>7}  "
          f"(median of {repeat} interleaved repeats: each ratio)")  # fmt: skip
    for servers, learning in ((1, False), (3, False), (10, False), (3, True)):
        mu, lam = 1.0, 0.8 * servers
        sc = mmc_scenario(servers, lam, mu, days, learning)
        ratios, plain_rates, sim_rates = [], [], []
        for _ in range(repeat):  # plain and salessim alternate, so both see the same machine
            t_plain, served = cpu_seconds(partial(plain_simpy_mmc, servers, lam, mu, days * 24, 1))
            t_sim, rec = cpu_seconds(partial(run_replication, sc, 1, 0))
            n_sim = rec["stage.serve.worked"]
            ratios.append((t_sim / n_sim) / (t_plain / served))
            plain_rates.append(served / t_plain)
            sim_rates.append(n_sim / t_sim)
        label = f"{servers}+L" if learning else str(servers)
        each = ", ".join(f"{r:.2f}" for r in ratios)
        print(f"{label:>4} {served:>10,} {statistics.median(plain_rates):>10,.0f} "
              f"{statistics.median(sim_rates):>11,.0f} {statistics.median(ratios):>7.2f}  "
              f"({each})")  # fmt: skip
    print("ratio = salessim CPU time per customer / plain SimPy CPU time per customer (lower is "
          "better)")  # fmt: skip
    print("3+L = c=3 with learning by doing on, at its plateau (same queue): the cost of learning")


def scaled(base: Scenario, horizon_days: float, factor: int) -> Scenario:
    data = base.model_dump(by_alias=True)
    data["horizon_days"] = horizon_days
    data["warmup_days"] = min(data["warmup_days"], horizon_days / 10)
    for src in data["leads"]:
        src["per_day"] *= factor
        src["market_size"] = None
    for role in data["roles"].values():
        role["headcount"] *= factor
    return Scenario.model_validate(data)


def seconds_per_rep(sc: Scenario, reps: int) -> float:
    """Best of three timings of `reps` replications, after one untimed warm-up replication."""
    run_replication(sc, 1, 0)
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for r in range(reps):
            run_replication(sc, 1, r)
        best = min(best, (time.perf_counter() - t0) / reps)
    return best


def bench_scaling(years: list[int], factors: list[int], reps: int) -> None:
    base = loader.load(TWO_LEVEL)
    print("\n(b) Scaling of scenarios/two_level.yaml")
    print(f"{'horizon':>8} {'s/rep':>8} {'growth per doubling':>20}")
    prev = None
    for y in years:
        t = seconds_per_rep(scaled(base, 365 * y, 1), reps)
        growth = f"{t / prev:.2f}" if prev else "-"
        print(f"{y:>6} y {t:>8.3f} {growth:>20}")
        prev = t
    print(f"{'volume+staff':>12} {'s/rep':>8} {'growth per doubling':>20}")
    prev, prev_f = None, 1
    for f in factors:
        t = seconds_per_rep(scaled(base, 365, f), reps)
        growth = f"{(t / prev) ** (math.log(2) / math.log(f / prev_f)):.2f}" if prev else "-"
        print(f"{'x' + str(f):>12} {t:>8.3f} {growth:>20}")
        prev, prev_f = t, f
    print("linear = 2.0 per doubling (volume growth is converted to a per-doubling factor)")


def bench_memory(years: int) -> None:
    sc = scaled(loader.load(TWO_LEVEL), 365 * years, 1)
    tracemalloc.start()
    rec = run_replication(sc, 1, 0)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"\n(c) Peak traced memory of one {years}-year replication of two_level: "
        f"{peak / 2**20:.1f} MiB ({rec['leads_arrived']:,.0f} leads)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI")
    args = parser.parse_args()
    if args.smoke:
        bench_mmc(days=20, repeat=1)
        bench_scaling(years=[1, 2], factors=[1, 2], reps=1)
        bench_memory(years=1)
        return
    bench_mmc(days=2000, repeat=5)
    bench_scaling(years=[1, 2, 4, 8], factors=[1, 10], reps=5)
    bench_memory(years=10)


if __name__ == "__main__":
    main()
