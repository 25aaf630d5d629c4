"""Arc machines and extensions as exported, and telling which an item is.

A resource's fields are read from its ``properties`` object when it has one (ARM, Resource
Graph), else from its top level (the CLI's flattened form). :func:`classify` tells a machine from
an extension; :func:`read_extension` reads an extension (machines:
:mod:`sim.scenario.inventory.machines`).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Any

from sim.rules.config import Mode
from sim.rules.identity import ExtensionId, ExtensionIdError
from sim.rules.versions import AgentVersion
from sim.scenario.inventory.located import (
    MISSING,
    Item,
    flag,
    lookup,
    mapping,
    properties,
    text,
)
from sim.scenario.source import FieldPath

MACHINE_TYPE = "microsoft.hybridcompute/machines"
EXTENSION_TYPE = "microsoft.hybridcompute/machines/extensions"
MACHINE_ID = re.compile(r"^/subscriptions/([^/]+)/resourcegroups/([^/]+)/providers/"
                        r"microsoft\.hybridcompute/machines/([^/]+)/?$", re.IGNORECASE)
"""A machine's resource id: (subscription, resource group, name)."""
EXTENSION_ID = re.compile(r"^(.*/machines/([^/]+))/extensions/[^/]+/?$", re.IGNORECASE)
"""An extension's resource id: (its machine's id, the machine's name)."""


class Status(StrEnum):
    """A machine's connection status in Azure (R28)."""

    CONNECTED = "Connected"
    DISCONNECTED = "Disconnected"
    EXPIRED = "Expired"


class Kind(Enum):
    """What a located item is."""

    MACHINE = "machine"
    EXTENSION = "extension"
    OTHER = "other"


_KINDS = {MACHINE_TYPE: Kind.MACHINE, EXTENSION_TYPE: Kind.EXTENSION}


@dataclass(frozen=True, slots=True)
class ReportedConfig:
    """The local agent configuration Azure reports (``agentConfiguration``, R8): read-only in
    Azure, set on the machine with ``azcmagent config set``. Lists are sorted by name."""

    allowlist: tuple[ExtensionId, ...] = ()
    blocklist: tuple[ExtensionId, ...] = ()
    extensions_enabled: bool = True
    guest_configuration_enabled: bool = True
    mode: Mode = Mode.FULL


@dataclass(frozen=True, slots=True)
class ImportedExtension:
    """An extension resource of a machine as exported."""

    extension: ExtensionId
    version: str
    """``typeHandlerVersion``; "" when absent."""
    provisioning_state: str
    """As exported (R6c): only ``Succeeded`` counts as installed."""
    automatic_upgrade: bool | None = None
    """``enableAutomaticUpgrade``; None when absent (R25)."""
    settings: str = ""
    """Public settings as compact JSON with sorted keys; "" when none (R4)."""

    @property
    def is_installed(self) -> bool:
        """True when Azure records it as ``Succeeded`` or ``Failed`` (a Failed extension is
        still on the machine: its last operation failed, R6c)."""
        state = self.provisioning_state
        return state == "Succeeded" or state.lower() in ("succeeded", "failed")

    @property
    def is_failed(self) -> bool:
        """True when Azure records it as ``Failed``."""
        return self.provisioning_state.lower() == "failed"


@dataclass(frozen=True, slots=True)
class Machine:
    """One Arc-enabled server as exported, with its extension resources."""

    name: str
    id: str
    os: str
    """``windows`` or ``linux``."""
    agent_version: AgentVersion | None
    """Major.minor of ``agentVersion``; None when Azure does not know it (null)."""
    status: Status
    location: str
    resource_group: str
    subscription: str
    tags: Mapping[str, str] = field(default_factory=dict)
    config: ReportedConfig = ReportedConfig()
    sql_server: bool = False
    """SQL Server was discovered on it (``mssqlDiscovered``, R6b)."""
    extensions: tuple[ImportedExtension, ...] = ()

    def with_extensions(self, extensions: tuple[ImportedExtension, ...]) -> Machine:
        """This machine with ``extensions`` (a direct copy: faster than ``replace``)."""
        return Machine(self.name, self.id, self.os, self.agent_version, self.status,
                       self.location, self.resource_group, self.subscription, self.tags,
                       self.config, self.sql_server, extensions)

    @property
    def installed(self) -> tuple[ImportedExtension, ...]:
        """Extensions Azure records as ``Succeeded`` or ``Failed``."""
        return tuple(e for e in self.extensions if e.is_installed)

    @property
    def key(self) -> str:
        """Lower-case resource id, the key extensions are matched by (``name:<name>`` without
        an id)."""
        return machine_key(self.id, self.name)


def machine_key(resource_id: str, name: str) -> str:
    """The key of a machine: its lower-case id, else ``name:<lower-case name>``."""
    return resource_id.lower().rstrip("/") if resource_id else f"name:{name.lower()}"


