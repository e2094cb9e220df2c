"""Named random streams spawned from one root ``SeedSequence``.

Every random decision in the model draws from its own stream (``streams["recruitment"]``, ...).
A stream's seed depends only on the root seed and the stream's name, so adding a stream or drawing
more from one never shifts another: replicate k of two scenarios shares its luck decision by
decision (common random numbers).
"""

from __future__ import annotations

import hashlib

import numpy as np

#: The random decisions of the model, one stream each.
STREAM_NAMES: tuple[str, ...] = (
    "init",
    "mesa",
    "intel",
    "allocation",
    "movement",
    "fights",
    "operations",
    "leaks",
    "pursuit",
    "predation",
    "visibility",
    "leadership",
    "recruitment",
    "exit",
    "events",
    "institutions",
)


def _name_key(name: str) -> int:
    """Stable 32-bit integer for a stream name (independent of Python's hash seed)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "little")


class Streams:
    """A family of named ``numpy.random.Generator`` streams from one root seed.

    Args:
        seed: Root seed (any non-negative integer) or a ``SeedSequence``.
    """

    def __init__(self, seed: int | np.random.SeedSequence) -> None:
        self.root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        self._streams: dict[str, np.random.Generator] = {}

    def seed_sequence(self, name: str) -> np.random.SeedSequence:
        """The child ``SeedSequence`` of stream ``name``."""
        return np.random.SeedSequence(
            entropy=self.root.entropy,
            spawn_key=(*self.root.spawn_key, _name_key(name)),
        )

    def __getitem__(self, name: str) -> np.random.Generator:
        if name not in STREAM_NAMES:
            raise KeyError(f"unknown random stream {name!r}; known: {', '.join(STREAM_NAMES)}")
        if name not in self._streams:
            self._streams[name] = np.random.Generator(np.random.PCG64(self.seed_sequence(name)))
        return self._streams[name]


def replicate_seeds(root_seed: int, replicates: int) -> list[int]:
    """Seeds of replicates 0..n-1, spawned from one root ``SeedSequence`` (never ``seed + i``).

    Args:
        root_seed: The experiment's root seed.
        replicates: Number of replicates.

    Returns:
        One 63-bit integer seed per replicate; replicate k gets the same seed in every scenario.
    """
    children = np.random.SeedSequence(root_seed).spawn(replicates)
    return [int(c.generate_state(2, np.uint64)[0] >> np.uint64(1)) for c in children]
