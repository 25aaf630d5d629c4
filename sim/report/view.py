"""What the figures and the report read from one run: :class:`RunView`.

A :class:`RunView` is built once from a :class:`~sim.results.Result` (in memory or loaded from
disk): the validated scenario from the manifest, the records and time series frames, the
metrics, the records' engine codes (coded once, on first use), and the time axis every figure
of the run shares (hours for runs up to two days, days beyond; the scenario's start date, when
it has one, in the axis label).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import ValidationError

from sim.quantities import time_unit
from sim.results.folder import ResultError
from sim.results.records import code_columns
from sim.results.result import Result
from sim.results.selections import Codes
from sim.results.timeseries import bucket_seconds
from sim.scenario.expect import ExpectationResult
from sim.scenario.schema import Scenario

HOUR = 3_600.0
DAY = 86_400.0
GRID_POINTS = 400
"""Instants at which states (provisioning, coverage) are sampled across a run."""


@dataclass(frozen=True)
class TimeAxis:
    """Seconds from the scenario start shown in hours or days."""

    duration: float
    unit: float
    start: datetime | None

    @classmethod
    def of(cls, duration: float, start: datetime | None) -> TimeAxis:
        """The axis of a run of ``duration`` seconds (:func:`sim.quantities.time_unit`)."""
        return cls(duration, time_unit(duration)[1], start)

    @property
    def unit_name(self) -> str:
        return "hours" if self.unit == HOUR else "days"

    @property
    def label(self) -> str:
        """The x-axis label: ``days since 2026-01-05 00:00 UTC`` (or ``since the start``)."""
        since = (f"{self.start:%Y-%m-%d %H:%M} UTC" if self.start is not None
                 else "the start of the run")
        return f"{self.unit_name} since {since}"

    def scale(self, seconds: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """``seconds`` in axis units."""
        return np.asarray(seconds, dtype=np.float64) / self.unit

    @property
    def end(self) -> float:
        """The run's end in axis units."""
        return self.duration / self.unit


@dataclass(frozen=True)
class RunView:
    """One run as the figures and the report see it."""

    name: str
    seed: int
    scenario: Scenario
    manifest: dict[str, Any]
    metrics: dict[str, Any]
    expectations: list[ExpectationResult]
    records: pd.DataFrame
    timeseries: pd.DataFrame
    axis: TimeAxis

    @classmethod
    def of(cls, result: Result) -> RunView:
        """The view of ``result``.

        Raises:
            ResultError: the manifest's scenario is not a valid scenario, or a frame cannot be
                read.
        """
        scenario = scenario_of(result)
        return cls(result.name, result.seed, scenario, result.manifest, result.metrics,
                   result.expectations, result.records, result.timeseries,
                   TimeAxis.of(scenario.duration, scenario.start))

    @cached_property
    def codes(self) -> Codes:
        """The records' engine codes (:func:`sim.results.records.code_columns`), coded on first
        use and kept: what the masks of :mod:`sim.results.selections` read, so a report or a
        comparison codes each run's records once."""
        return code_columns(self.records)

    @property
    def bucket(self) -> float:
        """Seconds per bar of the counts over time (as :mod:`sim.results.timeseries`)."""
        return bucket_seconds(self.scenario.duration)

    @property
    def bucket_name(self) -> str:
        return "hour" if self.bucket == HOUR else "day"

    def grid(self) -> npt.NDArray[np.float64]:
        """:data:`GRID_POINTS` + 1 instants from 0 to the end (seconds)."""
        return np.linspace(0.0, self.scenario.duration, GRID_POINTS + 1)

    def buckets(self, times: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """The bucket index of each time (the last bucket holds the end)."""
        n = self.n_buckets
        index = (np.asarray(times, dtype=np.float64) // self.bucket).astype(np.int64)
        return np.minimum(index, n - 1)

    @property
    def n_buckets(self) -> int:
        return max(1, int(np.ceil(self.scenario.duration / self.bucket)))


def scenario_of(result: Result) -> Scenario:
    """The validated scenario a result's manifest holds.

    Raises:
        ResultError: the manifest has no valid scenario.
    """
    data = result.manifest.get("scenario")
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "scenario"
        raise ResultError(f"{result.path}: manifest.json: scenario.{where}: {first['msg']} "
                          "(written by another arcsim version?)") from None


__all__ = ["DAY", "HOUR", "RunView", "TimeAxis", "scenario_of"]
