"""Reading inventory exports: files to located items, and items to machines and extensions.

Formats are told apart by their shape, never by file name (:class:`InventoryFormat`):

* text that does not start with ``{`` or ``[`` is CSV (a Resource Graph export from the
  portal): a header row naming ``id``, ``name`` or ``type``; cells that hold JSON (``properties``,
  ``tags``) are decoded;
* ``{"value": [...]}`` (``nextLink`` optional), or a JSON list of such pages, is the ARM REST form;
* ``{"data": [...]}`` (rows, or ``{"columns", "rows"}`` tables), or a list of rows with a
  lower-case ``type`` (``microsoft.hybridcompute/machines``), is Azure Resource Graph;
* any other list of objects is ``az connectedmachine list`` / ``extension list`` output, and one
  object with an ``id`` or ``name`` is ``az connectedmachine show`` output.

A resource's fields are read from its ``properties`` object when it has one (ARM, Resource
Graph), else from its top level (the CLI's flattened form). Unknown fields are ignored. Every
value that is present but unusable raises :class:`InventoryError` naming the file and the JSON
path; values Azure leaves null are taken with a stated default and an :class:`InventoryNote`.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Any, NamedTuple

from sim.errors import ArcsimError
from sim.rules.config import Mode
from sim.rules.identity import ExtensionId, ExtensionIdError
from sim.rules.versions import AgentVersion, VersionError
from sim.scenario.source import FieldPath, format_path
from sim.scenario.units import show_value

MISSING: Any = object()
"""The value :func:`lookup` gives for an absent field (distinct from JSON null)."""

MACHINE_TYPE = "microsoft.hybridcompute/machines"
EXTENSION_TYPE = "microsoft.hybridcompute/machines/extensions"
_MACHINE_ID = re.compile(r"^/subscriptions/([^/]+)/resourcegroups/([^/]+)/providers/"
                         r"microsoft\.hybridcompute/machines/([^/]+)/?$", re.IGNORECASE)
_EXTENSION_ID = re.compile(r"^(.*/machines/([^/]+))/extensions/[^/]+/?$", re.IGNORECASE)
_VERSION_EXAMPLE = '"1.58.03228.700"'


class InventoryError(ArcsimError, ValueError):
    """An inventory export that cannot be used: ``file[:line[:column]]: json.path: message``."""

    def __init__(self, message: str, *, file: str = "", path: FieldPath = (),
                 line: int | None = None, column: int | None = None) -> None:
        self.message, self.file, self.path = message, file, tuple(path)
        self.line, self.column = line, column
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.file + "".join(f":{n}" for n in (self.line, self.column) if n is not None)
        return ": ".join(part for part in (where, format_path(self.path), self.message) if part)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_error, (self.message, self.file, self.path, self.line, self.column))


def _rebuild_error(message: str, file: str, path: FieldPath, line: int | None,
                   column: int | None) -> InventoryError:
    return InventoryError(message, file=file, path=path, line=line, column=column)


class InventoryFormat(StrEnum):
    """The kinds of export arcsim reads (see the module docstring for how each is told)."""

    CLI_LIST = "az-cli-list"
    CLI_SHOW = "az-cli-show"
    ARM = "arm-rest"
    GRAPH_JSON = "resource-graph-json"
    GRAPH_CSV = "resource-graph-csv"

    @property
    def description(self) -> str:
        """What produces this format, in words."""
        return _DESCRIPTIONS[self]


_DESCRIPTIONS = {
    InventoryFormat.CLI_LIST: "az connectedmachine list / extension list output (a JSON list)",
    InventoryFormat.CLI_SHOW: "az connectedmachine show output (one JSON object)",
    InventoryFormat.ARM: 'ARM REST list ({"value": [...], "nextLink": ...})',
    InventoryFormat.GRAPH_JSON: "Azure Resource Graph results (JSON rows)",
    InventoryFormat.GRAPH_CSV: "Azure Resource Graph results (CSV export)",
}


# --- notes -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InventoryNote:
    """A warning: ``topic``, how many ``unit``\\ s it concerns and a few machine names."""

    topic: str
    unit: str = ""
    count: int = 0
    examples: tuple[str, ...] = ()

    def __str__(self) -> str:
        if not self.unit:
            return self.topic
        plural = "" if self.count == 1 else "s"
        more = ", ..." if self.count > len(self.examples) else ""
        shown = f" (e.g. {', '.join(self.examples)}{more})" if self.examples else ""
        return f"{self.topic}: {self.count} {self.unit}{plural}{shown}"


class Notes:
    """Collects warnings, one per topic, counting occurrences and keeping 3 example names."""

    def __init__(self) -> None:
        self._topics: dict[str, tuple[str, int, list[str]]] = {}

    def add(self, topic: str, unit: str = "", example: str = "") -> None:
        """Count one occurrence of ``topic`` about ``example`` (a machine name)."""
        _, count, examples = self._topics.get(topic, (unit, 0, []))
        if example and len(examples) < 3 and example not in examples:
            examples.append(example)
        self._topics[topic] = (unit, count + 1, examples)

    def notes(self) -> tuple[InventoryNote, ...]:
        """The warnings, in the order their topics first came up."""
        return tuple(InventoryNote(topic, unit, count if unit else 0, tuple(examples))
                     for topic, (unit, count, examples) in self._topics.items())


# --- located items -----------------------------------------------------------------------------


class Item(NamedTuple):
    """One resource object as found in a file: where (file, JSON path, CSV line) and its data.

    A named tuple: exports hold hundreds of thousands of these, and tuples are cheap to make.
    """

    file: str
    path: FieldPath
    data: Mapping[str, Any]
    line: int | None = None

    def error(self, path: FieldPath, message: str) -> InventoryError:
        """An :class:`InventoryError` at ``path`` in this item's file."""
        return InventoryError(message, file=self.file, path=path, line=self.line)


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a paged result and the link (or skip token) to the next one, if any."""

    file: str
    path: FieldPath
    next_link: str
    items: int
    """How many of the document's items (in order) are on this page."""


