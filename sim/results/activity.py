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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import ArcsimError
from sim.rules.activity import (
    AUTHORIZATION_ERROR,
    POLICY_AUDIT,
    POLICY_DENY,
    POLICY_ERROR,
    operation_name,
)

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


def resource_ids(machine: pd.Series, group: pd.Series, extension: pd.Series) -> pd.Series:
    """ARM ids of ``Microsoft.HybridCompute/machines/extensions`` resources."""
    kind = extension.astype(str).str.split("/", n=1).str[-1]
    return ("/subscriptions/" + SUBSCRIPTION + "/resourceGroups/" + group.astype(str)
            + "/providers/Microsoft.HybridCompute/machines/machine-"
            + machine.astype(str).str.zfill(7) + "/extensions/" + kind)


def activity_log(records: pd.DataFrame, start: datetime | None = None,
                 run: str = "") -> pd.DataFrame:
    """The activity-log events of a run's ``records`` (see the module docstring), in time
    order; ``run`` (e.g. the result folder's name) keys the generated ids."""
    ops = records["operation"].astype(str)
    outcomes = records["outcome"].astype(str)
    azure = ops.isin(_REQUEST_OPS) & outcomes.isin([*_STATUS, "audited"])
    frame = records.loc[azure].reset_index(drop=True)
    if frame.empty:
        return pd.DataFrame({name: pd.Series(dtype=str) for name in COLUMNS})
    op, outcome = frame["operation"].astype(str), frame["outcome"].astype(str)
    reason = frame["reason"].astype(str).where(frame["reason"].notna(), "")
    resource = resource_ids(frame["machine"], frame["group"], frame["extension"])

    # an operation starts when Azure accepts or refuses a request; later events of the same
    # resource belong to the latest one (the correlation id links them, as in Azure)
    starts = outcome.isin(["requested", "denied"]).astype(np.int64)
    sequence = starts.groupby(resource.to_numpy()).cumsum()
    correlation = [str(uuid.uuid5(_NAMESPACE, f"{run}|{rid}|{n}"))
                   for rid, n in zip(resource, sequence, strict=True)]

    audit = outcome == "audited"
    policy_deny = (outcome == "denied") & (reason == "policy_deny")
    events = pd.DataFrame({
        "time": frame["time"].to_numpy(),
        "category": np.where(audit, "Policy", "Administrative"),
        "operationName": np.where(audit, POLICY_AUDIT, op.map(operation_name).to_numpy()),
        "status": np.where(audit, "Succeeded", outcome.map(_STATUS).fillna("").to_numpy()),
        "subStatus": np.where(audit, "", outcome.map(_SUBSTATUS).fillna("").to_numpy()),
        "level": np.select([audit, outcome.isin(["denied", "blocked", "failed", "aborted"])],
                           ["Warning", "Error"], "Informational"),
        "caller": frame["actor"].astype(str).to_numpy(),
        "resourceId": resource.to_numpy(),
        "correlationId": correlation,
        "statusMessage": [_message(o, r) for o, r in zip(outcome, reason, strict=True)],
    })
    if policy_deny.any():  # Azure Policy writes its own event for a deny (R26)
        denies = events.loc[policy_deny.to_numpy()].copy()
        denies["category"], denies["operationName"] = "Policy", POLICY_DENY
        denies["status"], denies["subStatus"], denies["level"] = "Succeeded", "", "Warning"
        events = pd.concat([events, denies], ignore_index=True)
    events = events.sort_values("time", kind="stable").reset_index(drop=True)
    origin = pd.Timestamp(start or DEFAULT_START)
    origin = origin.tz_localize(UTC) if origin.tzinfo is None else origin.tz_convert(UTC)
    moments = origin + pd.to_timedelta(events.pop("time").to_numpy(), unit="s")
    events.insert(0, "eventTimestamp",
                  pd.Series(moments).dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ").to_numpy())
    return events


def _message(outcome: str, reason: str) -> str:
    if outcome == "denied":
        code = POLICY_ERROR if reason == "policy_deny" else AUTHORIZATION_ERROR
        return json.dumps({"error": {"code": code, "message": reason}})
    if outcome in ("blocked", "failed", "aborted"):
        return json.dumps({"error": {"code": "ExtensionOperationFailed", "message": reason}})
    if outcome == "orphaned":
        return "deleted in Azure; still on the machine (extension manager disabled)"
    return ""


def to_azure_json(events: pd.DataFrame, run: str = "") -> list[dict[str, Any]]:
    """``events`` as the objects ``az monitor activity-log list`` prints."""
    out: list[dict[str, Any]] = []
    rows: list[dict[Any, Any]] = events.to_dict("records")
    for i, row in enumerate(rows):
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


def _status_code(status: str, sub_status: str) -> str:
    if sub_status == "Forbidden":
        return "Forbidden"
    return {"Started": "Accepted", "Succeeded": "OK"}.get(status, "Conflict")


def write_activity_log(events: pd.DataFrame, path: str | os.PathLike[str], *,
                       fmt: str = "json", run: str = "") -> Path:
    """Write ``events`` to ``path`` as Azure's JSON (``fmt`` "json") or a flat CSV, atomically
    (a temporary sibling renamed into place)."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        if fmt == "json":
            tmp.write_text(json.dumps(to_azure_json(events, run), indent=2) + "\n",
                           encoding="utf-8")
        elif fmt == "csv":
            events.to_csv(tmp, index=False)
        else:
            raise ActivityLogError(f'unknown format "{fmt}": expected json or csv')
        os.replace(tmp, target)
    except OSError as exc:
        raise ActivityLogError(f"{target}: cannot write the activity log ({exc.strerror})") \
            from None
    finally:
        tmp.unlink(missing_ok=True)
    return target
