"""The template functions arcsim evaluates in policy rules, and how (ARM semantics).

Each function takes its argument nodes and a ``value`` callback, so ``if`` evaluates only the
branch it takes. ``equals`` compares type and value (``1`` is not ``true``); strings compare
case-sensitively in ``equals``/``contains`` (the built-ins call ``toLower`` first),
case-insensitively in ``startsWith``/``endsWith``/``indexOf`` and in object keys; ``add`` to
``mod`` take integers, ``div``/``mod`` truncating toward zero. :data:`MISSING` reads as null.

``resourceGroup()`` and ``subscription()`` return what the :class:`Scope` gives (the simulated
machine's resource group and a placeholder subscription); ``requestContext().apiVersion`` is
:data:`API_VERSION`. Functions whose value depends on the time or on other resources
(``utcNow``, ``reference``, ``listKeys``, ``resourceId``, ``uniqueString``, ``guid`` ...) raise
:class:`PolicyDefinitionError`: arcsim never guesses their value.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from sim.rules.azure_policy_expressions import (
    MISSING,
    Call,
    Node,
    PolicyDefinitionError,
    Scope,
    evaluate,
    is_expression,
    member,
    parse_expression,
    trail_problem,
)

API_VERSION: Final = "2024-07-10"
"""``requestContext().apiVersion``: the API version a simulated request is taken to use."""

Value = Callable[[Node], object]
Function = Callable[[Sequence[Node], Value, Scope, str], object]


def call(node: Call, value: Value, scope: Scope, text: str) -> object:
    """Evaluate ``node`` (a function call). Raises for an unknown function or bad arguments."""
    function = _FUNCTIONS.get(node.name)
    if function is None:
        why = _UNSUPPORTED.get(node.name, "it is not a function arcsim evaluates")
        raise PolicyDefinitionError(f'{scope.at}: "{text}": {node.name}() is not supported: '
                                    f"{why}")
    return function(node.args, value, scope, text)


def _bad(scope: Scope, text: str, why: str) -> PolicyDefinitionError:
    return PolicyDefinitionError(f'{scope.at}: "{text}": {why}')


def _args(args: Sequence[Node], value: Value) -> list[Any]:
    return [_plain(value(a)) for a in args]


def _plain(x: object) -> object:
    return None if x is MISSING else x


def _arity(name: str, args: Sequence[Node], low: int, high: int, scope: Scope,
           text: str) -> None:
    if not low <= len(args) <= high:
        want = str(low) if low == high else f"{low} to {high}"
        raise _bad(scope, text, f"{name}() takes {want} argument(s), got {len(args)}")


_FAILURES: Final = (TypeError, ValueError, AttributeError, ArithmeticError, LookupError,
                    MemoryError)
"""What functions raise on bad arguments (``div(1, 0)``, ``padLeft('a', 10**12)``): located."""


def _fixed(name: str, count: int, fn: Callable[..., object]) -> Function:
    def function(args: Sequence[Node], value: Value, scope: Scope, text: str) -> object:
        _arity(name, args, count, count, scope, text)
        values = _args(args, value)  # outside the try: their own errors are located already
        try:
            return fn(*values)
        except _FAILURES as error:
            raise _bad(scope, text, f"{name}(): {str(error) or 'the result is too big'}") from None
    return function


def _variadic(name: str, fn: Callable[[list[Any]], object], low: int = 1) -> Function:
    def function(args: Sequence[Node], value: Value, scope: Scope, text: str) -> object:
        _arity(name, args, low, 99, scope, text)
        values = _args(args, value)
        try:
            return fn(values)
        except _FAILURES as error:
            raise _bad(scope, text, f"{name}(): {str(error) or 'the result is too big'}") from None
    return function


# --- scope functions ------------------------------------------------------------------------


def _name(args: Sequence[Node], value: Value, scope: Scope, text: str, what: str) -> str:
    _arity(what, args, 1, 1, scope, text)
    name = value(args[0])
    if not isinstance(name, str):
        raise _bad(scope, text, f"{what}() expects a name (a string)")
    return name


def _parameters(args: Sequence[Node], value: Value, scope: Scope, text: str) -> object:
    name = _name(args, value, scope, text, "parameters")
    key = name.lower()
    if key in scope.missing:
        raise PolicyDefinitionError(
            f'{scope.at}: "{text}": parameter "{name}" has no value: give it in the '
            "assignment's parameters (it has no defaultValue)")
    if key not in scope.parameters:
        declared = ", ".join(scope.parameters) or "(none)"
        raise _bad(scope, text, f'refers to an undeclared parameter "{name}"; declared: '
                                f"{declared}")
    return scope.parameters[key]


def _variables(args: Sequence[Node], value: Value, scope: Scope, text: str) -> object:
    name = _name(args, value, scope, text, "variables")
    if scope.variables is None:
        raise _bad(scope, text, "variables() exists only inside a deployment template")
    found = member(scope.variables, name)
    if found is MISSING:
        raise _bad(scope, text, f'refers to an undeclared variable "{name}"')
    label = f"variables('{name.lower()}')"
    problem = trail_problem(scope.resolving, label)
    if problem is not None:
        raise _bad(scope, text, f'variable "{name}" {problem}')
    scope.resolving.append(label)
    try:
        return resolve_value(found, scope)
    finally:
        scope.resolving.pop()


def resolve_value(raw: object, scope: Scope) -> object:
    """``raw`` with every template expression in it (nested too) evaluated in ``scope``."""
    if is_expression(raw):
        assert isinstance(raw, str)
        return evaluate(parse_expression(raw, scope.at), scope)
    if isinstance(raw, str) and raw.startswith("[["):
        return raw[1:]
    if isinstance(raw, Mapping):
        return {k: resolve_value(v, scope) for k, v in raw.items()}
    if isinstance(raw, list):
        return [resolve_value(v, scope) for v in raw]
    return raw


def _field(args: Sequence[Node], value: Value, scope: Scope, text: str) -> object:
    name = _name(args, value, scope, text, "field")
    if scope.read_field is None:
        raise _bad(scope, text, "field() reads the evaluated resource, and there is none here")
    return scope.read_field(name)


def _current(args: Sequence[Node], value: Value, scope: Scope, text: str) -> object:
    _arity("current", args, 0, 1, scope, text)
    if not args:
        if len(scope.current) == 1:
            return next(iter(scope.current.values()))
        raise _bad(scope, text, "current() without a name is valid only inside one count")
    name = value(args[0])
    key = name.lower() if isinstance(name, str) else ""
    if key not in scope.current:
        raise _bad(scope, text, f'current("{name}") is outside a count named "{name}"')
    return scope.current[key]


def _if(args: Sequence[Node], value: Value, scope: Scope, text: str) -> object:
    _arity("if", args, 3, 3, scope, text)
    condition = value(args[0])
    if not isinstance(condition, bool):
        raise _bad(scope, text, "if() expects a boolean condition")
    return value(args[1] if condition else args[2])


def _scoped(which: str) -> Function:
    def function(args: Sequence[Node], value: Value, scope: Scope, text: str) -> object:
        _arity(which, args, 0, 0, scope, text)
        return dict(scope.resource_group if which == "resourcegroup" else scope.subscription)
    return function


def _request_context(args: Sequence[Node], value: Value, scope: Scope, text: str) -> object:
    _arity("requestContext", args, 0, 0, scope, text)
    return {"apiVersion": API_VERSION}


# --- value functions ------------------------------------------------------------------------


def _empty(x: object) -> bool:
    return x is None or x in ("", [], {})


def same(a: object, b: object) -> bool:
    """ARM's ``equals``: the same type and value, nested arrays and objects too. Numbers
    compare by value (``1`` and ``1.0`` alike), booleans only with booleans (``1`` is not
    ``true``), strings case-sensitively, object keys exactly."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(v, b[k]) for k, v in a.items())
    return type(a) is type(b) and a == b


