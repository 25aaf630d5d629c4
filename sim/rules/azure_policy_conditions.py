"""Azure Policy conditions, compiled once an assignment's parameters are known (R16, R26, R6b).

A condition is ``allOf``/``anyOf``/``not`` over *field* conditions (``{"field": F, op: V}``),
*value* conditions (``{"value": X, op: V}``) and *count* conditions (``{"count": {"value": X,
"name": N, "where": W}, op: V}``); values and field names may be template expressions
(:mod:`sim.rules.azure_policy_expressions`). :func:`compile_condition` compiles a tree for one
kind of resource (a :class:`~sim.rules.azure_policy_fields.Profile`, or any resource view when
None) into a :class:`Compiled`:

* a *constant* when the result does not depend on the resource (a ``type`` test, an alias of
  another resource type, which is absent on this one, a parameter value...);
* a *test* of a resource view otherwise;
* *unknown* when it reads a field the simulated resource does not carry: the reasons name the
  JSON path.

``allOf``/``anyOf``/``not`` combine three-valued: a branch that can never decide (an
``allOf`` with a false part, an ``anyOf`` with a true part) makes the unknown parts of its
siblings *notes*, not unknowns. Malformed conditions raise :class:`PolicyDefinitionError`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Final

from sim.rules.azure_policy_expressions import (
    MISSING,
    Expression,
    Literal,
    PolicyDefinitionError,
    Scope,
    calls,
    evaluate,
    is_expression,
    literal_text,
    parse_expression,
    reads,
)
from sim.rules.azure_policy_fields import (
    FieldRead,
    Profile,
    Resource,
    lookup,
    lookup_path,
    resolve_field,
)
from sim.rules.azure_policy_operators import compile_operator, describe, operator_name

Current = Mapping[str, object]
Predicate = Callable[[Resource], bool]
SUBSCRIPTION: Final = {"subscriptionId": "00000000-0000-0000-0000-000000000000",
                       "displayName": "arcsim", "tenantId": "00000000-0000-0000-0000-000000000000"}
"""What ``subscription()`` returns: a placeholder subscription (the simulation has one)."""


@dataclass(frozen=True)
class Env:
    """What compiling sees: the assignment's values, the kind of resource, ``count`` names."""

    parameters: Mapping[str, object]
    profile: Profile | None = None
    missing: frozenset[str] = frozenset()
    current: frozenset[str] = frozenset()

    def scope(self, at: str, resource: Resource | None = None,
              current: Current | None = None) -> Scope:
        """The scope an expression at ``at`` is evaluated in, for ``resource`` (None: only
        constant fields can be read)."""
        def read(name: str) -> object:
            found = resolve_field(name, self.profile)
            if found.reader is not None and resource is not None:
                return found.reader(resource)
            return found.constant
        group = lookup(resource, "resourceGroup") if resource is not None else MISSING
        rg = {} if group is MISSING else {"name": group, "location": lookup(resource, "location"),
                                          "id": f"/subscriptions/{SUBSCRIPTION['subscriptionId']}"
                                                f"/resourceGroups/{group}", "tags": {}}
        return Scope(self.parameters, at, read_field=read, current=current or {},
                     resource_group=rg, subscription=SUBSCRIPTION, missing=self.missing)


@dataclass(frozen=True)
class Compiled:
    """A compiled condition or value: ``constant`` (when ``run`` is None and ``unknown`` is
    empty), ``run`` (evaluated per resource and ``count`` values), or ``unknown``."""

    constant: object = None
    run: Callable[[Resource, Current], object] | None = None
    unknown: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=(), compare=False)
    resource: bool = False
    """``run`` reads the resource (False: it reads only ``count`` values)."""
    fields: frozenset[str] = field(default=frozenset(), compare=False)
    """The fields ``run`` reads, lower case, as resolved (``field: "[parameters('f')]"`` is
    the field the parameter names); ``*`` for a name known only per resource or count."""

    @property
    def is_constant(self) -> bool:
        """True when the value is known without a resource."""
        return self.run is None and not self.unknown

    def predicate(self) -> Predicate:
        """A test of a resource view (for a constant, a test that ignores the resource).

        Raises:
            PolicyDefinitionError: the condition reads what cannot be evaluated (the first of
                :attr:`unknown`)."""
        if self.unknown:
            raise PolicyDefinitionError(self.unknown[0])
        run = self.run
        if run is None:
            value = bool(self.constant)
            return lambda _resource: value
        empty: Current = {}
        return lambda resource: bool(run(resource, empty))


