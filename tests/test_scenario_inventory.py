"""Inventory import (issue 8): formats, mapping, errors, collapsing into groups, commands that
reproduce the reported local configuration (R8, R15, R19, R30), outages (R28), anonymising,
the YAML fleet file, and a World started from an imported fleet (R9)."""

from __future__ import annotations

import copy
import io
import json
import pickle
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from sim.engine import DAY, CloudRequest, Op, Outage, Outcome, Target, Timing, World
from sim.engine.codes import REASONS
from sim.errors import ArcsimError
from sim.rules import AgentConfig, ExtensionId, Mode, apply_all
from sim.scenario.inventory import (
    FleetImport,
    Inventory,
    InventoryError,
    InventoryFormat,
    Status,
    anonymised,
    convert_inventory,
    fleet_to_data,
    inventory_from_data,
    inventory_from_text,
    inventory_to_fleet,
    load_inventory,
    summary,
    write_fleet_yaml,
)
from sim.scenario.inventory import (
    intended_config as intended,
)

DATA = Path(__file__).parent / "data" / "inventory"
SHARED = Path(__file__).parent / "data" / "formats"  # copies of public sample files
SUB = "11111111-2222-3333-4444-555555555555"
AMA_WIN = "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent"
CSE = "Microsoft.Compute/CustomScriptExtension"
CLI_FILES = ("cli-list.json", "cli-show.json", "cli-extensions.json")


def load(*names: str) -> Inventory:
    return load_inventory(*(DATA / name for name in names))


def cli() -> Inventory:
    return load(*CLI_FILES)


def by_name(inventory: Inventory) -> dict[str, Any]:
    return {m.name: m for m in inventory.machines}


def group_of(result: FleetImport, machine: str) -> Any:
    name = next(g for g, members in result.members.items() if machine in members)
    return next(g for g in result.fleet.groups if g.name == name)


def arm_machine(name: str, version: Any = "1.58.03228.700", os_type: Any = "Windows",
                **config: Any) -> dict[str, Any]:
    """An ARM machine resource; ``config`` fills ``agentConfiguration``."""
    return {
        "id": f"/subscriptions/{SUB}/resourceGroups/rg-x/providers/Microsoft.HybridCompute/"
              f"machines/{name}",
        "name": name, "location": "westeurope", "type": "Microsoft.HybridCompute/machines",
        "properties": {"osType": os_type, "agentVersion": version, "status": "Connected",
                       "agentConfiguration": config or None},
    }


def error_of(*names: str) -> str:
    with pytest.raises(InventoryError) as info:
        load(*names)
    return str(info.value)


# --- the public samples (tests/data/formats/arm) --------------------------------------------


def test_shared_arm_samples_import_and_round_trip_through_yaml() -> None:
    inventory = load_inventory(SHARED / "arm" / "machines-list.json",
                               SHARED / "arm" / "extensions-list.json")
    machines = by_name(inventory)
    assert inventory.format == "arm-rest"
    assert sorted(machines) == ["myMachine", "myMachine2"]
    assert machines["myMachine"].os == "windows"  # osType null: taken from productType
    assert [e.extension.name for e in machines["myMachine"].installed] == [CSE]
    assert machines["myMachine2"].sql_server and not machines["myMachine"].sql_server
    warnings = "\n".join(str(w) for w in inventory.warnings)
    assert "machines-list.json: top level: the last page links to more results" in warnings
    assert "extensions in state Creating are not counted as installed" in warnings
    result = convert_inventory(inventory)
    assert [g.name for g in result.fleet.groups] == ["myresourcegroup-windows-1",
                                                     "myresourcegroup2-windows-1"]
    stream = io.StringIO()
    write_fleet_yaml(result.fleet, stream)
    assert yaml.safe_load(stream.getvalue()) == fleet_to_data(result.fleet)


