"""Evaluating Azure Policy definitions: template functions with ARM's semantics, deployment
templates read in their own scope, and every definition arcsim cannot evaluate refused with a
located message (JSON path; what was expected), never a Python exception (R6b, R26).
"""

from __future__ import annotations

from typing import Any

import pytest
from helpers import rule_with
from hypothesis import given, settings
from hypothesis import strategies as st

import sim.rules.azure_policy_conditions as conditions
from sim.rules.azure_policy import (
    EXTENSION_TYPE,
    PolicyDefinitionError,
    assign,
    parse_definition,
)
from sim.rules.azure_policy_conditions import Env, compile_condition, compile_value
from sim.rules.azure_policy_fields import FieldRead, Profile
from sim.rules.azure_policy_plan import REQUEST, plan
from sim.rules.identity import ExtensionId

MACHINES = "Microsoft.HybridCompute/machines"
STATE = f"{EXTENSION_TYPE}/provisioningState"
PUBLISHER = f"{EXTENSION_TYPE}/publisher"
TYPE = f"{EXTENSION_TYPE}/type"
AMA_W = "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent"
TEMPLATE = "d.json: policyRule.then.details.deployment.properties.template"


def value_of(expression: str) -> object:
    """``expression`` evaluated with no parameters and no resource."""
    compiled = compile_value(expression, "v", Env({}))
    assert compiled.is_constant
    return compiled.constant


def refusal(condition: object, **props: object) -> str:
    """The message of the PolicyDefinitionError that ``condition`` (in allOf[1]) raises."""
    with pytest.raises(PolicyDefinitionError) as caught:
        plan(assign(parse_definition(rule_with(condition, **props), source="d.json")))
    return str(caught.value)


# --- functions: errors located, ARM's equals ----------------------------------------------


@pytest.mark.parametrize(("expression", "message"), [
    ("[div(1, 0)]", "div(): integer division or modulo by zero"),
    ("[mod(1, 0)]", "mod(): integer division or modulo by zero"),
    ("[add(true, 1)]", "add(): expects two integers"),
    ("[div(7.5, 2)]", "div(): expects two integers"),
    ("[format('{1}', 'a')]", "format(): Replacement index 1 out of range"),
    ("[padLeft('a', 1000000000000)]", "padLeft(): the result is too big"),
])
def test_r26_a_function_that_fails_on_its_arguments_is_a_located_error(
        expression: str, message: str) -> None:
    found = refusal({"value": expression, "equals": 1})
    assert found.startswith(f'd.json: policyRule.if.allOf[1].value: "{expression}": {message}')


@pytest.mark.parametrize(("expression", "expected"), [
    ("[equals(1, true)]", False),
    ("[equals(0, false)]", False),
    ("[equals(true, true)]", True),
    ("[equals(1, 1)]", True),
    ("[equals(1, 1.0)]", True),
    ("[equals(1, '1')]", False),
    ("[equals('a', 'A')]", False),
    ("[equals(createArray(1), createArray(true))]", False),
    ("[equals(createArray(1, 'a'), createArray(1, 'a'))]", True),
    ("[equals(createObject('k', 1), createObject('k', true))]", False),
    ("[contains(createArray(1), true)]", False),
    ("[length(union(createArray(1), createArray(true)))]", 2),
    ("[length(intersection(createArray(1), createArray(true)))]", 0),
])
def test_r26_equals_compares_type_and_value(expression: str, expected: object) -> None:
    assert value_of(expression) == expected and type(value_of(expression)) is type(expected)


@pytest.mark.parametrize(("a", "b"), [(-7, 2), (7, -2), (-7, -2), (7, 2), (-6, 3), (0, -5)])
def test_r26_div_and_mod_truncate_toward_zero_as_arm_does(a: int, b: int) -> None:
    quotient, remainder = value_of(f"[div({a}, {b})]"), value_of(f"[mod({a}, {b})]")
    assert quotient == int(a / b) and remainder == a - b * int(a / b)
    assert isinstance(remainder, int) and abs(remainder) < abs(b)
    assert remainder == 0 or (remainder < 0) == (a < 0)


def test_r26_greater_refuses_a_boolean_as_a_number() -> None:
    assert "greater(): compares two numbers or two strings" in refusal(
        {"value": "[greater(true, 0)]", "equals": True})


# --- number literals, nesting -------------------------------------------------------------


def test_r26_a_number_literal_of_thousands_of_digits_is_a_located_error() -> None:
    found = refusal({"value": f"[add({'9' * 5000}, 1)]", "equals": 1})
    assert found.startswith("d.json: policyRule.if.allOf[1].value: cannot read the template "
                            "expression")
    assert "(5000 digits) is too long: expected at most 19 digits before the point" in found
    assert len(found) < 500


def test_r26_a_64_bit_number_literal_is_read() -> None:
    assert value_of("[add(9223372036854775806, 1)]") == 2**63 - 1