def _const(value: object, notes: tuple[str, ...] = ()) -> Compiled:
    return Compiled(constant=value, notes=notes)


def _unknown(reasons: tuple[str, ...], notes: tuple[str, ...] = ()) -> Compiled:
    return Compiled(unknown=reasons, notes=notes)


# --- values -------------------------------------------------------------------------------


def compile_value(raw: object, at: str, env: Env) -> Compiled:
    """A literal, or a template expression evaluated now when it reads no resource."""
    if not is_expression(raw):
        return _const(literal_text(raw) if isinstance(raw, str) else raw)
    assert isinstance(raw, str)
    expression = parse_expression(raw, at)
    uses = reads(expression)
    names = _field_names(expression, at, env)
    found = [resolve_field(n, env.profile) for n in names if n != "*"]
    unknown = tuple(f"{at}: {r.unknown}" for r in found if r.unknown)
    if unknown:
        return _unknown(unknown)
    fields = frozenset(r.name.strip().lower() for r in found if r.reader is not None) | (
        {"*"} & set(names))
    if "resourcegroup" in uses:  # resourceGroup() reads the resource's group and location
        fields |= {"resourcegroup", "location"}
    if not fields and "current" not in uses:
        return _const(evaluate(expression, env.scope(at)))
    return Compiled(run=lambda resource, current: evaluate(
        expression, env.scope(at, resource, current)), resource=bool(fields), fields=fields)


def _field_names(expression: Expression, at: str, env: Env) -> list[str]:
    """The names ``field()`` reads in ``expression``: literal, or computed from parameters
    now; ``*`` for a name computed from the resource or a ``count`` value."""
    names = []
    for call in calls(expression.tree):
        if call.name != "field" or not call.args:
            continue
        arg = call.args[0]
        if isinstance(arg, Literal):
            names.append(str(arg.value))
            continue
        inner = Expression(arg, expression.text)
        name = "*" if reads(inner) else evaluate(inner, env.scope(at))
        if isinstance(name, str):
            names.append(name)
    return names


# --- conditions -----------------------------------------------------------------------------

_LOGICAL: Final = {"allof": "allOf", "anyof": "anyOf", "not": "not"}
_SUBJECTS: Final = ("field", "value", "count")


def compile_condition(node: object, at: str, env: Env) -> Compiled:
    """Compile a condition tree (see the module docstring). Raises
    :class:`PolicyDefinitionError` for a malformed node, an unknown operator, a bad value."""
    if not isinstance(node, Mapping):
        raise PolicyDefinitionError(f"{at}: expected a condition (an object), got {describe(node)}")
    keys = {str(k).lower(): str(k) for k in node}
    logical = [k for k in keys if k in _LOGICAL]
    if logical:
        if len(keys) != 1:
            raise PolicyDefinitionError(
                f'{at}: "{keys[logical[0]]}" must be alone in its object; '
                f"found keys: {', '.join(keys.values())}")
        key = keys[logical[0]]
        return _logical(_LOGICAL[logical[0]], node[key], f"{at}.{key}", env)
    subjects = [k for k in _SUBJECTS if k in keys]
    if len(subjects) != 1:
        raise PolicyDefinitionError(
            f'{at}: expected "field", "value", "count", "allOf", "anyOf" or "not", found '
            f"keys: {', '.join(keys.values()) or '(none)'}")
    subject = keys.pop(subjects[0])
    if len(keys) != 1:
        found = ", ".join(keys.values()) or "none"
        raise PolicyDefinitionError(f"{at}: a condition needs exactly one operator, found: {found}")
    (operator,) = keys.values()
    if operator_name(operator) is None:
        compile_operator(operator, None, at)  # raises: unsupported operator
    left = _subject(subjects[0], node[subject], f"{at}.{subject}", env)
    right = compile_value(node[operator], f"{at}.{operator}", env)
    return _apply(operator, left, right, at)


