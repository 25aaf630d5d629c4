"""Intervals for a sweep's few replications, and notes on what an interval hides.

A sweep usually has few replications per point (5 by default), so its intervals must be the
ones that hold at small n:

* ``t`` (default): Student's t interval for the mean, ``mean ± t(1 - α/2, n-1) · sd / √n``
  (``sd`` with n-1 degrees of freedom); undefined (NaN) below 2 values. The t quantile is
  computed here (the regularised incomplete beta function by continued fractions, inverted by
  bisection): no SciPy dependency. At n = 4 it is 3.18, where the normal interval's 1.96 would
  claim 1.6 times too much precision.
* ``bootstrap``: the percentile bootstrap of the mean, :data:`BOOTSTRAP_RESAMPLES` resamples
  drawn from a stream keyed by the sweep's seed and the interval's key, so the same sweep gives
  the same interval. It assumes nothing about the shape of the spread, but it cannot be wider
  than the values it resamples: at small n it is too narrow (see :func:`notes`).

:func:`notes` says when an interval should not be read alone: fewer than :data:`MIN_RUNS`
values, or values that fall into two separated groups (:func:`two_groups`), where the mean
describes no run at all (a metric that is either 0 or 300).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

LEVEL = 0.95
"""Confidence level of the intervals."""
METHODS = ("t", "bootstrap")
"""The interval methods: Student's t (default) and the percentile bootstrap."""
BOOTSTRAP_RESAMPLES = 10_000
"""Resamples of the percentile bootstrap."""
BOOTSTRAP_STREAM = 0x424F4F54
"""Second entropy word of the bootstrap's random stream (``"BOOT"`` in ASCII)."""
MIN_RUNS = 5
"""Fewer values than this get a note: an interval from so few runs is wide (t) or too narrow
(bootstrap), and says little about the shape of the spread."""
GAP_RATIO = 3.0
"""Two groups are *separated* when the gap between them is at least this many times the wider
group's own range (and more than 0)."""


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz)."""
    tiny, c, d = 1e-300, 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 400):
        for numerator in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                          -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return h


def incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b), for a, b > 0 and x in [0, 1]."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x)
                 + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _beta_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_fraction(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with ``df`` degrees of freedom."""
    tail = 0.5 * incomplete_beta(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t > 0 else tail


@lru_cache(maxsize=512)
def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t with ``df`` > 0 degrees of freedom (p in (0, 1)).

    Raises:
        ValueError: ``p`` outside (0, 1) or ``df`` <= 0.
    """
    if not (0.0 < p < 1.0 and df > 0):
        raise ValueError(f"expected 0 < p < 1 and df > 0, got p={p}, df={df}")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        low, high = high, high * 2.0
    for _ in range(200):
        mid = 0.5 * (low + high)
        if mid in (low, high):
            break
        low, high = (mid, high) if t_cdf(mid, df) < p else (low, mid)
    return 0.5 * (low + high)


@dataclass(frozen=True)
class Estimate:
    """The mean of some values with its interval: ``n`` values (NaN ones left out), their
    ``mean`` and ``sd`` (n-1 degrees of freedom), the interval ``[low, high]`` by ``method``
    (NaN where undefined), and :func:`notes` on the values."""

    n: int
    mean: float
    sd: float
    low: float
    high: float
    method: str
    notes: tuple[str, ...] = ()


def _finite(values: Sequence[float] | npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    x = np.asarray(values, dtype=np.float64)
    return x[~np.isnan(x)]


def estimate(values: Sequence[float] | npt.NDArray[np.float64], method: str = "t",
             key: str = "", seed: int = 0) -> Estimate:
    """The mean of ``values`` with its :data:`LEVEL` interval by ``method`` (``t`` or
    ``bootstrap``; ``key`` and ``seed`` key the bootstrap's stream).

    Raises:
        ValueError: an unknown method.
    """
    if method not in METHODS:
        raise ValueError(f'unknown interval method "{method}": expected t or bootstrap')
    x = _finite(values)
    n = len(x)
    if n == 0:
        return Estimate(0, math.nan, math.nan, math.nan, math.nan, method)
    mean = float(x.mean())
    if n < 2:
        return Estimate(n, mean, math.nan, math.nan, math.nan, method, notes(x))
    sd = float(x.std(ddof=1))
    if method == "t":
        half = t_quantile(0.5 + LEVEL / 2.0, n - 1) * sd / math.sqrt(n)
        low, high = mean - half, mean + half
    else:
        low, high = bootstrap(x, key, seed)
    return Estimate(n, mean, sd, low, high, method, notes(x, method))


def interval(values: Sequence[float]) -> tuple[int, float, float, float, float]:
    """``(n, mean, sd, ci_low, ci_high)`` of ``values`` by Student's t (NaN where undefined)."""
    e = estimate(values)
    return e.n, e.mean, e.sd, e.low, e.high


def bootstrap(x: npt.NDArray[np.float64], key: str = "", seed: int = 0,
              resamples: int = BOOTSTRAP_RESAMPLES) -> tuple[float, float]:
    """The percentile bootstrap interval of the mean of ``x`` (at least one value): the
    :data:`LEVEL` central range of the means of ``resamples`` resamples with replacement,
    drawn from ``SeedSequence((seed, BOOTSTRAP_STREAM, hash of key))``."""
    word = int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "little")
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(
        (seed, BOOTSTRAP_STREAM, word))))
    means = x[rng.integers(0, len(x), size=(resamples, len(x)))].mean(axis=1)
    tail = (1.0 - LEVEL) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return float(low), float(high)