def _has(items: list[Any], x: object) -> bool:
    return any(same(i, x) for i in items)


def _concat(items: list[Any]) -> object:
    if all(isinstance(i, list) for i in items):
        return [x for i in items for x in i]
    return "".join(_text(i) for i in items)


def _text(x: object) -> str:
    if x is None:
        return ""
    if isinstance(x, bool):
        return "True" if x else "False"
    if isinstance(x, dict | list):
        return json.dumps(x, separators=(",", ":"))
    return str(x)


def _union(items: list[Any]) -> object:
    if all(isinstance(i, dict) for i in items):
        merged: dict[str, object] = {}
        for i in items:
            merged.update(i)
        return merged
    if all(isinstance(i, list) for i in items):
        out: list[object] = []
        for i in items:
            out += [x for x in i if not _has(out, x)]
        return out
    raise TypeError("expects all objects or all arrays")


def _intersection(items: list[Any]) -> object:
    if all(isinstance(i, dict) for i in items):
        first = items[0]
        assert isinstance(first, dict)
        return {k: v for k, v in first.items()
                if all(isinstance(o, dict) and k in o and same(o[k], v) for o in items[1:])}
    if all(isinstance(i, list) for i in items):
        head = items[0]
        assert isinstance(head, list)
        return [x for x in head if all(_has(o, x) for o in items[1:])]
    if any(i is None for i in items):
        return None
    raise TypeError("expects all objects or all arrays")


