"""Azure Policy definitions for Arc extensions: parse, assign, evaluate (spec R16, R26, R6b).

* :func:`parse_definition` / :func:`load_definition` read a policy definition (the full ARM
  resource or its bare ``properties``) into a :class:`PolicyDefinition`, validating every
  construct up front (with each parameter's default, or a placeholder, standing in).
* :func:`assign` resolves ``[parameters('name')]`` with an assignment's values and compiles the
  rule once into an :class:`AssignedPolicy`: its :class:`Effect`, the ``if`` condition as a
  closure (``evaluate``) and, for ``DeployIfNotExists``/``AuditIfNotExists``, the related
  extension it requires (``deploys``, ``is_compliant``: a missing or Failed extension is
  non-compliant when the existence condition requires Succeeded, R6b).
* :mod:`sim.rules.azure_policy_builders` builds the same JSON for policies described without a
  file (deny listed, approved only, deploy one), so one code path evaluates everything.

Who may assign a policy (R27) and what a deny does to a request (R26) is the engine's business;
this module only decides. Template functions other than ``parameters`` raise
:class:`PolicyDefinitionError`, as does every other unsupported construct.
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
    EXTENSION_TYPE,
    MACHINE_TYPE,
    MISSING,
    PolicyDefinitionError,
    Predicate,
    Resource,
    compile_condition,
    describe,
    fields_read,
    lookup,
)
from sim.rules.azure_policy_parameters import (
    PolicyParameter,
    bind_arguments,
    parameter_reference,
    parse_parameters,
    placeholder_arguments,
    resolve,
)
from sim.rules.azure_policy_related import RelatedExtension, compile_related
from sim.rules.azure_policy_views import extension_resource, machine_resource
from sim.rules.identity import ExtensionId

__all__ = [
    "EXTENSION_TYPE",
    "IF_NOT_EXISTS",
    "MACHINE_TYPE",
    "AssignedPolicy",
    "Effect",
    "PolicyDefinition",
    "PolicyDefinitionError",
    "PolicyParameter",
    "RelatedExtension",
    "assign",
    "extension_resource",
    "load_definition",
    "machine_resource",
    "parse_definition",
]


class Effect(StrEnum):
    """The supported ``then.effect`` values (matched case-insensitively)."""

    DENY = "deny"
    """Refuse a matching write request in Azure, before the machine sees it (R16, R26)."""
    AUDIT = "audit"
    """Let the request through; report the resource non-compliant."""
    DISABLED = "disabled"
    """The assignment does nothing."""
    DEPLOY_IF_NOT_EXISTS = "deployifnotexists"
    """Where the related extension is missing or fails the existence condition, remediation
    requests it (R6b)."""
    AUDIT_IF_NOT_EXISTS = "auditifnotexists"
    """Like DeployIfNotExists, without remediation."""


IF_NOT_EXISTS: Final = frozenset({Effect.DEPLOY_IF_NOT_EXISTS, Effect.AUDIT_IF_NOT_EXISTS})
_EFFECT_NAMES: Final = "Deny, Audit, Disabled, DeployIfNotExists, AuditIfNotExists"
_EFFECT_VALUES: Final = frozenset(e.value for e in Effect)


@dataclass(frozen=True)
class PolicyDefinition:
    """A parsed, validated policy definition; :func:`assign` makes it evaluable."""

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


@dataclass(frozen=True)
class AssignedPolicy:
    """A definition assigned with parameter values, compiled for cheap evaluation."""

    name: str
    effect: Effect
    evaluate: Predicate = field(compare=False, repr=False)
    """Whether a resource view matches the ``if`` condition (whatever the effect)."""
    related: RelatedExtension | None = None
    """For DeployIfNotExists/AuditIfNotExists: what the machine must have."""
    arguments: Mapping[str, object] = field(default_factory=dict, compare=False, repr=False)
    """Resolved parameter values, by declared name."""
    fields: tuple[tuple[str, str], ...] = field(default=(), compare=False, repr=False)
    """What the ``if`` condition reads: ``(JSON path, field)`` pairs (see
    :func:`~sim.rules.azure_policy_conditions.fields_read`), for callers that must know which
    resource fields they have to supply."""

    @property
    def deploys(self) -> ExtensionId | None:
        """The extension an IfNotExists policy requires (and DeployIfNotExists deploys)."""
        return None if self.related is None else self.related.deploys

    def denies(self, resource: Resource) -> bool:
        """True when this assignment refuses a write of ``resource`` (Deny and a match, R26)."""
        return self.effect is Effect.DENY and self.evaluate(resource)

    def is_compliant(self, existing: Resource | None) -> bool:
        """Compliance given the extension that exists (None: no such extension).

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
        """IfNotExists compliance when the machine has several extensions: any one suffices.
        Deny/Audit: compliant when none of them matches."""
        if self.effect is Effect.DISABLED or self.related is None:
            return all(self.is_compliant(resource) for resource in existing)
        return any(self.is_compliant(resource) for resource in existing)


# --- parsing ------------------------------------------------------------------------------


