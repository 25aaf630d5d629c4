"""A scenario's fleet imported from an inventory export or a fleet file (``fleet: {from:}``,
issue 8): the imported local configuration applies from the start (R8, R13, R15)."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import Arcsim

import sim
from sim.engine import Op, Outcome
from sim.engine.codes import REASONS
from sim.scenario.build import build_world
from sim.scenario.inventory import (
    convert_inventory,
    fleet_to_data,
    inventory_to_fleet,
    load_inventory,
    write_fleet_yaml,
)
from sim.scenario.loading import load_scenario, scenario_from_text
from sim.scenario.schema import Scenario
from sim.scenario.source import ScenarioError

DATA = Path(__file__).parent / "data" / "inventory"
SCENARIO = DATA / "scenario-imported-allowlist.yaml"
CLI_FILES = ("cli-list.json", "cli-show.json", "cli-extensions.json")
CSE = "Microsoft.Compute/CustomScriptExtension"
HEAD = """\
name: imported
description: |
  Is this fleet imported?
duration: 1d
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name in CLI_FILES:
        shutil.copy(DATA / name, tmp_path / name)
    return tmp_path


def load(folder: Path, fleet: str, rest: str = "", **options: Any) -> Scenario:
    path = folder / "s.yaml"
    path.write_text(HEAD + textwrap.dedent(fleet) + textwrap.dedent(rest))
    return load_scenario(path, **options)


def groups(scenario: Scenario) -> dict[str, Any]:
    return {g.group: g for g in scenario.fleet}


FROM_CLI = """\
fleet:
  from: [cli-list.json, cli-show.json, cli-extensions.json]
"""


def test_r13_a_scenario_from_an_inventory_whose_allowlists_block_an_install(
        folder: Path) -> None:
    scenario = load(folder, FROM_CLI, f"timeline:\n  - {{at: 1h, install: {CSE}}}\n")
    world = build_world(scenario, base=folder)
    records = world.run(scenario.duration)
    blocked = (records["operation"] == Op.INSTALL) & (records["outcome"] == Outcome.BLOCKED)
    by_reason: dict[str, set[str]] = {}
    for g, r in zip(records["group"][blocked], records["reason"][blocked], strict=True):
        by_reason.setdefault(REASONS[r], set()).add(world.group_names[g])
    # web servers report an allowlist of only AMA (R13); rg-web-windows-2 is disconnected
    assert by_reason == {"not_on_allowlist": {"rg-web-windows-1", "rg-web-windows-3"},
                         "allow_none": {"rg-esu-windows-1"}}
    succeeded = (records["operation"] == Op.INSTALL) & (records["outcome"] == Outcome.SUCCEEDED)
    assert {world.group_names[g] for g in records["group"][succeeded]} == {"rg-web-linux-1"}


def test_the_scenario_level_check_holds_its_expectations(tmp_path: Path) -> None:
    result = sim.run(SCENARIO, out=tmp_path)
    assert result.expectations and all(e.ok for e in result.expectations)
    resolved = result.manifest["scenario"]["fleet"]
    assert [g["group"] for g in resolved][:2] == ["rg-db-windows-1", "rg-esu-windows-1"]
    assert sum(g["count"] for g in resolved) == 24  # 6 machines, scale 4


def test_imported_configuration_becomes_each_groups_initial_commands(folder: Path) -> None:
    imported = groups(load(folder, FROM_CLI))
    expected = inventory_to_fleet(load_inventory(*(folder / f for f in CLI_FILES)))
    assert list(imported) == [g.name for g in expected.groups]
    for spec in expected.groups:
        group = imported[spec.name]
        assert (group.count, group.os, group.region, group.commands) == (
            spec.count, spec.os, spec.region, spec.commands)
    assert imported["rg-web-windows-1"].commands[0].startswith(
        'azcmagent config set extensions.allowlist "Microsoft.Azure.Monitor/')


