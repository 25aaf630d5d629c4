"""Import a fleet from an inventory export (issue 8): machines, extensions, local configuration.

Reading and format detection live in :mod:`sim.scenario.inventory_formats`; this module
assembles an :class:`Inventory` from one or more files, turns it into a
:class:`~sim.engine.FleetSpec` (:func:`inventory_to_fleet`, :func:`convert_inventory`), writes
that as an editable YAML ``fleet:`` list (:func:`write_fleet_yaml`) and describes what was
imported (:func:`summary`)::

    inventory = load_inventory("machines.json", "extensions.json")
    result = convert_inventory(inventory, group_by=("resource_group",), anonymise=True)
    write_fleet_yaml(result.fleet, "fleet.yaml")
    print(summary(inventory, result))

The local configuration Azure reports (R8: Azure can read it, never write it) becomes the
``azcmagent config set`` lines that produce it on a fresh agent, checked with the rules layer;
what the agent version cannot express (R15, R19, R30) is dropped with a warning.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import yaml

from sim.engine.fleet import FleetSpec, GroupSpec, InstalledExtension, Outage
from sim.engine.params import DAY
from sim.rules.catalogue import default_monitor_list
from sim.rules.commands import CommandError, apply, apply_all
from sim.rules.config import AgentConfig, Mode
from sim.rules.versions import AgentVersion
from sim.scenario.inventory_formats import (
    ConfigCache,
    ImportedExtension,
    InventoryError,
    InventoryFormat,
    InventoryNote,
    Item,
    Kind,
    Machine,
    Notes,
    Page,
    ReportedConfig,
    SourceDocument,
    Status,
    classify,
    parse_data,
    parse_document,
    read_document,
    read_extension,
    read_machine,
)
from sim.scenario.source import format_path
from sim.scenario.units import format_duration

__all__ = [
    "DEFAULT_TAG_KEYS", "EXPIRED_OUTAGE_S", "GROUP_KEYS", "FleetImport", "ImportedExtension",
    "Inventory", "InventoryError", "InventoryFormat", "InventoryNote", "Machine",
    "ReportedConfig", "Source", "Status", "anonymised", "build_inventory", "command_lines",
    "config_commands", "convert_inventory", "fleet_to_data", "intended_config",
    "inventory_from_data", "inventory_from_text", "inventory_to_fleet", "load_inventory",
    "pseudonym", "summary", "write_fleet_yaml",
]

GROUP_KEYS = ("resource_group", "subscription", "location")
"""What ``group_by`` may name."""
DEFAULT_TAG_KEYS = ("ArcSQLServerExtensionDeployment",)
"""Tags kept on groups: the ones the simulation reads (R6b SQL Server opt-out)."""
EXPIRED_OUTAGE_S = 365 * DAY
"""Outage of an Expired machine: longer than the 45 days after which a machine expires (R28)."""


@dataclass(frozen=True, slots=True)
class Source:
    """One input file: its detected format and what it held."""

    file: str
    format: InventoryFormat
    machines: int
    extensions: int
    pages: int


@dataclass(frozen=True)
class Inventory:
    """Machines read from one or more exports, with their extensions matched to them."""

    machines: tuple[Machine, ...]
    sources: tuple[Source, ...]
    warnings: tuple[InventoryNote, ...] = ()

    @property
    def format(self) -> str:
        """The detected format(s), e.g. ``arm-rest`` or ``arm-rest + az-cli-list``."""
        return " + ".join(dict.fromkeys(s.format.value for s in self.sources))


# --- loading -------------------------------------------------------------------------------


def load_inventory(*paths: str | os.PathLike[str]) -> Inventory:
    """Read export files (any mix of formats: machines, extensions, pages of one list, in
    order) into an :class:`Inventory`.

    Raises:
        InventoryError: a file cannot be read or parsed, a machine or extension is malformed
            (file and JSON path in the message), or no machine was found.
    """
    if not paths:
        raise InventoryError("no inventory file given")
    return build_inventory(read_document(path) for path in paths)


def inventory_from_text(text: str, filename: str = "<string>") -> Inventory:
    """An :class:`Inventory` from one export given as text (JSON or CSV); errors as
    :func:`load_inventory`, labelled with ``filename``."""
    return build_inventory([parse_document(text, filename)])


def inventory_from_data(*documents: Any, filename: str = "<data>") -> Inventory:
    """An :class:`Inventory` from already-decoded JSON documents (each as it would be in a
    file); errors as :func:`load_inventory`, labelled ``filename[i]`` when there are several."""
    names = [filename] if len(documents) == 1 else [f"{filename}[{i}]"
                                                    for i in range(len(documents))]
    return build_inventory(parse_data(doc, name) for doc, name in zip(documents, names,
                                                                      strict=True))


def build_inventory(documents: Iterable[SourceDocument]) -> Inventory:
    """Assemble machines and extensions from located documents, matching each extension to its
    machine by the id prefix before ``/extensions/`` (case-insensitive; a machine exported
    without an id is matched by its name). Duplicates keep the first; extensions of machines
    not in the inventory are ignored; both with a warning.

    Raises:
        InventoryError: as :func:`load_inventory`.
    """
    notes, assembly, sources = Notes(), _Assembly(), []
    docs = list(documents)
    for doc in docs:
        sources.append(assembly.add_document(doc, notes))
    _check_pages(docs, notes)
    machines = assembly.machines_with_extensions(notes)
    if not machines:
        files = ", ".join(s.file for s in sources)
        raise InventoryError(f"no Arc-enabled machines found in {files} (an extensions list "
                             "needs the machines export too)")
    return Inventory(machines, tuple(sources), notes.notes())


class _Assembly:
    """Machines by key and extensions by machine key, as documents are added."""

    def __init__(self) -> None:
        self.machines: dict[str, Machine] = {}
        self.extensions: dict[str, dict[str, ImportedExtension]] = {}
        self.ext_names: dict[str, str] = {}
        self.configs: ConfigCache = {}

    def add_document(self, doc: SourceDocument, notes: Notes) -> Source:
        """Add every resource of ``doc``; returns what it held."""
        machines = extensions = 0
        others: Counter[str] = Counter()
        for item in doc.items:
            kind, type_ = classify(item)
            if kind is Kind.MACHINE:
                machines += 1
                self._add_machine(item, notes)
            elif kind is Kind.EXTENSION:
                extensions += 1
                self._add_extension(*read_extension(item), notes)
            else:
                others[type_.lower()] += 1
        _note_others(doc, machines + extensions, others, notes)
        return Source(doc.file, doc.format, machines, extensions, len(doc.pages))

    def _add_machine(self, item: Item, notes: Notes) -> None:
        machine = read_machine(item, notes, self.configs)
        if machine is None:
            return
        if self.machines.setdefault(machine.key, machine) is not machine:
            notes.add(f"{item.file}: machine listed more than once; the first is kept",
                      "machine", machine.name)
        for j, child in enumerate(_embedded(item)):
            _, _, ext = read_extension(Item(item.file, (*item.path, "resources", j), child,
                                            item.line))
            self._add_extension(machine.key, machine.name, ext, notes)

    def _add_extension(self, key: str, name: str, ext: ImportedExtension, notes: Notes) -> None:
        if not key:
            notes.add("extension without a machine id (…/machines/<name>/extensions/<ext>); "
                      "ignored", "extension")
            return
        per_machine = self.extensions.setdefault(key, {})
        self.ext_names.setdefault(key, name)
        if per_machine.setdefault(ext.extension.key, ext) is not ext:
            notes.add(f"extension {ext.extension} listed more than once for a machine; the first "
                      "is kept", "machine", name)

    def machines_with_extensions(self, notes: Notes) -> tuple[Machine, ...]:
        """The machines with their extensions; unmatched and not-Succeeded ones noted."""
        by_name = {f"name:{m.name.lower()}": k for k, m in self.machines.items() if not m.id}
        for key, exts in self.extensions.items():
            name = self.ext_names[key]
            target = key if key in self.machines else by_name.get(f"name:{name.lower()}")
            if target is None:
                for _ in exts:
                    notes.add("extensions of machines that are not in the inventory; ignored",
                              "extension", name)
                continue
            machine = self.machines[target]
            self.machines[target] = machine.with_extensions(tuple(exts.values()))
            for ext in exts.values():
                if not ext.is_installed:
                    state = ext.provisioning_state or "no provisioningState"
                    notes.add(f"extensions in state {state} are not counted as installed (only "
                              "Succeeded ones are, R6c)", "extension", machine.name)
        return tuple(self.machines.values())


def _embedded(item: Item) -> list[Mapping[str, Any]]:
    """Extension resources embedded in a machine resource (``resources``, with $expand)."""
    resources = item.data.get("resources")
    if not isinstance(resources, list):
        return []
    return [r for r in resources if isinstance(r, dict)]


def _note_others(doc: SourceDocument, arc_resources: int, others: Counter[str],
                 notes: Notes) -> None:
    """Other resource types are ignored with a note; a file of only those is no inventory."""
    if not others:
        return
    types = ", ".join(f"{t} ({n})" for t, n in sorted(others.items()))
    if not arc_resources:
        raise InventoryError("unknown inventory format: no Arc-enabled machines "
                             f"(microsoft.hybridcompute/machines) or extensions, only {types}",
                             file=doc.file)
    notes.add(f"{doc.file}: resources of other types ignored: {types}")


def _check_pages(docs: list[SourceDocument], notes: Notes) -> None:
    """Warn when the last page of machines (or of extensions) links to more results: the
    export is incomplete."""
    last: dict[Kind, Page] = {}
    for doc in docs:
        offset = 0
        for page in doc.pages:
            if page.items:
                last[classify(doc.items[offset])[0]] = page
            offset += page.items
    for page in last.values():
        if page.next_link:
            where = format_path(page.path) or "top level"
            notes.add(f"{page.file}: {where}: the last page links to more results "
                      "(nextLink or skip token); the export is incomplete: give every page "
                      "(several files or a JSON list of pages)")


# --- local configuration as commands ---------------------------------------------------------


def command_lines(config: ReportedConfig) -> tuple[str, ...]:
    """The ``azcmagent config set`` lines that produce ``config`` on a fresh agent.

    Lists first (they are frozen in monitor mode, R21), the mode last. In monitor mode the
    reported lists are the Microsoft-managed ones (R19), so no list is set.
    """
    prefix = "azcmagent config set"
    lines = []
    if config.mode is Mode.FULL:
        for key, names in (("allowlist", config.allowlist), ("blocklist", config.blocklist)):
            if names:
                lines.append(f'{prefix} extensions.{key} "{",".join(e.name for e in names)}"')
        if not config.guest_configuration_enabled:
            lines.append(f"{prefix} guestconfiguration.enabled false")
    if not config.extensions_enabled:
        lines.append(f"{prefix} extensions.enabled false")
    if config.mode is Mode.MONITOR:
        lines.append(f"{prefix} config.mode monitor")
    return tuple(lines)


def intended_config(config: ReportedConfig, version: AgentVersion) -> AgentConfig:
    """The rules layer's configuration for what Azure reports, on an agent of ``version``."""
    if config.mode is Mode.MONITOR:
        return AgentConfig(version, extensions_enabled=config.extensions_enabled,
                           mode=Mode.MONITOR)
    return AgentConfig(version, config.allowlist, config.blocklist, config.extensions_enabled,
                       config.guest_configuration_enabled)


