"""Template expressions in Azure Policy definitions: ``"[concat(field('name'), '/x')]"``.

:func:`parse_expression` reads the text between the brackets into a small tree (function
calls, string and number literals, ``.property`` and ``[index]`` access); :func:`evaluate`
computes it in a :class:`Scope` that says what ``parameters()``, ``variables()``, ``field()``
and ``current()`` return. The functions themselves are in
:mod:`sim.rules.azure_policy_functions`. A string that starts with ``[[`` is the literal text
after the first ``[``, as in ARM; any other string is a literal.

:func:`reads` tells what an expression depends on (``field``, ``current``), so that callers can
evaluate an expression once, as soon as the assignment's parameters are known, when it reads
neither. Errors are :class:`~sim.rules.azure_policy_conditions.PolicyDefinitionError` naming the
JSON path of the expression.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Final

from sim.errors import ArcsimError


class PolicyDefinitionError(ArcsimError, ValueError):
    """A policy definition, assignment parameter or construct that arcsim cannot evaluate.

    The message starts with the source and the JSON path of the offending node."""


class _Missing:
    """The value of a field that the resource does not have (or holds as JSON ``null``)."""

    def __repr__(self) -> str:
        return "<missing>"


MISSING: Final = _Missing()


@dataclass(frozen=True, slots=True)
class Literal:
    """A string, number or boolean literal."""

    value: object


@dataclass(frozen=True, slots=True)
class Call:
    """``name(args...)``; ``name`` is lower case."""

    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Member:
    """``target.name`` (property access, case-insensitive as in ARM)."""

    target: Node
    name: str


@dataclass(frozen=True, slots=True)
class Index:
    """``target[index]``."""

    target: Node
    index: Node


Node = Literal | Call | Member | Index


@dataclass(frozen=True, slots=True)
class Expression:
    """A parsed ``[...]`` string: its tree and its text (for messages)."""

    tree: Node
    text: str


_TOKEN: Final = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<number>-?\d+(?:\.\d+)?)|(?P<name>[A-Za-z_][\w]*)"
    r"|(?P<punct>[().,\[\]]))"
)

MAX_NESTING: Final = 32
"""Levels an expression may nest (calls in calls, ``.x`` and ``[i]``): built-ins need fewer
than 10; evaluation recurses once per level."""
MAX_DIGITS: Final = 19
"""Digits a number literal may have before its point: ARM's integers are 64-bit (19 digits);
Python refuses to read integers of thousands."""


def is_expression(value: object) -> bool:
    """True for a string ``[...]`` that ARM evaluates (not ``[[``, which is a literal)."""
    return (isinstance(value, str) and value.startswith("[") and not value.startswith("[[")
            and value.rstrip().endswith("]"))


def literal_text(value: str) -> str:
    """A string value as ARM reads it when it is not an expression (``[[x`` is ``[x``)."""
    return value[1:] if value.startswith("[[") else value


def parse_expression(text: str, at: str) -> Expression:
    """Parse ``text`` (with its brackets). Raises :class:`PolicyDefinitionError` at ``at``."""
    body = text.strip()[1:-1]
    tokens = _tokens(body, text, at)
    parser = _Parser(tokens, text, at)
    tree = parser.node()
    if parser.pos != len(tokens):
        raise _syntax(text, at, f"unexpected {tokens[parser.pos][1]!r}")
    if _height(tree) > MAX_NESTING:
        raise _syntax(text, at, f"nested more than {MAX_NESTING} levels deep (calls, "
                                "properties and indexes)")
    return Expression(tree, text)


def _height(tree: Node) -> int:
    """Levels of ``tree`` (a literal is 1), counted without recursion."""
    stack, height = [(tree, 1)], 0
    while stack:
        node, level = stack.pop()
        height = max(height, level)
        children = node.args if isinstance(node, Call) else (node.target,) if isinstance(
            node, Member) else (node.target, node.index) if isinstance(node, Index) else ()
        stack.extend((child, level + 1) for child in children)
    return height


def _syntax(text: str, at: str, why: str) -> PolicyDefinitionError:
    shown = text if len(text) <= 200 else text[:197] + "..."
    return PolicyDefinitionError(f'{at}: cannot read the template expression "{shown}": {why}')


def _tokens(body: str, text: str, at: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    pos = 0
    while pos < len(body):
        if body[pos:].strip() == "":
            break
        match = _TOKEN.match(body, pos)
        if match is None or match.end() == pos:
            raise _syntax(text, at, f"unexpected character {body[pos:].lstrip()[:1]!r}")
        kind = match.lastgroup or "punct"
        found.append((kind, match.group(kind)))
        pos = match.end()
    return found


class _Parser:
    """Recursive descent over the tokens of one expression."""

    def __init__(self, tokens: list[tuple[str, str]], text: str, at: str) -> None:
        self.tokens, self.text, self.at, self.pos, self.depth = tokens, text, at, 0, 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else ("end", "")

    def take(self, value: str) -> None:
        _kind, got = self.peek()
        if got != value:
            raise _syntax(self.text, self.at, f"expected {value!r}, found {got or 'the end'!r}")
        self.pos += 1

    def node(self) -> Node:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise _syntax(self.text, self.at, f"nested more than {MAX_NESTING} levels deep "
                                              "(calls, properties and indexes)")
        try:
            return self.postfix(self.primary())
        finally:
            self.depth -= 1

    def postfix(self, result: Node) -> Node:
        while self.peek()[1] in (".", "["):
            if self.peek()[1] == ".":
                self.pos += 1
                kind, name = self.peek()
                if kind != "name":
                    raise _syntax(self.text, self.at, "expected a property name after '.'")
                self.pos += 1
                result = Member(result, name)
            else:
                self.pos += 1
                index = self.node()
                self.take("]")
                result = Index(result, index)
        return result

    def primary(self) -> Node:
        kind, value = self.peek()
        self.pos += 1
        if kind == "string":
            return Literal(value[1:-1].replace("''", "'"))
        if kind == "number":
            return Literal(self.number(value))
        if kind == "name" and self.peek()[1] == "(":
            return self.call(value.lower())
        if kind == "name" and value.lower() in ("true", "false", "null"):
            return Literal({"true": True, "false": False, "null": None}[value.lower()])
        raise _syntax(self.text, self.at, f"unexpected {value or 'end'!r}")

    def number(self, text: str) -> int | float:
        """A number literal: an integer of at most :data:`MAX_DIGITS` digits (before a point)."""
        digits = len(text.lstrip("-").split(".")[0])
        if digits > MAX_DIGITS:
            shown = text if len(text) <= 24 else f"{text[:20]}... ({digits} digits)"
            raise _syntax(self.text, self.at, f"the number {shown} is too long: expected at "
                                              f"most {MAX_DIGITS} digits before the point")
        return float(text) if "." in text else int(text)

    def call(self, name: str) -> Call:
        self.take("(")
        args: list[Node] = []
        if self.peek()[1] != ")":
            args.append(self.node())
            while self.peek()[1] == ",":
                self.pos += 1
                args.append(self.node())
        self.take(")")
        return Call(name, tuple(args))


# --- evaluation -----------------------------------------------------------------------------

FieldReader = Callable[[str], object]
"""Reads a field (its value, or :data:`MISSING`) from the resource being evaluated."""


@dataclass
class Scope:
    """What the functions of an expression see while it is evaluated.

    ``parameters``: the assignment's values (or a template's), by lower-case name;
    ``variables``: a template's variables (None outside a template); ``read_field``: reads the
    evaluated resource (None where no resource is evaluated); ``current``: ``count`` loop
    values by lower-case name; ``resource_group``/``subscription``: what ``resourceGroup()`` and
    ``subscription()`` return."""

    parameters: Mapping[str, object]
    at: str
    variables: Mapping[str, object] | None = None
    read_field: FieldReader | None = None
    current: Mapping[str, object] = field(default_factory=dict)
    resource_group: Mapping[str, object] = field(default_factory=dict)
    subscription: Mapping[str, object] = field(default_factory=dict)
    missing: frozenset[str] = frozenset()
    """Declared parameters that have neither a value nor a default: reading one is an error."""
    resolving: list[str] = field(default_factory=list)
    """The template variables and parameter defaults being evaluated, outermost first, as
    ``variables('x')``/``parameters('x')`` (lower case): one that refers back to any of them
    is a cycle. Shared by the scopes :func:`dataclasses.replace` makes from this one."""


def trail_problem(trail: list[str], label: str) -> str | None:
    """Why ``label`` cannot be evaluated inside ``trail`` (see :attr:`Scope.resolving`): it
    refers to itself (``a -> b -> a``), or the chain is longer than :data:`MAX_NESTING`;
    None when it can."""
    if label in trail:
        cycle = " -> ".join((*trail[trail.index(label):], label))
        return f"refers to itself ({cycle}): expected a value that does not depend on its own"
    if len(trail) >= MAX_NESTING:
        return (f"is read through more than {MAX_NESTING} variables and parameter defaults "
                "that refer to each other: expected fewer")
    return None


def evaluate(expression: Expression, scope: Scope) -> object:
    """The value of ``expression`` in ``scope`` (:data:`MISSING` reads as JSON null).

    Raises :class:`PolicyDefinitionError` for an unknown function, wrong arguments, a
    parameter without value, or variables nested too deeply to evaluate."""
    from sim.rules.azure_policy_functions import call

    def value(node: Node) -> object:
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, Call):
            return call(node, value, scope, expression.text)
        target = value(node.target)
        if isinstance(node, Member):
            return member(target, node.name)
        return index(target, value(node.index), scope, expression.text)

    try:
        return value(expression.tree)
    except RecursionError:  # bounded above; this guards what the bounds do not foresee
        raise PolicyDefinitionError(f'{scope.at}: "{expression.text}": nested too deeply to '
                                    "evaluate") from None


def member(target: object, name: str) -> object:
    """``target.name``: a property, matched exactly then case-insensitively; else MISSING."""
    if not isinstance(target, Mapping):
        return MISSING
    if name in target:
        found = target[name]
    else:
        lowered = name.lower()
        found = next((v for k, v in target.items() if str(k).lower() == lowered), MISSING)
    return MISSING if found is None else found


def index(target: object, key: object, scope: Scope, text: str) -> object:
    """``target[key]``: an array item by position or an object property by name."""
    if isinstance(target, list) and isinstance(key, int) and not isinstance(key, bool):
        if -len(target) <= key < len(target):
            return target[key]
        raise PolicyDefinitionError(f'{scope.at}: "{text}": index {key} is outside the array '
                                    f"of {len(target)} items")
    if isinstance(key, str):
        return member(target, key)
    return MISSING


def calls(node: Node) -> Iterator[Call]:
    """Every function call in the tree under ``node``, each before the calls in its arguments
    (in the order they are written)."""
    if isinstance(node, Call):
        yield node
        for arg in node.args:
            yield from calls(arg)
    elif isinstance(node, Member):
        yield from calls(node.target)
    elif isinstance(node, Index):
        yield from calls(node.target)
        yield from calls(node.index)


def reads(expression: Expression) -> frozenset[str]:
    """Which of ``field`` and ``current`` (and ``resourcegroup``) the expression calls."""
    return frozenset(c.name for c in calls(expression.tree)
                     if c.name in ("field", "current", "resourcegroup"))


__all__ = [
    "MISSING", "Call", "Expression", "Index", "Literal", "Member", "PolicyDefinitionError",
    "Scope", "calls", "evaluate", "is_expression", "literal_text",
    "parse_expression", "reads", "trail_problem",
]