@pytest.mark.parametrize("levels", [33, 400, 3000])
def test_r26_an_expression_nested_too_deeply_is_a_located_error(levels: int) -> None:
    for inner in ("concat(", "first(createArray("):
        closing = ")" * inner.count("(")
        expression = "[" + inner * levels + "'a'" + closing * levels + "]"
        found = refusal({"value": expression, "equals": "a"})
        assert found.startswith("d.json: policyRule.if.allOf[1].value: cannot read")
        assert "nested more than 32 levels deep" in found
    chained = "[createObject('a', 1)" + ".a" * levels + "]"
    assert "nested more than 32 levels deep" in refusal({"value": chained, "equals": 1})


def test_r26_an_expression_nested_32_levels_is_evaluated() -> None:
    assert value_of("[" + "concat(" * 31 + "'a'" + ")" * 31 + "]") == "a"


# --- operators on integers too large for a float --------------------------------------------

HUGE = st.integers(-10**600, 10**600) | st.sampled_from([10**400, -10**400, 10**400 + 1, 0])


@settings(max_examples=60, deadline=None)
@given(HUGE, HUGE)
def test_r26_operators_compare_integers_of_any_size_exactly(a: int, b: int) -> None:
    def holds(operator: str) -> object:
        return compile_condition({"value": a, operator: b}, "c", Env({})).constant

    assert holds("equals") is (a == b) and holds("notEquals") is (a != b)
    assert holds("greater") is (a > b) and holds("lessOrEquals") is (a <= b)
    assert compile_condition({"value": a, "in": [b]}, "c", Env({})).constant is (a == b)


def test_r26_an_integer_past_python_decimal_text_compares_without_a_crash() -> None:
    huge = 10**5000
    assert compile_condition({"value": huge, "equals": huge}, "c", Env({})).constant is True
    assert compile_condition({"value": huge, "equals": "1"}, "c", Env({})).constant is False
    assert compile_condition({"value": huge, "greater": 1.5}, "c", Env({})).constant is True


# --- reads_location -----------------------------------------------------------------------

LOCATION_PARAMETER = {"f": {"type": "String", "defaultValue": "location"}}


@pytest.mark.parametrize(("condition", "props", "reads"), [
    ({"field": "location", "equals": "westeurope"}, {}, True),
    ({"field": " Location ", "in": ["westeurope"]}, {}, True),
    ({"field": "[parameters('f')]", "equals": "westeurope"}, {"parameters": LOCATION_PARAMETER},
     True),
    ({"value": "[field(parameters('f'))]", "equals": "westeurope"},
     {"parameters": LOCATION_PARAMETER}, True),
    ({"value": "[resourceGroup().location]", "equals": "westeurope"}, {}, True),
    ({"field": "name", "equals": "location"}, {}, False),
    ({"field": "name", "like": "*location*"}, {"displayName": "location policy"}, False),
    ({"field": "name", "equals": "[parameters('f')]"}, {"parameters": LOCATION_PARAMETER}, False),
])
def test_r16_reads_location_follows_the_fields_the_condition_reads(
        condition: object, props: dict[str, Any], reads: bool) -> None:
    planned = plan(assign(parse_definition(rule_with(condition, **props))))
    assert planned.request is not None and planned.reads_location is reads


def test_r16_a_field_named_by_a_parameter_in_a_value_is_read_per_resource() -> None:
    condition = {"value": "[field(parameters('f'))]", "equals": "westeurope"}
    planned = plan(assign(parse_definition(rule_with(condition, parameters=LOCATION_PARAMETER))))
    assert planned.request is not None
    assert planned.request({"type": EXTENSION_TYPE, "location": "westeurope"})
    assert not planned.request({"type": EXTENSION_TYPE, "location": "eastus"})


def test_r16_a_field_named_by_a_parameter_that_is_not_carried_is_a_located_error() -> None:
    found = refusal({"value": "[field(parameters('f'))]", "equals": "x"},
                    parameters={"f": {"type": "String", "defaultValue": "identity.type"}})
    assert found.startswith('d.json: policyRule.if.allOf[1].value: "identity.type": the '
                            "simulated fleet does not carry this field of an extension write "
                            "request")


