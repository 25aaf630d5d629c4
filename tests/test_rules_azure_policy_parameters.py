"""Azure Policy parameters: declared in a definition, given in an assignment (plain or in
the ARM form), checked, and resolved in conditions and the effect (R26).
"""

from __future__ import annotations

import copy

import pytest
from helpers import PUBLISHER, rule_with

from sim.rules.azure_policy import (
    EXTENSION_TYPE,
    AssignedPolicy,
    Effect,
    PolicyDefinitionError,
    assign,
    extension_resource,
    parse_definition,
)

AMA = ("Microsoft.Azure.Monitor", "AzureMonitorWindowsAgent")
CSE = ("Microsoft.Compute", "CustomScriptExtension")


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




def test_r26_parsing_never_mutates_the_definition() -> None:
    document = copy.deepcopy(PARAMETERISED)
    assign(parse_definition(document), {"publishers": [CSE[0]]})
    assert document == PARAMETERISED
