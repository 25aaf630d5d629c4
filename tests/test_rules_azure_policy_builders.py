"""Azure Policy definitions built without JSON (R16, R26): the article's blocklist as a Deny
policy, approved extensions with wildcards, and the JSON they stand for.
"""

from __future__ import annotations

import json

import pytest
import strategies as s
from helpers import PUBLISHER, ext
from hypothesis import given
from hypothesis import strategies as st
from policy_builders import extension_policy, extension_policy_definition

from sim.rules.azure_policy import (
    EXTENSION_TYPE,
    PolicyDefinitionError,
    assign,
    extension_resource,
    machine_resource,
    parse_definition,
)
from sim.rules.identity import ExtensionId, ExtensionIdError

AMA = ("Microsoft.Azure.Monitor", "AzureMonitorWindowsAgent")
CSE = ("Microsoft.Compute", "CustomScriptExtension")

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
