"""Pydantic validation errors as located problems, and the keys a schema allows.

:func:`validate_document` validates a :class:`~sim.scenario.source.problems.LocatedDocument`
against a pydantic model; :func:`format_pydantic_errors` turns each validation error into a
:class:`~sim.scenario.source.problems.Problem` at the line where the value was written, keeping
only the errors of the union members that fit best; :func:`model_keys` tells which keys a model
allows at a path, for ``unknown key "x", did you mean "y"?``.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, ValidationError
from pydantic_core import ErrorDetails, PydanticUndefined

from sim.errors import ArcsimError
from sim.scenario.limits import LIMITS
from sim.scenario.source.problems import FieldPath, LocatedDocument, Problem, ScenarioError
from sim.scenario.units import UNIT_ERROR_TYPE, show_value

KeysAt = Callable[[FieldPath], Collection[str]]
"""The keys a schema allows in the mapping at a field path (empty when unknown)."""

ModelT = TypeVar("ModelT", bound=BaseModel)

_MISSING_TYPES = frozenset({"missing", "missing_argument", "missing_keyword_argument"})
_MESSAGE_PREFIXES = ("Value error, ", "Assertion failed, ")
_MAX_LISTED_KEYS = 10


def validate_document(doc: LocatedDocument, model: type[ModelT]) -> ModelT:
    """``model`` validated from ``doc.data``.

    Raises:
        ScenarioError: every validation error, located (see :func:`format_pydantic_errors`).
    """
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        raise format_pydantic_errors(exc, doc, model=model) from exc


def format_pydantic_errors(
    exc: ValidationError,
    doc: LocatedDocument,
    filename: str | None = None,
    *,
    model: type[BaseModel] | None = None,
    allowed_keys: KeysAt | None = None,
) -> ScenarioError:
    """One located :class:`Problem` per pydantic error, sorted by line.

    Each reads ``file:line: field.path: message (got value)``. A missing field says ``missing
    required field``; an unknown key says ``unknown key "x"`` and, when ``model`` (walked along
    the path) or ``allowed_keys`` knows the allowed keys, suggests the closest one. Union member
    names that pydantic puts in error locations are left out of the path. ``filename`` defaults
    to ``doc.filename``. The first :attr:`~sim.scenario.limits.ReadLimits.max_problems` are
    listed; a last line counts the others.
    """
    keys_at = allowed_keys or (model_keys(model) if model is not None else None)
    file = filename or doc.filename
    found = sorted(((doc.line_of(path) or 0, path, error) for error, path in
                    _closest_union_members(doc.data, exc.errors(include_url=False))),
                   key=lambda item: item[0])
    problems: dict[Problem, None] = {}
    for shown, (line, path, error) in enumerate(found):
        if len(problems) == LIMITS.max_problems:
            return ScenarioError(list(problems), omitted=len(found) - shown)
        problems[Problem(file, line or None, path, _message(error, path, keys_at))] = None
    return ScenarioError(list(problems))


Branch = tuple[tuple[str | int, ...], str | int]
"""A union member in an error location: (location of the union, the member's tag)."""


def _closest_union_members(
    data: Any, errors: list[ErrorDetails]
) -> list[tuple[ErrorDetails, FieldPath]]:
    """Each error with its data path, keeping only the errors of the union members that fit best.

    Pydantic reports why the value fails every member of a union. A member that accepts the
    value's shape (a mapping for a model) beats one that does not; among those, fewer errors
    win; ties keep all.
    """
    walked = [
        (error, *_walk(data, error["loc"], error["type"] in _MISSING_TYPES)) for error in errors
    ]
    ranks: dict[tuple[str | int, ...], dict[str | int, tuple[bool, int]]] = {}
    for error, _, branches in walked:
        for prefix, tag in branches:
            is_whole = len(error["loc"]) == len(prefix) + 1
            was_whole, count = ranks.setdefault(prefix, {}).get(tag, (False, 0))
            ranks[prefix][tag] = (was_whole or is_whole, count + 1)
    best = {prefix: min(tags.values()) for prefix, tags in ranks.items()}
    return [
        (error, path)
        for error, path, branches in walked
        if all(ranks[prefix][tag] == best[prefix] for prefix, tag in branches)
    ]


def _walk(data: Any, loc: tuple[str | int, ...], keep_leaf: bool) -> tuple[FieldPath, list[Branch]]:
    """Split pydantic's ``loc`` into the path of real keys and items of ``data`` and the rest.

    Elements that do not step into the data are union member tags (``"int"``, a model name),
    except a final missing key when ``keep_leaf`` is set.
    """
    path: list[str | int] = []
    branches: list[Branch] = []
    for index, element in enumerate(loc):
        if _steps_into(data, element):
            data = data[element]
        elif not (keep_leaf and index == len(loc) - 1):
            branches.append((loc[:index], element))
            continue
        path.append(element)
    return tuple(path), branches


def _steps_into(data: object, element: str | int) -> bool:
    """Whether ``element`` is a key of ``data`` (a dict) or an index of it (a list)."""
    if isinstance(data, dict):
        return isinstance(element, str) and element in data
    return isinstance(data, list) and isinstance(element, int) and 0 <= element < len(data)


def _message(error: ErrorDetails, path: FieldPath, keys_at: KeysAt | None) -> str:
    if error["type"] in _MISSING_TYPES:
        return "missing required field"
    if error["type"] == "extra_forbidden" and path:
        return _unknown_key(path, keys_at)
    message = _clean_message(error["msg"])
    names_value = isinstance(error.get("ctx", {}).get("error"), ArcsimError)
    if error["type"] == UNIT_ERROR_TYPE or names_value:
        return message
    return f"{message} (got {show_value(error['input'])})"


def _clean_message(message: str) -> str:
    """Pydantic's message without its ``Value error,`` prefix, starting in lower case."""
    for prefix in _MESSAGE_PREFIXES:
        message = message.removeprefix(prefix)
    if message[:1].isupper() and message[1:2].islower():
        message = message[0].lower() + message[1:]
    return message


def _unknown_key(path: FieldPath, keys_at: KeysAt | None) -> str:
    key = str(path[-1])
    allowed = sorted(set(keys_at(path[:-1])) - {key}) if keys_at is not None else []
    message = f'unknown key "{key}"'
    close = difflib.get_close_matches(key, allowed, n=1)
    if close:
        return f'{message}, did you mean "{close[0]}"?'
    if 0 < len(allowed) <= _MAX_LISTED_KEYS:
        return f"{message}; allowed keys: {', '.join(allowed)}"
    return message


# --- allowed keys from a pydantic model -----------------------------------------------------


def model_keys(model: type[BaseModel]) -> KeysAt:
    """A :data:`KeysAt` that walks ``model``'s fields along a path.

    Follows nested models, ``list``/``tuple``/``Sequence`` items, ``dict``/``Mapping`` values,
    ``Optional``, unions and ``Annotated``; a path it cannot follow has no known keys.
    """

    def keys_at(path: FieldPath) -> frozenset[str]:
        annotations: list[Any] = [model]
        for element in path:
            annotations = [child for a in annotations for child in _children(a, element)]
        return frozenset(key for a in annotations for key in _model_field_keys(a))

    return keys_at


def fields_at(model: type[BaseModel], path: FieldPath) -> list[tuple[Any, list[Any]]]:
    """``(annotation, metadata)`` of each way ``model`` can hold a value at ``path`` (a name
    standing for an item of a list, as in ``timeline[cleanup]``, is an item); empty when the
    path leads nowhere. Metadata is pydantic's (validators of ``Annotated`` field types)."""
    found: list[tuple[Any, list[Any]]] = [(model, [])]
    for element in path:
        found = [child for annotation, _ in found for child in _fields_of(annotation, element)]
    return found


def _fields_of(annotation: Any, element: str | int) -> list[tuple[Any, list[Any]]]:
    out: list[tuple[Any, list[Any]]] = []
    for member in _alternatives(annotation):
        if _is_model(member) and isinstance(element, str):
            out += [(info.annotation, list(info.metadata))
                    for name, info in member.model_fields.items()
                    if (info.alias or name) == element]
        elif get_origin(member) in (list, tuple, Sequence) and isinstance(element, str):
            out += [(child, []) for child in _container_children(member, 0)]
        else:
            out += [(child, []) for child in _container_children(member, element)]
    return out


def _alternatives(annotation: Any) -> list[Any]:
    """``annotation`` without ``Annotated``, split into union members."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _alternatives(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return [member for arg in get_args(annotation) for member in _alternatives(arg)]
    return [annotation]


def _input_types(metadata: list[Any]) -> list[Any]:
    """The types a field's before-validators also accept (``fleet: {from: ...}``)."""
    return [m.json_schema_input_type for m in metadata if isinstance(m, BeforeValidator)
            and m.json_schema_input_type is not PydanticUndefined]


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _children(annotation: Any, element: str | int) -> list[Any]:
    """The annotations of ``annotation``'s field, item or value named by ``element``."""
    children: list[Any] = []
    for member in _alternatives(annotation):
        if _is_model(member) and isinstance(element, str):
            for name, info in member.model_fields.items():
                if (info.alias or name) == element:
                    children += [info.annotation, *_input_types(info.metadata)]
        else:
            children.extend(_container_children(member, element))
    return children


def _container_children(annotation: Any, element: str | int) -> list[Any]:
    origin, args = get_origin(annotation), get_args(annotation)
    if isinstance(element, str) and origin in (dict, Mapping) and len(args) == 2:
        return [args[1]]
    if not isinstance(element, int) or not args:
        return []
    if origin is tuple and args[-1] is not Ellipsis:
        return [args[element]] if element < len(args) else []
    return [args[0]] if origin in (list, tuple, Sequence, set, frozenset) else []


def _model_field_keys(annotation: Any) -> list[str]:
    members = [member for member in _alternatives(annotation) if _is_model(member)]
    return [info.alias or name for m in members for name, info in m.model_fields.items()]
