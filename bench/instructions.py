"""Bench (a) in machine instructions: salessim against plain SimPy on the M/M/c model, counted by
valgrind's callgrind, so the figure does not move with what else the machine is doing.

    python bench/instructions.py            # c = 1, 3, 10; about four minutes
    python bench/instructions.py --smoke    # c = 1, tiny sizes; CI runs it when valgrind is there
    python bench/instructions.py --growth   # bench (b) in instructions: two_level 1-8 years, x10

Each model runs in a child process under `valgrind --tool=callgrind --instr-atstart=no`; the
child builds the model, switches counting on (`callgrind_control -i on`), runs it and switches
counting off, so imports and set-up are not counted. It runs at two sizes (`days` and three
times that): the difference in instructions over the difference in customers served is the
cost of one more customer, free of what a run costs once. Instructions are not time (a cache
miss costs more than an addition), so bench (a) in CPU time (`run.py`) stays the measure of
record; this one is its noise-free companion, and the one to use for an A/B of two commits.

With `--growth`, bench (b) in instructions: one replication of `scenarios/two_level.yaml` for
1, 2, 4 and 8 years, and with volume and staff x10 (as `run.py` scales them), each counted
whole; instructions and instructions per SimPy event, and their growth per doubling. What it
cannot see is what makes the same instructions slower in a larger run (caches).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from run import per_doubling  # noqa: E402

CHILD = """
import os, subprocess, sys
sys.path.insert(0, {here!r})
from run import TWO_LEVEL, mmc_scenario, plain_simpy_mmc, scaled
from salessim.engine.simulation import Simulation
from salessim.engine.streams import Streams
from salessim.scenario import loader
kind, c, days = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
if kind == "two_level":  # c is the factor on volume and staff
    sim = Simulation(scaled(loader.load(TWO_LEVEL), days, c), Streams(1, 0))
else:
    sim = Simulation(mmc_scenario(c, 0.8 * c, 1.0, days), Streams(1, 0))
def counting(flag):
    subprocess.run(["callgrind_control", "-i", flag, str(os.getpid())], capture_output=True)
counting("on")
if kind == "plain":
    served = plain_simpy_mmc(c, 0.8 * c, 1.0, days * 24, 1)
else:
    sim.run()
    served = sim.stages[0].worked if kind != "two_level" else next(sim.env._eid)
counting("off")
print("served", served)
"""


def count(kind: str, servers: int, days: float) -> tuple[int, int]:
    """(instructions counted, customers served) of one run in a child under callgrind; for
    `two_level`, `servers` is the factor on volume and staff, and the count is of SimPy events."""
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "child.py"
        script.write_text(CHILD.format(here=str(HERE)))
        out = subprocess.run(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no",
             f"--callgrind-out-file={tmp}/callgrind.out", sys.executable, str(script), kind,
             str(servers), str(days)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    refs = re.search(r"I\s+refs:\s+([\d,]+)", out.stderr)
    served = re.search(r"served (\d+)", out.stdout)
    if refs is None or served is None:
        raise RuntimeError(f"no count in callgrind's output:\n{out.stderr[-2000:]}")
    return int(refs.group(1).replace(",", "")), int(served.group(1))


def per_customer(kind: str, servers: int, days: float) -> float:
    """Instructions of one more customer served: the slope between `days` and 3 x `days`."""
    small, n_small = count(kind, servers, days)
    large, n_large = count(kind, servers, 3 * days)
    return (large - small) / (n_large - n_small)


def growth() -> None:
    """Bench (b) in instructions (one replication each, counted whole)."""
    print("(b) two_level: instructions of one replication (callgrind), growth per doubling")
    print(f"{'size':>6} {'instructions':>15} {'growth':>7} {'events':>9} {'per event':>10} "
          f"{'growth':>7}")  # fmt: skip
    for label, runs in (("horizon", [(f"{y} y", 1, 365.0 * y, y) for y in (1, 2, 4, 8)]),
                        ("volume", [("x1", 1, 365.0, 1), ("x10", 10, 365.0, 10)])):  # fmt: skip
        before: tuple[int, int, float] | None = None
        print(label)
        for name, factor, days, size in runs:
            instructions, events = count("two_level", factor, days)
            grown = grown_per = "-"
            if before is not None:
                grown = f"{per_doubling(instructions / before[0], size / before[2]):.3f}"
                per = (instructions / events) / (before[0] / before[1])
                grown_per = f"{2 * per_doubling(per, size / before[2]):.3f}"
            print(f"{name:>6} {instructions:>15,} {grown:>7} {events:>9,} "
                  f"{instructions / events:>10,.0f} {grown_per:>7}")  # fmt: skip
            before = (instructions, events, size)
    print("growth: per doubling of the horizon or of volume and staff (2.000 = linear)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="c = 1, tiny sizes (CI)")
    parser.add_argument("--growth", action="store_true", help="bench (b) in instructions")
    args = parser.parse_args()
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        print("valgrind is not installed: nothing counted (apt-get install valgrind)")
        return
    if args.growth:
        growth()
        return
    servers_list, days = ([1], 5.0) if args.smoke else ([1, 3, 10], 40.0)
    print("(a) M/M/c at utilisation 0.8: instructions per customer (callgrind)")
    print(f"{'c':>4} {'plain SimPy':>12} {'salessim':>10} {'ratio':>6}")
    for servers in servers_list:
        scaled_days = days / servers  # about the same number of customers at every c
        plain = per_customer("plain", servers, scaled_days)
        ours = per_customer("salessim", servers, scaled_days)
        print(f"{servers:>4} {plain:>12,.0f} {ours:>10,.0f} {ours / plain:>6.3f}")
    print("ratio = salessim / plain SimPy, instructions per customer (lower is better)")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