# --- formats -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("names", "formats"), [
    pytest.param(("cli-list.json",), "az-cli-list", id="cli-list"),
    pytest.param(("cli-show.json",), "az-cli-show", id="cli-show"),
    pytest.param(CLI_FILES, "az-cli-list + az-cli-show", id="cli-with-extension-list"),
    pytest.param(("arm-page1.json", "arm-page2.json"), "arm-rest", id="arm-pages"),
    pytest.param(("arg.json",), "resource-graph-json", id="graph-json"),
    pytest.param(("arg.csv",), "resource-graph-csv", id="graph-csv"),
])
def test_format_is_detected_from_the_content(names: tuple[str, ...], formats: str) -> None:
    assert load(*names).format == formats


def test_cli_list_maps_every_field() -> None:
    machines = by_name(cli())
    web01, db01, lnx01 = machines["web01"], machines["db01"], machines["lnx01"]
    assert (web01.os, str(web01.agent_version), web01.status, web01.location) == (
        "windows", "1.58", Status.CONNECTED, "westeurope")
    assert (web01.resource_group, web01.subscription) == ("rg-web", SUB)
    assert web01.tags == {"owner": "alice@contoso.com"}
    assert web01.config.allowlist == (ExtensionId.parse(AMA_WIN),)
    assert not web01.config.guest_configuration_enabled and web01.config.extensions_enabled
    assert (db01.status, db01.sql_server, db01.config.mode) == (Status.EXPIRED, True,
                                                                Mode.MONITOR)
    assert lnx01.os == "linux" and lnx01.config.extensions_enabled  # null -> default
    assert [e.name for e in lnx01.config.blocklist] == [
        "Microsoft.Azure.Extensions/CustomScript", "Microsoft.CPlat.Core/RunCommandHandlerLinux"]


def test_cli_show_is_one_machine_with_json_booleans() -> None:
    (esu01,) = load("cli-show.json").machines
    assert (esu01.name, esu01.resource_group, str(esu01.agent_version)) == ("esu01", "RG-ESU",
                                                                            "1.41")
    assert [e.name for e in esu01.config.allowlist] == ["Allow/None"]
    assert esu01.config.extensions_enabled and not esu01.config.guest_configuration_enabled


def test_extension_list_is_matched_by_machine_id_prefix_case_insensitively() -> None:
    inventory = cli()
    web01 = by_name(inventory)["web01"]  # the AMA's id says .../machines/WEB01/...
    assert [(e.extension.name, e.version, e.provisioning_state, e.automatic_upgrade)
            for e in web01.extensions] == [
        (AMA_WIN, "1.22.0.0", "Succeeded", True), (CSE, "1.10.12", "Failed", False)]
    assert [e.extension.name for e in web01.installed] == [AMA_WIN, CSE]  # Failed stays (R6c)
    assert inventory.warnings == ()


def test_arm_pages_as_files_or_as_a_list_of_pages_are_concatenated(tmp_path: Path) -> None:
    pages = [json.loads((DATA / f"arm-page{n}.json").read_text()) for n in (1, 2)]
    (tmp_path / "pages.json").write_text(json.dumps(pages))
    as_files, as_list = load("arm-page1.json", "arm-page2.json"), load_inventory(
        tmp_path / "pages.json")
    assert [m.name for m in as_files.machines] == ["app01", "app02", "app03"]
    assert as_list.machines == as_files.machines
    assert as_files.warnings == as_list.warnings == ()
    assert as_list.sources[0].pages == 2


def test_a_last_page_with_a_next_link_warns_that_the_export_is_incomplete() -> None:
    (warning,) = load("arm-page1.json").warnings
    assert str(warning) == (
        f"{DATA / 'arm-page1.json'}: top level: the last page links to more results (nextLink "
        "or skip token); the export is incomplete: give every page (several files or a JSON "
        "list of pages)")


def test_resource_graph_json_and_csv_give_the_same_machines() -> None:
    from_json, from_csv = load("arg.json"), load("arg.csv")
    assert from_csv.machines == from_json.machines
    ops01 = by_name(from_json)["ops01"]
    assert [e.extension.name for e in ops01.installed] == [
        "Microsoft.Azure.Monitor/AzureMonitorLinuxAgent"]
    assert from_json.sources[0].extensions == 1


