"""Benchmarks of the salessim engine, printed as ratios (not timed tests).

    python bench/run.py            # full run, about two minutes
    python bench/run.py --smoke    # tiny sizes, used by CI to keep the script working

(a) M/M/c: the same model in plain SimPy (Resource + a process per customer) and as a salessim
    scenario; customers per second for both and the ratio of salessim time to plain time
    (CPU time, median of 9 repeats in which the two alternate; `instructions.py` counts the
    same in machine instructions, which do not move with the machine's load).
(b) Scaling: CPU seconds per replication of scenarios/two_level.yaml as the horizon doubles, and
    as lead volume and headcount grow together (median of 3 rounds that interleave the sizes);
    growth factor per doubling (2.0 = linear), overall and per SimPy event (the engine's cost
    per unit of the model's work).
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

from salessim.engine.simulation import Simulation
from salessim.engine.streams import Streams
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


def seconds_per_rep(scenarios: list[Scenario], reps: int, rounds: int = 3) -> list[float]:
    """CPU seconds per replication of each scenario: the median over `rounds` rounds, each
    timing `reps` replications of every scenario in turn (so all sizes see the same machine),
    after one untimed warm-up replication of each."""
    for sc in scenarios:
        run_replication(sc, 1, 0)
    times: list[list[float]] = [[] for _ in scenarios]
    for _ in range(rounds):
        for i, sc in enumerate(scenarios):
            t0 = time.process_time()
            for r in range(reps):
                run_replication(sc, 1, r)
            times[i].append((time.process_time() - t0) / reps)
    return [statistics.median(t) for t in times]


def events_of(sc: Scenario) -> int:
    """SimPy events of replication 0 (the model's work: leads, repeat orders, wake-ups)."""
    sim = Simulation(sc, Streams(1, 0))
    sim.run()
    return next(sim.env._eid)


def per_doubling(ratio: float, size_ratio: float) -> float:
    """A growth of `ratio` over a size `size_ratio` times larger, as a factor per doubling."""
    return float(ratio ** (math.log(2) / math.log(size_ratio)))


def growth_table(title: str, labels: list[str], sizes: list[float], scenarios: list[Scenario],
                 reps: int) -> None:  # fmt: skip
    """Seconds per replication and their growth per doubling of `sizes`, overall and per event."""
    print(f"{title:>12} {'s/rep':>8} {'growth per doubling':>20} {'events':>9} {'of s/event':>11}")
    seconds = seconds_per_rep(scenarios, reps)
    events = [events_of(sc) for sc in scenarios]
    for i, label in enumerate(labels):
        growth = growth_per = "-"
        if i:
            ratio, size_ratio = seconds[i] / seconds[i - 1], sizes[i] / sizes[i - 1]
            growth = f"{per_doubling(ratio, size_ratio):.2f}"
            growth_per = f"{2 * per_doubling(ratio * events[i - 1] / events[i], size_ratio):.2f}"
        print(f"{label:>12} {seconds[i]:>8.3f} {growth:>20} {events[i]:>9,} {growth_per:>11}")


def bench_scaling(years: list[int], factors: list[int], reps: int) -> None:
    base = loader.load(TWO_LEVEL)
    print("\n(b) Scaling of scenarios/two_level.yaml (CPU time, median of 3 interleaved rounds)")
    growth_table("horizon", [f"{y} y" for y in years], [float(y) for y in years],
                 [scaled(base, 365 * y, 1) for y in years], reps)  # fmt: skip
    growth_table("volume+staff", [f"x{f}" for f in factors], [float(f) for f in factors],
                 [scaled(base, 365, f) for f in factors], reps)  # fmt: skip
    print("linear = 2.0 per doubling (volume growth is converted to a per-doubling factor); "
          "'of s/event' is the growth of the\nengine's cost per SimPy event, so a model whose "
          "work grows faster than its horizon (a customer base\nthat builds up) or with more "
          "idle people to wake shows as growth of events, not of this")  # fmt: skip


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
    bench_mmc(days=1000, repeat=9)
    bench_scaling(years=[1, 2, 4, 8], factors=[1, 10], reps=5)
    bench_memory(years=10)


if __name__ == "__main__":
    main()