def test_r16_each_field_name_of_a_value_is_resolved_once(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    resolved: list[str] = []
    real = conditions.resolve_field

    def counting(name: str, profile: Profile | None) -> FieldRead:
        resolved.append(name)
        return real(name, profile)

    monkeypatch.setattr(conditions, "resolve_field", counting)
    compile_value("[concat(field('name'), field('location'))]", "v", Env({}, REQUEST))
    assert sorted(resolved) == ["location", "name"]


# --- deployment templates -----------------------------------------------------------------


def _dine(template: dict[str, object]) -> dict[str, object]:
    """A DeployIfNotExists whose existence condition leaves the extension to ``template``."""
    given = {"vmName": {"value": "[field('name')]"}}
    details = {"type": EXTENSION_TYPE,
               "existenceCondition": {"field": STATE, "equals": "Succeeded"},
               "deployment": {"properties": {"mode": "incremental", "template": template,
                                             "parameters": given}}}
    return {"policyRule": {"if": {"field": "type", "equals": MACHINES},
                           "then": {"effect": "DeployIfNotExists", "details": details}}}


def _template(publisher: str, type_: str, parameters: dict[str, object] | None = None,
              variables: dict[str, object] | None = None) -> dict[str, object]:
    return {"parameters": {"vmName": {"type": "string"}, **(parameters or {})},
            "variables": variables or {},
            "resources": [{"type": EXTENSION_TYPE, "name": "[concat(parameters('vmName'), '/x')]",
                           "properties": {"publisher": publisher, "type": type_}}]}


def _refused(template: dict[str, object]) -> str:
    with pytest.raises(PolicyDefinitionError) as caught:
        plan(assign(parse_definition(_dine(template), source="d.json")))
    message = str(caught.value)
    assert message.startswith("d.json: policyRule.then.details: cannot tell which extension it "
                              "deploys: expected equals conditions on its publisher and type")
    return message


def test_r6b_a_template_default_reads_the_template_s_other_parameters() -> None:
    template = _template("[parameters('publisher')]", "[parameters('extType')]", {
        "publisher": {"type": "string", "defaultValue": "Microsoft.Azure.Monitor"},
        "extType": {"type": "string",
                    "defaultValue": "[concat(parameters('prefix'), 'WindowsAgent')]"},
        "prefix": {"type": "string", "defaultValue": "[variables('product')]"},
    }, {"product": "AzureMonitor"})
    assert assign(parse_definition(_dine(template))).deploys == ExtensionId.parse(AMA_W)


@pytest.mark.parametrize(("variables", "expression", "cycle"), [
    ({"a": "[variables('a')]"}, "[variables('a')]", "variables('a') -> variables('a')"),
    ({"a": "[variables('B')]", "b": "[concat('x', variables('a'))]"},
     "[concat('x', variables('a'))]", "variables('a') -> variables('b') -> variables('a')"),
])
def test_r6b_a_template_variable_that_refers_to_itself_is_a_located_error(
        variables: dict[str, object], expression: str, cycle: str) -> None:
    message = _refused(_template("[variables('a')]", "T", variables=variables))
    assert message.endswith(f'; reading the template: {TEMPLATE}: "{expression}": variable "a" '
                            f"refers to itself ({cycle}): expected a value that does not "
                            "depend on its own")


@pytest.mark.parametrize(("parameters", "variables", "cycle"), [
    ({"p": {"type": "string", "defaultValue": "[parameters('q')]"},
      "q": {"type": "string", "defaultValue": "[parameters('p')]"}}, {},
     "parameters('p') -> parameters('q') -> parameters('p')"),
    ({"p": {"type": "string", "defaultValue": "[variables('v')]"}}, {"v": "[parameters('p')]"},
     "parameters('p') -> variables('v') -> parameters('p')"),
])
def test_r6b_a_template_default_that_refers_to_itself_is_a_located_error(
        parameters: dict[str, object], variables: dict[str, object], cycle: str) -> None:
    message = _refused(_template("[parameters('p')]", "T", parameters, variables))
    assert message.endswith(f"; reading the template: {TEMPLATE}.parameters.p.defaultValue: "
                            f'parameter "p" refers to itself ({cycle}): expected a value that '
                            "does not depend on its own")


def test_r6b_a_long_chain_of_template_variables_is_a_located_error() -> None:
    chain: dict[str, object] = {f"v{i}": f"[variables('v{i + 1}')]" for i in range(2000)}
    chain["v2000"] = "Publisher"
    message = _refused(_template("[variables('v0')]", "T", variables=chain))
    assert ('variable "v32" is read through more than 32 variables and parameter defaults '
            "that refer to each other: expected fewer") in message


def test_r6b_the_refusal_names_the_template_error_that_caused_it() -> None:
    template = _template("[parameters('p')]", "T",
                         {"p": {"type": "string", "defaultValue": "[div(1, 0)]"}})
    assert _refused(template).endswith(
        f'; reading the template: {TEMPLATE}.parameters.p.defaultValue: "[div(1, 0)]": div(): '
        "integer division or modulo by zero")


def test_r6b_a_template_that_deploys_the_extension_is_not_refused() -> None:
    template = _template("Microsoft.Azure.Monitor", "AzureMonitorWindowsAgent")
    details = _dine(template)["policyRule"]
    assert isinstance(details, dict)
    details["then"]["details"]["existenceCondition"] = {"allOf": [
        {"field": PUBLISHER, "equals": "Microsoft.Azure.Monitor"},
        {"field": TYPE, "equals": "[concat('AzureMonitor', 'WindowsAgent')]"}]}
    planned = plan(assign(parse_definition({"policyRule": details})))
    assert set(planned.deploys.values()) == {ExtensionId.parse(AMA_W)}
    assert planned.related is not None and planned.related.template_error == ""
