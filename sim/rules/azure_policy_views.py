"""Resource views: the ARM shape of an Arc extension or machine that policy conditions read.

A view is what Azure Resource Manager shows of a resource (and what an ``extensions-list``
export holds): top-level ``type``, ``name``, ``location``, ``tags`` and a ``properties`` object.
:func:`extension_resource` and :func:`machine_resource` build the views the simulator evaluates;
a field left None is absent from the view, as Azure omits it.
"""

from __future__ import annotations

from collections.abc import Mapping

from sim.rules.azure_policy_fields import EXTENSION_TYPE, MACHINE_TYPE


def _without_nones(**items: object) -> dict[str, object]:
    return {k: v for k, v in items.items() if v is not None}


def extension_resource(
    publisher: str,
    type_: str,
    provisioning_state: str | None = None,
    *,
    name: str | None = None,
    location: str | None = None,
    type_handler_version: str | None = None,
    enable_automatic_upgrade: bool | None = None,
    tags: Mapping[str, str] | None = None,
) -> dict[str, object]:
    """The ARM view of an extension (a request to write it, or one that exists).

    ``name`` defaults to ``type_``; arguments left None are absent from the view."""
    properties = _without_nones(
        publisher=publisher,
        type=type_,
        provisioningState=provisioning_state,
        typeHandlerVersion=type_handler_version,
        enableAutomaticUpgrade=enable_automatic_upgrade,
    )
    return _without_nones(
        type=EXTENSION_TYPE,
        name=name or type_,
        location=location,
        tags=None if tags is None else dict(tags),
        properties=properties,
    )


def machine_resource(
    os_type: str | None = None,
    *,
    os_name: str | None = None,
    name: str | None = None,
    location: str | None = None,
    agent_version: str | None = None,
    status: str | None = None,
    tags: Mapping[str, str] | None = None,
) -> dict[str, object]:
    """The ARM view of an Arc-enabled machine, for ``if`` conditions of DeployIfNotExists.

    ``os_name`` defaults to ``os_type`` (an Arc machine reports ``windows``/``linux`` in both).
    A condition on ``location`` (like the Azure Monitor agent policy's list of regions) matches
    only when ``location`` is given."""
    properties = _without_nones(
        osType=os_type, osName=os_name or os_type, agentVersion=agent_version, status=status
    )
    return _without_nones(
        type=MACHINE_TYPE,
        name=name,
        location=location,
        tags=None if tags is None else dict(tags),
        properties=properties,
    )
