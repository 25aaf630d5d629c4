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

Files are read a chunk at a time (:mod:`~sim.scenario.inventory.text_stream`): the resources of
a ``value`` or ``data`` list, of a top-level list and the rows of a CSV export are decoded one
by one as a document's items are iterated, so memory does not grow with the file (a list of
ARM pages is read a page at a time).
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator, Mapping
from typing import Any

from sim.scenario.inventory.located import (
    InventoryError,
    InventoryFormat,
    Item,
    Page,
    SourceDocument,
)
from sim.scenario.inventory.text_stream import TextStream, file_chunks, text_chunks
from sim.scenario.limits import load_json
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


_STREAMED = frozenset({"value", "data"})
"""Keys of a top-level object whose list of resources is read one element at a time."""


def read_document(path: str | os.PathLike[str], expected: str | None = None) -> SourceDocument:
    """Detect one export file (UTF-8, an optional byte-order mark) and read its resources as
    they are iterated, a chunk of the file at a time; with ``expected`` (a key of
    :data:`FORMAT_CHOICES`), check it is that format.

    Raises:
        InventoryError: the file cannot be read, is not UTF-8, or as :func:`parse_document`
            (errors inside the resource list are raised as the items are iterated).
    """
    file = os.fspath(path)
    return _read(TextStream(file, file_chunks(file)), expected)


def parse_document(text: str, file: str = "<string>",
                   expected: str | None = None) -> SourceDocument:
    """Detect and parse an export given as text: JSON (any form) or Resource Graph CSV; with
    ``expected`` (a key of :data:`FORMAT_CHOICES`), check it is that format.

    Raises:
        InventoryError: empty text, malformed JSON (with its line and column), a CSV without
            an ``id``/``name``/``type`` header, a JSON shape that is no known format, or a
            format other than ``expected`` (errors inside the resource list are raised as the
            items are iterated).
    """
    return _read(TextStream(file, text_chunks(text)), expected)


def parse_data(data: Any, file: str = "<data>") -> SourceDocument:
    """Detect the format of already-decoded JSON ``data`` and locate its resources.

    Raises:
        InventoryError: the shape is no known format, or a list holds something other than
            objects (as the items are iterated).
    """
    reading = _Reading(file, None)
    if isinstance(data, dict):
        members = ((k, iter(v) if k in _STREAMED and isinstance(v, list) else v)
                   for k, v in data.items())
        reading.doc.items = _object_items(members, reading)
    elif isinstance(data, list):
        reading.doc.items = _list_items(iter(data), reading)
    else:
        raise _unknown_format(file, f"found {show_value(data)}")
    return reading.doc


def _read(stream: TextStream, expected: str | None) -> SourceDocument:
    reading = _Reading(stream.file, expected)
    start = stream.peek()
    if not start:
        raise InventoryError("empty file: expected a JSON or CSV inventory export",
                             file=stream.file)
    if start == "[":
        reading.doc.items = _then_end(_list_items(stream.elements(), reading), stream)
    elif start == "{":
        reading.doc.items = _then_end(_object_items(stream.members(_STREAMED), reading),
                                      stream)
    else:
        reading.doc.items = _csv_items(stream, reading)
    return reading.doc


def _then_end(items: Iterator[Item], stream: TextStream) -> Iterator[Item]:
    yield from items
    stream.expect_end()