def _subject(kind: str, raw: object, at: str, env: Env) -> Compiled:
    if kind == "value":
        return compile_value(raw, at, env)
    if kind == "count":
        return _count(raw, at, env)
    name = compile_value(raw, at, env)
    if name.unknown or not name.is_constant:
        return name if name.unknown else _unknown(
            (f"{at}: a field name that depends on the resource",))
    if not isinstance(name.constant, str):
        raise PolicyDefinitionError(f"{at}: expected a field name (a string), got "
                                    f"{describe(name.constant)}")
    return _member_field(name.constant, env) or read_field(
        resolve_field(name.constant, env.profile), at)


def read_field(found: FieldRead, at: str) -> Compiled:
    """A field as a compiled value (see :class:`~sim.rules.azure_policy_fields.FieldRead`)."""
    if found.unknown:
        return _unknown((f"{at}: {found.unknown}",))
    reader = found.reader
    if reader is None:
        return _const(found.constant)
    return Compiled(run=lambda resource, _current: reader(resource), resource=True,
                    fields=frozenset({found.name.strip().lower()}))


def _apply(operator: str, left: Compiled, right: Compiled, at: str) -> Compiled:
    notes, fields = left.notes + right.notes, left.fields | right.fields
    if left.unknown or right.unknown:
        return _unknown(left.unknown + right.unknown, notes)
    if right.is_constant:
        test = compile_operator(operator, right.constant, at)
        if left.is_constant:
            return _const(test(left.constant), notes)
        run = left.run
        assert run is not None
        return Compiled(run=lambda r, c: test(run(r, c)), notes=notes, resource=left.resource,
                        fields=fields)
    left_run, right_run = _runner(left), _runner(right)
    return Compiled(run=lambda r, c: compile_operator(operator, right_run(r, c), at)(
        left_run(r, c)), notes=notes, resource=left.resource or right.resource, fields=fields)


def _runner(compiled: Compiled) -> Callable[[Resource, Current], object]:
    if compiled.run is not None:
        return compiled.run
    value = compiled.constant
    return lambda _r, _c: value


def _logical(kind: str, value: object, at: str, env: Env) -> Compiled:
    if kind == "not":
        inner = compile_condition(value, at, env)
        if inner.unknown:
            return inner
        if inner.is_constant:
            return _const(not inner.constant, inner.notes)
        run = inner.run
        assert run is not None
        return Compiled(run=lambda r, c: not run(r, c), notes=inner.notes,
                        resource=inner.resource, fields=inner.fields)
    if not isinstance(value, list) or not value:
        raise PolicyDefinitionError(f"{at}: expected a non-empty list of conditions, got "
                                    f"{describe(value)}")
    parts = [compile_condition(c, f"{at}[{i}]", env) for i, c in enumerate(value)]
    return _combine(parts, decisive=kind == "anyOf")


def _combine(parts: list[Compiled], *, decisive: bool) -> Compiled:
    """allOf (``decisive`` False: a false part decides) or anyOf (a true part decides)."""
    notes = tuple(n for p in parts for n in p.notes)
    if any(p.is_constant and bool(p.constant) is decisive for p in parts):
        skipped = tuple(f"{u} (not read: this part cannot change the result)"
                        for p in parts for u in p.unknown)
        return _const(decisive, notes + skipped)
    live = [p for p in parts if not p.is_constant]
    unknown = tuple(u for p in live for u in p.unknown)
    if unknown:
        return _unknown(unknown, notes)
    if not live:
        return _const(not decisive, notes)
    runs = tuple(p.run for p in live if p.run is not None)
    resource = any(p.resource for p in live)
    fields = frozenset().union(*(p.fields for p in live))
    if decisive:
        return Compiled(run=lambda r, c: any(run(r, c) for run in runs), notes=notes,
                        resource=resource, fields=fields)
    return Compiled(run=lambda r, c: all(run(r, c) for run in runs), notes=notes,
                    resource=resource, fields=fields)