def test_resource_graph_rows_as_a_list_and_as_a_table() -> None:
    rows = json.loads((DATA / "arg.json").read_text())["data"]
    columns = sorted({key for row in rows for key in row})
    table = {"data": {"columns": [{"name": c, "type": "string"} for c in columns],
                      "rows": [[row.get(c) for c in columns] for row in rows]}}
    assert inventory_from_data(rows).format == "resource-graph-json"
    assert inventory_from_data(table).machines == inventory_from_data(rows).machines


def test_a_plain_list_of_nested_resources_reads_and_other_types_are_ignored() -> None:
    vm = {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/"
                "virtualMachines/vm1", "name": "vm1", "type": "Microsoft.Compute/virtualMachines"}
    inventory = inventory_from_data([arm_machine("m1"), vm])
    assert inventory.format == "az-cli-list"
    assert [m.name for m in inventory.machines] == ["m1"]
    assert [str(w) for w in inventory.warnings] == [
        "<data>: resources of other types ignored: microsoft.compute/virtualmachines (1)"]


def test_embedded_extensions_name_matching_and_unmatched_extensions() -> None:
    ama = {"publisher": "Microsoft.Azure.Monitor", "type": "AzureMonitorWindowsAgent",
           "typeHandlerVersion": "1.22.0.0", "provisioningState": "Succeeded"}
    embedded = arm_machine("m1")
    embedded["resources"] = [{"name": "AMA", "properties": ama}]
    no_id = {"name": "m2", "properties": {"osType": "Linux"}}
    extensions = [{"id": f"/subscriptions/{SUB}/resourceGroups/rg-y/providers/"
                         f"Microsoft.HybridCompute/machines/{name}/extensions/AMA",
                   "properties": ama} for name in ("M2", "ghost")]
    inventory = inventory_from_data([embedded, no_id], extensions)
    assert {m.name: [e.extension.name for e in m.installed] for m in inventory.machines} == {
        "m1": [AMA_WIN], "m2": [AMA_WIN]}
    assert [str(w) for w in inventory.warnings] == [
        "<data>[0]: status is missing or null; taken as Connected: 1 machine (e.g. m2)",
        "extensions of machines that are not in the inventory; ignored: 1 extension "
        "(e.g. ghost)"]


# --- errors --------------------------------------------------------------------------------------


def test_a_machine_without_os_is_left_out_with_a_warning_naming_it() -> None:
    inventory = load("missing-ostype.json")
    assert [m.name for m in inventory.machines] == ["ok01"]
    assert [str(w) for w in inventory.warnings] == [
        f"{DATA / 'missing-ostype.json'}: no OS reported (osType and osName absent or null: a "
        "machine pre-registered or still onboarding); left out: 1 machine (e.g. noos01)"]


@pytest.mark.parametrize(("properties", "os_name"), [
    pytest.param({"osType": "Windows"}, "windows", id="osType"),
    pytest.param({"osType": "linux", "osName": "windows"}, "linux", id="osType-first"),
    pytest.param({"osName": "Windows"}, "windows", id="osName-only"),
    pytest.param({"osType": None, "osName": "LINUX"}, "linux", id="null-osType"),
])
def test_the_os_comes_from_os_type_else_os_name_whatever_the_case(
        properties: dict[str, object], os_name: str) -> None:
    machine = arm_machine("m1")
    del machine["properties"]["osType"]
    machine["properties"].update(properties)
    (found,) = inventory_from_data({"value": [machine]}).machines
    assert found.os == os_name


def test_an_export_whose_machines_all_lack_an_os_is_refused_saying_so() -> None:
    machine = arm_machine("m1", os_type=None)
    with pytest.raises(InventoryError, match="no machine in <data> reports its OS"):
        inventory_from_data({"value": [machine]})


def test_agent_version_of_a_wrong_type_names_the_file_and_the_json_path() -> None:
    assert error_of("agentversion-number.json") == (
        f'{DATA / "agentversion-number.json"}: value[3].properties.agentVersion: expected a '
        'version like "1.58.03228.700", got 7')


def test_malformed_json_gives_line_and_column() -> None:
    assert error_of("bad.json") == (
        f"{DATA / 'bad.json'}:4:5: invalid JSON: Expecting ',' delimiter")


