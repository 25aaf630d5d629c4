"""Result folders, written atomically (design: Outputs).

``results/<scenario>-<seed>-<short hash>/`` holds ``manifest.json``, ``metrics.json``,
``expect.json``, ``records.parquet`` and ``timeseries.parquet``. Everything is written into a
hidden temporary sibling (``.<folder>.tmp-<random>``), flushed to the disk and renamed into
place at the end (:func:`sim.files.atomic_folder`), so an interrupted or failed run (a full
disk, a read-only folder) leaves nothing that looks complete, and no temporary folder either.
An existing folder of the same name (the same scenario, seed and arcsim version) is replaced:
moved aside, the new one renamed in, the old one removed (put back on failure). Two runs that
write the same folder at the same time both succeed; one of their (identical) records stays.

Parquet files are deterministic: the same frame gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.errors import ArcsimError
from sim.files import FileError, atomic_file, atomic_folder, write_file

MANIFEST, METRICS, EXPECT = "manifest.json", "metrics.json", "expect.json"
RECORDS, TIMESERIES = "records.parquet", "timeseries.parquet"


class ResultError(ArcsimError):
    """A result folder that cannot be written or read."""


def scenario_hash(scenario: Mapping[str, Any], seed: int, version: str) -> str:
    """8 hex digits naming (resolved scenario, seed, arcsim version)."""
    text = json.dumps({"scenario": scenario, "seed": seed, "arcsim": version}, sort_keys=True,
                      ensure_ascii=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def folder_name(name: str, seed: int, digest: str) -> str:
    """``<scenario>-<seed>-<short hash>``."""
    return f"{name}-{seed}-{digest}"


def write_json(path: Path, value: Any) -> None:
    """``value`` as indented JSON (keys in the order given), ending with a newline, written
    atomically.

    Raises:
        ResultError: the file cannot be written.
    """
    try:
        write_file(path, json.dumps(value, indent=2, ensure_ascii=False) + "\n")
    except FileError as exc:
        raise ResultError(str(exc)) from None


def write_parquet(frame: pd.DataFrame, path: Path | IO[bytes]) -> None:
    """``frame`` as Parquet (zstd), byte-for-byte reproducible for the same frame."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, path, compression="zstd", write_statistics=True)


def replace_parquet(frame: pd.DataFrame, path: Path) -> None:
    """:func:`write_parquet` into the file ``path``, atomically (whole or not at all).

    Raises:
        ResultError: the file cannot be written.
    """
    try:
        with atomic_file(path, "wb") as out:
            write_parquet(frame, out)
    except FileError as exc:
        raise ResultError(str(exc)) from None


def write_atomically(final: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a fresh temporary sibling of ``final``, then rename it to
    ``final`` (:func:`sim.files.atomic_folder`). On any exception (or KeyboardInterrupt) the
    temporary folder is removed and the exception propagates; ``final`` is then as it was.

    Raises:
        ResultError: the folder cannot be written (the message names it and says why).
    """
    try:
        return atomic_folder(final, write)
    except FileError as exc:
        raise ResultError(str(exc)) from None
