"""An activity log as the extension operations it records (R5, R29), for a replay.

The events of a log (:func:`sim.scenario.activity_reader.read_events`) are grouped into
operations: the events of one operation share its correlation id (``Started``, ``Accepted``,
then ``Succeeded`` or ``Failed``; a request Azure refuses is a single ``Failed`` event with
sub-status ``Forbidden``), so an operation is the events with the same correlation id,
resource and operation; an event without a correlation id is an operation by itself. An
operation happens at its first event, is asked for by the first caller its events name, and
ended ``failed`` when an event failed (or was canceled) and none succeeded.

Only writes and deletes of ``Microsoft.HybridCompute/machines/extensions`` and
``Microsoft.HybridCompute/machines/upgradeExtensions/action`` are taken
(:func:`sim.rules.activity.read_operation`); events of other operations are counted and left
out. Times are ISO 8601 (a time without a zone is UTC) or the portal's
``Tue Jan 10 2023 10:59:33 GMT+0100 (...)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.rules.activity import DELETE, UPGRADE, WRITE, UnknownOperation, read_operation
from sim.scenario.activity_reader import ActivityLogError, Events, read_events
from sim.scenario.units import show_value

KINDS = (WRITE, DELETE, UPGRADE)
"""Operation kinds by code (:attr:`Operations.kind`)."""
DAY_NS = 86_400 * 10**9
_FAILED = frozenset({"failed", "canceled", "cancelled"})
_JS_DATE = re.compile(r"^\s*\w{3}\s+(\w{3}\s+\d{1,2}\s+\d{4}\s+\d{1,2}:\d{2}:\d{2})\s+"
                      r"GMT([+-]\d{4})")


@dataclass(frozen=True)
class Operations:
    """The extension operations of a log, in time order (one entry per operation)."""

    time_ns: npt.NDArray[np.int64]
    """UTC nanoseconds since the epoch of the operation's first event."""
    kind: npt.NDArray[np.int8]
    """Index into :data:`KINDS`."""
    resource: list[str]
    caller: list[str]
    failed: npt.NDArray[np.bool_]
    forbidden: npt.NDArray[np.bool_]
    """Refused by Azure (403): nothing changed on the resource."""
    body: list[str]
    """The request body of the operation, when the log has it (JSON text), else ""."""
    where: list[str]
    """Where the operation's first event is in the file."""
    first_day_ns: int
    """The log's first day: midnight UTC before its first event (any operation)."""
    events: int
    """Events in the log."""
    other: int
    """Events of other operations, left out (an event that shares its correlation id with
    a taken operation, such as Azure Policy's audit of it, is not counted)."""


def read_operations(path: Path) -> Operations:
    """The extension operations of the activity log at ``path``.

    Raises:
        ActivityLogError: the file cannot be read, has another shape, an unknown operation on
            an Arc extension, a time that cannot be read, or an operation without a resource
            id (each located).
    """
    events = read_events(path)
    times = _times(events, path)
    kinds = _kinds(events, path)
    taken = np.flatnonzero(kinds >= 0)
    for i in taken.tolist():
        if not events.resource[i].strip():
            raise ActivityLogError(f"{path}: {events.where[i]}: an operation on an Arc "
                                   "extension without a resource id (resourceId)")
    first = int(times.min()) // DAY_NS * DAY_NS if len(times) else 0
    return _grouped(events, times, kinds, taken, first, _others(events, kinds))


def _others(events: Events, kinds: npt.NDArray[np.int8]) -> int:
    """Events of other operations, not counting those of a taken operation's correlation id
    (Azure Policy's audit and deny events of the same request)."""
    related = {c for c, k in zip(events.correlation, kinds.tolist(), strict=True)
               if k >= 0 and c}
    return sum(1 for c, k in zip(events.correlation, kinds.tolist(), strict=True)
               if k < 0 and not (c and c in related))


