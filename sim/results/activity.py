"""A run's Azure activity log, in the shape Azure itself produces (R5, R29).

Every extension request that reaches Azure is an activity-log operation: a ``Started`` event
when Azure accepts it, then ``Succeeded`` or ``Failed`` when the machine reports (a block by
the machine's local controls is a failed operation), or a single ``Failed`` event with
sub-status ``Forbidden`` when Azure refuses it (``RequestDisallowedByPolicy``, R26;
``AuthorizationFailed``, R27). Azure Policy adds ``Policy``-category events for its deny and
audit effects. Reinstalls by resync after a local removal (R6), local ``azcmagent`` commands
and overrides are not Azure operations and do not appear: the activity log alone cannot show
reinstall churn or a lockdown being rewritten on the machine.

:func:`activity_log` gives a flat frame (one row per event); :func:`to_azure_json` the
objects ``az monitor activity-log list`` prints. Machines are named ``machine-<id>`` in a
resource group named after their fleet group, in a placeholder subscription; event ids and
correlation ids are UUIDs derived from the run, so the same run gives the same log.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.errors import ArcsimError
from sim.files import FileError, atomic_file
from sim.results.records import category_codes, category_names
from sim.rules.activity import POLICY_AUDIT, POLICY_DENY, operation_name
from sim.rules.messages import authorization_message, status_message

SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
"""The placeholder subscription of simulated resource ids."""

DEFAULT_START = datetime(2026, 1, 1, tzinfo=UTC)
"""Time zero of a run whose scenario gives no ``start``."""

COLUMNS = ("eventTimestamp", "category", "operationName", "status", "subStatus", "level",
           "caller", "resourceId", "correlationId", "statusMessage")

_REQUEST_OPS = ("install", "update", "upgrade", "delete")
_STATUS = {"requested": "Started", "succeeded": "Succeeded", "orphaned": "Succeeded",
           "denied": "Failed", "blocked": "Failed", "failed": "Failed", "aborted": "Failed"}
_SUBSTATUS = {"requested": "Accepted", "succeeded": "OK", "orphaned": "OK",
              "denied": "Forbidden", "blocked": "", "failed": "", "aborted": ""}
_NAMESPACE = uuid.UUID("6f1f5d1e-8a53-4c1b-9d7e-6a0b3c2f4e11")


class ActivityLogError(ArcsimError):
    """An activity log that cannot be written."""


CHUNK = 20_000
"""Events made (and written) at a time: a million-machine month has millions of them."""


def activity_log(records: pd.DataFrame, start: datetime | None = None,
                 run: str = "") -> pd.DataFrame:
    """The activity-log events of a run's ``records`` (see the module docstring), in time
    order; ``run`` (e.g. the result folder's name) keys the generated ids. All in memory: a
    big run's log is better written with :func:`write_activity_log` from
    :func:`activity_chunks`."""
    chunks = list(activity_chunks(records, start, run))
    if not chunks:
        return pd.DataFrame({name: pd.Series(dtype=str) for name in COLUMNS})
    return pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0]


def activity_chunks(records: pd.DataFrame, start: datetime | None = None, run: str = "",
                    size: int = CHUNK) -> Iterator[pd.DataFrame]:
    """:func:`activity_log`'s events, ``size`` at a time, in order (the ids and the order are
    those of the whole log; only one chunk's strings exist at a time)."""
    plan = _Plan(records)
    origin = pd.Timestamp(start or DEFAULT_START)
    origin = origin.tz_localize(UTC) if origin.tzinfo is None else origin.tz_convert(UTC)
    for lo in range(0, len(plan.events), size):
        yield plan.frame(plan.events[lo:lo + size], plan.deny[lo:lo + size], origin, run)


class _Plan:
    """Which records make which events, in log order, as integer arrays: an operation
    starts when Azure accepts or refuses a request, later events of the same resource belong
    to the latest one (the correlation id links them, as in Azure), and Azure Policy writes
    its own event after a deny (R26). Names are looked up per chunk (:meth:`frame`)."""

    def __init__(self, records: pd.DataFrame) -> None:
        self.records = records
        self.names = {c: [*category_names(records[c]), ""] for c in  # "": missing (code -1)
                      ("operation", "outcome", "reason", "actor", "group", "extension")}
        self.codes = {c: category_codes(records[c]) for c in self.names}
        op, outcome = self.names["operation"], self.names["outcome"]
        azure = (_in(op, _REQUEST_OPS)[self.codes["operation"]]
                 & _in(outcome, [*_STATUS, "audited"])[self.codes["outcome"]])
        self.base = np.flatnonzero(azure)
        out = self.codes["outcome"][self.base]
        starts = _in(outcome, ("requested", "denied"))[out].astype(np.int64)
        self.sequence = pd.Series(starts).groupby(self._resource_keys()).cumsum().to_numpy()
        denied = _in(outcome, ("denied",))[out] & \
            _in(self.names["reason"], ("policy_deny",))[self.codes["reason"][self.base]]
        extra = np.flatnonzero(denied)
        times = records["time"].to_numpy(np.float64)[self.base]
        order = np.argsort(np.concatenate([times, times[extra]]), kind="stable")
        self.events = np.concatenate([np.arange(len(self.base)), extra])[order]
        self.deny = np.concatenate([np.zeros(len(self.base), bool),
                                    np.ones(len(extra), bool)])[order]

    def _resource_keys(self) -> npt.NDArray[np.int64]:
        """One integer per resource id (machine, resource group, extension type)."""
        kinds = [name.split("/", 1)[-1] for name in self._extension_names()]
        kind_code = np.unique(np.array(kinds, dtype=object), return_inverse=True)[1]
        groups = len(self.names["group"])
        machine = self.records["machine"].to_numpy(np.int64)[self.base]
        group = self.codes["group"][self.base] % groups
        kind = kind_code[self.codes["extension"][self.base] % len(kinds)]
        return (machine * groups + group) * len(kinds) + kind

    def _extension_names(self) -> list[str]:
        return [*self.names["extension"][:-1], "nan"]  # a missing one read as "nan"

    def frame(self, index: npt.NDArray[np.int64], deny: npt.NDArray[np.bool_],
              origin: pd.Timestamp, run: str) -> pd.DataFrame:
        """The events ``index`` (into :attr:`base`) as :data:`COLUMNS` rows."""
        rows = self.base[index]

        def named(column: str, names: list[str] | None = None) -> npt.NDArray[Any]:
            table = np.array(names or self.names[column], dtype=object)
            return table[self.codes[column][rows]]

        op, outcome, reason = named("operation"), named("outcome"), named("reason")
        machine = self.records["machine"].to_numpy()[rows].tolist()
        extensions = named("extension", self._extension_names())
        kinds = [e.split("/", 1)[-1] for e in extensions]
        resource = [f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{g}/providers/"
                    f"Microsoft.HybridCompute/machines/machine-{m:07d}/extensions/{k}"
                    for g, m, k in zip(named("group"), machine, kinds, strict=True)]
        correlation = [str(uuid.uuid5(_NAMESPACE, f"{run}|{rid}|{n}"))
                       for rid, n in zip(resource, self.sequence[index].tolist(), strict=True)]
        audit = outcome == "audited"
        status = np.where(audit, "Succeeded", [_STATUS.get(o, "") for o in outcome])
        sub_status = np.where(audit, "", [_SUBSTATUS.get(o, "") for o in outcome])
        operation = np.where(audit, POLICY_AUDIT, [operation_name(o) for o in op])
        level = np.where(audit, "Warning", np.where(
            np.isin(outcome, ["denied", "blocked", "failed", "aborted"]), "Error",
            "Informational"))
        category = np.where(audit, "Policy", "Administrative")
        # the event Azure Policy adds for a deny (R26)
        category = np.where(deny, "Policy", category)
        operation = np.where(deny, POLICY_DENY, operation)
        status = np.where(deny, "Succeeded", status)
        sub_status = np.where(deny, "", sub_status)
        level = np.where(deny, "Warning", level)
        seconds = self.records["time"].to_numpy(np.float64)[rows]
        moments = origin + pd.to_timedelta(seconds, unit="s")
        return pd.DataFrame({
            "eventTimestamp": pd.Series(moments).dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            .to_numpy(),
            "category": category, "operationName": operation, "status": status,
            "subStatus": sub_status, "level": level, "caller": named("actor"),
            "resourceId": resource, "correlationId": correlation,
            "statusMessage": _messages(outcome, reason, op, extensions, named("actor"),
                                       resource),
        })


def _in(names: list[str], wanted: Sequence[str]) -> npt.NDArray[np.bool_]:
    """Per name (code), whether it is one of ``wanted``."""
    return np.array([n in wanted for n in names], dtype=bool)


def _messages(outcome: npt.NDArray[Any], reason: npt.NDArray[Any], op: npt.NDArray[Any],
              extension: npt.NDArray[Any], caller: npt.NDArray[Any],
              resource: list[str]) -> list[str]:
    """Each event's ``statusMessage``: the sentence Azure would show (:mod:`sim.rules.
    messages`), "" for a started or succeeded operation."""
    return [authorization_message(c, p, rid) if o == "denied" and r != "policy_deny"
            else status_message(o, r, p, e)
            for o, r, p, e, c, rid in zip(outcome.tolist(), reason.tolist(), op.tolist(),
                                          extension.tolist(), caller.tolist(), resource,
                                          strict=True)]


def to_azure_json(events: pd.DataFrame, run: str = "", offset: int = 0) -> list[dict[str, Any]]:
    """``events`` as the objects ``az monitor activity-log list`` prints (``offset``: the
    first event's position in the whole log, which keys its ``eventDataId``)."""
    out: list[dict[str, Any]] = []
    rows: list[dict[Any, Any]] = events.to_dict("records")
    for i, row in enumerate(rows, start=offset):
        out.append({
            "caller": row["caller"],
            "category": {"value": row["category"], "localizedValue": row["category"]},
            "correlationId": row["correlationId"],
            "eventDataId": str(uuid.uuid5(_NAMESPACE, f"{run}|event|{i}")),
            "eventTimestamp": row["eventTimestamp"],
            "level": row["level"],
            "operationName": {"value": row["operationName"],
                              "localizedValue": row["operationName"]},
            "properties": {"statusCode": _status_code(row["status"], row["subStatus"]),
                           "statusMessage": row["statusMessage"]},
            "resourceGroupName": row["resourceId"].split("/")[4],
            "resourceId": row["resourceId"],
            "resourceProviderName": {"value": "Microsoft.HybridCompute",
                                     "localizedValue": "Microsoft.HybridCompute"},
            "resourceType": {"value": "Microsoft.HybridCompute/machines/extensions",
                             "localizedValue": "Microsoft.HybridCompute/machines/extensions"},
            "status": {"value": row["status"], "localizedValue": row["status"]},
            "subStatus": {"value": row["subStatus"], "localizedValue": row["subStatus"]},
            "subscriptionId": SUBSCRIPTION,
        })
    return out


_PROVIDER = "Microsoft.HybridCompute"
_TYPE = "Microsoft.HybridCompute/machines/extensions"


def _event_texts(events: pd.DataFrame, run: str, offset: int) -> Iterator[str]:
    """Each event of :func:`to_azure_json` as the text ``json.dumps(whole_list, indent=2)``
    gives it inside the list (the same bytes, ``tests/test_results_activity_log.py``), written
    out directly: the standard encoder is pure Python once ``indent`` is set, which made
    writing a big log take minutes."""
    q = json.encoder.encode_basestring_ascii

    def named(value: str) -> str:
        text = q(value)
        return f'{{\n      "value": {text},\n      "localizedValue": {text}\n    }}'

    provider, kind, subscription = named(_PROVIDER), named(_TYPE), q(SUBSCRIPTION)
    columns = [events[c].tolist() for c in COLUMNS]
    for i, (moment, category, operation, status, sub_status, level, caller, resource,
            correlation, message) in enumerate(zip(*columns, strict=True), start=offset):
        yield (f'  {{\n    "caller": {q(caller)},\n    "category": {named(category)},\n'
               f'    "correlationId": {q(correlation)},\n'
               f'    "eventDataId": {q(str(uuid.uuid5(_NAMESPACE, f"{run}|event|{i}")))},\n'
               f'    "eventTimestamp": {q(moment)},\n    "level": {q(level)},\n'
               f'    "operationName": {named(operation)},\n    "properties": {{\n'
               f'      "statusCode": {q(_status_code(status, sub_status))},\n'
               f'      "statusMessage": {q(message)}\n    }},\n'
               f'    "resourceGroupName": {q(resource.split("/")[4])},\n'
               f'    "resourceId": {q(resource)},\n    "resourceProviderName": {provider},\n'
               f'    "resourceType": {kind},\n    "status": {named(status)},\n'
               f'    "subStatus": {named(sub_status)},\n    "subscriptionId": {subscription}\n'
               "  }")


def _status_code(status: str, sub_status: str) -> str:
    if sub_status == "Forbidden":
        return "Forbidden"
    return {"Started": "Accepted", "Succeeded": "OK"}.get(status, "Conflict")


class Written(NamedTuple):
    """A written activity log: where, and how many events."""

    path: Path
    events: int


def write_activity_log(events: pd.DataFrame | Iterable[pd.DataFrame],
                       path: str | os.PathLike[str], *, fmt: str = "json",
                       run: str = "") -> Written:
    """Write ``events`` (a frame, or its chunks in order: :func:`activity_chunks`) to
    ``path`` as Azure's JSON (``fmt`` "json") or a flat CSV, chunk by chunk, atomically
    (:func:`sim.files.atomic_file`: whole or not at all).

    Raises:
        ActivityLogError: an unknown format, or the file cannot be written.
    """
    if fmt not in ("json", "csv"):
        raise ActivityLogError(f'unknown format "{fmt}": expected json or csv')
    chunks = [events] if isinstance(events, pd.DataFrame) else events
    target = Path(path)
    count, header = 0, True
    try:
        with atomic_file(target, newline="") as out:
            for chunk in chunks:
                if fmt == "csv":
                    chunk.to_csv(out, index=False, header=header, lineterminator="\n")
                    header, count = False, count + len(chunk)
                    continue
                for text in _event_texts(chunk, run, count):
                    out.write(("[\n" if count == 0 else ",\n") + text)
                    count += 1
            if fmt == "json":
                out.write("\n]\n" if count else "[]\n")
            elif header:  # no chunk at all: the header alone
                pd.DataFrame({name: [] for name in COLUMNS}).to_csv(out, index=False,
                                                                   lineterminator="\n")
    except FileError as exc:
        raise ActivityLogError(f"{target}: cannot write the activity log ({exc.reason})") \
            from None
    return Written(target, count)