def config_commands(config: ReportedConfig,
                    version: AgentVersion) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``(command lines, problems)``: the lines of :func:`command_lines` that an agent of
    ``version`` accepts, checked by applying them to a fresh agent (``apply_all``) and
    comparing with :func:`intended_config`; each refused line or difference is a problem."""
    state, kept, problems = AgentConfig.fresh(version), [], []
    for line in command_lines(config):
        try:
            state = apply(line, state).state.config
            kept.append(line)
        except CommandError as exc:
            rule = f" ({exc.rule})" if exc.rule else ""
            problems.append(f"cannot run `{line}` on agent {version}: {exc.message}{rule}; "
                            "simulated without it")
    reproduced = apply_all(kept, AgentConfig.fresh(version)).config
    if reproduced != intended_config(config, version) and not problems:
        problems.append(f"the commands do not reproduce the reported configuration on "
                        f"agent {version}")
    problems.extend(_monitor_list_problems(config, version))
    return tuple(kept), tuple(problems)


def _monitor_list_problems(config: ReportedConfig, version: AgentVersion) -> list[str]:
    if config.mode is not Mode.MONITOR or not (config.allowlist or config.blocklist):
        return []
    assumed = {e.key for e in default_monitor_list(version)}
    if {e.key for e in config.allowlist} == assumed and not config.blocklist:
        return []
    return [f"monitor mode reports lists ({len(config.allowlist)} allowed, "
            f"{len(config.blocklist)} blocked) that differ from arcsim's assumed monitor list "
            f"for agent {version} (R19); the run uses arcsim's list"]


# --- anonymising -----------------------------------------------------------------------------


def pseudonym(kind: str, name: str, seed: int = 0) -> str:
    """A stable pseudonym ``<kind>-<12 hex>``: a keyed hash (HMAC-SHA256, key from ``seed``) of
    the lower-cased name. The same name and seed always give the same pseudonym; anyone who
    knows the seed can test guesses, so share results, not the seed."""
    return _keyed_hash(kind, name.lower(), seed)


def _keyed_hash(kind: str, text: str, seed: int) -> str:
    key = f"arcsim-anonymise:{seed}".encode()
    digest = hmac.new(key, f"{kind}:{text}".encode(), hashlib.sha256).hexdigest()
    return f"{kind}-{digest[:12]}"


def anonymised(inventory: Inventory, seed: int = 0,
               keep_tags: Sequence[str] = DEFAULT_TAG_KEYS) -> Inventory:
    """``inventory`` with machine names, resource groups and subscriptions replaced by
    :func:`pseudonym`\\ s (ids rebuilt from them), tags other than ``keep_tags`` dropped,
    extension settings replaced by a keyed hash of them (alike settings stay alike), and
    warning examples pseudonymised. File names (in sources and warnings) are kept."""
    keep = {k.lower() for k in keep_tags}
    machines = tuple(_anonymise_machine(m, seed, keep) for m in inventory.machines)
    notes = tuple(replace(n, examples=tuple(pseudonym("m", e, seed) for e in n.examples))
                  for n in inventory.warnings)
    return replace(inventory, machines=machines, warnings=notes)


def _anonymise_machine(machine: Machine, seed: int, keep: set[str]) -> Machine:
    name = pseudonym("m", machine.name, seed)
    sub = pseudonym("sub", machine.subscription, seed) if machine.subscription else ""
    group = pseudonym("rg", machine.resource_group, seed) if machine.resource_group else ""
    rid = (f"/subscriptions/{sub}/resourceGroups/{group}/providers/Microsoft.HybridCompute/"
           f"machines/{name}")
    extensions = tuple(replace(e, settings=_keyed_hash("settings", e.settings, seed))
                       if e.settings else e for e in machine.extensions)
    tags = {k: v for k, v in machine.tags.items() if k.lower() in keep}
    return replace(machine, name=name, id=rid, subscription=sub, resource_group=group,
                   tags=tags, extensions=extensions)


# --- the fleet -------------------------------------------------------------------------------


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
    version, location, configuration commands, installed (Succeeded) extensions with versions
    and settings, ``tag_keys`` tags, SQL Server flag and status. Within a key and OS, groups
    are numbered from 1 by descending size, then by content: the names depend only on the
    inventory. A Disconnected group gets ``Outage(0, disconnected_s)``, an Expired one
    ``Outage(0, expired_s)`` (R28). An unknown agent version is taken as
    ``unknown_agent_version``, with a warning. ``anonymise`` applies :func:`anonymised` first.

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
        self._auto_upgrade_off = 0

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

    def _extensions(self, m: Machine) -> tuple[tuple[str, str, str], ...]:
        found = []
        for ext in m.installed:
            name = self._spelling.setdefault(ext.extension.key, ext.extension.name)
            found.append((name, ext.version, ext.settings))
            self._auto_upgrade_off += ext.automatic_upgrade is False
        return tuple(sorted(found, key=lambda e: (e[0].lower(), e[1], e[2])))

    def warnings(self) -> list[str]:
        """Warnings about the whole conversion (call after :meth:`buckets`)."""
        found = []
        if self._unknown_version:
            found.append(str(InventoryNote(
                f"agentVersion unknown (null); simulated as agent {self.fallback}", "machine",
                len(self._unknown_version), tuple(self._unknown_version[:3]))))
        if self._auto_upgrade_off:
            found.append(f"{self._auto_upgrade_off} installed extensions have automatic upgrade "
                         "off; groups carry no such switch, so an automatic-upgrade actor would "
                         "upgrade them (R25)")
        return found


def _key_value(machine: Machine, key: str) -> str:
    """The machine's value of a :data:`GROUP_KEYS` key (each is a :class:`Machine` field)."""
    value: str = getattr(machine, key)
    return value.lower() or "unknown"


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
    outage = {Status.DISCONNECTED.value: (Outage(0.0, disconnected_s),),
              Status.EXPIRED.value: (Outage(0.0, expired_s),)}.get(status, ())
    return GroupSpec(
        name, count, os=os_name, agent_versions={f"{major}.{minor}": 1.0}, region=location,
        path=path, extensions=tuple(InstalledExtension(n, v or "1.0", s) for n, v, s in exts),
        commands=commands, tags=dict(tags), sql_server=sql, outages=outage)