def _times(events: Events, path: Path) -> npt.NDArray[np.int64]:
    """UTC nanoseconds of each event's time.

    Raises:
        ActivityLogError: naming the first time that cannot be read.
    """
    texts = pd.Series(events.time, dtype=object)
    parsed = pd.to_datetime(texts, utc=True, format="ISO8601", errors="coerce")
    bad = parsed.isna().to_numpy()
    if bad.any():
        js = texts[bad].str.extract(_JS_DATE)
        again = pd.to_datetime(js[0] + " " + js[1], utc=True, format="%b %d %Y %H:%M:%S %z",
                               errors="coerce")
        parsed = parsed.fillna(again)
        bad = parsed.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ActivityLogError(
            f"{path}: {events.where[i]}: cannot read the time {show_value(events.time[i])}: "
            'expected ISO 8601 like "2026-01-05T10:00:00Z"')
    return parsed.to_numpy(dtype="datetime64[ns]").astype(np.int64)


def _kinds(events: Events, path: Path) -> npt.NDArray[np.int8]:
    """Each event's operation kind (index into :data:`KINDS`), -1 for other operations.

    Raises:
        ActivityLogError: an unknown operation on an Arc extension, naming the event.
    """
    known: dict[tuple[str, str], int] = {}
    out = np.empty(len(events), dtype=np.int8)
    for i, key in enumerate(zip(events.operation, events.resource_type, strict=True)):
        code = known.get(key)
        if code is None:
            try:
                kind = read_operation(*key)
            except UnknownOperation as exc:
                raise ActivityLogError(f"{path}: {events.where[i]}: {exc}") from None
            code = known[key] = -1 if kind is None else KINDS.index(kind)
        out[i] = code
    return out


def _grouped(events: Events, times: npt.NDArray[np.int64], kinds: npt.NDArray[np.int8],
             taken: npt.NDArray[np.intp], first_day: int, other: int) -> Operations:
    """The taken events grouped into operations (see the module docstring)."""
    frame = pd.DataFrame({
        "time": times[taken], "kind": kinds[taken], "order": np.arange(len(taken)),
        "resource": _column(events.resource, taken), "caller": _column(events.caller, taken),
        "body": _column(events.body, taken), "where": _column(events.where, taken)})
    status = _column(events.status, taken).str.strip().str.lower()
    sub_status = _column(events.sub_status, taken).str.lower()
    frame["succeeded"] = status == "succeeded"
    frame["failed"] = status.isin(_FAILED)
    frame["forbidden"] = frame["failed"] & sub_status.str.contains("forbidden")
    correlation = _column(events.correlation, taken).str.strip()
    frame["correlation"] = correlation.where(correlation != "", "#" + frame["order"].astype(str))
    frame["key"] = frame["resource"].str.lower()
    frame = frame.sort_values(["time", "order"], kind="stable")
    for name in ("caller", "body"):
        frame[name] = frame[name].replace("", np.nan)
    groups = frame.groupby(["correlation", "key", "kind"], sort=False)
    ops = groups.agg(time=("time", "first"), kind=("kind", "first"),
                     resource=("resource", "first"), caller=("caller", "first"),
                     body=("body", "first"), where=("where", "first"),
                     succeeded=("succeeded", "any"), failed=("failed", "any"),
                     forbidden=("forbidden", "any"))
    ops = ops.sort_values("time", kind="stable")
    failed = (ops["failed"] & ~ops["succeeded"]).to_numpy(bool)
    return Operations(
        ops["time"].to_numpy(np.int64), ops["kind"].to_numpy(np.int8),
        ops["resource"].tolist(), ops["caller"].fillna("").tolist(), failed,
        failed & ops["forbidden"].to_numpy(bool), ops["body"].fillna("").tolist(),
        ops["where"].tolist(), first_day, len(events), other)


def _column(values: list[str], rows: npt.NDArray[np.intp]) -> pd.Series:
    return pd.Series(np.asarray(values, dtype=object)[rows], dtype=object)
