"""Azure Policy definition files: any file gives a usable rule or a located error, and no
condition takes long to evaluate."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fuzzing import (
    POLICY_FILES,
    byte_mutations,
    documents,
    fuzz_settings,
    mutated,
    outcome,
    time_bound,
)
from hypothesis import given
from hypothesis import strategies as st

from sim.engine.fleet import GroupSpec
from sim.rules.azure_policy import assign, parse_definition
from sim.rules.azure_policy_views import extension_resource
from sim.rules.identity import ExtensionId
from sim.scenario.policy_definitions import definition_problems, load_rule
from sim.scenario.schema import Policy

pytestmark = pytest.mark.fuzz

RULE = {"if": {"field": "type", "equals": "Microsoft.HybridCompute/machines/extensions"},
        "then": {"effect": "deny"}}


def problems_of_file(folder: Path, raw: bytes, parameters: dict[str, Any] | None = None
                     ) -> list[tuple[Any, str]]:
    """What :func:`definition_problems` says of a definition file holding ``raw``."""
    (folder / "d.json").write_bytes(raw)
    with time_bound():
        return definition_problems(Policy(name="p", definition="d.json",
                                          parameters=parameters), folder)


@pytest.mark.parametrize(("raw", "message"), [
    pytest.param(b'{"a": "\xe9"}', "d.json:1: not UTF-8 text (byte 0xe9)", id="latin-1"),
    pytest.param(b"[" * 5000 + b"]" * 5000, "d.json: nested more than 64 levels deep",
                 id="deep-json"),
    pytest.param(json.dumps({"policyRule": {"if": {"not": RULE["if"]}, "then": {
        "effect": "deny"}}, "parameters": {"p": {"type": "Array", "defaultValue": json.loads(
            "[" * 900 + "]" * 900)}}}).encode(), "nested more than 64 levels deep",
        id="deep-parameter"),
    pytest.param(b'{"a": ' + b"1" * 5000 + b"}", "d.json: a number of more than 100 digits",
                 id="5000-digits"),
    pytest.param(b"[1, 2]", "d.json: expected a policy definition object, got [1, 2]",
                 id="not-an-object"),
])
def test_a_definition_file_that_cannot_be_used_is_a_located_problem(
        tmp_path: Path, raw: bytes, message: str) -> None:
    [(where, text)] = problems_of_file(tmp_path, raw)
    assert where == ("definition",)
    assert message in text


@pytest.mark.parametrize(("name", "reason"), [
    pytest.param("a\x00b.json", "the path contains a NUL byte", id="nul"),
    pytest.param("a" * 300 + ".json", "the file name is too long", id="300-characters"),
])
def test_a_definition_path_the_system_refuses_is_a_located_problem(
        tmp_path: Path, name: str, reason: str) -> None:
    with time_bound():
        [(where, text)] = definition_problems(Policy(name="p", definition=name), tmp_path)
    assert where == ("definition",)
    assert text.endswith(f": cannot read: {reason}")


@pytest.mark.parametrize("stars", [14, 40])
def test_like_with_many_stars_is_decided_at_once(stars: int) -> None:
    condition = {"field": "type", "like": "*" * stars + "a"}
    rule = assign(parse_definition({"policyRule": {"if": condition,
                                                   "then": {"effect": "deny"}}}))
    view = extension_resource("Microsoft.Compute", "b" * 3000)
    with time_bound(5.0):
        assert rule.evaluate(view) is False


@pytest.mark.parametrize(("pattern", "text", "matches"), [
    ("*", "", True), ("a*", "abc", True), ("*c", "abc", True), ("a*c", "ac", True),
    ("a*b*c", "aXbYc", True), ("a*b*c", "acb", False), ("**a**", "xay", True),
    ("ab*ab", "ab", False), ("*ab*ab*", "abab", True), ("a", "A", True), ("a.b", "axb", False),
])
def test_like_matches_as_azure_does(pattern: str, text: str, matches: bool) -> None:
    condition = {"field": "location", "like": pattern}
    rule = assign(parse_definition({"policyRule": {"if": condition,
                                                   "then": {"effect": "deny"}}}))
    assert rule.evaluate(extension_resource("P", "T", location=text)) is matches


@fuzz_settings(300)
@given(st.text("ab*", max_size=12), st.text("ab", max_size=12))
def test_like_agrees_with_a_regular_expression(pattern: str, text: str) -> None:
    expected = re.fullmatch(".*".join(map(re.escape, pattern.split("*"))), text, re.DOTALL)
    condition = {"field": "location", "like": pattern}
    rule = assign(parse_definition({"policyRule": {"if": condition,
                                                   "then": {"effect": "deny"}}}))
    assert rule.evaluate(extension_resource("P", "T", location=text)) is (expected is not None)


# --- properties -----------------------------------------------------------------------------

SHIPPED = {path.name: json.loads(path.read_text(encoding="utf-8")) for path in POLICY_FILES}
EXTENSIONS = [ExtensionId.parse(name) for name in (
    "Microsoft.Compute/CustomScriptExtension", "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent",
    "Microsoft.EnterpriseCloud.Monitoring/MicrosoftMonitoringAgent")]
GROUPS = [GroupSpec("web", 1, os="windows", region="eastus", tags={"env": "prod"}),
          GroupSpec("db", 1, os="linux", region="westeurope")]
POLICY_WORDS = ["properties", "policyRule", "if", "then", "effect", "field", "equals", "like",
                "in", "allOf", "anyOf", "not", "parameters", "type", "defaultValue",
                "allowedValues", "details", "existenceCondition", "roleDefinitionIds"]


def _use(folder: Path, parameters: dict[str, Any] | None) -> None:
    """Check the definition as a scenario does; when it has no problem, build its rule and
    decide a few requests and machines with it, as a run would."""
    problems = definition_problems(Policy(name="p", definition="d.json",
                                          parameters=parameters), folder)
    if problems:
        return
    rule = load_rule(folder / "d.json", parameters or {})
    for extension in EXTENSIONS:
        rule.matches(extension)
        for group in GROUPS:
            if rule.matches_in is not None:
                rule.matches_in(extension, group)
    for group in GROUPS:
        if rule.applies_to is not None:
            rule.applies_to(group)


@st.composite
def definitions(draw: st.DrawFn) -> bytes:
    name = draw(st.sampled_from(sorted(SHIPPED)))
    data = draw(mutated(SHIPPED[name], documents(POLICY_WORDS)))
    return json.dumps(data).encode()


@fuzz_settings(150)
@given(st.one_of(definitions(), documents(POLICY_WORDS).map(lambda d: json.dumps(d).encode()),
                 st.sampled_from(sorted(SHIPPED)).flatmap(
                     lambda n: byte_mutations(json.dumps(SHIPPED[n]).encode()))),
       st.one_of(st.none(), st.dictionaries(st.sampled_from(["effect", "x"]),
                                            documents(["Deny", "Audit"]), max_size=2)))
def test_any_definition_file_gives_a_rule_or_located_problems(
        tmp_path_factory: pytest.TempPathFactory, raw: bytes,
        parameters: dict[str, Any] | None) -> None:
    folder = tmp_path_factory.mktemp("definition")
    (folder / "d.json").write_bytes(raw)
    outcome(lambda: _use(folder, parameters))
