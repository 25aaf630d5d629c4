"""Columnar record buffers (design: Records, not scattered counters).

Every request, decision, block, abort, install, reinstall, removal, config change and state
change appends one row. While the run goes, a row is packed into one growing byte buffer (one
``struct.pack`` per record: about half the cost of appending to a buffer per column (measured
with thirteen columns), and as compact: 48 bytes a row); :meth:`RecordLog.freeze` gives the
columns as NumPy arrays, which the outputs layer turns into a pandas frame. Metrics are
queries over these columns (:mod:`sim.engine.metrics`).
"""

from __future__ import annotations

from struct import Struct

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
    ("lockdown", "b", "lockdown code of the machine's configuration after the record "
                      "(sim.rules.lockdown; -1: not carried)"),
    ("lockdown_before", "b", "lockdown code before a configuration change (-1: not carried)"),
    ("exposed", "b", "+1 when the record leaves the machine with a script-capable extension "
                     "installed and runnable and it had none, -1 the reverse, else 0"),
)
NAMES = tuple(name for name, _, _ in COLUMNS)
ROW = Struct("=" + "".join(code for _, code, _ in COLUMNS))
"""One record as packed bytes: native byte order, standard sizes, no padding."""
ROW_DTYPE = np.dtype([(name, code) for name, code, _ in COLUMNS])
"""The same layout as a NumPy structured type (unaligned, like :data:`ROW`)."""
assert ROW_DTYPE.itemsize == ROW.size


class Records:
    """A run's records as NumPy columns (one array per column, equal lengths).

    Either given its columns, or a snapshot of a :class:`RecordLog`'s first ``length`` rows
    that unpacks them into columns only when first read: ``World.run(until)`` returns one at
    every step, and a caller that ignores it pays nothing.
    """

    __slots__ = ("_columns", "_length", "_source")

    def __init__(self, columns: dict[str, npt.NDArray[np.generic]] | None = None, *,
                 source: RecordLog | None = None, length: int = 0) -> None:
        self._columns = columns
        self._source = source
        self._length = length if columns is None else int(columns["time"].shape[0])

    @property
    def columns(self) -> dict[str, npt.NDArray[np.generic]]:
        """The columns by name (unpacked from the log on first access)."""
        if self._columns is None:
            assert self._source is not None
            self._columns = self._source.columns(self._length)
            self._source = None
        return self._columns

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, name: str) -> npt.NDArray[np.generic]:
        return self.columns[name]


class RecordLog:
    """Append-only record buffer; :meth:`add` is the engine's one way to record.

    Rows are packed into a byte buffer. When the records are read as columns (at the end of a
    run, typically) the buffer is unpacked and dropped: the columns hold the first rows from
    then on, and later rows go to a fresh buffer, so the records are not held twice.
    """

    __slots__ = ("_base", "_done", "_frozen", "_rows")

    def __init__(self) -> None:
        self._rows = bytearray()
        self._done: dict[str, npt.NDArray[np.generic]] | None = None
        """The first :attr:`_base` rows, unpacked."""
        self._base = 0
        self._frozen: Records | None = None

    def __len__(self) -> int:
        return self._base + len(self._rows) // ROW.size

    def add(self, time: float, machine: int, group: int, extension: int, operation: int,
            outcome: int, reason: int = 0, rule: int = 0, actor: int = 0, nbytes: int = 0,
            path: int = -1, value: float = 0.0, wait: float = 0.0, lockdown: int = -1,
            lockdown_before: int = -1, exposed: int = 0) -> None:
        """Append one record (codes as in :data:`COLUMNS`)."""
        self._rows += _pack(time, machine, group, extension, operation, outcome, reason, rule,
                            actor, nbytes, path, value, wait, lockdown, lockdown_before, exposed)

    def freeze(self) -> Records:
        """The records so far (NumPy copies, made when first read; the same object until
        another record is added)."""
        n = len(self)
        if self._frozen is None or len(self._frozen) != n:
            self._frozen = Records(source=self, length=n)
        return self._frozen

    def columns(self, n: int) -> dict[str, npt.NDArray[np.generic]]:
        """The first ``n`` records as NumPy columns (never changed afterwards)."""
        base, done = self._base, self._done
        if done is not None and n <= base:
            return done if n == base else {name: col[:n] for name, col in done.items()}
        fresh = _unpack(self._rows, n - base)
        if done is not None:
            fresh = {name: np.concatenate((done[name], col)) for name, col in fresh.items()}
        if n == len(self):  # everything: keep the columns, drop the packed rows
            self._done, self._base, self._rows = fresh, n, bytearray()
        return fresh


_pack = ROW.pack
_CHUNK = 16_384
"""Rows unpacked at a time: 720 KiB, so every column's pass over them hits the CPU cache."""


def _unpack(rows: bytearray, n: int) -> dict[str, npt.NDArray[np.generic]]:
    """The first ``n`` packed rows as one NumPy array per column."""
    columns = {name: np.empty(n, dtype=ROW_DTYPE[name]) for name in NAMES}
    for start in range(0, n, _CHUNK):
        count = min(_CHUNK, n - start)
        chunk = np.frombuffer(rows, dtype=ROW_DTYPE, count=count, offset=start * ROW.size)
        for name, column in columns.items():
            column[start:start + count] = chunk[name]
        del chunk  # releases the buffer: the log can grow again
    return columns