def _count(raw: object, at: str, env: Env) -> Compiled:
    """``count`` over a value array (``value``, ``name``, ``where``) or an array alias."""
    if not isinstance(raw, Mapping):
        raise PolicyDefinitionError(f"{at}: expected an object, got {describe(raw)}")
    keys = {str(k).lower(): str(k) for k in raw}
    if "field" in keys:
        where_raw = raw[keys["where"]] if "where" in keys else MISSING
        return _field_count(raw[keys["field"]], where_raw, f"{at}.{keys['field']}", env)
    if "value" not in keys:
        raise PolicyDefinitionError(f'{at}: expected "value" (or "field") in a count')
    items = compile_value(raw[keys["value"]], f"{at}.{keys['value']}", env)
    name = str(raw.get(keys.get("name", ""), "") or "").lower()
    inner = replace(env, current=env.current | {name})
    where = (compile_condition(raw[keys["where"]], f"{at}.{keys['where']}", inner)
             if "where" in keys else _const(True))
    if items.unknown or where.unknown:
        return _unknown(items.unknown + where.unknown, items.notes + where.notes)
    return _counted(items, where, name, at)


def _counted(items: Compiled, where: Compiled, name: str, at: str) -> Compiled:
    def count(resource: Resource, current: Current, values: object) -> int:
        if not isinstance(values, list):
            raise PolicyDefinitionError(f"{at}: count expects an array, got {describe(values)}")
        test = _runner(where)
        return sum(bool(test(resource, {**current, name: v})) for v in values)

    notes = items.notes + where.notes
    if items.is_constant and not where.resource:
        return _const(count({}, {}, items.constant), notes)
    value_run = _runner(items)
    return Compiled(run=lambda r, c: count(r, c, value_run(r, c)), notes=notes,
                    resource=items.resource or where.resource, fields=items.fields | where.fields)


def _field_count(raw: object, where: object, at: str, env: Env) -> Compiled:
    """``count`` over an array alias: the members of the array the resource holds (none when
    the alias is of another type or absent), those where ``where`` holds, with
    ``field('alias[*].x')`` reading the member (and counts nested in ``where`` counting the
    member's arrays)."""
    name = compile_value(raw, at, env)
    if name.unknown or not name.is_constant or not isinstance(name.constant, str):
        return name if name.unknown else _unknown(
            (f"{at}: a count over a field needs a literal array alias",))
    alias = name.constant.strip()
    if not alias.endswith("[*]"):
        raise PolicyDefinitionError(f'{at}: a count over a field needs an array alias '
                                    f'(ending in [*]), got "{alias}"')
    array = alias[:-3]
    member = _MEMBER + alias.lower()
    inner = replace(env, current=env.current | {member})
    condition = (compile_condition(where, f"{at[:at.rfind('.')]}.where", inner)
                 if where is not MISSING else _const(True))
    read = _member_field(array, env) if "[*]" in array else None
    if read is None:
        if "[*]" in array:
            return _unknown((f'{at}: "{alias}" counts an array inside an array outside a '
                             "count over the outer one",))
        read = read_field(resolve_field(array, env.profile), at)
    if read.unknown or condition.unknown:
        return _unknown(read.unknown + condition.unknown, condition.notes)
    if read.is_constant and not isinstance(read.constant, list):
        return _const(0, condition.notes)
    members, holds = _runner(read), _runner(condition)

    def count(resource: Resource, current: Current) -> int:
        found = members(resource, current)
        if not isinstance(found, list):
            return 0
        return sum(bool(holds(resource, {**current, member: m})) for m in found)

    return Compiled(run=count, notes=condition.notes, resource=True,
                    fields=read.fields | condition.fields)


def _member_field(name: str, env: Env) -> Compiled | None:
    """``field('alias[*].x')`` inside a count over ``alias[*]``: read from the member (the
    innermost count whose alias starts the name)."""
    lowered = name.lower().strip()
    end = lowered.rfind("[*]")
    while end >= 0:
        key = _MEMBER + lowered[:end + 3]
        if key in env.current:
            return _member_reader(key, name.strip()[end + 3:].lstrip("."))
        end = lowered.rfind("[*]", 0, end)
    return None


def _member_reader(key: str, rest: str) -> Compiled:
    return Compiled(run=lambda _r, c: lookup_path(c[key], rest) if rest else c[key],
                    resource=True)


_MEMBER: Final = "\x00field:"
"""How the member of a field count is named among the ``current`` values."""


__all__ = [
    "MISSING", "SUBSCRIPTION", "Compiled", "Env", "PolicyDefinitionError", "Predicate",
    "Resource", "compile_condition", "compile_value", "describe", "lookup", "read_field",
]
