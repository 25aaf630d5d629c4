"""Split single runs: a fleet cut into independent parts (shards, blocks), run on a backend,
records merged (``sim.run(..., shards=K)``, ``arcsim run --shards K``). Whether a run is split
is decided by :func:`sim.runs.execute.run_world`, the one way a world runs.

**How a fleet splits.** A shard is a contiguous range of machine ids ``[lo, hi)``; it may cut
through a group. Machines interact only through a shared download path (a proxy with limited
capacity, R2: a SimPy resource they queue on), so every machine of one shared path must be in
the same shard: no cut may fall strictly inside the id span of a shared path's machines.
Direct paths (capacity 0) and regions share nothing, so a fleet on them splits anywhere. Cuts
are placed as near to equal parts as those spans allow; when fewer than K parts are possible
the run uses fewer shards and :class:`ShardPlan` says why (``notice``). Scenario files that
interleave groups of one proxy with other groups can be reordered (proxy by proxy) to split.

**Blocks.** A part bigger than :data:`BLOCK_MACHINES` machines runs as several blocks, one
after another in its process (an unsharded run too: ``sim.run`` with ``shards=1`` runs a big
fleet in blocks in its own process). This is cache blocking: a block's state (per-machine and
per-(machine, extension) arrays) fits the CPU cache, a whole million-machine fleet's does not,
and each event then costs about 1.5x more (``benchmarks/README.md``). Blocks split like shards
and merge the same way, so the records are the same bit for bit.

**Why the merge is exact.** Each shard is the whole run's world with every other machine left
out: the same groups (those of other shards with 0 machines, so group, extension and actor
tables and codes are the run's), the same actors in the same order, ``start_offset = lo``.
The engine keys randomness by (seed, purpose, global machine id) and orders equal-time events
by machine, so a shard's records are exactly the whole run's records of its machines, plus the
fleet-wide records (machine -1: policy changes), which every shard makes and the merge keeps
once. Records are merged into the canonical order of :mod:`sim.runs.merge`.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, replace
from pathlib import Path

from sim.engine import FleetSpec, World
from sim.engine.snapshot import snapshot
from sim.errors import ArcsimError, ArcsimWarning
from sim.results.inventory_export import extension_lines, machine_lines, packed_lines
from sim.runs.backends import make_backend
from sim.runs.merge import MergeError, RunOutput, ShardPart, merged_output, tables_of
from sim.runs.progress import task_progress
from sim.scenario.build import build_world
from sim.scenario.schema import Scenario

BLOCK_MACHINES = 100_000
"""The most machines run together in one process (see Blocks in the module docstring): at
10^5 the fleet-month benchmark's state is about 14 MiB and fits a 32 MiB L3 cache; blocks of
50 000, 150 000 and 250 000 machines were all slower at 10^6 machines (benchmarks/README.md)."""


class ShardError(ArcsimError):
    """A sharded run that cannot be done: a bad shard count, a shard that failed."""


class ShardWarning(ArcsimWarning):
    """The fleet splits into fewer independent parts than the shards asked for."""


@dataclass(frozen=True)
class ShardPlan:
    """The machine id ranges ``[lo, hi)`` of the shards, and why there are fewer than asked."""

    ranges: tuple[tuple[int, int], ...]
    notice: str | None = None


def shared_spans(world: World) -> list[tuple[int, int, str]]:
    """``(lo, hi, path)``: the id span of each shared download path's machines."""
    spans: dict[str, tuple[int, int]] = {}
    first = 0
    for group in world.fleet.groups:
        path = world.params.path(group.path)
        if path.is_shared and group.count:
            lo, hi = spans.get(path.name, (first, first + group.count))
            spans[path.name] = (min(lo, first), max(hi, first + group.count))
        first += group.count
    return [(lo, hi, name) for name, (lo, hi) in spans.items()]


