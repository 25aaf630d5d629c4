"""Seeds and samples of a sweep, derived from one base seed (design: Determinism).

* Replication ``r`` of every parameter point runs with seed :func:`replication_seed` ``(base,
  r)``: the first 32-bit word of the state of ``SeedSequence(base, spawn_key=(r,))``, which is
  exactly the ``r``-th child of ``SeedSequence(base).spawn(...)``. A child depends only on
  ``(base, r)``, so adding replications never changes the seeds of those already there, and
  every point sees the same seeds (common random numbers: the difference between two points
  is not blurred by different draws).
* A Latin hypercube design (:func:`latin_hypercube`) of ``n`` samples in ``d`` dimensions is
  drawn from ``SeedSequence((base, LHS_STREAM))``, a stream of its own that no replication
  seed shares.

The arcsim engine draws its own randomness from the run's seed (keyed streams), so these seeds
are all a sweep needs to be reproducible.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

LHS_STREAM = 0x4C4853
"""Second entropy word of the Latin hypercube stream (``"LHS"`` in ASCII)."""


def replication_seed(base: int, replication: int) -> int:
    """The seed of replication ``replication`` (0, 1, ...) of a sweep with base seed ``base``:
    an integer in [0, 2**32)."""
    if base < 0 or replication < 0:
        raise ValueError(f"expected a base seed and a replication >= 0, got {base}, "
                         f"{replication}")
    state = np.random.SeedSequence(base, spawn_key=(replication,)).generate_state(1, np.uint32)
    return int(state[0])


def latin_hypercube(n: int, d: int, base: int) -> npt.NDArray[np.float64]:
    """An ``(n, d)`` Latin hypercube sample of [0, 1)^d: in each dimension, each of the ``n``
    equal strata holds exactly one sample, at a uniform place within it."""
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence((base, LHS_STREAM))))
    unit = np.empty((n, d), dtype=np.float64)
    for j in range(d):
        unit[:, j] = (rng.permutation(n) + rng.random(n)) / n
    return unit


__all__ = ["LHS_STREAM", "latin_hypercube", "replication_seed"]
