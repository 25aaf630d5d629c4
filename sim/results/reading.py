"""Reading a result folder back, checking what each file holds (``sim.load``).

A folder a run wrote reads back whole. A folder that is damaged or hand-edited (a file missing
or truncated, a directory where a file belongs, a manifest field missing or of the wrong type,
metrics that are not numbers, a record category arcsim does not know, a timestamp out of range)
is a :class:`~sim.results.folder.ResultError` that says what is wrong::

    results/x: not a complete arcsim result: manifest.json: seed: expected an integer, got "a"

JSON files are checked when the folder is loaded; the Parquet frames when first read.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from pydantic import ValidationError

from sim.engine.codes import REASONS, RULES
from sim.engine.records import NAMES
from sim.files import FileError, os_reason, read_bytes
from sim.results.folder import EXPECT, MANIFEST, METRICS, RECORDS, TIMESERIES, ResultError
from sim.results.records import OPERATIONS, OUTCOMES
from sim.scenario.expect import METRICS as METRIC_SHAPE
from sim.scenario.expect import NUMBER, ExpectationResult, Listing, Shape, Table
from sim.scenario.limits import LIMITS, load_json
from sim.scenario.schema import Scenario
from sim.scenario.units import show_value
from sim.scenario.values import TIMESTAMP_RANGE

FILES = (MANIFEST, METRICS, EXPECT, RECORDS, TIMESERIES)
"""The files every result folder has."""
_KNOWN = {"operation": frozenset(OPERATIONS), "outcome": frozenset(OUTCOMES),
          "reason": frozenset(REASONS[1:]), "rule": frozenset(RULES[1:])}
"""Record columns whose values come from arcsim's own tables."""
_NAMED = ("group", "extension", "actor", "path")
"""Record columns whose values are the run's names (any text)."""
_NUMERIC = {"time": "f", "machine": "i", "bytes": "i", "value": "f", "wait": "f"}
"""Record columns of numbers: ``f`` floating point, ``i`` integer."""


def incomplete(folder: Path, what: str) -> ResultError:
    """The error of a folder that is not a complete result, saying ``what`` is wrong."""
    return ResultError(f"{folder}: not a complete arcsim result: {what}")


def check_folder(folder: Path) -> None:
    """Raise :class:`ResultError` unless ``folder`` has a manifest and every file of
    :data:`FILES` as a file."""
    try:
        if not (folder / MANIFEST).is_file():
            what = "no such folder" if not folder.exists() else f"no {MANIFEST} in it"
            raise ResultError(f"{folder}: not a result folder ({what})")
        for name in FILES:
            if not (folder / name).is_file():
                kind = "a directory" if (folder / name).is_dir() else "missing"
                raise incomplete(folder, f"{name} is {kind}, not a file")
    except (OSError, ValueError) as exc:
        raise ResultError(f"{folder}: cannot read: {os_reason(exc)}") from None