# --- YAML --------------------------------------------------------------------------------------


class _Writable(Protocol):
    def write(self, text: str, /) -> object: ...


def fleet_to_data(fleet: FleetSpec) -> dict[str, Any]:
    """The scenario format's ``fleet:`` list as plain data (what :func:`write_fleet_yaml`
    writes): versions as strings, durations as texts (``"1d"``)."""
    return {"fleet": [_group_data(group) for group in fleet.groups]}


def _group_data(group: GroupSpec) -> dict[str, Any]:
    data: dict[str, Any] = {"group": group.name, "count": group.count, "os": group.os}
    if len(group.agent_versions) == 1:
        data["agent_version"] = next(iter(group.agent_versions))
    else:
        data["agent_versions"] = {v: float(s) for v, s in group.agent_versions.items()}
    data.update(
        region=group.region, path=group.path,
        extensions=[_extension_data(e) for e in group.extensions], tags=dict(group.tags),
        sql_server=group.sql_server, commands=list(group.commands),
        outages=[{"at": _duration(o.start_s), "duration": _duration(o.duration_s),
                  "share": float(o.share)} for o in group.outages])
    return data


def _extension_data(ext: InstalledExtension) -> str | dict[str, str]:
    if ext.version == "1.0" and not ext.settings:
        return ext.name
    data = {"name": ext.name, "version": ext.version}
    return {**data, "settings": ext.settings} if ext.settings else data


