"""A run's name tables and interned agent configurations (design: Records, Scale).

Records and state arrays hold small integers; :class:`Tables` gives them names: groups, download
paths, actors, extensions and their versions, and distinct agent configurations. Names are
interned once (``extension``, ``actor``, ``intern``) and never renumbered, so a code means the
same thing for the whole run. Everything that follows from a configuration alone (the config
after a command, a decision, what a local removal removes) is worked out once per distinct
configuration and cached here: a fleet of a million machines has a handful of configurations.
"""

from __future__ import annotations

from collections.abc import Sequence

from sim.engine.codes import REASON_CODE, RULE_CODE
from sim.engine.params import ParamError
from sim.rules.commands import Command, CommandError, LocalState, config_after, execute
from sim.rules.config import AgentConfig
from sim.rules.decision import Controls, Operation, compile_controls
from sim.rules.identity import ExtensionId
from sim.rules.lockdown import lockdown_code
from sim.rules.readings import DEFAULT_READINGS, Readings

_OPERATIONS = (Operation.INSTALL, Operation.UPDATE, Operation.UPGRADE, Operation.DELETE,
               Operation.INSTALL)
"""Rules operation for each request Op code (a reinstall is decided as an install)."""

Removal = tuple[int, ...] | CommandError
"""What ``azcmagent extension remove`` does: the extensions it removes, or the refusal."""


class Tables:
    """The names behind a run's codes, and its distinct agent configurations."""

    def __init__(self, groups: Sequence[str], paths: Sequence[str],
                 readings: Readings = DEFAULT_READINGS) -> None:
        self.group_names = list(groups)
        """Fleet group names; a record's ``group`` and ``FleetState.m_group`` index them."""
        self.path_names = list(paths)
        """Download path names (``EngineParams.paths``); ``FleetState.m_path`` indexes them."""
        self.actor_names: list[str] = ["system", "resync", "local_admin", "cloud_admin"]
        """Actor names; a record's ``actor`` indexes them (1, ``resync``: the manager's own
        reinstalls, R6)."""
        self.actor_roles: dict[int, str] = {}
        """Azure role of each actor that holds one (R27, lower case): those asking for
        extension operations and those changing Azure Policy; actors not listed act as the
        platform."""
        self.actor_overrides: set[int] = set()
        """Actors whose config changes are overrides of a lockdown (R17)."""
        self.trusted_scripts: set[int] = set()
        """Actors marked ``override: false``: the config changes of the scripts they send are
        not overrides; every other sender's are (R7, R17)."""
        self.upgrade_actors: set[int] = set()
        """Automatic-upgrade actors (R25): their upgrades are POST actions (R26, R29)."""
        self.readings = readings
        """How the rules read what the documentation leaves open (:mod:`sim.rules.readings`):
        commands are applied with them."""
        self.ext_ids: list[ExtensionId] = []
        """Extensions by index (the ``x`` of a slot, a record's ``extension``)."""
        self.ext_index: dict[str, int] = {}
        """Extension index by lower-case ``publisher/type`` key."""
        self.ext_versions: list[list[str]] = []
        """Known versions of each extension; a version code indexes its list."""
        self.configs: list[AgentConfig] = []
        """Distinct agent configurations; ``FleetState.m_cfg`` indexes them."""
        self.controls: list[Controls] = []
        """Each configuration compiled for decisions (same index)."""
        self.lockdown: list[int] = []
        """Each configuration's lockdown code (same index; :mod:`sim.rules.lockdown`): what
        configuration records carry."""
        self.closed = False
        """True once the run started: the state is sized by the extension table."""
        self._config_ids: dict[AgentConfig, int] = {}
        self._after: dict[tuple[int, Command], int | CommandError] = {}
        self._decisions: dict[int, tuple[bool, int, int]] = {}
        self._removals: dict[tuple[Command, int, int, bool], Removal] = {}
        self._lowers: dict[tuple[int, int], bool] = {}

    def extension(self, name: str, version: str | None = None) -> int:
        """The index of extension ``name`` (registering it, and ``version``).

        Raises:
            ParamError: a new extension after the run started.
            ExtensionIdError: ``name`` is not ``Publisher/Type``.
        """
        ext = ExtensionId.parse(name)
        index = self.ext_index.get(ext.key)
        if index is None:
            if self.closed:
                raise ParamError(f'extension "{name}" was not registered before the run started')
            index = len(self.ext_ids)
            self.ext_index[ext.key] = index
            self.ext_ids.append(ext)
            self.ext_versions.append([])
        if version is not None and version not in self.ext_versions[index]:
            self.ext_versions[index].append(version)
        return index

    def version_code(self, x: int, version: str | None) -> int:
        """The code of ``version`` of extension ``x`` (registering it); None means its newest
        known version ("1.0" when none is known)."""
        versions = self.ext_versions[x]
        if version is None:
            if not versions:
                versions.append("1.0")
            return len(versions) - 1
        if version not in versions:
            versions.append(version)
        return versions.index(version)

    def actor(self, name: str) -> int:
        """The index of actor ``name`` (registering it)."""
        if name not in self.actor_names:
            self.actor_names.append(name)
        return self.actor_names.index(name)

    def intern(self, config: AgentConfig) -> int:
        """The id of ``config`` among the distinct configurations (adding it)."""
        cid = self._config_ids.get(config)
        if cid is None:
            cid = self._config_ids[config] = len(self.configs)
            self.configs.append(config)
            self.controls.append(compile_controls(config))
            self.lockdown.append(lockdown_code(config))
        return cid

    def config_after(self, cid: int, command: Command) -> int | CommandError:
        """The config id after ``command`` on config ``cid``, or the agent's refusal."""
        key = (cid, command)
        result = self._after.get(key)
        if result is None:
            try:
                result = self.intern(config_after(command, self.configs[cid],
                                                  readings=self.readings))
            except CommandError as exc:
                result = exc
            self._after[key] = result
        return result

    def lowers(self, before: int, after: int) -> bool:
        """Whether changing config ``before`` to config ``after`` lowers a protection (R17):
        see :func:`lowers_protection`. Worked out once per (before, after) pair."""
        key = (before, after)
        found = self._lowers.get(key)
        if found is None:
            found = self._lowers[key] = lowers_protection(
                self.configs[before], self.controls[before],
                self.configs[after], self.controls[after])
        return found

    def decision(self, cid: int, x: int, op: int) -> tuple[bool, int, int]:
        """(allowed, reason code, rule code) of request ``op`` (an ``Op`` code, install to
        reinstall) on extension ``x`` under config ``cid`` (the rules layer decides)."""
        key = ((cid << 24) + x) * 8 + op  # one int: any extension count below 2**24
        cached = self._decisions.get(key)
        if cached is None:
            d = self.controls[cid].decide(_OPERATIONS[op], self.ext_ids[x].key)
            cached = self._decisions[key] = (d.allowed, REASON_CODE[d.reason.value],
                                             RULE_CODE[d.rule])
        return cached

    def removal(self, command: Command, cid: int, present: int, service: bool,
                order: Sequence[int]) -> Removal:
        """What ``command`` (``azcmagent extension remove``) does on a machine with config
        ``cid``, the extensions of bit mask ``present`` installed (bit ``x``: extension
        ``x``) and its service running or not: the extensions it removes, in name ``order``, or
        the agent's refusal (:func:`sim.rules.commands.execute` decides)."""
        key = (command, cid, present, service)
        found = self._removals.get(key)
        if found is None:
            installed = tuple(self.ext_ids[x] for x in order if present >> x & 1)
            try:
                after = execute(command, LocalState(self.configs[cid], installed, service),
                                readings=self.readings).state
            except CommandError as exc:
                found = exc
            else:
                found = tuple(self.ext_index[e.key] for e in installed
                              if e not in after.installed)
            self._removals[key] = found
        return found

    def close(self) -> None:
        """The run starts: no new extension from now on."""
        self.closed = True