def plan_shards(world: World, shards: int, block: int | None = None) -> ShardPlan:
    """Split ``world``'s fleet into at most ``shards`` independent parts (module docstring),
    or, with ``block``, into parts of at most about ``block`` machines if that makes more.

    Raises:
        ShardError: ``shards`` or ``block`` < 1.
    """
    if shards < 1:
        raise ShardError(f"--shards: expected a number of shards >= 1, got {shards}")
    if block is not None and block < 1:
        raise ShardError(f"block: expected a number of machines >= 1, got {block}")
    n = world.fleet.size
    spans = shared_spans(world)
    blocked = _merged([(lo, hi) for lo, hi, _ in spans])
    cuts: list[int] = []
    parts = min(max(shards, -(-n // block) if block else 1), max(n, 1))
    for i in range(1, parts):
        cut = _nearest_cut(round(i * n / parts), cuts[-1] if cuts else 0, n, blocked)
        if cut is not None:
            cuts.append(cut)
    bounds = [0, *cuts, n]
    ranges = tuple(itertools.pairwise(bounds))
    notice = None if len(ranges) >= shards else _notice(shards, len(ranges), n, spans)
    return ShardPlan(ranges, notice)


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping open intervals ``(lo, hi)`` merged (touching ones stay apart)."""
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(spans):
        if out and lo < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _nearest_cut(target: int, after: int, n: int, blocked: list[tuple[int, int]]) -> int | None:
    """The allowed cut nearest to ``target`` in ``(after, n)``, or None."""
    inside = [(lo, hi) for lo, hi in blocked if lo < target < hi]
    candidates = [target] if not inside else [inside[0][0], inside[0][1]]
    valid = [c for c in candidates if after < c < n]
    return min(valid, key=lambda c: (abs(c - target), c)) if valid else None


def _notice(asked: int, used: int, n: int, spans: list[tuple[int, int, str]]) -> str:
    why = [f"the fleet has {n} machines"] if asked > n else []
    why += [f'machines {lo}-{hi - 1} share the download path "{name}" (a proxy: they queue '
            "on it together)" for lo, hi, name in spans if hi - lo > 1]
    reason = "; ".join(why) or "the parts would be too uneven"
    return f"--shards {asked}: running {used} shard{'s' if used > 1 else ''}, as {reason}"


def shard_world(whole: World, lo: int, hi: int) -> World:
    """The world of machines ``[lo, hi)`` of ``whole`` (built, not run; see the module
    docstring): its groups with only their machines in the range, the same tables and actors."""
    groups, first = [], 0
    for group in whole.fleet.groups:
        count = max(0, min(hi, first + group.count) - max(lo, first))
        groups.append(replace(group, count=count))
        first += group.count
    world = World(FleetSpec(tuple(groups)), whole.params, whole.seed,
                  catalogue=whole.catalogue, extensions=[e.name for e in whole.ext_ids],
                  start_offset=lo)
    for actor in whole.actors:
        world.add(actor)
    if tables_of(world) != tables_of(whole):
        raise MergeError(f"shard {lo}-{hi - 1}: its name tables differ from the whole run's")
    return world


@dataclass(frozen=True)
class ShardTask:
    """One shard to run (picklable: sent to a worker process or a Dask worker)."""

    scenario: Scenario
    base: Path | None
    lo: int
    hi: int
    inventory: bool = False


def run_shard(task: ShardTask) -> ShardPart:
    """Build the whole run's world, cut out the shard's machines, run it to the end (and, with
    ``inventory``, render its machines' lines of the final inventory export)."""
    world = shard_world(build_world(task.scenario, base=task.base), task.lo, task.hi)
    world.run(task.scenario.duration)
    final = snapshot(world)
    lines = (packed_lines(machine_lines(final)), packed_lines(extension_lines(final))) \
        if task.inventory else None
    return ShardPart.of(final, lines)


def run_parts(whole: World, plan: ShardPlan, scenario: Scenario, base: Path | None, *,
              shards: int, scheduler: str | None = None, workers: int | None = None,
              progress: bool = False, inventory: bool = False) -> RunOutput:
    """Run the parts of ``plan`` (of ``whole``, ``scenario``'s world, built, not run; the
    ``shards`` asked for) on local processes (``workers``, default one per shard up to the
    CPU count; one runs them in this process) or the Dask ``scheduler``; merge the records
    (and, with ``inventory``, the lines of the final inventory export, in machine order: the
    same bytes as an unsplit run's; every line travels back from its worker).

    Raises:
        ShardError: a part that failed (its error).
        BackendError: the backend cannot be used.
    """
    tasks = [ShardTask(scenario, base, lo, hi, inventory) for lo, hi in plan.ranges]
    parts: list[ShardPart | None] = [None] * len(tasks)
    pieces: list[tuple[bytes, bytes]] = [(b"", b"")] * len(tasks)  # packed inventory lines
    count = workers or min(shards, len(tasks), os.cpu_count() or 1)
    label = f"{scenario.name}: {'shards' if len(tasks) <= shards else 'blocks'}"
    with make_backend(count, scheduler) as backend, \
            task_progress(len(tasks), label, progress) as tick:
        for done in backend.map(run_shard, tasks):
            if done.error is not None:
                lo, hi = plan.ranges[done.index]
                raise ShardError(f"shard {done.index} (machines {lo}-{hi - 1}) failed: "
                                 f"{done.error}")
            part = done.value
            if part is not None and part.inventory is not None:
                pieces[done.index] = part.inventory
                part = replace(part, inventory=None)
            parts[done.index] = part
            tick(False)
    lines = None
    if inventory:  # shards are contiguous ranges in machine order: concatenate
        lines = ([m for m, _ in pieces], [e for _, e in pieces])
    merged = merged_output([p for p in parts if p is not None], whole)
    return replace(merged, inventory=lines) if lines is not None else merged


__all__ = ["BLOCK_MACHINES", "ShardError", "ShardPlan", "ShardTask", "ShardWarning",
           "plan_shards", "run_parts", "run_shard", "shard_world", "shared_spans"]
