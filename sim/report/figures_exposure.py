"""The figure of what got in: exposure over time (R7, R17, R24).

Top: machines with a script-capable extension installed and runnable, at every instant (the
metric ``exposure.machines_at_start`` plus the changes the records carry in their ``exposed``
column). Bottom: exposure operations per time bucket (a script-capable extension installed,
put back by resync or given new settings), split by whether the machine was locked down when
it happened: a lockdown that let it in, or a machine without one.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from matplotlib.figure import Figure

from sim.report import plotting as p
from sim.report.derive import counts_per_bucket, step_counts
from sim.report.view import RunView
from sim.results.selections import exposure_operations, locked_down

EXPOSURE_TITLE = "What got in: exposure over time"
EXPOSED = "machines exposed"
THROUGH, WITHOUT = "through a lockdown", "on machines without a lockdown"
COLOURS = {EXPOSED: "#d62728", THROUGH: "#9467bd", WITHOUT: "#ff7f0e"}


def exposed_machines(view: RunView) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """(grid instants in seconds, machines with a script-capable extension installed and
    runnable at each)."""
    c = view.codes
    changed = c["exposed"] != 0
    start = int(_exposure(view).get("machines_at_start", 0))
    grid = view.grid()
    return grid, step_counts(grid, c["time"][changed], c["exposed"][changed].astype(np.int64),
                             start)


def _exposure(view: RunView) -> dict[str, Any]:
    found = view.metrics.get("exposure", {})
    return found if isinstance(found, dict) else {}


def exposure_over_time(view: RunView) -> Figure:
    """Machines exposed over time (top) and exposure operations per bucket, by whether a
    lockdown let them in (bottom)."""
    grid, exposed = exposed_machines(view)
    done = exposure_operations(view.codes)
    locked = locked_down(view.codes)
    bars = {THROUGH: counts_per_bucket(view, done & locked),
            WITHOUT: counts_per_bucket(view, done & ~locked)}
    total = int(done.sum())
    if total == 0 and not exposed.any():
        return p.empty(EXPOSURE_TITLE, "Nothing got in: no script-capable extension was "
                                       "installed, updated or present on any machine.")
    fig, axes = p.figure(5.0, rows=2, heights=(3, 2))
    t = view.axis.scale(grid)
    axes[0].fill_between(t, exposed, step="post", color=COLOURS[EXPOSED], alpha=0.25,
                         linewidth=0)
    axes[0].step(t, exposed, where="post", color=COLOURS[EXPOSED],
                 label=f"{EXPOSED} ({int(exposed[-1]):,} at the end)")
    p.count_axis(axes[0], "machines")
    axes[0].set_ylim(0, max(1, int(exposed.max())) * 1.1)
    p.legend(axes[0])
    starts = np.arange(view.n_buckets) * view.bucket
    x = view.axis.scale(starts + view.bucket / 2)
    p.stacked_bars(axes[1], x, view.bucket / view.axis.unit * 0.9, bars, COLOURS)
    p.count_axis(axes[1], f"operations per {view.bucket_name}")
    p.legend(axes[1])
    for ax in axes:
        p.time_axis(ax, view.axis, label=ax is axes[-1])
    hours = float(_exposure(view).get("machine_hours", 0.0))
    p.title(fig, EXPOSURE_TITLE,
            f"{hours:,.0f} machine-hours with a script-capable extension installed and "
            f"runnable; {total:,} script-capable installs and updates succeeded, "
            f"{int(bars[THROUGH].sum()):,} of them through a lockdown")
    return fig


__all__ = ["EXPOSURE_TITLE", "exposed_machines", "exposure_over_time"]
