"""Azure Policy conditions, evaluated by the rules layer: every operator in any letter case,
fields that are missing, aliases, tags, and the logical operators (R26).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from helpers import PUBLISHER, STATE, compiled, ext

from sim.rules.azure_policy import (
    EXTENSION_TYPE,
    assign,
    extension_resource,
    machine_resource,
    parse_definition,
)

CSE = ("Microsoft.Compute", "CustomScriptExtension")


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