class _Reading:
    """A document being read: its format, settled (and checked against ``expected``) as soon
    as the structure tells it."""

    def __init__(self, file: str, expected: str | None) -> None:
        self.allowed: tuple[InventoryFormat, ...] = ()
        if expected is not None and expected != "auto":
            allowed = FORMAT_CHOICES.get(expected)
            if allowed is None:
                raise InventoryError(f'unknown format "{expected}"; expected auto, '
                                     f"{', '.join(FORMAT_CHOICES)}")
            self.allowed = allowed
        self.expected = expected
        self.doc = SourceDocument(file, InventoryFormat.CLI_LIST)
        self.fixed = False
        """The format can no longer change (a plain list relabelled by ``expected``)."""

    def settle(self, format: InventoryFormat, *, plain_list: bool = False) -> None:
        """Take ``format``. A plain list of objects is read the same either way, so ``cli``
        and ``arg-json`` relabel it; any other mismatch with ``expected`` is an error.

        Raises:
            InventoryError: the format is not the expected one.
        """
        self.doc.format = format
        if not self.allowed or format in self.allowed:
            self.fixed = bool(self.allowed)
            return
        if plain_list and format in _LISTS and self.allowed[0] in _LISTS:
            self.doc.format, self.fixed = self.allowed[0], True
            return
        raise InventoryError(f"expected {self.allowed[0].description} (--format "
                             f"{self.expected}), found {format.description}",
                             file=self.doc.file)

    def row(self, data: Any, path: FieldPath, *, plain_list: bool = False) -> Item:
        """An item of a list of resources; in a plain list, a Resource Graph row makes the
        document Resource Graph's.

        Raises:
            InventoryError: ``data`` is not an object.
        """
        if not isinstance(data, dict):
            raise InventoryError(f"expected an object (a machine or an extension), got "
                                 f"{show_value(data)}", file=self.doc.file, path=path)
        if plain_list and not self.fixed and _is_graph_row(data):
            self.doc.format, self.fixed = InventoryFormat.GRAPH_JSON, True
        return Item(self.doc.file, path, data)


def _unknown_format(file: str, found: str) -> InventoryError:
    return InventoryError(
        "unknown inventory format: expected az connectedmachine list/show output (JSON), an "
        'ARM REST list ({"value": [...]}), Azure Resource Graph rows (a JSON list or '
        '{"data": [...]}) or a Resource Graph CSV export; ' + found, file=file)


def _is_page(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("value"), list)


def _list_items(elements: Iterator[Any], reading: _Reading) -> Iterator[Item]:
    """The resources of a top-level list: ARM pages (when the first element is one; each
    decoded whole) or plain objects (CLI list, Resource Graph rows)."""
    file, pages = reading.doc.file, None
    for i, element in enumerate(elements):
        if pages is None:
            pages = _is_page(element)
            reading.settle(InventoryFormat.ARM if pages else InventoryFormat.CLI_LIST,
                           plain_list=not pages)
        if not pages:
            yield reading.row(element, (i,), plain_list=True)
        elif _is_page(element):
            items, page = _page_items(element, reading, (i,))
            reading.doc.pages.append(page)
            yield from items
        else:
            raise InventoryError('expected a page {"value": [...]} as the first element is, '
                                 f"got {show_value(element)}", file=file, path=(i,))
    if pages is None:
        reading.settle(InventoryFormat.CLI_LIST, plain_list=True)


def _object_items(members: Iterator[tuple[str, Any]], reading: _Reading) -> Iterator[Item]:
    """The resources of a top-level object: its ``value`` (ARM) or ``data`` (Resource
    Graph) list read element by element, else the object itself (CLI show) or a Resource
    Graph table."""
    file, top, streamed, count = reading.doc.file, {}, "", 0
    for key, value in members:
        if not isinstance(value, Iterator):
            top[key] = value
            continue
        if streamed:
            raise InventoryError(f'both "{streamed}" and "{key}" hold lists: expected "value" '
                                 '(ARM REST) or "data" (Resource Graph)', file=file)
        streamed, top[key] = key, []
        reading.settle(InventoryFormat.ARM if key == "value" else InventoryFormat.GRAPH_JSON)
        for i, element in enumerate(value):
            yield reading.row(element, (key, i))
            count = i + 1
    if streamed == "value":
        reading.doc.pages.append(_page(top, file, (), count))
    elif streamed == "data":
        reading.doc.pages.append(_graph_page(top, file, count))
    elif "data" in top:
        items = _graph_table(top["data"], file)
        reading.settle(InventoryFormat.GRAPH_JSON)
        reading.doc.pages.append(_graph_page(top, file, len(items)))
        yield from items
    elif any(key in top for key in ("id", "name")):
        reading.settle(InventoryFormat.CLI_SHOW)
        yield Item(file, (), top)
    else:
        keys = ", ".join(f'"{k}"' for k in list(top)[:8]) or "no keys"
        raise _unknown_format(file, f"found an object with {keys}")