def read_json(folder: Path, name: str) -> Any:
    """The JSON value in ``folder/name`` (within the readers' limits)."""
    try:
        raw = read_bytes(folder / name, limit=LIMITS.max_bytes * 4)
        return load_json(raw.decode("utf-8"))
    except FileError as exc:
        raise incomplete(folder, f"{name}: cannot read: {exc.reason}") from None
    except UnicodeDecodeError:
        raise incomplete(folder, f"{name}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise incomplete(folder, f"{name}: not JSON ({exc.msg}, line {exc.lineno})") from None
    except ValueError as exc:
        raise incomplete(folder, f"{name}: {exc}") from None


# --- manifest, metrics, expectations -------------------------------------------------------


def check_manifest(folder: Path, manifest: Any) -> dict[str, Any]:
    """``manifest`` (the parsed ``manifest.json``), checked: an object with a valid
    ``scenario``, an integer ``seed`` >= 0, a text ``hash``, and ``counts`` of integers."""
    where = MANIFEST
    if not isinstance(manifest, dict):
        raise incomplete(folder, f"{where}: expected an object, got {show_value(manifest)}")
    _require(folder, manifest, "seed", _is_count, "an integer >= 0")
    _require(folder, manifest, "hash", lambda v: isinstance(v, str) and v.isalnum(),
             "a text of letters and digits")
    counts = manifest.get("counts", {})
    if not (isinstance(counts, dict) and all(v is None or _is_count(v) for v in counts.values())):
        raise incomplete(folder, f"{where}: counts: expected an object of integers >= 0, got "
                                 f"{show_value(counts)}")
    if "scenario" not in manifest:
        raise incomplete(folder, f"{where}: scenario: missing")
    try:
        Scenario.model_validate(manifest["scenario"])
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        path = ".".join(str(p) for p in first["loc"])
        raise incomplete(folder, f"{where}: scenario{'.' if path else ''}{path}: "
                                 f"{first['msg']} (written by another arcsim version?)") from None
    return manifest


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _require(folder: Path, data: Mapping[str, Any], key: str, test: Callable[[Any], bool],
             expected: str) -> None:
    if key not in data:
        raise incomplete(folder, f"{MANIFEST}: {key}: missing")
    if not test(data[key]):
        raise incomplete(folder, f"{MANIFEST}: {key}: expected {expected}, got "
                                 f"{show_value(data[key])}")


def check_metrics(folder: Path, metrics: Any) -> dict[str, Any]:
    """``metrics`` (the parsed ``metrics.json``), checked: an object with the shape of
    :data:`~sim.scenario.expect.METRICS` (numbers, tables of counts, lists of names, fixed
    objects), whose other values are finite numbers or objects of them."""
    stack: list[tuple[str, Any, Shape | Any]] = [("", metrics, METRIC_SHAPE)]
    while stack:
        path, value, shape = stack.pop()
        problem = _shape_problem(value, shape, bool(path))
        if problem:
            where = f"{METRICS}: {path}" if path else METRICS
            raise incomplete(folder, f"{where}: expected {problem}, got {show_value(value)}")
        if isinstance(value, dict) and not isinstance(shape, Table | Listing):  # those checked
            fixed = shape if isinstance(shape, Mapping) else {}
            stack.extend((f"{path}.{key}" if path else str(key), v, fixed.get(key, _ANY))
                         for key, v in value.items())
            stack.extend((f"{path}.{key}" if path else key, _MISSING, s)
                         for key, s in fixed.items() if key not in value)
    assert isinstance(metrics, dict)
    return metrics


_ANY = object()
"""The shape of a metric arcsim does not know: a number or an object of such."""
_MISSING = object()


def _shape_problem(value: Any, shape: Shape | Any, nested: bool) -> str | None:
    """What ``value`` should be instead, if it does not have ``shape``."""
    if value is _MISSING:
        return "a value (it is missing)"
    if shape is NUMBER:
        return None if _is_number(value) else "a number"
    if isinstance(shape, Table):
        good = isinstance(value, dict) and all(_is_number(v) for v in value.values())
        return None if good else f"a table of counts by {shape.kind}"
    if isinstance(shape, Listing):
        good = isinstance(value, dict) and all(
            isinstance(v, list) and all(isinstance(n, str) for n in v) for v in value.values())
        return None if good else f"lists of names by {shape.kind}"
    if shape is _ANY:
        return None if _is_number(value) or isinstance(value, dict) else \
            "a number or an object of numbers"
    return None if isinstance(value, dict) else "an object"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def check_expectations(folder: Path, entries: Any) -> list[ExpectationResult]:
    """``entries`` (the parsed ``expect.json``) as expectation results, checked."""
    if not isinstance(entries, list):
        raise incomplete(folder, f"{EXPECT}: expected a list, got {show_value(entries)}")
    found = []
    for i, entry in enumerate(entries):
        if not (isinstance(entry, dict) and isinstance(entry.get("path"), str)
                and isinstance(entry.get("expected"), str | int | float)
                and "actual" in entry
                and (entry["actual"] is None or _is_number(entry["actual"]))
                and isinstance(entry.get("ok"), bool)):
            raise incomplete(folder, f"{EXPECT}: [{i}]: expected an object with path, expected, "
                                     f"actual and ok, got {show_value(entry)}")
        actual = entry["actual"]
        found.append(ExpectationResult(entry["path"], str(entry["expected"]),
                                       None if actual is None else float(actual), entry["ok"]))
    return found


# --- the frames ----------------------------------------------------------------------------


def read_frame(path: Path) -> pd.DataFrame:
    """The frame in ``path`` (``records.parquet`` or ``timeseries.parquet``), checked.

    Converted column by column, freeing Arrow's buffers as it goes (less memory while a big
    run's records load).
    """
    try:
        frame: pd.DataFrame = pq.read_table(path).to_pandas(split_blocks=True,
                                                            self_destruct=True)
    except Exception as exc:  # pyarrow's many kinds: ArrowInvalid, ArrowIndexError, OSError...
        raise ResultError(f"{path}: cannot read ({type(exc).__name__}: {exc})") from None
    problem = (_records_problem if path.name == RECORDS else _timeseries_problem)(frame)
    if problem:
        raise incomplete(path.parent, f"{path.name}: {problem}")
    return frame


def _records_problem(frame: pd.DataFrame) -> str | None:
    for name in NAMES:
        if name not in frame.columns:
            return f"no column {name}"
    for name, kind in _NUMERIC.items():
        problem = _numbers_problem(frame[name], name, kind)
        if problem:
            return problem
    for name in (*_KNOWN, *_NAMED):
        problem = _category_problem(frame[name], name)
        if problem:
            return problem
    return _timestamp_problem(frame)


def _timeseries_problem(frame: pd.DataFrame) -> str | None:
    if "time" not in frame.columns:
        return "no column time"
    for name in frame.columns:
        if name != "timestamp":  # counts, and measures such as machine-hours
            problem = _numbers_problem(frame[name], name, "f")
            if problem:
                return problem
    return _timestamp_problem(frame)


def _numbers_problem(column: pd.Series, name: str, kind: str) -> str | None:
    if column.dtype.kind not in ("iu" if kind == "i" else "iuf"):
        return f"column {name}: expected {'integers' if kind == 'i' else 'numbers'}, got " \
               f"{column.dtype}"
    values = column.to_numpy()
    if kind == "f" and not np.isfinite(values).all():
        return f"column {name}: a value that is not a finite number"
    if name in ("time", "bytes", "wait") and len(values) and values.min() < 0:
        return f"column {name}: a negative value"
    if name == "machine" and len(values) and values.min() < -1:
        return f"column {name}: a machine number below -1"
    return None


def _category_problem(column: pd.Series, name: str) -> str | None:
    if not isinstance(column.dtype, pd.CategoricalDtype):
        return f"column {name}: expected categories, got {column.dtype}"
    categories = column.cat.categories
    if len(categories) and not all(isinstance(c, str) for c in categories):
        return f"column {name}: a category that is not a text"
    unknown = set(categories) - _KNOWN[name] if name in _KNOWN else set()
    if unknown:
        return f"column {name}: {show_value(min(unknown))} is not a {name} arcsim knows"
    return None


def _timestamp_problem(frame: pd.DataFrame) -> str | None:
    if "timestamp" not in frame.columns:
        return None
    column = frame["timestamp"]
    if not isinstance(column.dtype, pd.DatetimeTZDtype):
        return f"column timestamp: expected UTC timestamps, got {column.dtype}"
    if column.isna().any():
        return "column timestamp: a missing timestamp"
    first, last = TIMESTAMP_RANGE
    if len(column) and (column.min() < first or column.max() > last):
        return f"column timestamp: a timestamp outside {first.date()} to {last.date()}"
    return None