def test_group_overrides_and_scale(folder: Path) -> None:
    scenario = load(folder, """\
        fleet:
          from: [cli-list.json, cli-show.json, cli-extensions.json]
          scale: 3
          path: proxy
          groups:
            rg-web-windows-*: {commands: ['azcmagent config set config.mode monitor']}
            rg-db-windows-1: {count: 7, tags: {team: data}}
            rg-esu-*: {scale: 2}
        """, "params:\n  paths: [{name: proxy, capacity: 2}]\n", scale=2)
    found = groups(scenario)
    assert found["rg-web-windows-1"].commands[-1] == "azcmagent config set config.mode monitor"
    assert len(found["rg-web-windows-1"].commands) == 3
    assert found["rg-db-windows-1"].count == 7 * 6 and found["rg-db-windows-1"].tags == {
        "ArcSQLServerExtensionDeployment": "Disabled", "team": "data"}
    assert found["rg-esu-windows-1"].count == 2 * 6 and found["rg-web-linux-1"].count == 6
    assert {g.path for g in scenario.fleet} == {"proxy"}


@pytest.mark.parametrize(("fleet", "message"), [
    pytest.param("fleet: {from: missing.json}\n",
                 "s.yaml:5: fleet.from: {folder}/missing.json: cannot read: No such file or "
                 "directory", id="missing-file"),
    pytest.param("fleet:\n  from: [cli-list.json, bad.json]\n",
                 "s.yaml:6: fleet.from[1]: {folder}/bad.json:1:2: invalid JSON: Expecting "
                 "property name enclosed in double quotes", id="malformed-json-in-a-list"),
    pytest.param("fleet:\n  from: cli-list.json\n  groups: {rg-webb-*: {count: 2}}\n",
                 's.yaml:7: fleet.groups["rg-webb-*"]: "rg-webb-*" matches no imported group; '
                 "imported: rg-db-windows-1, rg-web-linux-1, rg-web-windows-1, "
                 "rg-web-windows-2", id="unmatched-pattern"),
    pytest.param("fleet:\n  frm: cli-list.json\n",
                 "s.yaml:5: fleet.from: missing required field\n{folder}/s.yaml:6: fleet.frm: "
                 'unknown key "frm", did you mean "from"?', id="misspelt-key"),
    pytest.param("fleet:\n  from: cli-list.json\n  groups: {'*': {count: 2, scale: 2}}\n",
                 's.yaml:7: fleet.groups["*"]: give count or scale, not both', id="both"),
    pytest.param("fleet:\n  from: fleet.yaml\n  group_by: [location]\n",
                 "s.yaml:5: fleet: group_by: applies to inventory exports, not to a fleet file",
                 id="export-option-with-a-fleet-file"),
])
def test_import_problems_are_located_in_the_scenario(folder: Path, fleet: str,
                                                     message: str) -> None:
    (folder / "bad.json").write_text("{oops}")
    with pytest.raises(ScenarioError) as caught:
        load(folder, fleet)
    assert str(caught.value) == f"{folder}/{message.format(folder=folder)}"


def test_a_fleet_file_written_by_import_is_read_back_and_checked(folder: Path) -> None:
    fleet = inventory_to_fleet(load_inventory(*(folder / f for f in CLI_FILES)))
    write_fleet_yaml(fleet, folder / "fleet.yaml")
    scenario = load(folder, "fleet: {from: fleet.yaml, groups: {'*': {scale: 2}}}\n")
    assert [(g.group, g.count) for g in scenario.fleet] == [(g.name, 2) for g in fleet.groups]
    text = (folder / "fleet.yaml").read_text().replace("count: 1\n", "count: lots\n", 1)
    (folder / "fleet.yaml").write_text(text)
    with pytest.raises(ScenarioError) as caught:
        load(folder, "fleet: {from: fleet.yaml}\n")
    assert str(caught.value) == (f"{folder}/s.yaml:5: fleet.from: {folder}/fleet.yaml:4: "
                                 "fleet[0].count: input should be a valid integer, unable to "
                                 'parse string as an integer (got "lots")')


def test_an_odd_extension_version_is_taken_by_its_leading_numbers(folder: Path) -> None:
    text = (folder / "cli-extensions.json").read_text()
    (folder / "cli-extensions.json").write_text(text.replace('"1.22.0.0"', '"1.22-beta"'))
    group = groups(load(folder, FROM_CLI))["rg-web-windows-3"]
    assert [(e.name, e.version) for e in group.extensions] == [
        ("Microsoft.Azure.Monitor/AzureMonitorWindowsAgent", "1.22"),
        ("Microsoft.Compute/CustomScriptExtension", "1.10.12")]
    conversion = convert_inventory(load_inventory(*(folder / f for f in CLI_FILES)))
    assert 'typeHandlerVersion not made of dotted numbers, taken as its leading numbers: ' \
           '"1.22-beta" as 1.22' in conversion.warnings


