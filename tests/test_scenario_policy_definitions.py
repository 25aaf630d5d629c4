"""Policy definition files in scenarios (issue 8): a definition assigned with parameters is the
engine's rule, used by the cloud side exactly as the built-in-style policies (R6b, R16, R26)."""

from __future__ import annotations

import dataclasses
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from sim.engine import DAY, CloudRequest, FleetSpec, GroupSpec, Op, Outcome, Target, Timing, World
from sim.engine.codes import REASONS
from sim.engine.policy import PolicyAdmin, PolicyRule, Remediation
from sim.rules.azure_policy import PolicyDefinitionError, parse_definition
from sim.rules.azure_policy import assign as assign_definition
from sim.scenario import policy_definitions
from sim.scenario.build import build_world
from sim.scenario.loading import load_scenario, scenario_from_text
from sim.scenario.policy_definitions import engine_rule, load_rule
from sim.scenario.source import ScenarioError

POLICIES = Path(__file__).resolve().parent.parent / "scenarios" / "policies"
DENY_MMA = POLICIES / "LogAnalyticsExtension_Windows_HybridVM_Deny.json"
DINE_AMA = POLICIES / "AzureMonitor_Agent_Windows_HybridVM_DINE.json"
MMA = "Microsoft.EnterpriseCloud.Monitoring/MicrosoftMonitoringAgent"
AMA = "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent"
CSE = "Microsoft.Compute/CustomScriptExtension"
EXT = "Microsoft.HybridCompute/machines/extensions"


def definition(tmp_path: Path, rule: dict[str, Any], name: str = "custom.json",
               parameters: dict[str, Any] | None = None) -> Path:
    """A definition file with ``rule`` as its policyRule."""
    path = tmp_path / name
    body = {"properties": {"mode": "All", "parameters": parameters or {}, "policyRule": rule}}
    path.write_text(json.dumps(body))
    return path


def deny_in(location: str, extension: str = CSE) -> dict[str, Any]:
    publisher, type_ = extension.split("/")
    return {"if": {"allOf": [
        {"field": "type", "equals": EXT},
        {"field": f"{EXT}/publisher", "equals": publisher},
        {"field": f"{EXT}/type", "equals": type_},
        {"field": "location", "equals": location}]}, "then": {"effect": "Deny"}}


def dine(existence: list[dict[str, Any]]) -> dict[str, Any]:
    return {"if": {"field": "type", "equals": "Microsoft.HybridCompute/machines"},
            "then": {"effect": "DeployIfNotExists", "details": {
                "type": EXT, "existenceCondition": {"allOf": existence}}}}


def ama_exists(*more: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"field": f"{EXT}/publisher", "equals": "Microsoft.Azure.Monitor"},
            {"field": f"{EXT}/type", "equals": "AzureMonitorWindowsAgent"}, *more]


def outcomes(world: World, op: Op = Op.INSTALL) -> dict[tuple[str, str, str], int]:
    """(group, extension, outcome name) -> records of ``op``."""
    r = world.records
    found: dict[tuple[str, str, str], int] = {}
    for g, x, o in zip(r["group"][r["operation"] == op], r["extension"][r["operation"] == op],
                       r["outcome"][r["operation"] == op], strict=True):
        key = (world.group_names[g], world.ext_ids[x].name, Outcome(o).name)
        found[key] = found.get(key, 0) + 1
    return found


def fleet(*groups: tuple[str, str, str]) -> FleetSpec:
    """Groups of 5 machines: (name, os, region)."""
    return FleetSpec(tuple(GroupSpec(n, 5, os=os, region=region, agent_versions={"1.45": 1.0})
                           for n, os, region in groups))


def assign(world: World, rule: PolicyRule, name: str = "p") -> None:
    world.add(PolicyAdmin("policy_admin", "assign", name, rule=rule))


def request(world: World, extension: str, group: str | None = None, at: float = 60.0) -> None:
    world.add(CloudRequest(f"admin-{group}-{extension}", operation="install",
                           extension=extension, target=Target(group=group),
                           timing=Timing(at=at)))


# --- the shipped built-in definitions --------------------------------------------------------