def test_unknown_format_says_what_is_expected_and_what_was_found() -> None:
    assert error_of("unknown-format.json") == (
        f"{DATA / 'unknown-format.json'}: unknown inventory format: expected az "
        "connectedmachine list/show output (JSON), an ARM REST list ({\"value\": [...]}), Azure "
        'Resource Graph rows (a JSON list or {"data": [...]}) or a Resource Graph CSV export; '
        'found an object with "machines"')


def test_bad_json_in_a_csv_cell_gives_the_line_and_the_cell() -> None:
    assert error_of("bad-cell.csv") == (
        f"{DATA / 'bad-cell.csv'}:3: [1].properties: invalid JSON in the cell: Expecting value "
        "(character 39)")


@pytest.mark.parametrize(("data", "message"), [
    pytest.param({"value": [{"type": "Microsoft.HybridCompute/machines",
                             "properties": {"osType": "Linux"}}]},
                 'value[0]: missing both "name" and "id": a machine needs one', id="no-name"),
    pytest.param({"value": [arm_machine("m", os_type="Solaris")]},
                 'value[0].properties.osType: expected "Windows" or "Linux", got "Solaris"',
                 id="os"),
    pytest.param({"value": [arm_machine("m", version="latest")]},
                 'value[0].properties.agentVersion: expected a version like "1.58.03228.700", '
                 'got "latest"', id="version-text"),
    pytest.param({"value": [arm_machine("m", configMode="locked")]},
                 'value[0].properties.agentConfiguration.configMode: expected "full" or '
                 '"monitor", got "locked"', id="mode"),
    pytest.param({"value": [arm_machine("m", extensionsEnabled="yes")]},
                 "value[0].properties.agentConfiguration.extensionsEnabled: expected true or "
                 'false (or "true"/"false"), got "yes"', id="bool"),
    pytest.param({"value": [arm_machine("m", extensionsAllowList="A/B")]},
                 'value[0].properties.agentConfiguration.extensionsAllowList: expected a list of '
                 '{"publisher", "type"} objects, got "A/B"', id="list"),
    pytest.param({"value": [arm_machine("m", extensionsAllowList=[{"publisher": "A",
                                                                    "type": ""}])]},
                 "value[0].properties.agentConfiguration.extensionsAllowList[0]: \"A/\" is not "
                 "an extension name: publisher and type must both be non-empty", id="entry"),
    pytest.param([1], "[0]: expected an object (a machine or an extension), got 1",
                 id="not-an-object"),
    pytest.param([{"hostname": "x"}], '[0]: neither an Arc machine nor an extension: expected a '
                 '"type" such as "Microsoft.HybridCompute/machines", an "id", or fields such as '
                 '"osType"', id="not-a-resource"),
    pytest.param([{"name": "vm1", "type": "Microsoft.Compute/virtualMachines"}],
                 "unknown inventory format: no Arc-enabled machines "
                 "(microsoft.hybridcompute/machines) or extensions, only "
                 "microsoft.compute/virtualmachines (1)", id="other-resources"),
    pytest.param(42, "unknown inventory format: expected az connectedmachine list/show output "
                 '(JSON), an ARM REST list ({"value": [...]}), Azure Resource Graph rows (a JSON '
                 'list or {"data": [...]}) or a Resource Graph CSV export; found 42',
                 id="scalar"),
])
def test_malformed_exports_are_errors_naming_the_path(data: Any, message: str) -> None:
    with pytest.raises(InventoryError) as info:
        inventory_from_data(data, filename="machines.json")
    assert str(info.value) == f"machines.json: {message}"


def test_an_extension_list_alone_is_not_an_inventory() -> None:
    assert error_of("cli-extensions.json") == (
        f"no Arc-enabled machines found in {DATA / 'cli-extensions.json'} (an extensions list "
        "needs the machines export too)")


def test_empty_and_unreadable_files_are_errors(tmp_path: Path) -> None:
    with pytest.raises(InventoryError) as empty:
        inventory_from_text(" \n", "e.json")
    assert str(empty.value) == "e.json: empty file: expected a JSON or CSV inventory export"
    with pytest.raises(InventoryError, match=r"nothing\.json: cannot read: No such file"):
        load_inventory(tmp_path / "nothing.json")
    (tmp_path / "latin1.json").write_bytes(b'{"name": "caf\xe9"}')
    with pytest.raises(InventoryError) as latin1:
        load_inventory(tmp_path / "latin1.json")
    assert str(latin1.value) == f"{tmp_path / 'latin1.json'}:1: not UTF-8 text (byte 0xe9)"


