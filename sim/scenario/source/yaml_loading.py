"""Load YAML while remembering where each value was written.

:func:`load_yaml_file` and :func:`load_yaml_text` read a YAML mapping with PyYAML's safe loader
into plain dicts and lists, and keep a side table from each field path to the line and column
where it was written (a :class:`~sim.scenario.source.problems.LocatedDocument`). Errors of the
YAML parser become a located :class:`~sim.scenario.source.problems.ScenarioError`.
"""

from __future__ import annotations

import os
from typing import Any

import yaml

from sim.scenario.source.problems import (
    FieldPath,
    LocatedDocument,
    Position,
    Problem,
    ScenarioError,
    file_error,
)
from sim.scenario.units import show_value

_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"


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
        raise file_error(filename, "no such file") from None
    except IsADirectoryError:
        raise file_error(filename, "is a directory, not a file") from None
    except OSError as exc:
        raise file_error(filename, f"cannot read: {exc.strerror or exc}") from exc
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
        raise file_error(filename, message, line) from exc


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
            raise file_error(filename, "empty file: expected a mapping of keys at the top level")
        builder = _Builder(loader, filename)
        data = builder.build(node, ())
    except yaml.YAMLError as exc:
        raise file_error(filename, *_yaml_problem(exc)) from exc
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"{show_value(data)}"
        message = f"expected a mapping of keys at the top level, got {kind}"
        raise file_error(filename, message, node.start_mark.line + 1)
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
