"""A read-only view of a world's state, for what runs after the clock: merges and exports.

The layers above the engine (merging a run's parts, the inventory export, the result folder)
read a run through a :class:`Snapshot` that :func:`snapshot` takes of a :class:`World`, never
through the world's own buffers, so the engine can store its state as it likes. A snapshot
holds the fleet's final state as NumPy arrays (machine ``m`` of the arrays is machine
``m + offset`` of the run; -1 means "none" in the version-code arrays), the run's name tables
(record codes and state codes index them), the records so far, the end-state coverage and
exposure counts and how many SimPy events the run processed.

The arrays are views of the world's buffers, not copies (a million-machine fleet's state is
tens of MiB): they cannot be written through, and they show the world as it is when read, so
take the snapshot when the world has stopped (at the end of a run) and use it before the world
runs again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

from sim.engine.endstate import EndCounts, exposure_at_end
from sim.engine.fleet import GroupSpec
from sim.engine.metrics import coverage
from sim.engine.records import Records
from sim.engine.world import World
from sim.rules.config import AgentConfig
from sim.rules.identity import ExtensionId


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A world's state, name tables and records at one instant (see the module docstring).

    It has the name tables of :class:`sim.engine.metrics.NameTables` (``group_names``,
    ``ext_ids``, ``actor_names``, ``path_names``), so metrics can be computed from it.
    """

    time: float
    """Simulated seconds from the scenario start when the snapshot was taken."""
    offset: int
    """Id of the first machine: 0 for a whole fleet, the shard's first machine for a shard."""
    groups: tuple[GroupSpec, ...]
    """The fleet's groups (a shard has every group of the run, some with 0 machines)."""
    group_names: tuple[str, ...]
    """Group names by group code (records' ``group``, :attr:`machine_group`)."""
    path_names: tuple[str, ...]
    """Download path names by path code (records' ``path``)."""
    actor_names: tuple[str, ...]
    """Actor names by actor code (records' ``actor``)."""
    ext_ids: tuple[ExtensionId, ...]
    """Extensions by extension code (records' ``extension``, the columns of the slot arrays)."""
    ext_versions: tuple[tuple[str, ...], ...]
    """Per extension code, its versions by version code (:attr:`installed`, :attr:`wanted`)."""
    configs: tuple[AgentConfig, ...]
    """Distinct agent configurations by configuration id (:attr:`machine_config`)."""
    machine_group: npt.NDArray[np.int16]
    """Per machine: its group code."""
    machine_config: npt.NDArray[np.int32]
    """Per machine: the id of its agent configuration in :attr:`configs`."""
    connectivity: npt.NDArray[np.int8]
    """Per machine: 0 disconnected, 1 connected, 2 expired, 3 offline but still shown
    connected (R28, :mod:`sim.engine.connectivity`)."""
    installed: npt.NDArray[np.int16]
    """Per (machine, extension): the version code on the machine, -1 none."""
    wanted: npt.NDArray[np.int16]
    """Per (machine, extension): the version code Azure wants, -1 none."""
    provisioning: npt.NDArray[np.int8]
    """Per (machine, extension): Azure's provisioning state (:class:`sim.engine.codes.Prov`)."""
    settings: Mapping[int, str]
    """Public settings Azure holds, by slot ``machine * n_ext + extension`` (absent: none;
    protected settings are never in Azure, R4)."""
    automatic_upgrade_off: frozenset[int]
    """Slots whose resource has ``enableAutomaticUpgrade`` false (R25)."""
    records: Records
    """The records so far (record codes index the name tables above)."""
    coverage: Mapping[str, int]
    """The end-state counts of :func:`sim.engine.metrics.coverage`."""
    exposure: EndCounts
    """The end-state exposure counts of :func:`sim.engine.endstate.exposure_at_end`."""
    events: int | None
    """SimPy events processed so far (:meth:`World.events_processed`; None if unknown)."""
    fleet_events: int
    """How many of those were fleet-wide events (:meth:`World.at_fleet`)."""

    @property
    def n_machines(self) -> int:
        """Machines in the arrays."""
        return int(self.provisioning.shape[0])

    @property
    def n_ext(self) -> int:
        """Columns of the slot arrays: the run's extensions (at least 1)."""
        return int(self.provisioning.shape[1])


def snapshot(world: World) -> Snapshot:
    """A :class:`Snapshot` of ``world`` now.

    Raises:
        ValueError: ``world`` has not started (:meth:`World.run` never called): it has no
            state yet.
    """
    if not world.started:
        raise ValueError("a world has state to show only once it has started (World.run)")
    n, e = world.n_machines, world.n_ext
    return Snapshot(
        time=float(world.env.now), offset=world.offset, groups=tuple(world.fleet.groups),
        group_names=tuple(world.group_names), path_names=tuple(world.path_names),
        actor_names=tuple(world.actor_names), ext_ids=tuple(world.ext_ids),
        ext_versions=tuple(tuple(v) for v in world.ext_versions),
        configs=tuple(world.configs),
        machine_group=_view(world.m_group, np.int16, (n,)),
        machine_config=_view(world.m_cfg, np.int32, (n,)),
        connectivity=_view(world.m_conn, np.int8, (n,)),
        installed=_view(world.s_inst, np.int16, (n, e)),
        wanted=_view(world.s_want, np.int16, (n, e)),
        provisioning=_view(world.s_prov, np.int8, (n, e)),
        settings=MappingProxyType(world.s_settings),
        automatic_upgrade_off=frozenset(world.s_no_auto), records=world.records,
        coverage=coverage(world), exposure=exposure_at_end(world),
        events=world.events_processed(),
        fleet_events=world.fleet_events)


def _view(buffer: Any, dtype: type[np.generic], shape: tuple[int, ...]) -> Any:
    """A read-only NumPy view of an engine buffer (no copy)."""
    view = np.frombuffer(buffer, dtype=dtype).reshape(shape)
    view.flags.writeable = False
    return view


__all__ = ["Snapshot", "snapshot"]
