"""Load YAML while remembering where each value was written.

:func:`load_yaml_file` and :func:`load_yaml_text` read a YAML mapping with PyYAML's safe loader
(libyaml's parser where PyYAML has it; PyYAML's own for the message of a text that is not
YAML) into plain dicts and lists, and keep a side table from each field path to the line and
column where it was written (a :class:`~sim.scenario.source.problems.LocatedDocument`);
:func:`load_yaml_value` reads any one value (a ``--set`` value) the same way. Whatever the
input, the result is plain data a later step can walk and print, or a located
:class:`~sim.scenario.source.problems.ScenarioError`: a character YAML refuses, a syntax error,
a key that is not a string, a text with a lone surrogate, or a document past
:class:`~sim.scenario.limits.ReadLimits` (size, nesting, alias expansion, digits).
"""

from __future__ import annotations

import os
import re
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from sim.files import FileError, read_bytes
from sim.scenario.limits import LIMITS, ReadLimits, too_many_digits
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
_SURROGATE = re.compile("[\ud800-\udfff]")

try:
    from yaml._yaml import CParser as _CParser

    _LIBYAML = True
except ImportError:  # PyYAML built without libyaml
    _LIBYAML = False


class YAMLSyntaxError(ScenarioError):
    """Text that is not YAML (as opposed to YAML that arcsim will not take)."""


def load_yaml_file(path: str | os.PathLike[str], limits: ReadLimits = LIMITS
                   ) -> LocatedDocument:
    """Read a UTF-8 YAML file whose top level is a mapping (see :func:`load_yaml_text`).

    Raises:
        ScenarioError: the file cannot be read, is larger than ``limits.max_bytes`` or is not
            UTF-8, or as :func:`load_yaml_text`.
    """
    filename = os.fspath(path)
    try:
        raw = read_bytes(filename, limit=limits.max_bytes)
    except FileError as exc:
        raise file_error(filename, _file_reason(exc)) from None
    return load_yaml_text(_decode(raw, filename), filename, limits)


def _file_reason(exc: FileError) -> str:
    if exc.kind == "too_large":
        return f"{exc.reason}: not read (a scenario or fleet file is far smaller)"
    if exc.kind == "missing":
        return "no such file"
    return exc.reason if exc.kind == "directory" else f"cannot read: {exc.reason}"


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


def load_yaml_text(text: str, filename: str = "<string>", limits: ReadLimits = LIMITS
                   ) -> LocatedDocument:
    """Parse YAML ``text`` (one document, a mapping at the top) with the safe loader.

    Scalars resolve as PyYAML's safe loader resolves them; anchors, aliases and ``<<`` merge
    keys work. ``filename`` only labels errors.

    Raises:
        ScenarioError: a YAML syntax error, a duplicate key, a key that is not a string, a tag
            the safe loader does not know, a character YAML does not allow, a text holding a
            lone surrogate, a document past ``limits``, or a top level that is not a mapping.
    """
    data, node, positions = _load(text, filename, limits)
    if node is None:
        raise file_error(filename, "empty file: expected a mapping of keys at the top level")
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"{show_value(data)}"
        message = f"expected a mapping of keys at the top level, got {kind}"
        raise file_error(filename, message, node.start_mark.line + 1)
    return LocatedDocument(data, filename, positions)


def load_yaml_value(text: str, where: str, limits: ReadLimits = LIMITS) -> Any:
    """The one YAML value in ``text`` (any kind; None for an empty text), read as
    :func:`load_yaml_text` reads a document; ``where`` labels errors (``--set KEY=VALUE``).

    Raises:
        ScenarioError: as :func:`load_yaml_text`, except for the top-level mapping.
    """
    return _load(text, where, limits)[0]


def _load(text: str, filename: str, limits: ReadLimits
          ) -> tuple[Any, yaml.Node | None, dict[FieldPath, Position]]:
    """The value of ``text``, its node (None when it holds none), and the position of each
    path in it."""
    if len(text) > limits.max_bytes:
        raise file_error(filename, f"longer than {limits.max_bytes:,} characters: not read")
    try:
        node, loader = _compose(text, filename, limits)
    except yaml.reader.ReaderError as exc:
        raise file_error(filename, *_refused_character(text, exc)) from None
    except yaml.YAMLError as exc:
        raise YAMLSyntaxError(file_error(filename, *_yaml_problem(exc)).problems) from None
    try:
        if node is None:
            return None, None, {}
        builder = _Builder(loader, filename, limits)
        return builder.build(node, ()), node, builder.positions
    except yaml.YAMLError as exc:
        raise YAMLSyntaxError(file_error(filename, *_yaml_problem(exc)).problems) from None
    finally:
        loader.dispose()


def _refused_character(text: str, exc: yaml.reader.ReaderError) -> tuple[str, int]:
    """The message and 1-based line of a character the YAML reader refuses."""
    position = exc.position
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    code = ord(text[position]) if position < len(text) else exc.character
    kind = ("a lone surrogate" if 0xD800 <= code <= 0xDFFF
            else "a NUL character" if code == 0
            else "a control character" if code < 0x20 or 0x7F <= code < 0xA0
            else "a character")
    return f"{kind} (U+{code:04X}) that YAML does not allow (column {column})", line


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