@dataclass(frozen=True, slots=True)
class SourceDocument:
    """One file (or in-memory document): its detected format, its resources and pages."""

    file: str
    format: InventoryFormat
    items: tuple[Item, ...]
    pages: tuple[Page, ...] = ()


def read_document(path: str | os.PathLike[str]) -> SourceDocument:
    """Read and detect one export file (UTF-8, an optional byte-order mark).

    Raises:
        InventoryError: the file cannot be read, is not UTF-8, or as :func:`parse_document`.
    """
    file = os.fspath(path)
    try:
        with open(file, "rb") as stream:
            raw = stream.read()
    except OSError as exc:
        raise InventoryError(f"cannot read: {exc.strerror or exc}", file=file) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InventoryError(f"not UTF-8 text (byte 0x{raw[exc.start]:02x})", file=file,
                             line=line) from None
    return parse_document(text, file)


def parse_document(text: str, file: str = "<string>") -> SourceDocument:
    """Detect and parse an export given as text: JSON (any form) or Resource Graph CSV.

    Raises:
        InventoryError: empty text, malformed JSON (with its line and column), a CSV without
            an ``id``/``name``/``type`` header, or a JSON shape that is no known format.
    """
    start = text.lstrip("\ufeff \t\r\n")[:1]
    if not start:
        raise InventoryError("empty file: expected a JSON or CSV inventory export", file=file)
    if start not in "[{":
        return _read_csv(text, file)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InventoryError(f"invalid JSON: {exc.msg}", file=file, line=exc.lineno,
                             column=exc.colno) from None
    return parse_data(data, file)


def parse_data(data: Any, file: str = "<data>") -> SourceDocument:
    """Detect the format of already-decoded JSON ``data`` and locate its resources.

    Raises:
        InventoryError: the shape is no known format, or a list holds something other than
            objects.
    """
    if isinstance(data, dict):
        return _from_object(data, file)
    if isinstance(data, list):
        return _from_list(data, file)
    raise _unknown_format(file, f"found {show_value(data)}")


def _unknown_format(file: str, found: str) -> InventoryError:
    return InventoryError(
        "unknown inventory format: expected az connectedmachine list/show output (JSON), an "
        'ARM REST list ({"value": [...]}), Azure Resource Graph rows (a JSON list or '
        '{"data": [...]}) or a Resource Graph CSV export; ' + found, file=file)


def _from_object(data: Mapping[str, Any], file: str) -> SourceDocument:
    if isinstance(data.get("value"), list):
        items, page = _page_items(data, file, ())
        return SourceDocument(file, InventoryFormat.ARM, items, (page,))
    if "data" in data:
        return _graph_result(data, file)
    if any(key in data for key in ("id", "name")):
        return SourceDocument(file, InventoryFormat.CLI_SHOW, (Item(file, (), data),))
    keys = ", ".join(f'"{k}"' for k in list(data)[:8]) or "no keys"
    raise _unknown_format(file, f"found an object with {keys}")


