"""A run's result: metrics, expectations, records and time series, in memory or on disk.

:func:`load` reads a result folder back (``sim.load(path)``); notebooks need nothing else::

    result = sim.load("results/default-42-1a2b3c4d")
    result.metric("blocked.install.not_on_allowlist")
    result.records.groupby("reason", observed=True).size()
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from sim.results.folder import (
    EXPECT,
    MANIFEST,
    METRICS,
    RECORDS,
    TIMESERIES,
    folder_name,
    write_atomically,
    write_json,
    write_parquet,
)
from sim.results.reading import (
    check_expectations,
    check_folder,
    check_manifest,
    check_metrics,
    read_frame,
    read_json,
)
from sim.scenario.expect import ExpectationResult, ExpectError, lookup


class Result:
    """A result folder and what it holds. ``records`` and ``timeseries`` are read lazily."""

    def __init__(self, path: Path, manifest: dict[str, Any], metrics: dict[str, Any],
                 expectations: list[ExpectationResult], records: pd.DataFrame | None = None,
                 timeseries: pd.DataFrame | None = None) -> None:
        self.path = path
        self.manifest = manifest
        self.metrics = metrics
        self.expectations = expectations
        self._records = records
        self._timeseries = timeseries

    @property
    def records(self) -> pd.DataFrame:
        """One row per record (see :mod:`sim.results.records`)."""
        if self._records is None:
            self._records = read_frame(self.path / RECORDS)
        return self._records

    @property
    def timeseries(self) -> pd.DataFrame:
        """Counts per time bucket (see :mod:`sim.results.timeseries`)."""
        if self._timeseries is None:
            self._timeseries = read_frame(self.path / TIMESERIES)
        return self._timeseries

    @property
    def name(self) -> str:
        """The scenario's name."""
        return str(self.manifest["scenario"]["name"])

    @property
    def run_name(self) -> str:
        """The result folder's name as the run gave it (``<scenario>-<seed>-<hash>``), also
        while the run writes it into a temporary folder; it keys the activity log's ids."""
        return folder_name(self.name, self.seed, str(self.manifest["hash"]))

    @property
    def seed(self) -> int:
        """The run's seed."""
        return int(self.manifest["seed"])

    @property
    def ok(self) -> bool:
        """True when every expectation holds (or there are none)."""
        return all(e.ok for e in self.expectations)

    @property
    def misses(self) -> list[ExpectationResult]:
        """The expectations that do not hold."""
        return [e for e in self.expectations if not e.ok]

    def metric(self, path: str) -> float:
        """The metric at a dotted ``path`` (``"blocked.install.not_on_allowlist"``); an entry
        absent from a table of counts is 0.

        Raises:
            ExpectError: ``path`` is not a number in the metrics.
        """
        return lookup(self.metrics, path)

    def activity_log(self) -> pd.DataFrame:
        """The run's Azure activity log, one row per event (see :mod:`sim.results.activity`)."""
        from sim.results.activity import activity_log

        return activity_log(self.records, self._start(), self.run_name)

    def activity_chunks(self) -> Iterator[pd.DataFrame]:
        """:meth:`activity_log` a chunk of events at a time (for big runs)."""
        from sim.results.activity import activity_chunks

        return activity_chunks(self.records, self._start(), self.run_name)

    def _start(self) -> datetime | None:
        start = self.manifest.get("scenario", {}).get("start")
        return pd.Timestamp(start).to_pydatetime() if start else None

    def __repr__(self) -> str:
        held = sum(e.ok for e in self.expectations)
        return f"Result({str(self.path)!r}, expectations {held}/{len(self.expectations)} ok)"


def save(parent: str | os.PathLike[str], *, manifest: dict[str, Any], metrics: dict[str, Any],
         expectations: list[ExpectationResult], records: pd.DataFrame,
         timeseries: pd.DataFrame, writers: Sequence[Callable[[Result], None]] = ()) -> Result:
    """Write a result folder under ``parent`` atomically; return it as a :class:`Result`.

    The folder is named from ``manifest``'s ``scenario.name``, ``seed`` and ``hash``. Each of
    ``writers`` (e.g. :func:`sim.report.write_report`) is then called with the result as it
    stands in the temporary folder, to add its own files inside the atomic write.
    """
    name = folder_name(manifest["scenario"]["name"], manifest["seed"], manifest["hash"])

    def write(tmp: Path) -> None:
        write_parquet(records, tmp / RECORDS)
        write_parquet(timeseries, tmp / TIMESERIES)
        write_json(tmp / METRICS, metrics)
        write_json(tmp / EXPECT, [e.as_json() for e in expectations])
        write_json(tmp / MANIFEST, manifest)
        for writer in writers:
            writer(Result(tmp, manifest, metrics, expectations, records, timeseries))

    final = write_atomically(Path(parent) / name, write)
    return Result(final, manifest, metrics, expectations, records, timeseries)


def write_csv(result: Result) -> None:
    """``records.csv`` and ``timeseries.csv`` next to the Parquet files (for tools without
    Parquet): the same rows and columns, missing values empty."""
    result.records.to_csv(result.path / "records.csv", index=False)
    result.timeseries.to_csv(result.path / "timeseries.csv", index=False)


def write_activity_log_file(result: Result) -> None:
    """``activity_log.json``: the run's Azure activity log as the Azure CLI prints it."""
    from sim.results.activity import write_activity_log

    write_activity_log(result.activity_chunks(), result.path / "activity_log.json",
                       run=result.run_name)


def load(path: str | os.PathLike[str]) -> Result:
    """The result in folder ``path`` (``records`` and ``timeseries`` are read, and checked,
    when used; see :mod:`sim.results.reading`).

    Raises:
        ResultError: ``path`` is not a complete result folder (what is wrong is said).
    """
    folder = Path(path)
    check_folder(folder)
    manifest = check_manifest(folder, read_json(folder, MANIFEST))
    metrics = check_metrics(folder, read_json(folder, METRICS))
    expectations = check_expectations(folder, read_json(folder, EXPECT))
    return Result(folder, manifest, metrics, expectations)


__all__ = ["ExpectError", "Result", "load", "save"]