def test_an_imported_group_the_schema_rejects_names_the_group(
        folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def other_os(fleet: Any) -> dict[str, Any]:
        data = fleet_to_data(fleet)
        data["fleet"][1]["os"] = "solaris"
        return data

    monkeypatch.setattr("sim.scenario.inventory.scenario_fleet.fleet_to_data", other_os)
    with pytest.raises(ScenarioError) as caught:
        load(folder, FROM_CLI)
    assert str(caught.value).endswith(
        "fleet.from: imported group rg-esu-windows-1: os: input should be 'windows' or "
        "'linux' (got \"solaris\"); change it in a fleet file")


def test_in_code_files_are_relative_to_the_working_directory(
        folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(folder)
    scenario = scenario_from_text(HEAD + FROM_CLI + "  scale: 2\n")
    assert scenario.machines == 12


def test_the_model_alone_does_not_import_a_fleet(folder: Path) -> None:
    """The import is part of loading a file, before validation: the schema never reads
    files (and does not import the inventory reader)."""
    data = {"name": "x", "duration": "1d", "fleet": {"from": list(CLI_FILES)}}
    with pytest.raises(ValueError, match=r"is read when a scenario file is loaded"):
        Scenario.model_validate(data)


def test_imported_groups_list_their_machines_for_a_replay(folder: Path) -> None:
    imported = groups(load(folder, FROM_CLI))
    names = [n for g in imported.values() for n in g.machine_names]
    assert len(names) == sum(g.count for g in imported.values()) == 6
    assert all("/" in n and n == n.lower() for n in names)
    anonymised = groups(load(folder, FROM_CLI.replace("]\n", "]\n  anonymise: true\n")))
    assert all(n.startswith("rg-") and "/m-" in n
               for g in anonymised.values() for n in g.machine_names)


def test_the_schema_offers_both_forms_of_fleet() -> None:
    fleet = Scenario.model_json_schema()["properties"]["fleet"]
    refs = [option.get("$ref", option.get("type")) for option in fleet["anyOf"]]
    assert refs == ["array", "#/$defs/FleetFrom"]
    assert np.all([name in Scenario.model_json_schema()["$defs"]["FleetFrom"]["properties"]
                   for name in ("from", "group_by", "anonymise", "scale", "groups", "path")])


def test_what_an_imported_fleet_cannot_hold_is_a_warning_and_a_cli_notice(
        folder: Path, arcsim: Arcsim) -> None:
    from sim.scenario.inventory.scenario_fleet import ImportedFleetWarning

    with pytest.warns(ImportedFleetWarning) as caught:
        load(folder, FROM_CLI)
    texts = [str(w.message) for w in caught]
    files = "fleet.from cli-list.json, cli-show.json, cli-extensions.json: "
    # a Failed resource is kept (R6c) and an automatic-upgrade opt-out is held (R25): only
    # what the agent refuses is left
    assert texts == [files + "group rg-web-linux-1: 1 of 1 machines: cannot run `azcmagent "
                     'config set extensions.allowlist "Allow/None"` on agent 1.33: Allow/None '
                     "requires agent 1.35 or later (this agent is 1.33) (R15); simulated "
                     "without it"]
    path = folder / "s.yaml"  # written by load()
    status, _, err = arcsim("validate", path)
    assert status == 0
    assert err.startswith("arcsim: notice: fleet.from cli-list.json") and "Traceback" not in err
    assert "Allow/None requires agent 1.35" in err and "UserWarning" not in err


def test_an_anonymised_import_warns_without_real_names(folder: Path) -> None:
    from sim.scenario.inventory.scenario_fleet import ImportedFleetWarning

    with pytest.warns(ImportedFleetWarning) as caught:
        scenario = load(folder, FROM_CLI.replace("]\n", "]\n  anonymise: true\n"))
    text = " ".join(str(w.message) for w in caught)
    assert "R15" in text
    assert "rg-web" not in text and "web01" not in text
    assert not any("rg-web" in g.group for g in scenario.fleet)
    kept = [(e.state, e.auto_upgrade) for g in scenario.fleet for e in g.extensions
            if e.name == "Microsoft.Compute/CustomScriptExtension"]
    assert kept == [("Failed", False)]
