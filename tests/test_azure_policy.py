"""Azure Policy definitions for Arc extensions (spec R16, R26, R6b).

The public samples in ``../shared/formats/azure-policy`` are real built-in definitions; the rest
are small definitions written here, one construct at a time.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path

import pytest
import strategies as s
from hypothesis import given
from hypothesis import strategies as st

from sim.errors import ArcsimError
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
from sim.rules.azure_policy_builders import (
    deploy_if_not_exists_policy,
    extension_policy,
    extension_policy_definition,
)
from sim.rules.azure_policy_plan import plan
from sim.rules.identity import ExtensionId, ExtensionIdError

SHARED = Path(__file__).parent / "data" / "formats"  # copies of ../shared/formats
SAMPLES = SHARED / "azure-policy"
DENY_SAMPLE = SAMPLES / "LogAnalyticsExtension_Windows_HybridVM_Deny.json"
DINE_SAMPLE = SAMPLES / "AzureMonitor_Agent_Windows_HybridVM_DINE.json"

MMA = ("Microsoft.EnterpriseCloud.Monitoring", "MicrosoftMonitoringAgent")
AMA = ("Microsoft.Azure.Monitor", "AzureMonitorWindowsAgent")
CSE = ("Microsoft.Compute", "CustomScriptExtension")
PUBLISHER = f"{EXTENSION_TYPE}/publisher"
STATE = f"{EXTENSION_TYPE}/provisioningState"
SCRIPT_RUNNERS = [
    "Microsoft.Cplat.Core/RunCommandHandlerWindows",
    "Microsoft.Cplat.Core/RunCommandHandlerLinux",
    "Microsoft.Compute/CustomScriptExtension",
    "Microsoft.Azure.Extensions/CustomScript",
    "Microsoft.Azure.Automation.HybridWorker/HybridWorkerForWindows",
    "Microsoft.Azure.Automation.HybridWorker/HybridWorkerForLinux",
    "Microsoft.EnterpriseCloud.Monitoring/MicrosoftMonitoringAgent",
    "Microsoft.EnterpriseCloud.Monitoring/OMSAgentForLinux",
]
"""The article's blocklist of extensions that can run scripts (with the Linux Hybrid Worker's
missing "/" restored)."""


def ext(name: tuple[str, str], state: str | None = None) -> dict[str, object]:
    return extension_resource(name[0], name[1], state)


def rule_with(condition: object, *, effect: object = "Deny", **props: object) -> dict[str, object]:
    """A bare-properties definition: ``if`` = allOf[type is extension, ``condition``]."""
    type_is_extension = {"field": "type", "equals": EXTENSION_TYPE}
    rule = {"if": {"allOf": [type_is_extension, condition]}, "then": {"effect": effect}}
    return {"mode": "All", "policyRule": rule, **props}


def compiled(condition: object, **props: object) -> AssignedPolicy:
    return assign(parse_definition(rule_with(condition, **props), source="<test>"))


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
    listing = json.loads((SHARED / "arm" / "extensions-list.json").read_text(encoding="utf-8"))
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


# --- operators ----------------------------------------------------------------------------

OPERATOR_TABLE = [
    # (operator, value in the definition, publisher of the resource, matches)
    ("equals", "Microsoft.Compute", "Microsoft.Compute", True),
    ("equals", "Microsoft.Compute", "Microsoft.Computer", False),
    ("notEquals", "Microsoft.Compute", "Microsoft.Compute", False),
    ("notEquals", "Microsoft.Compute", "Qualys", True),
    ("in", ["Qualys", "Microsoft.Compute"], "Microsoft.Compute", True),
    ("in", ["Qualys", "Microsoft.Compute"], "Microsoft.Azure", False),
    ("notIn", ["Qualys", "Microsoft.Compute"], "Qualys", False),
    ("notIn", ["Qualys", "Microsoft.Compute"], "Microsoft.Azure", True),
    ("like", "Microsoft.*", "Microsoft.Compute", True),
    ("like", "Microsoft.*", "Qualys", False),
    ("like", "*.Azure.*", "Microsoft.Azure.Monitor", True),
    ("like", "*.Azure.*", "Microsoft.Compute", False),
    ("like", "Micro*", "AMicrosoft", False),
    ("like", "Microsoft.Compute", "Microsoft.Compute", True),
    ("like", "Microsoft.Comput.", "Microsoft.Compute", False),
    ("notLike", "Microsoft.*", "Qualys", True),
    ("notLike", "Microsoft.*", "Microsoft.Compute", False),
    ("contains", "Azure", "Microsoft.Azure.Monitor", True),
    ("contains", "Azure", "Microsoft.Compute", False),
    ("notContains", "Azure", "Microsoft.Compute", True),
    ("notContains", "Azure", "Microsoft.Azure.Monitor", False),
    ("matchInsensitively", "??????.####", "Vendor.2024", True),
    ("matchInsensitively", "??????.####", "Vendor.20x4", False),
    ("notMatchInsensitively", "??????.####", "Vendor.2024", False),
    ("notMatchInsensitively", "??????.####", "Vendor.20x4", True),
    ("matchInsensitively", "??????.####", "Vendor-2024", True),  # "." is any character
]
CASINGS = [
    pytest.param(lambda t: t, id="as-written"),
    pytest.param(str.upper, id="upper"),
    pytest.param(str.lower, id="lower"),
    pytest.param(str.swapcase, id="swapped"),
]
FIELD_SPELLINGS = [
    pytest.param(PUBLISHER, id="field-as-documented"),
    pytest.param(PUBLISHER.upper(), id="field-upper"),
]


@pytest.mark.parametrize(
    ("operator", "value", "publisher", "matches"),
    [
        pytest.param(*row, id=f"{row[0]}-{'match' if row[3] else 'no-match'}-{i}")
        for i, row in enumerate(OPERATOR_TABLE)
    ],
)
@pytest.mark.parametrize("casing", CASINGS)
@pytest.mark.parametrize("field_name", FIELD_SPELLINGS)
def test_r26_operators_compare_case_insensitively(
    operator: str,
    value: object,
    publisher: str,
    matches: bool,
    casing: Callable[[str], str],
    field_name: str,
) -> None:
    rule = compiled({"field": field_name, operator: value})
    assert rule.evaluate(extension_resource(casing(publisher), "Any")) is matches


@pytest.mark.parametrize(
    ("publisher", "matches"),
    [("Vendor.2024", True), ("vendor.2024", False), ("Vendor.20245", False)],
)
@pytest.mark.parametrize(("operator", "negated"), [("match", False), ("notMatch", True)])
def test_match_is_case_sensitive(
    operator: str, negated: bool, publisher: str, matches: bool
) -> None:
    rule = compiled({"field": PUBLISHER, operator: "V?????.####"})
    assert rule.evaluate(extension_resource(publisher, "Any")) is (matches is not negated)


@pytest.mark.parametrize(
    ("operator", "value", "on_missing"),
    [
        ("equals", "Succeeded", False),
        ("notEquals", "Succeeded", True),
        ("in", ["Succeeded"], False),
        ("notIn", ["Succeeded"], True),
        ("like", "*", False),
        ("notLike", "*", True),
        ("contains", "S", False),
        ("notContains", "S", True),
        ("exists", True, False),
        ("exists", "false", True),
    ],
)
@pytest.mark.parametrize(
    "resource",
    [
        pytest.param(ext(CSE), id="extension-without-state"),
        pytest.param(machine_resource("windows"), id="alias-of-another-resource-type"),
        pytest.param(
            {"type": EXTENSION_TYPE, "properties": {"provisioningState": None}}, id="null"
        ),
    ],
)
def test_a_missing_field_matches_only_negated_operators(
    operator: str, value: object, on_missing: bool, resource: dict[str, object]
) -> None:
    rule = assign(
        parse_definition(
            {"policyRule": {"if": {"field": STATE, operator: value}, "then": {"effect": "Audit"}}}
        )
    )
    assert rule.evaluate(resource) is on_missing


@pytest.mark.parametrize(
    ("condition", "resource", "matches"),
    [
        pytest.param(
            {"field": "type", "equals": EXTENSION_TYPE.lower()},
            ext(CSE),
            True,
            id="type-lower-case",
        ),
        pytest.param(
            {"field": "TYPE", "equals": EXTENSION_TYPE}, ext(CSE), True, id="field-type-upper"
        ),
        pytest.param(
            {"field": "type", "EQUALS": EXTENSION_TYPE}, ext(CSE), True, id="operator-upper"
        ),
        pytest.param({"field": "name", "like": "Custom*"}, ext(CSE), True, id="name"),
        pytest.param(
            {"field": f"{EXTENSION_TYPE}/type", "equals": "customscriptextension"},
            ext(CSE),
            True,
            id="type-alias",
        ),
        pytest.param(
            {"field": f"{EXTENSION_TYPE}/typeHandlerVersion", "like": "1.*"},
            extension_resource(*CSE, type_handler_version="1.10"),
            True,
            id="version",
        ),
        pytest.param(
            {"field": f"{EXTENSION_TYPE}/enableAutomaticUpgrade", "equals": True},
            extension_resource(*CSE, enable_automatic_upgrade=True),
            True,
            id="bool-true",
        ),
        pytest.param(
            {"field": f"{EXTENSION_TYPE}/enableAutomaticUpgrade", "equals": "True"},
            extension_resource(*CSE, enable_automatic_upgrade=True),
            True,
            id="bool-as-text",
        ),
        pytest.param(
            {"field": f"{EXTENSION_TYPE}/enableAutomaticUpgrade", "equals": "true"},
            extension_resource(*CSE, enable_automatic_upgrade=False),
            False,
            id="bool-false",
        ),
        pytest.param(
            {"field": "location", "in": ["eastus", "westeurope"]},
            extension_resource(*CSE, location="WestEurope"),
            True,
            id="location",
        ),
        pytest.param(
            {"field": "tags['Env']", "equals": "prod"},
            extension_resource(*CSE, tags={"env": "Prod"}),
            True,
            id="tags-quoted",
        ),
        pytest.param(
            {"field": "tags[env]", "equals": "prod"},
            extension_resource(*CSE, tags={"Env": "PROD"}),
            True,
            id="tags-bare",
        ),
        pytest.param(
            {"field": "tags.env", "notEquals": "prod"},
            extension_resource(*CSE, tags={"env": "dev"}),
            True,
            id="tags-dot",
        ),
        pytest.param(
            {"field": "tags", "containsKey": "ENV"},
            extension_resource(*CSE, tags={"env": "dev"}),
            True,
            id="containsKey",
        ),
        pytest.param(
            {"field": "tags", "notContainsKey": "owner"},
            extension_resource(*CSE, tags={"env": "dev"}),
            True,
            id="notContainsKey",
        ),
        pytest.param(
            {"field": "Microsoft.HybridCompute/machines/osType", "equals": "linux"},
            machine_resource("Linux"),
            True,
            id="os-type",
        ),
        pytest.param(
            {"field": "Microsoft.HybridCompute/machines/osName", "equals": "windows"},
            machine_resource("Windows"),
            True,
            id="os-name",
        ),
        pytest.param({"not": {"field": PUBLISHER, "equals": CSE[0]}}, ext(CSE), False, id="not"),
        pytest.param(
            {"anyOf": [{"field": PUBLISHER, "equals": "x"}, {"field": "name", "equals": CSE[1]}]},
            ext(CSE),
            True,
            id="anyOf",
        ),
        pytest.param(
            {"allOf": [{"field": PUBLISHER, "equals": "x"}, {"field": "name", "equals": CSE[1]}]},
            ext(CSE),
            False,
            id="allOf",
        ),
        pytest.param(
            {"field": PUBLISHER, "equals": "[[weird]"},
            extension_resource("[weird]", "t"),
            True,
            id="escaped-bracket",
        ),
    ],
)
def test_fields_and_logical_operators(
    condition: object, resource: dict[str, object], matches: bool
) -> None:
    rule = assign(parse_definition({"policyRule": {"if": condition, "then": {"effect": "Audit"}}}))
    assert rule.evaluate(resource) is matches


# --- parameters ---------------------------------------------------------------------------

PARAMETERISED = {
    "parameters": {
        "effect": {
            "type": "String",
            "allowedValues": ["Deny", "Audit", "Disabled"],
            "defaultValue": "Audit",
        },
        "publishers": {
            "type": "Array",
            "allowedValues": ["Microsoft.Compute", "Qualys", "Microsoft.Azure.Monitor"],
        },
        "automatic": {"type": "Boolean", "defaultValue": True},
    },
    "policyRule": {
        "if": {
            "allOf": [
                {"field": PUBLISHER, "in": "[parameters('publishers')]"},
                {
                    "field": f"{EXTENSION_TYPE}/enableAutomaticUpgrade",
                    "equals": "[parameters('automatic')]",
                },
            ]
        },
        "then": {"effect": "[parameters('effect')]"},
    },
}


def _parameterised(**given: object) -> AssignedPolicy:
    return assign(parse_definition(PARAMETERISED, source="p.json"), given)


def test_r26_parameters_may_be_given_in_the_arm_assignment_form() -> None:
    rule = _parameterised(effect={"value": "Deny"}, publishers={"value": [CSE[0]]})
    assert rule.effect is Effect.DENY
    assert dict(rule.arguments) == {"effect": "Deny", "publishers": [CSE[0]], "automatic": True}


def test_r26_parameters_are_resolved_in_conditions_and_effect() -> None:
    rule = _parameterised(EFFECT="deny", publishers=["microsoft.compute"])
    automatic = extension_resource(*CSE, enable_automatic_upgrade=True)
    assert rule.effect is Effect.DENY and rule.denies(automatic)
    assert not rule.evaluate(extension_resource(*CSE, enable_automatic_upgrade=False))
    assert not rule.evaluate(extension_resource(*AMA, enable_automatic_upgrade=True))
    assert dict(rule.arguments) == {
        "effect": "deny",
        "publishers": ["microsoft.compute"],
        "automatic": True,
    }


@pytest.mark.parametrize(
    ("given", "message"),
    [
        pytest.param({}, 'p.json: assignment parameter "publishers": no value given', id="missing"),
        pytest.param(
            {"publishers": [CSE[0]], "effect": "Modify"},
            '"Modify" is not an allowed value; allowed: "Deny", "Audit", "Disabled"',
            id="not-allowed",
        ),
        pytest.param(
            {"publishers": ["Microsoft.Compute", "Contoso"]},
            '"Contoso" is not an allowed value',
            id="array-item-not-allowed",
        ),
        pytest.param(
            {"publishers": "Microsoft.Compute"},
            "expected a value of type Array, got",
            id="wrong-type",
        ),
        pytest.param(
            {"publishers": [CSE[0]], "automatic": "yes"},
            "expected a value of type Boolean",
            id="wrong-type-bool",
        ),
        pytest.param(
            {"publishers": [CSE[0]], "effects": "Deny"},
            'assignment parameter "effects": not declared by the definition; '
            "declared: effect, publishers, automatic",
            id="undeclared",
        ),
    ],
)
def test_assignment_parameters_are_checked(given: dict[str, object], message: str) -> None:
    with pytest.raises(PolicyDefinitionError) as caught:
        _parameterised(**given)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        pytest.param(
            {"effect": {"type": "String", "allowedValues": ["Deny"], "defaultValue": "Audit"}},
            'p.json: parameters.effect.defaultValue: "Audit" is not an allowed value',
            id="default-not-allowed",
        ),
        pytest.param(
            {"effect": {"type": "Text"}},
            "p.json: parameters.effect.type: expected one of String",
            id="unknown-type",
        ),
        pytest.param(
            {"effect": {"type": "String", "allowedValues": "Deny"}},
            "parameters.effect.allowedValues: expected a list",
            id="allowed-not-a-list",
        ),
        pytest.param([], "p.json: parameters: expected an object", id="not-an-object"),
    ],
)
def test_declared_parameters_are_checked_when_parsing(parameters: object, message: str) -> None:
    with pytest.raises(PolicyDefinitionError) as caught:
        parse_definition(
            rule_with({"field": PUBLISHER, "equals": "x"}, parameters=parameters), source="p.json"
        )
    assert message in str(caught.value)


def test_parameters_without_default_do_not_stop_checks_when_parsing() -> None:
    assert [p.has_default for p in parse_definition(PARAMETERISED).parameters] == [
        True,
        False,
        True,
    ]
    broken = copy.deepcopy(PARAMETERISED)
    broken["policyRule"]["if"]["allOf"].append({"field": PUBLISHER, "between": "a"})
    with pytest.raises(PolicyDefinitionError, match=r"^<definition>: policyRule\.if\.allOf\[2\]: "):
        parse_definition(broken)


# --- unsupported constructs ---------------------------------------------------------------

UNSUPPORTED = [
    # (the second condition of allOf, path after "policyRule.if.allOf[1]", message fragment)
    (
        {"field": PUBLISHER, "between": "a"},
        "",
        'unsupported operator "between"; supported: equals, in, like, contains, match, '
        "matchInsensitively, containsKey, exists, greater, greaterOrEquals, less, "
        "lessOrEquals, notEquals, notIn, notLike, notContains, notMatch, "
        "notMatchInsensitively, notContainsKey",
    ),
    (
        {"count": {"field": "Microsoft.HybridCompute/machines/networkProfile."
                            "networkInterfaces[*].ipAddresses[*]"}, "greater": 1},
        ".count.field",
        '"Microsoft.HybridCompute/machines/networkProfile.networkInterfaces[*].ipAddresses[*]" '
        "counts an array inside an array outside a count over the outer one",
    ),
    (
        {"value": "[utcNow()]", "equals": "x"},
        ".value",
        '"[utcNow()]": utcnow() is not supported: its value is the time of evaluation',
    ),
    (
        {"value": "[reference('x').id]", "equals": "x"},
        ".value",
        "\"[reference('x').id]\": reference() is not supported: it reads another resource",
    ),
    (
        {"value": "[concat('a']", "equals": "x"},
        ".value",
        "cannot read the template expression",
    ),
    (
        {
            "field": "Microsoft.HybridCompute/machines/extensions/networkProfile.ids[*]",
            "exists": True,
        },
        ".field",
        '"Microsoft.HybridCompute/machines/extensions/networkProfile.ids[*]": array aliases '
        "([*]) are read only inside a count",
    ),
    (
        {"field": PUBLISHER, "equals": "[parameters('nope')]"},
        ".equals",
        "\"[parameters('nope')]\": refers to an undeclared parameter \"nope\"; declared: (none)",
    ),
    (
        {"field": PUBLISHER, "equals": "a", "like": "a"},
        "",
        "a condition needs exactly one operator, found: equals, like",
    ),
    ({"field": PUBLISHER}, "", "a condition needs exactly one operator, found: none"),
    (
        {"allOf": {"field": PUBLISHER, "equals": "a"}},
        ".allOf",
        "expected a non-empty list of conditions",
    ),
    ({"anyOf": []}, ".anyOf", "expected a non-empty list of conditions"),
    ({"not": {"field": PUBLISHER, "between": "a"}}, ".not", 'unsupported operator "between"'),
    (
        {"anyOf": [{"field": PUBLISHER, "equals": "a"}], "field": "name"},
        "",
        '"anyOf" must be alone in its object',
    ),
    (
        {"equals": "a"},
        "",
        'expected "field", "value", "count", "allOf", "anyOf" or "not", found keys: equals',
    ),
    ("type", "", 'expected a condition (an object), got "type"'),
    (
        {"field": PUBLISHER, "in": "Microsoft.Compute"},
        "",
        '"in" expects a list, got "Microsoft.Compute"',
    ),
    (
        {"field": PUBLISHER, "in": ["a", {"b": 1}]},
        "[1]",
        '"in" expects a string, number or boolean',
    ),
    ({"field": PUBLISHER, "equals": {"a": 1}}, "", '"equals" expects a string, number or boolean'),
    ({"field": PUBLISHER, "like": 3}, "", '"like" expects a string, got 3'),
    ({"field": PUBLISHER, "exists": "maybe"}, "", '"exists" expects true or false, got "maybe"'),
    ({"field": 3, "equals": "a"}, ".field", "expected a field name (a string), got 3"),
]


@pytest.mark.parametrize(
    ("condition", "subpath", "message"),
    [pytest.param(*row, id=f"{i}-{row[2][:30]}") for i, row in enumerate(UNSUPPORTED)],
)
@pytest.mark.parametrize("wrapped", [False, True], ids=["bare", "resource"])
def test_unsupported_constructs_raise_with_the_json_path(
    condition: object, subpath: str, message: str, wrapped: bool
) -> None:
    definition = rule_with(condition)
    prefix = "properties.policyRule" if wrapped else "policyRule"
    with pytest.raises(PolicyDefinitionError) as caught:
        parse_definition(
            {"properties": definition} if wrapped else definition, source="policy.json"
        )
    assert str(caught.value).startswith(f"policy.json: {prefix}.if.allOf[1]{subpath}: {message}")
    assert isinstance(caught.value, ArcsimError)


def test_unsupported_operator_message_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"properties": rule_with({"field": PUBLISHER, "between": "a"})}))
    with pytest.raises(PolicyDefinitionError) as caught:
        load_definition(path)
    assert str(caught.value).startswith(
        f"{path}: properties.policyRule.if.allOf[1]: "
        'unsupported operator "between"; supported: equals, in, '
    )


def _dine(
    details: object, effect: object = "DeployIfNotExists", **props: object
) -> dict[str, object]:
    rule = {
        "if": {"field": "type", "equals": "Microsoft.HybridCompute/machines"},
        "then": {"effect": effect, "details": details},
    }
    return {"policyRule": rule, **props}


GOOD_DETAILS = {"type": EXTENSION_TYPE, "existenceCondition": {"field": PUBLISHER, "equals": "a"}}


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        pytest.param(
            {
                "mode": "Microsoft.KeyVault.Data",
                "policyRule": rule_with({"field": "name", "equals": "a"})["policyRule"],
            },
            'd.json: mode: unsupported mode "Microsoft.KeyVault.Data"',
            id="mode",
        ),
        pytest.param(
            {"policyRule": {"then": {"effect": "Deny"}}},
            'd.json: policyRule: "if" is missing',
            id="no-if",
        ),
        pytest.param(
            {"policyRule": {"if": {"field": "name", "equals": "a"}}},
            'd.json: policyRule.then: expected an object with "effect"',
            id="no-then",
        ),
        pytest.param(
            {"displayName": "x"},
            'd.json: policyRule: expected an object with "if" and "then", got nothing',
            id="no-rule",
        ),
        pytest.param(
            _dine({**GOOD_DETAILS, "existenceCondition": {"field": PUBLISHER, "between": "a"}}),
            'd.json: policyRule.then.details.existenceCondition: unsupported operator "between"',
            id="existence-operator",
        ),
        pytest.param(
            _dine(["not", "an", "object"]),
            "d.json: policyRule.then.details: expected an object",
            id="details-not-object",
        ),
        pytest.param(
            _dine(
                {"type": EXTENSION_TYPE, "existenceCondition": {"field": PUBLISHER, "between": 1}},
                "[parameters('effect')]",
                parameters={
                    "effect": {
                        "type": "String",
                        "allowedValues": ["Deny", "DeployIfNotExists"],
                        "defaultValue": "Deny",
                    }
                },
            ),
            "d.json: policyRule.then.details.existenceCondition",
            id="details-checked-when-an-allowed-effect-needs-them",
        ),
        pytest.param(
            _dine(GOOD_DETAILS, "[utcNow()]"),
            "d.json: policyRule.then.effect: \"[utcNow()]\": utcnow() is not supported",
            id="effect-function",
        ),
        pytest.param(
            _dine(
                {
                    **GOOD_DETAILS,
                    "existenceCondition": {"field": PUBLISHER, "equals": "[parameters('effect')]"},
                }
            ),
            'refers to an undeclared parameter "effect"; declared: (none)',
            id="undeclared",
        ),
    ],
)
def test_unsupported_definitions_raise_with_the_json_path(
    definition: dict[str, object], message: str
) -> None:
    with pytest.raises(PolicyDefinitionError) as caught:
        parse_definition(definition, source="d.json")
    assert message in str(caught.value)


def test_details_of_an_effect_that_cannot_need_them_are_not_read() -> None:
    definition = _dine(
        {"type": "Microsoft.Insights/dataCollectionRuleAssociations"},
        "[parameters('effect')]",
        parameters={
            "effect": {"type": "String", "allowedValues": ["Deny", "Audit"], "defaultValue": "Deny"}
        },
    )
    assert assign(parse_definition(definition), {"effect": "Audit"}).effect is Effect.AUDIT


def test_an_unsupported_allowed_effect_is_refused_only_when_assigned() -> None:
    definition = parse_definition(
        rule_with(
            {"field": "name", "equals": "a"},
            effect="[parameters('effect')]",
            parameters={"effect": {"type": "String", "allowedValues": ["Block", "Audit"]}},
        ),
        source="m.json",
    )
    assert assign(definition, {"effect": "Audit"}).effect is Effect.AUDIT
    with pytest.raises(
        PolicyDefinitionError, match=r'^m.json: policyRule.then.effect: unsupported effect "Block"'
    ):
        assign(definition, {"effect": "Block"})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(None, "cannot read", id="missing-file"),
        pytest.param(
            '{"properties": {',
            "bad.json:1:17: not valid JSON: Expecting property name",
            id="bad-json",
        ),
        pytest.param(
            "[1, 2]",
            "bad.json: expected a policy definition object, got [1, 2]",
            id="not-an-object",
        ),
    ],
)
def test_load_definition_errors_name_the_file(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "bad.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(PolicyDefinitionError) as caught:
        load_definition(path)
    assert message in str(caught.value) and str(path) in str(caught.value)


# --- policies built without JSON (R16, R26) -----------------------------------------------

EXTENSIONS = [
    pytest.param("Microsoft.Compute/CustomScriptExtension", True, id="custom-script"),
    pytest.param("microsoft.compute/customscriptextension", True, id="custom-script-lower"),
    pytest.param(
        "Microsoft.Azure.Automation.HybridWorker/HybridWorkerForLinux",
        True,
        id="hybrid-worker-linux",
    ),
    pytest.param("Microsoft.Azure.Monitor/AzureMonitorLinuxAgent", False, id="azure-monitor"),
    pytest.param("Qualys/WindowsAgent.AzureSecurityCenter", False, id="qualys"),
]


@pytest.mark.parametrize(("name", "listed"), EXTENSIONS)
@pytest.mark.parametrize(
    ("mode", "denied_when_listed"),
    [
        pytest.param("deny_listed", True, id="deny-listed"),
        pytest.param("allow_only_listed", False, id="approved-only"),
    ],
)
def test_r26_article_blocklist_as_a_deny_policy(
    name: str, listed: bool, mode: str, denied_when_listed: bool
) -> None:
    rule = extension_policy("Deny", SCRIPT_RUNNERS, mode)
    extension = ExtensionId.parse(name)
    request = extension_resource(extension.publisher, extension.type)
    assert rule.denies(request) is (listed is denied_when_listed)
    assert not rule.denies(machine_resource("windows"))


def test_r16_approved_extensions_policy_with_wildcards() -> None:
    rule = extension_policy("Deny", ["Microsoft.Azure.*/*", "Qualys/*Agent*"], "allow_only_listed")
    allowed = [
        ("Microsoft.Azure.Monitor", "AzureMonitorLinuxAgent"),
        ("qualys", "LinuxAgent.AzureSecurityCenter"),
    ]
    denied = [CSE, ("Qualys", "Scanner"), ("Microsoft.AzureX", "Y")]
    assert [rule.denies(extension_resource(*e)) for e in allowed] == [False, False]
    assert [rule.denies(extension_resource(*e)) for e in denied] == [True, True, True]


def test_r16_empty_approved_list_denies_every_extension() -> None:
    rule = extension_policy("Deny", [], "allow_only_listed")
    assert rule.denies(ext(AMA)) and rule.denies(ext(CSE))


def test_r26_built_policy_is_plain_json_evaluated_by_the_same_code() -> None:
    document = extension_policy_definition("Deny", SCRIPT_RUNNERS[:3], "deny_listed")
    conditions = document["properties"]["policyRule"]["if"]["allOf"]
    assert conditions[0] == {"field": "type", "equals": EXTENSION_TYPE}
    assert conditions[1]["anyOf"][0] == {
        "allOf": [
            {"field": PUBLISHER, "equals": "Microsoft.Cplat.Core"},
            {
                "field": f"{EXTENSION_TYPE}/type",
                "in": ["RunCommandHandlerWindows", "RunCommandHandlerLinux"],
            },
        ]
    }
    reparsed = assign(parse_definition(json.loads(json.dumps(document))))
    built = extension_policy("Deny", SCRIPT_RUNNERS[:3])
    for resource in (
        ext(CSE),
        ext(AMA),
        extension_resource("Microsoft.Cplat.Core", "RunCommandHandlerLinux"),
    ):
        assert reparsed.denies(resource) is built.denies(resource)


@pytest.mark.parametrize(
    ("names", "mode", "error", "message"),
    [
        pytest.param(
            [],
            "deny_listed",
            PolicyDefinitionError,
            "deny_listed needs at least one extension",
            id="empty-deny",
        ),
        pytest.param(
            ["a/b"],
            "block",
            PolicyDefinitionError,
            'unknown mode "block"; expected deny_listed, allow_only_listed',
            id="mode",
        ),
        pytest.param(
            ["Microsoft.Azure.Automation.HybridWorkerForLinux"],
            "deny_listed",
            ExtensionIdError,
            'found no "/"',
            id="article-typo",
        ),
    ],
)
def test_extension_policy_refuses_bad_input(
    names: list[str], mode: str, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        extension_policy("Deny", names, mode)


def test_r26_parsing_never_mutates_the_definition() -> None:
    document = copy.deepcopy(PARAMETERISED)
    assign(parse_definition(document), {"publishers": [CSE[0]]})
    assert document == PARAMETERISED


@given(listed=st.lists(s.extension_ids(), min_size=1, max_size=5), other=s.extension_ids())
def test_r26_deny_listed_denies_exactly_the_listed(
    listed: list[ExtensionId], other: ExtensionId
) -> None:
    names = [e.name for e in listed]
    deny = extension_policy("Deny", names, "deny_listed")
    approved = extension_policy("Deny", names, "allow_only_listed")
    request = extension_resource(other.publisher, other.type)
    on_list = other in listed
    assert deny.denies(request) is on_list
    assert approved.denies(request) is not on_list


def test_r6b_an_empty_required_publisher_is_no_crash() -> None:
    """An existence condition requiring publisher "" names no extension: the definition still
    loads (the deployed extension comes from the template), without a bare id error."""
    doc = json.loads(DINE_SAMPLE.read_text(encoding="utf-8"))
    rule = doc["properties"]["policyRule"]["then"]["details"]["existenceCondition"]["allOf"]
    rule[1]["equals"] = ""
    policy = assign(parse_definition(doc, source="<test>"))
    assert policy.deploys is not None and policy.deploys.name.endswith("AzureMonitorWindowsAgent")
