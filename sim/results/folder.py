"""Result folders, written atomically (design: Outputs).

``results/<scenario>-<seed>-<short hash>/`` holds ``manifest.json``, ``metrics.json``,
``expect.json``, ``records.parquet`` and ``timeseries.parquet``. Everything is written into a
hidden temporary sibling (``.<folder>.tmp-<pid>``) that is renamed into place at the end, so
an interrupted or failed run leaves nothing that looks complete, and no temporary folder
either. An existing folder of the same name (the same scenario, seed and arcsim version) is
replaced: moved aside, the new one renamed in, the old one removed (put back on failure).

Parquet files are deterministic: the same frame gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.errors import ArcsimError

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
    """``value`` as indented JSON (keys in the order given), ending with a newline."""
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """``frame`` as Parquet (zstd), byte-for-byte reproducible for the same frame."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, path, compression="zstd", write_statistics=True)


def write_atomically(final: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a fresh temporary sibling of ``final``, then rename it to
    ``final``. On any exception (or KeyboardInterrupt) the temporary folder is removed and the
    exception propagates; ``final`` is then as it was.

    Raises:
        ResultError: the parent folder cannot be created or written.
    """
    parent = final.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ResultError(f"cannot create the results folder {parent}: "
                          f"{exc.strerror or exc}") from None
    tmp = parent / f".{final.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir()
        write(tmp)
        _replace(tmp, final)
    except OSError as exc:
        raise ResultError(f"cannot write {final}: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def _replace(tmp: Path, final: Path) -> None:
    """Rename ``tmp`` to ``final``; an existing ``final`` is moved aside first."""
    if not final.exists():
        os.replace(tmp, final)
        return
    old = final.parent / f".{final.name}.old-{os.getpid()}"
    shutil.rmtree(old, ignore_errors=True)
    os.replace(final, old)
    try:
        os.replace(tmp, final)
    except BaseException:
        os.replace(old, final)
        raise
    shutil.rmtree(old, ignore_errors=True)
