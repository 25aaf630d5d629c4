"""Reading inventory exports: files and decoded JSON to located resource items.

Formats are told apart by their shape, never by file name (:class:`InventoryFormat`):

* text that does not start with ``{`` or ``[`` is CSV (a Resource Graph export from the
  portal): a header row naming ``id``, ``name`` or ``type``; cells that hold JSON (``properties``,
  ``tags``) are decoded;
* ``{"value": [...]}`` (``nextLink`` optional), or a JSON list of such pages, is the ARM REST form;
* ``{"data": [...]}`` (rows, or ``{"columns", "rows"}`` tables), or a list of rows with a
  lower-case ``type`` (``microsoft.hybridcompute/machines``), is Azure Resource Graph;
* any other list of objects is ``az connectedmachine list`` / ``extension list`` output, and one
  object with an ``id`` or ``name`` is ``az connectedmachine show`` output.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Mapping
from typing import Any

from sim.scenario.inventory.located import (
    InventoryError,
    InventoryFormat,
    Item,
    Page,
    SourceDocument,
)
from sim.scenario.source import FieldPath
from sim.scenario.units import show_value

FORMAT_CHOICES: dict[str, tuple[InventoryFormat, ...]] = {
    "cli": (InventoryFormat.CLI_LIST, InventoryFormat.CLI_SHOW),
    "arm": (InventoryFormat.ARM,),
    "arg-json": (InventoryFormat.GRAPH_JSON,),
    "arg-csv": (InventoryFormat.GRAPH_CSV,),
}
"""What ``arcsim import --format`` may name (besides ``auto``) and the formats each admits."""
_LISTS = (InventoryFormat.CLI_LIST, InventoryFormat.GRAPH_JSON)
"""Formats read from a plain JSON list of objects: the same data, told apart by type case."""


def read_document(path: str | os.PathLike[str], expected: str | None = None) -> SourceDocument:
    """Read and detect one export file (UTF-8, an optional byte-order mark); with
    ``expected`` (a key of :data:`FORMAT_CHOICES`), check it is that format.

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
    return parse_document(text, file, expected)


def parse_document(text: str, file: str = "<string>",
                   expected: str | None = None) -> SourceDocument:
    """Detect and parse an export given as text: JSON (any form) or Resource Graph CSV; with
    ``expected`` (a key of :data:`FORMAT_CHOICES`), check it is that format.

    Raises:
        InventoryError: empty text, malformed JSON (with its line and column), a CSV without
            an ``id``/``name``/``type`` header, a JSON shape that is no known format, or a
            format other than ``expected``.
    """
    return _as_expected(_parse(text, file), expected)


def _parse(text: str, file: str) -> SourceDocument:
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


def _as_expected(doc: SourceDocument, expected: str | None) -> SourceDocument:
    """``doc``, checked against ``expected``. A plain list of objects is read the same either
    way, so ``cli`` and ``arg-json`` relabel it; any other mismatch is an error."""
    if expected is None or expected == "auto":
        return doc
    allowed = FORMAT_CHOICES.get(expected)
    if allowed is None:
        raise InventoryError(f'unknown format "{expected}"; expected auto, '
                             f"{', '.join(FORMAT_CHOICES)}")
    if doc.format in allowed:
        return doc
    if doc.format in _LISTS and allowed[0] in _LISTS and not doc.pages:
        return SourceDocument(doc.file, allowed[0], doc.items, doc.pages)
    raise InventoryError(f"expected {allowed[0].description} (--format {expected}), found "
                         f"{doc.format.description}", file=doc.file)


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
