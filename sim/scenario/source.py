"""Load YAML files while remembering where each value was written; report located errors.

:func:`load_yaml_file` and :func:`load_yaml_text` read a YAML mapping with PyYAML's safe loader
into plain dicts and lists, and keep a side table from each field path (``("fleet", 2,
"agent_version")``: string keys, integer indices) to the line and column where it was written.
Every error, from the YAML parser, from pydantic (:func:`format_pydantic_errors`) or from a later
check (:meth:`LocatedDocument.error`), becomes a :class:`ScenarioError` whose lines read::

    scenario.yaml:14: fleet[2].agent_version: expected a version string like "1.35", got 1.2 ...
"""

from __future__ import annotations

import difflib
import os
import re
import types
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from sim.errors import ArcsimError
from sim.scenario.units import UNIT_ERROR_TYPE, show_value

FieldPath = tuple[str | int, ...]
"""Where a value sits in a document: mapping keys (str) and sequence indices (int)."""

Position = tuple[int, int]
"""A 1-based (line, column)."""

KeysAt = Callable[[FieldPath], Collection[str]]
"""The keys a schema allows in the mapping at a field path (empty when unknown)."""

ModelT = TypeVar("ModelT", bound=BaseModel)

_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_MISSING_TYPES = frozenset({"missing", "missing_argument", "missing_keyword_argument"})
_MESSAGE_PREFIXES = ("Value error, ", "Assertion failed, ")
_MAX_LISTED_KEYS = 10


# --- problems and the error ----------------------------------------------------------------


def format_path(path: Iterable[str | int]) -> str:
    """``fleet[2].agent_version``; keys that are not plain names are quoted: ``ext["a.b"]``."""
    text = ""
    for element in path:
        if isinstance(element, int):
            text += f"[{element}]"
        elif _PLAIN_KEY.fullmatch(element):
            text += f".{element}" if text else element
        else:
            text += f"[{show_value(element, limit=200)}]"
    return text


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a file: where (file, 1-based line, field path) and what."""

    file: str
    line: int | None
    path: FieldPath
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        field_text = format_path(self.path)
        return f"{where}: {field_text + ': ' if field_text else ''}{self.message}"


class ScenarioError(ArcsimError):
    """A scenario file (or other input file) that cannot be used; one line per problem."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)

    def __reduce__(self) -> tuple[type[ScenarioError], tuple[tuple[Problem, ...]]]:
        return (type(self), (self.problems,))


def _file_error(file: str, message: str, line: int | None = None) -> ScenarioError:
    return ScenarioError([Problem(file, line, (), message)])


# --- the located document ------------------------------------------------------------------


@dataclass(frozen=True)
class LocatedDocument:
    """A YAML mapping as plain data, and where each key and sequence item was written."""

    data: dict[str, Any]
    filename: str = "<string>"
    positions: Mapping[FieldPath, Position] = field(default_factory=dict)

    def position_of(self, path: Sequence[str | int]) -> Position | None:
        """(line, column) of ``path``, else of its nearest located ancestor, else None."""
        for end in range(len(path), -1, -1):
            position = self.positions.get(tuple(path[:end]))
            if position is not None:
                return position
        return None

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """Line of ``path``, else of its nearest located ancestor, else None."""
        position = self.position_of(path)
        return None if position is None else position[0]

    def problem(self, path: Sequence[str | int], message: str) -> Problem:
        """A :class:`Problem` at ``path`` in this file."""
        return Problem(self.filename, self.line_of(path), tuple(path), message)

    def error(self, path: Sequence[str | int], message: str) -> ScenarioError:
        """A :class:`ScenarioError` with one problem at ``path``, for checks beyond the schema."""
        return ScenarioError([self.problem(path, message)])


# --- loading --------------------------------------------------------------------------------


def load_yaml_file(path: str | os.PathLike[str]) -> LocatedDocument:
    """Read a UTF-8 YAML file whose top level is a mapping (see :func:`load_yaml_text`).

    Raises:
        ScenarioError: the file cannot be read or is not UTF-8, or as :func:`load_yaml_text`.
    """
    filename = os.fspath(path)
    try:
        with open(filename, "rb") as stream:
            raw = stream.read()
    except FileNotFoundError:
        raise _file_error(filename, "no such file") from None
    except IsADirectoryError:
        raise _file_error(filename, "is a directory, not a file") from None
    except OSError as exc:
        raise _file_error(filename, f"cannot read: {exc.strerror or exc}") from exc
    return load_yaml_text(_decode(raw, filename), filename)


def _decode(raw: bytes, filename: str) -> str:
    """UTF-8 text of ``raw`` (a leading byte-order mark is dropped).

    Raises:
        ScenarioError: naming the line and the first byte that is not UTF-8.
    """
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        message = f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"
        raise _file_error(filename, message, line) from exc


def load_yaml_text(text: str, filename: str = "<string>") -> LocatedDocument:
    """Parse YAML ``text`` (one document, a mapping at the top) with the safe loader.

    Scalars resolve as PyYAML's safe loader resolves them; anchors, aliases and ``<<`` merge
    keys work. ``filename`` only labels errors.

    Raises:
        ScenarioError: a YAML syntax error, a duplicate key, a key that is not a string, a tag
            the safe loader does not know, or a top level that is not a mapping.
    """
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise _file_error(filename, "empty file: expected a mapping of keys at the top level")
        builder = _Builder(loader, filename)
        data = builder.build(node, ())
    except yaml.YAMLError as exc:
        raise _file_error(filename, *_yaml_problem(exc)) from exc
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"{show_value(data)}"
        message = f"expected a mapping of keys at the top level, got {kind}"
        raise _file_error(filename, message, node.start_mark.line + 1)
    return LocatedDocument(data, filename, builder.positions)