@pytest.mark.parametrize(("parameters", "mma"), [
    pytest.param({"effect": "Deny"}, "DENIED", id="deny"),
    pytest.param({"effect": "deny"}, "DENIED", id="deny-other-case"),
    pytest.param({"effect": {"value": "Deny"}}, "DENIED", id="deny-arm-value-form"),
    pytest.param({"effect": "Audit"}, "SUCCEEDED", id="audit"),
    pytest.param({}, "SUCCEEDED", id="default-audit"),
    pytest.param({"effect": "Disabled"}, "SUCCEEDED", id="disabled"),
])
def test_r26_legacy_agent_definition_with_each_effect(parameters: dict[str, Any],
                                                      mma: str) -> None:
    world = World(fleet(("win", "windows", "westeurope")), seed=1)
    assign(world, load_rule(DENY_MMA, parameters))
    request(world, MMA)
    request(world, AMA)
    world.run(DAY)
    found = outcomes(world)
    assert found[("win", MMA, mma)] == 5
    assert found[("win", AMA, "SUCCEEDED")] == 5
    audited = found.get(("win", MMA, "AUDITED"), 0)
    assert audited == (5 if parameters.get("effect", "Audit") == "Audit" else 0)
    denied = world.records["outcome"] == Outcome.DENIED
    assert {REASONS[r] for r in world.records["reason"][denied]} <= {"policy_deny"}


def test_r6b_ama_definition_deploys_where_its_if_holds_only() -> None:
    world = World(fleet(("weu", "windows", "westeurope"), ("nz", "windows", "newzealandnorth"),
                        ("lin", "linux", "westeurope")), seed=2)
    text = DINE_AMA.read_text()
    world.add(PolicyAdmin("policy_admin", "assign", "ama", rule=load_rule(DINE_AMA, {})))
    world.add(Remediation("ama-remediation", "ama", first=3600.0))
    world.run(DAY)
    assert "newzealandnorth" not in text  # the region is not in the definition's list
    assert outcomes(world) == {("weu", AMA, "REQUESTED"): 5, ("weu", AMA, "SUCCEEDED"): 5}


# --- the adapter -----------------------------------------------------------------------------


def test_a_deny_that_reads_location_is_decided_per_group(tmp_path: Path) -> None:
    rule = load_rule(definition(tmp_path, deny_in("eastus")), {})
    assert rule.matches_in is not None
    world = World(fleet(("east", "windows", "EastUS"), ("west", "windows", "westeurope")), seed=3)
    assign(world, rule)
    request(world, CSE)
    world.run(DAY)
    assert outcomes(world) == {("east", CSE, "DENIED"): 5, ("west", CSE, "REQUESTED"): 5,
                               ("west", CSE, "SUCCEEDED"): 5}


def test_a_rule_that_does_not_read_the_machine_is_evaluated_once_per_extension() -> None:
    rule = load_rule(DENY_MMA, {"effect": "Deny"})
    assert rule.matches_in is None
    calls: list[str] = []

    def counted(extension: Any) -> bool:
        calls.append(extension.key)
        return rule.matches(extension)

    world = World(fleet(("a", "windows", "westeurope"), ("b", "windows", "eastus")), seed=4)
    assign(world, dataclasses.replace(rule, matches=counted))
    for at in (60.0, 3600.0):
        request(world, MMA, at=at)
    world.run(DAY)
    assert outcomes(world)[("a", MMA, "DENIED")] == 10
    assert calls == [MMA.lower()]


@pytest.mark.parametrize(("existence", "failed_again"), [
    pytest.param(ama_exists({"field": f"{EXT}/provisioningState", "equals": "Succeeded"}), True,
                 id="requires-succeeded"),
    pytest.param(ama_exists(), False, id="any-state"),
])
def test_r6b_a_failed_extension_is_remediated_only_when_succeeded_is_required(
        tmp_path: Path, existence: list[dict[str, Any]], failed_again: bool) -> None:
    rule = load_rule(definition(tmp_path, dine(existence)), {})
    assert rule.remediates_failed is failed_again
    assert dict(rule.deploys) == {"windows": AMA, "linux": AMA}