def classify(item: Item) -> tuple[Kind, str]:
    """Whether ``item`` is a machine, an extension or another resource (with its type).

    By ``type`` when it names a resource type, else by the shape of ``id``, else by fields.

    Raises:
        InventoryError: nothing tells what the item is.
    """
    type_ = item.data.get("type")
    if isinstance(type_, str) and "/" in type_:
        return _KINDS.get(type_.lower(), Kind.OTHER), type_
    rid = item.data.get("id")
    if isinstance(rid, str) and EXTENSION_ID.match(rid):
        return Kind.EXTENSION, EXTENSION_TYPE
    if isinstance(rid, str) and MACHINE_ID.match(rid):
        return Kind.MACHINE, MACHINE_TYPE
    props, _ = properties(item)
    if "publisher" in props:
        return Kind.EXTENSION, EXTENSION_TYPE
    if "osType" in props or "agentVersion" in props:
        return Kind.MACHINE, MACHINE_TYPE
    raise item.error(item.path, 'neither an Arc machine nor an extension: expected a "type" '
                                'such as "Microsoft.HybridCompute/machines", an "id", or '
                                'fields such as "osType"')




@functools.lru_cache(maxsize=4096)
def extension_id(name: str) -> ExtensionId:
    """:meth:`ExtensionId.parse`, cached: exports repeat the same few names many times."""
    return ExtensionId.parse(name)


ExtensionCache = dict[tuple[Any, ...], "ImportedExtension"]
"""Extensions read, by the raw values they were read from (exports repeat a few)."""
_EXTENSION_FIELDS = ("publisher", "type", "typePropertiesType", "extensionType",
                     "typeHandlerVersion", "provisioningState", "enableAutomaticUpgrade")


def read_extension(item: Item, cache: ExtensionCache | None = None
                   ) -> tuple[str, str, ImportedExtension]:
    """``(machine key, machine name, extension)`` of an extension resource; the machine is
    named by the id prefix before ``/extensions/`` (key "" when the id does not say).
    ``cache`` keeps extensions read across the items of one import.

    Raises:
        InventoryError: ``publisher`` or the extension type missing, not a valid
            ``Publisher/Type``, or a field of a wrong type.
    """
    props, path = properties(item)
    key = _raw_extension_key(item, props) if cache is not None else None
    imported = cache.get(key) if cache is not None and key is not None else None
    if imported is None:
        imported = _read_extension(item, props, path)
        if cache is not None and key is not None:
            cache[key] = imported
    match = EXTENSION_ID.match(text(item, item.data, item.path, "id"))
    return (match.group(1).lower(), match.group(2), imported) if match else ("", "", imported)


def _raw_extension_key(item: Item, props: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """The raw values an extension is read from, when they are texts, booleans or null (no
    settings, no instance view); None otherwise (read it every time). Numbers are never keys:
    ``1 == 1.0 == True`` would share an entry that reads differently."""
    settings = props.get("settings")
    if (settings is not None and settings != "" and settings != {}) or (
            props.get("instanceView") is not None):
        return None
    values = tuple(map(props.get, _EXTENSION_FIELDS))
    if any(v is not None and v.__class__ is not str and v.__class__ is not bool
           for v in values):
        return None
    return (props is item.data, *values)


def _read_extension(item: Item, props: Mapping[str, Any], path: FieldPath) -> ImportedExtension:
    publisher = text(item, props, path, "publisher")
    if not publisher:
        raise item.error((*path, "publisher"), "missing (an extension needs its publisher)")
    type_ = _extension_type(item, props, path)
    try:
        ext = extension_id(f"{publisher}/{type_}")
    except ExtensionIdError as exc:
        raise item.error((*path, "publisher"), str(exc)) from None
    return ImportedExtension(
        ext, text(item, props, path, "typeHandlerVersion"),
        text(item, props, path, "provisioningState"),
        flag(item, props, path, "enableAutomaticUpgrade", None), _settings(item, props, path))


def _extension_type(item: Item, props: Mapping[str, Any], path: FieldPath) -> str:
    """``properties.type``; flattened CLI output calls it ``typePropertiesType`` (its ``type``
    is the resource type); ``instanceView.type`` as a last resort."""
    candidates = ("typePropertiesType", "type") if props is not item.data else (
        "typePropertiesType", "extensionType")
    type_ = text(item, props, path, *candidates)
    if not type_ and props is item.data:
        plain = text(item, props, path, "type")
        type_ = "" if "/" in plain else plain
    if not type_:
        view, at = mapping(item, props, path, "instanceView")
        type_ = text(item, view, at, "type")
    if not type_:
        raise item.error((*path, "type"), "missing (an extension needs its type)")
    return type_


def _settings(item: Item, props: Mapping[str, Any], path: FieldPath) -> str:
    _, value = lookup(props, "settings")
    if value is MISSING or value is None or value == {} or value == "":
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
