"""A run is a function of (fleet, parameters, actors, seed) (design: "Determinism").

Same seed, identical records; another seed, other draws; and a fleet split into independent
shards (``start_offset``) gives, merged, exactly the records of the whole run.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
from helpers import AMA, DEP, MDE, MMA, allowlist, blocklist
from hypothesis import given, settings
from hypothesis import strategies as st
from test_engine_equivalence import EQUIVALENCE, Scenario, assert_same_records, scenarios

from sim.engine import (
    DAY,
    CloudRequest,
    EngineParams,
    FleetSpec,
    GroupSpec,
    InstalledExtension,
    LocalCommands,
    LocalRemoval,
    Outage,
    PathSpec,
    Records,
    Target,
    Timing,
    World,
)
from sim.engine.upgrades import AgentUpdate
from sim.scenario import library
from sim.scenario.build import build_world
from sim.scenario.loading import load_scenario

HOUR = 3_600.0

PARAMS = EngineParams(
    check_jitter_s=30.0, install_failure_p=0.2, catalog_mismatch_p=0.1, push_reachable=0.7,
    paths=(PathSpec("west-proxy", 2.0, 5e6, capacity=1), PathSpec("east-proxy", 1.0, 8e6,
                                                                   capacity=2)))
WEST = GroupSpec("west", 5, agent_versions={"1.12": 1.0, "1.20": 1.0, "1.40": 2.0},
                 path="west-proxy", extensions=(InstalledExtension(AMA), InstalledExtension(DEP)),
                 outages=(Outage(2 * HOUR, HOUR, 0.5),))
EAST = GroupSpec("east", 4, agent_versions={"1.40": 1.0, "1.58": 1.0}, path="east-proxy",
                 extensions=(InstalledExtension(MDE), InstalledExtension(MMA),
                             InstalledExtension(AMA)),
                 commands=(blocklist(DEP),))


def timeline(fleet: FleetSpec) -> list[Any]:
    """Actors by group and for the whole fleet: requests, a lockdown, removals, an update
    (those aimed at a group of another shard are left out)."""
    names = {g.name for g in fleet.groups}
    actors = [
        CloudRequest("upgrade-ama", operation="upgrade", extension=AMA, version="2.0",
                     timing=Timing(at=HOUR, window=2 * HOUR)),
        CloudRequest("install-dep", extension=DEP, target=Target("east"),
                     timing=Timing(at=600.0, window=HOUR)),
        CloudRequest("update-mma", operation="update", extension=MMA, target=Target("east"),
                     timing=Timing(at=3 * HOUR)),
        CloudRequest("delete-dep", operation="delete", extension=DEP, target=Target("west"),
                     timing=Timing(at=5 * HOUR, window=HOUR)),
        LocalCommands("lockdown", commands=(allowlist(AMA, MDE),),
                      target=Target("west", share=0.6), timing=Timing(at=HOUR, window=HOUR)),
        LocalRemoval("cleanup", extension=AMA, timing=Timing(at=0.0, rate=3.0, until=8 * HOUR)),
        LocalRemoval("cleanup-all", target=Target("east"), coverage=0.5,
                     timing=Timing(at=4 * HOUR)),
        AgentUpdate("updater", target=Target("west"), version="1.40",
                    timing=Timing(at=2 * HOUR, window=HOUR)),
    ]
    return [a for a in actors if a.target.group is None or a.target.group in names]


def run(fleet: FleetSpec, seed: int, offset: int = 0, params: EngineParams = PARAMS,
        horizon: float = 8 * HOUR) -> World:
    w = World(fleet, params, seed, start_offset=offset)
    for actor in timeline(fleet):
        w.add(actor)
    w.run(horizon)
    return w


def merged(*worlds: World) -> Records:
    """The worlds' records, concatenated, with group, extension and actor as names (their
    indices are per world), stably sorted by (time, machine)."""
    parts = [w.records for w in worlds]
    cols = {c: np.concatenate([r[c] for r in parts]) for c in parts[0].columns}
    tables = {"group": lambda w: [*w.group_names, ""], "actor": lambda w: w.actor_names,
              "extension": lambda w: [e.key for e in w.ext_ids] + [""]}  # -1: none
    for column, names in tables.items():
        cols[column] = np.concatenate([np.array(names(w), dtype=object)[r[column]]
                                       for w, r in zip(worlds, parts, strict=True)])
    order = np.lexsort((cols["machine"], cols["time"]))
    return Records({c: v[order] for c, v in cols.items()})


# --- same seed, other seed -----------------------------------------------------------------------


def test_determinism_same_seed_identical_records() -> None:
    fleet = FleetSpec((WEST, EAST))
    a, b = run(fleet, 11), run(fleet, 11)
    assert len(a.records) > 50
    assert_same_records(a.records, b.records)
    assert list(a.m_phase) == list(b.m_phase)


def test_determinism_different_seed_different_draws() -> None:
    fleet = FleetSpec((WEST, EAST))
    a, b = run(fleet, 11), run(fleet, 12)
    assert all(pa != pb for pa, pb in zip(a.m_phase, b.m_phase, strict=True))
    assert not (len(a.records) == len(b.records)
                and np.array_equal(a.records["time"], b.records["time"]))


def test_determinism_phases_depend_on_machine_id_not_on_fleet_shape() -> None:
    whole = World(FleetSpec((WEST, EAST)), PARAMS, seed=3)
    east = World(FleetSpec((EAST,)), PARAMS, seed=3, start_offset=WEST.count)
    whole.run(0.0)
    east.run(0.0)
    assert list(east.m_phase) == list(whole.m_phase)[WEST.count:]
    assert list(east.m_push) == list(whole.m_push)[WEST.count:]


# --- shards --------------------------------------------------------------------------------------


def test_determinism_split_fleet_equals_whole() -> None:
    for seed in (1, 2, 3):
        whole = run(FleetSpec((WEST, EAST)), seed)
        west = run(FleetSpec((WEST,)), seed, offset=0)
        east = run(FleetSpec((EAST,)), seed, offset=WEST.count)
        assert len(whole.records) > 50
        assert set(whole.records["path"].tolist()) >= {0, 1}  # both proxies were used
        assert_same_records(merged(whole), merged(west, east))


def test_determinism_split_fleet_equals_whole_in_three_shards() -> None:
    east_a = replace(EAST, name="east-a", count=2)
    east_b = replace(EAST, name="east-b", count=2)
    params = replace(PARAMS, paths=(
        PathSpec("west-proxy", 2.0, 5e6, capacity=1), PathSpec("east-proxy", 1.0, 8e6)))
    whole = run(FleetSpec((WEST, east_a, east_b)), 5, params=params)
    shards = [run(FleetSpec((g,)), 5, offset=o, params=params)
              for g, o in ((WEST, 0), (east_a, 5), (east_b, 7))]
    assert_same_records(merged(whole), merged(*shards))


@settings(EQUIVALENCE, max_examples=15)
@given(scenarios(), st.integers(0, 2**32 - 1))
def test_determinism_split_random_fleet_equals_whole(scenario: Scenario, seed: int) -> None:
    """Any two-group fleet of the equivalence strategy, each group on a path of its own."""
    groups = scenario.fleet.groups
    if len(groups) < 2:
        groups = (groups[0], GroupSpec("extra", 2))
    g1, g2 = replace(groups[0], path="p1"), replace(groups[1], path="p2")
    params = replace(scenario.params, paths=(
        PathSpec("p1", 2.0, 1e6, capacity=1), PathSpec("p2", 1.0, 2e6, capacity=1)))
    worlds = []
    for fleet, offset in ((FleetSpec((g1, g2)), 0), (FleetSpec((g1,)), 0),
                          (FleetSpec((g2,)), g1.count)):
        part = Scenario(fleet, params, scenario.actors, scenario.horizon)
        w = part.build(World, seed, start_offset=offset)
        _drop_foreign_targets(w, fleet)
        w.run(scenario.horizon)
        worlds.append(w)
    assert_same_records(merged(worlds[0]), merged(worlds[1], worlds[2]))


def _drop_foreign_targets(w: World, fleet: FleetSpec) -> None:
    """Actors aimed at a group that is in another shard act on no machine here."""
    names = {g.name for g in fleet.groups}
    for actor in w.actors:
        target = getattr(actor, "target", None)
        if target is not None and target.group is not None and target.group not in names:
            actor.target = Target(machines=(-1,))


def test_determinism_horizon_does_not_change_the_past() -> None:
    fleet = FleetSpec((WEST, EAST))
    short, long = run(fleet, 4, horizon=4 * HOUR), run(fleet, 4, horizon=DAY)
    keep = long.records["time"] < 4 * HOUR
    assert_same_records(short.records,
                        Records({c: v[keep] for c, v in long.records.columns.items()}))


def test_determinism_stepping_a_run_changes_nothing_even_at_the_step_instants() -> None:
    """A fleet-wide event at exactly a step's end (a daily remediation round, stepped by days)
    runs in the next step, as in one call: same records, same events."""
    path = library.resolve("dine-remediation-loop")
    scenario = load_scenario(path, scale=0.1)
    once, stepped = (build_world(scenario, base=path.parent) for _ in range(2))
    once.run(scenario.duration)
    days = round(scenario.duration / DAY)
    assert days * DAY == scenario.duration and days > 2
    for day in range(1, days + 1):
        stepped.run(day * DAY)
    assert len(once.records) > 100 and once.fleet_events > days
    assert_same_records(once.records, stepped.records)
    assert (stepped.events_processed(), stepped.fleet_events) == \
        (once.events_processed(), once.fleet_events)
