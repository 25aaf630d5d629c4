"""Reading an Arc machine resource: identity, OS, agent version, status, tags, the local
configuration Azure reports (``agentConfiguration``, R8) and SQL Server discovery (R6b)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from sim.rules.config import Mode
from sim.rules.identity import ExtensionId, ExtensionIdError
from sim.rules.versions import AgentVersion, VersionError
from sim.scenario.inventory.located import (
    MISSING,
    Item,
    Notes,
    flag,
    lookup_any_case,
    mapping,
    properties,
    text,
)
from sim.scenario.inventory.resources import (
    MACHINE_ID,
    Machine,
    ReportedConfig,
    Status,
    extension_id,
)
from sim.scenario.source import FieldPath
from sim.scenario.units import show_value

_VERSION_EXAMPLE = '"1.58.03228.700"'
_MODES = {mode.value: mode for mode in Mode}


ConfigCache = dict[Any, ReportedConfig]
"""Reported configurations by the raw values they were read from (exports repeat a few)."""


def read_machine(item: Item, notes: Notes, configs: ConfigCache | None = None) -> Machine | None:
    """The machine described by ``item``; None (with a note naming it) when it reports no OS.
    ``configs`` caches ``agentConfiguration`` readings across the machines of one import.

    Raises:
        InventoryError: no name and no id, ``osType``/``osName`` not Windows/Linux, an
            ``agentVersion``, ``status``, tag or ``agentConfiguration`` value of a wrong type.
    """
    props, path = properties(item)
    rid, name = text(item, item.data, item.path, "id"), text(item, item.data, item.path, "name")
    if not rid and not name:
        raise item.error(item.path, 'missing both "name" and "id": a machine needs one')
    name = name or rid.rstrip("/").rsplit("/", 1)[-1]
    os_type = _os_type(item, props, path, notes, name)
    if os_type is None:
        return None
    subscription, group = _scope(item, rid)
    return Machine(
        name, rid, os_type, _agent_version(item, props, path),
        _status(item, props, path, notes, name), text(item, item.data, item.path, "location"),
        group, subscription, _tags(item),
        _reported_config(item, props, path, {} if configs is None else configs),
        _sql_server(item, props, path))


def _scope(item: Item, rid: str) -> tuple[str, str]:
    """(subscription, resource group) from the resource id, else from the row's fields."""
    match = MACHINE_ID.match(rid)
    if match:
        return match.group(1), match.group(2)
    return (text(item, item.data, item.path, "subscriptionId"),
            text(item, item.data, item.path, "resourceGroup"))


_OS_HINTS = (("osSku",), ("licenseProfile", "productProfile", "productType"))
_OS_NAMES = ("windows", "linux")


def _os_type(item: Item, props: Mapping[str, Any], path: FieldPath, notes: Notes,
             name: str) -> str | None:
    """``osType``, else ``osName`` (older API versions report only ``osName``), compared
    without regard to case; else a guess from ``osSku`` or the license profile (noted); else
    None: the machine has no OS yet (pre-registered, still onboarding) and is left out, noted.

    Raises:
        InventoryError: ``osType`` or ``osName`` holds something other than Windows/Linux.
    """
    for field_name in ("osType", "osName"):
        key, value = lookup_any_case(props, field_name)
        if isinstance(value, str) and value.strip().lower() in _OS_NAMES:
            return value.strip().lower()
        if value is not MISSING and value is not None and not (
                isinstance(value, str) and not value.strip()):
            raise item.error((*path, key), 'expected "Windows" or "Linux", got '
                                           f"{show_value(value)}")
    for hint in _OS_HINTS:
        guess = _os_from(props, hint)
        if guess:
            notes.add(f"{item.file}: no osType or osName; OS taken from {'.'.join(hint)}",
                      "machine", name)
            return guess
    notes.add(f"{item.file}: no OS reported (osType and osName absent or null: a machine "
              "pre-registered or still onboarding); left out", "machine", name)
    return None


def _os_from(props: Mapping[str, Any], hint: tuple[str, ...]) -> str:
    value: Any = props
    for key in hint:
        value = value.get(key) if isinstance(value, dict) else None
    lowered = value.lower() if isinstance(value, str) else ""
    return next((os_name for os_name in _OS_NAMES if os_name in lowered), "")


def _agent_version(item: Item, props: Mapping[str, Any], path: FieldPath) -> AgentVersion | None:
    value = props.get("agentVersion")
    if value is None or value == "":
        return None
    try:
        if isinstance(value, str):
            return _parse_version(value)
    except VersionError:
        pass
    raise item.error((*path, "agentVersion"), f"expected a version like {_VERSION_EXAMPLE}, "
                                              f"got {show_value(value)}")


