"""Azure Policy definitions arcsim cannot evaluate, refused with a located message: the file,
the JSON path, what was expected and what was found (R26).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import PUBLISHER, rule_with

from sim.errors import ArcsimError
from sim.rules.azure_policy import (
    EXTENSION_TYPE,
    Effect,
    PolicyDefinitionError,
    assign,
    load_definition,
    parse_definition,
)

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
