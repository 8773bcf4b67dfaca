"""Wall time of 1,000 replications of scenarios/two_level.yaml, results written, with 1 and 2
worker processes, and the speed-up.

    python bench/workers.py            # -n 1000 (about two and a half minutes on 2 cores)
    python bench/workers.py -n 200
    python bench/workers.py --smoke    # -n 8, used by CI

Each timing covers what `salessim run -w N` does after loading the file: the replications
(in worker processes when N > 1) and writing the results folder (parquet, summaries, report).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from salessim.experiment import replications as experiment
from salessim.experiment import results
from salessim.scenario import loader

ROOT = Path(__file__).resolve().parent.parent


def timed_run(n: int, workers: int, out: Path) -> float:
    """Seconds of wall time to run `n` replications on `workers` and write their results."""
    scenario = loader.load(ROOT / "scenarios" / "two_level.yaml")
    started = time.perf_counter()
    result = experiment.run(scenario, n, seed=1, workers=workers)
    results.write_run(result, out)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny size, for CI")
    parser.add_argument("-n", type=int, default=1000, help="replications (default 1000)")
    args = parser.parse_args()
    n = 8 if args.smoke else args.n
    seconds = {}
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (1, 2):
            seconds[workers] = timed_run(n, workers, Path(tmp) / f"w{workers}")
            print(f"workers={workers}: {seconds[workers]:.1f} s wall for {n} replications with "
                  f"results ({n / seconds[workers]:.1f} replications/s)")  # fmt: skip
    print(f"speed-up with 2 workers: {seconds[1] / seconds[2]:.2f}x")


if __name__ == "__main__":
    main()