def _duration(seconds: float) -> str:
    """``"1d"``, ``"365d"``, ``"2h"``, ``"0s"``: one unit when it divides evenly."""
    for unit, factor in (("d", DAY), ("h", 3600.0), ("m", 60.0), ("s", 1.0)):
        if seconds % factor == 0 and (seconds or unit == "s"):
            return f"{int(seconds // factor)}{unit}"
    return format_duration(seconds)


class _FleetDumper(yaml.SafeDumper):
    """Double-quotes strings that YAML would otherwise read as numbers (``"1.58"``)."""


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    implicit = dumper.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    style = '"' if implicit != "tag:yaml.org,2002:str" else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_FleetDumper.add_representer(str, _represent_text)


def write_fleet_yaml(fleet: FleetSpec, target: str | os.PathLike[str] | _Writable, *,
                     header: str = "") -> None:
    """Write ``fleet`` as an editable YAML ``fleet:`` list to a path or a text stream.

    ``header`` lines become comments at the top. :func:`yaml.safe_load` of the text gives
    :func:`fleet_to_data`\\ ``(fleet)``.
    """
    comments = header or "Fleet imported by arcsim from an inventory export; edit freely."
    text = "".join(f"# {line}\n" for line in comments.splitlines())
    text += yaml.dump(fleet_to_data(fleet), Dumper=_FleetDumper, sort_keys=False,
                      allow_unicode=True, width=10_000, default_flow_style=False)
    if isinstance(target, str | os.PathLike):
        Path(target).write_text(text, encoding="utf-8")
    else:
        target.write(text)