def _from_list(data: list[Any], file: str) -> SourceDocument:
    if data and all(isinstance(d, dict) and isinstance(d.get("value"), list) for d in data):
        located = [_page_items(page, file, (i,)) for i, page in enumerate(data)]
        items = tuple(item for page_items, _ in located for item in page_items)
        return SourceDocument(file, InventoryFormat.ARM, items, tuple(p for _, p in located))
    items = _objects(data, file, ())
    graph = any(_is_graph_row(item.data) for item in items)
    return SourceDocument(file, InventoryFormat.GRAPH_JSON if graph else InventoryFormat.CLI_LIST,
                          items)


def _objects(rows: list[Any], file: str, path: FieldPath) -> tuple[Item, ...]:
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise InventoryError(f"expected an object (a machine or an extension), got "
                                 f"{show_value(row)}", file=file, path=(*path, i))
    return tuple(Item(file, (*path, i), row) for i, row in enumerate(rows))


def _is_graph_row(row: Mapping[str, Any]) -> bool:
    """Resource Graph writes resource types in lower case (``microsoft.hybridcompute/...``)."""
    type_ = row.get("type")
    return isinstance(type_, str) and type_.startswith("microsoft.") and type_ == type_.lower()


def _page_items(page: Mapping[str, Any], file: str,
                path: FieldPath) -> tuple[tuple[Item, ...], Page]:
    link = page.get("nextLink")
    if link is not None and not isinstance(link, str):
        raise InventoryError(f"expected a URL or null, got {show_value(link)}", file=file,
                             path=(*path, "nextLink"))
    items = _objects(page["value"], file, (*path, "value"))
    return items, Page(file, path, link or "", len(items))


def _graph_result(data: Mapping[str, Any], file: str) -> SourceDocument:
    rows = data["data"]
    if isinstance(rows, dict) and isinstance(rows.get("columns"), list):
        items = _graph_table(rows, file)
    elif isinstance(rows, list):
        items = _objects(rows, file, ("data",))
    else:
        raise InventoryError('expected a list of rows or {"columns": [...], "rows": [...]}, got '
                             f"{show_value(rows)}", file=file, path=("data",))
    token = next((data[k] for k in ("skipToken", "$skipToken", "skip_token") if data.get(k)), "")
    truncated = str(data.get("resultTruncated", "")).lower() == "true"
    link = str(token or ("resultTruncated" if truncated else ""))
    pages = (Page(file, (), link, len(items)),)
    return SourceDocument(file, InventoryFormat.GRAPH_JSON, items, pages)


def _graph_table(table: Mapping[str, Any], file: str) -> tuple[Item, ...]:
    """Rows of a Resource Graph ``table`` result as objects keyed by column name."""
    names = [str(c.get("name")) if isinstance(c, dict) else str(c) for c in table["columns"]]
    rows = table.get("rows")
    if not isinstance(rows, list):
        raise InventoryError(f"expected a list of rows, got {show_value(rows)}", file=file,
                             path=("data", "rows"))
    items = []
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != len(names):
            raise InventoryError(f"expected a list of {len(names)} values (one per column), got "
                                 f"{show_value(row)}", file=file, path=("data", "rows", i))
        items.append(Item(file, ("data", "rows", i), dict(zip(names, row, strict=True))))
    return tuple(items)


# --- CSV ---------------------------------------------------------------------------------------

_OBJECT_COLUMNS = frozenset({
    "properties", "tags", "agentconfiguration", "detectedproperties", "settings", "resources",
    "licenseprofile", "instanceview",
})
"""Columns whose cells must be JSON when not empty (objects the import reads into)."""
_CANONICAL = {name.lower(): name for name in (
    "id", "name", "type", "location", "resourceGroup", "subscriptionId", "tags", "properties",
    "osType", "agentVersion", "status", "agentConfiguration", "detectedProperties",
    "mssqlDiscovered", "osName", "osSku", "licenseProfile", "publisher", "typePropertiesType",
    "typeHandlerVersion", "provisioningState", "enableAutomaticUpgrade", "settings",
    "instanceView", "resources",
)}
"""Header spellings the import reads, by lower-case name (portal exports may change case)."""