def two_groups(x: npt.NDArray[np.float64]) -> tuple[npt.NDArray[np.float64],
                                                     npt.NDArray[np.float64]] | None:
    """The values ``x`` (4 or more) split into two separated groups, or None: the widest gap
    between consecutive sorted values is more than 0 and at least :data:`GAP_RATIO` times the
    range of the wider group on either side of it. A count that is either 0 or 300 splits;
    values spread out evenly, or all alike, do not."""
    if len(x) < 4:
        return None
    s = np.sort(x)
    gaps = np.diff(s)
    cut = int(np.argmax(gaps)) + 1
    gap, within = float(gaps[cut - 1]), max(float(s[cut - 1] - s[0]), float(s[-1] - s[cut]))
    if gap <= 0.0 or gap < GAP_RATIO * within:
        return None
    return s[:cut], s[cut:]


def _values(group: npt.NDArray[np.float64]) -> str:
    low, high = float(group.min()), float(group.max())
    shown = _short(low) if low == high else f"{_short(low)} to {_short(high)}"
    return f"{len(group)} at {shown}"


def _short(value: float) -> str:
    return f"{value:.4g}"


def notes(x: npt.NDArray[np.float64], method: str = "t") -> tuple[str, ...]:
    """What a reader of an interval of ``x`` should know: too few values (below
    :data:`MIN_RUNS`), or values in two separated groups (:func:`two_groups`)."""
    found = []
    if len(x) < MIN_RUNS:
        effect = ("its interval is too narrow" if method == "bootstrap" else
                  "its interval is wide and assumes a mean near normal")
        found.append(f"only {len(x)} run{'s' if len(x) != 1 else ''}: {effect} (add "
                     "replications)")
    split = two_groups(x)
    if split is not None:
        found.append(f"two separated groups of runs ({_values(split[0])}; "
                     f"{_values(split[1])}): the mean describes neither; look at the runs")
    return tuple(found)


__all__ = ["BOOTSTRAP_RESAMPLES", "GAP_RATIO", "LEVEL", "METHODS", "MIN_RUNS", "Estimate",
           "bootstrap", "estimate", "incomplete_beta", "interval", "notes", "t_cdf",
           "t_quantile", "two_groups"]
