"""Azure Policy definitions for Arc extensions, evaluated by the rules layer: the public
built-in samples (copies in ``tests/data/formats/azure-policy``), DeployIfNotExists
compliance and each effect (R6b, R26).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import DENY_SAMPLE, DINE_SAMPLE, FORMATS, PUBLISHER, STATE, compiled, ext
from policy_builders import deploy_if_not_exists_policy, extension_policy

from sim.rules.azure_policy import (
    EXTENSION_TYPE,
    AssignedPolicy,
    Effect,
    PolicyDefinitionError,
    assign,
    extension_resource,
    load_definition,
    machine_resource,
    parse_definition,
)
from sim.rules.azure_policy_plan import plan
from sim.rules.identity import ExtensionId

MMA = ("Microsoft.EnterpriseCloud.Monitoring", "MicrosoftMonitoringAgent")
AMA = ("Microsoft.Azure.Monitor", "AzureMonitorWindowsAgent")
CSE = ("Microsoft.Compute", "CustomScriptExtension")


# --- the public samples -------------------------------------------------------------------


def test_r26_deny_sample_loads_with_its_default_effect_audit() -> None:
    definition = load_definition(DENY_SAMPLE)
    rule = assign(definition)
    assert definition.name == "df441472-4dae-4e4e-87b9-9205ba46be16"
    assert definition.mode == "All"
    assert [(p.name, p.type, p.default) for p in definition.parameters] == [
        ("effect", "String", "Audit")
    ]
    assert rule.effect is Effect.AUDIT
    assert rule.evaluate(ext(MMA)) and not rule.denies(ext(MMA))
    assert rule.deploys is None and rule.related is None


@pytest.mark.parametrize(
    ("effect", "denies"),
    [
        pytest.param("Deny", True, id="Deny"),
        pytest.param("deny", True, id="deny-lower-case"),
        pytest.param("Audit", False, id="Audit"),
        pytest.param("Disabled", False, id="Disabled"),
    ],
)
@pytest.mark.parametrize(
    ("extension", "matches"),
    [
        pytest.param(MMA, True, id="legacy-agent"),
        pytest.param((MMA[0].lower(), MMA[1].upper()), True, id="legacy-agent-other-case"),
        pytest.param(AMA, False, id="azure-monitor-agent"),
        pytest.param(CSE, False, id="custom-script"),
    ],
)
def test_r26_deny_sample_matches_only_the_legacy_agent(
    effect: str, denies: bool, extension: tuple[str, str], matches: bool
) -> None:
    rule = assign(load_definition(DENY_SAMPLE), {"effect": effect})
    assert rule.evaluate(ext(extension)) is matches
    assert rule.denies(ext(extension)) is (matches and denies)


@pytest.mark.parametrize("sample", [DENY_SAMPLE, DINE_SAMPLE], ids=["deny", "dine"])
def test_samples_parse_the_same_as_resource_and_as_bare_properties(sample: Path) -> None:
    document = json.loads(sample.read_text(encoding="utf-8"))
    full = parse_definition(document, source=sample.name)
    bare = parse_definition(document["properties"], source=sample.name)
    assert (full.rule_path, bare.rule_path) == ("properties.policyRule", "policyRule")
    assert full.parameters == bare.parameters and full.mode == bare.mode
    assert full.display_name == bare.display_name == document["properties"]["displayName"]
    resources = [ext(MMA), ext(AMA), machine_resource("windows", location="eastus")]
    one, other = assign(full), assign(bare)
    assert one.effect is other.effect and one.deploys == other.deploys
    assert [one.evaluate(r) for r in resources] == [other.evaluate(r) for r in resources]


def test_r6b_dine_sample_deploys_the_azure_monitor_agent() -> None:
    rule = assign(load_definition(DINE_SAMPLE))
    assert rule.effect is Effect.DEPLOY_IF_NOT_EXISTS
    assert rule.deploys == ExtensionId.parse("Microsoft.Azure.Monitor/AzureMonitorWindowsAgent")
    assert (
        rule.deploys is not None
        and rule.deploys.name == "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent"
    )


@pytest.mark.parametrize(
    ("machine", "matches"),
    [
        pytest.param(machine_resource("windows", location="eastus"), True, id="windows-eastus"),
        pytest.param(machine_resource("Windows", location="EastUS"), True, id="other-case"),
        pytest.param(machine_resource("linux", location="eastus"), False, id="linux"),
        pytest.param(machine_resource("windows", location="mars"), False, id="other-region"),
        pytest.param(machine_resource("windows"), False, id="no-location"),
        pytest.param(ext(AMA), False, id="an-extension"),
    ],
)
def test_r6b_dine_sample_if_condition_on_the_machine(
    machine: dict[str, object], matches: bool
) -> None:
    assert assign(load_definition(DINE_SAMPLE)).evaluate(machine) is matches


def test_r26_deny_policy_on_a_real_arm_extension_export() -> None:
    listing = json.loads((FORMATS / "arm" / "extensions-list.json").read_text(encoding="utf-8"))
    rule = extension_policy("Deny", ["Microsoft.Compute/CustomScriptExtension"])
    assert [rule.denies(item) for item in listing["value"]] == [True, False]
    assert [rule.is_compliant(item) for item in listing["value"]] == [False, True]


# --- R6b: DeployIfNotExists compliance ----------------------------------------------------


def _dine_sample() -> AssignedPolicy:
    return assign(load_definition(DINE_SAMPLE))


def _dine_built() -> AssignedPolicy:
    return deploy_if_not_exists_policy(
        "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent", os_type="windows"
    )


@pytest.mark.parametrize("make", [_dine_sample, _dine_built], ids=["sample", "built"])
@pytest.mark.parametrize(
    ("existing", "compliant"),
    [
        pytest.param(None, False, id="missing"),
        pytest.param(ext(AMA, "Failed"), False, id="failed"),
        pytest.param(ext(AMA, "Creating"), False, id="creating"),
        pytest.param(ext(AMA), False, id="no-state"),
        pytest.param(ext(AMA, "Succeeded"), True, id="succeeded"),
        pytest.param(ext((AMA[0].upper(), AMA[1].lower()), "succeeded"), True, id="other-case"),
        pytest.param(ext(MMA, "Succeeded"), False, id="another-extension"),
        pytest.param(machine_resource("windows"), False, id="not-an-extension"),
    ],
)
def test_r6b_dine_missing_or_failed_is_non_compliant(
    make: Callable[[], AssignedPolicy], existing: dict[str, object] | None, compliant: bool
) -> None:
    rule = make()
    assert rule.is_compliant(existing) is compliant
    others = [ext(MMA, "Succeeded")] + ([] if existing is None else [existing])
    assert rule.is_compliant_among(others) is compliant


def test_r6b_dine_built_policy_targets_machines_of_its_os() -> None:
    rule = _dine_built()
    assert rule.evaluate(machine_resource("Windows")) and not rule.evaluate(
        machine_resource("linux")
    )
    assert rule.deploys == ExtensionId.parse("Microsoft.Azure.Monitor/AzureMonitorWindowsAgent")


def test_r6b_dine_extension_read_from_the_template_when_the_condition_lacks_it() -> None:
    document = json.loads(DINE_SAMPLE.read_text(encoding="utf-8"))
    details = document["properties"]["policyRule"]["then"]["details"]
    details["existenceCondition"] = {"field": STATE, "equals": "Succeeded"}
    rule = assign(parse_definition(document))
    assert rule.deploys == ExtensionId.parse("Microsoft.Azure.Monitor/AzureMonitorWindowsAgent")
    assert not rule.is_compliant(ext(AMA, "Failed"))


def test_r6b_dine_that_cannot_tell_its_extension_is_refused() -> None:
    details = {
        "type": EXTENSION_TYPE,
        "existenceCondition": {"field": STATE, "equals": "Succeeded"},
    }
    definition = {
        "policyRule": {
            "if": {"field": "type", "equals": "Microsoft.HybridCompute/machines"},
            "then": {"effect": "DeployIfNotExists", "details": details},
        }
    }
    with pytest.raises(PolicyDefinitionError, match="cannot tell which extension it deploys"):
        plan(assign(parse_definition(definition, source="d.json")))


def test_r6b_details_name_restricts_the_related_extension() -> None:
    definition = {
        "policyRule": {
            "if": {"field": "type", "equals": "Microsoft.HybridCompute/machines"},
            "then": {
                "effect": "AuditIfNotExists",
                "details": {"type": EXTENSION_TYPE, "name": "AzureMonitorWindowsAgent"},
            },
        }
    }
    rule = assign(parse_definition(definition))
    named = extension_resource(*AMA, name="machine1/AzureMonitorWindowsAgent")
    assert rule.is_compliant(named)
    assert not rule.is_compliant(extension_resource(*AMA, name="ama"))
    assert rule.deploys is None


# --- effects ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spelling", "effect", "denies"),
    [
        pytest.param("Deny", Effect.DENY, True, id="Deny"),
        pytest.param("DENY", Effect.DENY, True, id="DENY"),
        pytest.param("Audit", Effect.AUDIT, False, id="Audit"),
        pytest.param("audit", Effect.AUDIT, False, id="audit"),
        pytest.param("Disabled", Effect.DISABLED, False, id="Disabled"),
    ],
)
def test_r26_each_effect_on_a_matching_extension(
    spelling: str, effect: Effect, denies: bool
) -> None:
    rule = extension_policy(spelling, ["Microsoft.Compute/CustomScriptExtension"])
    assert rule.effect is effect and rule.effect == effect.value
    assert rule.evaluate(ext(CSE))
    assert rule.denies(ext(CSE)) is denies and not rule.denies(ext(AMA))
    assert rule.is_compliant(ext(CSE)) is (effect is Effect.DISABLED)
    assert rule.is_compliant(None) and rule.is_compliant(ext(AMA))


@pytest.mark.parametrize(
    ("spelling", "effect"),
    [
        pytest.param("DeployIfNotExists", Effect.DEPLOY_IF_NOT_EXISTS, id="DeployIfNotExists"),
        pytest.param("auditIfNotExists", Effect.AUDIT_IF_NOT_EXISTS, id="auditIfNotExists"),
    ],
)
def test_r6b_if_not_exists_effects(spelling: str, effect: Effect) -> None:
    rule = deploy_if_not_exists_policy("Microsoft.Compute/CustomScriptExtension", effect=spelling)
    assert rule.effect is effect and not rule.denies(ext(CSE))
    assert rule.deploys == ExtensionId.parse("Microsoft.Compute/CustomScriptExtension")
    assert (rule.is_compliant(None), rule.is_compliant(ext(CSE, "Succeeded"))) == (False, True)


def test_disabled_if_not_exists_policy_is_always_compliant() -> None:
    rule = deploy_if_not_exists_policy("Microsoft.Compute/CustomScriptExtension", effect="Disabled")
    assert rule.effect is Effect.DISABLED and rule.deploys is None
    assert rule.is_compliant(None) and rule.is_compliant_among([])


@pytest.mark.parametrize("effect", ["Block", "", 3])
def test_unsupported_effects_are_refused_naming_the_path(effect: object) -> None:
    with pytest.raises(PolicyDefinitionError) as caught:
        compiled({"field": PUBLISHER, "equals": "x"}, effect=effect)
    assert str(caught.value).startswith("<test>: policyRule.then.effect: unsupported effect ")
    assert "supported: Deny, Audit, Disabled, DeployIfNotExists, AuditIfNotExists" in str(
        caught.value
    )




def test_r6b_an_empty_required_publisher_is_no_crash() -> None:
    """An existence condition requiring publisher "" names no extension: the definition still
    loads (the deployed extension comes from the template), without a bare id error."""
    doc = json.loads(DINE_SAMPLE.read_text(encoding="utf-8"))
    rule = doc["properties"]["policyRule"]["then"]["details"]["existenceCondition"]["allOf"]
    rule[1]["equals"] = ""
    policy = assign(parse_definition(doc, source="<test>"))
    assert policy.deploys is not None and policy.deploys.name.endswith("AzureMonitorWindowsAgent")
