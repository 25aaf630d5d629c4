"""Connectivity (R28): machines that lose their connection, regain it, or expire.

A disconnected machine processes no request and does no check until it reconnects; local
commands still work. A machine disconnected for ``params.expire_after_s`` or longer becomes
Expired and never processes again (it must be onboarded again). A group's outages
(:class:`~sim.engine.fleet.Outage`) hit a keyed share of its machines, so the same machines are
hit in every shard.
"""

from __future__ import annotations

import numpy as np

from sim.engine.clock import Kind, schedule_each
from sim.engine.codes import REASON_CODE, RULE_CODE, Op, Outcome
from sim.engine.rng import uniforms
from sim.engine.state import FleetState


def set_connected(w: FleetState, m: int, connected: bool) -> None:
    """Machine ``m`` loses or regains its connection (R28); an expired machine stays so."""
    if w.m_conn[m] == 2 or bool(w.m_conn[m]) == connected:
        return
    w.m_conn[m] = connected
    w.log.add(w.env.now, m + w.offset, w.m_group[m], -1, Op.CONNECTIVITY,
              Outcome.CONNECTED if connected else Outcome.DISCONNECTED,
              REASON_CODE["outage"], RULE_CODE["R28"], 0)
    if connected:
        w.wake(m)


def expire(w: FleetState, m: int) -> None:
    """Machine ``m`` stayed disconnected too long: Expired, never processes again (R28)."""
    if w.m_conn[m] == 0:
        w.m_conn[m] = 2
        w.log.add(w.env.now, m + w.offset, w.m_group[m], -1, Op.CONNECTIVITY, Outcome.EXPIRED,
                  REASON_CODE["outage"], RULE_CODE["R28"], 0)


def schedule_outages(w: FleetState) -> None:
    """Schedule every group's outages: each as a chain of disconnections, and one of
    reconnections (or of expiries, when the outage lasts ``expire_after_s`` or longer)."""
    first = 0
    for group in w.fleet.groups:
        ids = np.arange(first, first + group.count)
        for oi, outage in enumerate(group.outages):
            draws = uniforms(w.keys["outage"], ids + w.offset, oi)
            hit = ids[draws < outage.share]
            start = np.full(hit.shape, outage.start_s)
            schedule_each(w.env, start, hit, lambda m: set_connected(w, m, False))
            if outage.duration_s >= w.params.expire_after_s:
                expire_at = start + w.params.expire_after_s
                schedule_each(w.env, expire_at, hit, lambda m: expire(w, m), Kind.CONNECTIVITY)
            else:
                end = start + outage.duration_s
                schedule_each(w.env, end, hit, lambda m: set_connected(w, m, True),
                              Kind.CONNECTIVITY)
        first += group.count
