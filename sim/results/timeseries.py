"""Metrics per time bucket: one row per hour (runs up to 3 days) or per day.

Columns: ``time`` (bucket start, seconds), ``timestamp`` (with a scenario start), then counts
in the bucket: ``requests``, ``blocked`` and ``blocked.<reason>`` for each reason that blocked
something in the run, ``reinstalls``, ``local_removals``, ``overrides``, ``failed``,
``aborted``, ``exposure.installed`` and ``exposure.updated`` (script-capable extensions that
got in), and ``exposure.machine_hours``, the machine-hours in the bucket with a script-capable
extension installed and runnable. The rows are selected by the masks of
:mod:`sim.engine.metrics`, the ones :func:`sim.engine.metrics.summarise` counts (a blocked
operation is one refused by the machine's controls, or denied in Azure, R13, R26, R27), so
each column sums to its metric; ``tests/test_results_folders.py`` checks that.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.engine.codes import REASONS, Op, Outcome
from sim.engine.metrics import (
    blocked_operations,
    exposure_operations,
    overridden,
    reinstalls_done,
)
from sim.quantities import DAY, HOUR
from sim.results.records import code_columns, timestamps
from sim.results.selections import blocked


def bucket_seconds(duration: float) -> float:
    """The bucket of a run of ``duration`` seconds: an hour up to 3 days, else a day."""
    return HOUR if duration <= 3 * DAY else DAY


def blocked_mask(records: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """Rows that are blocked operations (:func:`sim.results.selections.blocked`)."""
    return blocked(records)


def timeseries_frame(records: pd.DataFrame, duration: float, start: datetime | None = None,
                     exposed_at_start: int = 0) -> pd.DataFrame:
    """Counts per bucket from a records frame (:func:`sim.results.records.records_frame`);
    ``exposed_at_start`` is the machines exposed when the run began (the metric
    ``exposure.machines_at_start``)."""
    size = bucket_seconds(duration)
    n = max(1, math.ceil(duration / size))
    c = code_columns(records)
    op, out = c["operation"], c["outcome"]
    bucket = np.minimum((c["time"] // size).astype(np.int64), n - 1)

    def count(mask: npt.ArrayLike) -> npt.NDArray[np.int64]:
        return np.bincount(bucket[np.asarray(mask, dtype=bool)], minlength=n).astype(np.int64)

    blocked = blocked_operations(op, out, c["reason"])
    frame: dict[str, object] = {"time": np.arange(n, dtype=np.float64) * size}
    if start is not None:
        frame["timestamp"] = timestamps(frame["time"], start)  # type: ignore[arg-type]
    frame["requests"] = count(out == Outcome.REQUESTED)
    frame["blocked"] = count(blocked)
    for code in sorted({r for r in c["reason"][blocked].tolist() if r > 0},
                       key=lambda r: REASONS[r]):
        frame[f"blocked.{REASONS[code]}"] = count(blocked & (c["reason"] == code))
    frame["reinstalls"] = count(reinstalls_done(op, out))
    frame["local_removals"] = count((op == Op.LOCAL_REMOVE) & (out == Outcome.SUCCEEDED))
    frame["overrides"] = count(overridden(out))
    frame["failed"] = count(out == Outcome.FAILED)
    frame["aborted"] = count(out == Outcome.ABORTED)
    for kind in ("installed", "updated"):
        frame[f"exposure.{kind}"] = count(exposure_operations(op, out, c["lockdown"], kind))
    frame["exposure.machine_hours"] = exposure_hours(c, duration, size, exposed_at_start)
    return pd.DataFrame(frame)


def exposure_hours(codes: Mapping[str, npt.NDArray[Any]], duration: float, size: float,
                   exposed_at_start: int) -> npt.NDArray[np.float64]:
    """Machine-hours with a script-capable extension installed and runnable in each bucket of
    ``size`` seconds (the last one ends at ``duration``): the machines exposed at each
    bucket's start times its length, plus each change in it (the ``exposed`` column) times
    what is left of its bucket."""
    n = max(1, math.ceil(duration / size))
    edges = np.minimum(np.arange(n + 1, dtype=np.float64) * size, duration)
    changed = codes["exposed"] != 0
    times, deltas = codes["time"][changed], codes["exposed"][changed].astype(np.float64)
    bucket = np.minimum((times // size).astype(np.int64), n - 1)
    per_bucket = np.bincount(bucket, weights=deltas, minlength=n)
    at_start = exposed_at_start + np.concatenate([[0.0], np.cumsum(per_bucket)[:-1]])
    seconds = at_start * np.diff(edges) + np.bincount(
        bucket, weights=deltas * (edges[bucket + 1] - times), minlength=n)
    return np.asarray(seconds / HOUR, dtype=np.float64)


__all__ = ["DAY", "HOUR", "blocked_mask", "bucket_seconds", "exposure_hours",
           "timeseries_frame"]