def _is_graph_row(row: Mapping[str, Any]) -> bool:
    """Resource Graph writes resource types in lower case (``microsoft.hybridcompute/...``)."""
    type_ = row.get("type")
    return isinstance(type_, str) and type_.startswith("microsoft.") and type_ == type_.lower()


def _page_items(page: Mapping[str, Any], reading: _Reading,
                path: FieldPath) -> tuple[list[Item], Page]:
    items = [reading.row(row, (*path, "value", i)) for i, row in enumerate(page["value"])]
    return items, _page(page, reading.doc.file, path, len(items))


def _page(page: Mapping[str, Any], file: str, path: FieldPath, count: int) -> Page:
    link = page.get("nextLink")
    if link is not None and not isinstance(link, str):
        raise InventoryError(f"expected a URL or null, got {show_value(link)}", file=file,
                             path=(*path, "nextLink"))
    return Page(file, path, link or "", count)


def _graph_page(data: Mapping[str, Any], file: str, count: int) -> Page:
    """The one page of a Resource Graph result, linking on when it has a skip token or says
    it was truncated."""
    token = next((data[k] for k in ("skipToken", "$skipToken", "skip_token") if data.get(k)), "")
    truncated = str(data.get("resultTruncated", "")).lower() == "true"
    return Page(file, (), str(token or ("resultTruncated" if truncated else "")), count)


def _graph_table(table: Any, file: str) -> list[Item]:
    """Rows of a Resource Graph ``table`` result (``{"columns", "rows"}``) as objects keyed
    by column name.

    Raises:
        InventoryError: ``table`` is not such a table, or a row does not match the columns.
    """
    if not (isinstance(table, dict) and isinstance(table.get("columns"), list)):
        raise InventoryError('expected a list of rows or {"columns": [...], "rows": [...]}, got '
                             f"{show_value(table)}", file=file, path=("data",))
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
    return items


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


def _csv_items(stream: TextStream, reading: _Reading) -> Iterator[Item]:
    """The rows of a Resource Graph CSV export, read line by line; the header is read now.

    Raises:
        InventoryError: no ``id``/``name``/``type`` column, or malformed CSV (with its line;
            as the items are iterated).
    """
    file, first_line = stream.file, stream.line() - 1
    reader = csv.reader(stream.lines())
    try:
        header = [_CANONICAL.get(h.strip().lower(), h.strip()) for h in next(reader, [])]
    except csv.Error as exc:
        raise InventoryError(f"invalid CSV: {exc}", file=file,
                             line=first_line + reader.line_num) from None
    if not {"id", "name", "type"} & set(header):
        raise _unknown_format(file, 'found text that is neither JSON nor a CSV whose header '
                              'names "id", "name" or "type"')
    reading.settle(InventoryFormat.GRAPH_CSV)
    return _csv_rows(reader, header, file, first_line)


def _csv_rows(reader: Any, header: list[str], file: str, first_line: int) -> Iterator[Item]:
    count, start = 0, first_line + reader.line_num + 1
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                yield _csv_item(header, row, file, count, start)
                count += 1
            start = first_line + reader.line_num + 1
    except csv.Error as exc:
        raise InventoryError(f"invalid CSV: {exc}", file=file,
                             line=first_line + reader.line_num) from None


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
        return load_json(stripped)
    except json.JSONDecodeError as exc:
        if column.lower() not in _OBJECT_COLUMNS:
            return text
        raise InventoryError(f"invalid JSON in the cell: {exc.msg} (character {exc.pos + 1})",
                             file=file, path=path, line=line) from None
    except ValueError as exc:  # past the limits (nesting, digits)
        raise InventoryError(f"JSON in the cell {exc}", file=file, path=path,
                             line=line) from None
