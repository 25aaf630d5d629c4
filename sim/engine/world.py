"""The world: a fleet's state on a SimPy clock (design: Scale, Determinism).

State is compact and columnar: per-machine arrays and per-(machine, extension) "slot" arrays
(``slot = machine * n_extensions + extension``), plus interned agent configurations. There is
no SimPy process per machine and no polling that finds nothing to do: a machine's next check
is scheduled only when its desired and actual state differ (:meth:`World.wake`), at the
instant its polling schedule would reach (:meth:`World.next_check`).

Time and the equal-time order of events are the :class:`~sim.engine.clock.Clock`'s.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import simpy

from sim.engine import manager
from sim.engine.clock import Clock, Kind, machine_priority, schedule_each
from sim.engine.codes import REASON_CODE, RULE_CODE, Op, Outcome, Prov
from sim.engine.fleet import FleetSpec, GroupSpec
from sim.engine.params import EngineParams, ParamError
from sim.engine.records import RecordLog, Records
from sim.engine.rng import stream_key, uniform, uniforms
from sim.rules.catalogue import BUILTIN, Catalogue, Hosting
from sim.rules.commands import Command, CommandError, LocalState, Verb, config_after, execute
from sim.rules.config import AgentConfig
from sim.rules.decision import Controls, compile_controls
from sim.rules.identity import ExtensionId
from sim.rules.versions import AgentVersion, Feature, has

INF = math.inf
# Plain-int record codes for the hot paths (an IntEnum member costs ~7x an int to look up)
_CONFIG, _SERVICE, _LOCAL_REMOVE = int(Op.CONFIG), int(Op.SERVICE), int(Op.LOCAL_REMOVE)
_APPLIED, _SUCCEEDED = int(Outcome.APPLIED), int(Outcome.SUCCEEDED)
_STARTED, _STOPPED = int(Outcome.STARTED), int(Outcome.STOPPED)
_COMMAND, _LOCAL_REMOVAL = REASON_CODE["command"], REASON_CODE["local_removal"]
_R6, _R8 = RULE_CODE["R6"], RULE_CODE["R8"]


def _packed(code: str, values: npt.NDArray[Any]) -> array[Any]:
    """A typed ``array`` buffer holding ``values`` (cast to the buffer's C type)."""
    out = array(code)
    out.frombytes(np.ascontiguousarray(values, dtype=np.dtype(code)).tobytes())
    return out


class _Initial:
    """The fleet's state before the first event, as NumPy arrays (see :meth:`World._build`)."""

    __slots__ = ("cfg", "group", "inst", "path", "prov", "push")

    def __init__(self, n: int, e: int) -> None:
        self.group = np.zeros(n, dtype=np.int16)
        self.path = np.zeros(n, dtype=np.int16)
        self.cfg = np.zeros(n, dtype=np.int32)
        self.push = np.zeros(n, dtype=np.int8)
        self.inst = np.full((n, e), -1, dtype=np.int16)
        self.prov = np.zeros((n, e), dtype=np.int8)


class World:
    """A fleet, Azure's view of it, and the actors that act on it, on one SimPy clock."""

    cloud_gate: Callable[[World, int, int, Op, int], tuple[str, str] | None] | None = None
    """Refusal in Azure before the machine sees a request, as (reason, rule): Azure Policy
    deny (R26), authorization (R27). Set by the policy actors."""
    override_probe: Callable[[World, int, int, Op], int | None] | None = None
    """Returns the actor whose override (assignment removed, exemption) is the only reason a
    request is not denied, else None (R16). Set by the policy actors."""

    def __init__(self, fleet: FleetSpec, params: EngineParams | None = None, seed: int = 0, *,
                 catalogue: Catalogue = BUILTIN, extensions: Iterable[str] = (),
                 start_offset: int = 0) -> None:
        """Build the world. ``extensions`` adds names to the run's extension table (actors
        register theirs before :meth:`run` through :meth:`extension`). ``start_offset`` is the
        id of this world's first machine when it is one shard of a larger fleet."""
        self.env = Clock()
        self.params = params or EngineParams()
        self.seed = seed
        self.fleet = fleet
        self.catalogue = catalogue
        self.log = RecordLog()
        self.offset = start_offset
        self.group_names = [g.name for g in fleet.groups]
        self.path_names = [p.name for p in self.params.paths]
        self.actor_names: list[str] = ["system", "resync", "local_admin", "cloud_admin"]
        self.ext_ids: list[ExtensionId] = []
        self.ext_index: dict[str, int] = {}
        self.ext_versions: list[list[str]] = []
        self._actors: list[Any] = []
        self.actor_overrides: set[int] = set()
        """Actors whose config changes are overrides of a lockdown (R17)."""
        self.result_hooks: dict[tuple[int, int], Callable[[World, int, int, int, int, int],
                                                           None]] = {}
        """By (actor, extension): called as (world, m, x, op, outcome, actor) when an operation
        that actor asked for is blocked, fails or aborts (automatic upgrade retries, R25)."""
        self.actor_roles: dict[int, str] = {}
        """Azure role of each cloud actor (R27); actors not listed act as the platform."""
        self._started = False
        for group in fleet.groups:
            for installed in group.extensions:
                self.extension(installed.name, installed.version)
        for name in extensions:
            self.extension(name)
        self.configs: list[AgentConfig] = []
        self._config_ids: dict[AgentConfig, int] = {}
        self.controls: list[Controls] = []
        self._after: dict[tuple[int, Command], int | CommandError] = {}
        self._removals: dict[tuple[Command, int, int, bool], tuple[int, ...] | CommandError] = {}
        self.keys = {purpose: stream_key(seed, purpose) for purpose in (
            "phase", "push", "jitter", "version", "outage")}

    # --- tables ---------------------------------------------------------------------------

    def extension(self, name: str, version: str | None = None) -> int:
        """The index of extension ``name`` in this run (registering it, and ``version``)."""
        ext = ExtensionId.parse(name)
        index = self.ext_index.get(ext.key)
        if index is None:
            if self._started:
                raise ParamError(f'extension "{name}" was not registered before the run started')
            index = len(self.ext_ids)
            self.ext_index[ext.key] = index
            self.ext_ids.append(ext)
            self.ext_versions.append([])
        if version is not None and version not in self.ext_versions[index]:
            self.ext_versions[index].append(version)
        return index

    def version_code(self, x: int, version: str | None) -> int:
        """The code of ``version`` of extension ``x``; None means its newest known version."""
        versions = self.ext_versions[x]
        if version is None:
            if not versions:
                versions.append("1.0")
            return len(versions) - 1
        if version not in versions:
            versions.append(version)
        return versions.index(version)

    def actor(self, name: str) -> int:
        """The index of actor ``name`` in the record table (registering it)."""
        if name not in self.actor_names:
            self.actor_names.append(name)
        return self.actor_names.index(name)

    def intern(self, config: AgentConfig) -> int:
        """The id of ``config`` in the table of distinct configurations."""
        cid = self._config_ids.get(config)
        if cid is None:
            cid = self._config_ids[config] = len(self.configs)
            self.configs.append(config)
            self.controls.append(compile_controls(config))
        return cid

    def config_after(self, cid: int, command: Command) -> int | CommandError:
        """The config id after ``command`` (cached per distinct config), or the refusal."""
        key = (cid, command)
        result = self._after.get(key)
        if result is None:
            try:
                result = self.intern(config_after(command, self.configs[cid]))
            except CommandError as exc:
                result = exc
            self._after[key] = result
        return result

    def add(self, actor: Any) -> Any:
        """Add an actor (an object with ``attach(world)``, called now, and ``start(world)``,
        called when the run starts). Returns the actor."""
        if self._started:
            raise ParamError("actors must be added before the run starts")
        actor.attach(self)
        self._actors.append(actor)
        return actor

    # --- building the state -----------------------------------------------------------------

    def _build(self) -> None:
        n = self.fleet.size
        e = max(1, len(self.ext_ids))
        self.n_machines, self.n_ext = n, e
        self.m_conn = array("b", b"\x01" * n)
        self.m_service = array("b", b"\x01" * n)
        self.m_next = array("d", [INF]) * n
        ids = np.arange(self.offset, self.offset + n, dtype=np.uint64)
        phase = uniforms(self.keys["phase"], ids) * self.params.check_period_s
        self.m_phase: array[float] = _packed("d", phase)
        self.s_pend = array("b", bytes(n * e))
        self.s_busy = array("b", bytes(n * e))
        self.s_nops = array("i", bytes(4 * n * e))
        self._pend_actor = array("h", bytes(2 * n * e))
        self._decisions: dict[int, tuple[bool, int, int]] = {}
        forced = {ExtensionId.parse(name).key for name in self.params.catalog_mismatch_extensions}
        self.x_forced_mismatch = [ext.key in forced for ext in self.ext_ids]
        # per-extension streams, keyed by name: the run's extension index is not shard-stable
        self.x_catalog_key = [stream_key(self.seed, f"catalog:{e.key}") for e in self.ext_ids]
        self.x_failure_key = [stream_key(self.seed, f"failure:{e.key}") for e in self.ext_ids]
        self.s_removed: dict[int, float] = {}
        self.s_override: dict[int, int] = {}
        self.m_baseline: dict[int, tuple[int, int]] = {}
        self.s_settings: dict[int, str] = {}
        self.s_local_settings: dict[int, str] = {}
        # protected settings (R4): on their way to the machine with one request, then only
        # on the machine; Azure (s_settings, records) never holds them
        self.s_transit_protected: dict[int, str] = {}
        self.s_local_protected: dict[int, str] = {}
        self.x_size = [self._size(x) for x in range(len(self.ext_ids))]
        self.x_order = sorted(range(len(self.ext_ids)), key=lambda x: self.ext_ids[x].key)
        """Extension indices by name: the order of per-extension work on one machine at one
        instant (a check, a removal), the same in every shard (the index is per run)."""
        self.x_runs_scripts = [bool(entry and entry.runs_scripts) for entry in
                               (self.catalogue.get(ext) for ext in self.ext_ids)]
        self.x_service_hosted = [self._hosting(x) is Hosting.SERVICE for x in
                                 range(len(self.ext_ids))]
        self.resources = [simpy.Resource(self.env, p.capacity) if p.is_shared else None
                          for p in self.params.paths]
        self._build_machines(n, e)

    def _build_machines(self, n: int, e: int) -> None:
        """Per-machine and per-slot state of every group, as NumPy arrays packed into the
        engine's ``array`` buffers; then the refused initial commands, machine by machine."""
        state = _Initial(n, e)
        refused: list[tuple[npt.NDArray[np.intp], list[CommandError]]] = []
        first = 0
        for gi, group in enumerate(self.fleet.groups):
            refused += self._build_group(gi, group, first, state)
            first += group.count
        self.m_group: array[int] = _packed("h", state.group)
        self.m_path: array[int] = _packed("h", state.path)
        self.m_cfg: array[int] = _packed("i", state.cfg)
        self.m_push: array[int] = _packed("b", state.push)
        self.s_inst: array[int] = _packed("h", state.inst)
        self.s_want: array[int] = _packed("h", state.inst)
        self.s_prov: array[int] = _packed("b", state.prov)
        local_admin = self.actor("local_admin")
        for members, errors in refused:
            for m in members.tolist():
                for error in errors:
                    self.record_refusal(m, error, local_admin)

    def _size(self, x: int) -> int:
        entry = self.catalogue.get(self.ext_ids[x])
        return entry.size_bytes if entry else 10_000_000

    def _hosting(self, x: int) -> Hosting:
        """R24 hosting; unknown extensions are assumed manager-hosted."""
        entry = self.catalogue.get(self.ext_ids[x])
        return entry.hosting if entry else Hosting.MANAGER

    def _build_group(self, gi: int, group: GroupSpec, first: int,
                     state: _Initial) -> list[tuple[npt.NDArray[np.intp], list[CommandError]]]:
        """Fill ``state`` for group ``gi`` (machines ``first``...); return its machines whose
        initial commands were refused, by agent version, with the refusals."""
        end = first + group.count
        state.group[first:end] = gi
        state.path[first:end] = self.path_names.index(self.params.path(group.path).name)
        for installed in group.extensions:
            x = self.ext_index[ExtensionId.parse(installed.name).key]
            state.inst[first:end, x] = self.version_code(x, installed.version)
            state.prov[first:end, x] = Prov.SUCCEEDED
            if installed.settings:
                for s in range(first * self.n_ext + x, end * self.n_ext, self.n_ext):
                    self.s_settings[s] = self.s_local_settings[s] = installed.settings
        versions = sorted(group.agent_versions.items(), key=lambda kv: AgentVersion.parse(kv[0]))
        total = sum(share for _, share in versions)
        ids = np.arange(first, end, dtype=np.uint64) + np.uint64(self.offset)
        draws = uniforms(self.keys["version"], ids)
        edges = np.cumsum([share / total for _, share in versions])
        choice = np.minimum(np.searchsorted(edges, draws, side="right"), len(versions) - 1)
        reachable = uniforms(self.keys["push"], ids) < self.params.push_reachable
        refused = []
        for vi, (text, _) in enumerate(versions):
            version = AgentVersion.parse(text)
            mine = choice == vi
            cid, refusals = self._initial_config(group, version)
            state.cfg[first:end][mine] = cid
            if has(version, Feature.PUSH_NOTIFICATIONS):
                state.push[first:end][mine & reachable] = 1
            if refusals:
                refused.append((np.nonzero(mine)[0] + first, refusals))
        return refused

    def _initial_config(self, group: GroupSpec,
                        version: AgentVersion) -> tuple[int, list[CommandError]]:
        """Apply a group's initial commands to a fresh agent; refused lines are kept aside."""
        from sim.rules.commands import parse

        cid = self.intern(AgentConfig.fresh(version))
        refusals: list[CommandError] = []
        for line in group.commands:
            try:
                command = parse(line)
            except CommandError as exc:
                refusals.append(exc)
                continue
            if command.changes_config:
                after = self.config_after(cid, command)
                if isinstance(after, CommandError):
                    refusals.append(after)
                else:
                    cid = after
        return cid, refusals

    # --- scheduling -------------------------------------------------------------------------

    def at(self, delay: float, priority: float, callback: Callable[[Any], None]) -> None:
        """Call ``callback(event)`` after ``delay`` seconds with equal-time key ``priority``
        (:meth:`Clock.at <sim.engine.clock.Clock.at>`)."""
        self.env.at(delay, priority, callback)

    def at_fleet(self, delay: float, callback: Callable[[Any], None]) -> None:
        """Call ``callback(event)`` after ``delay`` seconds as a fleet-wide event
        (:meth:`Clock.at_fleet <sim.engine.clock.Clock.at_fleet>`)."""
        self.env.at_fleet(delay, callback)

    def at_instant(self, t: float, priority: float, callback: Callable[[Any], None]) -> None:
        """Call ``callback(event)`` at simulated time ``t``, not before now
        (:meth:`Clock.at_instant <sim.engine.clock.Clock.at_instant>`)."""
        self.env.at_instant(t, priority, callback)

    @property
    def fleet_events(self) -> int:
        """Fleet-wide events processed so far (:meth:`at_fleet`): every shard of a sharded run
        processes the same ones, which the merge counts once."""
        return self.env.fleet_events

    def check_time(self, m: int, k: int) -> float:
        """The instant of machine ``m``'s ``k``-th check (R6a): phase + k periods + jitter."""
        t: float = self.m_phase[m] + k * self.params.check_period_s
        jitter = self.params.check_jitter_s
        if jitter > 0.0:
            t += uniform(self.keys["jitter"], m + self.offset, k) * jitter
        return t

    def next_check(self, m: int, t: float) -> float:
        """The first check instant of machine ``m`` at or after ``t``."""
        phase, period = self.m_phase[m], self.params.check_period_s
        k = max(0, math.floor((t - phase) / period))
        if self.params.check_jitter_s > 0.0:
            c = self.check_time(m, k)
            while c < t:
                k += 1
                c = self.check_time(m, k)
            return c
        c = phase + k * period  # check_time without jitter, inlined (the hot path)
        while c < t:
            k += 1
            c = phase + k * period
        return c

    def wake(self, m: int) -> None:
        """Schedule machine ``m``'s next check if it has work and can do it."""
        if not (self.m_conn[m] == 1 and self.m_service[m] and manager.has_work(self, m)):
            return
        t = self.next_check(m, self.env.now)
        if t < self.m_next[m]:
            self.m_next[m] = t
            self.env.at_instant(t, machine_priority(m, Kind.SYNC),
                            lambda _e: manager.on_check(self, m))

    # --- the extension manager and control plane (sim.engine.manager) ------------------------

    def request(self, m: int, x: int, op: Op, actor: int, version: str | int | None = None,
                settings: str | None = None, protected: str | None = None) -> bool:
        """An extension request for machine ``m`` reaches Azure now (see
        :func:`sim.engine.manager.request`)."""
        return manager.request(self, m, x, op, actor, version, settings, protected)

    def reason_code(self, name: str) -> int:
        """The code of reason ``name`` in the record table."""
        return REASON_CODE[name]

    # --- local commands (R6, R8, R17, R23, R24) ---------------------------------------------

    def run_command(self, m: int, command: Command, actor: int) -> bool:
        """Run a parsed ``azcmagent`` (or service) command on machine ``m`` now.

        Returns True when the agent took it. Refusals are recorded (outcome REFUSED, the
        command's error code as reason), never raised.
        """
        if command.changes_config:
            return self._change_config(m, command, actor)
        if command.verb in (Verb.SERVICE_STOP, Verb.SERVICE_START):
            self.set_service(m, command.verb is Verb.SERVICE_START, actor)
            return True
        if command.verb is Verb.EXTENSION_REMOVE:
            return self.remove_locally(m, command, actor)
        return True

    def _change_config(self, m: int, command: Command, actor: int) -> bool:
        before = self.m_cfg[m]
        after = self.config_after(before, command)
        if isinstance(after, CommandError):
            self.record_refusal(m, after, actor)
            return False
        self.m_cfg[m] = after
        if actor in self.actor_overrides:
            self.m_baseline.setdefault(m, (before, actor))
        else:
            self.m_baseline.pop(m, None)
        self.log.add(self.env.now, m + self.offset, self.m_group[m], -1, _CONFIG, _APPLIED,
                     _COMMAND, _R8, actor)
        now_enabled = self.controls[after].manager_enabled
        if self.controls[before].manager_enabled != now_enabled:
            self._manager_switched(m, now_enabled, actor)
        return True

    def record_refusal(self, m: int, error: CommandError, actor: int) -> None:
        """Record a local command the agent refused (outcome REFUSED, its error code)."""
        self.log.add(self.env.now, m + self.offset, self.m_group[m], -1, Op.CONFIG,
                     Outcome.REFUSED, self.reason_code(error.code.value),
                     RULE_CODE.get(error.rule, 0), actor)

    def _manager_switched(self, m: int, enabled: bool, actor: int) -> None:
        """R23, R24: manager-hosted extensions stop (or start again) with the manager."""
        base = m * self.n_ext
        outcome = Outcome.STARTED if enabled else Outcome.STOPPED
        for x in self.x_order:
            if self.s_inst[base + x] >= 0 and not self.x_service_hosted[x]:
                self.log.add(self.env.now, m + self.offset, self.m_group[m], x, Op.RUNNING,
                             outcome, self.reason_code("manager_switch"), RULE_CODE["R24"], actor)
        if enabled:
            self.wake(m)

    def set_service(self, m: int, running: bool, actor: int) -> None:
        """Stop or start the extension service of machine ``m`` (R6)."""
        if bool(self.m_service[m]) == running:
            return
        self.m_service[m] = running
        self.log.add(self.env.now, m + self.offset, self.m_group[m], -1, _SERVICE,
                     _STARTED if running else _STOPPED, 0, _R6, actor)
        if running:
            self.wake(m)

    def local_state(self, m: int) -> LocalState:
        """What local commands see on machine ``m``."""
        base = m * self.n_ext
        installed = tuple(self.ext_ids[x] for x in self.x_order if self.s_inst[base + x] >= 0)
        return LocalState(self.configs[self.m_cfg[m]], installed, bool(self.m_service[m]))

    def remove_locally(self, m: int, command: Command, actor: int) -> bool:
        """``azcmagent extension remove`` on machine ``m`` (R6); refusals are recorded.

        What the command removes (or why it is refused) depends only on the command, the
        machine's configuration, its installed extensions and whether its service runs: it is
        worked out once per distinct combination (:meth:`_removal`)."""
        base, inst = m * self.n_ext, self.s_inst
        present = 0
        for x in range(self.n_ext):
            if inst[base + x] >= 0:
                present |= 1 << x
        key = (command, self.m_cfg[m], present, bool(self.m_service[m]))
        removed = self._removals.get(key)
        if removed is None:
            removed = self._removals[key] = self._removal(m, command)
        if isinstance(removed, CommandError):
            self.record_refusal(m, removed, actor)
            return False
        now = self.env.now
        for x in removed:
            s = base + x
            inst[s] = -1
            self.s_removed[s] = now
            self.s_local_settings.pop(s, None)
            self.s_local_protected.pop(s, None)
            self.log.add(now, m + self.offset, self.m_group[m], x, _LOCAL_REMOVE, _SUCCEEDED,
                         _LOCAL_REMOVAL, _R6, actor)
        return True

    def _removal(self, m: int, command: Command) -> tuple[int, ...] | CommandError:
        """The extensions (in name order) ``command`` removes from machine ``m`` as it is now,
        or the agent's refusal (the rules layer decides, :func:`sim.rules.commands.execute`)."""
        state = self.local_state(m)
        try:
            after = execute(command, state).state
        except CommandError as exc:
            return exc
        return tuple(self.ext_index[e.key] for e in state.installed if e not in after.installed)

    # --- connectivity (R28) -----------------------------------------------------------------

    def set_connected(self, m: int, connected: bool) -> None:
        """Machine ``m`` loses or regains its connection (R28)."""
        if self.m_conn[m] == 2 or bool(self.m_conn[m]) == connected:
            return
        self.m_conn[m] = connected
        self.log.add(self.env.now, m + self.offset, self.m_group[m], -1, Op.CONNECTIVITY,
                     Outcome.CONNECTED if connected else Outcome.DISCONNECTED,
                     self.reason_code("outage"), RULE_CODE["R28"], 0)
        if connected:
            self.wake(m)

    def expire(self, m: int) -> None:
        """Machine ``m`` stayed disconnected too long: Expired, never processes again (R28)."""
        if self.m_conn[m] == 0:
            self.m_conn[m] = 2
            self.log.add(self.env.now, m + self.offset, self.m_group[m], -1, Op.CONNECTIVITY,
                         Outcome.EXPIRED, self.reason_code("outage"), RULE_CODE["R28"], 0)

    def _schedule_outages(self) -> None:
        first = 0
        for group in self.fleet.groups:
            ids = np.arange(first, first + group.count)
            for oi, outage in enumerate(group.outages):
                draws = uniforms(self.keys["outage"], ids + self.offset, oi)
                hit = ids[draws < outage.share]
                start = np.full(hit.shape, outage.start_s)
                schedule_each(self.env, start, hit, lambda m: self.set_connected(m, False))
                if outage.duration_s >= self.params.expire_after_s:
                    expire_at = start + self.params.expire_after_s
                    schedule_each(self.env, expire_at, hit, self.expire, Kind.CONNECTIVITY)
                else:
                    end = start + outage.duration_s
                    schedule_each(self.env, end, hit, lambda m: self.set_connected(m, True),
                                  Kind.CONNECTIVITY)
            first += group.count

    # --- running --------------------------------------------------------------------------

    def run(self, until: float) -> Records:
        """Build the state (first call only), start the actors and run to ``until`` seconds:
        events before ``until``; those at exactly ``until`` wait for the next call (their key
        sorts after the stop event's), so stepping a run changes nothing."""
        if not self._started:
            self._started = True
            self._build()
            self._schedule_outages()
            for actor in self._actors:
                actor.start(self)
        if until > self.env.now:
            self.env.run(until=until)
        return self.records

    def events_processed(self) -> int:
        """SimPy events processed so far, exactly, not counting :meth:`run`'s own stop events
        (:meth:`Clock.events_processed <sim.engine.clock.Clock.events_processed>`)."""
        return self.env.events_processed()

    @property
    def records(self) -> Records:
        """The records so far as NumPy columns."""
        return self.log.freeze()

    # --- queries for tests, metrics and actors ------------------------------------------------

    def machine_ids(self, group: str | None = None) -> Sequence[int]:
        """Local machine indices, of one group or of the whole fleet."""
        if group is None:
            return range(self.fleet.size)
        first = 0
        for g in self.fleet.groups:
            if g.name == group:
                return range(first, first + g.count)
            first += g.count
        known = ", ".join(self.group_names)
        raise ParamError(f'unknown group "{group}"; known groups: {known}')

    def config(self, m: int) -> AgentConfig:
        """Machine ``m``'s agent configuration now."""
        return self.configs[self.m_cfg[m]]

    def installed_version(self, m: int, name: str) -> str | None:
        """The version of ``name`` installed on machine ``m``, or None."""
        x = self.ext_index.get(ExtensionId.parse(name).key)
        if x is None or not self._started:
            return None
        code = self.s_inst[m * self.n_ext + x]
        return self.ext_versions[x][code] if code >= 0 else None

    def provisioning_state(self, m: int, name: str) -> str:
        """Azure's ``provisioningState`` of ``name`` on machine ``m`` ("" if no resource)."""
        x = self.ext_index[ExtensionId.parse(name).key]
        prov = Prov(self.s_prov[m * self.n_ext + x])
        return "" if prov is Prov.NONE else prov.name.capitalize()

    def is_running(self, m: int, name: str) -> bool:
        """True when ``name`` is installed and running on ``m`` (R24)."""
        x = self.ext_index[ExtensionId.parse(name).key]
        if self.s_inst[m * self.n_ext + x] < 0:
            return False
        return self.x_service_hosted[x] or self.controls[self.m_cfg[m]].manager_enabled
