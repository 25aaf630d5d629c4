"""When a machine's extension manager checks with Azure (R6a).

Machine ``m``'s ``k``-th check is at ``phase + k * check_period_s``, plus a keyed draw of up to
``check_jitter_s`` seconds. The engine never polls: a check is scheduled only when the machine
has work (:func:`has_work`), at the first check instant its polling schedule would reach
(:func:`next_check`); :func:`sim.engine.manager.wake` schedules it.
"""

from __future__ import annotations

import math

from sim.engine.codes import Prov
from sim.engine.rng import uniform
from sim.engine.state import FleetState

_P_SUCCEEDED = int(Prov.SUCCEEDED)


def check_time(w: FleetState, m: int, k: int) -> float:
    """The instant (seconds) of machine ``m``'s ``k``-th check: phase + k periods + jitter."""
    t: float = w.m_phase[m] + k * w.params.check_period_s
    jitter = w.params.check_jitter_s
    if jitter > 0.0:
        t += uniform(w.keys["jitter"], m + w.offset, k) * jitter
    return t


def next_check(w: FleetState, m: int, t: float) -> float:
    """The first check instant of machine ``m`` at or after ``t`` seconds."""
    phase, period = w.m_phase[m], w.params.check_period_s
    k = max(0, math.floor((t - phase) / period))
    if w.params.check_jitter_s > 0.0:
        c = check_time(w, m, k)
        while c < t:
            k += 1
            c = check_time(w, m, k)
        return c
    c = phase + k * period  # check_time without jitter, inlined (the hot path)
    while c < t:
        k += 1
        c = phase + k * period
    return c


def takes_requests(w: FleetState, m: int) -> bool:
    """False while machine ``m``'s extension manager is disabled and requests wait for it
    (``disabled_manager_requests: wait``, R23)."""
    return not w.requests_wait or w.tables.controls[w.m_cfg[m]].manager_enabled


def has_work(w: FleetState, m: int) -> bool:
    """True when a check of machine ``m`` would do something, none busy: a pending request
    it takes, or, only with its manager enabled, an extension Azure records as Succeeded that
    is missing locally (resync, R6; a disabled manager does not resync, R23)."""
    base = m * w.n_ext
    enabled = w.tables.controls[w.m_cfg[m]].manager_enabled
    takes = enabled or not w.requests_wait
    for s in range(base, base + w.n_ext):
        if w.s_busy[s]:
            continue
        if w.s_pend[s]:
            if takes:
                return True
        elif (enabled and w.s_inst[s] < 0 and w.s_want[s] >= 0
              and w.s_prov[s] == _P_SUCCEEDED):
            return True
    return False
