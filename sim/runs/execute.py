"""The one way a world runs: whole in this process, or split into blocks or shards.

:func:`run_world` builds a scenario's world and runs it to the scenario's ``duration``. A world
that fits one block (:data:`~sim.runs.shards.BLOCK_MACHINES` machines) and is asked for one
shard runs here, in :data:`STEPS` equal steps of simulated time (so a progress bar can follow
it; the steps do not change the result). Otherwise its fleet is planned into independent parts
(:func:`~sim.runs.shards.plan_shards`): one part still runs here; several run on a backend
(local processes or Dask, :mod:`sim.runs.backends`) and their records are merged
(:mod:`sim.runs.merge`). Either way the output is the same, bit for bit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from sim.engine import World
from sim.engine.snapshot import Snapshot, snapshot
from sim.runs.merge import RunOutput, output_of
from sim.runs.progress import time_progress
from sim.runs.shards import BLOCK_MACHINES, ShardPlan, plan_shards, run_parts
from sim.scenario.build import build_world
from sim.scenario.schema import Scenario

STEPS = 100
"""Equal steps of simulated time a run in this process advances in (progress; the result does
not depend on it)."""


@dataclass(frozen=True)
class Execution:
    """How a world ran and what it left."""

    output: RunOutput
    """Canonical records, tables, metrics, events (and a split run's inventory lines)."""
    built: float
    """``time.perf_counter()`` when the world was built, before it ran."""
    plan: ShardPlan | None
    """The parts the fleet was planned into; None when it ran whole without planning."""
    final: Snapshot | None = None
    """With ``inventory``, the end state of a world that ran in this process."""


def run_world(scenario: Scenario, base: Path | None, *, shards: int = 1,
              block: int | None = BLOCK_MACHINES, scheduler: str | None = None,
              workers: int | None = None, progress: bool = False,
              inventory: bool = False) -> Execution:
    """Build ``scenario``'s world (relative files under ``base``) and run it to its end: whole
    here, or as parts of at most about ``block`` machines (None: no blocks) and at most
    ``shards`` shards (module docstring). ``scheduler`` and ``workers`` choose the backend of
    a split run; ``progress`` shows a bar on stderr; ``inventory`` keeps what the inventory
    export needs (the end state, or a split run's rendered lines).

    Raises:
        ShardError: a bad shard count or block size, or a part that failed.
        BackendError: the backend cannot be used.
    """
    world = build_world(scenario, base=base)
    built = time.perf_counter()
    split = shards != 1 or (block is not None and world.fleet.size > block)
    plan = plan_shards(world, shards, block) if split else None
    if plan is None or len(plan.ranges) == 1:
        advance(world, scenario.duration, progress=progress, label=scenario.name)
        final = snapshot(world)
        return Execution(output_of(final), built, plan, final if inventory else None)
    output = run_parts(world, plan, scenario, base, shards=shards, scheduler=scheduler,
                       workers=workers, progress=progress, inventory=inventory)
    return Execution(output, built, plan)


def advance(world: World, duration: float, *, progress: bool = False, label: str = "") -> None:
    """Run ``world`` to ``duration`` seconds in :data:`STEPS` equal steps."""
    with time_progress(duration, label, progress) as step:
        for i in range(1, STEPS + 1):
            until = duration * i / STEPS
            world.run(until)
            step(until)


__all__ = ["STEPS", "Execution", "advance", "run_world"]
