"""The event-driven engine equals the naive polling model (design: "Scale"; R6, R6a, R10, R28).

:class:`sim.engine.World` schedules a machine's check only when a check would do something;
:class:`reference_polling.PollingWorld` checks every machine at every check instant. Same
fleet, parameters, actors and seed: the records must be identical, column by column.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pytest
from helpers import AMA, CSE, DEP, MDE, MMA, allowlist, blocklist, one_group
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference_polling import PollingWorld

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
    Outcome,
    PathSpec,
    Records,
    Target,
    Timing,
    World,
    manager,
)
from sim.engine.policy import PolicyAdmin, PolicyRule, Remediation
from sim.engine.upgrades import AgentUpdate, AutoUpgrade

HOUR = 3_600.0
EXTENSIONS = (AMA, MMA, DEP, MDE)
COMMANDS = (
    allowlist(AMA, MMA),
    blocklist(DEP),
    "azcmagent config set extensions.enabled false",
    "azcmagent config set extensions.enabled true",
    "azcmagent config set config.mode monitor",
    "azcmagent config set config.mode full",
    "azcmagent config clear extensions.allowlist",
)
SCRIPTS = (
    "azcmagent config set extensions.enabled false",
    f'systemctl stop extd; azcmagent extension remove --name "{MMA}"; systemctl start extd',
    blocklist(AMA),
)
PATHS = (PathSpec("direct"), PathSpec("proxy", latency_s=2.0, bandwidth_bps=1e6, capacity=1))

ActorFactory = Callable[[], Any]


@dataclass(frozen=True)
class Scenario:
    """A fleet, parameters, actor factories (fresh actors for each world) and a horizon."""

    fleet: FleetSpec
    params: EngineParams
    actors: tuple[ActorFactory, ...]
    horizon: float

    def build(self, world_cls: type[World], seed: int, **kw: Any) -> World:
        world = world_cls(self.fleet, self.params, seed, **kw)
        for make in self.actors:
            world.add(make())
        return world


def run(scenario: Scenario, world_cls: type[World], seed: int) -> Records:
    return scenario.build(world_cls, seed).run(scenario.horizon)


def assert_same_records(ours: Records, theirs: Records) -> None:
    """Identical records: same columns, same length and ``np.array_equal`` on every column."""
    assert ours.columns.keys() == theirs.columns.keys()
    assert len(ours) == len(theirs)
    differing = [c for c in ours.columns if not np.array_equal(ours[c], theirs[c])]
    assert differing == []


# --- strategies ----------------------------------------------------------------------------------


def times(horizon: float) -> st.SearchStrategy[float]:
    return st.floats(0.0, horizon, allow_nan=False)


@st.composite
def groups(draw: st.DrawFn, index: int, count: int, horizon: float) -> GroupSpec:
    versions = draw(st.lists(st.sampled_from(("1.12", "1.20", "1.40")), min_size=1, max_size=3,
                             unique=True))
    shares = {v: float(draw(st.integers(1, 3))) for v in versions}
    installed = draw(st.lists(st.sampled_from(EXTENSIONS), max_size=3, unique=True))
    outages = draw(st.lists(st.builds(
        Outage, times(horizon), st.one_of(st.floats(60.0, horizon), st.just(50 * DAY)),
        st.sampled_from((0.5, 1.0))), max_size=2))
    return GroupSpec(f"g{index}", count, agent_versions=shares,
                     extensions=tuple(InstalledExtension(e) for e in installed),
                     path=draw(st.sampled_from(("direct", "proxy"))), outages=tuple(outages))


@st.composite
def params(draw: st.DrawFn) -> EngineParams:
    return EngineParams(
        push_reachable=draw(st.sampled_from((0.0, 1.0, 0.5))),
        check_jitter_s=draw(st.sampled_from((0.0, 45.0))),
        service_stop_s=draw(st.sampled_from((10.0, 600.0))),
        retry_refused_s=draw(st.sampled_from((0.0, 600.0))),
        install_failure_p=draw(st.sampled_from((0.0, 0.3))),
        catalog_mismatch_p=draw(st.sampled_from((0.0, 0.2))),
        expire_after_s=draw(st.sampled_from((45 * DAY, 1_800.0))),
        paths=PATHS,
    )


@st.composite
def timings(draw: st.DrawFn, horizon: float, rate: bool = False) -> Timing:
    if rate and draw(st.booleans()):
        return Timing(at=draw(times(horizon / 2)), rate=draw(st.sampled_from((1.0, 4.0))),
                      until=horizon)
    return Timing(at=draw(times(horizon)), window=draw(st.sampled_from((0.0, 600.0, HOUR))))


@st.composite
def actors(draw: st.DrawFn, i: int, group_names: tuple[str, ...], horizon: float) -> ActorFactory:
    """One actor factory: a cloud request, local commands or a local removal."""
    kind = draw(st.sampled_from(("request", "request", "commands", "removal")))
    target = Target(group=draw(st.sampled_from((None, *group_names))))
    name = f"actor{i}"
    if kind == "request":
        op = draw(st.sampled_from(("install", "update", "upgrade", "delete")))
        kw = dict(name=name, operation=op, extension=draw(st.sampled_from(EXTENSIONS)),
                  version="2.0" if op == "upgrade" else None, target=target,
                  timing=draw(timings(horizon)))
        return partial(CloudRequest, **kw)
    if kind == "commands":
        lines = tuple(draw(st.lists(st.sampled_from(COMMANDS), min_size=1, max_size=2)))
        kw = dict(name=name, commands=lines, target=target, timing=draw(timings(horizon)),
                  coverage=draw(st.sampled_from((1.0, 0.5))))
        return partial(LocalCommands, **kw)
    kw = dict(name=name, extension=draw(st.sampled_from((None, *EXTENSIONS))), target=target,
              timing=draw(timings(horizon, rate=True)))
    return partial(LocalRemoval, **kw)


@st.composite
def cloud_side_actors(draw: st.DrawFn, horizon: float) -> tuple[ActorFactory, ...]:
    """Automatic upgrade, agent update, DeployIfNotExists remediation, a script extension."""
    out: list[ActorFactory] = []
    if draw(st.booleans()):
        ext, at = draw(st.sampled_from((AMA, DEP, MDE))), draw(times(horizon))
        out.append(partial(AutoUpgrade, ext, "3.0", at=at, window=HOUR, batches=2,
                           batch_spread=1_800.0, retry_s=600.0))
    if draw(st.booleans()):
        timing = draw(timings(horizon))
        out.append(partial(AgentUpdate, "updater", timing=timing, version="1.40"))
    if draw(st.booleans()):
        at, first = draw(times(horizon)), draw(times(horizon))
        rule = PolicyRule.deploy_if_not_exists({"windows": AMA})
        out.append(partial(PolicyAdmin, "secops", "assign", "ama-dine", at=at, rule=rule))
        out.append(partial(Remediation, "dine", "ama-dine", period=1_800.0, first=first))
    if draw(st.booleans()):
        kw = dict(name="scripter", operation="install", extension=CSE,
                  settings=draw(st.sampled_from(SCRIPTS)), timing=draw(timings(horizon)))
        out.append(partial(CloudRequest, **kw))
    return tuple(out)


@st.composite
def scenarios(draw: st.DrawFn, cloud_side: bool = False) -> Scenario:
    """2-6 machines in 1-2 groups, a few hours, a random timeline of actors."""
    horizon = draw(st.sampled_from((2 * HOUR, 4 * HOUR)))
    if draw(st.booleans()):
        counts = [draw(st.integers(2, 6))]
    else:
        counts = [draw(st.integers(1, 3)), draw(st.integers(1, 3))]
    fleet = FleetSpec(tuple(draw(groups(i, c, horizon)) for i, c in enumerate(counts)))
    names = tuple(g.name for g in fleet.groups)
    n = draw(st.integers(1, 6))
    timeline = tuple(draw(actors(i, names, horizon)) for i in range(n))
    if cloud_side:
        timeline += draw(cloud_side_actors(horizon))
    return Scenario(fleet, draw(params()), timeline, horizon)


EQUIVALENCE = settings(max_examples=30, deadline=None,
                       suppress_health_check=[HealthCheck.too_slow])


# --- properties ----------------------------------------------------------------------------------


@EQUIVALENCE
@given(scenarios(), st.integers(0, 2**32 - 1))
def test_r6a_event_driven_equals_naive_polling(scenario: Scenario, seed: int) -> None:
    assert_same_records(run(scenario, World, seed), run(scenario, PollingWorld, seed))


@settings(EQUIVALENCE, max_examples=20)
@given(scenarios(cloud_side=True), st.integers(0, 2**32 - 1))
def test_r6a_event_driven_equals_naive_polling_with_upgrades_policy_and_scripts(
        scenario: Scenario, seed: int) -> None:
    assert_same_records(run(scenario, World, seed), run(scenario, PollingWorld, seed))


# --- the reference really polls ------------------------------------------------------------------


def test_polling_reference_checks_every_machine_at_every_instant(
        monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[float, int]] = []
    real = manager.on_check

    def spy(w: World, m: int) -> None:
        calls.append((w.env.now, m))
        real(w, m)

    monkeypatch.setattr(manager, "on_check", spy)
    fleet = FleetSpec((GroupSpec("g", 3),))
    w = PollingWorld(fleet, EngineParams(check_jitter_s=30.0), 1)
    w.run(HOUR)
    expected = sorted((w.check_time(m, k), m) for m in range(3) for k in range(13)
                      if w.check_time(m, k) < HOUR)
    assert sorted(calls) == expected
    assert len(w.records) == 0


def test_event_driven_world_checks_only_when_there_is_work(
        monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[float, int]] = []
    real = manager.on_check

    def spy(w: World, m: int) -> None:
        calls.append((w.env.now, m))
        real(w, m)

    monkeypatch.setattr(manager, "on_check", spy)
    w = World(FleetSpec((GroupSpec("g", 3, agent_versions={"1.12": 1.0}),)), seed=1)
    w.add(CloudRequest("admin", extension=AMA, target=Target(machines=(1,)),
                       timing=Timing(at=1_000.0)))
    w.run(DAY)
    assert calls == [(w.next_check(1, 1_000.0), 1)]


# --- edge cases that once differed (each is an exact tie or a rounding case) ---------------------


def one_machine(version: str = "1.12", **kw: Any) -> FleetSpec:
    return one_group(1, version, name="g", **kw)


def run_both(fleet: FleetSpec, params: EngineParams, factories: tuple[ActorFactory, ...],
             horizon: float, phase: float) -> tuple[World, World]:
    """Both models with machine 0's phase set to ``phase``."""
    worlds = []
    for cls in (World, PollingWorld):
        w = Scenario(fleet, params, factories, horizon).build(cls, 1)
        w.run(0.0)
        w.m_phase[0] = phase
        w.run(horizon)
        worlds.append(w)
    assert_same_records(worlds[0].records, worlds[1].records)
    return worlds[0], worlds[1]


