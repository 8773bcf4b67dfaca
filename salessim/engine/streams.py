"""Named random streams, so that one seed reproduces a run and scenarios share randomness.

Replication `r` of a run with root seed `s` gets `SeedSequence(s, spawn_key=(r,))`; each named
stream (`arrivals.paid_traffic`, `work.meeting`...) is a child keyed by a stable hash of its name.
Two scenarios run with the same seed therefore see the same arrivals (common random numbers), and
the result of replication `r` never depends on which worker ran it or in what order.
"""

from __future__ import annotations

import zlib

import numpy as np


def fresh_seed() -> int:
    """A new random root seed, for runs where the user gave none (it is stored in the manifest)."""
    return int(np.random.SeedSequence().entropy % (2**63))  # type: ignore[operator]


class Streams:
    """Factory of independent numpy Generators for one replication."""

    def __init__(self, seed: int, replication: int) -> None:
        self.seed = seed
        self.replication = replication

    def __call__(self, name: str) -> np.random.Generator:
        key = (self.replication, zlib.crc32(name.encode("utf-8")))
        return np.random.Generator(
            np.random.PCG64(np.random.SeedSequence(self.seed, spawn_key=key))
        )
