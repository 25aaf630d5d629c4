"""An inventory as a fleet: alike machines collapsed into groups (:func:`convert_inventory`)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sim.engine.fleet import FleetSpec, GroupSpec, InstalledExtension, Outage
from sim.engine.params import DAY
from sim.rules.versions import AgentVersion
from sim.scenario.inventory.anonymise import DEFAULT_TAG_KEYS, anonymised
from sim.scenario.inventory.assembly import Inventory
from sim.scenario.inventory.local_config import config_commands
from sim.scenario.inventory.located import InventoryError, InventoryNote
from sim.scenario.inventory.resources import Machine, ReportedConfig, Status

GROUP_KEYS = ("resource_group", "subscription", "location")
"""What ``group_by`` may name."""
EXPIRED_OUTAGE_S = 365 * DAY
"""Outage of an Expired machine: longer than the 45 days after which a machine expires (R28)."""
DISCONNECTED_BEFORE_S = 3_600.0
"""How long an imported Disconnected machine is taken to have been without heartbeats at the
start: an hour, past the 15-30 minutes after which Azure shows Disconnected (R28)."""


@dataclass(frozen=True)
class FleetImport:
    """An inventory as a fleet: the groups, which machines each holds, and warnings."""

    fleet: FleetSpec
    members: Mapping[str, tuple[str, ...]]
    """Group name -> names of its machines (pseudonyms when anonymised)."""
    warnings: tuple[str, ...]
    group_by: tuple[str, ...]


Signature = tuple[Any, ...]


def inventory_to_fleet(
    inventory: Inventory, *, group_by: Sequence[str] = ("resource_group",),
    anonymise: bool = False, seed: int = 0, disconnected_s: float = DAY,
    expired_s: float = EXPIRED_OUTAGE_S, unknown_agent_version: str = "1.58",
    tag_keys: Sequence[str] = DEFAULT_TAG_KEYS, path: str = "direct",
) -> FleetSpec:
    """The fleet of ``inventory``: :func:`convert_inventory`\\ ``(...).fleet`` (which also
    gives the conversion's warnings and the machines of each group)."""
    return convert_inventory(
        inventory, group_by=group_by, anonymise=anonymise, seed=seed,
        disconnected_s=disconnected_s, expired_s=expired_s,
        unknown_agent_version=unknown_agent_version, tag_keys=tag_keys, path=path).fleet


def convert_inventory(
    inventory: Inventory, *, group_by: Sequence[str] = ("resource_group",),
    anonymise: bool = False, seed: int = 0, disconnected_s: float = DAY,
    expired_s: float = EXPIRED_OUTAGE_S, unknown_agent_version: str = "1.58",
    tag_keys: Sequence[str] = DEFAULT_TAG_KEYS, path: str = "direct",
) -> FleetImport:
    """Collapse alike machines into groups named ``<group key>-<os>-<n>``.

    Machines are alike when they share the group key (``group_by``, values of
    :data:`GROUP_KEYS`, lower-cased, joined by ``-``; ``()`` puts all in ``fleet``), OS, agent
    version, location, configuration commands, installed (Succeeded or Failed) extensions
    with versions, settings, state and automatic-upgrade switch (``enableAutomaticUpgrade``;
    absent means on, Azure's default), ``tag_keys`` tags, SQL Server flag and status. Within a
    key and OS, groups are numbered from 1 by descending size, then by content: the names
    depend only on the inventory. A Disconnected group gets ``Outage(0, disconnected_s)`` that
    started :data:`DISCONNECTED_BEFORE_S` before the run, an Expired one
    ``Outage(0, expired_s)`` that started ``expired_s`` before it: Azure shows them so from the
    start (R28). An unknown agent version is taken as ``unknown_agent_version``, with a
    warning. ``anonymise`` applies :func:`anonymised` first.

    Raises:
        InventoryError: an unknown ``group_by`` key, or a bad ``unknown_agent_version``.
    """
    unknown = [k for k in group_by if k not in GROUP_KEYS]
    if unknown:
        raise InventoryError(f'unknown group_by key "{unknown[0]}"; expected one of '
                             f"{', '.join(GROUP_KEYS)}")
    if anonymise:
        inventory = anonymised(inventory, seed, tag_keys)
    converter = _Converter(tuple(group_by), tag_keys, _version(unknown_agent_version))
    buckets = converter.buckets(inventory.machines)
    groups, members, warnings = [], {}, list(converter.warnings())
    for name, signature, names in _named(buckets):
        groups.append(_group_spec(name, signature, len(names), path, disconnected_s, expired_s))
        members[name] = tuple(names)
        warnings.extend(f"group {name}: {n} of {len(names)} machines: {problem}"
                        for problem, n in converter.problems.get(signature, {}).items())
    return FleetImport(FleetSpec(tuple(groups)), members, tuple(warnings), tuple(group_by))


def _version(text: str) -> AgentVersion:
    try:
        return AgentVersion.parse(text)
    except ValueError as exc:
        raise InventoryError(f"unknown_agent_version: {exc}") from None


class _Converter:
    """Signatures of machines, with command lines computed once per distinct configuration."""

    def __init__(self, group_by: tuple[str, ...], tag_keys: Sequence[str],
                 fallback: AgentVersion) -> None:
        self.group_by, self.fallback = group_by, fallback
        self.tag_keys = {k.lower(): k for k in tag_keys}
        self.problems: dict[Signature, Counter[str]] = {}
        """Per signature, how many of its machines have each configuration problem."""
        self._commands: dict[tuple[AgentVersion, ReportedConfig],
                             tuple[tuple[str, ...], tuple[str, ...]]] = {}
        self._spelling: dict[str, str] = {}
        self._unknown_version: list[str] = []
        self._odd_versions: dict[str, str] = {}

    def buckets(self, machines: Iterable[Machine]) -> dict[Signature, list[str]]:
        """Machine names by signature, in first-seen order."""
        buckets: dict[Signature, list[str]] = {}
        for machine in machines:
            version = machine.agent_version
            if version is None:
                version = self.fallback
                self._unknown_version.append(machine.name)
            lines, problems = self._lines(version, machine.config)
            signature = self.signature(machine, version, lines)
            buckets.setdefault(signature, []).append(machine.name)
            if problems:
                self.problems.setdefault(signature, Counter()).update(problems)
        return buckets

    def signature(self, m: Machine, version: AgentVersion, lines: tuple[str, ...]) -> Signature:
        """(key, os, version, location, commands, extensions, tags, sql, status)."""
        key = "-".join(_key_value(m, k) for k in self.group_by) or "fleet"
        tags = tuple(sorted((self.tag_keys[k.lower()], v) for k, v in m.tags.items()
                            if k.lower() in self.tag_keys)) if m.tags else ()
        return (key, m.os, (version.major, version.minor), m.location.lower() or "unknown",
                lines, self._extensions(m), tags, m.sql_server, m.status.value)

    def _lines(self, version: AgentVersion,
               config: ReportedConfig) -> tuple[tuple[str, ...], tuple[str, ...]]:
        cached = self._commands.get((version, config))
        if cached is None:
            cached = self._commands[(version, config)] = config_commands(config, version)
        return cached

    def _extensions(self, m: Machine) -> tuple[tuple[str, str, str, str, bool], ...]:
        found = []
        for ext in m.installed:
            name = self._spelling.setdefault(ext.extension.key, ext.extension.name)
            state = "Failed" if ext.is_failed else "Succeeded"
            automatic = ext.automatic_upgrade is not False  # absent: on, Azure's default
            found.append((name, self._version_of(ext.version), ext.settings, state, automatic))
        return tuple(sorted(found, key=lambda e: (e[0].lower(), e[1], e[2], e[3], e[4])))

    def _version_of(self, text: str) -> str:
        """``typeHandlerVersion`` as a scenario version: its leading numbers (``1.2-beta`` ->
        ``1.2``, ``2`` -> ``2.0``), else "1.0"; "" stays (no version). The odd ones are listed
        in a warning."""
        if not text or _VERSION.fullmatch(text):
            return text
        usable = self._odd_versions.get(text)
        if usable is None:
            lead = _LEADING_NUMBERS.match(text)
            numbers = lead.group(0) if lead else "1"
            usable = self._odd_versions[text] = numbers if "." in numbers else f"{numbers}.0"
        return usable

    def warnings(self) -> list[str]:
        """Warnings about the whole conversion (call after :meth:`buckets`)."""
        found = []
        if self._unknown_version:
            found.append(str(InventoryNote(
                f"agentVersion unknown (null); simulated as agent {self.fallback}", "machine",
                len(self._unknown_version), tuple(self._unknown_version[:3]))))
        if self._odd_versions:
            taken = ", ".join(f'"{k}" as {v}' for k, v in sorted(self._odd_versions.items())[:5])
            found.append(f"typeHandlerVersion not made of dotted numbers, taken as its leading "
                         f"numbers: {taken}")
        return found


def _key_value(machine: Machine, key: str) -> str:
    """The machine's value of a :data:`GROUP_KEYS` key (each is a :class:`Machine` field),
    lower-cased, with characters a group name cannot hold (resource groups may have
    parentheses) replaced by ``-``."""
    value: str = getattr(machine, key)
    return _UNNAMEABLE.sub("-", value.lower()).strip("-_.") or "unknown"


_UNNAMEABLE = re.compile(r"[^a-z0-9_.-]+")
_VERSION = re.compile(r"\d+(?:\.\d+)+")
_LEADING_NUMBERS = re.compile(r"\d+(?:\.\d+)*")


def _named(buckets: dict[Signature, list[str]]) -> list[tuple[str, Signature, list[str]]]:
    """Buckets in a deterministic order with names ``<key>-<os>-<n>``."""
    ordered = sorted(buckets.items(), key=lambda kv: (kv[0][0], kv[0][1], -len(kv[1]), kv[0]))
    numbers: Counter[tuple[str, str]] = Counter()
    named = []
    for signature, names in ordered:
        numbers[(signature[0], signature[1])] += 1
        n = numbers[(signature[0], signature[1])]
        named.append((f"{signature[0]}-{signature[1]}-{n}", signature, sorted(names)))
    return named


def _group_spec(name: str, signature: Signature, count: int, path: str, disconnected_s: float,
                expired_s: float) -> GroupSpec:
    _, os_name, (major, minor), location, commands, exts, tags, sql, status = signature
    outage = {Status.DISCONNECTED.value: (Outage(0.0, disconnected_s,
                                                 offline_before_s=DISCONNECTED_BEFORE_S),),
              Status.EXPIRED.value: (Outage(0.0, expired_s, offline_before_s=expired_s),)
              }.get(status, ())
    return GroupSpec(
        name, count, os=os_name, agent_versions={f"{major}.{minor}": 1.0}, region=location,
        path=path, extensions=tuple(InstalledExtension(n, v or "1.0", s, state=state,
                                                       auto_upgrade=automatic)
                                    for n, v, s, state, automatic in exts),
        commands=commands, tags=dict(tags), sql_server=sql, outages=outage)
