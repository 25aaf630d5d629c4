"""Where a value was written, and the located problems every input error becomes.

A :data:`FieldPath` (``("fleet", 2, "agent_version")``: string keys, integer indices) names a
value in a document; :func:`format_path` writes it as errors print it (``fleet[2].agent_version``).
A :class:`Problem` is one located thing wrong, a :class:`ScenarioError` carries them all, one line
each; a :class:`LocatedDocument` is plain data with the position of each path.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sim.errors import ArcsimError
from sim.scenario.limits import LIMITS
from sim.scenario.units import show_value

FieldPath = tuple[str | int, ...]
"""Where a value sits in a document: mapping keys (str) and sequence indices (int)."""

Position = tuple[int, int]
"""A 1-based (line, column)."""

_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


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
    """A scenario file (or other input file) that cannot be used; one line per problem.

    At most :attr:`~sim.scenario.limits.ReadLimits.max_problems` problems are kept; the others
    are counted in :attr:`omitted` and in a last line (``... and 12 more problems``).
    """

    def __init__(self, problems: Sequence[Problem], omitted: int = 0) -> None:
        kept = LIMITS.max_problems
        self.problems: tuple[Problem, ...] = tuple(problems[:kept])
        self.omitted = omitted + max(0, len(problems) - kept)
        super().__init__(str(self))

    def __str__(self) -> str:
        lines = [str(problem) for problem in self.problems]
        if self.omitted:
            lines.append(f"... and {self.omitted:,} more problems")
        return "\n".join(lines)

    def __reduce__(self) -> tuple[type[ScenarioError], tuple[tuple[Problem, ...], int]]:
        return (type(self), (self.problems, self.omitted))


def file_error(file: str, message: str, line: int | None = None) -> ScenarioError:
    """A :class:`ScenarioError` about a whole file (or one line of it)."""
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