Permitted = tuple[bool, frozenset[str]]
"""The extensions a configuration lets be installed, as the rules decide
(:meth:`Controls.decide <sim.rules.decision.Controls.decide>`): ``(True, keys)`` exactly those
lower-case keys, ``(False, keys)`` every extension but those."""


def permitted(controls: Controls) -> Permitted:
    """What ``controls`` let be installed, updated or upgraded (R9, R12, R13, R15, R19, R23)."""
    if not controls.manager_enabled or (controls.allow_none and not controls.monitor):
        return True, frozenset()
    if controls.monitor:
        return True, controls.allow
    if controls.allow:
        return True, controls.allow - controls.block
    return False, controls.block


def _within(inner: Permitted, outer: Permitted) -> bool:
    """True when every extension ``inner`` permits, ``outer`` permits too."""
    (inner_only, inner_keys), (outer_only, outer_keys) = inner, outer
    if inner_only:
        return (inner_keys <= outer_keys if outer_only
                else inner_keys.isdisjoint(outer_keys))
    return not outer_only and outer_keys <= inner_keys


def lowers_protection(before: AgentConfig, before_controls: Controls, after: AgentConfig,
                      after_controls: Controls) -> bool:
    """Whether moving from ``before`` to ``after`` lowers a protection (R17, R18, R19, R23):
    ``after`` permits an extension that ``before`` refused, or it switches the extension
    manager back on, leaves monitor mode, or lets guest configuration or incoming connections
    run again. A change that only restricts more (a list set or narrowed, a mode or switch
    turned on), or changes nothing, does not."""
    if not _within(permitted(after_controls), permitted(before_controls)):
        return True
    return ((after.extensions_enabled and not before.extensions_enabled)
            or (before.is_monitor_mode and not after.is_monitor_mode)
            or (after.effective_guest_configuration
                and not before.effective_guest_configuration)
            or (after.effective_incoming_connections
                and not before.effective_incoming_connections))
