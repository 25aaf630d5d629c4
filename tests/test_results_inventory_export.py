"""The final fleet as Azure's inventory export (sim.results.inventory_export): what Azure shows
after a run, read back by the importer (round trip) and fed into a new scenario."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from helpers import Arcsim

import sim
from sim.engine import World
from sim.engine.codes import Prov
from sim.engine.snapshot import snapshot
from sim.results.inventory_export import (
    EXTENSIONS_FILE,
    FOLDER,
    MACHINES_FILE,
    machine_name,
    write_inventory,
)
from sim.rules.config import AgentConfig, Mode
from sim.runs.execute import advance
from sim.runs.single import resolve
from sim.scenario.build import build_world
from sim.scenario.inventory import Machine, intended_config, load_inventory
from sim.scenario.loading import load_scenario

CASES = """\
name: export-cases
duration: 1d
seed: 5
fleet:
  - group: allow-none
    count: 2
    agent_version: "1.45"
    region: northeurope
    tags: {env: prod}
    extensions: [Microsoft.Azure.Monitor/AzureMonitorWindowsAgent]
    commands: ['azcmagent config set extensions.allowlist "Allow/None"']
  - group: monitor
    count: 2
    os: linux
    agent_version: "1.45"
    commands: [azcmagent config set config.mode monitor]
  - group: offline
    count: 2
    agent_version: "1.30"
    sql_server: true
    outages: [{at: 23h, duration: 2d}]
  - group: expired
    count: 1
    agent_version: "1.30"
    outages: [{at: 1h, duration: 2d}]
  - group: cleaned
    count: 2
    agent_version: "1.45"
    extensions: [Microsoft.Azure.Monitor/AzureMonitorWindowsAgent]
  - group: manager-off
    count: 2
    agent_version: "1.45"
    extensions: [Microsoft.EnterpriseCloud.Monitoring/MicrosoftMonitoringAgent]
    commands: [azcmagent config set extensions.enabled false]
params:
  service_stop: 1d
  expire_after: 1h 30m
timeline:
  - at: 23h
    actor: local-cleanup
    target: {group: cleaned}
    remove_locally: all
  - at: 2h
    actor: ops
    target: {group: manager-off}
    delete: Microsoft.EnterpriseCloud.Monitoring/MicrosoftMonitoringAgent
  - at: 3h
    actor: ops
    target: {group: allow-none}
    install: Microsoft.Compute/CustomScriptExtension
  - at: 23h 30m
    actor: ops
    target: {group: offline}
    settings: '{"workspaceId": "w1"}'
    install: Microsoft.EnterpriseCloud.Monitoring/MicrosoftMonitoringAgent
"""


def _run_world(source: str | Path, **options: Any) -> World:
    scenario, path = resolve(source, **options)
    world = build_world(scenario, base=path.parent if path else None)
    advance(world, scenario.duration)
    return world


def _export(world: World,
            folder: Path) -> tuple[dict[str, Machine], dict[str, Any], dict[str, Any]]:
    """The re-imported machines by name, and the raw machine and extension documents."""
    machines, extensions = write_inventory(snapshot(world), folder)
    inventory = load_inventory(machines, extensions)
    raw_m = json.loads(machines.read_text(encoding="utf-8"))
    raw_x = json.loads(extensions.read_text(encoding="utf-8"))
    return {m.name: m for m in inventory.machines}, raw_m, raw_x


@pytest.fixture(scope="module")
def default_world() -> World:
    return _run_world("default", scale=0.02)


@pytest.fixture(scope="module")
def cases_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    path = tmp_path_factory.mktemp("cases") / "cases.yaml"
    path.write_text(CASES, encoding="utf-8")
    return _run_world(path)


def _sorted_lists(config: AgentConfig) -> AgentConfig:
    """``config`` with its lists in name order (exports and the importer sort them)."""
    return replace(config, allowlist=tuple(sorted(config.allowlist, key=lambda e: e.key)),
                   blocklist=tuple(sorted(config.blocklist, key=lambda e: e.key)))


def _reads_back(machine: Machine, config: AgentConfig) -> bool:
    """The importer's configuration for ``machine`` is ``config`` (lists in any order)."""
    return intended_config(machine.config, config.version) == _sorted_lists(config)


def _azure_view(world: World, m: int) -> dict[str, tuple[str, str]]:
    """Extension key -> (provisioning state, version) of the resources Azure holds for m."""
    found = {}
    for x, ext in enumerate(world.ext_ids):
        s = m * world.n_ext + x
        prov = Prov(world.s_prov[s])
        if prov is not Prov.NONE:
            code = world.s_want[s] if world.s_want[s] >= 0 else world.s_inst[s]
            found[ext.key] = (prov.name.capitalize(), world.ext_versions[x][code])
    return found


