"""Where the time of one replication goes: cProfile of two_level and of the M/M/3 model of (a).

    python bench/hotspots.py                      # print the summaries
    python bench/hotspots.py --out bench/profile-after.txt

Prints, for each model, the functions that take the most time of their own (tottime) and the
share of the run spent in SimPy's event loop against salessim's own code. Profiling slows
everything down several times, so read the shares, not the seconds.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
from pathlib import Path

from salessim.experiment.replications import run_replication
from salessim.scenario import loader

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from run import mmc_scenario  # noqa: E402

TOP = 25


def profile(label: str, run: object) -> str:
    prof = cProfile.Profile()
    prof.enable()
    run()  # type: ignore[operator]
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    total = stats.total_tt  # type: ignore[attr-defined]
    own: dict[str, float] = {"simpy": 0.0, "salessim": 0.0, "other": 0.0}
    for (file, _, _), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        kind = "simpy" if "/simpy/" in file else "salessim" if "/salessim/" in file else "other"
        own[kind] += tottime
    shares = ", ".join(f"{k} {v / total:.0%}" for k, v in own.items())
    out.write(f"== {label}: {total:.2f} s profiled; own time: {shares}\n")
    stats.sort_stats("tottime").print_stats(TOP)
    text = out.getvalue()
    head = text[text.index("== ") :].splitlines()[0]
    body = text[text.index("   ncalls") :]
    return (
        head
        + "\n"
        + "\n".join(line.replace(str(ROOT) + "/", "") for line in body.splitlines() if line.strip())
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="also write the summaries to this file")
    args = parser.parse_args()
    two_level = loader.load(ROOT / "scenarios" / "two_level.yaml")
    mmc = mmc_scenario(3, 2.4, 1.0, 1000)
    run_replication(two_level, 1, 0)  # imports and caches out of the way
    parts = [
        profile("two_level, one replication", lambda: run_replication(two_level, 1, 0)),
        profile("M/M/3, 1,000 days", lambda: run_replication(mmc, 1, 0)),
    ]
    text = "\n\n".join(parts) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
