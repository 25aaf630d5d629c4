"""A deliberately naive polling model of the engine's semantics (R6a), for tests and benchmarks.

Every machine runs its own SimPy process that wakes at *every* check instant
``world.check_time(m, k)``, k = 0, 1, 2 ..., and runs the extension manager's check, which finds
nothing to do most of the time: what a real agent does, and what :class:`sim.engine.World` must
not do (design: "Scale"). Everything else (state, actors, push delivery, decisions, downloads,
records) is the engine's own: :class:`PollingWorld` is a :class:`World` whose on-demand
scheduling (:meth:`World.wake`) is switched off. Its records must equal the event-driven
world's, column by column (``tests/test_engine_equivalence.py``); ``benchmarks/engine.py``
imports it as the naive baseline.

A check instant is an event with the same equal-time key as the engine's own checks
(``machine_priority(m, Kind.SYNC)``), pushed at its absolute time, so that ties with other events
are broken exactly as in the event-driven world.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

from sim.engine import manager
from sim.engine.clock import Kind, machine_priority
from sim.engine.records import Records
from sim.engine.world import World

__all__ = ["PollingWorld"]


class PollingWorld(World):
    """:class:`World` where every machine polls Azure on its own schedule (naive reference).

    Same constructor and ``add`` / ``run`` / ``records`` as :class:`World`.
    """

    def wake(self, m: int) -> None:
        """No on-demand checks: the machine's polling process checks at every instant."""

    def run(self, until: float) -> Records:
        """Build the world and start one polling process per machine (first call), then run."""
        if not self.started:
            super().run(self.env.now)
            for m in range(self.n_machines):
                self.env.process(self._poll(m))
        return super().run(until)

    def _poll(self, m: int) -> Generator[simpy.Event, Any, None]:
        """Machine ``m``'s extension manager: check with Azure at every check instant."""
        env, priority = self.env, machine_priority(m, Kind.SYNC)
        k = 0
        while True:
            yield env.timeout_at(self.check_time(m, k), priority)
            self.m_next[m] = env.now  # the check is due now: on_check does its real work
            manager.on_check(self, m)
            k += 1
