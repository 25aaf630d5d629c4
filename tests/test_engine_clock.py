"""The engine's clock: SimPy's time, the equal-time order, and an exact event count."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import simpy

from sim.engine.clock import GLOBAL_PRIORITY, Clock, Kind, machine_priority, schedule_each
from sim.engine.world import World
from sim.scenario.build import build_world
from sim.scenario.loading import load_scenario

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))


def test_now_is_simpys_time() -> None:
    clock = Clock()
    seen: list[tuple[float, float]] = []

    def note(_e: Any) -> None:
        seen.append((clock.now, simpy.Environment.now.fget(clock)))  # type: ignore[attr-defined]

    for delay in (2.5, 7.0):
        clock.at(delay, 8, note)
    clock.timeout(4.0).callbacks.append(note)
    clock.run(until=10.0)
    assert seen == [(2.5, 2.5), (4.0, 4.0), (7.0, 7.0)]
    assert clock.now == 10.0


def test_equal_time_events_run_by_key_then_by_scheduling_order() -> None:
    clock = Clock()
    order: list[str] = []

    def note(name: str) -> Any:
        return lambda _e: order.append(name)

    clock.at(5.0, machine_priority(1, Kind.SYNC), note("m1 check"))
    clock.at_instant(5.0, machine_priority(1, Kind.EFFECT), note("m1 effect"))
    clock.at(5.0, machine_priority(0, Kind.SYNC), note("m0 check"))
    clock.timeout(5.0).callbacks.append(note("resource grant (NORMAL)"))
    clock.at_fleet(5.0, note("fleet"))
    clock.at(5.0, machine_priority(0, Kind.SYNC), note("m0 check, later"))
    clock.run(until=6.0)
    assert order == ["fleet", "resource grant (NORMAL)", "m0 check", "m0 check, later",
                     "m1 effect", "m1 check"]
    assert clock.fleet_events == 1 and GLOBAL_PRIORITY < 1


def test_an_event_at_exactly_until_waits_for_the_next_run() -> None:
    clock = Clock()
    done: list[float] = []
    clock.at(10.0, 8, lambda _e: done.append(clock.now))
    clock.run(until=10.0)
    assert done == []
    clock.run(until=20.0)
    assert done == [10.0]


def test_chains_run_at_their_exact_times_lower_rank_first() -> None:
    clock = Clock()
    done: list[tuple[float, str, int]] = []
    times = np.array([3.0, 1.0, 0.1 + 0.2])
    schedule_each(clock, times, [2, 0, 1], lambda m: done.append((clock.now, "late", m)),
                  rank=1)
    schedule_each(clock, [3.0], [2], lambda m: done.append((clock.now, "early", m)))
    clock.run(until=4.0)
    assert done == [(0.1 + 0.2, "late", 1), (1.0, "late", 0), (3.0, "early", 2),
                    (3.0, "late", 2)]


def test_a_process_can_wait_for_an_instant() -> None:
    clock = Clock()
    woke: list[float] = []

    def sleeper() -> Any:
        yield clock.timeout_at(0.1 + 0.2, 8)
        woke.append(clock.now)

    clock.process(sleeper())
    clock.run(until=1.0)
    assert woke == [0.1 + 0.2]


def counting_steps(world: World, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A one-element list counting the events the world's clock pops (stop events included)."""
    steps = [0]
    step = world.env.step

    def counted() -> None:
        steps[0] += 1
        step()

    monkeypatch.setattr(world.env, "step", counted)
    return steps


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_event_count_is_exact_on_every_shipped_scenario(
        path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert SHIPPED
    scenario = load_scenario(path)
    world = build_world(scenario, base=path.parent)
    steps = counting_steps(world, monkeypatch)
    runs = 7  # every run(until) call adds a stop event, processed twice but for the last
    for i in range(1, runs + 1):
        world.run(scenario.duration * i / runs)
        assert world.events_processed() == steps[0] - (2 * i - 1)
    assert world.events_processed() > 0


def test_reading_the_event_count_changes_nothing() -> None:
    scenario = load_scenario(ROOT / "scenarios" / "reinstall-storm-private-endpoint.yaml")
    read, unread = build_world(scenario), build_world(scenario)
    counts = []
    for i in range(1, 21):
        read.run(scenario.duration * i / 20)
        counts.append(read.events_processed())
        counts.append(read.events_processed())
    unread.run(scenario.duration)
    for name in read.records.columns:
        assert np.array_equal(read.records[name], unread.records[name]), name
    assert counts == sorted(counts) and counts[-1] == counts[-2]
    assert (counts[-1], read.fleet_events) == (unread.events_processed(), unread.fleet_events)
