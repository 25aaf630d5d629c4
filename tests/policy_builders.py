"""Azure Policy definitions built in code for the tests: the JSON of simple extension policies
(R6b, R26).

:func:`extension_policy_definition` writes the definition of a custom policy on extension
publisher/type (deny or audit the listed extensions, or everything not listed: an "approved
extensions" policy, R26); :func:`extension_policy` and :func:`deploy_if_not_exists_policy`
compile such policies, like the built-in ones, through :func:`~sim.rules.azure_policy.
parse_definition` and :func:`~sim.rules.azure_policy.assign`: the tests check the evaluator on
policies they can vary. (A scenario's ``deny``/``audit``/``allow_only``/``deploy`` shorthand
does not go through JSON: it is the engine's :class:`~sim.engine.policy.PolicyRule` helpers.)
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from sim.rules.azure_policy import AssignedPolicy, assign, parse_definition
from sim.rules.azure_policy_conditions import PolicyDefinitionError
from sim.rules.azure_policy_fields import (
    EXTENSION_TYPE,
    MACHINE_TYPE,
    OS_TYPE_FIELD,
    PROVISIONING_STATE_FIELD,
    PUBLISHER_FIELD,
    TYPE_FIELD,
)
from sim.rules.identity import ExtensionId


class ListMode(StrEnum):
    """How :func:`extension_policy` uses its list."""

    DENY_LISTED = "deny_listed"
    """The listed extensions match (and are denied or audited)."""
    ALLOW_ONLY_LISTED = "allow_only_listed"
    """Every extension that is not listed matches (an "approved extensions" policy, R26)."""


def extension_policy_definition(
    effect: str, names: Sequence[str], mode: str = ListMode.DENY_LISTED
) -> dict[str, object]:
    """The JSON definition of a custom policy on extension publisher/type (R26).

    ``names`` are ``Publisher/Type``; ``*`` in either part is a ``like`` wildcard. Raises
    :class:`~sim.rules.identity.ExtensionIdError` for a malformed name and
    :class:`PolicyDefinitionError` for an unknown mode or an empty deny list."""
    list_mode = _list_mode(mode)
    listed = _listed_condition([ExtensionId.parse(n) for n in names])
    if listed is None and list_mode is ListMode.DENY_LISTED:
        raise PolicyDefinitionError("extension_policy: deny_listed needs at least one extension")
    conditions: list[object] = [{"field": "type", "equals": EXTENSION_TYPE}]
    if listed is not None:
        conditions.append(listed if list_mode is ListMode.DENY_LISTED else {"not": listed})
    rule = {"if": {"allOf": conditions}, "then": {"effect": effect}}
    return {
        "properties": {
            "displayName": f"{effect} {list_mode.value.replace('_', ' ')} extensions",
            "mode": "All",
            "policyRule": rule,
        }
    }


def _list_mode(mode: str) -> ListMode:
    try:
        return ListMode(mode)
    except ValueError:
        raise PolicyDefinitionError(
            f'extension_policy: unknown mode "{mode}"; expected '
            f"{', '.join(m.value for m in ListMode)}"
        ) from None


def _listed_condition(extensions: Sequence[ExtensionId]) -> dict[str, object] | None:
    """anyOf over publishers: exact names grouped by publisher (``in`` on types), wildcard
    names as ``like`` on both parts; None for an empty list."""
    exact: dict[str, list[str]] = {}
    wildcards: list[object] = []
    for ext in extensions:
        if "*" in ext.name:
            wildcards.append(_both(ext.publisher, "like", ext.type, "like"))
        else:
            exact.setdefault(ext.publisher.lower(), [ext.publisher]).append(ext.type)
    options: list[object] = [
        _both(publisher, "equals", types[0], "equals")
        if len(types) == 1
        else _both(publisher, "equals", types, "in")
        for publisher, *types in exact.values()
    ]
    options += wildcards
    return {"anyOf": options} if options else None


def _both(publisher: str, publisher_op: str, type_: object, type_op: str) -> dict[str, object]:
    return {
        "allOf": [
            {"field": PUBLISHER_FIELD, publisher_op: publisher},
            {"field": TYPE_FIELD, type_op: type_},
        ]
    }


def extension_policy(
    effect: str = "Deny",
    publisher_type_in: Sequence[str] = (),
    mode: str = ListMode.DENY_LISTED,
    *,
    name: str = "",
) -> AssignedPolicy:
    """A Deny/Audit/Disabled policy on listed extensions, compiled through the JSON path
    (:func:`extension_policy_definition`). Raises as that function and :func:`assign` do."""
    definition = extension_policy_definition(effect, publisher_type_in, mode)
    source = f"<extension_policy {name or mode}>"
    return assign(parse_definition(definition, source=source), name=name or None)


def deploy_if_not_exists_policy(
    extension: str, *, os_type: str | None = None, effect: str = "DeployIfNotExists", name: str = ""
) -> AssignedPolicy:
    """A DeployIfNotExists (or AuditIfNotExists) policy requiring ``extension`` in state
    Succeeded on machines (of ``os_type`` when given), built like the built-in ones (R6b)."""
    ext = ExtensionId.parse(extension)
    machine: list[object] = [{"field": "type", "equals": MACHINE_TYPE}]
    if os_type is not None:
        machine.append({"field": OS_TYPE_FIELD, "equals": os_type})
    exists = [
        {"field": PUBLISHER_FIELD, "equals": ext.publisher},
        {"field": TYPE_FIELD, "equals": ext.type},
        {"field": PROVISIONING_STATE_FIELD, "equals": "Succeeded"},
    ]
    details = {"type": EXTENSION_TYPE, "existenceCondition": {"allOf": exists}}
    rule = {"if": {"allOf": machine}, "then": {"effect": effect, "details": details}}
    source = f"<deploy_if_not_exists_policy {name or ext.name}>"
    definition = parse_definition(
        {"displayName": f"deploy {ext.name}", "policyRule": rule}, source=source
    )
    return assign(definition, name=name or None)
