"""What a scenario can now say (R2, R6a, R7, R23, R24, R25, R28): its own catalogue entries,
automatic upgrade switched off per extension (and through the inventory export), re-onboarding,
push reachability per group, and the open questions as ``params``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.engine import World
from sim.engine.codes import Op, Outcome
from sim.engine.metrics import summarise
from sim.engine.snapshot import snapshot
from sim.results.inventory_export import write_inventory
from sim.rules.catalogue import Hosting
from sim.rules.identity import ExtensionId
from sim.scenario.build import build_world
from sim.scenario.inventory import load_inventory
from sim.scenario.loading import load_scenario, scenario_from_text
from sim.scenario.source import ScenarioError

AMA = "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent"
DEP = "Microsoft.Azure.Monitoring.DependencyAgent/DependencyAgentWindows"
MDE = "Microsoft.Azure.AzureDefenderForServers/MDE.Windows"
CONTOSO = "Contoso.Security/ContosoAgent"
CSE = "Microsoft.Compute/CustomScriptExtension"


def run(text: str) -> World:
    scenario = scenario_from_text(text)
    world = build_world(scenario)
    world.run(scenario.duration)
    return world


def count(world: World, op: Op, outcome: Outcome) -> int:
    r = world.records
    return int(np.count_nonzero((r["operation"] == op) & (r["outcome"] == outcome)))


CATALOGUE = f"""\
name: catalogue
duration: 3d
seed: 2
catalogue:
  {CONTOSO}: {{auto_upgrade: true, hosting: service, runs_scripts: true, size: 5MB}}
  {MDE}: {{auto_upgrade: true}}
  {AMA}: {{hosting: service}}
fleet:
  - group: win
    count: 3
    agent_version: "1.45"
    extensions: [{AMA}, {MDE}, {CONTOSO}]
timeline:
  - at: 1h
    run: [azcmagent config set extensions.enabled false]
  - auto_upgrade: {{extension: {CONTOSO}, version: "2.0", window: 1h, batches: 1}}
  - auto_upgrade: {{extension: {MDE}, version: "2.0", window: 1h, batches: 1}}
"""


def test_r24_r25_r2_r7_scenario_catalogue_entries_change_known_and_add_new_extensions() -> None:
    scenario = scenario_from_text(CATALOGUE)
    world = build_world(scenario)
    contoso = world.catalogue.get(ExtensionId.parse(CONTOSO))
    assert contoso is not None
    assert (contoso.auto_upgrade, contoso.hosting, contoso.runs_scripts, contoso.size_bytes) == (
        True, Hosting.SERVICE, True, 5_000_000)
    world.run(scenario.duration)
    # automatic upgrade where the scenario says the publisher supports it (R25)
    assert count(world, Op.UPGRADE, Outcome.SUCCEEDED) == 6
    r = world.records
    done = (r["operation"] == Op.UPGRADE) & (r["outcome"] == Outcome.SUCCEEDED)
    assert set(r["bytes"][done].tolist()) == {5_000_000, 80_000_000}
    # the Azure Monitor agent declared its own service: it keeps running (R24)
    assert summarise(world)["coverage"]["extensions_not_running"] == 0


def test_scenario_catalogue_entry_needs_a_valid_name_and_known_fields() -> None:
    with pytest.raises(ScenarioError) as caught:
        scenario_from_text(CATALOGUE.replace(f"  {AMA}: {{hosting: service}}",
                                             "  NotAnExtension: {hosting: service}"))
    assert "catalogue" in str(caught.value)
    with pytest.raises(ScenarioError) as caught:
        scenario_from_text(CATALOGUE.replace("{hosting: service}", "{hosting: daemon}"))
    assert "hosting" in str(caught.value)


OPT_OUT = f"""\
name: opt-out
duration: 2d
seed: 3
fleet:
  - group: win
    count: 4
    agent_version: "1.45"
    extensions:
      - {{name: {DEP}, version: "9.10", auto_upgrade: false}}
      - {{name: {AMA}, version: "1.20"}}
