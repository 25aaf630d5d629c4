"""Fixed code tables for the record columns.

Records store small integers; these tables give them names. The tables are static (not built
as a run goes), so records from independent shards of one fleet use the same codes.
"""

from __future__ import annotations

from enum import IntEnum

from sim.rules.commands import ErrorCode
from sim.rules.decision import Reason
from sim.rules.reference import RULE_IDS


class Op(IntEnum):
    """What a record is about (its ``operation`` column)."""

    INSTALL = 0
    UPDATE = 1
    UPGRADE = 2
    DELETE = 3
    REINSTALL = 4
    """An install done by resync after a local removal (R6): reinstall churn."""
    LOCAL_REMOVE = 5
    CONFIG = 6
    """An ``azcmagent`` command run locally (R8)."""
    SERVICE = 7
    """The extension service stopped or started (R6)."""
    RUNNING = 8
    """An installed extension stopped or started running (R24)."""
    CONNECTIVITY = 9
    """Connected, disconnected or expired (R28)."""
    POLICY = 10
    """An Azure Policy assignment or exemption changed (R16, R26)."""
    AGENT_UPDATE = 11
    """The agent moved to a newer version (R30)."""


REQUEST_OPS = (Op.INSTALL, Op.UPDATE, Op.UPGRADE, Op.DELETE)
"""Ops whose code equals :class:`sim.rules.Operation`'s position (install..delete)."""


class Outcome(IntEnum):
    """How it went (the ``outcome`` column)."""

    REQUESTED = 0
    """Azure accepted the request (activity log, R5, R29)."""
    DENIED = 1
    """Refused in Azure before the machine saw it (policy deny R26, authorization R27)."""
    BLOCKED = 2
    """Refused by the machine's local controls (R9-R15, R19, R23)."""
    SUCCEEDED = 3
    FAILED = 4
    ABORTED = 5
    """Catalog check failed: nothing installed (R3)."""
    APPLIED = 6
    """A local command or state change took effect."""
    REFUSED = 7
    """A local command the agent refused (unknown key, frozen lists, too old...)."""
    ORPHANED = 8
    """Deleted in Azure while the manager was disabled: still on the machine (R24)."""
    STOPPED = 9
    STARTED = 10
    DISCONNECTED = 11
    CONNECTED = 12
    EXPIRED = 13
    OVERRIDDEN = 14
    """An operation succeeded only because a protection was removed or bypassed (R16, R17);
    the record's actor is the one who lifted it."""
    AUDITED = 15
    """An Azure Policy ``Audit`` effect found the request non-compliant (R26)."""


ENGINE_REASONS = (
    "catalog_mismatch",
    "install_failure",
    "authorization_failed",
    "local_removal",
    "resync",
    "command",
    "manager_switch",
    "outage",
    "assignment",
    "exemption",
    "override",
    "stale_request",
    "policy_audit",
    "restore_failure",
    "remediation",
    "automatic_upgrade",
    "guest_configuration_disabled",
    "agent_update",
    "monitor_list_update",
    *(code.value for code in ErrorCode),
    "restored",
    "onboarding",
)
REASONS: tuple[str, ...] = ("", *(r.value for r in Reason), *ENGINE_REASONS)
"""The ``reason`` column's names: "" (none), the rules' reasons, then the engine's own."""
REASON_CODE: dict[str, int] = {name: i for i, name in enumerate(REASONS)}

RULES: tuple[str, ...] = ("", *RULE_IDS)
"""The ``rule`` column's names: "" (none), then every rule id (``docs/rules.md``)."""
RULE_CODE: dict[str, int] = {name: i for i, name in enumerate(RULES)}


class Prov(IntEnum):
    """``provisioningState`` of an extension resource in Azure (R6c); NONE = no resource."""

    NONE = 0
    CREATING = 1
    UPDATING = 2
    DELETING = 3
    SUCCEEDED = 4
    FAILED = 5
