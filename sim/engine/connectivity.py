"""Connectivity (R28): heartbeats, ``Disconnected``, ``Expired``, and onboarding again.

A connected agent heartbeats every ``heartbeat_period_s`` (5 minutes), at its check phase
modulo that period. When a machine loses its connection it stops processing requests at once,
but Azure shows it ``Disconnected`` only ``disconnected_after_s`` (15 minutes) after its last
heartbeat, and ``Expired`` ``expire_after_s`` (45 days) after it; an outage shorter than that
never shows. An Expired machine never reconnects by itself: a server administrator must onboard
it again (:func:`reonboard`).

``FleetState.m_conn`` holds one code per machine: :data:`DISCONNECTED` (0), :data:`CONNECTED`
(1), :data:`EXPIRED` (2), :data:`OFFLINE` (3: no connection, still shown Connected). Only a
``CONNECTED`` machine processes requests; local commands work offline. A group's outages
(:class:`~sim.engine.fleet.Outage`) hit a keyed share of its machines, so the same machines are
hit in every shard.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from sim.engine.clock import Kind, machine_priority, schedule_each
from sim.engine.codes import REASON_CODE, RULE_CODE, Op, Outcome, Prov
from sim.engine.exposure import recount
from sim.engine.rng import uniforms
from sim.engine.state import FleetState
from sim.rules.config import AgentConfig

DISCONNECTED, CONNECTED, EXPIRED, OFFLINE = 0, 1, 2, 3
_R28 = RULE_CODE["R28"]


def last_heartbeat(w: FleetState, m: int, t: float) -> float:
    """The instant of machine ``m``'s last heartbeat at or before ``t`` (seconds)."""
    period = w.params.heartbeat_period_s
    phase = w.m_phase[m] % period
    return phase + math.floor((t - phase) / period) * period


def go_offline(w: FleetState, m: int, end: float = math.inf, offline_before: float = 0.0) -> None:
    """Machine ``m`` loses its connection now until ``end`` (seconds; it reconnects then unless
    it has expired). It stops processing at once; Azure shows it Disconnected, and later
    Expired, counted from its last heartbeat: the one before now, or ``offline_before``
    seconds ago for a machine that was already offline when the outage starts."""
    if w.m_conn[m] != CONNECTED:
        return
    w.m_conn[m] = OFFLINE
    now = w.env.now
    beat = now - offline_before if offline_before > 0.0 else last_heartbeat(w, m, now)
    shown, expires = beat + w.params.disconnected_after_s, beat + w.params.expire_after_s
    _at(w, m, shown, lambda: show_disconnected(w, m), until=end)
    _at(w, m, expires, lambda: expire(w, m), until=end)


def _at(w: FleetState, m: int, t: float, effect: Callable[[], None], until: float) -> None:
    """Run ``effect`` at ``t`` (now if ``t`` has passed) if that is before ``until``."""
    if t >= until:
        return
    if t <= w.env.now:
        effect()
    else:
        w.env.at_instant(t, machine_priority(m, Kind.CONNECTIVITY), lambda _e: effect())


def show_disconnected(w: FleetState, m: int) -> None:
    """Azure shows machine ``m`` Disconnected (if it is still offline)."""
    if w.m_conn[m] == OFFLINE:
        w.m_conn[m] = DISCONNECTED
        _record(w, m, Outcome.DISCONNECTED, "outage", 0)


def expire(w: FleetState, m: int) -> None:
    """Machine ``m`` stayed offline too long: Expired, it never processes again (R28)."""
    if w.m_conn[m] == OFFLINE:
        show_disconnected(w, m)
    if w.m_conn[m] == DISCONNECTED:
        w.m_conn[m] = EXPIRED
        _record(w, m, Outcome.EXPIRED, "outage", 0)


def reconnect(w: FleetState, m: int) -> None:
    """Machine ``m``'s connection is back: it processes again (an Expired one stays so)."""
    code = w.m_conn[m]
    if code in (CONNECTED, EXPIRED):
        return
    w.m_conn[m] = CONNECTED
    if code == DISCONNECTED:
        _record(w, m, Outcome.CONNECTED, "outage", 0)
    w.wake(m)


def reonboard(w: FleetState, m: int, actor: int, keep_config: bool = True) -> bool:
    """A server administrator onboards the Expired machine ``m`` again (``azcmagent
    disconnect``, then ``connect``; R28). Returns False (and does nothing) when it is not
    Expired.

    The new machine resource has no extension resources: Azure forgets every extension of the
    machine, while the extensions stay on the disk, unrecognised (drift). ``keep_config``
    keeps the agent's local configuration (**[param]**, default yes: onboarding resets the
    agent's connection, not ``azcmagent config``); False resets every key to its default. The
    onboarding record carries the lockdown codes before and after."""
    if w.m_conn[m] != EXPIRED:
        return False
    w.m_conn[m] = CONNECTED
    base = m * w.n_ext
    for s in range(base, base + w.n_ext):
        w.s_want[s], w.s_prov[s], w.s_pend[s] = -1, int(Prov.NONE), 0
        w.s_settings.pop(s, None)
        w.s_transit_protected.pop(s, None)
    tables, before = w.tables, w.m_cfg[m]
    if not keep_config:
        w.m_cfg[m] = tables.intern(AgentConfig.fresh(tables.configs[before].version))
    after = w.m_cfg[m]
    # the configuration the agent keeps or starts afresh with: its lockdown codes, and the
    # change in exposure when a reset switched the extension manager back on (R24)
    w.log.add(w.env.now, m + w.offset, w.m_group[m], -1, Op.CONNECTIVITY, Outcome.CONNECTED,
              REASON_CODE["onboarding"], _R28, actor, lockdown=tables.lockdown[after],
              lockdown_before=tables.lockdown[before],
              exposed=recount(w, m) if after != before else 0)
    w.wake(m)
    return True


def _record(w: FleetState, m: int, outcome: Outcome, reason: str, actor: int) -> None:
    w.log.add(w.env.now, m + w.offset, w.m_group[m], -1, Op.CONNECTIVITY, outcome,
              REASON_CODE[reason], _R28, actor)


def schedule_outages(w: FleetState) -> None:
    """Schedule every group's outages: each machine an outage hits goes offline at its start
    and reconnects at its end (unless it expired meanwhile), each as a chain."""
    first = 0
    for group in w.fleet.groups:
        ids = np.arange(first, first + group.count)
        for oi, outage in enumerate(group.outages):
            draws = uniforms(w.keys["outage"], ids + w.offset, oi)
            hit = ids[draws < outage.share]
            end = outage.start_s + outage.duration_s
            schedule_each(w.env, np.full(hit.shape, outage.start_s), hit,
                          _offline_until(w, end, outage.offline_before_s))
            schedule_each(w.env, np.full(hit.shape, end), hit, lambda m: reconnect(w, m),
                          Kind.CONNECTIVITY)
        first += group.count


def _offline_until(w: FleetState, end: float, offline_before: float) -> Callable[[int], None]:
    def effect(m: int) -> None:
        go_offline(w, m, end, offline_before)
    return effect


def set_connected(w: FleetState, m: int, connected: bool) -> None:
    """Machine ``m`` loses (from now on, with no end) or regains its connection (R28)."""
    if connected:
        reconnect(w, m)
    else:
        go_offline(w, m)


__all__ = ["CONNECTED", "DISCONNECTED", "EXPIRED", "OFFLINE", "expire", "go_offline",
           "last_heartbeat", "reconnect", "reonboard", "schedule_outages", "set_connected",
           "show_disconnected"]
