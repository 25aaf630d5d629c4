"""Keyed, counter-based random numbers (design: Determinism).

A draw is a pure function of (run seed, purpose, entity, counter): no shared sequential
stream, so results do not depend on event order or on how a fleet is split into shards. The
mixer is SplitMix64's finaliser; :func:`uniforms` is the NumPy-vectorised twin of
:func:`uniform` and returns bit-identical values.
"""

from __future__ import annotations

import zlib

import numpy as np
import numpy.typing as npt

MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB
_SCALE = 2.0**-53


def _mix(z: int) -> int:
    z = (z + _GOLDEN) & MASK
    z = ((z ^ (z >> 30)) * _M1) & MASK
    z = ((z ^ (z >> 27)) * _M2) & MASK
    return z ^ (z >> 31)


def stream_key(seed: int, purpose: str) -> int:
    """The key of one purpose's stream within a run (stable across Python versions)."""
    return _mix((seed & MASK) ^ (zlib.crc32(purpose.encode()) << 32))


def uniform(key: int, entity: int, counter: int = 0) -> float:
    """A uniform draw in [0, 1) for ``entity``'s ``counter``-th use of stream ``key``."""
    return (_mix(key ^ _mix(((entity << 24) + counter) & MASK)) >> 11) * _SCALE


def _mix_array(z: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    z = z + np.uint64(_GOLDEN)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(_M1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(_M2)
    return z ^ (z >> np.uint64(31))


def uniforms(key: int, entities: npt.ArrayLike, counter: int = 0) -> npt.NDArray[np.float64]:
    """Vectorised :func:`uniform` over an array of entity ids (same values, bit for bit)."""
    ids = np.asarray(entities, dtype=np.uint64)
    with np.errstate(over="ignore"):
        inner = _mix_array((ids << np.uint64(24)) + np.uint64(counter))
        out = _mix_array(np.uint64(key) ^ inner)
    return (out >> np.uint64(11)).astype(np.float64) * _SCALE
