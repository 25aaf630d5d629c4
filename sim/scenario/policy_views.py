"""What a simulated machine shows Azure Policy: its ARM view, from the fleet description.

A fleet group says what Azure reports for its machines; :func:`machine_view` builds the view a
policy condition reads. Defaults, each what Azure reports for an Arc-enabled server that says
nothing else (a group's ``properties:`` overrides any of them, and adds others):

| property (ARM name) | default |
|---|---|
| ``osName``, ``osType`` | the group's ``os`` (``windows``/``linux``, as the agent reports it) |
| ``imageOffer`` (``Microsoft.HybridCompute/imageOffer``) | the group's ``os`` (see below) |
| ``osSku`` | ``Windows Server 2022 Datacenter`` / ``Ubuntu 22.04 LTS`` (give yours) |
| ``mssqlDiscovered`` | ``"true"`` with ``sql_server: true``, else ``"false"`` (Azure: text) |
| ``licenseProfile.esuProfile.esuEligibility`` | ``Ineligible`` (Windows Server 2012: Eligible) |
| ``licenseProfile.esuProfile.licenseAssignmentState`` | ``NotAssigned`` |
| ``agentUpgrade.enableAutomaticUpgrade`` | ``false`` (automatic agent upgrade is opt-in) |
| ``privateLinkScopeResourceId`` | absent (no private link scope) |

The built-ins test ``Microsoft.HybridCompute/imageOffer`` with ``like "windows*"`` and
``like "linux*"``, the values of ``osName``; arcsim reads it as the OS unless a group says
otherwise. Top level: ``type`` ``Microsoft.HybridCompute/machines``, ``name`` and
``resourceGroup`` the group's name, ``location`` its region, ``tags`` its tags,
``identity.type`` ``SystemAssigned`` (every Arc-enabled server has one), no ``kind``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

from sim.engine.fleet import GroupSpec
from sim.rules.azure_policy_fields import MACHINE_TYPE

DEFAULT_OS_SKU: Final = {"windows": "Windows Server 2022 Datacenter",
                         "linux": "Ubuntu 22.04 LTS"}


def default_properties(group: GroupSpec) -> dict[str, object]:
    """The machine properties Azure reports when the group says nothing else (see above)."""
    os_name = group.os.lower()
    return {
        "osName": os_name, "osType": os_name, "imageOffer": os_name,
        "osSku": DEFAULT_OS_SKU.get(os_name, ""),
        "mssqlDiscovered": "true" if group.sql_server else "false",
        "licenseProfile": {"esuProfile": {"esuEligibility": "Ineligible",
                                          "licenseAssignmentState": "NotAssigned"}},
        "agentUpgrade": {"enableAutomaticUpgrade": False},
    }


def merged(base: Mapping[str, object], over: Mapping[str, object]) -> dict[str, object]:
    """``base`` with ``over`` laid on it, objects merged key by key (case-insensitively)."""
    result = dict(base)
    for key, value in over.items():
        present = next((k for k in result if k.lower() == key.lower()), key)
        old = result.pop(present, None)
        if isinstance(old, Mapping) and isinstance(value, Mapping):
            result[present] = merged(old, value)
        else:
            result[key] = value
    return result


def machine_view(group: GroupSpec) -> dict[str, object]:
    """The ARM view of the group's machines (see the module docstring)."""
    return {
        "type": MACHINE_TYPE, "name": group.name, "resourceGroup": group.name,
        "location": group.region, "tags": dict(group.tags),
        "identity": {"type": "SystemAssigned"},
        "properties": merged(default_properties(group), group.properties),
    }


def property_paths(given: Iterable[Mapping[str, object]]) -> tuple[str, ...]:
    """The dotted property paths (every level) of groups' ``properties:`` mappings, sorted."""
    found: set[str] = set()

    def walk(node: Mapping[str, object], prefix: str) -> None:
        for key, value in node.items():
            path = f"{prefix}{key}"
            found.add(path)
            if isinstance(value, Mapping):
                walk(value, f"{path}.")

    for properties in given:
        walk(properties, "")
    return tuple(sorted(found))
