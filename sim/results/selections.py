"""Rows of a records frame selected as the metrics select them.

Each function applies one record mask of :mod:`sim.engine.metrics` (the one place that says
what a blocked operation, a reinstall, an override or an exposure operation is) to a records
frame (:func:`sim.results.records.records_frame`, or one read back from Parquet or CSV), so the
time series, figures and report count exactly what the metrics count.

Every function takes either the frame or its :data:`Codes` (``code_columns(frame)``). Coding a
frame maps its categorical columns over every row: a caller that selects from one frame
several times codes it once (as :attr:`sim.report.view.RunView.codes` does) and passes the
codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.engine import metrics
from sim.results.records import code_columns

Mask = npt.NDArray[np.bool_]
Codes = Mapping[str, npt.NDArray[Any]]
"""A records frame's engine codes, as :func:`sim.results.records.code_columns` returns them."""
Rows = pd.DataFrame | Codes
"""A records frame, or its codes."""


def codes_of(rows: Rows) -> Codes:
    """The codes of ``rows``: a frame coded (:func:`sim.results.records.code_columns`), codes
    as they are."""
    return code_columns(rows) if isinstance(rows, pd.DataFrame) else rows


def blocked(rows: Rows) -> Mask:
    """Blocked operations (:func:`sim.engine.metrics.blocked_operations`)."""
    c = codes_of(rows)
    return metrics.blocked_operations(c["operation"], c["outcome"], c["reason"])


def reinstalled(rows: Rows) -> Mask:
    """Reinstalls done by resync (:func:`sim.engine.metrics.reinstalls_done`)."""
    c = codes_of(rows)
    return metrics.reinstalls_done(c["operation"], c["outcome"])


def overridden(rows: Rows) -> Mask:
    """Operations let through by an override (:func:`sim.engine.metrics.overridden`)."""
    return metrics.overridden(codes_of(rows)["outcome"])


def exposure_operations(rows: Rows, kind: str | None = None) -> Mask:
    """Exposure operations, ``installed`` or ``updated`` or both (None)
    (:func:`sim.engine.metrics.exposure_operations`)."""
    c = codes_of(rows)
    return metrics.exposure_operations(c["operation"], c["outcome"], c["lockdown"], kind)


def locked_down(rows: Rows) -> Mask:
    """Records whose lockdown code restricts extensions (:func:`sim.engine.metrics.locked_down`):
    an exposure operation on a locked-down machine, a configuration that locks it."""
    return metrics.locked_down(codes_of(rows)["lockdown"])


def override_actions(rows: Rows) -> Mask:
    """The actions that lift a protection: a deny assignment removed or exempted (R16,
    :func:`sim.engine.metrics.policy_override_actions`), and configuration changes by an
    actor whose changes count as overrides (R17, :func:`sim.engine.metrics.config_overrides`:
    a script or guest configuration policy rewriting the lists, a mode switched back)."""
    c = codes_of(rows)
    op, out = c["operation"], c["outcome"]
    return (metrics.policy_override_actions(op, out, c["reason"])
            | metrics.config_overrides(op, out, c["rule"]))


__all__ = ["Codes", "Mask", "Rows", "blocked", "codes_of", "exposure_operations",
           "locked_down", "overridden", "override_actions", "reinstalled"]