def test_r8_round_trip_machines_match_the_final_world(default_world: World,
                                                      tmp_path: Path) -> None:
    world = default_world
    machines, _, _ = _export(world, tmp_path)
    assert len(machines) == world.n_machines
    for m in range(world.n_machines):
        machine, group = machines[machine_name(m)], world.fleet.groups[world.m_group[m]]
        config = world.config(m)
        assert machine.resource_group == group.name and machine.os == group.os
        assert machine.location == group.region and machine.status.value == "Connected"
        assert machine.agent_version == config.version
        assert _reads_back(machine, config)
        assert {e.key for e in machine.config.allowlist} == {e.key for e in config.allowlist}
        states = {e.extension.key: (e.provisioning_state, e.version) for e in machine.extensions}
        assert states == _azure_view(world, m)
        for ext in machine.installed:  # Succeeded: on the disk unless removed locally (R6)
            if ext.is_failed:  # Failed: imported as on the machine, whatever its disk holds
                continue
            on_disk = world.installed_version(m, ext.extension.name)
            s = m * world.n_ext + world.ext_index[ext.extension.key]
            assert on_disk == ext.version or (on_disk is None and s in world.s_removed)


def test_r8_locked_down_allowlist_is_publisher_type_objects(default_world: World,
                                                            tmp_path: Path) -> None:
    _, raw, _ = _export(default_world, tmp_path)
    locked = [r for r in raw["value"]
              if r["properties"]["agentConfiguration"]["extensionsAllowList"]]
    assert locked, "the default lockdown reaches some machines"
    config = locked[0]["properties"]["agentConfiguration"]
    assert {"publisher": "Microsoft.Azure.Monitor", "type": "AzureMonitorWindowsAgent"} in \
        config["extensionsAllowList"] or {"publisher": "Microsoft.Azure.Monitor",
                                          "type": "AzureMonitorLinuxAgent"} in \
        config["extensionsAllowList"]
    assert config["guestConfigurationEnabled"] == "false" and config["configMode"] == "full"
    assert config["extensionsBlockList"] is None


def test_r6c_r10_refused_upgrades_show_failed(default_world: World, tmp_path: Path) -> None:
    _, _, raw = _export(default_world, tmp_path)
    states = [r["properties"]["provisioningState"] for r in raw["value"]]
    assert "Failed" in states and "Succeeded" in states
    failed = next(r for r in raw["value"] if r["properties"]["provisioningState"] == "Failed")
    assert failed["id"].endswith("/extensions/" + failed["properties"]["type"])
    assert failed["type"] == "Microsoft.HybridCompute/machines/extensions"


def test_r15_allow_none_is_a_publisher_type_object(cases_world: World, tmp_path: Path) -> None:
    machines, raw, _ = _export(cases_world, tmp_path)
    config = raw["value"][0]["properties"]["agentConfiguration"]
    assert config["extensionsAllowList"] == [{"publisher": "Allow", "type": "None"}]
    assert raw["value"][0]["tags"] == {"env": "prod"}
    assert raw["value"][0]["location"] == "northeurope"
    assert machines[machine_name(0)].config.allowlist[0].key == "allow/none"
    assert _reads_back(machines[machine_name(0)], cases_world.config(0))


def test_r10_install_refused_by_allow_none_is_failed(cases_world: World, tmp_path: Path) -> None:
    machines, _, _ = _export(cases_world, tmp_path)
    states = {e.extension.name: e.provisioning_state for e in machines[machine_name(0)].extensions}
    assert states == {"Microsoft.Compute/CustomScriptExtension": "Failed",
                      "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent": "Succeeded"}


def test_r19_monitor_mode_reports_the_managed_list(cases_world: World, tmp_path: Path) -> None:
    machines, raw, _ = _export(cases_world, tmp_path)
    m = 2
    config = raw["value"][m]["properties"]["agentConfiguration"]
    assert config["configMode"] == "monitor" and config["guestConfigurationEnabled"] == "false"
    expected = [{"publisher": e.publisher, "type": e.type}
                for e in cases_world.config(m).monitor_allowlist]
    assert config["extensionsAllowList"] == expected and config["extensionsBlockList"] is None
    imported = machines[machine_name(m)]
    assert imported.config.mode is Mode.MONITOR and imported.os == "linux"
    assert _reads_back(imported, cases_world.config(m))


def test_r28_status_disconnected_and_expired(cases_world: World, tmp_path: Path) -> None:
    machines, raw, _ = _export(cases_world, tmp_path)
    statuses = [machines[machine_name(m)].status.value for m in range(4, 7)]
    assert statuses == ["Disconnected", "Disconnected", "Expired"]
    assert machines[machine_name(4)].sql_server is True
    assert raw["value"][4]["properties"]["mssqlDiscovered"] == "true"


def test_r4_r28_pending_install_keeps_azures_public_settings(cases_world: World,
                                                             tmp_path: Path) -> None:
    machines, _, raw = _export(cases_world, tmp_path)
    (ext,) = machines[machine_name(4)].extensions
    assert ext.provisioning_state == "Creating"  # disconnected: the request waits (R28)
    assert ext.settings == '{"workspaceId":"w1"}'
    resource = next(r for r in raw["value"] if "/machine-0000004/" in r["id"])
    assert resource["properties"]["settings"] == {"workspaceId": "w1"}


