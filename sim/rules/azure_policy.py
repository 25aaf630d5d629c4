"""Azure Policy definitions for Arc: parse, assign, evaluate (spec R16, R26, R6b).

* :func:`parse_definition` / :func:`load_definition` read a definition (the full ARM resource
  or its bare ``properties``; a UTF-8 byte-order mark is accepted) into a
  :class:`PolicyDefinition`, checking its structure up front: mode, parameters, effect, and
  every condition and template expression of ``if`` and ``then`` (with each parameter's
  default, or a placeholder, standing in).
* :func:`assign` gives the assignment's parameter values and compiles the rule for any
  resource view into an :class:`AssignedPolicy`: its :class:`Effect`, the ``if`` condition
  (``evaluate``) and, for IfNotExists effects on Arc extensions, the related extension
  (``related``, ``deploys``, ``is_compliant``: a missing or Failed extension is non-compliant
  when the existence condition requires Succeeded, R6b).
* :mod:`sim.rules.azure_policy_plan` compiles an assignment for what the simulation holds
  (extension write requests, machines, existing extensions); :mod:`sim.rules.azure_policy_
  builders` writes the JSON of simple extension policies, so one code path evaluates
  everything.

Who may assign a policy (R27) and what a deny does to a request (R26) is the engine's business;
this module only decides.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Final

from sim.rules.azure_policy_conditions import (
    MISSING,
    Env,
    PolicyDefinitionError,
    Predicate,
    Resource,
    compile_condition,
    compile_value,
    describe,
    lookup,
)
from sim.rules.azure_policy_fields import EXTENSION_TYPE, MACHINE_TYPE
from sim.rules.azure_policy_parameters import (
    PolicyParameter,
    bind_arguments,
    missing_arguments,
    parameter_reference,
    parse_parameters,
    placeholder_arguments,
)
from sim.rules.azure_policy_related import RelatedExtension, compile_related, related_type
from sim.rules.azure_policy_views import extension_resource, machine_resource
from sim.rules.identity import ExtensionId

__all__ = [
    "EXTENSION_TYPE", "IF_NOT_EXISTS", "MACHINE_TYPE", "AssignedPolicy", "Effect",
    "PolicyDefinition", "PolicyDefinitionError", "PolicyParameter", "RelatedExtension",
    "assign", "extension_resource", "load_definition", "machine_resource", "parse_definition",
]


class Effect(StrEnum):
    """The ``then.effect`` values of Azure Policy (matched case-insensitively)."""

    DENY = "deny"
    """Refuse a matching write request in Azure, before the machine sees it (R16, R26)."""
    AUDIT = "audit"
    """Let the request through; report the resource non-compliant."""
    DISABLED = "disabled"
    """The assignment does nothing."""
    DEPLOY_IF_NOT_EXISTS = "deployifnotexists"
    """Where the related resource is missing or fails the existence condition, remediation
    deploys it (R6b)."""
    AUDIT_IF_NOT_EXISTS = "auditifnotexists"
    """Like DeployIfNotExists, without remediation."""
    MODIFY = "modify"
    """Add, replace or remove properties (tags) of matching resources."""
    APPEND = "append"
    """Add fields to a matching request."""
    DENY_ACTION = "denyaction"
    """Refuse an action (delete) on matching resources."""
    MANUAL = "manual"
    """Compliance attested by hand."""


IF_NOT_EXISTS: Final = frozenset({Effect.DEPLOY_IF_NOT_EXISTS, Effect.AUDIT_IF_NOT_EXISTS})
_EFFECT_VALUES: Final = {e.value: e for e in Effect}
_EFFECT_NAMES: Final = ("Deny, Audit, Disabled, DeployIfNotExists, AuditIfNotExists, Modify, "
                        "Append, DenyAction, Manual")


@dataclass(frozen=True)
class PolicyDefinition:
    """A parsed definition; :func:`assign` makes it evaluable."""

    name: str
    """The resource ``name`` (a GUID for built-ins), else the display name, else the source."""
    display_name: str
    mode: str
    """``All`` or ``Indexed``; both evaluate Arc extensions (they carry a location)."""
    parameters: tuple[PolicyParameter, ...]
    rule: Mapping[str, object] = field(compare=False, repr=False)
    """The raw ``policyRule`` JSON."""
    source: str = "<definition>"
    rule_path: str = "policyRule"
    """JSON path of ``policyRule`` in the source document (for error messages)."""

    @property
    def at(self) -> str:
        """``source: path`` of the rule, the prefix of every error message about it."""
        return f"{self.source}: {self.rule_path}"

    @property
    def details(self) -> object:
        """The raw ``then.details`` (:data:`MISSING` when absent)."""
        return lookup(lookup(self.rule, "then"), "details")


@dataclass(frozen=True)
class AssignedPolicy:
    """A definition assigned with parameter values, compiled for any resource view."""

    name: str
    effect: Effect
    evaluate: Predicate = field(compare=False, repr=False)
    """Whether a resource view matches the ``if`` condition (whatever the effect)."""
    related: RelatedExtension | None = None
    """IfNotExists on an Arc extension: what the machine must have."""
    arguments: Mapping[str, object] = field(default_factory=dict, compare=False, repr=False)
    """Parameter values by declared name (a placeholder for a parameter without any)."""
    definition: PolicyDefinition | None = field(default=None, compare=False, repr=False)
    missing: frozenset[str] = field(default=frozenset(), compare=False, repr=False)
    """Lower-case names of parameters with neither value nor default (an error if read)."""

    @property
    def deploys(self) -> ExtensionId | None:
        """The extension an IfNotExists policy requires, when the same on every OS."""
        return None if self.related is None else self.related.deploys

    def env(self) -> Env:
        """The compile environment of this assignment (for any resource view)."""
        values = {k.lower(): v for k, v in self.arguments.items()}
        return Env(values, None, self.missing)

    def denies(self, resource: Resource) -> bool:
        """True when this assignment refuses a write of ``resource`` (Deny and a match, R26)."""
        return self.effect is Effect.DENY and self.evaluate(resource)

    def is_compliant(self, existing: Resource | None) -> bool:
        """Compliance given the related extension that exists (None: none).

        IfNotExists: compliant only when ``existing`` meets the existence condition, so a
        missing or Failed extension is non-compliant when Succeeded is required (R6b); call it
        for machines that match ``evaluate``. Deny/Audit: an existing extension that matches is
        non-compliant (it is reported, never removed, R26). Disabled: always compliant."""
        if self.effect is Effect.DISABLED:
            return True
        if self.related is None:
            return existing is None or not self.evaluate(existing)
        return existing is not None and self.related.is_satisfied_by(existing)

    def is_compliant_among(self, existing: Iterable[Resource]) -> bool:
        """IfNotExists: any one existing extension suffices. Deny/Audit: none may match."""
        if self.effect is Effect.DISABLED or self.related is None:
            return all(self.is_compliant(resource) for resource in existing)
        return any(self.is_compliant(resource) for resource in existing)


# --- parsing ------------------------------------------------------------------------------


def load_definition(path: str | Path) -> PolicyDefinition:
    """Read a definition from a JSON file (UTF-8, byte-order mark accepted); errors name the
    file (and line and column for bad JSON)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as error:
        raise PolicyDefinitionError(f"{path}: cannot read: {error.strerror}") from error
    except UnicodeDecodeError as error:
        raise PolicyDefinitionError(f"{path}: not UTF-8 text (byte {error.start})") from error
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise PolicyDefinitionError(
            f"{path}:{error.lineno}:{error.colno}: not valid JSON: {error.msg}") from error
    return parse_definition(document, source=str(path))