_STATUSES = {status.value.lower(): status for status in Status}


def _status(item: Item, props: Mapping[str, Any], path: FieldPath, notes: Notes,
            name: str) -> Status:
    key, value = "status", props.get("status")
    if value is None:
        notes.add(f"{item.file}: status is missing or null; taken as Connected", "machine", name)
        return Status.CONNECTED
    if not isinstance(value, str):
        raise item.error((*path, key), 'expected "Connected", "Disconnected" or "Expired", got '
                                       f"{show_value(value)}")
    status = _STATUSES.get(value.strip().lower())
    if status is None:
        notes.add(f'{item.file}: status "{value}" taken as Connected', "machine", name)
        return Status.CONNECTED
    return status


def _tags(item: Item) -> dict[str, str]:
    tags, path = mapping(item, item.data, item.path, "tags")
    for key, value in tags.items():
        if isinstance(value, dict | list):
            raise item.error((*path, key), f"expected a text, got {show_value(value)}")
    return {key: "" if value is None else str(value) for key, value in tags.items()}


_DEFAULT_CONFIG = ReportedConfig()


def _reported_config(item: Item, props: Mapping[str, Any], path: FieldPath,
                     cache: ConfigCache) -> ReportedConfig:
    """``agentConfiguration``, read once per distinct set of raw values."""
    config, at = mapping(item, props, path, "agentConfiguration")
    if not config:
        return _DEFAULT_CONFIG
    key = _raw_key(config)
    found = cache.get(key) if key is not None else None
    if found is None:
        found = _read_config(item, config, at)
        if key is not None:
            cache[key] = found
    return found


def _raw_key(config: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """The raw values a configuration is read from, as a hashable key (None if they are not
    hashable, e.g. an object where a text belongs: such values are errors anyway)."""
    get = config.get
    key = (_raw(get("extensionsAllowList")), _raw(get("extensionsBlockList")),
           get("extensionsEnabled"), get("guestConfigurationEnabled"), get("configMode"))
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _raw(value: Any) -> Any:
    if isinstance(value, list):
        return tuple((e.get("publisher"), e.get("type")) if isinstance(e, dict) else e
                     for e in value)
    return value


def _read_config(item: Item, config: Mapping[str, Any], at: FieldPath) -> ReportedConfig:
    mode = _MODES.get(text(item, config, at, "configMode").strip().lower() or "full")
    if mode is None:
        raise item.error((*at, "configMode"), 'expected "full" or "monitor", got '
                                              f"{show_value(config['configMode'])}")
    return ReportedConfig(
        _extension_list(item, config, at, "extensionsAllowList"),
        _extension_list(item, config, at, "extensionsBlockList"),
        flag(item, config, at, "extensionsEnabled", True) is not False,
        flag(item, config, at, "guestConfigurationEnabled", True) is not False,
        mode)


def _extension_list(item: Item, config: Mapping[str, Any], path: FieldPath,
                    name: str) -> tuple[ExtensionId, ...]:
    """A list of ``{"publisher", "type"}`` objects (or ``"Publisher/Type"`` texts), sorted."""
    key, value = name, config.get(name)
    if value is None or value == []:
        return ()
    if not isinstance(value, list):
        raise item.error((*path, key), 'expected a list of {"publisher", "type"} objects, got '
                                       f"{show_value(value)}")
    found: dict[str, ExtensionId] = {}
    for i, entry in enumerate(value):
        ext = _list_entry(item, entry, (*path, key, i))
        found.setdefault(ext.key, ext)
    return tuple(found[k] for k in sorted(found))


@functools.lru_cache(maxsize=1024)
def _parse_version(text: str) -> AgentVersion:
    return AgentVersion.parse(text)


def _list_entry(item: Item, entry: Any, path: FieldPath) -> ExtensionId:
    if isinstance(entry, dict):
        publisher, type_ = text(item, entry, path, "publisher"), text(item, entry, path, "type")
        entry_text = f"{publisher}/{type_}"
    elif isinstance(entry, str):
        entry_text = entry
    else:
        raise item.error(path, 'expected {"publisher": ..., "type": ...}, got '
                               f"{show_value(entry)}")
    try:
        return extension_id(entry_text)
    except ExtensionIdError as exc:
        raise item.error(path, str(exc)) from None


def _sql_server(item: Item, props: Mapping[str, Any], path: FieldPath) -> bool:
    detected, at = mapping(item, props, path, "detectedProperties")
    return bool(flag(item, props, path, "mssqlDiscovered", False)
                or flag(item, detected, at, "mssqldiscovered", False)
                or flag(item, detected, at, "mssqlDiscovered", False))