def test_inventory_error_is_an_arcsim_error_and_pickles() -> None:
    error = InventoryError("got 7", file="m.json", path=("value", 3, "agentVersion"), line=2)
    assert isinstance(error, ArcsimError)
    assert str(pickle.loads(pickle.dumps(error))) == "m.json:2: value[3].agentVersion: got 7"


def test_null_os_type_is_inferred_or_left_out_with_a_warning() -> None:
    inferred = arm_machine("m1", os_type=None)
    inferred["properties"]["osSku"] = "Ubuntu 22.04 LTS linux"
    unknown = arm_machine("m2", os_type=None)
    inventory = inventory_from_data({"value": [inferred, unknown]})
    assert [(m.name, m.os) for m in inventory.machines] == [("m1", "linux")]
    assert [str(w) for w in inventory.warnings] == [
        "<data>: no osType or osName; OS taken from osSku: 1 machine (e.g. m1)",
        "<data>: no OS reported (osType and osName absent or null: a machine pre-registered "
        "or still onboarding); left out: 1 machine (e.g. m2)"]


# --- collapsing into groups -----------------------------------------------------------------


def test_alike_machines_collapse_into_one_group_with_a_count() -> None:
    result = convert_inventory(load("arm-page1.json", "arm-page2.json"))
    (group,) = result.fleet.groups
    assert (group.name, group.count, group.os, dict(group.agent_versions)) == (
        "rg-app-windows-1", 3, "windows", {"1.58": 1.0})
    assert result.members == {"rg-app-windows-1": ("app01", "app02", "app03")}
    assert group.commands == ('azcmagent config set extensions.blocklist '
                              '"Microsoft.Compute/CustomScriptExtension,'
                              'Microsoft.CPlat.Core/RunCommandHandlerWindows"',)


def test_machines_that_differ_get_their_own_numbered_groups() -> None:
    result = convert_inventory(cli())
    assert result.members == {
        "rg-db-windows-1": ("db01",), "rg-esu-windows-1": ("esu01",),
        "rg-web-linux-1": ("lnx01",), "rg-web-windows-1": ("web02",),
        "rg-web-windows-2": ("web03",), "rg-web-windows-3": ("web01",)}
    web01 = group_of(result, "web01")
    assert [(e.name, e.version, e.state) for e in web01.extensions] == [
        (AMA_WIN, "1.22.0.0", "Succeeded"), (CSE, "1.10.12", "Failed")]
    assert result.fleet.size == 6


def test_group_names_do_not_depend_on_the_order_of_the_export() -> None:
    machines = list(cli().machines)
    random.Random(3).shuffle(machines)
    shuffled = Inventory(tuple(machines), cli().sources)
    assert convert_inventory(shuffled).fleet == convert_inventory(cli()).fleet


@pytest.mark.parametrize(("group_by", "names"), [
    pytest.param((), ["fleet-linux-1", "fleet-linux-2", "fleet-windows-1"], id="none"),
    pytest.param(("subscription", "resource_group"),
                 [f"{SUB}-rg-ops-linux-1", f"{SUB}-rg-ops-linux-2", f"{SUB}-rg-app-windows-1"],
                 id="subscription-and-group"),
    pytest.param(("location",), ["westeurope-linux-1", "westeurope-linux-2",
                                 "westeurope-windows-1"], id="location"),
])
def test_group_by_chooses_the_group_key(group_by: tuple[str, ...], names: list[str]) -> None:
    inventory = load("arg.json", "arm-page1.json", "arm-page2.json")
    fleet = inventory_to_fleet(inventory, group_by=group_by)
    assert sorted(g.name for g in fleet.groups) == sorted(names)


def test_group_names_hold_only_what_a_scenario_group_name_may() -> None:
    machine = arm_machine("m1")
    machine["id"] = machine["id"].replace("rg-x", "RG_Web(Prod).EU")
    result = convert_inventory(inventory_from_data({"value": [machine]}))
    assert [g.name for g in result.fleet.groups] == ["rg_web-prod-.eu-windows-1"]