def _contains(container: object, item: object) -> bool:
    if isinstance(container, str):
        return _text(item) in container
    if isinstance(container, list):
        return _has(container, item)
    if isinstance(container, dict):
        return isinstance(item, str) and any(k.lower() == item.lower() for k in container)
    return False


def _length(x: object) -> int:
    if x is None:
        return 0
    if isinstance(x, str | list | dict):
        return len(x)
    raise TypeError("expects a string, array or object")


def _split(text: object, delimiters: object) -> list[str]:
    parts = [str(text or "")]
    for d in delimiters if isinstance(delimiters, list) else [delimiters]:
        parts = [p for part in parts for p in part.split(str(d))]
    return parts


def _create_object(items: list[Any]) -> dict[str, object]:
    if len(items) % 2:
        raise ValueError("expects name, value pairs")
    return {str(items[i]): items[i + 1] for i in range(0, len(items), 2)}


def _compare(op: Callable[[Any, Any], bool]) -> Callable[[object, object], bool]:
    def compare(a: object, b: object) -> bool:
        if isinstance(a, str) and isinstance(b, str):
            return op(a, b)
        if _number(a) and _number(b):
            return op(a, b)
        raise TypeError("compares two numbers or two strings")
    return compare


def _number(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _integers(op: Callable[[int, int], int]) -> Callable[[object, object], int]:
    def arithmetic(a: object, b: object) -> int:
        if not (_number(a) and _number(b) and isinstance(a, int) and isinstance(b, int)):
            raise TypeError("expects two integers")
        return op(a, b)
    return arithmetic


def _div(a: int, b: int) -> int:
    """ARM's (.NET's) integer division: the quotient truncated toward zero (``-7/2`` is -3)."""
    quotient = abs(a) // abs(b)
    return quotient if (a < 0) == (b < 0) else -quotient


def _format(items: list[Any]) -> str:
    template, rest = str(items[0]), items[1:]
    return template.format(*[_text(r) for r in rest])


def _bool(x: object) -> bool:
    if isinstance(x, str):
        return x.strip().lower() == "true"
    return bool(x)


_FUNCTIONS: Final[Mapping[str, Function]] = {
    "parameters": _parameters, "variables": _variables, "field": _field, "current": _current,
    "if": _if, "resourcegroup": _scoped("resourcegroup"), "subscription": _scoped("subscription"),
    "requestcontext": _request_context,
    "concat": _variadic("concat", _concat),
    "empty": _fixed("empty", 1, _empty),
    "equals": _fixed("equals", 2, same),
    "not": _fixed("not", 1, lambda a: not a),
    "and": _variadic("and", lambda xs: all(bool(x) for x in xs), 2),
    "or": _variadic("or", lambda xs: any(bool(x) for x in xs), 2),
    "tolower": _fixed("toLower", 1, lambda s: _text(s).lower()),
    "toupper": _fixed("toUpper", 1, lambda s: _text(s).upper()),
    "trim": _fixed("trim", 1, lambda s: _text(s).strip()),
    "union": _variadic("union", _union), "intersection": _variadic("intersection", _intersection),
    "contains": _fixed("contains", 2, _contains), "length": _fixed("length", 1, _length),
    "split": _fixed("split", 2, _split),
    "first": _fixed("first", 1, lambda x: x[0] if isinstance(x, str | list) and x else None),
    "last": _fixed("last", 1, lambda x: x[-1] if isinstance(x, str | list) and x else None),
    "createobject": _variadic("createObject", _create_object, 0),
    "createarray": _variadic("createArray", list, 0),
    "coalesce": _variadic("coalesce", lambda xs: next((x for x in xs if x is not None), None)),
    "string": _fixed("string", 1, _text), "int": _fixed("int", 1, int),
    "bool": _fixed("bool", 1, _bool), "json": _fixed("json", 1, lambda s: json.loads(str(s))),
    "true": _fixed("true", 0, lambda: True), "false": _fixed("false", 0, lambda: False),
    "null": _fixed("null", 0, lambda: None),
    "startswith": _fixed("startsWith", 2, lambda s, p: _text(s).lower().startswith(
        _text(p).lower())),
    "endswith": _fixed("endsWith", 2, lambda s, p: _text(s).lower().endswith(_text(p).lower())),
    "indexof": _fixed("indexOf", 2, lambda s, p: _text(s).lower().find(_text(p).lower())),
    "lastindexof": _fixed("lastIndexOf", 2, lambda s, p: _text(s).lower().rfind(
        _text(p).lower())),
    "replace": _fixed("replace", 3, lambda s, a, b: _text(s).replace(_text(a), _text(b))),
    "substring": _variadic("substring", lambda xs: _text(xs[0])[
        int(xs[1]):(int(xs[1]) + int(xs[2])) if len(xs) > 2 else None], 2),
    "take": _fixed("take", 2, lambda x, n: x[:n]), "skip": _fixed("skip", 2, lambda x, n: x[n:]),
    "greater": _fixed("greater", 2, _compare(lambda a, b: a > b)),
    "greaterorequals": _fixed("greaterOrEquals", 2, _compare(lambda a, b: a >= b)),
    "less": _fixed("less", 2, _compare(lambda a, b: a < b)),
    "lessorequals": _fixed("lessOrEquals", 2, _compare(lambda a, b: a <= b)),
    "base64": _fixed("base64", 1, lambda s: base64.b64encode(_text(s).encode()).decode()),
    "format": _variadic("format", _format),
    "padleft": _variadic("padLeft", lambda xs: _text(xs[0]).rjust(
        int(xs[1]), str(xs[2]) if len(xs) > 2 else " "), 2),
    "mod": _fixed("mod", 2, _integers(lambda a, b: a - b * _div(a, b))),
    "add": _fixed("add", 2, _integers(lambda a, b: a + b)),
    "sub": _fixed("sub", 2, _integers(lambda a, b: a - b)),
    "mul": _fixed("mul", 2, _integers(lambda a, b: a * b)),
    "div": _fixed("div", 2, _integers(_div)),
    "min": _variadic("min", lambda xs: min(xs)), "max": _variadic("max", lambda xs: max(xs)),
}

_UNSUPPORTED: Final[Mapping[str, str]] = {
    "utcnow": "its value is the time of evaluation",
    "reference": "it reads another resource, which the simulation does not hold",
    "listkeys": "it reads the keys of another resource",
    "resourceid": "it builds the id of another resource",
    "subscriptionresourceid": "it builds the id of another resource",
    "uniquestring": "it hashes deployment context the simulation does not hold",
    "guid": "it hashes deployment context the simulation does not hold",
    "deployment": "it reads the running deployment",
}

__all__ = ["API_VERSION", "call", "resolve_value"]
