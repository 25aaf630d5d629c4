"""Exposure at the end of a run: what is left installed, and who could still undo a lockdown
(R7, R12, R16, R17, R19, R24, R27, R30).

:func:`exposure_at_end` counts, from a world's final state, the machines with a script-capable
extension installed and runnable, each script-capable extension's machines, and the machines
with each *open override path* (:func:`sim.rules.exposure.open_paths`, the same definition as
``arcsim plan``'s): a script-capable extension the local controls allow, guest configuration
enabled outside monitor mode, no lockdown at all, an agent too old for the controls. For each
path it also counts the machines on which each actor of the world that holds an Azure role
could use it (the role has every permission the path needs there, R27; a ``Deny`` assignment
in force on every allowed script-capable extension adds the policy permission, R16).

Every count is a number of machines, so the counts of a split run's parts add up to the whole
run's (:mod:`sim.runs.merge`). Open paths are worked out once per distinct (configuration,
group, script-capable extensions installed) combination.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from sim.engine.gate import PolicyBook
from sim.engine.world import World
from sim.rules.commands import LocalState
from sim.rules.exposure import OpenPath, OverridePath, open_paths, permissions
from sim.rules.identity import ExtensionId

EndCounts = dict[tuple[str, ...], int]
"""Machine counts by key: ``("machines",)``, ``("present", extension)``, ``("open", path)``
(``path`` an :class:`~sim.rules.exposure.OverridePath` value or ``any``), ``("open_to",
actor)`` and ``("holder", path, actor, role)``; every run of a scenario has the same keys."""


def exposure_at_end(world: World) -> EndCounts:
    """The end-state exposure counts of ``world`` (see the module docstring); empty before
    its run has started."""
    if not world.started:
        return {}
    n, e = world.n_machines, world.n_ext
    inst = np.frombuffer(world.s_inst, dtype=np.int16).reshape(n, e)
    scripts = list(world.x_scripts)
    counts: EndCounts = {("machines",): int(np.count_nonzero(
        np.frombuffer(world.m_exposed, dtype=np.int8)))}
    for x in scripts:
        counts[("present", world.ext_ids[x].name)] = int(np.count_nonzero(inst[:, x] >= 0))
    actors = _role_holders(world)
    for path in (*(p.value for p in OverridePath), "any"):
        counts[("open", path)] = 0
    for name, role in actors:
        counts[("open_to", name)] = 0
        for path in OverridePath:
            counts[("holder", path.value, name, role)] = 0
    for (cid, g, mask), machines in _combinations(world, inst, scripts).items():
        found = _paths(world, cid, g, mask, scripts)
        _add(counts, found, actors, machines)
    return counts


def _combinations(world: World, inst: npt.NDArray[np.int16],
                  scripts: list[int]) -> Mapping[tuple[int, int, int], int]:
    """Machines per (configuration id, group, bit mask of installed script-capable extensions:
    bit ``j`` for ``scripts[j]``), counted on one int64 key per machine (configuration id
    from bit 40, group from bit 24, the mask below; row by row past 24 such extensions)."""
    if world.n_machines == 0:
        return {}
    config = np.frombuffer(world.m_cfg, dtype=np.int32).astype(np.int64)
    group = np.frombuffer(world.m_group, dtype=np.int16).astype(np.int64)
    if len(scripts) > 24:  # more than a key holds (a scenario's own catalogue): row by row
        rows = np.stack([config, group, *((inst[:, x] >= 0).astype(np.int64)
                                          for x in scripts)], axis=1)
        found, counts = np.unique(rows, axis=0, return_counts=True)
        return {(int(r[0]), int(r[1]), sum(int(b) << j for j, b in enumerate(r[2:]))): int(n)
                for r, n in zip(found.tolist(), counts.tolist(), strict=True)}
    key = config << 40 | group << 24
    for j, x in enumerate(scripts):
        key |= (inst[:, x] >= 0).astype(np.int64) << j
    keys, machines = np.unique(key, return_counts=True)
    return {(k >> 40, k >> 24 & 0xFFFF, k & 0xFFFFFF): n
            for k, n in zip(keys.tolist(), machines.tolist(), strict=True)}


def _paths(world: World, cid: int, g: int, mask: int,
           scripts: list[int]) -> tuple[OpenPath, ...]:
    """The open paths of a machine of group ``g`` with configuration ``cid`` and the
    script-capable extensions of ``mask`` installed."""
    installed = tuple(world.ext_ids[x] for j, x in enumerate(scripts) if mask >> j & 1)
    state = LocalState(world.configs[cid], installed, True)
    return open_paths(state, world.catalogue, os=world.fleet.groups[g].os.lower(),
                      policy_denies=_denies(world, g))


def _denies(world: World, g: int) -> Callable[[ExtensionId], bool] | None:
    gate = world.gate
    if not isinstance(gate, PolicyBook):
        return None
    return lambda ext: gate.denies(world, g, ext)


def _role_holders(world: World) -> list[tuple[str, str]]:
    """(actor name, lower-case role) of every actor of ``world`` that holds an Azure role, in
    actor order."""
    names = world.actor_names
    return [(names[a], role) for a, role in sorted(world.tables.actor_roles.items())]


def _add(counts: EndCounts, found: tuple[OpenPath, ...], actors: list[tuple[str, str]],
         machines: int) -> None:
    if not found:
        return
    counts[("open", "any")] += machines
    for path in found:
        counts[("open", path.path.value)] += machines
    for name, role in actors:
        usable = [p for p in found if p.needs <= permissions(role)]
        for path in usable:
            counts[("holder", path.path.value, name, role)] += machines
        if usable:
            counts[("open_to", name)] += machines


def merge(parts: list[EndCounts]) -> EndCounts:
    """The end counts of a run split into ``parts`` (machine counts add up)."""
    total: dict[tuple[str, ...], int] = {}
    for part in parts:
        for key, value in part.items():
            total[key] = total.get(key, 0) + value
    return total


def as_json(counts: Mapping[tuple[str, ...], int]) -> dict[str, Any]:
    """The counts as nested JSON-ready mappings (``{"present": {extension: n}, ...}``)."""
    nested: dict[str, Any] = {}
    for key, value in counts.items():
        node = nested
        for part in key[:-1]:
            node = node.setdefault(part, {})
        node[key[-1]] = value
    return nested


__all__ = ["EndCounts", "as_json", "exposure_at_end", "merge"]
