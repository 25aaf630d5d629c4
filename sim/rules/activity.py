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
