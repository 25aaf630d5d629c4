"""Azure roles and what they permit (R27).

Owner, Contributor and Azure Connected Machine Resource Administrator may install, update,
upgrade and delete extensions; Azure Connected Machine Onboarding and Reader may not. Owner and
Resource Policy Contributor may change policy assignments and exemptions; Contributor may not.
Role names are compared in lower case, as :func:`check_role` returns them.
"""

from __future__ import annotations

from typing import Final

from sim.errors import ArcsimError

EXTENSION_ROLES: Final = frozenset({"owner", "contributor",
                                    "azure connected machine resource administrator"})
"""Roles that may install, update, upgrade and delete extensions (R27)."""
POLICY_ROLES: Final = frozenset({"owner", "resource policy contributor"})
"""Roles that may change policy assignments and exemptions (R27)."""
ROLES: Final = EXTENSION_ROLES | POLICY_ROLES | {"azure connected machine onboarding", "reader"}
"""Every role arcsim knows, in lower case."""


class RoleError(ArcsimError, ValueError):
    """A role name that is not one of :data:`ROLES`."""


def check_role(role: str, where: str) -> str:
    """``role`` normalised (stripped, lower case).

    Raises:
        RoleError: ``role`` is not a known role; the message starts with ``where`` (the actor)
            and lists the known roles.
    """
    lowered = role.strip().lower()
    if lowered not in ROLES:
        known = ", ".join(sorted(ROLES))
        raise RoleError(f'{where}: unknown role "{role}"; known roles: {known}')
    return lowered