@pytest.mark.parametrize(("rule", "path", "field"), [
    pytest.param({"if": {"allOf": [{"field": "type", "equals": EXT}, {
        "field": f"{EXT}/typeHandlerVersion", "equals": "1.0"}]}, "then": {"effect": "Deny"}},
        "properties.policyRule.if.allOf[1].field", "typeHandlerVersion",
        id="deny-on-a-request-field-the-simulation-lacks"),
    pytest.param({"if": {"field": "id", "like": "*"}, "then": {"effect": "Audit"}},
                 "properties.policyRule.if.field", '"id"', id="audit-on-id"),
    pytest.param({"if": {"allOf": [{"field": "type", "equals": "Microsoft.HybridCompute/machines"},
                                   {"not": {"field": "Microsoft.HybridCompute/machines/osProfile."
                                                     "windowsConfiguration.patchSettings."
                                                     "assessmentMode",
                                            "equals": "ImageDefault"}}]},
                  "then": dine(ama_exists())["then"]},
                 "properties.policyRule.if.allOf[1].not.field", "assessmentMode",
                 id="dine-on-a-machine-field-the-simulation-lacks"),
    pytest.param(dine([{"field": f"{EXT}/type", "in": ["AzureMonitorWindowsAgent", "MMA"]}]),
                 "then.details", "",
                 id="existence-condition-met-by-other-extensions"),
    pytest.param(dine(ama_exists({"field": f"{EXT}/typeHandlerVersion", "equals": "1.2"})),
                 "existenceCondition.allOf[2].field", "typeHandlerVersion",
                 id="existence-condition-on-a-version"),
    pytest.param(dine(ama_exists({"field": f"{EXT}/provisioningState", "equals": "Failed"})),
                 "then.details", "Succeeded does not meet",
                 id="existence-condition-the-deployed-extension-never-meets"),
])
def test_what_the_simulation_cannot_evaluate_is_an_error_naming_the_json_path(
        tmp_path: Path, rule: dict[str, Any], path: str, field: str) -> None:
    file = definition(tmp_path, rule)
    with pytest.raises(PolicyDefinitionError) as caught:
        load_rule(file, {})
    message = str(caught.value)
    assert message.startswith(str(file)) and path in message and field in message


def test_the_existence_condition_error_says_why() -> None:
    rule = dine([{"field": f"{EXT}/type", "in": ["AzureMonitorWindowsAgent"]}])
    rule["then"]["details"]["deployment"] = {"properties": {"template": {"resources": [{
        "type": EXT, "properties": {"publisher": "Microsoft.Azure.Monitor",
                                    "type": "AzureMonitorWindowsAgent"}}]}}}
    assigned = assign_definition(parse_definition({"policyRule": rule}))
    assert assigned.deploys is not None and assigned.deploys.name == AMA  # from the template
    with pytest.raises(PolicyDefinitionError, match="must require its publisher and type"):
        engine_rule(assigned)


# --- scenarios -------------------------------------------------------------------------------

SCENARIO = """\
name: definitions
description: |
  Do definition files work in a scenario?
duration: 2d
fleet:
  - {group: weu, count: 4, os: windows, agent_version: "1.45", region: westeurope}
  - {group: nz, count: 2, os: windows, agent_version: "1.45", region: newzealandnorth}
policies:
  - name: no-mma
    definition: policies/deny.json
    parameters: {effect: Deny}
  - name: ama
    definition: policies/dine.json
    remediation: {every: 1d, first: 1h}
timeline:
  - at: 3h
    install: Microsoft.EnterpriseCloud.Monitoring/MicrosoftMonitoringAgent
  - at: 1d
    actor: late
    assign: {name: no-cse, definition: policies/deny.json, parameters: {effect: Audit}}
expect:
  blocked.install.policy_deny: 6
  blocked.by_extension.Microsoft.Azure.Monitor/AzureMonitorWindowsAgent: 0
  overrides.by_actor.ama-remediation: 0
"""


@pytest.fixture
def scenario_dir(tmp_path: Path) -> Path:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "deny.json").write_text(DENY_MMA.read_text())
    (tmp_path / "policies" / "dine.json").write_text(DINE_AMA.read_text())
    return tmp_path


def load(folder: Path, text: str = SCENARIO) -> Any:
    (folder / "s.yaml").write_text(text)
    return load_scenario(folder / "s.yaml")


def test_a_scenario_assigns_definitions_relative_to_its_file(scenario_dir: Path) -> None:
    scenario = load(scenario_dir)
    world = build_world(scenario, base=scenario_dir)
    world.run(scenario.duration)
    found = outcomes(world)
    assert found[("weu", MMA, "DENIED")] == 4 and found[("nz", MMA, "DENIED")] == 2
    assert found[("weu", AMA, "SUCCEEDED")] == 4 and ("nz", AMA, "SUCCEEDED") not in found
    assert "ama-remediation" in world.actor_names