# --- summary -------------------------------------------------------------------------------


def summary(inventory: Inventory, conversion: FleetImport | None = None) -> str:
    """What was imported: sources and formats, machines by OS, agent version and status,
    installed extensions by type, other provisioning states, groups after collapsing
    (``conversion``, default: :func:`convert_inventory` with its defaults) and warnings."""
    if conversion is None:
        conversion = convert_inventory(inventory)
    machines = inventory.machines
    lines = [f"Imported {_n(len(machines), 'machine')} ({inventory.format}):"]
    lines += [f"  {s.file}: {s.format.description}: {_n(s.machines, 'machine')}, "
              f"{_n(s.extensions, 'extension')}" + (f", {s.pages} pages" if s.pages > 1 else "")
              for s in inventory.sources]
    exts = [e for m in machines for e in m.extensions]
    lines += [
        _counts("Machines by OS", (m.os for m in machines)),
        _counts("Machines by agent version", (str(m.agent_version or "unknown")
                                              for m in machines)),
        _counts("Machines by status", (m.status.value for m in machines)),
        _counts("Installed extensions (Succeeded) by type",
                (e.extension.name for e in exts if e.is_installed)),
        _counts("Extensions not installed, by provisioning state",
                (e.provisioning_state or "none" for e in exts if not e.is_installed)),
        f"Groups after collapsing by {', '.join(conversion.group_by) or 'nothing'}: "
        f"{len(conversion.fleet.groups)}",
    ]
    warnings = [str(n) for n in inventory.warnings] + list(conversion.warnings)
    lines.append(f"Warnings: {len(warnings)}" if warnings else "Warnings: none")
    lines += [f"  - {w}" for w in warnings]
    return "\n".join(lines)


def _counts(title: str, values: Iterable[str]) -> str:
    counted = Counter(values)
    if not counted:
        return f"{title}: none"
    order = sorted(counted.items(), key=lambda kv: (-kv[1], kv[0].lower()))
    return f"{title}: " + ", ".join(f"{name} {n}" for name, n in order)



def _n(count: int, unit: str) -> str:
    return f"{count} {unit}{'' if count == 1 else 's'}"