timeline:
  - auto_upgrade: {{extension: {DEP}, version: "9.11", window: 1d, batches: 1}}
  - auto_upgrade: {{extension: {AMA}, version: "1.22", window: 1d, batches: 1}}
    actor: ama-upgrade
"""


def test_r25_enable_automatic_upgrade_false_in_a_scenario_and_in_the_inventory(
        tmp_path: Path) -> None:
    world = run(OPT_OUT)
    r = world.records
    upgraded = r["extension"][(r["operation"] == Op.UPGRADE) & (r["outcome"] ==
                                                                 Outcome.SUCCEEDED)]
    assert {world.ext_ids[x].name for x in upgraded.tolist()} == {AMA}
    machines, extensions = write_inventory(snapshot(world), tmp_path / "inventory")
    raw = json.loads(extensions.read_text(encoding="utf-8"))["value"]
    switch = {(item["properties"]["type"], item["properties"]["enableAutomaticUpgrade"])
              for item in raw}
    assert switch == {("DependencyAgentWindows", False), ("AzureMonitorWindowsAgent", True)}
    inventory = load_inventory(machines, extensions)
    flags = {(e.extension.name, e.automatic_upgrade) for m in inventory.machines
             for e in m.extensions}
    assert flags == {(DEP, False), (AMA, True)}
    # read back into a scenario, the switch stays off
    again = tmp_path / "again.yaml"
    again.write_text("name: again\nduration: 1h\nfleet:\n  from: [inventory/machines.json, "
                     "inventory/extensions.json]\n", encoding="utf-8")
    loaded = load_scenario(again)
    installed = {(e.name, e.auto_upgrade) for g in loaded.fleet for e in g.extensions}
    assert installed == {(DEP, False), (AMA, True)}


REONBOARD = f"""\
name: reonboard
duration: 20d
seed: 4
params: {{expire_after: 3d}}
fleet:
  - group: lost
    count: 3
    agent_version: "1.45"
    extensions: [{AMA}]
    outages: [{{at: 1d, duration: 30d}}]
timeline:
  - at: 10d
    actor: server-admin
    reonboard: true
  - at: 11d
    install: {MDE}
"""


def test_r28_reonboard_is_a_timeline_action() -> None:
    world = run(REONBOARD)
    assert count(world, Op.CONNECTIVITY, Outcome.EXPIRED) == 3
    assert count(world, Op.CONNECTIVITY, Outcome.CONNECTED) == 3
    assert count(world, Op.INSTALL, Outcome.SUCCEEDED) == 3  # processes requests again
    assert all(world.provisioning_state(m, AMA) == "" for m in range(3))
    assert summarise(world)["coverage"]["machines_with_drift"] == 3


def test_r28_reonboard_can_reset_the_local_configuration() -> None:
    text = REONBOARD.replace("reonboard: true", "reonboard: {keep_config: false}").replace(
        f"    extensions: [{AMA}]", f"    extensions: [{AMA}]\n    commands: "
        f"['azcmagent config set extensions.allowlist \"{AMA}\"']")
    world = run(text)
    assert all(not world.config(m).allowlist for m in range(3))
    assert count(world, Op.INSTALL, Outcome.BLOCKED) == 0


PUSH = f"""\
name: push
duration: 1d
params: {{push_reachable: 0.0}}
fleet:
  - {{group: pushed, count: 5, agent_version: "1.45", push_reachable: 1.0}}
  - {{group: polled, count: 5, agent_version: "1.45"}}
timeline:
  - {{at: 1h, install: {AMA}}}