def _read_csv(text: str, file: str) -> SourceDocument:
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = [_CANONICAL.get(h.strip().lower(), h.strip()) for h in next(reader)]
        if not {"id", "name", "type"} & set(header):
            raise _unknown_format(file, 'found text that is neither JSON nor a CSV whose header '
                                  'names "id", "name" or "type"')
        items: list[Item] = []
        start = reader.line_num + 1
        for row in reader:
            if any(cell.strip() for cell in row):
                items.append(_csv_item(header, row, file, len(items), start))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InventoryError(f"invalid CSV: {exc}", file=file, line=reader.line_num) from None
    return SourceDocument(file, InventoryFormat.GRAPH_CSV, tuple(items))


def _csv_item(header: list[str], row: list[str], file: str, index: int, line: int) -> Item:
    if len(row) != len(header):
        raise InventoryError(f"expected {len(header)} cells as in the header, got {len(row)}",
                             file=file, path=(index,), line=line)
    data = {name: _cell(cell, name, file, (index, name), line)
            for name, cell in zip(header, row, strict=True)}
    return Item(file, (index,), data, line)


def _cell(text: str, column: str, file: str, path: FieldPath, line: int) -> Any:
    """A CSV cell: None when empty, decoded JSON when it holds an object or list, else text."""
    stripped = text.strip()
    if not stripped:
        return None
    if stripped[0] not in "[{":
        return text
    try:
        return json.loads(stripped)
    except json.JSONDecodeError as exc:
        if column.lower() not in _OBJECT_COLUMNS:
            return text
        raise InventoryError(f"invalid JSON in the cell: {exc.msg} (character {exc.pos + 1})",
                             file=file, path=path, line=line) from None


# --- field access --------------------------------------------------------------------------


def lookup(obj: Mapping[str, Any], name: str, *more: str) -> tuple[str, Any]:
    """``(name, value)`` of the first of ``name, *more`` present in ``obj`` (exact spelling),
    else ``(name, MISSING)``."""
    value = obj.get(name, MISSING)
    if value is MISSING:
        for other in more:
            if other in obj:
                return other, obj[other]
    return name, value


def lookup_any_case(obj: Mapping[str, Any], name: str) -> tuple[str, Any]:
    """Like :func:`lookup` for one name, falling back to a case-insensitive match."""
    key, value = lookup(obj, name)
    if value is MISSING:
        lowered = name.lower()
        return next(((k, v) for k, v in obj.items() if k.lower() == lowered), (name, MISSING))
    return key, value


def properties(item: Item) -> tuple[Mapping[str, Any], FieldPath]:
    """The object holding a resource's fields and its path: ``properties`` when present (ARM,
    Resource Graph), else the resource itself (the CLI's flattened form).

    Raises:
        InventoryError: ``properties`` is present but not an object.
    """
    props = item.data.get("properties")
    if props is None:
        return item.data, item.path
    if not isinstance(props, dict):
        raise item.error((*item.path, "properties"), f"expected an object, got "
                                                     f"{show_value(props)}")
    return props, (*item.path, "properties")


def text(item: Item, obj: Mapping[str, Any], path: FieldPath, *names: str) -> str:
    """A text field ("" when absent or null); numbers are taken as their text.

    Raises:
        InventoryError: the value is an object, a list or a boolean.
    """
    value = obj.get(names[0])
    if value.__class__ is str:
        return str(value)
    key, value = lookup(obj, *names)
    if value is MISSING or value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise item.error((*path, key), f"expected a text, got {show_value(value)}")


def flag(item: Item, obj: Mapping[str, Any], path: FieldPath, name: str,
         default: bool | None) -> bool | None:
    """A boolean given as JSON ``true``/``false`` or text ``"true"``/``"false"`` (any case);
    ``default`` when absent or null.

    Raises:
        InventoryError: any other value.
    """
    value = obj.get(name)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    lowered = value.strip().lower() if isinstance(value, str) else ""
    if lowered in ("true", "false"):
        return lowered == "true"
    raise item.error((*path, name), f'expected true or false (or "true"/"false"), got '
                                   f"{show_value(value)}")


def mapping(item: Item, obj: Mapping[str, Any], path: FieldPath,
            name: str) -> tuple[Mapping[str, Any], FieldPath]:
    """An object field (empty when absent or null) and its path.

    Raises:
        InventoryError: the value is not an object.
    """
    value = obj.get(name)
    if value is None:
        return {}, (*path, name)
    if not isinstance(value, dict):
        raise item.error((*path, name), f"expected an object, got {show_value(value)}")
    return value, (*path, name)