def test_unknown_group_by_key_is_an_error() -> None:
    with pytest.raises(InventoryError, match='unknown group_by key "rack"; expected one of '
                                             "resource_group, subscription, location"):
        inventory_to_fleet(cli(), group_by=("rack",))


# --- the local configuration as commands (R8, R15, R19, R30) -------------------------------


def test_r8_imported_allowlist_applies_as_local_commands() -> None:
    inventory = cli()
    result = convert_inventory(inventory)
    web = group_of(result, "web01")
    assert web.commands == (
        f'azcmagent config set extensions.allowlist "{AMA_WIN}"',
        "azcmagent config set guestconfiguration.enabled false")
    for machine in inventory.machines:
        group = group_of(result, machine.name)
        (version,) = group.agent_versions
        applied = apply_all(group.commands, AgentConfig.fresh(version)).config
        if machine.name != "lnx01":  # the one whose Allow/None the agent cannot take
            assert applied == intended(machine.config, applied.version)


def test_r15_allow_none_on_agent_1_35_or_later_becomes_the_command() -> None:
    result = convert_inventory(cli())
    esu = group_of(result, "esu01")
    assert esu.commands[0] == 'azcmagent config set extensions.allowlist "Allow/None"'
    assert apply_all(esu.commands, AgentConfig.fresh("1.41")).config.is_allow_none


def test_r15_allow_none_on_an_older_agent_is_a_warning_not_a_crash() -> None:
    result = convert_inventory(cli())
    lnx = group_of(result, "lnx01")
    assert lnx.commands == ('azcmagent config set extensions.blocklist '
                            '"Microsoft.Azure.Extensions/CustomScript,'
                            'Microsoft.CPlat.Core/RunCommandHandlerLinux"',)
    assert result.warnings[-1:] == (
        "group rg-web-linux-1: 1 of 1 machines: cannot run `azcmagent config set "
        'extensions.allowlist "Allow/None"` on agent 1.33: Allow/None requires agent 1.35 or '
        "later (this agent is 1.33) (R15); simulated without it",)


def test_r19_monitor_mode_becomes_the_mode_command() -> None:
    result = convert_inventory(cli())
    db = group_of(result, "db01")
    assert db.commands == ("azcmagent config set config.mode monitor",)
    config = apply_all(db.commands, AgentConfig.fresh("1.40")).config
    assert config.is_monitor_mode and not config.effective_guest_configuration


def test_r19_monitor_mode_on_an_agent_before_1_18_is_a_warning() -> None:
    inventory = inventory_from_data({"value": [arm_machine("old", "1.17.01234.5",
                                                           configMode="monitor")]})
    result = convert_inventory(inventory)
    assert result.fleet.groups[0].commands == ()
    assert result.warnings == (
        "group rg-x-windows-1: 1 of 1 machines: cannot run `azcmagent config set config.mode "
        'monitor` on agent 1.17: configuration property "config.mode" is not available on '
        "agent version 1.17: it requires agent 1.18 or later (R30); simulated without it",)


def test_r19_reported_monitor_lists_that_differ_from_the_assumed_list_warn() -> None:
    lists = {"configMode": "monitor",
             "extensionsAllowList": [{"publisher": "Contoso", "type": "Agent"}]}
    result = convert_inventory(inventory_from_data({"value": [arm_machine("m", **lists)]}))
    assert result.warnings == (
        "group rg-x-windows-1: 1 of 1 machines: monitor mode reports lists (1 allowed, 0 "
        "blocked) that differ from arcsim's assumed monitor list for agent 1.58 (R19); the run "
        "uses arcsim's list",)


def test_r30_lists_on_an_agent_before_1_16_are_a_warning() -> None:
    block = {"extensionsBlockList": [{"publisher": "Microsoft.Compute",
                                      "type": "CustomScriptExtension"}]}
    result = convert_inventory(inventory_from_data({"value": [arm_machine("m", "1.15", **block)]}))
    assert result.fleet.groups[0].commands == ()
    assert "it requires agent 1.16 or later (R30); simulated without it" in result.warnings[0]


