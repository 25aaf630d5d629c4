"""The operators of Azure Policy conditions (``equals``, ``in``, ``like``, ``greater``...).

:func:`compile_operator` turns an operator and its (already evaluated) value into a test of a
field or value. As in Azure Policy: operator names and string comparisons are
case-insensitive (except ``match``); booleans compare equal to ``"true"``/``"false"``; numbers
compare by value (``1`` and ``1.0`` alike); a field the resource lacks (:data:`MISSING`) matches
no positive operator and every negated one. ``like`` is matched by :mod:`fnmatch`-free code that
never backtracks on ``*``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Final

from sim.rules.azure_policy_expressions import MISSING, PolicyDefinitionError

Test = Callable[[object], bool]


def describe(value: object) -> str:
    """A short JSON rendering of ``value`` for error messages (``nothing`` for :data:`MISSING`)."""
    if value is MISSING:
        return "nothing"
    try:
        text = json.dumps(value, default=repr)
    except ValueError:  # an integer of more digits than Python writes, a circular value
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 80 else text[:77] + "..."


def comparison_key(value: object) -> object:
    """What equality compares: strings lower-cased, booleans as ``"true"``/``"false"``,
    numbers as their shortest text; None for objects, arrays and :data:`MISSING`."""
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return _integer_key(value)
    if isinstance(value, float):
        return _integer_key(int(value)) if value.is_integer() else repr(value)
    return None


def _integer_key(value: int) -> object:
    """An integer's decimal text, compared without a float (``10**400`` overflows one);
    past the digits Python writes in decimal, a key no text equals."""
    try:
        return str(value)
    except ValueError:
        return ("integer", value)


def _scalar(value: object, operator: str, at: str) -> object:
    if isinstance(value, str | bool | int | float):
        return comparison_key(value)
    raise PolicyDefinitionError(
        f'{at}: "{operator}" expects a string, number or boolean, got {describe(value)}')


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


def like_test(pattern: str) -> Test:
    """``like``: ``*`` matches any run of characters, case-insensitively; linear time."""
    parts = pattern.lower().split("*")

    def test(x: object) -> bool:
        text = comparison_key(x)
        if not isinstance(text, str):
            return False
        if len(parts) == 1:
            return text == parts[0]
        head, *middle, tail = parts
        if not text.startswith(head) or len(text) < len(head) + len(tail):
            return False
        pos, end = len(head), len(text) - len(tail)
        for part in middle:
            found = text.find(part, pos, end)
            if found < 0:
                return False
            pos = found + len(part)
        return text.endswith(tail)

    return test


def _like(value: object, at: str) -> Test:
    return like_test(_text(value, "like", at))


_MATCH_SYMBOLS = {"#": "[0-9]", "?": "[A-Za-z]", ".": "."}


def _match_with(flags: int) -> Callable[[object, str], Test]:
    def build(value: object, at: str) -> Test:
        text = _text(value, "match", at)
        pattern = re.compile("".join(_MATCH_SYMBOLS.get(c, re.escape(c)) for c in text), flags)
        return lambda x: isinstance(x, str) and pattern.fullmatch(x) is not None
    return build


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
    return lambda x: (x is not MISSING and x is not None) is present


def _order(name: str, holds: Callable[[int], bool]) -> Callable[[object, str], Test]:
    def build(value: object, at: str) -> Test:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise PolicyDefinitionError(
                f'{at}: "{name}" expects a number or a string, got {describe(value)}')

        def test(x: object) -> bool:
            if isinstance(value, str) and isinstance(x, str):
                a, b = x.lower(), value.lower()
                return holds((a > b) - (a < b))
            if isinstance(x, int | float) and not isinstance(x, bool) and not isinstance(
                    value, str):
                return holds((x > value) - (x < value))
            return False

        return test
    return build


_POSITIVE: Final[Mapping[str, Callable[[object, str], Test]]] = {
    "equals": _equals, "in": _in, "like": _like, "contains": _contains,
    "match": _match_with(re.DOTALL), "matchInsensitively": _match_with(re.DOTALL | re.IGNORECASE),
    "containsKey": _contains_key, "exists": _exists,
    "greater": _order("greater", lambda c: c > 0),
    "greaterOrEquals": _order("greaterOrEquals", lambda c: c >= 0),
    "less": _order("less", lambda c: c < 0),
    "lessOrEquals": _order("lessOrEquals", lambda c: c <= 0),
}
_NEGATABLE: Final = ("equals", "in", "like", "contains", "match", "matchInsensitively",
                     "containsKey")
SUPPORTED_OPERATORS: Final = (
    *_POSITIVE, *(f"not{n[0].upper()}{n[1:]}" for n in _NEGATABLE))
_NEGATED: Final = {f"not{n[0].upper()}{n[1:]}": n for n in _NEGATABLE}
_CANONICAL: Final = {name.lower(): name for name in SUPPORTED_OPERATORS}


def operator_name(key: str) -> str | None:
    """The canonical spelling of operator ``key`` (any case); None when it is none."""
    return _CANONICAL.get(key.lower())


def compile_operator(operator: str, value: object, at: str) -> Test:
    """A test of a field or value against ``value``; raises for unknown operators or values."""
    name = operator_name(operator)
    if name is None:
        raise PolicyDefinitionError(
            f'{at}: unsupported operator "{operator}"; supported: {", ".join(SUPPORTED_OPERATORS)}')
    if name in _NEGATED:
        positive = _POSITIVE[_NEGATED[name]](value, at)
        return lambda x: not positive(x)
    return _POSITIVE[name](value, at)


__all__ = ["SUPPORTED_OPERATORS", "Test", "comparison_key", "compile_operator", "describe",
           "like_test", "operator_name"]
