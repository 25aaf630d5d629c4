"""The related extension of IfNotExists policies (spec R6b).

``then.details`` of a DeployIfNotExists or AuditIfNotExists policy names the resource a machine
must have: for Arc, an extension (``details.type`` ``Microsoft.HybridCompute/machines/
extensions``), optionally of one ``name``, meeting ``existenceCondition``. Which extension a
DeployIfNotExists deploys is read from the existence condition's ``equals`` on publisher and
type, or else from the deployment template's extension resource (literal values or
``[variables('x')]``), as in the built-in Azure Monitor agent policy.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from sim.rules.azure_policy_conditions import (
    EXTENSION_TYPE,
    MISSING,
    PUBLISHER_FIELD,
    TYPE_FIELD,
    PolicyDefinitionError,
    Predicate,
    Resource,
    compile_condition,
    describe,
    fields_read,
    lookup,
)
from sim.rules.azure_policy_parameters import resolve
from sim.rules.identity import ExtensionId, ExtensionIdError

_VARIABLE: Final = re.compile(r"^\[\s*variables\(\s*'([^']+)'\s*\)\s*\]$", re.IGNORECASE)


def _always(resource: Resource) -> bool:
    return True


@dataclass(frozen=True)
class RelatedExtension:
    """``then.details`` of an IfNotExists effect: the extension a machine must have."""

    name: str | None = None
    """``details.name``: when set, only an extension of that name counts."""
    exists: Predicate = field(default=_always, compare=False, repr=False)
    """The compiled ``existenceCondition`` (always true when there is none)."""
    deploys: ExtensionId | None = None
    """The extension required, when it can be told (see the module docstring)."""
    fields: tuple[tuple[str, str], ...] = field(default=(), compare=False, repr=False)
    """What ``existenceCondition`` reads: ``(JSON path, field)`` pairs."""
    requires_deployed: bool = False
    """True when ``existenceCondition`` requires :attr:`deploys`'s publisher and type with
    ``equals`` (under ``allOf``), so no other extension can meet it."""

    def is_satisfied_by(self, resource: Resource) -> bool:
        """True when ``resource`` is a related extension that meets the existence condition."""
        rtype, name = lookup(resource, "type"), lookup(resource, "name")
        if not isinstance(rtype, str) or rtype.lower() != EXTENSION_TYPE.lower():
            return False
        if self.name is not None and not (
            isinstance(name, str) and name.rsplit("/", 1)[-1].lower() == self.name.lower()
        ):
            return False
        return self.exists(resource)


def compile_related(details: object, arguments: Mapping[str, object], at: str) -> RelatedExtension:
    """Compile ``then.details`` (``at`` is its JSON path) with resolved ``arguments``.

    Raises :class:`PolicyDefinitionError` for a related type other than Arc extensions, an
    ``existenceScope`` other than ResourceGroup, or an unsupported existence condition."""
    if not isinstance(details, Mapping):
        raise PolicyDefinitionError(f"{at}: expected an object, got {describe(details)}")
    related_type = resolve(lookup(details, "type"), arguments, f"{at}.type")
    if not isinstance(related_type, str) or related_type.lower() != EXTENSION_TYPE.lower():
        raise PolicyDefinitionError(
            f"{at}.type: unsupported related resource type {describe(related_type)}; "
            f"supported: {EXTENSION_TYPE}"
        )
    scope = resolve(lookup(details, "existenceScope"), arguments, f"{at}.existenceScope")
    if scope is not MISSING and str(scope).lower() != "resourcegroup":
        raise PolicyDefinitionError(
            f"{at}.existenceScope: unsupported {describe(scope)}; supported: ResourceGroup"
        )
    name = resolve(lookup(details, "name"), arguments, f"{at}.name")
    condition = resolve(
        lookup(details, "existenceCondition"), arguments, f"{at}.existenceCondition"
    )
    exists: Predicate = _always
    if condition is not MISSING:
        exists = compile_condition(condition, f"{at}.existenceCondition")
    deploys = _deployed_extension(condition, lookup(details, "deployment"), at)
    required = (_required_value(condition, PUBLISHER_FIELD), _required_value(condition, TYPE_FIELD))
    requires_deployed = deploys is not None and all(required) and (
        ExtensionId.parse(f"{required[0]}/{required[1]}").key == deploys.key)
    return RelatedExtension(None if name is MISSING else str(name), exists, deploys,
                            fields_read(condition, f"{at}.existenceCondition"), requires_deployed)


def _deployed_extension(condition: object, deployment: object, at: str) -> ExtensionId | None:
    from_template = _template_extension(lookup(lookup(deployment, "properties"), "template"))
    publisher = _required_value(condition, PUBLISHER_FIELD) or from_template[0]
    type_ = _required_value(condition, TYPE_FIELD) or from_template[1]
    if publisher is None or type_ is None:
        return None
    try:
        return ExtensionId.parse(f"{publisher}/{type_}")
    except ExtensionIdError as error:
        raise PolicyDefinitionError(f"{at}: the extension it deploys: {error}") from error


def _required_value(condition: object, alias: str) -> str | None:
    """The string that ``condition`` requires ``alias`` to equal (searching nested allOf)."""
    for key, value in condition.items() if isinstance(condition, Mapping) else ():
        if str(key).lower() == "allof" and isinstance(value, list):
            found = (_required_value(c, alias) for c in value)
            return next((f for f in found if f is not None), None)
    field_name, expected = lookup(condition, "field"), lookup(condition, "equals")
    if (
        isinstance(field_name, str)
        and field_name.lower() == alias.lower()
        and isinstance(expected, str)
    ):
        return expected
    return None


def _template_extension(template: object) -> tuple[str | None, str | None]:
    variables, resources = lookup(template, "variables"), lookup(template, "resources")
    for resource in resources if isinstance(resources, list) else ():
        rtype = lookup(resource, "type")
        if isinstance(rtype, str) and rtype.lower() == EXTENSION_TYPE.lower():
            props = lookup(resource, "properties")
            return (
                _template_value(lookup(props, "publisher"), variables),
                _template_value(lookup(props, "type"), variables),
            )
    return None, None


def _template_value(value: object, variables: object) -> str | None:
    if isinstance(value, str) and not value.startswith("["):
        return value
    match = _VARIABLE.match(value) if isinstance(value, str) else None
    found = MISSING if match is None else lookup(variables, match.group(1))
    return found if isinstance(found, str) else None