@pytest.mark.parametrize(("old", "new", "where", "message"), [
    pytest.param("policies/deny.json\n    parameters", "policies/nope.json\n    parameters",
                 "s.yaml:10: policies[0].definition:", "nope.json: cannot read", id="missing-file"),
    pytest.param("{effect: Deny}", "{effect: Block}", "s.yaml:11: policies[0].parameters:",
                 '"Block" is not an allowed value; allowed: "Deny", "Audit", "Disabled"',
                 id="parameter-not-allowed"),
    pytest.param("{effect: Deny}", "{effet: Deny}", "s.yaml:11: policies[0].parameters:",
                 '"effet": not declared by the definition', id="parameter-not-declared"),
    pytest.param("{effect: Audit}", "{effect: 3}", "s.yaml:20: timeline[1].assign.parameters:",
                 'expected a value of type String, got 3', id="assign-in-the-timeline"),
])
def test_definition_problems_are_located_in_the_scenario(scenario_dir: Path, old: str,
                                                         new: str, where: str,
                                                         message: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        load(scenario_dir, SCENARIO.replace(old, new, 1))
    text = str(caught.value)
    assert text.startswith(str(scenario_dir / where)) and message in text, text


def test_an_unsupported_construct_is_a_located_error_with_its_json_path(
        scenario_dir: Path) -> None:
    data = json.loads(DENY_MMA.read_text())
    data["properties"]["policyRule"]["if"]["allOf"][2] = {"count": {"field": "x"}}
    (scenario_dir / "policies" / "deny.json").write_text(json.dumps(data))
    with pytest.raises(ScenarioError) as caught:
        load(scenario_dir)
    assert str(caught.value).splitlines()[0].endswith(
        "policies[0].definition: " + str(scenario_dir / "policies" / "deny.json") +
        ": properties.policyRule.if.allOf[2]: a condition needs exactly one operator, found: "
        "none")


def test_expect_may_name_what_a_definition_deploys(scenario_dir: Path) -> None:
    expect = load(scenario_dir).expect  # names AMA and ama-remediation: both known
    assert set(expect) >= {"blocked.by_extension.Microsoft.Azure.Monitor/AzureMonitorWindowsAgent",
                           "overrides.by_actor.ama-remediation"}
    text = SCENARIO.replace("overrides.by_actor.ama-remediation: 0",
                            "overrides.by_actor.no-mma-remediation: 0")
    with pytest.raises(ScenarioError, match='unknown actor "no-mma-remediation"'):
        load(scenario_dir, text)


def test_remediation_applies_to_definitions_but_not_to_deny_lists() -> None:
    text = textwrap.dedent("""\
        name: x
        duration: 1d
        fleet: [{group: a, count: 1, agent_version: "1.45"}]
        policies:
          - {name: p, deny: [Microsoft.Compute/CustomScriptExtension], remediation: {every: 1d}}
        """)
    with pytest.raises(ScenarioError, match="remediation applies only to a deploy or "
                                            "definition policy"):
        scenario_from_text(text)


def test_the_definition_file_is_read_unchanged() -> None:
    samples = Path(__file__).parent / "data" / "formats" / "azure-policy"  # public samples
    for path in (DENY_MMA, DINE_AMA):
        original = samples / path.name
        assert json.loads(path.read_text()) == json.loads(original.read_text())
    assert json.loads(DENY_MMA.read_text())["properties"]["mode"] == "All"


def test_checking_a_scenario_plans_each_assigned_definition_once(
        scenario_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The timeline's assignment is checked with the fleet's property paths, as the plan that
    says whether it changes tags is made: one plan, not one per set of paths."""
    planned: list[tuple[str, str]] = []
    paths: list[tuple[str, ...]] = []
    real_plan, real_profile = policy_definitions.plan, policy_definitions.machine_profile

    def counted(assigned: Any, profile: Any) -> Any:
        planned.append((assigned.name, json.dumps(dict(assigned.arguments), default=str)))
        return real_plan(assigned, profile)

    def profiled(machine_paths: tuple[str, ...]) -> Any:
        paths.append(tuple(machine_paths))
        return real_profile(machine_paths)

    monkeypatch.setattr(policy_definitions, "plan", counted)
    monkeypatch.setattr(policy_definitions, "machine_profile", profiled)
    load(scenario_dir, SCENARIO.replace(
        "region: westeurope}", "region: westeurope, properties: {osSku: Windows Server 2022}}"))
    assert len(planned) == len(set(planned)) == 3
    assert set(paths) == {("osSku",)}
