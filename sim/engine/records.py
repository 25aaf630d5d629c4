"""Columnar record buffers (design: Records, not scattered counters).

Every request, decision, block, abort, install, reinstall, removal, config change and state
change appends one row. Columns are typed ``array.array`` buffers while the run goes (cheap
appends, compact), exposed as NumPy arrays (:meth:`RecordLog.columns`) and as a pandas frame by
the outputs layer. Metrics are queries over these columns.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("time", "d", "simulated seconds from the scenario start"),
    ("machine", "i", "machine index (-1: not about one machine)"),
    ("group", "h", "fleet group index (-1: none)"),
    ("extension", "h", "extension index in the run's extension table (-1: none)"),
    ("operation", "b", "sim.engine.codes.Op"),
    ("outcome", "b", "sim.engine.codes.Outcome"),
    ("reason", "h", "index into sim.engine.codes.REASONS"),
    ("rule", "b", "index into sim.engine.codes.RULES"),
    ("actor", "h", "index into the run's actor table"),
    ("bytes", "q", "bytes downloaded"),
    ("path", "h", "download path index (-1: none)"),
    ("value", "d", "absent seconds for reinstalls (R6); 0 otherwise"),
    ("wait", "f", "seconds queued for a shared download path (R2)"),
)
NAMES = tuple(name for name, _, _ in COLUMNS)


class Records:
    """A run's records as NumPy columns (one array per column, equal lengths).

    Either given its columns, or a snapshot of a :class:`RecordLog`'s first ``length`` rows
    that copies them into NumPy only when first read: ``World.run(until)`` returns one at
    every step, and a caller that ignores it pays nothing.
    """

    __slots__ = ("_columns", "_length", "_source")

    def __init__(self, columns: dict[str, npt.NDArray[np.generic]] | None = None, *,
                 source: dict[str, array[Any]] | None = None, length: int = 0) -> None:
        self._columns = columns
        self._source = source
        self._length = length if columns is None else int(columns["time"].shape[0])

    @property
    def columns(self) -> dict[str, npt.NDArray[np.generic]]:
        """The columns by name (copied from the log on first access)."""
        if self._columns is None:
            assert self._source is not None
            n = self._length
            self._columns = {name: np.frombuffer(col, dtype=col.typecode, count=n).copy()
                             for name, col in self._source.items()}
            self._source = None
        return self._columns

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, name: str) -> npt.NDArray[np.generic]:
        return self.columns[name]


class RecordLog:
    """Append-only columnar buffer; :meth:`add` is the engine's one way to record."""

    __slots__ = ("_appenders", "_cols")

    def __init__(self) -> None:
        self._cols: dict[str, array[Any]] = {name: array(code) for name, code, _ in COLUMNS}
        self._appenders: tuple[Callable[[Any], None], ...] = tuple(
            self._cols[name].append for name in NAMES
        )

    def __len__(self) -> int:
        return len(self._cols["time"])

    def add(self, time: float, machine: int, group: int, extension: int, operation: int,
            outcome: int, reason: int = 0, rule: int = 0, actor: int = 0, nbytes: int = 0,
            path: int = -1, value: float = 0.0, wait: float = 0.0) -> None:
        """Append one record (codes as in :data:`COLUMNS`)."""
        a = self._appenders
        a[0](time)
        a[1](machine)
        a[2](group)
        a[3](extension)
        a[4](operation)
        a[5](outcome)
        a[6](reason)
        a[7](rule)
        a[8](actor)
        a[9](nbytes)
        a[10](path)
        a[11](value)
        a[12](wait)

    def freeze(self) -> Records:
        """The records so far (NumPy copies, made when first read)."""
        return Records(source=self._cols, length=len(self))
