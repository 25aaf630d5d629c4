"""Azure Policy conditions, compiled once to closures (spec R16, R26, R6b).

A *resource view* is an ARM-shaped mapping, as Azure Resource Manager and ``extensions-list``
exports show it: top-level ``type``, ``name``, ``location``, ``tags`` and a ``properties``
object (:mod:`sim.rules.azure_policy_views` builds the ones the simulator evaluates); a real ARM
export evaluates unchanged.

:func:`compile_condition` turns an ``if`` or ``existenceCondition`` tree (``allOf``/``anyOf``/
``not`` over ``field`` conditions) into one predicate over a resource view. As in Azure Policy,
field names, operator names and string comparisons are case-insensitive (except ``match``);
booleans compare equal to ``"true"``/``"false"``; a field the resource lacks (or holds as
``null``) matches no positive operator and every negated one (``notEquals``, ``notIn``, ...).
An alias applies only to a resource of its own type: on any other resource it is missing.
Anything this module cannot evaluate faithfully raises :class:`PolicyDefinitionError` naming the
JSON path; nothing unsupported is ever read as a match or a no-match.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Final

from sim.errors import ArcsimError

MACHINE_TYPE: Final = "Microsoft.HybridCompute/machines"
EXTENSION_TYPE: Final = "Microsoft.HybridCompute/machines/extensions"

Resource = Mapping[str, object]
Predicate = Callable[[Resource], bool]
Getter = Callable[[Resource], object]
Test = Callable[[object], bool]


class PolicyDefinitionError(ArcsimError, ValueError):
    """A policy definition, assignment parameter or construct that arcsim cannot evaluate.

    The message starts with the source and the JSON path of the offending node."""


class _Missing:
    """The value of a field that the resource does not have (or holds as JSON ``null``)."""

    def __repr__(self) -> str:
        return "<missing>"


MISSING: Final = _Missing()

_EXTENSION_PROPERTIES: Final = (
    "publisher", "type", "typeHandlerVersion", "provisioningState", "enableAutomaticUpgrade",
    "autoUpgradeMinorVersion",
)  # fmt: skip
_MACHINE_PROPERTIES: Final = (
    "osName", "osType", "osSku", "osVersion", "agentVersion", "status", "provisioningState",
)  # fmt: skip
ALIASES: Final[Mapping[str, tuple[str, str]]] = {
    f"{owner}/{prop}".lower(): (owner.lower(), prop)
    for owner, props in (
        (EXTENSION_TYPE, _EXTENSION_PROPERTIES),
        (MACHINE_TYPE, _MACHINE_PROPERTIES),
    )
    for prop in props
}
"""Supported aliases (lower case) -> (the resource type they apply to, property name)."""
PUBLISHER_FIELD: Final = f"{EXTENSION_TYPE}/publisher"
TYPE_FIELD: Final = f"{EXTENSION_TYPE}/type"
PROVISIONING_STATE_FIELD: Final = f"{EXTENSION_TYPE}/provisioningState"
OS_TYPE_FIELD: Final = f"{MACHINE_TYPE}/osType"
TOP_LEVEL_FIELDS: Final = ("type", "name", "location", "kind", "id", "tags")
_TAG = re.compile(
    r"^tags(?:\[\s*'(?P<quoted>[^']+)'\s*\]|\[(?P<bare>[^\]']+)\]|\.(?P<dot>.+))$", re.IGNORECASE
)


def describe(value: object) -> str:
    """A short JSON rendering of ``value`` for error messages (``nothing`` for :data:`MISSING`)."""
    if value is MISSING:
        return "nothing"
    text = json.dumps(value, default=repr)
    return text if len(text) <= 80 else text[:77] + "..."


def lookup(node: object, key: str) -> object:
    """``node[key]`` with an exact, then case-insensitive key match (ARM property names are
    case-insensitive); :data:`MISSING` when ``node`` is not an object, lacks the key or holds
    ``null``."""
    if type(node) is not dict and not isinstance(node, Mapping):  # dict first: the hot path
        return MISSING
    value = node.get(key, MISSING)
    if value is MISSING:
        lowered = key.lower()
        value = next((v for k, v in node.items() if str(k).lower() == lowered), MISSING)
    return MISSING if value is None else value


# --- fields -------------------------------------------------------------------------------


def _top_level(key: str) -> Getter:
    return lambda resource: lookup(resource, key)


def _tag(tag: str) -> Getter:
    return lambda resource: lookup(lookup(resource, "tags"), tag)


def _alias(owner: str, prop: str) -> Getter:
    def get(resource: Resource) -> object:
        rtype = resource.get("type")
        if not isinstance(rtype, str) or rtype.lower() != owner:
            return MISSING
        return lookup(lookup(resource, "properties"), prop)

    return get


def compile_field(name: object, at: str) -> Getter:
    """A getter for a ``field`` value: a top-level field, ``tags['x']``/``tags[x]``/``tags.x``
    or a supported alias. Raises :class:`PolicyDefinitionError` for anything else."""
    if not isinstance(name, str):
        raise PolicyDefinitionError(f"{at}: expected a field name (a string), got {describe(name)}")
    lowered = name.strip().lower()
    if lowered in TOP_LEVEL_FIELDS:
        return _top_level(lowered)
    tag = _TAG.match(name.strip())
    if tag is not None:
        return _tag(tag.group("quoted") or tag.group("bare") or tag.group("dot"))
    if lowered in ALIASES:
        return _alias(*ALIASES[lowered])
    why = "array aliases ([*]) are not supported" if "[*]" in name else "unsupported field"
    raise PolicyDefinitionError(
        f"{at}: {why} \"{name}\"; supported: {', '.join(TOP_LEVEL_FIELDS)}, tags['name'], "
        f"and the aliases {', '.join(_alias_names())}"
    )


def _alias_names() -> list[str]:
    return [
        f"{owner}/{prop}"
        for owner, props in (
            (MACHINE_TYPE, _MACHINE_PROPERTIES),
            (EXTENSION_TYPE, _EXTENSION_PROPERTIES),
        )
        for prop in props
    ]


# --- operators ----------------------------------------------------------------------------


def comparison_key(value: object) -> object:
    """What equality compares: strings lower-cased, booleans as ``"true"``/``"false"``,
    numbers as their shortest text (``1`` and ``1.0`` alike); None for objects, arrays and
    :data:`MISSING`, which equal nothing."""
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    return None


def _scalar(value: object, operator: str, at: str) -> object:
    if isinstance(value, str | bool | int | float):
        return comparison_key(value)
    raise PolicyDefinitionError(
        f'{at}: "{operator}" expects a string, number or boolean, got {describe(value)}'
    )


def _text(value: object, operator: str, at: str) -> str:
    if isinstance(value, str):
        return value
    raise PolicyDefinitionError(f'{at}: "{operator}" expects a string, got {describe(value)}')


def _equals(value: object, at: str) -> Test:
    expected = _scalar(value, "equals", at)
    return lambda x: comparison_key(x) == expected


def _in(value: object, at: str) -> Test:
    if not isinstance(value, list):
        raise PolicyDefinitionError(f'{at}: "in" expects a list, got {describe(value)}')
    keys = frozenset(_scalar(v, "in", f"{at}[{i}]") for i, v in enumerate(value))
    return lambda x: comparison_key(x) in keys


def _regex_test(pattern: re.Pattern[str], lower: bool) -> Test:
    def test(x: object) -> bool:
        text = comparison_key(x) if lower else x
        return isinstance(text, str) and pattern.fullmatch(text) is not None

    return test


def _like(value: object, at: str) -> Test:
    parts = _text(value, "like", at).lower().split("*")
    return _regex_test(re.compile(".*".join(map(re.escape, parts)), re.DOTALL), lower=True)


_MATCH_SYMBOLS = {"#": "[0-9]", "?": "[A-Za-z]", ".": "."}


def _match_pattern(value: object, at: str, flags: int) -> re.Pattern[str]:
    text = _text(value, "match", at)
    return re.compile("".join(_MATCH_SYMBOLS.get(c, re.escape(c)) for c in text), flags)


def _match(value: object, at: str) -> Test:
    return _regex_test(_match_pattern(value, at, re.DOTALL), lower=False)


def _match_insensitively(value: object, at: str) -> Test:
    return _regex_test(_match_pattern(value, at, re.DOTALL | re.IGNORECASE), lower=False)


def _contains(value: object, at: str) -> Test:
    part = _text(value, "contains", at).lower()

    def test(x: object) -> bool:
        if isinstance(x, str):
            return part in x.lower()
        return isinstance(x, list) and any(comparison_key(v) == part for v in x)

    return test


def _contains_key(value: object, at: str) -> Test:
    key = _text(value, "containsKey", at).lower()
    return lambda x: isinstance(x, Mapping) and any(str(k).lower() == key for k in x)


def _exists(value: object, at: str) -> Test:
    wanted = comparison_key(value)
    if wanted not in ("true", "false"):
        raise PolicyDefinitionError(f'{at}: "exists" expects true or false, got {describe(value)}')
    present = wanted == "true"
    return lambda x: (x is not MISSING) is present


_POSITIVE: Final[Mapping[str, Callable[[object, str], Test]]] = {
    "equals": _equals,
    "in": _in,
    "like": _like,
    "contains": _contains,
    "match": _match,
    "matchInsensitively": _match_insensitively,
    "containsKey": _contains_key,
    "exists": _exists,
}
SUPPORTED_OPERATORS: Final = (
    "equals", "notEquals", "in", "notIn", "like", "notLike", "contains", "notContains", "match",
    "notMatch", "matchInsensitively", "notMatchInsensitively", "containsKey", "notContainsKey",
    "exists",
)  # fmt: skip
_NEGATED: Final = {f"not{n[0].upper()}{n[1:]}": n for n in _POSITIVE if n != "exists"}
"""``notEquals`` -> ``equals`` ...: each negated operator is the negation of its positive one."""
_CANONICAL: Final = {name.lower(): name for name in SUPPORTED_OPERATORS}


def compile_operator(operator: str, value: object, at: str) -> Test:
    """A test of a field value against ``value``; raises for unknown operators or bad values."""
    name = _CANONICAL.get(operator.lower())
    if name is None:
        raise PolicyDefinitionError(
            f'{at}: unsupported operator "{operator}"; supported: {", ".join(SUPPORTED_OPERATORS)}'
        )
    if name in _NEGATED:
        positive = _POSITIVE[_NEGATED[name]](value, at)
        return lambda x: not positive(x)
    return _POSITIVE[name](value, at)


# --- conditions ---------------------------------------------------------------------------

_LOGICAL: Final = {"allof": "allOf", "anyof": "anyOf", "not": "not"}
_UNSUPPORTED: Final = {
    "count": "count expressions",
    "value": "value conditions",
    "source": "field sources (DenyAction/Modify)",
}


def compile_condition(node: object, at: str) -> Predicate:
    """Compile a condition tree to one predicate over a resource view.

    Raises :class:`PolicyDefinitionError` (with ``at`` extended to the offending node) for a
    malformed node, an unknown operator or field, ``count`` or ``value`` conditions."""
    if not isinstance(node, Mapping):
        raise PolicyDefinitionError(f"{at}: expected a condition (an object), got {describe(node)}")
    keys = {str(k).lower(): str(k) for k in node}
    logical = [k for k in keys if k in _LOGICAL]
    if logical:
        if len(keys) != 1:
            raise PolicyDefinitionError(
                f'{at}: "{keys[logical[0]]}" must be alone in its object; '
                f"found keys: {', '.join(keys.values())}"
            )
        key = keys[logical[0]]
        return _compile_logical(_LOGICAL[logical[0]], node[key], f"{at}.{key}")
    for lowered, what in _UNSUPPORTED.items():
        if lowered in keys:
            raise PolicyDefinitionError(
                f"{at}: unsupported condition: {what} are not supported; "
                "supported: field conditions under allOf, anyOf and not"
            )
    if "field" not in keys:
        raise PolicyDefinitionError(
            f'{at}: expected "field", "allOf", "anyOf" or "not", found '
            f"keys: {', '.join(keys.values()) or '(none)'}"
        )
    return _compile_field_condition(node, keys, at)


def _compile_field_condition(
    node: Mapping[object, object], keys: dict[str, str], at: str
) -> Predicate:
    get = compile_field(node[keys.pop("field")], f"{at}.field")
    if len(keys) != 1:
        found = ", ".join(keys.values()) or "none"
        raise PolicyDefinitionError(
            f"{at}: a field condition needs exactly one operator, found: {found}"
        )
    (operator,) = keys.values()
    test = compile_operator(operator, node[operator], at)
    return lambda resource: test(get(resource))


def _compile_logical(kind: str, value: object, at: str) -> Predicate:
    if kind == "not":
        inner = compile_condition(value, at)
        return lambda resource: not inner(resource)
    if not isinstance(value, list) or not value:
        raise PolicyDefinitionError(
            f"{at}: expected a non-empty list of conditions, got {describe(value)}"
        )
    parts = tuple(compile_condition(c, f"{at}[{i}]") for i, c in enumerate(value))
    return _all_of(parts) if kind == "allOf" else _any_of(parts)


def _all_of(parts: tuple[Predicate, ...]) -> Predicate:
    def all_of(resource: Resource) -> bool:
        for part in parts:  # noqa: SIM110 -- 3x faster than all(generator); runs per request
            if not part(resource):
                return False
        return True

    return all_of


def _any_of(parts: tuple[Predicate, ...]) -> Predicate:
    def any_of(resource: Resource) -> bool:
        for part in parts:  # noqa: SIM110 -- as in _all_of
            if part(resource):
                return True
        return False

    return any_of


def field_key(name: str) -> str:
    """What a ``field`` name reads, for comparisons: lower case, ``tags`` for any tag."""
    stripped = name.strip()
    return "tags" if _TAG.match(stripped) else stripped.lower()


def fields_read(node: object, at: str) -> tuple[tuple[str, str], ...]:
    """``(JSON path of the "field" key, field name as written)`` of every field condition in a
    condition tree that :func:`compile_condition` accepts (see :func:`field_key`)."""
    if not isinstance(node, Mapping):
        return ()
    keys = {str(k).lower(): str(k) for k in node}
    logical = next((k for k in keys if k in _LOGICAL), None)
    if logical is not None:
        key = keys[logical]
        value = node[key]
        if logical == "not":
            return fields_read(value, f"{at}.{key}")
        parts = value if isinstance(value, list) else []
        return tuple(f for i, c in enumerate(parts) for f in fields_read(c, f"{at}.{key}[{i}]"))
    name = node.get(keys["field"]) if "field" in keys else None
    if not isinstance(name, str):
        return ()
    return ((f"{at}.{keys['field']}", name.strip()),)
