"""Requests replayed from an activity log (R5): :class:`ReplayedRequests`.

The scenario layer reads the log and works out, for every extension operation it records,
the instant, the machine (global id), the extension, the operation (install, update, upgrade
or delete) and the caller (:mod:`sim.scenario.replay`). This actor sends each as the caller
asked for it, with the caller's Azure role when one is given (R27): what happens next (Azure
Policy, the machine's local controls) is decided as for any request.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from sim.engine.clock import schedule_each
from sim.engine.codes import Op
from sim.engine.world import World
from sim.rules.roles import check_role

OPERATIONS = (Op.INSTALL, Op.UPDATE, Op.UPGRADE, Op.DELETE)
"""Request operations by code (:attr:`ReplayedRequests.operation`)."""


@dataclass
class ReplayedRequests:
    """Extension requests at given instants, each from its caller (a log's operations).

    The arrays are one entry per request, sorted by (time, machine) with ties in log order;
    ``extension`` and ``caller`` index :attr:`extensions` and :attr:`callers`.
    """

    name: str
    times: npt.NDArray[np.float64]
    """Seconds from the scenario start."""
    machines: npt.NDArray[np.int64]
    """Global machine ids."""
    extension: npt.NDArray[np.int32]
    operation: npt.NDArray[np.int8]
    """Index into :data:`OPERATIONS`."""
    caller: npt.NDArray[np.int32]
    extensions: Sequence[str] = ()
    callers: Sequence[str] = ()
    roles: Mapping[str, str] = field(default_factory=dict)
    """Caller -> Azure role (R27); a caller without one acts as the platform (no check)."""

    def attach(self, world: World) -> None:
        """Register the callers (with their roles, which Azure's gate checks) and the
        extensions."""
        self.actor_ids = [world.actor(name) for name in self.callers]
        for name, role in self.roles.items():
            world.tables.actor_roles[world.actor(name)] = check_role(role, self.name)
        self.x = [world.extension(name) for name in self.extensions]

    def start(self, world: World) -> None:
        """Schedule this world's machines' requests, as one chain."""
        lo, hi = world.offset, world.offset + world.fleet.size
        mine = np.flatnonzero((self.machines >= lo) & (self.machines < hi))
        local = self.machines[mine] - lo
        pending: dict[int, deque[tuple[int, Op, int]]] = {}
        for m, x, op, caller in zip(local.tolist(), self.extension[mine].tolist(),
                                    self.operation[mine].tolist(),
                                    self.caller[mine].tolist(), strict=True):
            pending.setdefault(m, deque()).append(
                (self.x[x], OPERATIONS[op], self.actor_ids[caller]))

        def send(m: int) -> None:  # a machine's requests come in time (then log) order
            x, op, actor = pending[m].popleft()
            world.request(m, x, op, actor)

        rank = next(i for i, actor in enumerate(world.actors) if actor is self)
        schedule_each(world.env, self.times[mine], local, send, rank=rank)
