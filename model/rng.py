"""Named random streams spawned from one root ``SeedSequence``.

Every random decision in the model draws from its own stream (``streams["recruitment"]``, ...).
A stream's seed depends only on the root seed and the stream's name, so adding a stream or drawing
more from one never shifts another: replicate k of two scenarios shares its luck decision by
decision (common random numbers).

Compiled kernels take a stream as a ``CompiledStream``: a small compiled record holding the very
same ``Generator`` (its draws advance that Generator's state), which a compiled function receives in
well under a microsecond, where a bare ``Generator`` argument costs several microseconds per call.
"""

from __future__ import annotations

import hashlib

import numpy as np
from numba import njit, types
from numba.experimental import structref
from numba.extending import overload_method, typeof_impl

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
    "tips",
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
        self._compiled: dict[str, CompiledStream] = {}

    def seed_sequence(self, name: str) -> np.random.SeedSequence:
        """The child ``SeedSequence`` of stream ``name``."""
        return np.random.SeedSequence(
            entropy=self.root.entropy,
            spawn_key=(*self.root.spawn_key, _name_key(name)),
        )

    def compiled(self, name: str) -> CompiledStream:
        """Stream ``name`` as compiled kernels take it (the same Generator; made once per stream)."""
        if name not in self._compiled:
            self._compiled[name] = CompiledStream(self[name])
        return self._compiled[name]

    def __getitem__(self, name: str) -> np.random.Generator:
        if name not in STREAM_NAMES:
            raise KeyError(f"unknown random stream {name!r}; known: {', '.join(STREAM_NAMES)}")
        if name not in self._streams:
            self._streams[name] = np.random.Generator(np.random.PCG64(self.seed_sequence(name)))
        return self._streams[name]


#: Largest root seed: seeds are 63-bit so that they round-trip through Parquet's signed int64.
MAX_ROOT_SEED = 2**63 - 1


def seed_of(sequence: np.random.SeedSequence) -> int:
    """A 63-bit integer seed from a ``SeedSequence`` (its first state word, one bit dropped)."""
    return int(sequence.generate_state(1, np.uint64)[0] >> np.uint64(1))


def root_seed(seed: object = None, rng: object = None) -> int:
    """The model's root seed from what a caller passed as ``seed`` or as Mesa's ``rng``.

    Accepts what Mesa accepts, reproducibly: an integer (0 to 2**63 - 1), a ``SeedSequence`` (its
    first 63-bit state word), a ``Generator`` or ``BitGenerator`` (one 63-bit draw, so the same
    generator state gives the same run). ``None`` for both draws fresh entropy from the OS.

    Args:
        seed: mandosim's root seed (an integer or ``None``).
        rng: Mesa's ``rng`` argument (integer, ``SeedSequence``, ``Generator``, ``BitGenerator`` or ``None``).

    Returns:
        The root seed, a non-negative integer below 2**63.

    Raises:
        TypeError: A value of another type (``True``, a float, a string, ``random.Random``), or both given.
        ValueError: A negative or too large integer.
    """
    if seed is not None and rng is not None:
        raise TypeError("give either seed or rng, not both")
    value = seed if seed is not None else rng
    name = "seed" if seed is not None else "rng"
    if value is None:
        return seed_of(np.random.SeedSequence())
    if isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be an integer, a SeedSequence or a numpy Generator, not a boolean")
    if isinstance(value, int | np.integer):
        if not 0 <= int(value) <= MAX_ROOT_SEED:
            raise ValueError(f"{name} {int(value)} out of range: 0 to 2**63 - 1")
        return int(value)
    if name == "rng":
        if isinstance(value, np.random.SeedSequence):
            return seed_of(value)
        if isinstance(value, np.random.BitGenerator):
            value = np.random.Generator(value)
        if isinstance(value, np.random.Generator):
            return int(value.integers(0, MAX_ROOT_SEED, endpoint=True, dtype=np.int64))
        raise TypeError(f"rng must be an integer, a numpy SeedSequence, Generator or BitGenerator, not {type(value).__name__}")
    raise TypeError(f"seed must be a non-negative integer, not {type(value).__name__}")


def replicate_seeds(root_seed: int, replicates: int) -> list[int]:
    """Seeds of replicates 0..n-1, spawned from one root ``SeedSequence`` (never ``seed + i``).

    Args:
        root_seed: The experiment's root seed.
        replicates: Number of replicates.

    Returns:
        One 63-bit integer seed per replicate; replicate k gets the same seed in every scenario.
    """
    children = np.random.SeedSequence(root_seed).spawn(replicates)
    return [seed_of(c) for c in children]


@structref.register
class CompiledStreamType(types.StructRef):
    """Numba type of ``CompiledStream``."""

    def preprocess_fields(self, fields: tuple) -> tuple:
        return tuple((name, types.unliteral(typ)) for name, typ in fields)


class CompiledStream(structref.StructRefProxy):
    """A named stream for compiled kernels: wraps the stream's ``Generator`` and draws from it.

    It offers the draws the kernels use (``random``, ``standard_normal``, ``standard_exponential``,
    ``binomial``, ``poisson``, ``geometric``, ``integers``), each the Generator's own.
    """

    def __new__(cls, generator: np.random.Generator) -> CompiledStream:
        return _new_compiled_stream(generator)


structref.define_proxy(CompiledStream, CompiledStreamType, ["generator"])


@typeof_impl.register(CompiledStream)
def _typeof_compiled_stream(stream: CompiledStream, context: object) -> CompiledStreamType:
    return stream._numba_type_  # direct: skips numba's generic look-up (buffer protocol first)


@njit(cache=True)
def _new_compiled_stream(generator: np.random.Generator) -> CompiledStream:
    return CompiledStream(generator)


@overload_method(CompiledStreamType, "random")
def _random(stream):
    return lambda stream: stream.generator.random()


@overload_method(CompiledStreamType, "standard_normal")
def _standard_normal(stream):
    return lambda stream: stream.generator.standard_normal()


@overload_method(CompiledStreamType, "standard_exponential")
def _standard_exponential(stream):
    return lambda stream: stream.generator.standard_exponential()


@overload_method(CompiledStreamType, "binomial")
def _binomial(stream, n, p):
    return lambda stream, n, p: stream.generator.binomial(n, p)


@overload_method(CompiledStreamType, "poisson")
def _poisson(stream, lam):
    return lambda stream, lam: stream.generator.poisson(lam)


@overload_method(CompiledStreamType, "geometric")
def _geometric(stream, p):
    return lambda stream, p: stream.generator.geometric(p)


@overload_method(CompiledStreamType, "integers")
def _integers(stream, low, high):
    return lambda stream, low, high: stream.generator.integers(low, high)


#: What a compiled kernel draws from: a stream's Generator, or the same stream as a ``CompiledStream``.
Stream = np.random.Generator | CompiledStream
