"""Parameters of Azure Policy definitions: declarations, and an assignment's values.

A definition declares parameters (``type``, ``defaultValue``, ``allowedValues``); an assignment
gives values. :func:`bind_arguments` checks those values (type, allowed values compared
case-insensitively for strings; an empty ``allowedValues`` list allows anything, as Azure
treats it) and gives every declared parameter its value or default. A parameter with neither
is *missing*: it is an error only when something arcsim evaluates reads it (the template
expression says which, see :mod:`sim.rules.azure_policy_functions`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from sim.rules.azure_policy_expressions import MISSING, PolicyDefinitionError
from sim.rules.azure_policy_fields import lookup
from sim.rules.azure_policy_operators import describe

_TYPES: Final[Mapping[str, tuple[type, ...]]] = {
    "string": (str,), "array": (list,), "object": (dict,), "boolean": (bool,),
    "integer": (int,), "float": (int, float), "datetime": (str,),
}  # fmt: skip
_PLACEHOLDERS: Final[Mapping[str, object]] = {
    "string": "", "array": [], "object": {}, "boolean": False, "integer": 0, "float": 0.0,
    "datetime": "2000-01-01T00:00:00Z",
}  # fmt: skip
_EXPRESSION: Final = re.compile(r"^\[\s*parameters\(\s*'([^']+)'\s*\)\s*\]$", re.IGNORECASE)


@dataclass(frozen=True)
class PolicyParameter:
    """A declared parameter of a definition."""

    name: str
    type: str
    """As declared: ``String``, ``Array``, ``Object``, ``Boolean``, ``Integer``, ``Float`` or
    ``DateTime`` (case-insensitive)."""
    default: object = MISSING
    """``defaultValue``, or :data:`MISSING` when the assignment must give a value."""
    allowed_values: tuple[object, ...] | None = None
    """``allowedValues``: strings compare case-insensitively; an Array's items each must be in."""

    @property
    def has_default(self) -> bool:
        """True when the definition declares a ``defaultValue``."""
        return self.default is not MISSING

    def check(self, value: object, at: str) -> object:
        """Return ``value`` if it has the declared type and is allowed, else raise."""
        wanted = _TYPES[self.type.lower()]
        if (isinstance(value, bool) and bool not in wanted) or not isinstance(value, wanted):
            raise PolicyDefinitionError(
                f"{at}: expected a value of type {self.type}, got {describe(value)}"
            )
        if not self.allowed_values:
            return value
        items = value if isinstance(value, list) and self.type.lower() == "array" else [value]
        for item in items:
            if not any(_same(item, allowed) for allowed in self.allowed_values):
                allowed_text = ", ".join(map(describe, self.allowed_values))
                raise PolicyDefinitionError(
                    f"{at}: {describe(item)} is not an allowed value; allowed: {allowed_text}"
                )
        return value

    def placeholder(self) -> object:
        """A value that stands in for this parameter when validating the definition: the
        default, else the first allowed value (not for an Array), else an empty value of the
        declared type."""
        if self.has_default:
            return self.default
        if self.allowed_values and self.type.lower() != "array":
            return self.allowed_values[0]
        return _PLACEHOLDERS[self.type.lower()]


def _same(a: object, b: object) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    return type(a) is type(b) and a == b


def parse_parameters(node: object, at: str) -> tuple[PolicyParameter, ...]:
    """Parse the ``parameters`` object of a definition (absent: none). Raises for an unknown
    ``type``, a non-list ``allowedValues`` or a ``defaultValue`` that is not allowed."""
    if node is MISSING:
        return ()
    if not isinstance(node, Mapping):
        raise PolicyDefinitionError(f"{at}: expected an object, got {describe(node)}")
    return tuple(_parse_parameter(str(name), spec, f"{at}.{name}") for name, spec in node.items())


def _parse_parameter(name: str, spec: object, at: str) -> PolicyParameter:
    type_ = lookup(spec, "type")
    if not isinstance(type_, str) or type_.lower() not in _TYPES:
        raise PolicyDefinitionError(
            f"{at}.type: expected one of String, Array, Object, Boolean, Integer, Float, "
            f"DateTime, got {describe(type_)}"
        )
    allowed = lookup(spec, "allowedValues")
    if allowed is not MISSING and not isinstance(allowed, list):
        raise PolicyDefinitionError(f"{at}.allowedValues: expected a list, got {describe(allowed)}")
    allowed_values = tuple(allowed) if isinstance(allowed, list) else None
    parameter = PolicyParameter(name, type_, lookup(spec, "defaultValue"), allowed_values)
    if parameter.has_default:
        parameter.check(parameter.default, f"{at}.defaultValue")
    return parameter


def placeholder_arguments(parameters: tuple[PolicyParameter, ...]) -> dict[str, object]:
    """Arguments (by lower-case name) that let a definition be compiled before assignment."""
    return {p.name.lower(): p.placeholder() for p in parameters}


def bind_arguments(
    parameters: tuple[PolicyParameter, ...], given: Mapping[str, object], source: str,
    *, allow_missing: bool = False,
) -> dict[str, object]:
    """The value of every declared parameter (by lower-case name): given, else its default.
    A given value may be plain or in the ARM assignment form ``{"value": ...}``. With
    ``allow_missing``, a parameter with neither value nor default gets its placeholder (see
    :func:`missing_arguments`).

    Raises :class:`PolicyDefinitionError` for an undeclared name, a wrong type, a value not in
    ``allowedValues``, or (without ``allow_missing``) a parameter with neither value nor
    default."""
    declared = {p.name.lower(): p for p in parameters}
    for key in given:
        if key.lower() not in declared:
            names = ", ".join(p.name for p in parameters) or "(none)"
            raise PolicyDefinitionError(
                f'{source}: assignment parameter "{key}": not declared by the definition; '
                f"declared: {names}"
            )
    values = {key.lower(): _unwrapped(declared[key.lower()], v) for key, v in given.items()}
    arguments: dict[str, object] = {}
    for lowered, parameter in declared.items():
        at = f'{source}: assignment parameter "{parameter.name}"'
        if lowered in values:
            arguments[lowered] = parameter.check(values[lowered], at)
        elif parameter.has_default:
            arguments[lowered] = parameter.default
        elif allow_missing:
            arguments[lowered] = parameter.placeholder()
        else:
            raise PolicyDefinitionError(f"{at}: no value given and no defaultValue declared")
    return arguments


def missing_arguments(
    parameters: tuple[PolicyParameter, ...], given: Mapping[str, object]
) -> frozenset[str]:
    """Lower-case names of the declared parameters with neither a given value nor a default."""
    named = {k.lower() for k in given}
    return frozenset(p.name.lower() for p in parameters
                     if not p.has_default and p.name.lower() not in named)


def _unwrapped(parameter: PolicyParameter, value: object) -> object:
    """``v`` for an ARM assignment's ``{"value": v}`` (not for Object parameters: ambiguous)."""
    if (
        parameter.type.lower() != "object"
        and isinstance(value, Mapping)
        and set(value) == {"value"}
    ):
        return value["value"]
    return value


def parameter_reference(node: object) -> str | None:
    """The parameter name when ``node`` is exactly ``[parameters('name')]``, else None."""
    match = _EXPRESSION.match(node) if isinstance(node, str) else None
    return None if match is None else match.group(1)