def test_r6_locally_removed_extension_azure_still_wants_stays_succeeded(
        cases_world: World, tmp_path: Path) -> None:
    machines, _, _ = _export(cases_world, tmp_path)
    m = 7
    assert cases_world.installed_version(m, "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent") \
        is None  # removed on the machine; the service is still stopped at the end
    (ext,) = machines[machine_name(m)].extensions
    assert ext.provisioning_state == "Succeeded" and ext.is_installed


def test_r24_orphaned_extension_has_no_resource(cases_world: World, tmp_path: Path) -> None:
    machines, _, _ = _export(cases_world, tmp_path)
    m = 9
    assert cases_world.installed_version(
        m, "Microsoft.EnterpriseCloud.Monitoring/MicrosoftMonitoringAgent") == "1.0"
    assert machines[machine_name(m)].extensions == ()


def test_r8_export_feeds_a_new_scenario(cases_world: World, tmp_path: Path) -> None:
    write_inventory(snapshot(cases_world), tmp_path / FOLDER)
    scenario = tmp_path / "again.yaml"
    scenario.write_text("name: again\nduration: 1h\nfleet:\n  from: [inventory/machines.json, "
                        "inventory/extensions.json]\n", encoding="utf-8")
    loaded = load_scenario(scenario)
    assert loaded.machines == cases_world.n_machines
    commands = {c for g in loaded.fleet for c in g.commands}
    assert 'azcmagent config set extensions.allowlist "Allow/None"' in commands
    assert "azcmagent config set config.mode monitor" in commands


def test_run_inventory_is_deterministic_and_the_final_world(default_world: World,
                                                           tmp_path: Path) -> None:
    a = sim.run("default", scale=0.02, report=False, inventory=True, out=tmp_path / "a")
    b = sim.run("default", scale=0.02, report=False, inventory=True, out=tmp_path / "b")
    write_inventory(snapshot(default_world), tmp_path / "direct")
    for name in (MACHINES_FILE, EXTENSIONS_FILE):
        first = (a.path / FOLDER / name).read_bytes()
        assert first == (b.path / FOLDER / name).read_bytes()
        assert first == (tmp_path / "direct" / name).read_bytes()
    plain = sim.run("default", scale=0.02, report=False, out=tmp_path / "c")
    assert not (plain.path / FOLDER).exists()


@pytest.mark.parametrize("shards", [2, 3])
def test_inventory_of_a_sharded_run_is_the_same_bytes(tmp_path: Path, shards: int) -> None:
    whole = sim.run("default", scale=0.02, report=False, inventory=True, out=tmp_path / "one")
    split = sim.run("default", scale=0.02, report=False, inventory=True, shards=shards,
                    out=tmp_path / "many")
    for name in (MACHINES_FILE, EXTENSIONS_FILE):
        assert (split.path / FOLDER / name).read_bytes() == \
            (whole.path / FOLDER / name).read_bytes()


def test_cli_run_inventory(tmp_path: Path, arcsim: Arcsim) -> None:
    status, out, _ = arcsim("run", "default", "--scale", "0.01", "--no-report", "--inventory",
                            "--quiet", "--out", tmp_path)
    folder = Path(out.strip())
    assert status == 0 and (folder / FOLDER / MACHINES_FILE).is_file()
    status, out, _ = arcsim("run", "default", "--scale", "0.01", "--inventory", "--shards", "2",
                            "--quiet", "--out", tmp_path / "sharded")
    sharded = Path(out.strip())
    assert status == 0
    assert (sharded / FOLDER / MACHINES_FILE).read_bytes() == \
        (folder / FOLDER / MACHINES_FILE).read_bytes()


@pytest.mark.parametrize("count", [0, 1, 4095, 4096, 4097, 3 * 4096 + 5])
def test_packed_lines_come_back_in_order_across_batches_and_parts(count: int) -> None:
    from sim.results.inventory_export import packed_lines, unpacked_lines

    lines = [json.dumps({"id": f"machine-{i:07d}", "tags": {"note": "é\\n"}}) for i in range(count)]
    packed = [packed_lines(iter(lines)), packed_lines([]), packed_lines(lines[:2])]
    assert list(unpacked_lines(packed)) == lines + lines[:2]


def test_packed_lines_unpack_in_pieces_even_through_a_multibyte_character() -> None:
    import random

    from sim.results import inventory_export
    from sim.results.inventory_export import packed_lines, unpacked_lines

    rng = random.Random(7)  # random text compresses badly: the block spans many pieces
    lines = ["".join(rng.choice("0123456789abcdefé✓") for _ in range(80)) for _ in range(9000)]
    block = packed_lines(lines)
    assert len(block) > 4 * inventory_export._UNPACK_BYTES
    assert list(unpacked_lines([block, block])) == lines + lines
