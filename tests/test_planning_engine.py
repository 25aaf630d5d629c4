"""A plan says what the engine does (R6, R7, R13-R15, R19, R21-R26, R30).

For random small fleets, lockdowns, Deny policies, requested extensions and agent updates,
under random readings of what the sources leave open (the scenario's ``params``) and random
``catalogue:`` entries (hosting, automatic-upgrade support, runs-scripts flags), each verdict
of ``sim.plan`` equals what a simulation does when that request arrives after the lockdown is
in place: the world is built from the same scenario, the agents are updated, the lockdown's
commands run on every machine, and two hours later the request is sent (or the automatic
upgrade rolls out, or the extension is removed locally); the record it leaves is read back.
One world per kind of request, so that requests do not meet each other. The open override
paths the plan leaves are the ones the world counts once the lockdown is in place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import PLAN_EXTENSIONS, PLAN_VERSIONS, lockdown_lines, plan_groups

from sim.engine import DAY, LocalCommands, Op, Outcome, Target, Timing, World
from sim.engine.codes import REASONS, RULES
from sim.engine.endstate import exposure_at_end
from sim.engine.upgrades import AgentUpdate, AutoUpgrade
from sim.planning import Plan, plan
from sim.rules.commands import parse
from sim.rules.exposure import OverridePath
from sim.rules.identity import ExtensionId
from sim.rules.runbook import runbook_lines
from sim.rules.versions import AgentVersion, Feature, has
from sim.scenario.build import build_world
from sim.scenario.schema import Scenario

T_UPDATE, T_LOCK, T_REQUEST = 10.0, 20.0, 7_200.0
"""Agent update, lockdown, then requests when every check and resync has settled."""
T_END = T_REQUEST + DAY
UPGRADE_TO = "99.0"
_PLAN_OUTCOME = {Outcome.DENIED: "denied", Outcome.BLOCKED: "blocked",
                 Outcome.SUCCEEDED: "allowed", Outcome.ORPHANED: "orphaned"}
_REQUEST_OPS = {"install": Op.INSTALL, "update": Op.UPDATE, "upgrade": Op.UPGRADE,
                "delete": Op.DELETE}


@dataclass(frozen=True)
class Case:
    """A fleet (as a scenario), a lockdown and what the plan is asked."""

    scenario: Scenario
    fleet_lines: tuple[str, ...]
    first_group_lines: tuple[str, ...] | None
    requests: tuple[str, ...]
    update: str | None

    def made(self) -> Plan:
        groups = {} if self.first_group_lines is None else {"g0": list(self.first_group_lines)}
        return plan(self.scenario, list(self.fleet_lines), groups=groups,
                    requests=list(self.requests), agent_version=self.update)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    groups = [draw(plan_groups(i)) for i in range(draw(st.integers(1, 2)))]
    deny = draw(st.lists(st.sampled_from(PLAN_EXTENSIONS), max_size=2, unique=True))
    data: dict[str, Any] = {"name": "plan-case", "duration": "2d",
                            "seed": draw(st.integers(0, 10_000)), "fleet": groups,
                            "params": draw(readings()), "catalogue": draw(catalogue_entries())}
    if deny:
        data["policies"] = [{"name": "no-listed", "deny": deny,
                             "scope": draw(st.sampled_from([None, "g0"]))}]
    return Case(Scenario.model_validate(data),
                tuple(draw(st.lists(lockdown_lines(), max_size=5))),
                draw(st.none() | st.lists(lockdown_lines(), max_size=4).map(tuple)),
                tuple(draw(st.lists(st.sampled_from(PLAN_EXTENSIONS), max_size=2,
                                    unique=True))),
                draw(st.none() | st.sampled_from(PLAN_VERSIONS)))


def readings() -> st.SearchStrategy[dict[str, Any]]:
    """The scenario ``params`` that choose how the rules read an open question."""
    return st.fixed_dictionaries({
        "allow_none_before_1_35": st.sampled_from(["refused", "ordinary_entry"]),
        "malformed_list_entry": st.sampled_from(["command_fails", "valid_entries_apply"]),
        "deny_refuses_automatic_upgrades": st.booleans(),
        "disabled_manager_requests": st.sampled_from(["fail", "wait"]),
    })


def catalogue_entries() -> st.SearchStrategy[dict[str, dict[str, Any]]]:
    """A scenario's ``catalogue:`` entries for some plan extensions: hosting (R24), automatic
    upgrade support (R25), runs scripts (R7)."""
    facts = st.fixed_dictionaries({"runs_scripts": st.booleans()}, optional={
        "hosting": st.sampled_from(["manager", "service"]), "auto_upgrade": st.booleans()})
    return st.dictionaries(st.sampled_from(PLAN_EXTENSIONS), facts, max_size=3)


# --- the engine's side ------------------------------------------------------------------------


def world_of(case: Case, *actors: Any) -> World:
    """The case's world two hours after its lockdown (plus ``actors``)."""
    world = build_world(case.scenario)
    for name in PLAN_EXTENSIONS:
        world.extension(name)
    if case.update is not None:
        world.add(AgentUpdate("agent_update", timing=Timing(at=T_UPDATE), version=case.update))
    for i, group in enumerate(case.scenario.fleet):
        lines = case.first_group_lines if i == 0 and case.first_group_lines is not None \
            else case.fleet_lines
        texts = [line.text for line in runbook_lines(list(lines)).lines]
        if texts:
            world.add(LocalCommands("lockdown", target=Target(group=group.group),
                                    timing=Timing(at=T_LOCK), commands=texts))
    for actor in actors:
        world.add(actor)
    world.run(T_REQUEST)
    return world


