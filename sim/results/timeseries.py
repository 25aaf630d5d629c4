"""Metrics per time bucket: one row per hour (runs up to 3 days) or per day.

Columns: ``time`` (bucket start, seconds), ``timestamp`` (with a scenario start), then counts
in the bucket: ``requests``, ``blocked`` and ``blocked.<reason>`` for each reason that blocked
something in the run, ``reinstalls``, ``local_removals``, ``overrides``, ``failed``,
``aborted``. The definitions are those of :func:`sim.engine.metrics.summarise` (a blocked
operation is one refused by the machine's controls, or denied in Azure, R13, R26, R27), so
each column sums to its metric; ``tests/test_results.py`` checks that.
"""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.results.records import timestamps

HOUR = 3_600.0
DAY = 86_400.0
_BLOCKABLE = ("install", "update", "upgrade", "reinstall")


def bucket_seconds(duration: float) -> float:
    """The bucket of a run of ``duration`` seconds: an hour up to 3 days, else a day."""
    return HOUR if duration <= 3 * DAY else DAY


def blocked_mask(records: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """Rows that are blocked operations (as :func:`sim.engine.metrics.summarise` counts)."""
    outcome, operation = records["outcome"], records["operation"]
    denied = (outcome == "denied") & (records["reason"] == "policy_deny")
    return np.asarray(operation.isin(_BLOCKABLE) & ((outcome == "blocked") | denied),
                      dtype=bool)


def timeseries_frame(records: pd.DataFrame, duration: float,
                     start: datetime | None = None) -> pd.DataFrame:
    """Counts per bucket from a records frame (:func:`sim.results.records.records_frame`)."""
    size = bucket_seconds(duration)
    n = max(1, math.ceil(duration / size))
    bucket = np.minimum((records["time"].to_numpy() // size).astype(np.int64), n - 1)
    outcome, operation = records["outcome"], records["operation"]

    def count(mask: npt.ArrayLike) -> npt.NDArray[np.int64]:
        return np.bincount(bucket[np.asarray(mask, dtype=bool)], minlength=n).astype(np.int64)

    blocked = blocked_mask(records)
    frame: dict[str, object] = {"time": np.arange(n, dtype=np.float64) * size}
    if start is not None:
        frame["timestamp"] = timestamps(frame["time"], start)  # type: ignore[arg-type]
    frame["requests"] = count(outcome == "requested")
    frame["blocked"] = count(blocked)
    reasons = records["reason"].astype(object)[blocked]
    for reason in sorted({str(r) for r in reasons.dropna()}):
        frame[f"blocked.{reason}"] = count(blocked & np.asarray(records["reason"] == reason))
    frame["reinstalls"] = count((operation == "reinstall") & (outcome == "succeeded"))
    frame["local_removals"] = count((operation == "local_remove") & (outcome == "succeeded"))
    frame["overrides"] = count(outcome == "overridden")
    frame["failed"] = count(outcome == "failed")
    frame["aborted"] = count(outcome == "aborted")
    return pd.DataFrame(frame)
