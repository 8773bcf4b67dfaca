"""Bench (a) in machine instructions: salessim against plain SimPy on the M/M/c model, counted by
valgrind's callgrind, so the figure does not move with what else the machine is doing.

    python bench/instructions.py            # c = 1, 3, 10; about four minutes
    python bench/instructions.py --smoke    # c = 1, tiny sizes; CI runs it when valgrind is there

Each model runs in a child process under `valgrind --tool=callgrind --instr-atstart=no`; the
child builds the model, switches counting on (`callgrind_control -i on`), runs it and switches
counting off, so imports and set-up are not counted. It runs at two sizes (`days` and three
times that): the difference in instructions over the difference in customers served is the
cost of one more customer, free of what a run costs once. Instructions are not time (a cache
miss costs more than an addition), so bench (a) in CPU time (`run.py`) stays the measure of
record; this one is its noise-free companion, and the one to use for an A/B of two commits.
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
CHILD = """
import os, subprocess, sys
sys.path.insert(0, {here!r})
from run import mmc_scenario, plain_simpy_mmc
from salessim.engine.simulation import Simulation
from salessim.engine.streams import Streams
kind, c, days = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
sim = Simulation(mmc_scenario(c, 0.8 * c, 1.0, days), Streams(1, 0))
def counting(flag):
    subprocess.run(["callgrind_control", "-i", flag, str(os.getpid())], capture_output=True)
counting("on")
if kind == "plain":
    served = plain_simpy_mmc(c, 0.8 * c, 1.0, days * 24, 1)
else:
    sim.run()
    served = sim.stages[0].worked
counting("off")
print("served", served)
"""


def count(kind: str, servers: int, days: float) -> tuple[int, int]:
    """(instructions counted, customers served) of one run in a child under callgrind."""
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="c = 1, tiny sizes (CI)")
    args = parser.parse_args()
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        print("valgrind is not installed: nothing counted (apt-get install valgrind)")
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
