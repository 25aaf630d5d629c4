"""The fleet's state before the first event: :class:`~sim.engine.state.FleetState`'s arrays,
filled when a world's run starts (its extension table is complete by then).

Everything drawn here comes from keyed streams of the machine's id in the whole fleet (check
phase, agent version, push reachability), so a shard's machines start exactly as they do in the
whole run. A group's initial ``azcmagent`` commands are applied once per agent version; the
lines the agent refuses are recorded for each machine, as the local admin's.
"""

from __future__ import annotations

import math
from array import array
from typing import Any

import numpy as np
import numpy.typing as npt
import simpy

from sim.engine.codes import Prov
from sim.engine.exposure import counts
from sim.engine.fleet import GroupSpec
from sim.engine.local import record_refusal
from sim.engine.rng import stream_key, uniforms
from sim.engine.state import FleetState
from sim.rules.catalogue import UNKNOWN_SIZE, Catalogue, Hosting
from sim.rules.commands import CommandError, parse
from sim.rules.config import AgentConfig
from sim.rules.identity import ExtensionId
from sim.rules.versions import AgentVersion, Feature, has

Refused = list[tuple[npt.NDArray[np.intp], list[CommandError]]]
"""Machines (local indices) with the initial command lines the agent refused on them."""


def build(w: FleetState, catalogue: Catalogue, seed: int) -> None:
    """Fill every array of ``w`` for its fleet (``w.fleet``, machines from ``w.offset``)."""
    n = w.fleet.size
    e = max(1, len(w.tables.ext_ids))
    w.n_machines, w.n_ext = n, e
    w.m_conn = array("b", b"\x01" * n)
    w.m_service = array("b", b"\x01" * n)
    w.m_next = array("d", [math.inf]) * n
    ids = np.arange(w.offset, w.offset + n, dtype=np.uint64)
    w.m_phase = _packed("d", uniforms(w.keys["phase"], ids) * w.params.check_period_s)
    w.s_pend = array("b", bytes(n * e))
    w.s_busy = array("b", bytes(n * e))
    w.s_nops = array("i", bytes(4 * n * e))
    w.s_pend_actor = array("h", bytes(2 * n * e))
    w.s_removed, w.s_override, w.m_baseline = {}, {}, {}
    w.s_settings, w.s_local_settings, w.s_settings_by, w.s_no_auto = {}, {}, {}, set()
    w.latest_release = {}
    w.s_transit_protected, w.s_local_protected = {}, {}
    _build_extensions(w, catalogue, seed)
    w.resources = [simpy.Resource(w.env, p.capacity) if p.is_shared else None
                   for p in w.params.paths]
    _build_machines(w)


def _build_extensions(w: FleetState, catalogue: Catalogue, seed: int) -> None:
    """The per-extension facts, from the catalogue and the parameters."""
    ext_ids = w.tables.ext_ids
    forced = {ExtensionId.parse(name).key for name in w.params.catalog_mismatch_extensions}
    w.x_forced_mismatch = [ext.key in forced for ext in ext_ids]
    # per-extension streams, keyed by name: the run's extension index is not shard-stable
    w.x_catalog_key = [stream_key(seed, f"catalog:{ext.key}") for ext in ext_ids]
    w.x_failure_key = [stream_key(seed, f"failure:{ext.key}") for ext in ext_ids]
    entries = [catalogue.get(ext) for ext in ext_ids]
    w.x_size = [entry.size_bytes if entry else UNKNOWN_SIZE for entry in entries]
    w.x_order = sorted(range(len(ext_ids)), key=lambda x: ext_ids[x].key)
    w.x_runs_scripts = [bool(entry and entry.runs_scripts) for entry in entries]
    w.x_scripts = tuple(x for x, scripts in enumerate(w.x_runs_scripts) if scripts)
    # R24 hosting; unknown extensions are assumed manager-hosted
    w.x_service_hosted = [(entry.hosting if entry else Hosting.MANAGER) is Hosting.SERVICE
                          for entry in entries]


def _packed(code: str, values: npt.NDArray[Any]) -> array[Any]:
    """A typed ``array`` buffer holding ``values`` (cast to the buffer's C type)."""
    out = array(code)
    out.frombytes(np.ascontiguousarray(values, dtype=np.dtype(code)).tobytes())
    return out


class _Initial:
    """The fleet's per-machine and per-slot state as NumPy arrays, before packing."""

    __slots__ = ("cfg", "group", "inst", "path", "prov", "push")

    def __init__(self, n: int, e: int) -> None:
        self.group = np.zeros(n, dtype=np.int16)
        self.path = np.zeros(n, dtype=np.int16)
        self.cfg = np.zeros(n, dtype=np.int32)
        self.push = np.zeros(n, dtype=np.int8)
        self.inst = np.full((n, e), -1, dtype=np.int16)
        self.prov = np.zeros((n, e), dtype=np.int8)