def parse_definition(obj: object, *, source: str = "<definition>") -> PolicyDefinition:
    """Parse and check a definition: the ARM resource (``{"properties": {...}}``) or the bare
    properties. Raises :class:`PolicyDefinitionError` with the JSON path of any problem."""
    if not isinstance(obj, Mapping):
        raise PolicyDefinitionError(
            f"{source}: expected a policy definition object, got {describe(obj)}")
    inner = lookup(obj, "properties")
    wrapped = isinstance(inner, Mapping)
    props = inner if isinstance(inner, Mapping) else obj
    prefix = "properties." if wrapped else ""
    rule = lookup(props, "policyRule")
    if not isinstance(rule, Mapping):
        raise PolicyDefinitionError(f'{source}: {prefix}policyRule: expected an object with '
                                    f'"if" and "then", got {describe(rule)}')
    display = lookup(props, "displayName")
    name = lookup(obj, "name") if wrapped else MISSING
    definition = PolicyDefinition(
        name=str(name if name is not MISSING else display if display is not MISSING else source),
        display_name="" if display is MISSING else str(display),
        mode=_parse_mode(lookup(props, "mode"), f"{source}: {prefix}mode"),
        parameters=parse_parameters(lookup(props, "parameters"), f"{source}: {prefix}parameters"),
        rule=rule, source=source, rule_path=f"{prefix}policyRule")
    _check(definition)
    return definition


