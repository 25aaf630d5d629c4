"""Reading an Azure activity log as its events (for a replay, :mod:`sim.scenario.replay`).

Three shapes are read, told apart by their content:

* JSON as ``az monitor activity-log list`` prints it: a list of event objects (also what
  ``arcsim activity-log`` writes), or the Activity Log REST API's pages (``{"value": [...]}``,
  one page or a list of them);
* the CSV the Azure portal exports ("Download as CSV": columns such as ``Operation name``,
  ``Status``, ``Time``, ``Event initiated by``, ``Resource type``, ``Resource group``,
  ``Resource``, ``Correlation id``);
* the CSV ``arcsim activity-log --format csv`` writes (``eventTimestamp``, ``operationName``,
  ``status``, ``subStatus``, ``caller``, ``resourceId``, ``correlationId`` ...).

Every event becomes one row of :class:`Events` (texts; times are parsed later, all at once).
The file is read a window at a time, so a log of any size is read (no size limit). A file of
another shape, malformed JSON or CSV, JSON nested deeper or with longer numbers than
:data:`~sim.scenario.limits.LIMITS` allow, text after the list or page, an event that is not
an object, or one without the fields a replay needs is an :class:`ActivityLogError` naming
the file and the line and column, JSON path or CSV line.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.errors import ArcsimError
from sim.scenario.inventory.located import InventoryError
from sim.scenario.inventory.text_stream import TextStream, file_chunks
from sim.scenario.units import show_value


class ActivityLogError(ArcsimError):
    """An activity log that cannot be replayed: the message names the file and where in it."""


@dataclass
class Events:
    """The events of a log as columns of texts (one entry per event, in file order)."""

    time: list[str] = field(default_factory=list)
    operation: list[str] = field(default_factory=list)
    resource_type: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    sub_status: list[str] = field(default_factory=list)
    caller: list[str] = field(default_factory=list)
    resource: list[str] = field(default_factory=list)
    correlation: list[str] = field(default_factory=list)
    body: list[str] = field(default_factory=list)
    """``properties.requestbody`` (JSON text) when the event has one, else ""."""
    where: list[str] = field(default_factory=list)
    """Where each event is: a JSON path (``[3]``, ``value[3]``) or ``line 4``."""

    def add(self, where: str, **values: str) -> None:
        """Append one event (missing columns are "")."""
        self.where.append(where)
        for name in _COLUMNS:
            getattr(self, name).append(values.get(name, ""))

    def add_row(self, where: str, row: tuple[str, ...]) -> None:
        """Append one event given as texts in :data:`_COLUMNS` order (the fast path)."""
        self.where.append(where)
        self.time.append(row[0])
        self.operation.append(row[1])
        self.resource_type.append(row[2])
        self.status.append(row[3])
        self.sub_status.append(row[4])
        self.caller.append(row[5])
        self.resource.append(row[6])
        self.correlation.append(row[7])
        self.body.append(row[8])

    def __len__(self) -> int:
        return len(self.time)


_COLUMNS = ("time", "operation", "resource_type", "status", "sub_status", "caller", "resource",
            "correlation", "body")


def read_events(path: Path) -> Events:
    """The events of the activity log at ``path`` (JSON or CSV, see the module docstring).

    The file is read a window at a time (:class:`~sim.scenario.inventory.text_stream.
    TextStream`), so a log of any size is read; JSON nested deeper or holding longer numbers
    than :data:`~sim.scenario.limits.LIMITS` allow, text after the list or page, and a CSV
    cell longer than the ``csv`` module allows are errors too.

    Raises:
        ActivityLogError: the file cannot be read or has another shape (located: the file
            and a line and column, a JSON path or a CSV line).
    """
    try:
        stream = TextStream(str(path), file_chunks(str(path)))
        if stream.peek() in ("[", "{"):
            events = _json_events(stream, path)
            stream.expect_end()
            return events
        return _csv_events(stream, path)
    except InventoryError as exc:
        raise ActivityLogError(str(exc)) from None


# --- JSON -----------------------------------------------------------------------------------


def _json_events(stream: TextStream, path: Path) -> Events:
    events = Events()
    for where, event in _json_items(stream, path):
        _json_event(events, where, event, path)
    return events


def _json_items(stream: TextStream, path: Path) -> Iterator[tuple[str, Any]]:
    """(JSON path, item) of each event: a list is read one element at a time, and so is the
    ``value`` list of a page given alone."""
    if stream.peek() == "{":
        yield from _streamed_page(stream, path)
        return
    for index, item in enumerate(stream.elements(batched=False)):
        if isinstance(item, dict) and isinstance(item.get("value"), list):
            for number, event in enumerate(item["value"]):
                yield f"[{index}].value[{number}]", event
        else:
            yield f"[{index}]", item


def _streamed_page(stream: TextStream, path: Path) -> Iterator[tuple[str, Any]]:
    """The events of the page at the read position (one object), its ``value`` list read an
    element at a time."""
    found = False
    for key, value in stream.members(_STREAMED, batched=False):
        if key == "value" and isinstance(value, Iterator):
            found = True
            for index, item in enumerate(value):
                yield f"value[{index}]", item
    if not found:
        raise _not_a_page(path)


_STREAMED = frozenset({"value"})
"""The member of a page whose list is read an element at a time."""


def _not_a_page(path: Path) -> ActivityLogError:
    return ActivityLogError(
        f"{path}: expected a JSON list of events (az monitor activity-log list) or an "
        'object with a "value" list (the REST API), got an object without a "value" list')


def _json_event(events: Events, where: str, event: Any, path: Path) -> None:
    if not isinstance(event, dict):
        raise ActivityLogError(f"{path}: {where}: expected an event object, got "
                               f"{show_value(event)}")
    properties = event.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    inside = f"{where}.properties"
    events.add_row(where, (
        _text(event, "eventTimestamp", where, path, required=True),
        _text(event, "operationName", where, path, required=True),
        _text(event, "resourceType", where, path), _text(event, "status", where, path),
        _text(event, "subStatus", where, path) or _text(properties, "statusCode", inside, path),
        _text(event, "caller", where, path), _text(event, "resourceId", where, path),
        _text(event, "correlationId", where, path),
        _text(properties, "requestbody", inside, path)))


def _text(event: Mapping[str, Any], key: str, where: str, path: Path, *,
          required: bool = False) -> str:
    """A field as text: a string, or the ``value`` (else ``localizedValue``) of a
    localizable-string object."""
    value = event.get(key)
    if type(value) is str and (value or not required):  # the common case, first
        return value
    if isinstance(value, dict):
        value = value.get("value") or value.get("localizedValue")
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        found = "missing" if value is None else f"got {show_value(value)}"
        raise ActivityLogError(f"{path}: {where}.{key}: expected a text, {found}")
    return value


# --- CSV ------------------------------------------------------------------------------------

_PORTAL = {"time": "time", "operation": "operation name", "status": "status",
           "caller": "event initiated by", "resource_type": "resource type",
           "correlation": "correlation id"}
"""Column of the portal's CSV export (lower case) for each :class:`Events` column."""
_ARCSIM = {"time": "eventtimestamp", "operation": "operationname", "status": "status",
           "sub_status": "substatus", "caller": "caller", "resource": "resourceid",
           "correlation": "correlationid"}
