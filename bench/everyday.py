"""What a new user waits for: the README's first command, the CLI's start-up, and how well the
size check's cost per event matches this machine. Printed figures, never timed tests.

    python bench/everyday.py            # the README command as written (-n 100)
    python bench/everyday.py --smoke    # -n 5, used by CI to keep the script working

(d) Wall seconds of the README's first command (the salessim part, into a temporary folder).
(e) Start-up of `salessim --help` and `salessim --version` (best of 5) against `python -c pass`.
(f) Seconds per simulation event on this machine against `limits.SECONDS_PER_EVENT`, the cost
    the size check assumes (a ratio below 1 means the check errs on the safe side).
(g) CPU seconds to validate a chain of 4,000 stages (242 KB) and of 16,000 (1 MB, the largest
    file salessim reads): validation is linear in the file.
"""

from __future__ import annotations

import argparse
import re
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SALESSIM = Path(sys.executable).with_name("salessim")


def readme_main_job() -> list[str]:
    """The salessim command of the README's first code block, as arguments."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    first = re.findall(r"```bash\n(.+?)\n```", text, re.S)[0]
    command = first.split("&&")[-1].strip()
    args = shlex.split(command)
    assert args[0].endswith("salessim"), command
    return args[1:]


def with_option(args: list[str], option: str, value: str) -> list[str]:
    out = list(args)
    out[out.index(option) + 1] = value
    return out


def bench_main_job(replications: str | None) -> None:
    args = readme_main_job()
    if replications:
        args = with_option(args, "-n", replications)
    with tempfile.TemporaryDirectory() as tmp:
        args = with_option(args, "--out", str(Path(tmp) / "results"))
        started = time.perf_counter()
        subprocess.run([str(SALESSIM), *args, "-q"], cwd=ROOT, check=True)
        wall = time.perf_counter() - started
    files = [a for a in args if a.endswith(".yaml")]
    n = args[args.index("-n") + 1]
    print(f"(d) README's first command ({args[0]} of {len(files)} scenarios, -n {n}): "
          f"{wall:.1f} s wall")  # fmt: skip


def best_start(argv: list[str]) -> float:
    times = []
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return min(times)


def bench_startup() -> None:
    bare = best_start([sys.executable, "-c", "pass"])
    helped = best_start([str(SALESSIM), "--help"])
    version = best_start([str(SALESSIM), "--version"])
    print(f"(e) start-up: salessim --help {helped:.2f} s, --version {version:.2f} s, "
          f"python -c pass {bare:.2f} s")  # fmt: skip


def bench_event_cost(days: float) -> None:
    from salessim.engine.simulation import Simulation
    from salessim.engine.streams import Streams
    from salessim.experiment import limits
    from salessim.scenario.models import Scenario

    scenario = Scenario.model_validate({
        "name": "events", "horizon_days": days, "leads": [{"source": "web", "per_day": 20}],
        "stages": {"qualify": {"by": "seller", "work_hours": 0.3, "success": 0.5}},
        "roles": {"seller": {"headcount": 2}},
    })  # fmt: skip
    sim = Simulation(scenario, Streams(1, 0))
    started = time.perf_counter()
    sim.run()
    took = time.perf_counter() - started
    events = next(sim.env._eid)
    per_event = took / events
    print(
        f"(f) {per_event * 1e6:.1f} us per event ({events:,} events) against the size check's "
        f"{limits.SECONDS_PER_EVENT * 1e6:.1f} us: ratio {per_event / limits.SECONDS_PER_EVENT:.2f}"
    )


def chain_file(folder: Path, stages: int) -> Path:
    lines = [
        "name: chain",
        "horizon_days: 30",
        "leads:",
        "  - {source: web, per_day: 5}",
        "stages:",
    ]
    for i in range(stages):
        nxt = f"s{i + 1}" if i < stages - 1 else "won"
        lines.append(f"  s{i}: {{by: r, work_hours: 0.1, success: 0.9, next: {nxt}}}")
    path = folder / f"chain_{stages}.yaml"
    path.write_text("\n".join([*lines, "roles:", "  r: {headcount: 1}"]) + "\n")
    return path


def bench_validation(sizes: list[int]) -> None:
    from salessim.scenario import loader

    with tempfile.TemporaryDirectory() as tmp:
        for stages in sizes:
            path = chain_file(Path(tmp), stages)
            started = time.process_time()
            loader.load(path)
            took = time.process_time() - started
            print(f"(g) validate a chain of {stages:,} stages ({path.stat().st_size / 1000:,.0f} "
                  f"KB): {took:.2f} s CPU")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI")
    smoke = parser.parse_args().smoke
    bench_main_job("5" if smoke else None)
    bench_startup()
    bench_event_cost(30 if smoke else 365)
    bench_validation([400] if smoke else [4000, 16000])


if __name__ == "__main__":
    main()
