"""Sharded single runs: a fleet split into independent parts gives, merged, the unsharded run's
``records.parquet`` and ``metrics.json`` byte for byte (``sim.run(..., shards=K)``)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from helpers import Arcsim

import sim
from sim.engine import EngineParams, FleetSpec, GroupSpec, PathSpec, World
from sim.engine.snapshot import snapshot
from sim.runs.execute import run_world
from sim.runs.merge import canonical, output_of
from sim.runs.shards import BLOCK_MACHINES, ShardError, ShardWarning, plan_shards
from sim.scenario import library
from sim.scenario.build import build_world
from sim.scenario.loading import load_scenario

SCALE = 0.1
HOUR = 3_600.0


def _outputs_equal(name: str, shards: int, overrides: tuple[str, ...] = ()) -> None:
    """Unsharded and sharded (here, one after the other) runs of a shipped scenario agree."""
    path = library.resolve(name)
    scenario = load_scenario(path, scale=SCALE, overrides=overrides)
    whole = build_world(scenario, base=path.parent)
    whole.run(scenario.duration)
    one = output_of(snapshot(whole))
    split = run_world(scenario, path.parent, shards=shards, workers=1)
    many, plan = split.output, split.plan
    assert plan is not None and len(plan.ranges) == shards
    assert len(one.columns["time"]) > 50
    assert [c for c in one.columns if not np.array_equal(one.columns[c], many.columns[c])] == []
    assert one.metrics == many.metrics
    assert one.tables == many.tables
    assert many.events == whole.events_processed()  # fleet-wide events counted once


@pytest.mark.parametrize("shards", [2, 3])
@pytest.mark.parametrize("name", ["default", "ama-only-lockdown", "policy-deny-override",
                                  "dine-remediation-loop", "script-and-guest-config-tamper"])
def test_shards_merged_records_and_metrics_equal_unsharded(name: str, shards: int) -> None:
    _outputs_equal(name, shards)


def test_shards_cut_inside_groups_and_keep_fleet_wide_records_once() -> None:
    path = library.resolve("policy-deny-override")
    scenario = load_scenario(path, scale=SCALE)
    split = run_world(scenario, path.parent, shards=4, workers=1)
    output, plan = split.output, split.plan
    assert plan is not None  # two groups of 20
    assert plan.ranges == ((0, 10), (10, 20), (20, 30), (30, 40))
    fleet_wide = output.columns["machine"] < 0
    assert 2 <= int(fleet_wide.sum()) < 10  # the policy changes, once each, not 4 times


def test_shards_run_on_processes_write_identical_result_folders(tmp_path: Path) -> None:
    name = "ama-only-lockdown"  # initial refusals at t=0: the canonical order matters
    one = sim.run(name, scale=SCALE, out=tmp_path / "one", report=False)
    many = sim.run(name, scale=SCALE, out=tmp_path / "many", report=False, shards=2)
    assert one.path.name == many.path.name
    for file in ("records.parquet", "metrics.json", "timeseries.parquet", "expect.json"):
        assert (one.path / file).read_bytes() == (many.path / file).read_bytes(), file
    assert many.manifest["shards"] == {"asked": 2, "machines": [[0, 32], [32, 65]],
                                       "block": BLOCK_MACHINES}


def test_shards_blocks_run_a_big_fleet_in_parts_in_one_process_with_the_same_results(
        tmp_path: Path) -> None:
    name = "dine-remediation-loop"  # fleet-wide events (remediation rounds) every day
    whole = sim.run(name, scale=SCALE, out=tmp_path / "whole", report=False, block=None,
                    inventory=True)
    blocks = sim.run(name, scale=SCALE, out=tmp_path / "blocks", report=False, block=7,
                     inventory=True)
    assert "shards" not in whole.manifest
    ranges = blocks.manifest["shards"]["machines"]
    assert len(ranges) == -(-whole.manifest["counts"]["machines"] // 7) > 2
    assert all(hi - lo <= 7 for lo, hi in ranges)
    for file in ("records.parquet", "metrics.json", "timeseries.parquet", "expect.json",
                 "inventory/machines.json", "inventory/extensions.json"):
        assert (whole.path / file).read_bytes() == (blocks.path / file).read_bytes(), file
    assert blocks.manifest["counts"] == whole.manifest["counts"]  # events too


def test_shards_records_are_in_canonical_order_unsharded_too(tmp_path: Path) -> None:
    result = sim.run("ama-only-lockdown", scale=SCALE, out=tmp_path, report=False)
    records = result.records
    time, machine = records["time"].to_numpy(), records["machine"].to_numpy()
    assert np.array_equal(np.lexsort((machine, time)), np.arange(len(time)))
    assert machine[time == 0.0][0] == -1  # the policy assignment first at t=0


def test_shards_canonical_order_is_stable_within_a_machine_instant() -> None:
    columns = {"time": np.array([1.0, 0.0, 1.0, 1.0]), "machine": np.array([2, 5, 1, 2]),
               "value": np.array([10.0, 20.0, 30.0, 40.0])}
    ordered = canonical(columns)
    assert ordered["value"].tolist() == [20.0, 30.0, 10.0, 40.0]


# --- how a fleet splits ---------------------------------------------------------------------


def _world(*groups: tuple[str, int, str]) -> World:
    params = EngineParams(paths=(PathSpec(), PathSpec("proxy-a", capacity=2),
                                 PathSpec("proxy-b", capacity=1)))
    return World(FleetSpec(tuple(GroupSpec(n, c, path=p) for n, c, p in groups)), params)


def test_shards_direct_fleet_splits_evenly_even_inside_one_group() -> None:
    plan = plan_shards(_world(("all", 1000, "direct")), 4)
    assert plan.ranges == ((0, 250), (250, 500), (500, 750), (750, 1000))
    assert plan.notice is None


def test_shards_never_cut_through_a_proxy() -> None:
    world = _world(("a1", 100, "proxy-a"), ("d", 50, "direct"), ("a2", 100, "proxy-a"),
                   ("b", 150, "proxy-b"))
    plan = plan_shards(world, 2)
    assert plan.ranges == ((0, 250), (250, 400))  # proxy-a spans 0-249
    three = plan_shards(world, 3)
    assert three.ranges == ((0, 250), (250, 400))
    assert three.notice is not None and 'machines 0-249 share the download path "proxy-a"' \
        in three.notice


def test_shards_one_proxy_cannot_split_runs_one_shard_with_a_notice(
        tmp_path: Path, arcsim: Arcsim) -> None:
    name = "reinstall-storm-private-endpoint"
    with pytest.warns(ShardWarning, match="running 1 shard"):
        sharded = sim.run(name, scale=SCALE, out=tmp_path / "s", report=False, shards=3)
    whole = sim.run(name, scale=SCALE, out=tmp_path / "w", report=False)
    assert (sharded.path / "records.parquet").read_bytes() == \
        (whole.path / "records.parquet").read_bytes()
    done = arcsim("run", name, "--scale", SCALE, "--shards", "3", "--quiet",
                  "--no-report", "--out", tmp_path / "cli")
    assert done.status == 0
    assert "arcsim: notice: --shards 3: running 1 shard" in done.err


def test_shards_blocks_make_more_parts_than_shards_and_still_respect_proxies() -> None:
    direct = _world(("all", 1000, "direct"))
    assert plan_shards(direct, 1, block=300).ranges == ((0, 250), (250, 500), (500, 750),
                                                         (750, 1000))
    assert plan_shards(direct, 2, block=300).notice is None
    assert plan_shards(direct, 8, block=300).ranges == plan_shards(direct, 8).ranges
    assert plan_shards(direct, 1, block=1000).ranges == ((0, 1000),)
    proxied = _world(("a1", 100, "proxy-a"), ("d", 50, "direct"), ("a2", 100, "proxy-a"),
                     ("b", 150, "proxy-b"))
    plan = plan_shards(proxied, 1, block=100)
    assert plan.ranges[0] == (0, 250) and plan.notice is None  # proxy-a's machines together
    with pytest.raises(ShardError, match="block: expected a number of machines >= 1, got 0"):
        plan_shards(direct, 1, block=0)


def test_shards_more_than_machines() -> None:
    plan = plan_shards(_world(("few", 3, "direct")), 8)
    assert plan.ranges == ((0, 1), (1, 2), (2, 3))
    assert plan.notice is not None and "the fleet has 3 machines" in plan.notice


def test_shards_bad_count_is_a_clear_error(tmp_path: Path, arcsim: Arcsim) -> None:
    with pytest.raises(ShardError, match="--shards: expected a number of shards >= 1, got 0"):
        sim.run("default", scale=0.01, shards=0, out=tmp_path, report=False)
    status, _, err = arcsim("run", "default", "--scale", "0.01", "--shards", "-2", "--out",
                            tmp_path)
    assert status == 2
    assert err.strip() == "arcsim: error: --shards: expected a number of shards >= 1, got -2"
    assert not any(tmp_path.iterdir())


def test_shards_on_a_dask_local_cluster_equal_unsharded(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        cluster = distributed.LocalCluster(processes=False, n_workers=1, threads_per_worker=1,
                                           dashboard_address=None)
    with cluster:
        many = sim.run("default", scale=0.05, out=tmp_path / "dask", report=False, shards=3,
                       scheduler=cluster.scheduler_address)
    one = sim.run("default", scale=0.05, out=tmp_path / "one", report=False)
    for file in ("records.parquet", "metrics.json"):
        assert (one.path / file).read_bytes() == (many.path / file).read_bytes(), file
