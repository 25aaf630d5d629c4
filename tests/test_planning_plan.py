"""``sim.plan``: fleets from scenarios, fleet files and exports; runbooks per group; policies,
requests and agent updates; the frames; JSON and CSV (issue 15)."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import pandas as pd
import pytest
from helpers import AMA, CSE, DEP, MMA, allowlist

import sim
from sim.planning import Plan, PlanError, plan
from sim.rules.catalogue import BUILTIN, Hosting, entry_for
from sim.rules.identity import ExtensionId
from sim.rules.readings import Readings
from sim.scenario.inventory import convert_inventory, load_inventory, write_fleet_yaml
from sim.scenario.schema import Scenario
from sim.scenario.source import ScenarioError

ROOT = Path(__file__).parent.parent
INVENTORY = ROOT / "tests" / "data" / "inventory"
EXPORT = [str(INVENTORY / n) for n in ("cli-list.json", "cli-show.json", "cli-extensions.json")]
DENY_MMA = ROOT / "scenarios" / "policies" / "LogAnalyticsExtension_Windows_HybridVM_Deny.json"
GUEST_OFF = "azcmagent config set guestconfiguration.enabled false"


def fleet(*groups: dict[str, object], seed: int = 0) -> Scenario:
    return Scenario.model_validate({"name": "fleet", "duration": "1d", "seed": seed,
                                    "fleet": list(groups)})


WEB = {"group": "web", "count": 4, "agent_version": "1.45", "extensions": [AMA, DEP]}
OLD = {"group": "old", "count": 2, "agent_version": "1.14", "extensions": [AMA]}


def cell(made: Plan, extension: str, action: str, outcome: str) -> int:
    s = made.summary
    hit = s[(s.extension == extension) & (s.action == action) & (s.outcome == outcome)]
    return int(hit.machines.sum())


def test_sim_plan_is_callable_as_the_package_and_the_function() -> None:
    assert callable(sim.plan)
    made = sim.plan(fleet(WEB), [allowlist(AMA)])
    assert isinstance(made, Plan) and made.machine_count == 4
    assert isinstance(plan(fleet(WEB)), Plan)


def test_r13_an_allowlist_blocks_the_unlisted_extension_on_every_machine() -> None:
    made = plan(fleet(WEB, OLD), [allowlist(AMA), GUEST_OFF])
    assert cell(made, DEP, "update", "blocked") == 4
    assert cell(made, AMA, "update", "allowed") == 6
    blocked = made.verdicts[made.verdicts.extension == DEP]
    assert set(blocked.update_reason) == {"not_on_allowlist"} and set(blocked.update_rule) == {
        "R13"}
    assert list(made.verdicts.columns[:7]) == ["machine", "name", "group", "agent_version",
                                               "extension", "status", "running"]


def test_r30_machines_the_lockdown_cannot_reach_are_listed_with_the_refusal() -> None:
    made = plan(fleet(WEB, OLD), [allowlist(AMA), GUEST_OFF])
    assert made.reached == 4
    assert set(made.unreachable.code) == {"key_unavailable"}
    assert set(made.unreachable.machines) == {2}
    assert list(made.refusals.name.unique()) == ["machine-0000004", "machine-0000005"]
    assert set(made.open_paths[made.open_paths.group == "old"].path) == {
        "script_extension", "guest_configuration", "agent_too_old"}


def test_r30_updating_old_agents_first_lets_the_lockdown_reach_them() -> None:
    made = plan(fleet(WEB, OLD), [allowlist(AMA), GUEST_OFF], agent_version="1.40")
    assert made.reached == 6 and made.paths.empty
    assert set(made.machines.agent_version.astype(str)) == {"1.45", "1.14"}  # as the fleet says


def test_r27_open_paths_name_who_in_the_scenario_could_use_them() -> None:
    scenario = Scenario.model_validate({
        "name": "who", "duration": "1d", "fleet": [WEB],
        "policies": [{"name": "no-mma", "deny": [MMA]}],
        "timeline": [{"at": "1h", "install": CSE, "actor": "dev", "role": "Contributor"},
                     {"at": "2h", "unassign": "no-mma", "actor": "sec", "role":
                      "Resource Policy Contributor"}]})
    made = plan(scenario, [f"azcmagent config set extensions.blocklist {CSE}"])
    paths = made.paths.set_index("path")
    assert "dev (contributor)" in paths.loc["script_extension", "who"]
    assert paths.loc["guest_configuration", "who"] == (
        "policy_admin (owner), sec (resource policy contributor)")
    assert MMA in paths.loc["script_extension", "extensions"]
    assert CSE not in paths.loc["script_extension", "extensions"]
    assert cell(made, CSE, "install", "blocked") == 4  # the scenario requests it


def test_r26_a_policy_definition_file_denies_before_the_machine_sees_the_request() -> None:
    windows = {"group": "win", "count": 3, "agent_version": "1.45", "extensions": [MMA]}
    made = plan(fleet(windows), None, policies=[(DENY_MMA, {"effect": "Deny"})])
    assert cell(made, MMA, "update", "denied") == 3
    assert cell(made, MMA, "delete", "allowed") == 3
    audit = plan(fleet(windows), None, policies=[DENY_MMA])  # its default effect: Audit
    assert cell(audit, MMA, "update", "allowed") == 3


def test_requests_are_planned_on_machines_of_their_os_only() -> None:
    linux = {"group": "lnx", "count": 2, "os": "linux", "agent_version": "1.45"}
    made = plan(fleet(WEB, linux), [allowlist(AMA)], requests=[CSE])
    requested = made.verdicts[made.verdicts.status == "requested"]
    assert set(requested.group) == {"web"} and set(requested.install) == {"blocked"}
    assert requested["update"].isna().all()


def test_group_runbooks_take_precedence_and_unlocked_groups_are_named() -> None:
    made = plan(fleet(WEB, OLD), groups={"w*": [allowlist(AMA)]})
    assert made.unlocked_groups == ("old",)
    assert [(u.source, u.groups) for u in made.lockdown] == [("groups['w*']", ("web",))]
    assert set(made.machines[made.machines.group == "old"].lockdown.astype(str)) == {""}


def test_a_group_pattern_matching_no_group_is_an_error_naming_the_groups() -> None:
    with pytest.raises(PlanError, match=r"group \"db\*\" matches no group of the fleet "
                                        r"\(groups: web, old\)"):
        plan(fleet(WEB, OLD), groups={"db*": [allowlist(AMA)]})


def test_a_runbook_file_is_read_with_its_line_numbers(tmp_path: Path) -> None:
    runbook = tmp_path / "lock.sh"
    runbook.write_text(f"#!/bin/sh\necho start\nsudo {allowlist('Allow/None')}\n")
    made = plan(fleet(OLD | {"agent_version": "1.30"}), runbook)
    [use] = made.lockdown
    assert (use.source, use.commands, use.skipped) == (str(runbook), 1, (2,))
    assert list(made.refusals.line) == [3, 3] and set(made.refusals.code) == {
        "allow_none_unsupported"}
    with pytest.raises(PlanError, match=r"nope\.sh: no such file"):
        plan(fleet(WEB), tmp_path / "nope.sh")


def test_r24_disabling_the_manager_stops_manager_hosted_extensions_and_orphans_deletes() -> None:
    made = plan(fleet(WEB), ["azcmagent config set extensions.enabled false"])
    assert cell(made, AMA, "running", "stops") == 4
    assert cell(made, DEP, "running", "keeps_running") == 4
    assert cell(made, AMA, "delete", "orphaned") == 4


def test_r6_a_runbook_that_removes_an_extension_says_whether_resync_brings_it_back() -> None:
    made = plan(fleet(WEB), ["systemctl stop extd", f"azcmagent extension remove --name {DEP}",
                             allowlist(AMA), "systemctl start extd"])
    removed = made.verdicts[made.verdicts.extension == DEP]
    assert set(removed.status) == {"removed_locally"} and set(removed.running) == {"removed"}
    assert set(removed.reinstall) == {"blocked"} and removed.auto_upgrade.isna().all()


def test_an_export_and_its_fleet_file_give_the_same_plan(tmp_path: Path) -> None:
    lockdown = [allowlist(AMA), GUEST_OFF]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from_export = plan(EXPORT, lockdown)
        fleet_file = tmp_path / "fleet.yaml"
        write_fleet_yaml(convert_inventory(load_inventory(*EXPORT)).fleet, fleet_file)
    from_file = plan(str(fleet_file), lockdown)
    assert list(from_export.machines.name)[:2] == ["db01", "esu01"]  # the export's names
    assert list(from_file.machines.name)[:2] == ["machine-0000000", "machine-0000001"]
    for frame in ("summary", "unreachable", "paths"):
        pd.testing.assert_frame_equal(getattr(from_export, frame), getattr(from_file, frame))


def test_an_invalid_fleet_file_is_a_located_error(tmp_path: Path) -> None:
    bad = tmp_path / "fleet.yaml"
    bad.write_text("fleet:\n  - group: a\n    count: many\n    agent_version: \"1.45\"\n")
    with pytest.raises(ScenarioError, match=r"fleet.yaml:3: fleet\[0\].count"):
        plan(str(bad))


def test_the_json_holds_the_summaries_and_every_machine(tmp_path: Path) -> None:
    made = plan(fleet(WEB, OLD), [allowlist(AMA)])
    data = json.loads(made.json_text())
    assert data["machines"] == 6 and data["reached"] == 4
    assert {"summary", "unreachable", "paths", "per_machine"} <= set(data)
    assert len(data["per_machine"]["verdicts"]) == len(made.verdicts) == 6 * 2 - 2
    assert data["per_machine"]["verdicts"][0]["install"] == "allowed"


def test_the_csv_is_the_verdicts_table(tmp_path: Path) -> None:
    made = plan(fleet(WEB), [allowlist(AMA)])
    target = tmp_path / "plan.csv"
    made.write_csv(target)
    back = pd.read_csv(target)
    assert list(back.columns) == list(made.verdicts.columns) and len(back) == 8
    assert [p.name for p in tmp_path.iterdir()] == ["plan.csv"]  # no temporary left
    with pytest.raises(PlanError, match="cannot write"):
        made.write_csv(tmp_path / "missing" / "plan.csv")


def test_the_plan_is_exact_the_same_inputs_give_the_same_frames() -> None:
    scenario = fleet(WEB | {"agent_versions": {"1.16": 0.5, "1.45": 0.5}, "count": 50,
                            "agent_version": None}, seed=3)
    first, again = plan(scenario, [allowlist(AMA)]), plan(scenario, [allowlist(AMA)])
    pd.testing.assert_frame_equal(first.verdicts, again.verdicts)
    pd.testing.assert_frame_equal(first.summary, again.summary)


# --- a scenario's catalogue: and params readings, as a run reads them --------------------------

INVENTORY_AGENT = "Contoso/InventoryAgent"


def scenario_with(data: dict[str, object], *groups: dict[str, object]) -> Scenario:
    return Scenario.model_validate({"name": "fleet", "duration": "1d", "fleet": list(groups),
                                    **data})


def test_r25_r24_r7_the_plan_takes_the_scenarios_catalogue_entries() -> None:
    group = {"group": "web", "count": 2, "os": "windows", "agent_version": "1.45",
             "extensions": [INVENTORY_AGENT, AMA]}
    entries = {INVENTORY_AGENT: {"hosting": "service", "auto_upgrade": True,
                                 "runs_scripts": True}}
    lockdown = [allowlist(AMA, INVENTORY_AGENT), "azcmagent config set extensions.enabled false"]
    before, after = plan(fleet(group), lockdown), plan(scenario_with(
        {"catalogue": entries}, group), lockdown)
    assert cell(before, INVENTORY_AGENT, "running", "stops") == 2       # unknown: manager
    assert cell(after, INVENTORY_AGENT, "running", "keeps_running") == 2  # its own service
    assert cell(before, INVENTORY_AGENT, "auto_upgrade", "not_offered") == 2
    assert cell(after, INVENTORY_AGENT, "auto_upgrade", "blocked") == 2   # offered: manager off
    opened = plan(scenario_with({"catalogue": entries}, group), [allowlist(INVENTORY_AGENT)])
    assert set(opened.paths.extensions) >= {INVENTORY_AGENT}             # script path (R7)


def test_r15_the_plan_takes_the_scenarios_allow_none_reading() -> None:
    old = {"group": "old", "count": 3, "os": "windows", "agent_version": "1.30",
           "extensions": [AMA]}
    lockdown = ['azcmagent config set extensions.allowlist "Allow/None"']
    refused = plan(fleet(old), lockdown)
    assert refused.reached == 0 and cell(refused, AMA, "update", "allowed") == 3
    ordinary = plan(scenario_with({"params": {"allow_none_before_1_35": "ordinary_entry"}},
                                  old), lockdown)
    assert ordinary.reached == 3 and cell(ordinary, AMA, "update", "blocked") == 3
    assert ordinary.notes == (
        "reading allow_none_before_1_35 = ordinary_entry (default refused)",)


def test_r23_r26_the_plan_takes_the_scenarios_request_readings() -> None:
    group = {"group": "web", "count": 2, "os": "windows", "agent_version": "1.45",
             "extensions": [AMA]}
    params = {"deny_refuses_automatic_upgrades": True, "disabled_manager_requests": "wait"}
    data = {"params": params, "policies": [{"name": "no-ama", "deny": [AMA]}]}
    made = plan(scenario_with(data, group))
    assert cell(made, AMA, "auto_upgrade", "denied") == 2
    waiting = plan(scenario_with({"params": params}, group),
                   ["azcmagent config set extensions.enabled false"])
    assert cell(waiting, AMA, "update", "waits") == 2
    assert cell(waiting, AMA, "delete", "waits") == 2


def test_r15_readings_given_to_the_plan_change_the_fleets() -> None:
    old = {"group": "old", "count": 1, "os": "windows", "agent_version": "1.30",
           "extensions": [AMA]}
    lockdown = ['azcmagent config set extensions.allowlist "Allow/None"']
    given = plan(fleet(old), lockdown, readings={"allow_none_before_1_35": "ordinary_entry"})
    assert cell(given, AMA, "update", "blocked") == 1
    back = plan(scenario_with({"params": {"allow_none_before_1_35": "ordinary_entry"}}, old),
                lockdown, readings=Readings())
    assert cell(back, AMA, "update", "allowed") == 1 and back.notes == ()


@pytest.mark.parametrize(("readings", "message"), [
    ({"allow_none": "refused"}, 'readings: unknown reading "allow_none"; the readings: '),
    ({"malformed_list_entry": "drop"}, "malformed_list_entry: expected one of command_fails, "
                                       'valid_entries_apply, got "drop"'),
    ({"deny_refuses_automatic_upgrades": "maybe"}, "expected true or false, got \"maybe\""),
])
def test_a_bad_reading_is_a_plan_error_naming_it(readings: dict[str, str], message: str) -> None:
    with pytest.raises(PlanError, match=re.escape(message)):
        plan(fleet(WEB), readings=readings)


def test_a_catalogue_given_to_the_plan_replaces_the_fleets() -> None:
    group = {"group": "web", "count": 1, "os": "windows", "agent_version": "1.45",
             "extensions": [INVENTORY_AGENT]}
    known = BUILTIN.with_entries([entry_for(ExtensionId.parse(INVENTORY_AGENT), BUILTIN,
                                            hosting=Hosting.SERVICE)])
    made = plan(fleet(group), ["azcmagent config set extensions.enabled false"],
                catalogue=known)
    assert cell(made, INVENTORY_AGENT, "running", "keeps_running") == 1
