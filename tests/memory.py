"""Peak memory of a command and all its child processes (Linux /proc), sampled.

Each process counts its proportional set size (Pss: shared pages divided among the processes
sharing them), so forked workers that share the parent's pages are not counted twice.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Sequence
from pathlib import Path


def _tree_rss_bytes(root: int) -> int:
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            rollup = (entry / "smaps_rollup").read_text()
        except OSError:
            continue
        pid = int(entry.name)
        parents[pid] = int(stat.rsplit(")", 1)[1].split()[1])
        for line in rollup.splitlines():
            if line.startswith("Pss:"):
                rss[pid] = int(line.split()[1]) * 1024
    total = 0
    for pid, size in rss.items():
        p = pid
        while p and p != root:
            p = parents.get(p, 0)
        if p == root:
            total += size
    return total


def peak_rss(command: Sequence[str], interval_s: float = 0.2) -> tuple[int, int]:
    """Run `command`; return (exit code, peak summed Pss in bytes of it and its children)."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while process.poll() is None:
        peak = max(peak, _tree_rss_bytes(process.pid))
        time.sleep(interval_s)
    return process.wait(), peak


if __name__ == "__main__":  # python -m tests.memory salessim run ...
    import sys

    code, peak = peak_rss(sys.argv[1:])
    print(f"exit {code}, peak {peak / 2**20:.0f} MiB")