def _build_machines(w: FleetState) -> None:
    """Per-machine and per-slot state of every group, as NumPy arrays packed into the
    engine's ``array`` buffers; then the refused initial commands, machine by machine."""
    state = _Initial(w.n_machines, w.n_ext)
    refused: Refused = []
    first = 0
    for gi, group in enumerate(w.fleet.groups):
        refused += _build_group(w, gi, group, first, state)
        first += group.count
    w.m_group = _packed("h", state.group)
    w.m_path = _packed("h", state.path)
    w.m_cfg = _packed("i", state.cfg)
    w.m_push = _packed("b", state.push)
    w.s_inst = _packed("h", state.inst)
    w.s_want = _packed("h", state.inst)
    w.s_prov = _packed("b", state.prov)
    w.m_exposed = _packed("b", counts(w, state.inst, state.cfg))
    local_admin = w.tables.actor("local_admin")
    for members, errors in refused:
        for m in members.tolist():
            for error in errors:
                record_refusal(w, m, error, local_admin)


def _build_group(w: FleetState, gi: int, group: GroupSpec, first: int,
                 state: _Initial) -> Refused:
    """Fill ``state`` for group ``gi`` (machines ``first``...); return its machines whose
    initial commands were refused, by agent version, with the refusals."""
    tables, end = w.tables, first + group.count
    state.group[first:end] = gi
    state.path[first:end] = tables.path_names.index(w.params.path(group.path).name)
    for installed in group.extensions:
        x = tables.ext_index[ExtensionId.parse(installed.name).key]
        state.inst[first:end, x] = tables.version_code(x, installed.version)
        state.prov[first:end, x] = (Prov.FAILED if installed.state.lower() == "failed"
                                     else Prov.SUCCEEDED)
        slots = range(first * w.n_ext + x, end * w.n_ext, w.n_ext)
        if installed.settings:
            for s in slots:
                w.s_settings[s] = w.s_local_settings[s] = installed.settings
        if not installed.auto_upgrade:
            w.s_no_auto.update(slots)
    ids = np.arange(first, end, dtype=np.uint64) + np.uint64(w.offset)
    versions, choice = agent_version_choice(group, ids, w.keys["version"])
    reachable = uniforms(w.keys["push"], ids) < push_share(w, gi)
    refused = []
    for vi, text in enumerate(versions):
        version = AgentVersion.parse(text)
        mine = choice == vi
        cid, refusals = _initial_config(w, group, version)
        state.cfg[first:end][mine] = cid
        if has(version, Feature.PUSH_NOTIFICATIONS):
            state.push[first:end][mine & reachable] = 1
        if refusals:
            refused.append((np.nonzero(mine)[0] + first, refusals))
    return refused


def agent_version_choice(group: GroupSpec, machines: npt.NDArray[np.uint64], key: int
                         ) -> tuple[tuple[str, ...], npt.NDArray[np.intp]]:
    """Which of ``group``'s agent versions each of ``machines`` (ids in the whole fleet) runs:
    the group's version texts in ascending version order, and per machine an index into them.

    A machine's version is drawn from the keyed stream ``key`` (a run's is
    ``stream_key(seed, "version")``) and its id, weighted by the shares, so it does not depend
    on how the fleet is split or on anything else drawn. ``sim.plan`` numbers machines and
    gives them versions with this too, so a plan's machine is the simulation's.
    """
    versions = sorted(group.agent_versions.items(), key=lambda kv: AgentVersion.parse(kv[0]))
    total = sum(share for _, share in versions)
    draws = uniforms(key, machines)
    edges = np.cumsum([share / total for _, share in versions])
    choice = np.minimum(np.searchsorted(edges, draws, side="right"), len(versions) - 1)
    return tuple(text for text, _ in versions), choice


def push_share(w: FleetState, gi: int) -> float:
    """Share of group ``gi``'s machines whose push channel is reachable (R6a): the group's own,
    else ``params.push_reachable``."""
    share = w.fleet.groups[gi].push_reachable
    return w.params.push_reachable if share is None else share


def _initial_config(w: FleetState, group: GroupSpec,
                    version: AgentVersion) -> tuple[int, list[CommandError]]:
    """Apply a group's initial commands to a fresh agent; refused lines are kept aside."""
    cid = w.tables.intern(AgentConfig.fresh(version))
    refusals: list[CommandError] = []
    for line in group.commands:
        try:
            command = parse(line)
        except CommandError as exc:
            refusals.append(exc)
            continue
        if command.changes_config:
            after = w.tables.config_after(cid, command)
            if isinstance(after, CommandError):
                refusals.append(after)
            else:
                cid = after
    return cid, refusals
