"""What Azure's activity log shows for extension operations (R5, R29).

Every install, update, upgrade and delete starts in Azure and is written to the activity log
with who asked and how it ended (R5). The operation names and the caller of automatic upgrades
are fixed (R29). A reinstall by resync after a local removal (R6) is *not* an Azure operation:
it never appears in the activity log, which is why reinstall churn is invisible there.
"""

from __future__ import annotations

from typing import Final

from sim.rules.decision import Operation

EXTENSION_WRITE: Final = "Microsoft.HybridCompute/machines/extensions/write"
EXTENSION_DELETE: Final = "Microsoft.HybridCompute/machines/extensions/delete"
UPGRADE_ACTION: Final = "Microsoft.HybridCompute/machines/upgradeExtensions/action"
POLICY_DENY: Final = "Microsoft.Authorization/policies/deny/action"
POLICY_AUDIT: Final = "Microsoft.Authorization/policies/audit/action"

AUTO_UPGRADE_CALLER: Final = "Azure Regional Service Manager"
"""The caller of automatic extension upgrades (R25, R29)."""

OPERATION_NAMES: Final[dict[Operation, str]] = {
    Operation.INSTALL: EXTENSION_WRITE,
    Operation.UPDATE: EXTENSION_WRITE,
    Operation.UPGRADE: UPGRADE_ACTION,
    Operation.DELETE: EXTENSION_DELETE,
}
"""Activity log ``operationName`` of each extension operation (R29): install and update
(reconfigure) are both a ``write`` of the extension resource."""

POLICY_ERROR: Final = "RequestDisallowedByPolicy"
"""The error code of a request refused by an Azure Policy ``Deny`` (403, R26)."""

AUTHORIZATION_ERROR: Final = "AuthorizationFailed"
"""The error code of a request the caller's role may not make (403, R27)."""


def operation_name(operation: Operation | str) -> str:
    """The activity log ``operationName`` of an extension ``operation`` (R29).

    >>> operation_name("upgrade")
    'Microsoft.HybridCompute/machines/upgradeExtensions/action'
    """
    return OPERATION_NAMES[Operation(operation)]


# --- reading an activity log (replay) -------------------------------------------------------

WRITE: Final = "write"
DELETE: Final = "delete"
UPGRADE: Final = "upgrade"

_READ_NAMES: Final[dict[str, str]] = {
    EXTENSION_WRITE.lower(): WRITE,
    EXTENSION_DELETE.lower(): DELETE,
    UPGRADE_ACTION.lower(): UPGRADE,
    "upgrade extensions on azure arc machines": UPGRADE,
    "upgrades extensions on azure arc machines": UPGRADE,
}
"""Operation names (and the display names the portal shows) of the operations a replay
takes, lower case."""
EXTENSION_OPERATIONS: Final = "microsoft.hybridcompute/machines/extensions/"
"""The prefix of every operation on an Arc extension resource (lower case)."""
EXTENSION_RESOURCE_TYPE: Final = "microsoft.hybridcompute/machines/extensions"


class UnknownOperation(ValueError):
    """An operation on Arc extensions that is not a write, a delete or an upgrade."""


def read_operation(name: str, resource_type: str = "") -> str | None:
    """What an activity log operation is for a replay (R29): :data:`WRITE` (install or
    update), :data:`DELETE`, :data:`UPGRADE`, or None for an operation on anything else.

    ``name`` is the operation's name (``Microsoft.HybridCompute/machines/extensions/write``)
    or the portal's display name of it; ``resource_type`` the event's resource type, when the
    log has one (the portal's CSV), which tells a display name on an extension apart.

    Raises:
        UnknownOperation: an operation on Arc extensions this cannot tell (the message says
            which are known).

    >>> read_operation("Microsoft.HybridCompute/machines/upgradeExtensions/action")
    'upgrade'
    """
    key = " ".join(name.split()).lower()
    found = _READ_NAMES.get(key)
    if found is not None:
        return found
    on_extension = key.startswith(EXTENSION_OPERATIONS) or (
        "/" not in key and resource_type.strip().lower() == EXTENSION_RESOURCE_TYPE)
    if not on_extension:
        return None
    if "/" not in key:  # a display name of an operation on an extension resource
        for verb, kind in (("delete", DELETE), ("write", WRITE), ("create", WRITE),
                           ("update", WRITE), ("install", WRITE)):
            if verb in key:
                return kind
    raise UnknownOperation(f'unknown operation "{name}" on an Arc extension: expected '
                           f"{EXTENSION_WRITE}, {EXTENSION_DELETE} or {UPGRADE_ACTION}")
