"""What a sweep runs: parameter axes, the points they make, the runs, and their seeds.

A sweep varies scenario values named by the same ``KEY`` paths as ``--set``
(``params.check_period``, ``fleet[0].count``, ``timeline[2].rate``):

* ``--grid KEY=V1,V2,...``: every value (as ``--set`` reads it: ``10m``, ``0.05``, ``"1.40"``);
  several grids make their cartesian product (the first grid varies slowest);
* ``--lhs KEY=LO:HI`` with ``--samples N``: a Latin hypercube of N samples over all ``--lhs``
  ranges together (numbers; LO and HI both integers draw integers), combined with every grid
  point;
* ``--variants``: named alternatives (:class:`Variant`, each a set of ``KEY=VALUE`` overrides,
  usually declared in the scenario's ``variants:``), combined with every point of the grid and
  the hypercube; the variant is the slowest axis.

Point ``p`` (in that order) and replication ``r`` make run ``p * R + r``; its seed is
:func:`sim.runs.seeds.replication_seed` ``(seed, r)`` (the same for every point and variant:
common random numbers, so replication ``r`` of two variants differ only where the variants
make them differ) and its folder ``runs/p<p>-r<r>/``, so a sweep resumed with more
replications keeps what it has.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sim.errors import ArcsimError
from sim.runs.seeds import latin_hypercube, replication_seed

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_\-.\[\]\"']*")
_INTEGER = re.compile(r"[-+]?\d+")


class SweepError(ArcsimError):
    """A sweep that cannot be run as asked: a bad axis, a folder that holds another sweep."""


@dataclass(frozen=True)
class GridAxis:
    """``KEY=V1,V2,...``: the values of one key, as texts ``--set`` reads."""

    key: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class LhsAxis:
    """``KEY=LO:HI``: a range sampled by the Latin hypercube (integers if ``integer``)."""

    key: str
    low: float
    high: float
    integer: bool = False

    def value(self, u: float) -> str:
        """The value at ``u`` in [0, 1) of the range, as a ``--set`` text."""
        if self.integer:
            span = self.high - self.low + 1
            return str(min(int(self.high), math.floor(self.low + u * span)))
        return repr(self.low + u * (self.high - self.low))


def _split_key(text: str, flag: str, example: str) -> tuple[str, str]:
    key, sep, rest = text.partition("=")
    key = key.strip()
    if not sep or not _KEY.fullmatch(key) or not rest.strip():
        raise SweepError(f'{flag} "{text}": expected {example}')
    return key, rest.strip()


def parse_grid(text: str) -> GridAxis:
    """``"params.check_period=5m,10m"`` -> a :class:`GridAxis`.

    Raises:
        SweepError: not ``KEY=V1,V2,...`` with non-empty values (the message shows an example).
    """
    key, rest = _split_key(text, "--grid", _GRID_EXAMPLE)
    return grid_axis(key, [v.strip() for v in _split_values(rest)], text)


_GRID_EXAMPLE = "KEY=V1,V2,... like params.check_period=5m,10m,30m"


def grid_axis(key: str, values: Sequence[str], shown: str | None = None) -> GridAxis:
    """The axis of ``key`` over ``values`` (``shown``: the ``--grid`` text, for errors).

    Raises:
        SweepError: a bad key, no value, an empty value or a value given twice.
    """
    where = f'--grid "{shown if shown is not None else key}"'
    if not _KEY.fullmatch(key):
        raise SweepError(f"{where}: expected {_GRID_EXAMPLE}")
    if not values or any(not v for v in values):
        raise SweepError(f"{where}: an empty value; expected {_GRID_EXAMPLE}")
    if len(set(values)) != len(values):
        raise SweepError(f"{where}: a value is given twice")
    return GridAxis(key, tuple(values))


def _split_values(text: str) -> Iterator[str]:
    """Split at commas outside quotes, brackets and braces (``{"1.30": 0.4, "1.45": 0.6}``)."""
    depth, quote, start = 0, "", 0
    for i, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            yield text[start:i]
            start = i + 1
    yield text[start:]


def parse_lhs(text: str) -> LhsAxis:
    """``"params.install_failure_p=0:0.2"`` -> an :class:`LhsAxis`.

    Raises:
        SweepError: not ``KEY=LO:HI`` with numbers LO < HI.
    """
    example = "KEY=LO:HI with numbers LO < HI, like params.install_failure_p=0:0.2"
    key, rest = _split_key(text, "--lhs", example)
    low_text, sep, high_text = rest.partition(":")
    try:
        low, high = float(low_text), float(high_text)
    except ValueError:
        low = high = math.nan
    if not sep or not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise SweepError(f'--lhs "{text}": expected {example}')
    integer = bool(_INTEGER.fullmatch(low_text.strip()) and _INTEGER.fullmatch(high_text.strip()))
    return LhsAxis(key, low, high, integer)


@dataclass(frozen=True)
class Variant:
    """A named alternative of the scenario: ``KEY=VALUE`` overrides (``--set`` texts)."""

    name: str
    overrides: tuple[str, ...] = ()


@dataclass(frozen=True)
class Point:
    """One parameter point: ``(key, value text)`` for each grid and hypercube axis, in axis
    order, under ``variant`` (None without variants); ``setting`` numbers the point's grid and
    hypercube values alone, so points of different variants with the same ``setting`` are
    paired."""

    index: int
    settings: tuple[tuple[str, str], ...]
    variant: Variant | None = None
    setting: int = 0

    @property
    def overrides(self) -> list[str]:
        """The ``KEY=VALUE`` texts of this point: the variant's, then the axes'."""
        own = [f"{key}={value}" for key, value in self.settings]
        return [*self.variant.overrides, *own] if self.variant is not None else own


@dataclass(frozen=True)
class Run:
    """One run: a point, a replication, its seed and folder (relative to the sweep's)."""

    index: int
    point: Point
    replication: int
    seed: int

    @property
    def folder(self) -> str:
        """``runs/p0003-r007``."""
        return f"runs/p{self.point.index:04d}-r{self.replication:03d}"


@dataclass(frozen=True)
class SweepSpec:
    """A sweep's definition: what ``sweep.json`` holds, and what ``--resume`` must match."""

    scenario: str
    grid: tuple[GridAxis, ...] = ()
    lhs: tuple[LhsAxis, ...] = ()
    samples: int = 0
    replications: int = 1
    seed: int = 0
    overrides: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()
    variants: tuple[Variant, ...] = ()

    def __post_init__(self) -> None:
        keys = [a.key for a in self.grid] + [a.key for a in self.lhs]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise SweepError(f"{', '.join(twice)}: given more than once in --grid/--lhs")
        if "seed" in keys:
            raise SweepError("seed cannot be a sweep axis: runs take their seeds from --seed "
                             "(the base seed) and --replications")
        if self.lhs and self.samples < 1:
            raise SweepError("--lhs needs --samples N (N >= 1): how many points to draw")
        if self.samples and not self.lhs:
            raise SweepError("--samples goes with --lhs KEY=LO:HI ranges; none was given")
        if self.replications < 1:
            raise SweepError(f"--replications: expected >= 1, got {self.replications}")
        if self.seed < 0:
            raise SweepError(f"--seed: expected a base seed >= 0, got {self.seed}")
        names = [v.name for v in self.variants]
        if len(set(names)) != len(names):
            raise SweepError(f"--variants: a variant is named twice in {', '.join(names)}")

    @property
    def keys(self) -> list[str]:
        """The varied keys, grid axes first."""
        return [a.key for a in self.grid] + [a.key for a in self.lhs]

    @property
    def axes(self) -> list[str]:
        """The columns that tell points apart: ``variant`` (with variants), then :attr:`keys`."""
        return ["variant", *self.keys] if self.variants else self.keys

    def points(self) -> list[Point]:
        """Every point, in order: per variant (if any), the grid product, then the Latin
        hypercube samples."""
        combos = list(itertools.product(*(a.values for a in self.grid)))
        samples: list[tuple[str, ...]] = [()]
        if self.lhs:
            unit = latin_hypercube(self.samples, len(self.lhs), self.seed)
            samples = [tuple(a.value(float(u)) for a, u in zip(self.lhs, row, strict=True))
                       for row in unit]
        settings = [tuple(zip(self.keys, (*combo, *sample), strict=True))
                    for combo, sample in itertools.product(combos, samples)]
        variants: tuple[Variant | None, ...] = self.variants or (None,)
        return [Point(v * len(settings) + q, setting, variant, q)
                for v, variant in enumerate(variants) for q, setting in enumerate(settings)]

    def runs(self) -> list[Run]:
        """Every run, in run order (point by point, replications within a point)."""
        seeds = [replication_seed(self.seed, r) for r in range(self.replications)]
        return [Run(p.index * self.replications + r, p, r, seeds[r])
                for p in self.points() for r in range(self.replications)]

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready mapping (``sweep.json``)."""
        definition = {
            "scenario": self.scenario, "seed": self.seed, "replications": self.replications,
            "overrides": list(self.overrides), "grid": {a.key: list(a.values) for a in self.grid},
            "lhs": {a.key: {"low": a.low, "high": a.high, "integer": a.integer}
                    for a in self.lhs},
            "samples": self.samples, "metrics": list(self.metrics)}
        if self.variants:  # absent otherwise: sweeps without variants keep their folders
            definition["variants"] = {v.name: list(v.overrides) for v in self.variants}
        return definition


def spec_of(scenario: str, grid: Mapping[str, Sequence[Any]] | Sequence[str] = (),
            lhs: Mapping[str, tuple[float, float]] | Sequence[str] = (), **rest: Any
            ) -> SweepSpec:
    """A :class:`SweepSpec` from Python values or CLI texts: ``grid`` as ``{key: values}`` or
    ``["key=v1,v2"]``, ``lhs`` as ``{key: (lo, hi)}`` or ``["key=lo:hi"]``."""
    axes = (tuple(grid_axis(k, [_text(v) for v in values]) for k, values in grid.items())
            if isinstance(grid, Mapping) else tuple(parse_grid(g) for g in grid))
    if isinstance(lhs, Mapping):
        lhs = [f"{k}={_text(lo)}:{_text(hi)}" for k, (lo, hi) in lhs.items()]
    return SweepSpec(scenario, axes, tuple(parse_lhs(r) for r in lhs), **rest)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


__all__ = ["GridAxis", "LhsAxis", "Point", "Run", "SweepError", "SweepSpec", "Variant",
           "grid_axis", "parse_grid", "parse_lhs", "spec_of"]
