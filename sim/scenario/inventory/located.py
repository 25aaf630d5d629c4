"""Located items of an inventory export: errors, warnings, resource objects, field access.

Every value is read through an :class:`Item` (file, JSON path, CSV line, data), so that a value
that is present but unusable raises :class:`InventoryError` naming the file and the JSON path;
values Azure leaves null are taken with a stated default and an :class:`InventoryNote`.
Unknown fields are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple

from sim.errors import ArcsimError
from sim.scenario.source import FieldPath, format_path
from sim.scenario.units import show_value

MISSING: Any = object()
"""The value :func:`lookup` gives for an absent field (distinct from JSON null)."""


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


class SourceDocument:
    """One file (or in-memory document): its detected format, its resources and pages.

    ``items`` may be read as it is iterated (a large file is never held whole): iterate it
    once; :attr:`format` and :attr:`pages` are final once it is exhausted (a reader may refine
    the format, e.g. a list of rows seen to be Resource Graph's, and adds pages as it goes).
    """

    def __init__(self, file: str, format: InventoryFormat, items: Iterable[Item] = (),
                 pages: Iterable[Page] = ()) -> None:
        self.file, self.format, self.items = file, format, items
        self.pages: list[Page] = list(pages)


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