"""Column of ``arcsim activity-log --format csv`` (lower case) for each :class:`Events`
column."""


def _csv_events(stream: TextStream, path: Path) -> Events:
    """The events of a CSV log, read line by line from the read position.

    Raises:
        ActivityLogError: a header of another shape, a row of another length, or malformed
            CSV (a cell longer than the ``csv`` module allows ...), each with its line.
    """
    first_line = stream.line() - 1
    rows = csv.reader(stream.lines())
    try:
        header = [h.strip().lower() for h in next(rows, [])]
        columns = _csv_columns(header, path, first_line + 1)
        index = {name: header.index(column) for name, column in columns.items()
                 if column in header}
        extra: dict[str, int] = {name: header.index(name) for name in (
            "resource", "resource group", "subscription", "id") if name in header}
        events = Events()
        for row in rows:
            if not any(cell.strip() for cell in row):
                continue
            line = first_line + rows.line_num
            if len(row) != len(header):
                raise ActivityLogError(f"{path}:{line}: expected {len(header)} columns, "
                                       f"found {len(row)}")
            values = {name: row[i] for name, i in index.items()}
            if columns is _PORTAL:
                values["resource"] = _portal_resource(row, extra,
                                                      values.get("resource_type", ""))
            events.add(f"line {line}", **values)
    except csv.Error as exc:
        raise ActivityLogError(f"{path}:{first_line + rows.line_num}: invalid CSV: {exc}") \
            from None
    return events


def _csv_columns(header: list[str], path: Path, line: int) -> Mapping[str, str]:
    """The columns of the CSV shape whose header is ``header`` (lower case).

    Raises:
        ActivityLogError: the header is of neither shape.
    """
    columns = _ARCSIM if "eventtimestamp" in header else _PORTAL
    missing = [name for name in ("time", "operation", "status", "caller")
               if columns[name] not in header]
    if missing or not _resource_columns(header, columns):
        raise ActivityLogError(
            f"{path}:{line}: expected the columns of the Azure portal's activity log CSV (Time, "
            "Operation name, Status, Event initiated by, Resource group, Resource ...) or of "
            "arcsim activity-log --format csv (eventTimestamp, operationName, status, caller, "
            f"resourceId ...); found {', '.join(header) or 'no header'}")
    return columns


def _resource_columns(header: list[str], columns: Mapping[str, str]) -> bool:
    if columns is _ARCSIM:
        return "resourceid" in header
    return "id" in header or "resource" in header


def _portal_resource(row: list[str], extra: Mapping[str, int], resource_type: str) -> str:
    """The resource id of a portal CSV row: the ``Resource`` column when it holds an id,
    else the event ``Id`` up to ``/events/``, else one built from ``Subscription``,
    ``Resource group`` and ``Resource`` (``machine`` or ``machine/extension``)."""
    resource = row[extra["resource"]].strip() if "resource" in extra else ""
    if "/providers/" in resource.lower():
        return resource
    event_id = row[extra["id"]].strip() if "id" in extra else ""
    if "/events/" in event_id.lower():
        return event_id[:event_id.lower().index("/events/")]
    group = row[extra["resource group"]].strip() if "resource group" in extra else ""
    subscription = row[extra["subscription"]].strip() if "subscription" in extra else ""
    if not (resource and group):
        return resource
    machine, _, extension = resource.partition("/")
    rid = (f"/subscriptions/{subscription}/resourceGroups/{group}/providers/"
           f"Microsoft.HybridCompute/machines/{machine}")
    is_extension = resource_type.strip().lower().endswith("/extensions")
    return f"{rid}/extensions/{extension}" if extension or is_extension else rid
