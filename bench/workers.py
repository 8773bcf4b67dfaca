"""Replications per second of scenarios/two_level.yaml with 1 and 2 worker processes.

python bench/workers.py            # -n 200
python bench/workers.py --smoke    # -n 8, used by CI
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from salessim.experiment import replications as experiment
from salessim.scenario import loader

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny size, for CI")
    n = 8 if parser.parse_args().smoke else 200
    scenario = loader.load(ROOT / "scenarios" / "two_level.yaml")
    rates = {}
    for workers in (1, 2):
        started = time.perf_counter()
        experiment.run(scenario, n, seed=1, workers=workers)
        rates[workers] = n / (time.perf_counter() - started)
        print(f"workers={workers}: {rates[workers]:.1f} replications/s (n={n})")
    print(f"speed-up with 2 workers: {rates[2] / rates[1]:.2f}x")


if __name__ == "__main__":
    main()