def test_r28_disconnected_and_expired_machines_start_with_an_outage() -> None:
    result = convert_inventory(cli(), disconnected_s=2 * DAY)
    # both already under way when the run starts: Azure shows them so at once
    assert group_of(result, "web03").outages == (Outage(0.0, 2 * DAY, offline_before_s=3_600.0),)
    (expired,) = group_of(result, "db01").outages
    assert expired.start_s == 0.0 and expired.duration_s > 45 * DAY
    assert expired.offline_before_s > 45 * DAY
    assert group_of(result, "web01").outages == ()


def test_r6b_sql_flag_and_the_opt_out_tag_are_kept_other_tags_dropped() -> None:
    db = group_of(convert_inventory(cli()), "db01")
    assert db.sql_server and dict(db.tags) == {"ArcSQLServerExtensionDeployment": "Disabled"}


def test_unknown_agent_version_is_simulated_as_a_default_with_a_warning() -> None:
    inventory = inventory_from_data({"value": [arm_machine("m", None)]})
    result = convert_inventory(inventory, unknown_agent_version="1.50")
    assert dict(result.fleet.groups[0].agent_versions) == {"1.50": 1.0}
    assert result.warnings == (
        "agentVersion unknown (null); simulated as agent 1.50: 1 machine (e.g. m)",)


def test_r9_imported_allowlist_blocks_install() -> None:
    fleet = inventory_to_fleet(cli())
    world = World(fleet, seed=1)
    web_groups = [g.name for g in fleet.groups if g.name.startswith("rg-web-windows")]
    for name in web_groups:
        world.add(CloudRequest(f"admin-{name}", operation="install", extension=CSE,
                               target=Target(group=name), timing=Timing(at=60)))
    records = world.run(2 * DAY)
    blocked = (records["operation"] == Op.INSTALL) & (records["outcome"] == Outcome.BLOCKED)
    reasons = {REASONS[r] for r in records["reason"][blocked]}
    machines = sorted(int(m) for m in records["machine"][blocked])
    web = sorted(m for name in web_groups for m in world.machine_ids(name))
    assert reasons == {"not_on_allowlist"} and machines == web
    assert not np.any((records["operation"] == Op.INSTALL)
                      & (records["outcome"] == Outcome.SUCCEEDED))


# --- anonymising ---------------------------------------------------------------------------


def test_anonymise_hides_names_and_is_stable() -> None:
    first = convert_inventory(cli(), anonymise=True, seed=7)
    again = convert_inventory(cli(), anonymise=True, seed=7)
    other = convert_inventory(cli(), anonymise=True, seed=8)
    assert first.fleet == again.fleet and first.members == again.members
    assert set(first.members) != set(other.members)
    stream = io.StringIO()
    write_fleet_yaml(first.fleet, stream)
    shared = stream.getvalue() + json.dumps(first.members) + "\n".join(first.warnings)
    shared += summary(anonymised(cli(), 7), first)
    for secret in ("web01", "db01", "rg-web", "rg-db", SUB, "alice", "hostname"):
        assert secret not in shared
    assert sum(len(names) for names in first.members.values()) == 6
    assert all(name.startswith("rg-") for name in first.members)


def test_anonymised_inventory_keeps_what_the_simulation_needs() -> None:
    plain, hidden = cli(), anonymised(cli(), seed=1)
    assert [(m.os, m.agent_version, m.status, m.config, m.sql_server) for m in plain.machines] \
        == [(m.os, m.agent_version, m.status, m.config, m.sql_server) for m in hidden.machines]
    assert by_name(hidden).keys().isdisjoint(by_name(plain))
    assert convert_inventory(hidden).fleet.size == convert_inventory(plain).fleet.size


# --- the YAML fleet file and the summary ----------------------------------------------------


