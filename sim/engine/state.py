"""The fleet's state, declared once (design: Scale; style: state that documents itself).

State is compact and columnar: per-machine arrays indexed by the machine's local index ``m``
(``0 .. n_machines - 1``; its id in records is ``m + offset``), per-slot arrays indexed by
``s = m * n_ext + x`` (machine ``m``, extension ``x`` of the run's extension table), and
per-extension lists indexed by ``x``. Per-machine and per-slot arrays are typed
``array.array`` buffers (the type code gives the C type; NumPy reads them without a copy
through ``np.frombuffer``); rare per-slot facts are dicts keyed by slot. "-1" means none, where
an entry can be empty. :class:`FleetState` declares every field with its type, unit and
sentinel; :class:`~sim.engine.world.World` fills the arrays when its run starts
(:mod:`sim.engine.initial`), and the engine's processes (:mod:`sim.engine.manager`,
:mod:`sim.engine.local`, :mod:`sim.engine.connectivity`) read and write them.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from typing import Protocol

import simpy

from sim.engine.clock import Clock
from sim.engine.codes import Op
from sim.engine.fleet import FleetSpec
from sim.engine.params import EngineParams
from sim.engine.records import RecordLog
from sim.engine.tables import Tables

ResultHook = Callable[[int, int, int, int, int], None]
"""Called as ``(m, x, op, outcome, actor)`` when an operation an actor asked for is blocked,
fails or aborts (codes of :mod:`sim.engine.codes`)."""


class CloudGate(Protocol):
    """What Azure checks of an extension request before the machine sees it (R16, R26, R27):
    :class:`sim.engine.gate.PolicyBook`, given when a world is made."""

    def refusal(self, w: FleetState, m: int, x: int, op: Op,
                actor: int) -> tuple[str, str] | None:
        """(reason, rule) when Azure refuses ``actor``'s request ``op`` of extension ``x`` on
        machine ``m`` (R26, R27); None when it passes. May record (an audit)."""

    def overrider(self, w: FleetState, m: int, x: int, op: int, actor: int) -> int | None:
        """The actor whose override (a deny assignment removed or exempted) is the only reason
        ``actor``'s request ``op`` passes (R16); None if there is none, and for a request the
        gate does not evaluate (a delete, an automatic upgrade's POST action)."""


class FleetState:
    """The state of one world's fleet, and what its processes keep it with."""

    __slots__ = (
        "env", "fleet", "gate", "keys", "latest_release", "log", "m_baseline", "m_cfg",
        "m_conn", "m_exposed", "m_group", "m_next", "m_path", "m_phase", "m_push", "m_service",
        "n_ext", "n_machines", "offset", "params", "requests_wait", "resources",
        "result_hooks", "s_busy",
        "s_inst", "s_local_protected", "s_local_settings", "s_no_auto", "s_nops", "s_override",
        "s_pend", "s_pend_actor", "s_prov", "s_removed", "s_settings", "s_settings_by",
        "s_transit_protected", "s_want", "tables", "x_catalog_key", "x_failure_key",
        "x_forced_mismatch", "x_order", "x_runs_scripts", "x_scripts", "x_service_hosted",
        "x_size",
    )

    # --- what the state is kept with (set when the world is made) -------------------------
    env: Clock
    """The world's clock: simulated seconds (``env.now``) and its events."""
    log: RecordLog
    """Where every state change is recorded."""
    params: EngineParams
    """Timing and failure parameters of the run (seconds, probabilities)."""
    requests_wait: bool
    """``params.requests_wait_for_manager``, read once: requests to a disabled extension
    manager wait for it instead of failing at once (R23)."""
    fleet: FleetSpec
    """The whole world's groups (a shard holds only some of each group's machines)."""
    offset: int
    """Id of local machine 0 in the whole fleet (a shard's first machine; 0 for a whole run)."""
    tables: Tables
    """Names behind the codes: groups, paths, actors, extensions, versions, configurations."""
    keys: dict[str, int]
    """Keyed random streams of the world by purpose: ``phase``, ``push``, ``jitter``,
    ``version``, ``outage`` (:func:`sim.engine.rng.stream_key`)."""
    gate: CloudGate
    """What Azure checks of a request before the machine sees it: roles, Azure Policy."""
    result_hooks: dict[tuple[int, int], ResultHook]
    """By (actor, extension): called when an operation that actor asked for is blocked, fails
    or aborts (automatic upgrade retries, R25)."""
    latest_release: dict[int, object]
    """By extension index: the automatic-upgrade release rolling out now (R25); an older
    release's requests and retries stop when a newer one arrives."""

    # --- sizes (set when the run starts) ---------------------------------------------------
    n_machines: int
    """Machines in this world."""
    n_ext: int
    """Extensions in the run's table (at least 1): the stride of the per-slot arrays."""

    # --- per machine: index m --------------------------------------------------------------
    m_group: array[int]
    """int16: index of the machine's group (``fleet.groups``, ``tables.group_names``)."""
    m_path: array[int]
    """int16: index of its download path (``params.paths``, ``tables.path_names``; R2)."""
    m_cfg: array[int]
    """int32: id of its agent configuration now (``tables.configs``, ``tables.controls``)."""
    m_push: array[int]
    """int8: 1 when push notifications reach it (agent 1.13+ and a reachable channel)."""
    m_conn: array[int]
    """int8: 1 connected; 3 offline, still shown Connected (no heartbeat for less than
    ``disconnected_after_s``); 0 disconnected; 2 expired, never processes again until
    onboarded again. Only 1 processes requests (R28, :mod:`sim.engine.connectivity`)."""
    m_service: array[int]
    """int8: 1 when its extension service runs (R6)."""
    m_next: array[float]
    """float64 seconds: the instant of its next scheduled check; ``inf`` when none is."""
    m_phase: array[float]
    """float64 seconds in ``[0, check_period_s)``: its check ``k`` is at ``phase + k * period``
    (plus jitter) (R6a)."""
    m_exposed: array[int]
    """int8: script-capable extensions installed on it that can run now (R7, R24;
    :mod:`sim.engine.exposure`); the machine is *exposed* while it is above 0."""
    m_baseline: dict[int, tuple[int, int]]
    """Machines whose configuration an override actor changed (R17): (config id before the
    first such change, that actor); dropped when any other actor changes it."""

    # --- per slot: s = m * n_ext + x -------------------------------------------------------
    s_inst: array[int]
    """int16: version code installed on the machine (``tables.ext_versions[x]``); -1: none."""
    s_want: array[int]
    """int16: version code Azure wants (desired state); -1: no extension resource."""
    s_prov: array[int]
    """int8: Azure's ``provisioningState``, a :class:`~sim.engine.codes.Prov` code (R6c)."""
    s_pend: array[int]
    """int8: the request waiting for the machine, as ``Op`` code + 1; 0: none."""
    s_pend_actor: array[int]
    """int16: actor index of the pending request."""
    s_busy: array[int]
    """int8: 1 while an operation runs (one at a time per extension)."""
    s_nops: array[int]
    """int32: operations completed so far: the draw index of its keyed failure streams."""
    s_removed: dict[int, float]
    """Slots removed locally, with the instant (seconds): a reinstall's absent time (R6)."""
    s_override: dict[int, int]
    """Slots whose pending request passed only because of an override, with its actor (R16)."""
    s_settings: dict[int, str]
    """Public settings Azure holds (desired state)."""
    s_settings_by: dict[int, int]
    """Actor index of who sent each slot's public settings: the sender of a script (R7)."""
    s_no_auto: set[int]
    """Slots whose extension resource has ``enableAutomaticUpgrade`` false (R25)."""
    s_local_settings: dict[int, str]
    """Public settings on the machine (a script extension runs a new one, R7)."""
    s_transit_protected: dict[int, str]
    """Protected settings on their way to the machine with one request (R4): never in Azure's
    state or records."""
    s_local_protected: dict[int, str]
    """Protected settings on the machine (R4)."""

    # --- per extension: index x (set when the run starts; the same in every shard) ---------
    x_size: list[int]
    """Package bytes (catalogue; 10 MB when unknown)."""
    x_order: list[int]
    """Extension indices by name: the order of per-extension work on one machine at one
    instant (a check, a removal), the same in every shard (an index is per run)."""
    x_runs_scripts: list[bool]
    """True for a script-capable extension: it runs arbitrary scripts as root or Local System
    (R7; catalogue: Custom Script, Run Command, Hybrid Worker, the Log Analytics agents)."""
    x_scripts: tuple[int, ...]
    """Indices of the script-capable extensions (``x_runs_scripts``), in index order."""
    x_service_hosted: list[bool]
    """True when it runs as its own service, not under the extension manager (R24)."""
    x_forced_mismatch: list[bool]
    """True when every download fails the catalog check (``params``; R3)."""
    x_catalog_key: list[int]
    """Keyed stream of chance catalog mismatches (R3), by extension name."""
    x_failure_key: list[int]
    """Keyed stream of chance install failures, by extension name."""

    # --- per download path (params.paths) --------------------------------------------------
    resources: list[simpy.Resource | None]
    """A shared path's queue (a proxy of limited capacity, R2); None: unlimited."""

    def wake(self, m: int) -> None:
        """Schedule machine ``m``'s next check if it has work and can do it
        (:func:`sim.engine.manager.wake`, which a world uses): the one operation the modules
        below the manager ask of it."""
        raise NotImplementedError
