"""Azure roles (R27): names, and which roles may change extensions or policy."""

from __future__ import annotations

import pytest

from sim.errors import ArcsimError
from sim.rules.roles import EXTENSION_ROLES, POLICY_ROLES, ROLES, RoleError, check_role


@pytest.mark.parametrize("written", ["Owner", " owner ", "OWNER"])
def test_r27_role_names_are_normalised(written: str) -> None:
    assert check_role(written, "admin") == "owner"


def test_r27_an_unknown_role_names_the_actor_and_the_known_roles() -> None:
    with pytest.raises(RoleError, match=r'^admin: unknown role "Janitor"; known roles: ') as info:
        check_role("Janitor", "admin")
    assert isinstance(info.value, ArcsimError)
    assert all(role in str(info.value) for role in ROLES)


@pytest.mark.parametrize(("role", "extensions", "policy"), [
    ("owner", True, True),
    ("contributor", True, False),
    ("azure connected machine resource administrator", True, False),
    ("resource policy contributor", False, True),
    ("azure connected machine onboarding", False, False),
    ("reader", False, False),
])
def test_r27_what_each_role_may_change(role: str, extensions: bool, policy: bool) -> None:
    assert role in ROLES
    assert (role in EXTENSION_ROLES, role in POLICY_ROLES) == (extensions, policy)