def read(world: World, op: Op, since: float, actor: int | None = None
         ) -> dict[tuple[int, int], tuple[str, str, str]]:
    """(machine, extension index) -> (plan outcome, reason, rule) of ``op``'s records after
    ``since``: the last decided record, or "waits" when the request was only accepted."""
    r = world.records
    found: dict[tuple[int, int], tuple[str, str, str]] = {}
    for i in range(len(r)):
        if r["operation"][i] != op or r["time"][i] < since or (
                actor is not None and r["actor"][i] != actor):
            continue
        key = (int(r["machine"][i]), int(r["extension"][i]))
        outcome = Outcome(int(r["outcome"][i]))
        if outcome in _PLAN_OUTCOME:
            found[key] = (_PLAN_OUTCOME[outcome], REASONS[int(r["reason"][i])],
                          RULES[int(r["rule"][i])])
        elif outcome is Outcome.REQUESTED:
            found.setdefault(key, ("waits", "service_stopped", "R6"))
    return found


def index(world: World, name: str) -> int:
    return world.ext_index[ExtensionId.parse(name).key]


def assert_same(rows: Iterable[Any], action: str, engine: dict[tuple[int, int], Any],
                world: World, *, missing: tuple[str, str, str] = ("waits", "service_stopped",
                                                                  "R6")) -> None:
    """Each row's planned ``action`` verdict equals the engine's record (reason and rule too,
    unless allowed; a wait leaves no record of why)."""
    for row in rows:
        planned = getattr(row, action)
        got = engine.get((row.machine, index(world, row.extension)), missing)
        expected = (planned, getattr(row, f"{action}_reason"), getattr(row, f"{action}_rule"))
        if planned in ("allowed", "not_offered", "waits"):
            assert got[0] == planned, (action, row, got)
        else:
            assert got == expected, (action, row, got)


# --- the property -----------------------------------------------------------------------------


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_plan_verdicts_equal_what_the_engine_does(case: Case) -> None:
    made = case.made()
    rows = made.verdicts
    check_rows_cover_installed(case, made)
    check_running(case, rows)
    for action, op in _REQUEST_OPS.items():
        check_request(case, rows, action, op)
    check_auto_upgrade(case, rows)
    check_reinstall(case, rows)
    check_open_paths(case, made)
    check_refusals(case, made)


def check_rows_cover_installed(case: Case, made: Plan) -> None:
    installed = {g.group: {ExtensionId.parse(e.name).name for e in g.extensions}
                 for g in case.scenario.fleet}
    for m in made.machines.itertuples():
        listed = set(made.verdicts.loc[made.verdicts.machine == m.machine, "extension"])
        assert installed[str(m.group)] <= listed


