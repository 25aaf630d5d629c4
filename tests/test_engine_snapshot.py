"""The read-only view of a world that merges and exports read (sim.engine.snapshot)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import AMA

from sim.engine import DAY, CloudRequest, Prov, Timing, World
from sim.engine.metrics import coverage
from sim.engine.snapshot import snapshot


def test_a_world_that_has_not_started_has_no_snapshot(world: World) -> None:
    with pytest.raises(ValueError, match="only once it has started"):
        snapshot(world)


def test_snapshot_shows_the_state_tables_and_counts_of_the_world(world: World) -> None:
    world.add(CloudRequest("ops", operation="install", extension=AMA, timing=Timing(at=60)))
    world.run(DAY)
    final = snapshot(world)
    x = final.ext_ids.index(world.ext_ids[world.ext_index[AMA.lower()]])
    assert (final.time, final.offset, final.n_machines, final.n_ext) == (DAY, 0, 4, 1)
    assert final.group_names == ("win",) and final.actor_names[-1] == "ops"
    for m in range(4):
        version = final.ext_versions[x][final.installed[m, x]]
        assert version == world.installed_version(m, AMA)
        assert final.wanted[m, x] == final.installed[m, x]
        assert Prov(final.provisioning[m, x]).name.capitalize() == \
            world.provisioning_state(m, AMA)
        assert final.configs[final.machine_config[m]] == world.config(m)
    assert final.connectivity.tolist() == [1, 1, 1, 1]
    assert final.coverage == coverage(world)
    assert final.events == world.events_processed() and final.fleet_events == 0
    assert np.array_equal(final.records["machine"], world.records["machine"])


def test_snapshot_cannot_change_the_world(world: World) -> None:
    world.run(DAY)
    final = snapshot(world)
    with pytest.raises(ValueError, match="read-only"):
        final.installed[0, 0] = 3
    with pytest.raises(TypeError):
        final.settings[0] = "{}"  # type: ignore[index]
    with pytest.raises(AttributeError):
        final.offset = 5  # type: ignore[misc]