def load_definition(path: str | Path) -> PolicyDefinition:
    """Read a definition from a JSON file; errors name the file (and line for bad JSON)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise PolicyDefinitionError(f"{path}: cannot read: {error.strerror}") from error
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise PolicyDefinitionError(
            f"{path}:{error.lineno}:{error.colno}: not valid JSON: {error.msg}"
        ) from error
    return parse_definition(document, source=str(path))


def parse_definition(obj: object, *, source: str = "<definition>") -> PolicyDefinition:
    """Parse and validate a definition: the ARM resource (``{"properties": {...}}``) or the bare
    properties. Raises :class:`PolicyDefinitionError` with the JSON path of any problem."""
    if not isinstance(obj, Mapping):
        raise PolicyDefinitionError(
            f"{source}: expected a policy definition object, got {describe(obj)}"
        )
    inner = lookup(obj, "properties")
    wrapped = isinstance(inner, Mapping)
    props = inner if isinstance(inner, Mapping) else obj
    prefix = "properties." if wrapped else ""
    rule = lookup(props, "policyRule")
    if not isinstance(rule, Mapping):
        raise PolicyDefinitionError(
            f"{source}: {prefix}policyRule: expected an object with "
            f'"if" and "then", got {describe(rule)}'
        )
    display = lookup(props, "displayName")
    name = lookup(obj, "name") if wrapped else MISSING
    definition = PolicyDefinition(
        name=str(name if name is not MISSING else display if display is not MISSING else source),
        display_name="" if display is MISSING else str(display),
        mode=_parse_mode(lookup(props, "mode"), f"{source}: {prefix}mode"),
        parameters=parse_parameters(lookup(props, "parameters"), f"{source}: {prefix}parameters"),
        rule=rule,
        source=source,
        rule_path=f"{prefix}policyRule",
    )
    _validate(definition)
    return definition


def _parse_mode(mode: object, at: str) -> str:
    if mode is MISSING:
        return "All"
    if isinstance(mode, str) and mode.lower() in ("all", "indexed"):
        return mode
    raise PolicyDefinitionError(
        f"{at}: unsupported mode {describe(mode)}; supported: All, "
        "Indexed (resource provider modes do not apply to Arc extensions)"
    )


def _validate(definition: PolicyDefinition) -> None:
    """Compile the rule with placeholder arguments, so that errors surface at parse time."""
    if not isinstance(lookup(definition.rule, "then"), Mapping):
        raise PolicyDefinitionError(f'{definition.at}.then: expected an object with "effect"')
    arguments = placeholder_arguments(definition.parameters)
    _compile(definition, arguments, _possible_effects(definition, arguments))


def _effect_of(definition: PolicyDefinition, arguments: Mapping[str, object]) -> object:
    at = f"{definition.at}.then.effect"
    return resolve(lookup(lookup(definition.rule, "then"), "effect"), arguments, at)


def _possible_effects(
    definition: PolicyDefinition, arguments: Mapping[str, object]
) -> frozenset[Effect]:
    """The effects an assignment could choose: the literal one (validated), or the supported
    ones among the effect parameter's allowed or default values."""
    effect = _effect_of(definition, arguments)
    name = parameter_reference(lookup(lookup(definition.rule, "then"), "effect"))
    if name is None:
        return frozenset({_parse_effect(effect, f"{definition.at}.then.effect")})
    parameter = next(p for p in definition.parameters if p.name.lower() == name.lower())
    values = parameter.allowed_values or ((parameter.default,) if parameter.has_default else ())
    return frozenset(
        Effect(v.lower()) for v in values if isinstance(v, str) and v.lower() in _EFFECT_VALUES
    )


# --- assigning and compiling --------------------------------------------------------------


def assign(
    definition: PolicyDefinition,
    parameters: Mapping[str, object] | None = None,
    *,
    name: str | None = None,
) -> AssignedPolicy:
    """Assign ``definition`` with ``parameters``: by name (case-insensitive), plain values or
    ARM's ``{"value": ...}``; omitted ones take their ``defaultValue``.

    Raises :class:`PolicyDefinitionError` for an unknown parameter, a value of the wrong type or
    not in ``allowedValues``, a missing value without default, an unsupported effect, or a
    DeployIfNotExists whose deployed extension cannot be told."""
    arguments = bind_arguments(definition.parameters, parameters or {}, definition.source)
    effect = _parse_effect(_effect_of(definition, arguments), f"{definition.at}.then.effect")
    evaluate, related, fields = _compile(definition, arguments, frozenset({effect}))
    if effect is Effect.DEPLOY_IF_NOT_EXISTS and (related is None or related.deploys is None):
        raise PolicyDefinitionError(
            f"{definition.at}.then.details: cannot tell which extension it deploys: expected "
            "equals conditions on its publisher and type in existenceCondition, or a template "
            f"resource of type {EXTENSION_TYPE}"
        )
    resolved = {p.name: arguments[p.name.lower()] for p in definition.parameters}
    return AssignedPolicy(
        name or definition.name, effect, evaluate, related, MappingProxyType(resolved), fields
    )


def _parse_effect(value: object, at: str) -> Effect:
    if isinstance(value, str) and value.lower() in _EFFECT_VALUES:
        return Effect(value.lower())
    raise PolicyDefinitionError(
        f"{at}: unsupported effect {describe(value)}; supported: {_EFFECT_NAMES}"
    )


def _compile(
    definition: PolicyDefinition, arguments: Mapping[str, object], effects: frozenset[Effect]
) -> tuple[Predicate, RelatedExtension | None, tuple[tuple[str, str], ...]]:
    at = definition.at
    condition = lookup(definition.rule, "if")
    if condition is MISSING:
        raise PolicyDefinitionError(f'{at}: "if" is missing')
    resolved = resolve(condition, arguments, f"{at}.if")
    evaluate = compile_condition(resolved, f"{at}.if")
    fields = fields_read(resolved, f"{at}.if")
    if not effects & IF_NOT_EXISTS:
        return evaluate, None, fields
    details = lookup(lookup(definition.rule, "then"), "details")
    return evaluate, compile_related(details, arguments, f"{at}.then.details"), fields