def test_write_fleet_yaml_round_trips_with_quoted_versions(tmp_path: Path) -> None:
    fleet = inventory_to_fleet(cli())
    write_fleet_yaml(fleet, tmp_path / "fleet.yaml", header="imported from cli-list.json")
    text = (tmp_path / "fleet.yaml").read_text()
    assert text.startswith("# imported from cli-list.json\nfleet:\n")
    assert 'agent_version: "1.58"' in text
    data = yaml.safe_load(text)
    assert data == fleet_to_data(fleet)
    web03 = next(g for g in data["fleet"] if g["group"] == "rg-web-windows-2")
    assert web03["outages"] == [{"at": "0s", "duration": "1d", "share": 1.0,
                                 "offline_before": "1h"}]
    web01 = next(g for g in data["fleet"] if g["group"] == "rg-web-windows-3")
    assert web01["extensions"] == [{"name": AMA_WIN, "version": "1.22.0.0"}, {
        "name": CSE, "version": "1.10.12", "settings": '{"commandToExecute":"hostname"}',
        "state": "Failed", "auto_upgrade": False}]  # a Failed resource kept, with its opt-out
    assert set(web01) == {"group", "count", "os", "agent_version", "region", "path",
                          "extensions", "tags", "sql_server", "commands", "outages"}


def test_summary_says_what_was_imported() -> None:
    inventory = cli()
    text = summary(inventory)
    lines = text.splitlines()
    assert lines[0] == "Imported 6 machines (az-cli-list + az-cli-show):"
    assert f"  {DATA / 'cli-show.json'}: {InventoryFormat.CLI_SHOW.description}: 1 machine, " \
           "0 extensions" in lines
    for line in ("Machines by OS: windows 5, linux 1",
                 "Machines by agent version: 1.58 3, 1.33 1, 1.40 1, 1.41 1",
                 "Machines by status: Connected 4, Disconnected 1, Expired 1",
                 f"Installed extensions (Succeeded or Failed) by type: {AMA_WIN} 1, {CSE} 1",
                 "Groups after collapsing by resource_group: 6",
                 "Warnings: 1"):  # Failed resources kept (R6c), opt-outs held (R25)
        assert line in lines


# --- scale -----------------------------------------------------------------------------------


def test_a_large_export_imports_and_collapses() -> None:
    """10 000 machines (benchmarks/inventory_import.py times 100 000)."""
    base = arm_machine("x", extensionsAllowList=[{"publisher": "Microsoft.Azure.Monitor",
                                                  "type": "AzureMonitorWindowsAgent"}])
    machines = []
    for i in range(10_000):
        machine = copy.copy(base)
        machine["name"] = f"m{i}"
        machine["id"] = base["id"].replace("/x", f"/m{i}").replace("rg-x", f"rg{i % 10}")
        machines.append(machine)
    extensions = [{"id": f"{m['id']}/extensions/AMA", "type": "Microsoft.HybridCompute/"
                   "machines/extensions", "properties": {
                       "publisher": "Microsoft.Azure.Monitor", "type": "AzureMonitorWindowsAgent",
                       "typeHandlerVersion": "1.22.0.0", "provisioningState": "Succeeded"}}
                  for m in machines[::3]]
    inventory = inventory_from_data({"value": machines}, {"value": extensions})
    fleet = inventory_to_fleet(inventory)
    assert fleet.size == 10_000 and len(fleet.groups) == 20
    assert sum(g.count for g in fleet.groups if g.extensions) == 3_334


def test_extension_cache_keeps_equal_but_different_values_apart() -> None:
    """1, 1.0 and True are equal keys in Python: the extension cache must not let a version
    read as "1" stand for 1.0, or a rejected boolean be taken from the cache."""
    from sim.scenario.inventory.located import Item
    from sim.scenario.inventory.resources import read_extension

    def item(version: object) -> Item:
        return Item("f", (0,), {
            "id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.HybridCompute/"
                  "machines/m/extensions/e",
            "type": "Microsoft.HybridCompute/machines/extensions",
            "properties": {"publisher": "Microsoft.Azure.Monitor",
                           "type": "AzureMonitorWindowsAgent", "typeHandlerVersion": version,
                           "provisioningState": "Succeeded"}})

    cache: dict[Any, Any] = {}
    assert read_extension(item(1), cache)[2].version == "1"
    assert read_extension(item(1.0), cache)[2].version == "1.0"
    with pytest.raises(InventoryError, match="expected a text"):
        read_extension(item(True), cache)
