"""Are the results of this checkout byte-identical to those of another git ref?

    python bench/identical.py               # against HEAD (e.g. before committing a refactor)
    python bench/identical.py --ref abc123  # against any commit, tag or branch
    python bench/identical.py --smoke       # two scenarios, -n 3 (CI keeps the script working)

For every shipped scenario it runs `salessim run FILE -n 20 --seed 7 -w 1` once with this
checkout and once with the ref (checked out into a temporary git worktree and imported from
there with the same interpreter and libraries), and compares the sha256 of
replications.parquet, people.parquet and timeseries.parquet. Exit code 1 if any file differs.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILES = ("replications.parquet", "people.parquet", "timeseries.parquet")


def digests(source: Path, scenarios: list[str], n: int, out: Path) -> dict[str, str]:
    """sha256 of each result file of each scenario, run with the package found in `source`."""
    env = {**os.environ, "PYTHONPATH": str(source)}
    found = {}
    for name in scenarios:
        folder = out / name
        command = [sys.executable, "-m", "salessim", "run", str(source / "scenarios" / name),
                   "-n", str(n), "--seed", "7", "-w", "1", "-q", "--out", str(folder)]  # fmt: skip
        subprocess.run(command, cwd=source, env=env, check=True, stdout=subprocess.DEVNULL)
        for file in FILES:
            found[f"{name}/{file}"] = hashlib.sha256((folder / file).read_bytes()).hexdigest()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", default="HEAD", help="git ref to compare with (default HEAD)")
    parser.add_argument("--smoke", action="store_true", help="two scenarios, -n 3")
    args = parser.parse_args()
    scenarios = sorted(p.name for p in (ROOT / "scenarios").glob("*.yaml"))
    n = 20
    if args.smoke:
        scenarios, n = scenarios[:2], 3
    if subprocess.run(["git", "rev-parse", "--verify", "-q", args.ref], cwd=ROOT,
                      capture_output=True, check=False).returncode != 0:  # fmt: skip
        print(f"not a git checkout with {args.ref}: nothing to compare with")
        return
    with tempfile.TemporaryDirectory() as tmp:
        other = Path(tmp) / "ref"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(other), args.ref],
                       cwd=ROOT, check=True)  # fmt: skip
        new = [name for name in scenarios if not (other / "scenarios" / name).exists()]
        if new:  # added since the ref: nothing to compare them with
            print(f"not in {args.ref}, left out: {', '.join(new)}")
            scenarios = [name for name in scenarios if name not in new]
        try:
            here = digests(ROOT, scenarios, n, Path(tmp) / "here")
            there = digests(other, scenarios, n, Path(tmp) / "there")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(other)], cwd=ROOT,
                           check=False)  # fmt: skip
    differ = [key for key in here if here[key] != there.get(key)]
    for key in here:
        print(f"{'same' if key not in differ else 'DIFFERENT':>9}  {key}")
    print(f"{len(here) - len(differ)} of {len(here)} files identical to {args.ref} "
          f"({len(scenarios)} scenarios, -n {n} --seed 7)")  # fmt: skip
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