class _DepthLimited(Composer):
    """PyYAML's composer, refusing collections nested deeper than ``limits.max_depth`` (it
    composes them recursively: a deep document would exhaust Python's stack)."""

    _filename: str
    _limits: ReadLimits
    _depth: int

    def _limit(self, filename: str, limits: ReadLimits) -> None:
        self._filename, self._limits, self._depth = filename, limits, 0

    def compose_sequence_node(self, anchor: Any) -> yaml.SequenceNode:
        self._enter()
        try:
            return super().compose_sequence_node(anchor)
        finally:
            self._depth -= 1

    def compose_mapping_node(self, anchor: Any) -> yaml.MappingNode:
        self._enter()
        try:
            return super().compose_mapping_node(anchor)
        finally:
            self._depth -= 1

    def _enter(self) -> None:
        self._depth += 1
        if self._depth > self._limits.max_depth:
            line = self.peek_event().start_mark.line + 1  # type: ignore[attr-defined]
            raise file_error(self._filename, _too_deep(self._limits), line)


class _Loader(_DepthLimited, yaml.SafeLoader):
    """PyYAML's safe loader, all in Python: its messages are the ones errors show."""

    def __init__(self, text: str, filename: str, limits: ReadLimits) -> None:
        yaml.SafeLoader.__init__(self, text)
        self._limit(filename, limits)


if _LIBYAML:
    class _FastLoader(_DepthLimited, _CParser, SafeConstructor, Resolver):
        """libyaml's scanner and parser (five times as fast) with the same composer and
        constructor: the same nodes for a document both read."""

        def __init__(self, text: str, filename: str, limits: ReadLimits) -> None:
            _CParser.__init__(self, text)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            Composer.__init__(self)
            self._limit(filename, limits)


def _compose(text: str, filename: str, limits: ReadLimits) -> tuple[yaml.Node | None, Any]:
    """The node tree of ``text`` and the loader that made it: libyaml's parser where PyYAML
    has it; on any error (or without it), PyYAML's own, whose located messages arcsim shows.

    Raises:
        yaml.reader.ReaderError: a character YAML does not allow.
        yaml.YAMLError: not YAML.
        ScenarioError: nested past ``limits``.
    """
    if _LIBYAML and _SURROGATE.search(text) is None:  # (libyaml reads UTF-8)
        fast = _FastLoader(text, filename, limits)
        try:
            return fast.get_single_node(), fast
        except yaml.YAMLError:
            fast.dispose()
    loader = _Loader(text, filename, limits)
    return loader.get_single_node(), loader


def _too_deep(limits: ReadLimits) -> str:
    return f"nested more than {limits.max_depth} levels deep"


class _Builder:
    """Builds plain data from a composed YAML node tree, recording each path's position."""

    def __init__(self, loader: yaml.SafeLoader, filename: str, limits: ReadLimits) -> None:
        self._loader = loader
        self._filename = filename
        self._limits = limits
        self._built: set[int] = set()
        """The collection nodes built so far (an alias builds one again)."""
        self._repeating = 0
        """Collections being built again (an alias is being expanded) around the current one."""
        self._repeated = 0
        """Values built again by aliases."""
        self._active: set[int] = set()
        self._checked: set[int] = set()
        self.positions: dict[FieldPath, Position] = {}

    def build(self, node: yaml.Node, path: FieldPath) -> Any:
        """The value of ``node``; its children's positions go into :attr:`positions`."""
        if not path:
            self.positions[()] = _position(node)
        if self._repeating:
            self._repeated += 1
            if self._repeated > self._limits.max_alias_values:
                raise self._error(node, path, "aliases repeat more than "
                                  f"{self._limits.max_alias_values:,} values: not read")
        if len(path) > self._limits.max_depth:
            raise self._error(node, path, _too_deep(self._limits) + " (with its aliases)")
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        if id(node) in self._active:
            raise self._error(node, path, "an alias refers to the collection that contains it")
        self._active.add(id(node))
        repeats = id(node) in self._built
        self._built.add(id(node))
        self._repeating += repeats
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
            if isinstance(node, yaml.SequenceNode):
                return self._sequence(node, path)
            raise self._error(node, path, f"unsupported YAML node {type(node).__name__}")
        finally:
            self._active.discard(id(node))
            self._repeating -= repeats

    def _error(self, node: yaml.Node, path: FieldPath, message: str) -> ScenarioError:
        return ScenarioError([Problem(self._filename, _position(node)[0], path, message)])

    def _scalar(self, node: yaml.ScalarNode, path: FieldPath) -> Any:
        digits = self._limits.max_digits
        if _SURROGATE.search(node.value):
            raise self._error(node, path, "a text with a lone surrogate (an escape like "
                              "\\ud800 that is half of a character): write the character")
        try:
            value = self._loader.construct_object(node)
        except (yaml.MarkedYAMLError, ValueError, TypeError, OverflowError) as exc:
            if "digits" in str(exc):
                raise self._error(node, path, f"a number of more than {digits} digits") from None
            reason = exc.problem if isinstance(exc, yaml.MarkedYAMLError) else str(exc)
            message = f"cannot read {show_value(node.value)}: {_short_tags(str(reason))}"
            raise self._error(node, path, message) from None
        if isinstance(value, int) and too_many_digits(value, self._limits):
            raise self._error(node, path, f"a number of more than {digits} digits")
        return value

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