def _yaml_problem(exc: yaml.YAMLError) -> tuple[str, int | None]:
    """The message and 1-based line of a PyYAML error."""
    if not isinstance(exc, yaml.MarkedYAMLError) or exc.problem_mark is None:
        return f"invalid YAML: {exc}", None
    mark, context_mark = exc.problem_mark, exc.context_mark
    problem, where = _short_tags(exc.problem or "error"), f"column {mark.column + 1}"
    hint = "; check the indentation" if "<block" in problem else ""
    if exc.context and context_mark is not None and context_mark.line != mark.line:
        context = f"{exc.context} on line {context_mark.line + 1}"
        if problem.startswith("but "):  # the composer's "expected a single document ..."
            problem, context = f"{context}, {problem}", ""
        where += f", {context}" if context else ""
    return f"invalid YAML: {problem} ({where}){hint}", mark.line + 1


def _short_tags(text: str) -> str:
    """``tag:yaml.org,2002:set`` written as YAML files write it: ``!!set``."""
    return text.replace("tag:yaml.org,2002:", "!!")


def _kind(node: yaml.Node) -> str:
    return "mapping" if isinstance(node, yaml.MappingNode) else "sequence"


def _position(node: yaml.Node) -> Position:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Builder:
    """Builds plain data from a composed YAML node tree, recording each path's position."""

    def __init__(self, loader: yaml.SafeLoader, filename: str) -> None:
        self._loader = loader
        self._filename = filename
        self._active: set[int] = set()
        self._checked: set[int] = set()
        self.positions: dict[FieldPath, Position] = {}

    def build(self, node: yaml.Node, path: FieldPath) -> Any:
        """The value of ``node``; its children's positions go into :attr:`positions`."""
        if not path:
            self.positions[()] = _position(node)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        if id(node) in self._active:
            raise self._error(node, path, "an alias refers to the collection that contains it")
        self._active.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
            if isinstance(node, yaml.SequenceNode):
                return self._sequence(node, path)
            raise self._error(node, path, f"unsupported YAML node {type(node).__name__}")
        finally:
            self._active.discard(id(node))

    def _error(self, node: yaml.Node, path: FieldPath, message: str) -> ScenarioError:
        return ScenarioError([Problem(self._filename, _position(node)[0], path, message)])

    def _scalar(self, node: yaml.ScalarNode, path: FieldPath) -> Any:
        try:
            return self._loader.construct_object(node)
        except (yaml.MarkedYAMLError, ValueError, TypeError) as exc:
            reason = exc.problem if isinstance(exc, yaml.MarkedYAMLError) else str(exc)
            message = f"cannot read {show_value(node.value)}: {_short_tags(str(reason))}"
            raise self._error(node, path, message) from exc

    def _check_tag(self, node: yaml.Node, path: FieldPath, expected: str) -> None:
        if node.tag != expected:
            raise self._error(node, path, f"unsupported YAML tag {_short_tags(node.tag)}")

    def _mapping(self, node: yaml.MappingNode, path: FieldPath) -> dict[str, Any]:
        self._check_tag(node, path, _MAP_TAG)
        if id(node) not in self._checked:
            self._reject_duplicates(node, path)
            self._checked.add(id(node))
        self._loader.flatten_mapping(node)
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node, path)
            self.positions[(*path, key)] = _position(key_node)
            result[key] = self.build(value_node, (*path, key))
        return result

    def _reject_duplicates(self, node: yaml.MappingNode, path: FieldPath) -> None:
        """Raise if a key is written twice (keys that ``<<`` merges in may be overridden)."""
        first_line: dict[str, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG:
                continue
            key = self._key(key_node, path)
            if key in first_line:
                message = f'duplicate key "{key}" (first written on line {first_line[key]})'
                raise self._error(key_node, (*path, key), message)
            first_line[key] = _position(key_node)[0]

    def _key(self, node: yaml.Node, path: FieldPath) -> str:
        if not isinstance(node, yaml.ScalarNode):
            raise self._error(node, path, f"keys must be plain strings, got a {_kind(node)}")
        key = self._scalar(node, path)
        if not isinstance(key, str):
            message = f"keys must be strings, got {node.value or '~'!s}"
            raise self._error(
                node, path, f"{message} (YAML reads it as {show_value(key)}: quote it)"
            )
        return key

    def _sequence(self, node: yaml.SequenceNode, path: FieldPath) -> list[Any]:
        self._check_tag(node, path, _SEQ_TAG)
        items: list[Any] = []
        for index, item in enumerate(node.value):
            self.positions[(*path, index)] = _position(item)
            items.append(self.build(item, (*path, index)))
        return items


# --- pydantic errors ------------------------------------------------------------------------


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
    to ``doc.filename``.
    """
    keys_at = allowed_keys or (model_keys(model) if model is not None else None)
    file = filename or doc.filename
    problems = {
        Problem(file, doc.line_of(path), path, _message(error, path, keys_at)): None
        for error, path in _closest_union_members(doc.data, exc.errors(include_url=False))
    }
    return ScenarioError(sorted(problems, key=lambda problem: problem.line or 0))


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


def _alternatives(annotation: Any) -> list[Any]:
    """``annotation`` without ``Annotated``, split into union members."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _alternatives(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return [member for arg in get_args(annotation) for member in _alternatives(arg)]
    return [annotation]


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _children(annotation: Any, element: str | int) -> list[Any]:
    """The annotations of ``annotation``'s field, item or value named by ``element``."""
    children: list[Any] = []
    for member in _alternatives(annotation):
        if _is_model(member) and isinstance(element, str):
            children.extend(
                info.annotation
                for name, info in member.model_fields.items()
                if (info.alias or name) == element
            )
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
