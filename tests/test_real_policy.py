"""Real Azure Policy definitions in runs (issue 18): the constructs built-ins use, each on the
corpus file (``tests/data/real/policy``) or a small rule that has it (R6b, R16, R26).

Template functions evaluated once the assignment's parameters are known, ``value`` and
``count`` conditions, aliases of other resource types read as absent, existence conditions
with ``anyOf`` over types, ``details.name`` built with ``concat(field('name'), ...)``,
``evaluationDelay``, ``existenceScope``, Disabled effects and unreachable branches as notices,
Modify on tags applied when the scenario is built, and a UTF-8 byte-order mark.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from sim.engine import DAY, Outcome, World
from sim.planning import plan as plan_fleet
from sim.rules.azure_policy import PolicyDefinitionError, assign, load_definition, parse_definition
from sim.rules.azure_policy_plan import MACHINE, plan
from sim.rules.identity import ExtensionId
from sim.scenario.build import build_world
from sim.scenario.loading import scenario_from_text
from sim.scenario.policy_definitions import load_rule
from sim.scenario.schema import Scenario
from sim.scenario.source import ScenarioError

POLICY = Path(__file__).resolve().parent / "data" / "real" / "policy"
AMA_W = "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent"
AMA_L = "Microsoft.Azure.Monitor/AzureMonitorLinuxAgent"
SQL_W = "Microsoft.AzureData/WindowsAgent.SqlServer"
DEP_W = "Microsoft.Azure.Monitoring.DependencyAgent/DependencyAgentWindows"
MACHINES = "Microsoft.HybridCompute/machines"
EXT = "Microsoft.HybridCompute/machines/extensions"


def scenario(text: str, filename: str = "scenario.yaml") -> Any:
    """The scenario in YAML ``text``, its definition paths taken in the corpus."""
    text = textwrap.dedent(text).replace("definition: ", f"definition: {POLICY}/")
    return scenario_from_text(text, filename)


def run(text: str, days: float = 3.0) -> World:
    """Build and run the scenario in YAML ``text`` (definition paths relative to the corpus)."""
    world = build_world(scenario(text))
    world.run(days * DAY)
    return world


def succeeded(world: World) -> dict[tuple[str, str], int]:
    """(group, extension) -> installs that succeeded."""
    r = world.records
    done = r["outcome"] == Outcome.SUCCEEDED
    found: dict[tuple[str, str], int] = {}
    for g, x in zip(r["group"][done], r["extension"][done], strict=True):
        key = (world.group_names[g], world.ext_ids[x].name)
        found[key] = found.get(key, 0) + 1
    return found


def rule_file(tmp_path: Path, rule: dict[str, Any], parameters: dict[str, Any] | None = None,
              name: str = "rule.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"properties": {"mode": "Indexed", "parameters": parameters or {},
                                               "policyRule": rule}}))
    return path


# --- DeployIfNotExists ------------------------------------------------------------------------


def test_r6b_one_definition_deploys_to_each_os_the_agent_its_template_names() -> None:
    world = run("""
        name: ama-both
        duration: 3d
        fleet:
          - {group: win, count: 3, os: windows, agent_version: "1.58"}
          - {group: lin, count: 2, os: linux, agent_version: "1.58"}
        policies:
          - name: ama
            definition: custom/ama-dine-per-os.json
            remediation: {first: 1h}
        """)
    assert succeeded(world) == {("win", AMA_W): 3, ("lin", AMA_L): 2}


def test_r6b_the_sql_definition_deploys_where_sql_is_discovered_unless_tagged_out() -> None:
    """SQL v3.4.1 reads mssqlDiscovered (from sql_server:); a Modify adds the opt-out tag at
    build, which the SQL Server automatic deployment honours; the DINE itself does not."""
    world = run("""
        name: sql
        duration: 3d
        fleet:
          - {group: sql, count: 2, os: windows, agent_version: "1.58", sql_server: true}
          - {group: plain, count: 2, os: windows, agent_version: "1.58"}
        policies:
          - name: sql-dine
            definition: SQL/ArcMachineWithSQL_InstallArcEnabledExtension.v3.4.1.json
            remediation: {first: 1h}
        """)
    assert succeeded(world) == {("sql", SQL_W): 2}
    auto = """
        name: sql-auto
        duration: 3d
        fleet:
          - {group: sql, count: 2, os: windows, agent_version: "1.58", sql_server: true}
          - {group: plain, count: 2, os: windows, agent_version: "1.58"}
        timeline:
          - sql_auto_deploy: {every: 1d, first: 1h}
        """
    assert succeeded(run(auto)) == {("sql", SQL_W): 2}
    opted_out = run(auto.replace("timeline:", """policies:
          - name: opt-out
            definition: custom/sql-optout-tag-modify.json
        timeline:"""))
    assert opted_out.fleet.groups[0].tags == {"ArcSQLServerExtensionDeployment": "Disabled"}
    assert opted_out.fleet.groups[1].tags == {}
    assert succeeded(opted_out) == {}


def test_a_field_count_over_machine_interfaces_reads_the_groups_properties() -> None:
    def nics(n: int) -> str:
        return json.dumps({"networkProfile": {"networkInterfaces": [
            {"ipAddresses": [{"address": f"10.0.{i}.4"}]} for i in range(n)]}})

    world = run(f"""
        name: nics
        duration: 3d
        fleet:
          - {{group: multi, count: 2, os: windows, agent_version: "1.58",
              properties: {nics(2)}}}
          - {{group: single, count: 2, os: windows, agent_version: "1.58",
              properties: {nics(1)}}}
        policies:
          - name: dep
            definition: custom/count-network-interfaces.json
            remediation: {{first: 1h}}
        """)
    assert succeeded(world) == {("multi", DEP_W): 2}


def test_r6b_the_existence_condition_any_of_over_types_accepts_either_agent() -> None:
    assigned = assign(load_definition(POLICY / "custom/ama-dine-per-os.json"))
    related = assigned.related
    assert related is not None

    def exists(type_: str) -> bool:
        return related.exists({"type": EXT, "name": type_, "properties": {
            "publisher": "Microsoft.Azure.Monitor", "type": type_,
            "provisioningState": "Succeeded"}})

    assert exists("AzureMonitorWindowsAgent") and exists("AzureMonitorLinuxAgent")
    assert not exists("AzureMonitorMacAgent")


@pytest.mark.parametrize(("delay", "scope", "message"), [
    pytest.param("AfterProvisioning", "ResourceGroup", "", id="after-provisioning"),
    pytest.param("PT10M", None, "", id="iso-duration"),
    pytest.param(None, "Subscription", "existenceScope: subscription", id="subscription"),
])
def test_r6b_evaluation_delay_is_read_and_existence_scope_beyond_the_machine_refused(
        tmp_path: Path, delay: str | None, scope: str | None, message: str) -> None:
    details: dict[str, Any] = {
        "type": EXT, "name": "[concat(field('name'), '/AzureMonitorWindowsAgent')]",
        "existenceCondition": {"allOf": [
            {"field": f"{EXT}/publisher", "equals": "Microsoft.Azure.Monitor"},
            {"field": f"{EXT}/type", "equals": "AzureMonitorWindowsAgent"}]},
        "deployment": {"properties": {"template": {"resources": [{
            "type": EXT, "properties": {"publisher": "Microsoft.Azure.Monitor",
                                        "type": "AzureMonitorWindowsAgent"}}]}}}}
    if delay:
        details["evaluationDelay"] = delay
    if scope:
        details["existenceScope"] = scope
    path = rule_file(tmp_path, {"if": {"field": "type", "equals": MACHINES},
                                "then": {"effect": "DeployIfNotExists", "details": details}})
    if message:
        with pytest.raises(PolicyDefinitionError, match=message):
            load_rule(path, {})
    else:
        assert dict(load_rule(path, {}).deploys) == {"windows": AMA_W, "linux": AMA_W}


def test_r6b_details_name_is_the_last_segment_of_its_concat() -> None:
    assigned = assign(load_definition(POLICY / "custom/count-network-interfaces.json"))
    assert assigned.related is not None
    assert assigned.related.name == "DependencyAgentWindows"


# --- Disabled, unreachable, other types ---------------------------------------------------


def test_a_disabled_effect_never_makes_an_unsupported_field_an_error(tmp_path: Path) -> None:
    rule = {"if": {"allOf": [{"field": "type", "equals": MACHINES},
                             {"field": f"{MACHINES}/osProfile.computerName", "like": "sql*"}]},
            "then": {"effect": "[parameters('effect')]"}}
    parameters = {"effect": {"type": "String", "defaultValue": "Disabled",
                             "allowedValues": ["Audit", "Disabled"]}}
    planned = plan(assign(load_definition(rule_file(tmp_path, rule, parameters))))
    assert any("osProfile.computerName" in n for n in planned.notices)
    assert any("disabled changes nothing" in n for n in planned.notices)


def test_an_unsupported_field_in_another_types_branch_is_a_notice(tmp_path: Path) -> None:
    rule = {"if": {"anyOf": [
        {"allOf": [{"field": "type", "equals": "Microsoft.Compute/virtualMachines"},
                   {"field": "Microsoft.Compute/imagePublisher", "equals": "MicrosoftSQL"}]},
        {"allOf": [{"field": "type", "equals": EXT},
                   {"field": f"{EXT}/publisher", "equals": "Microsoft.Compute"}]}]},
        "then": {"effect": "Deny"}}
    rule_ = load_rule(rule_file(tmp_path, rule), {})
    assert rule_.matches(_ext("Microsoft.Compute/CustomScriptExtension"))
    assert not rule_.matches(_ext(AMA_W))


def _ext(name: str) -> ExtensionId:
    return ExtensionId.parse(name)


def test_aliases_of_other_types_are_absent_not_errors() -> None:
    definition = parse_definition({"properties": {"mode": "All", "policyRule": {
        "if": {"allOf": [{"field": "type", "equals": EXT},
                         {"field": "Microsoft.Compute/virtualMachines/extensions/publisher",
                          "exists": "false"}]},
        "then": {"effect": "Deny"}}}})
    planned = plan(assign(definition))
    assert planned.request is not None and planned.notices == ()


# --- template functions, value and count --------------------------------------------------

FUNCTIONS = [
    ("[concat('a', 'b', 'c')]", "abc"),
    ("[toLower('AzureMonitor')]", "azuremonitor"),
    ("[if(equals(1, 1), 'yes', 'no')]", "yes"),
    ("[empty('')]", True),
    ("[empty(parameters('list'))]", False),
    ("[contains(parameters('list'), 'b')]", True),
    ("[first(split('Microsoft.Azure.Monitor/AzureMonitorWindowsAgent', '/'))]",
     "Microsoft.Azure.Monitor"),
    ("[last(split('Microsoft.Azure.Monitor/AzureMonitorWindowsAgent', '/'))]",
     "AzureMonitorWindowsAgent"),
    ("[length(union(parameters('list'), createArray('d', 'a')))]", 4),
    ("[contains(intersection(parameters('list'), createArray('b', 'z')), 'b')]", True),
    ("[length(intersection(parameters('list'), createArray('b', 'z')))]", 1),
    ("[length(parameters('list'))]", 3),
    ("[equals(toLower(parameters('os')), 'windows')]", True),
]


@pytest.mark.parametrize(("expression", "value"), FUNCTIONS)
def test_r26_template_functions_built_ins_use_are_evaluated_once_parameters_are_known(
        tmp_path: Path, expression: str, value: object) -> None:
    rule = {"if": {"allOf": [{"field": "type", "equals": EXT},
                             {"value": expression, "equals": value}]},
            "then": {"effect": "Deny"}}
    parameters = {"list": {"type": "Array", "defaultValue": ["a", "b", "c"]},
                  "os": {"type": "String", "defaultValue": "Windows"}}
    planned = plan(assign(load_definition(rule_file(tmp_path, rule, parameters))))
    assert planned.request is not None and planned.request({"type": EXT})


@pytest.mark.parametrize(("listed", "matches"), [(["AzureMonitorWindowsAgent"], True),
                                                 (["MDE.Windows"], False), ([], False)])
def test_r26_a_value_count_over_a_parameter_list(tmp_path: Path, listed: list[str],
                                                 matches: bool) -> None:
    rule = {"if": {"allOf": [
        {"field": "type", "equals": EXT},
        {"count": {"value": "[parameters('types')]", "name": "t",
                   "where": {"field": f"{EXT}/type", "equals": "[current('t')]"}},
         "greater": 0}]}, "then": {"effect": "Deny"}}
    path = rule_file(tmp_path, rule, {"types": {"type": "Array"}})
    rule_ = load_rule(path, {"types": listed})
    assert rule_.matches(_ext(AMA_W)) is matches


# --- Modify on tags, BOM --------------------------------------------------------------------


def test_modify_adds_tags_when_the_scenario_is_built() -> None:
    built = scenario("""
        name: tags
        duration: 1d
        fleet:
          - {group: a, count: 1, os: windows, agent_version: "1.58", tags: {Owner: ops}}
          - {group: b, count: 1, os: linux, agent_version: "1.58"}
        policies:
          - name: add
            definition: Tags/AddTag_Modify.json
            parameters: {tagName: Owner, tagValue: platform}
          - name: replace
            definition: Tags/AddOrReplaceTag_Modify.json
            parameters: {tagName: CostCenter, tagValue: "42"}
        """)
    world = build_world(built)
    assert [dict(g.tags) for g in world.fleet.groups] == [
        {"Owner": "ops", "CostCenter": "42"}, {"Owner": "platform", "CostCenter": "42"}]


def test_modify_on_tags_assigned_in_the_timeline_is_a_located_error() -> None:
    with pytest.raises(ScenarioError, match=r"late\.yaml:.*Modify"):
        scenario("""
        name: late-tags
        duration: 1d
        fleet:
          - {group: a, count: 1, os: windows, agent_version: "1.58"}
        timeline:
          - at: 1h
            assign:
              name: add
              definition: Tags/AddTag_Modify.json
              parameters: {tagName: Owner, tagValue: platform}
        """, "late.yaml")


def test_a_definition_saved_with_a_byte_order_mark_reads_as_without() -> None:
    with_bom = load_definition(POLICY / "custom/addtag-modify-with-bom.json")
    plain = load_definition(POLICY / "Tags/AddTag_Modify.json")
    assert (POLICY / "custom/addtag-modify-with-bom.json").read_bytes()[:3] == b"\xef\xbb\xbf"
    assert with_bom.rule == plain.rule and with_bom.parameters == plain.parameters


def test_the_machine_profile_names_what_a_group_can_give() -> None:
    assert "properties:" in MACHINE.shown


def test_a_plan_reads_the_definitions_and_properties_a_run_reads() -> None:
    """``sim.plan`` sees what a run does: the Modify tags and the group properties a
    definition reads (here: who the Dependency agent is deployed to, then blocked)."""
    interfaces = [{"ipAddresses": [{"address": f"10.0.{i}.4"}]} for i in range(2)]
    made = plan_fleet(Scenario.model_validate({
        "name": "plan", "duration": "1d",
        "fleet": [{"group": "multi", "count": 3, "agent_version": "1.45",
                   "properties": {"networkProfile": {"networkInterfaces": interfaces}}},
                  {"group": "single", "count": 2, "agent_version": "1.45"}],
        "policies": [{"name": "dep", "definition": str(POLICY / "custom/count-network-"
                                                                "interfaces.json")}]}),
        [f'azcmagent config set extensions.allowlist "{AMA_W}"'])
    s = made.summary
    blocked = s[(s.extension == DEP_W) & (s.action == "install") & (s.outcome == "blocked")]
    assert blocked.machines.sum() == 3  # the three multi-homed machines, not the other two
