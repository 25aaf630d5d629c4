"""A run's records as a readable pandas frame (one row per record; design: Outputs).

The engine stores small integer codes (:data:`sim.engine.records.COLUMNS`); here they become
categorical columns with names: ``operation`` (``install``, ``reinstall``...), ``outcome``
(``blocked``, ``succeeded``...), ``reason`` (``not_on_allowlist``...), ``rule`` (``R13``...),
``actor``, ``extension``, ``group``, ``path``. Categories are the run's whole tables, in table
order, so two runs of one scenario give identical frames whatever happened; "none" (code -1,
or the empty reason and rule) is a missing value. ``machine`` stays an integer (-1: not about
one machine). With a scenario ``start``, a ``timestamp`` column (UTC, milliseconds) follows
``time``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.engine.codes import REASONS, RULES, Op, Outcome
from sim.engine.records import COLUMNS

OPERATIONS: tuple[str, ...] = tuple(op.name.lower() for op in Op)
OUTCOMES: tuple[str, ...] = tuple(outcome.name.lower() for outcome in Outcome)


@dataclass(frozen=True, slots=True)
class RunTables:
    """The run's own name tables (record codes index them)."""

    groups: Sequence[str]
    extensions: Sequence[str]
    actors: Sequence[str]
    paths: Sequence[str]


def _categorical(codes: npt.NDArray[Any], names: Sequence[str], shift: int = 0) -> Any:
    """Codes into ``names``; -1 (or, with ``shift`` 1, code 0 = "") is missing."""
    values = codes.astype(np.int32)  # room for the shift; a quarter of int64's memory
    if shift:
        values -= shift
    np.maximum(values, -1, out=values)
    return pd.Categorical.from_codes(values, categories=pd.Index(list(names), dtype=str))


def records_frame(columns: Mapping[str, npt.NDArray[Any]], tables: RunTables,
                  start: datetime | None = None) -> pd.DataFrame:
    """The records as a frame with readable columns (see the module docstring). Numeric
    columns share memory with ``columns`` (which the engine never changes)."""
    decoded: dict[str, Any] = {}
    for name, _, _ in COLUMNS:
        decoded[name] = _column(name, columns[name], tables)
        if name == "time" and start is not None:
            decoded["timestamp"] = timestamps(columns["time"], start)
    return pd.DataFrame(decoded, copy=False)


_CHUNK = 1 << 18
"""Rows converted to timestamps at a time: pandas' conversion needs ~70 bytes a row."""


def category_names(column: pd.Series) -> list[str]:
    """A records column's distinct values as strings, in code order: a categorical column's
    categories (other columns are made categorical first)."""
    return [str(c) for c in _as_categorical(column).cat.categories]


def category_codes(column: pd.Series) -> npt.NDArray[np.int64]:
    """Each row's index into :func:`category_names`, -1 where missing: a table of one entry
    per name plus a last one for missing values is indexed by these codes directly."""
    return np.asarray(_as_categorical(column).cat.codes.to_numpy(), dtype=np.int64)


_CODE_TABLES: dict[str, tuple[tuple[str, ...], int]] = {
    "operation": (OPERATIONS, -1), "outcome": (OUTCOMES, -1), "reason": (REASONS, 0),
    "rule": (RULES, 0),
}
"""Each named column's engine code table, and the code of a missing value."""


_CARRIED = {"lockdown": -1, "lockdown_before": -1, "exposed": 0}
"""Columns a result folder written before records carried them lacks, and their "none"."""


def code_columns(records: pd.DataFrame) -> dict[str, npt.NDArray[Any]]:
    """The engine codes (:mod:`sim.engine.codes`) of a records frame's ``operation``,
    ``outcome``, ``reason`` and ``rule`` columns, and its ``time``, ``machine``, ``lockdown``,
    ``lockdown_before`` and ``exposed`` columns as they are: what the record masks of
    :mod:`sim.engine.metrics` read. Works on categorical and on plain string columns (a
    frame read from CSV); a name the tables do not hold gets code -1. A frame from an older
    arcsim without the lockdown and exposure columns gets them filled with "none"."""
    codes: dict[str, npt.NDArray[Any]] = {}
    for name, (table, missing) in _CODE_TABLES.items():
        column = _as_categorical(records[name])
        index = {value: i for i, value in enumerate(table)}
        mapped = [index.get(str(value), -1) for value in column.cat.categories]
        # a category's code indexes the table; a missing value (code -1) takes the last entry
        codes[name] = np.array([*mapped, missing], dtype=np.int16)[column.cat.codes.to_numpy()]
    codes["time"] = records["time"].to_numpy(np.float64)
    codes["machine"] = records["machine"].to_numpy()
    for name, none in _CARRIED.items():
        codes[name] = (records[name].to_numpy() if name in records
                       else np.full(len(records), none, dtype=np.int8))
    return codes


def _as_categorical(column: pd.Series) -> pd.Series:
    return column if isinstance(column.dtype, pd.CategoricalDtype) else \
        column.astype("category")


def timestamps(seconds: npt.NDArray[Any], start: datetime) -> pd.Series:
    """UTC timestamps (millisecond resolution) ``seconds`` after ``start``."""
    origin = pd.Timestamp(start if start.tzinfo else start.replace(tzinfo=UTC)).tz_convert("UTC")
    values = np.asarray(seconds)
    millis = np.empty(values.shape[0], dtype=np.int64)
    for first in range(0, values.shape[0], _CHUNK):
        part = values[first:first + _CHUNK]
        moments = (origin + pd.to_timedelta(part, unit="s")).astype("datetime64[ms, UTC]")
        millis[first:first + part.shape[0]] = pd.DatetimeIndex(moments).asi8
    return pd.Series(millis.view("datetime64[ms]")).dt.tz_localize("UTC")


def _column(name: str, codes: npt.NDArray[Any], tables: RunTables) -> Any:
    named: dict[str, tuple[Sequence[str], int]] = {
        "operation": (OPERATIONS, 0), "outcome": (OUTCOMES, 0),
        "reason": (REASONS[1:], 1), "rule": (RULES[1:], 1),
        "group": (tables.groups, 0), "extension": (tables.extensions, 0),
        "actor": (tables.actors, 0), "path": (tables.paths, 0),
    }
    if name in named:
        names, shift = named[name]
        return _categorical(codes, names, shift)
    if name == "machine":
        return codes.astype(np.int32, copy=False)
    return codes