"""


def test_r6a_push_reachability_per_group_in_a_scenario() -> None:
    world = run(PUSH)
    assert list(world.m_push) == [1] * 5 + [0] * 5


@pytest.mark.parametrize(("mode", "blocked"), [("fail", 3), ("wait", 0)])
def test_r23_disabled_manager_requests_param_in_a_scenario(mode: str, blocked: int) -> None:
    text = f"""\
name: waiting
duration: 2d
params: {{disabled_manager_requests: {mode}}}
fleet:
  - {{group: win, count: 3, agent_version: "1.45"}}
timeline:
  - {{at: 1h, run: [azcmagent config set extensions.enabled false]}}
  - {{at: 2h, install: {AMA}}}
  - {{at: 1d, actor: admin2, run: [azcmagent config set extensions.enabled true]}}
"""
    world = run(text)
    assert count(world, Op.INSTALL, Outcome.BLOCKED) == blocked
    assert count(world, Op.INSTALL, Outcome.SUCCEEDED) == 3 - blocked


def test_open_question_params_are_validated() -> None:
    base = "name: p\nduration: 1h\nfleet: [{group: g, count: 1, agent_version: \"1.45\"}]\n"
    for key, value in (("disabled_manager_requests", "queue"),
                       ("allow_none_before_1_35", "maybe"),
                       ("malformed_list_entry", "drop")):
        with pytest.raises(ScenarioError) as caught:
            scenario_from_text(base + f"params: {{{key}: {value}}}\n")
        assert key in str(caught.value)
    scenario = scenario_from_text(base + "params: {deny_refuses_automatic_upgrades: true}\n")
    assert build_world(scenario).params.deny_refuses_automatic_upgrades


def test_r19_every_report_using_monitor_mode_says_its_list_is_an_assumption() -> None:
    from sim.report.assumptions import assumption_notes
    from sim.scenario import library

    monitor = load_scenario(library.find("monitor-mode"))
    (note,) = [n for n in assumption_notes(monitor) if "monitor-mode allowlist" in n]
    assert "not an audit mode" in note and "does not publish" in note
    plain = load_scenario(library.find("policy-deny-override"))
    assert assumption_notes(plain) == []
    assert any("catalogue entries" in n for n in assumption_notes(scenario_from_text(CATALOGUE)))


@pytest.mark.parametrize("text", [REONBOARD, OPT_OUT, CATALOGUE], ids=["reonboard", "opt-out",
                                                                       "catalogue"])
def test_new_scenario_features_give_the_same_records_split_into_shards(text: str) -> None:
    from sim.runs.execute import run_world
    from sim.runs.merge import output_of

    scenario = scenario_from_text(text)
    whole = build_world(scenario)
    whole.run(scenario.duration)
    one = output_of(snapshot(whole))
    many = run_world(scenario, None, shards=2, workers=1).output
    assert [c for c in one.columns if not np.array_equal(one.columns[c], many.columns[c])] == []
    assert one.metrics == many.metrics


@pytest.mark.parametrize(("flag", "tamperers"), [("", {"ops"}), ("    override: false\n", set())])
def test_r17_report_counts_a_script_sender_as_a_tamperer_unless_trusted(
        flag: str, tamperers: set[str], tmp_path: Path) -> None:
    """The report reads tampering from the records (configuration changes under R17), which
    say what the engine did: a script sender is a tamperer unless trusted."""
    from sim.results.selections import override_actions

    text = f"""\
name: scripts
duration: 1d
fleet:
  - group: win
    count: 2
    agent_version: "1.45"
    commands: ['azcmagent config set extensions.allowlist "{AMA},{CSE}"']
timeline:
  - at: 1h
    actor: ops
{flag}    settings: azcmagent config clear extensions.allowlist
    install: {CSE}
  - at: 2h
    actor: dev
    install: {MDE}
"""
    result = sim.run(scenario_from_text(text), out=tmp_path, report=False)
    records = result.records
    config = records[override_actions(records) & (records["operation"] == "config")]
    assert set(config["actor"].astype(str)) == tamperers
