"""Rows of a records frame selected as the metrics select them.

Each function applies one record mask of :mod:`sim.engine.metrics` (the one place that says
what a blocked operation, a reinstall, an override or an exposure operation is) to a records
frame (:func:`sim.results.records.records_frame`, or one read back from Parquet or CSV), so the
time series, figures and report count exactly what the metrics count.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.engine import metrics
from sim.results.records import code_columns

Mask = npt.NDArray[np.bool_]


def blocked(records: pd.DataFrame) -> Mask:
    """Blocked operations (:func:`sim.engine.metrics.blocked_operations`)."""
    c = code_columns(records)
    return metrics.blocked_operations(c["operation"], c["outcome"], c["reason"])


def reinstalled(records: pd.DataFrame) -> Mask:
    """Reinstalls done by resync (:func:`sim.engine.metrics.reinstalls_done`)."""
    c = code_columns(records)
    return metrics.reinstalls_done(c["operation"], c["outcome"])


def overridden(records: pd.DataFrame) -> Mask:
    """Operations let through by an override (:func:`sim.engine.metrics.overridden`)."""
    return metrics.overridden(code_columns(records)["outcome"])


def exposure_operations(records: pd.DataFrame, kind: str | None = None) -> Mask:
    """Exposure operations, ``installed`` or ``updated`` or both (None)
    (:func:`sim.engine.metrics.exposure_operations`)."""
    c = code_columns(records)
    return metrics.exposure_operations(c["operation"], c["outcome"], c["lockdown"], kind)


def locked_down(records: pd.DataFrame) -> Mask:
    """Records whose lockdown code restricts extensions (:func:`sim.engine.metrics.locked_down`):
    an exposure operation on a locked-down machine, a configuration that locks it."""
    return metrics.locked_down(code_columns(records)["lockdown"])


def override_actions(records: pd.DataFrame) -> Mask:
    """The actions that lift a protection: a deny assignment removed or exempted (R16,
    :func:`sim.engine.metrics.policy_override_actions`), and configuration changes by an
    actor whose changes count as overrides (R17, :func:`sim.engine.metrics.config_overrides`:
    a script or guest configuration policy rewriting the lists, a mode switched back)."""
    c = code_columns(records)
    op, out = c["operation"], c["outcome"]
    return (metrics.policy_override_actions(op, out, c["reason"])
            | metrics.config_overrides(op, out, c["rule"]))


__all__ = ["Mask", "blocked", "exposure_operations", "locked_down", "overridden",
           "override_actions", "reinstalled"]