def test_r6a_check_runs_at_its_exact_instant_whatever_the_rounding() -> None:
    # now + (check - now) != check in floating point for these two values: a check scheduled
    # by delay would miss its instant and the machine would never check again.
    now, check = 39.709860664265406, 219.83939429171684
    assert now + (check - now) != check
    w, _ = run_both(one_machine(), EngineParams(), (
        lambda: CloudRequest("admin", extension=AMA, timing=Timing(at=now)),), HOUR, check)
    assert w.installed_version(0, AMA) == "1.0"
    assert w.m_next[0] == float("inf")


def test_r6a_a_check_before_the_push_takes_the_request() -> None:
    # request at 998, push due at 1003, check at 1000: the check processes it
    w, _ = run_both(one_machine("1.40"), EngineParams(push_latency_s=5.0), (
        lambda: CloudRequest("admin", extension=AMA, timing=Timing(at=998.0)),), HOUR, 100.0)
    assert w.records["time"][1] == 1_000.0 + ((1.0 + 60e6 / 50e6) + 60.0)


def test_r10_retry_due_at_a_check_instant_is_taken_by_that_check() -> None:
    # refused at the check at 400, retried at 400 + 600 = 1000, itself a check instant: the
    # check at 1000 comes after the retry (a check is the last event of its machine's instant)
    w, _ = run_both(one_machine("1.40", commands=(allowlist(MMA),)),
                    EngineParams(push_reachable=0.0, retry_refused_s=600.0), (
        lambda: CloudRequest("admin", extension=AMA, timing=Timing(at=350.0)),), HOUR, 100.0)
    blocked = w.records["time"][w.records["outcome"] == Outcome.BLOCKED].tolist()
    assert blocked == [400.0, 1_000.0, 1_600.0, 2_200.0, 2_800.0, 3_400.0]


def test_r6_update_while_missing_locally_is_followed_by_a_resync() -> None:
    # the service is back after 10 s, while the update (20 s) still runs: when the update
    # completes, Azure says Succeeded and the extension is missing, so the next check reinstalls
    w, _ = run_both(one_machine("1.40", installed=(AMA,)),
                    EngineParams(service_stop_s=10.0), (
        lambda: CloudRequest("admin", operation="update", extension=AMA,
                             timing=Timing(at=1_000.0)),
        lambda: LocalRemoval("cleanup", extension=AMA, timing=Timing(at=1_010.0))),
        HOUR, 100.0)
    assert w.installed_version(0, AMA) == "1.0"


def test_r28_reconnect_at_a_check_instant_is_checked_at_once() -> None:
    w, _ = run_both(one_machine(outages=(Outage(900.0, 1_000.0),)), EngineParams(), (
        lambda: CloudRequest("admin", extension=AMA, timing=Timing(at=1_010.0)),), HOUR, 100.0)
    assert w.records["time"][-1] == 1_900.0 + ((1.0 + 60e6 / 50e6) + 60.0)
