"""A run's records in canonical order, with its tables and metrics: from one world's snapshot,
or merged from the snapshots of its shards' worlds (:mod:`sim.runs.shards`).

**Canonical record order.** Records are stably sorted by (time, machine): at one instant the
fleet-wide records (machine -1: a policy assigned, an exemption) come first, then each
machine's records in machine order; the records of one machine at one instant keep the order
the engine made them in. The engine's own order is nearly this already (its equal-time key is
the machine), with one exception: records made while the world is built (initial commands an
old agent refuses, at t=0) precede the fleet-wide events of t=0. A shard cannot reproduce the
engine's order across shards, so unsharded and sharded runs both write the canonical order,
and their ``records.parquet`` and ``metrics.json`` are identical bit for bit.

Metrics are computed by :func:`sim.engine.metrics.metrics_of` over the canonical records (so a
float sum adds its terms in the same order whatever the sharding) and the run's tables;
``coverage`` and the exposure at the end are counted per machine, so a sharded run adds its
shards'.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from sim.engine.endstate import EndCounts
from sim.engine.endstate import merge as merge_end_counts
from sim.engine.metrics import NameTables
from sim.engine.metrics import metrics_of as engine_metrics
from sim.engine.records import Records
from sim.engine.snapshot import Snapshot
from sim.errors import ArcsimError
from sim.results.records import RunTables

Columns = dict[str, npt.NDArray[Any]]


@dataclass(frozen=True)
class RunOutput:
    """What a run leaves for its result folder: canonical records, tables, metrics, and how
    many SimPy events it processed (summed over shards; None if unknown)."""

    columns: Columns
    tables: RunTables
    metrics: dict[str, Any]
    events: int | None = None
    inventory: tuple[list[bytes], list[bytes]] | None = None
    """With ``inventory``: the export's machine and extension lines, packed per shard, shards
    in machine order (:func:`sim.results.inventory_export.packed_lines`)."""


def canonical(columns: Mapping[str, npt.NDArray[Any]]) -> Columns:
    """``columns`` stably sorted by (time, machine) (a copy; no sort when already in order)."""
    time, machine = columns["time"], columns["machine"]
    if len(time) < 2 or _in_order(time, machine):
        return dict(columns)
    order = np.lexsort((machine, time))
    return {name: values[order] for name, values in columns.items()}


def _in_order(time: npt.NDArray[Any], machine: npt.NDArray[Any]) -> bool:
    dt = np.diff(time)
    return bool(np.all((dt > 0) | ((dt == 0) & (np.diff(machine) >= 0))))


def tables_of(names: NameTables) -> RunTables:
    """The run's name tables (groups, extensions, actors, paths) of a world or its
    snapshot."""
    return RunTables(groups=list(names.group_names),
                     extensions=[ext.name for ext in names.ext_ids],
                     actors=list(names.actor_names), paths=list(names.path_names))


def metrics_of(columns: Columns, tables: NameTables, covered: Mapping[str, int],
               at_end: EndCounts, until: float) -> dict[str, Any]:
    """The metrics (:func:`sim.engine.metrics.metrics_of`) of ``columns`` (canonical records)
    with the name tables ``tables`` (a world's or a snapshot's), ``covered`` as the coverage,
    ``at_end`` as the exposure at the end and ``until`` the run's length in seconds."""
    return engine_metrics(Records(columns), tables, covered, at_end, until)


def output_of(final: Snapshot) -> RunOutput:
    """The output of an unsharded run whose world's end is ``final``."""
    columns = canonical(final.records.columns)
    return RunOutput(columns, tables_of(final), metrics_of(columns, final, final.coverage,
                                                           final.exposure, final.time),
                     final.events)


@dataclass(frozen=True)
class ShardPart:
    """What one shard sends back: its raw records (global machine ids; codes index the whole
    run's tables), its coverage and exposure counts at the end, its SimPy event count and how
    many of those were fleet-wide events (:meth:`sim.engine.World.at_fleet`, which every shard
    processes), and the simulated seconds it ran."""

    columns: Columns
    coverage: dict[str, int]
    events: int | None
    fleet_events: int = 0
    inventory: tuple[bytes, bytes] | None = None
    exposure: EndCounts = field(default_factory=dict)
    time: float = 0.0

    @classmethod
    def of(cls, final: Snapshot, inventory: tuple[bytes, bytes] | None = None) -> ShardPart:
        """The part of a shard whose world's end is ``final``."""
        return cls(dict(final.records.columns), dict(final.coverage), final.events,
                   final.fleet_events, inventory, dict(final.exposure), final.time)


class MergeError(ArcsimError):
    """Shards that do not fit together (a bug in arcsim, not a user error)."""


def merged_output(parts: Sequence[ShardPart], tables: NameTables) -> RunOutput:
    """The output of a run split into ``parts`` (in machine order), whose name tables are
    ``tables`` (its unsharded world's, built, not run): fleet-wide records once (from the
    first shard, checked to be the same in every shard), everything in canonical order,
    coverage added up, and the events of the unsharded run: the shards' events with the
    fleet-wide ones counted once. The parts' columns are consumed (emptied as they are
    merged, to hold the records about once).

    Raises:
        MergeError: shards whose fleet-wide records or fleet-wide event counts differ.
    """
    first = parts[0].columns
    fleet_wide = _rows(first, first["machine"] < 0)
    pieces = [dict(first)]
    for part in parts[1:]:
        own = part.columns["machine"] >= 0
        if not _same(_rows(part.columns, ~own), fleet_wide):
            raise MergeError("shards recorded different fleet-wide records")
        pieces.append(_rows(part.columns, own))
        part.columns.clear()
    first.clear()
    columns = _merge_in_order(pieces)
    covered = {key: sum(p.coverage[key] for p in parts) for key in parts[0].coverage}
    if len({p.fleet_events for p in parts}) > 1:
        raise MergeError("shards processed different numbers of fleet-wide events")
    events = [p.events for p in parts]
    total = None if any(e is None for e in events) else \
        sum(cast(list[int], events)) - (len(parts) - 1) * parts[0].fleet_events
    at_end = merge_end_counts([p.exposure for p in parts])
    return RunOutput(columns, tables_of(tables),
                     metrics_of(columns, tables, covered, at_end, parts[0].time), total)


def _merge_in_order(pieces: list[Columns]) -> Columns:
    """The pieces' rows, concatenated and in canonical order, one column at a time (each
    piece's column is dropped once copied)."""
    time = np.concatenate([p["time"] for p in pieces])
    machine = np.concatenate([p["machine"] for p in pieces])
    order = None if len(time) < 2 or _in_order(time, machine) else np.lexsort((machine, time))
    merged: Columns = {}
    for name in list(pieces[0]):
        column = np.concatenate([p.pop(name) for p in pieces])
        merged[name] = column if order is None else column[order]
    return merged


def _rows(columns: Columns, mask: npt.NDArray[np.bool_]) -> Columns:
    return {name: values[mask] for name, values in columns.items()}


def _same(a: Columns, b: Columns) -> bool:
    return all(np.array_equal(a[name], b[name]) for name in a)


__all__ = ["Columns", "MergeError", "RunOutput", "ShardPart", "canonical", "merged_output",
           "metrics_of", "output_of", "tables_of"]