def _parse_mode(mode: object, at: str) -> str:
    if mode is MISSING:
        return "All"
    if isinstance(mode, str) and mode.lower() in ("all", "indexed"):
        return mode
    raise PolicyDefinitionError(f"{at}: unsupported mode {describe(mode)}; supported: All, "
                                "Indexed (resource provider modes do not apply to Arc)")


def _check(definition: PolicyDefinition) -> None:
    """Compile the rule with placeholder values, so that malformed parts fail when parsing."""
    at = definition.at
    if not isinstance(lookup(definition.rule, "then"), Mapping):
        raise PolicyDefinitionError(f'{at}.then: expected an object with "effect"')
    condition = lookup(definition.rule, "if")
    if condition is MISSING:
        raise PolicyDefinitionError(f'{at}: "if" is missing')
    env = Env(placeholder_arguments(definition.parameters))
    if parameter_reference(lookup(lookup(definition.rule, "then"), "effect")) is None:
        _effect_value(definition, env)  # an effect parameter is checked when assigned
    compile_condition(condition, f"{at}.if", env).predicate()
    details = definition.details
    if isinstance(details, Mapping) and lookup(details, "existenceCondition") is not MISSING:
        compile_condition(lookup(details, "existenceCondition"),
                          f"{at}.then.details.existenceCondition", env).predicate()
    elif details is not MISSING and not isinstance(details, Mapping):
        raise PolicyDefinitionError(f"{at}.then.details: expected an object, got "
                                    f"{describe(details)}")


def _effect_value(definition: PolicyDefinition, env: Env) -> Effect:
    at = f"{definition.at}.then.effect"
    value = compile_value(lookup(lookup(definition.rule, "then"), "effect"), at, env)
    effect = value.constant if value.is_constant else None
    if isinstance(effect, str) and effect.lower() in _EFFECT_VALUES:
        return _EFFECT_VALUES[effect.lower()]
    raise PolicyDefinitionError(f"{at}: unsupported effect {describe(effect)}; supported: "
                                f"{_EFFECT_NAMES}")


# --- assigning ----------------------------------------------------------------------------


def assign(definition: PolicyDefinition, parameters: Mapping[str, object] | None = None, *,
           name: str | None = None, allow_missing: bool = False) -> AssignedPolicy:
    """Assign ``definition`` with ``parameters``: by name (case-insensitive), plain values or
    ARM's ``{"value": ...}``; omitted ones take their ``defaultValue``. With
    ``allow_missing``, a parameter with neither is an error only where it is read.

    Raises :class:`PolicyDefinitionError` for an unknown parameter, a value of the wrong type or
    not allowed, a missing value (see ``allow_missing``), an unknown effect, or an IfNotExists
    on Arc extensions whose deployed extension cannot be told."""
    given = parameters or {}
    arguments = bind_arguments(definition.parameters, given, definition.source,
                               allow_missing=True)
    missing = missing_arguments(definition.parameters, given)
    if missing and not allow_missing:
        bind_arguments(definition.parameters, given, definition.source)  # raises, located
    env = Env(arguments, None, missing)
    effect = _effect_value(definition, env)
    at = definition.at
    evaluate = compile_condition(lookup(definition.rule, "if"), f"{at}.if", env).predicate()
    related = _related(definition, effect, env)
    resolved = {p.name: arguments[p.name.lower()] for p in definition.parameters}
    return AssignedPolicy(name or definition.name, effect, evaluate, related,
                          MappingProxyType(resolved), definition, missing)


def _related(definition: PolicyDefinition, effect: Effect, env: Env) -> RelatedExtension | None:
    if effect not in IF_NOT_EXISTS:
        return None
    at = f"{definition.at}.then.details"
    details = definition.details
    if related_type(details, env, at).lower() != EXTENSION_TYPE.lower():
        return None
    return compile_related(details, env, at)