def check_running(case: Case, rows: pd.DataFrame) -> None:
    world = world_of(case)
    for row in rows[rows.running.notna()].itertuples():
        back = row.running == "removed" and row.reinstall == "allowed"
        assert world.is_running(row.machine, row.extension) == (
            row.running == "keeps_running" or back), row


def check_request(case: Case, rows: pd.DataFrame, action: str, op: Op) -> None:
    world = world_of(case)
    asked = rows[rows[action].notna()]
    admin = world.actor("cloud_admin")
    for row in asked.itertuples():
        world.request(row.machine, index(world, row.extension), op, admin)
    world.run(T_END)
    assert_same(asked.itertuples(), action, read(world, op, T_REQUEST), world)


def check_auto_upgrade(case: Case, rows: pd.DataFrame) -> None:
    rollouts = [AutoUpgrade(name, UPGRADE_TO, at=T_REQUEST, batches=1, window=60.0,
                            batch_spread=0.0, max_retries=0) for name in PLAN_EXTENSIONS]
    world = world_of(case, *rollouts)
    world.run(T_END)
    engine = read(world, Op.UPGRADE, T_REQUEST, world.actor(rollouts[0].name))
    asked = rows[rows.auto_upgrade.notna()]
    assert_same(asked.itertuples(), "auto_upgrade", engine, world,
                missing=("not_offered", "automatic_upgrade_unsupported", "R25"))
    for row in rows[rows.auto_upgrade.isna()].itertuples():
        assert (row.machine, index(world, row.extension)) not in engine, row


def check_reinstall(case: Case, rows: pd.DataFrame) -> None:
    world = world_of(case)
    removed = rows[rows.status == "removed_locally"]
    engine = read(world, Op.REINSTALL, T_LOCK)
    assert_same(removed.itertuples(), "reinstall", engine, world)
    local = world.actor("local_admin")
    removable = [row for row in rows[rows.status == "installed"].itertuples()
                 if has(world.config(row.machine).version, Feature.EXTENSION_CLI)]
    for row in removable:
        running = bool(world.m_service[row.machine])
        lines = ["systemctl stop extd", f'azcmagent extension remove --name "{row.extension}"',
                 "systemctl start extd"]
        for line in lines if running else lines[1:2]:
            world.run_command(row.machine, parse(line), local)
    world.run(T_END)
    assert_same(removable, "reinstall", read(world, Op.REINSTALL, T_REQUEST), world)


def check_refusals(case: Case, made: Plan) -> None:
    """Each machine's refused lockdown lines: as many in the plan as the world refused."""
    world = world_of(case)
    r, lockdown = world.records, world.actor("lockdown")
    refused = [int(r["machine"][i]) for i in range(len(r))
               if r["actor"][i] == lockdown and r["outcome"][i] == Outcome.REFUSED]
    planned = made.refusals.machine.value_counts().to_dict()
    assert pd.Series(refused, dtype=int).value_counts().to_dict() == planned, made.refusals


def check_open_paths(case: Case, made: Plan) -> None:
    """Machines per open override path: the plan's, and the world's once the lockdown is in
    place (the same definition, :func:`sim.rules.exposure.open_paths`, with the scenario's
    catalogue)."""
    world = world_of(case)
    counts = exposure_at_end(world)
    planned = made.open_paths.groupby("path").machine.nunique().to_dict()
    for path in OverridePath:
        assert planned.get(path.value, 0) == counts["open", path.value], (path, made.open_paths)


def test_versions_of_mixed_groups_are_the_runs() -> None:
    """A mixed group's machines run, in the plan, the agent versions a run gives them."""
    scenario = Scenario.model_validate({
        "name": "mixed", "duration": "1d", "seed": 5,
        "fleet": [{"group": "mixed", "count": 200,
                   "agent_versions": {"1.12": 0.3, "1.30": 0.3, "1.45": 0.4}}]})
    world = build_world(scenario)
    world.run(1.0)
    made = plan(scenario)
    run_versions = [str(world.config(m).version) for m in range(200)]
    assert list(made.machines.agent_version.astype(str)) == run_versions
    assert {AgentVersion.parse(v) for v in run_versions} == {
        AgentVersion.parse(v) for v in ("1.12", "1.30", "1.45")}