# --- machines ------------------------------------------------------------------------------


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
_MODES = {mode.value: mode for mode in Mode}


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
        """True when Azure records it as ``Succeeded``."""
        return self.provisioning_state.lower() == "succeeded"


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
        """Extensions Azure records as ``Succeeded``."""
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
    if isinstance(rid, str) and _EXTENSION_ID.match(rid):
        return Kind.EXTENSION, EXTENSION_TYPE
    if isinstance(rid, str) and _MACHINE_ID.match(rid):
        return Kind.MACHINE, MACHINE_TYPE
    props, _ = properties(item)
    if "publisher" in props:
        return Kind.EXTENSION, EXTENSION_TYPE
    if "osType" in props or "agentVersion" in props:
        return Kind.MACHINE, MACHINE_TYPE
    raise item.error(item.path, 'neither an Arc machine nor an extension: expected a "type" '
                                'such as "Microsoft.HybridCompute/machines", an "id", or '
                                'fields such as "osType"')


ConfigCache = dict[Any, ReportedConfig]
"""Reported configurations by the raw values they were read from (exports repeat a few)."""


def read_machine(item: Item, notes: Notes, configs: ConfigCache | None = None) -> Machine | None:
    """The machine described by ``item``; None (with a note) when its OS cannot be known.
    ``configs`` caches ``agentConfiguration`` readings across the machines of one import.

    Raises:
        InventoryError: no name and no id, ``osType`` missing or not Windows/Linux, an
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
    match = _MACHINE_ID.match(rid)
    if match:
        return match.group(1), match.group(2)
    return (text(item, item.data, item.path, "subscriptionId"),
            text(item, item.data, item.path, "resourceGroup"))


_OS_HINTS = (("osName",), ("osSku",), ("licenseProfile", "productProfile", "productType"))


def _os_type(item: Item, props: Mapping[str, Any], path: FieldPath, notes: Notes,
             name: str) -> str | None:
    key, value = lookup_any_case(props, "osType")
    if value is MISSING:
        raise item.error((*path, "osType"), 'missing (expected "Windows" or "Linux")')
    if isinstance(value, str) and value.strip().lower() in ("windows", "linux"):
        return value.strip().lower()
    if value is not None:
        raise item.error((*path, key), f'expected "Windows" or "Linux", got {show_value(value)}')
    for hint in _OS_HINTS:
        guess = _os_from(props, hint)
        if guess:
            notes.add(f"{item.file}: osType is null; OS taken from {'.'.join(hint)}", "machine",
                      name)
            return guess
    notes.add(f"{item.file}: osType is null and nothing else tells the OS (a machine that never "
              "connected?); left out", "machine", name)
    return None


def _os_from(props: Mapping[str, Any], hint: tuple[str, ...]) -> str:
    value: Any = props
    for key in hint:
        value = value.get(key) if isinstance(value, dict) else None
    lowered = value.lower() if isinstance(value, str) else ""
    return next((os_name for os_name in ("windows", "linux") if os_name in lowered), "")


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


@functools.lru_cache(maxsize=4096)
def extension_id(name: str) -> ExtensionId:
    """:meth:`ExtensionId.parse`, cached: exports repeat the same few names many times."""
    return ExtensionId.parse(name)


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


# --- extensions ---------------------------------------------------------------------------


def read_extension(item: Item) -> tuple[str, str, ImportedExtension]:
    """``(machine key, machine name, extension)`` of an extension resource; the machine is
    named by the id prefix before ``/extensions/`` (key "" when the id does not say).

    Raises:
        InventoryError: ``publisher`` or the extension type missing, not a valid
            ``Publisher/Type``, or a field of a wrong type.
    """
    props, path = properties(item)
    publisher = text(item, props, path, "publisher")
    if not publisher:
        raise item.error((*path, "publisher"), "missing (an extension needs its publisher)")
    type_ = _extension_type(item, props, path)
    try:
        ext = extension_id(f"{publisher}/{type_}")
    except ExtensionIdError as exc:
        raise item.error((*path, "publisher"), str(exc)) from None
    imported = ImportedExtension(
        ext, text(item, props, path, "typeHandlerVersion"),
        text(item, props, path, "provisioningState"),
        flag(item, props, path, "enableAutomaticUpgrade", None), _settings(item, props, path))
    match = _EXTENSION_ID.match(text(item, item.data, item.path, "id"))
    return (match.group(1).lower(), match.group(2), imported) if match else ("", "", imported)


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
