"""Exposure as the run goes: machines with a script-capable extension installed and runnable
(R7, R17, R24).

:attr:`FleetState.m_exposed <sim.engine.state.FleetState.m_exposed>` counts, per machine, the
script-capable extensions installed on it that can run now: one that runs as its own service
always can; one hosted by the extension manager only while the manager is enabled (R24). The
processes that change what it counts (an install, reinstall, upgrade or delete of a
script-capable extension, a local removal, the manager switched) call :func:`recount`, which
returns the change in whether the machine is exposed; the record of that change carries it (its
``exposed`` column), so exposure over time is a query over records
(:mod:`sim.engine.metrics`).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from sim.engine.state import FleetState


def count(w: FleetState, m: int) -> int:
    """Script-capable extensions installed on machine ``m`` that can run now (R24)."""
    base, inst, hosted = m * w.n_ext, w.s_inst, w.x_service_hosted
    enabled = w.tables.controls[w.m_cfg[m]].manager_enabled
    return sum(1 for x in w.x_scripts if inst[base + x] >= 0 and (enabled or hosted[x]))


def recount(w: FleetState, m: int) -> int:
    """Count machine ``m`` again after a change (:func:`count`); return the change in whether
    it is exposed: +1 (it was not, it is), -1 (the reverse) or 0."""
    before = w.m_exposed[m] > 0
    now = count(w, m)
    w.m_exposed[m] = min(now, 127)
    return int(now > 0) - int(before)


def counts(w: FleetState, installed: npt.NDArray[np.int16],
           config: npt.NDArray[np.int32]) -> npt.NDArray[np.int8]:
    """:func:`count` of every machine at once, from the version codes ``installed`` (machines
    x extensions, -1 none) and each machine's configuration id ``config``."""
    if not w.x_scripts:
        return np.zeros(installed.shape[0], dtype=np.int8)
    scripts = np.asarray(w.x_scripts, dtype=np.intp)
    enabled = np.array([c.manager_enabled for c in w.tables.controls], dtype=bool)[config]
    hosted = np.asarray(w.x_service_hosted, dtype=bool)[scripts]
    runs = (installed[:, scripts] >= 0) & (hosted[None, :] | enabled[:, None])
    return np.asarray(np.minimum(runs.sum(axis=1), 127), dtype=np.int8)


__all__ = ["count", "counts", "recount"]
