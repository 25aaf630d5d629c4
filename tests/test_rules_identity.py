"""Extension identity and the catalogue (spec R1, R7, R8a, R19, R24)."""

from __future__ import annotations

from dataclasses import replace

import pytest
import strategies as s
from hypothesis import given

from sim.errors import ArcsimError
from sim.rules import ALLOW_NONE, BUILTIN, ExtensionId, ExtensionIdError, Hosting
from sim.rules.catalogue import Catalogue
from sim.rules.identity import parse_extension_list

AMA = "Microsoft.Azure.Monitor/AzureMonitorLinuxAgent"


def test_r1_parse_publisher_and_type() -> None:
    ext = ExtensionId.parse(AMA)
    assert (ext.publisher, ext.type, ext.name, str(ext)) == (
        "Microsoft.Azure.Monitor", "AzureMonitorLinuxAgent", AMA, AMA)
    assert ext.key == AMA.lower()


def test_r1_upgrade_key_uses_a_dot() -> None:
    assert ExtensionId.parse(AMA).upgrade_key == "Microsoft.Azure.Monitor.AzureMonitorLinuxAgent"


@pytest.mark.parametrize(("text", "expected"), [
    ("Microsoft.Azure.Automation.HybridWorkerForLinux", 'found no "/"'),
    ("a/b/c", 'found 2 "/"'),
    ("/Type", "must both be non-empty"),
    ("Publisher/ ", "must both be non-empty"),
    ("“Microsoft.Compute/CustomScriptExtension”", "typographic quotes"),
    ("Microsoft.Compute/Custom ScriptExtension", "contains a space"),
    ("Microsoft.Azure.Monitor/AzureMonitorLinuxAgent Qualys/LinuxAgent", 'found 2 "/"'),
    ("", 'found no "/"'),
])
def test_r1_malformed_names_are_refused_saying_why(text: str, expected: str) -> None:
    with pytest.raises(ExtensionIdError) as caught:
        ExtensionId.parse(text)
    assert expected in str(caught.value)
    assert isinstance(caught.value, ArcsimError)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("spelling", [AMA.lower(), AMA.upper(), f"  {AMA}\t",
                                      "Microsoft.Azure.Monitor / AzureMonitorLinuxAgent"])
def test_r8a_names_compare_case_insensitively_trimmed(spelling: str) -> None:
    assert ExtensionId.parse(spelling) == ExtensionId.parse(AMA)
    assert ExtensionId.parse(spelling).name == spelling.strip().replace(" / ", "/")


@given(s.extension_names())
def test_r8a_parse_is_stable_under_case_and_reparse(name: str) -> None:
    ext = ExtensionId.parse(name)
    assert ExtensionId.parse(ext.name) == ext
    assert ExtensionId.parse(name.swapcase()) == ext
    assert ExtensionId.parse(ext.name).name == ext.name


def test_r15_allow_none_is_an_extension_id() -> None:
    assert ExtensionId.parse("allow/none") == ALLOW_NONE
    assert ALLOW_NONE.name == "Allow/None"


def test_r8a_list_parsing_skips_empty_entries_and_duplicates() -> None:
    qualys = "Qualys/LinuxAgent.AzureSecurityCenter"
    parsed = parse_extension_list(f" {AMA} ,,{AMA.upper()}, {qualys} ,")
    assert [e.name for e in parsed] == [AMA, qualys]
    assert parse_extension_list("") == ()
    assert parse_extension_list(" , ") == ()


def test_r1_list_parsing_names_the_first_bad_entry() -> None:
    with pytest.raises(ExtensionIdError, match="NoSlash"):
        parse_extension_list(f"{AMA},NoSlash,Other")


# --- catalogue -------------------------------------------------------------------------------


def test_r1_catalogue_lookup_is_case_insensitive() -> None:
    entry = BUILTIN.get(ExtensionId.parse(AMA.upper()))
    assert entry is not None
    assert entry.id.name == AMA
    assert ExtensionId.parse(AMA.lower()) in BUILTIN
    assert BUILTIN.get(ExtensionId.parse("Contoso/Unknown")) is None


def test_r7_script_extensions_of_the_article_run_scripts() -> None:
    scripts = sorted(e.id.name for e in BUILTIN if e.runs_scripts)
    assert scripts == sorted([
        "Microsoft.Cplat.Core/RunCommandHandlerWindows",
        "Microsoft.Cplat.Core/RunCommandHandlerLinux",
        "Microsoft.Compute/CustomScriptExtension", "Microsoft.Azure.Extensions/CustomScript",
        "Microsoft.Azure.Automation.HybridWorker/HybridWorkerForWindows",
        "Microsoft.Azure.Automation.HybridWorker/HybridWorkerForLinux",
        "Microsoft.EnterpriseCloud.Monitoring/MicrosoftMonitoringAgent",
        "Microsoft.EnterpriseCloud.Monitoring/OMSAgentForLinux",
    ])


def test_r24_azure_monitor_agent_is_manager_hosted_log_analytics_is_not() -> None:
    ama = BUILTIN.get(ExtensionId.parse(AMA))
    oms = BUILTIN.get(ExtensionId.parse("Microsoft.EnterpriseCloud.Monitoring/OMSAgentForLinux"))
    assert ama is not None and ama.hosting is Hosting.MANAGER
    assert oms is not None and oms.hosting is Hosting.SERVICE


@pytest.mark.parametrize(("typo", "meant"), [
    ("Microsoft.Azure.Automation.HybridWorkerForLinux",
     "Microsoft.Azure.Automation.HybridWorker/HybridWorkerForLinux"),
    ("Microsoft.Azure.Monitor/AzureMonitorLinuxAgnet", AMA),
    ("microsoft.compute/customscript", "Microsoft.Compute/CustomScriptExtension"),
])
def test_r1_closest_suggests_the_intended_extension(typo: str, meant: str) -> None:
    assert [e.name for e in BUILTIN.closest(typo)] == [meant]


def test_r1_closest_suggests_nothing_for_a_stranger() -> None:
    assert BUILTIN.closest("Contoso/Widget") == []


def test_r7_catalogue_entries_can_be_replaced() -> None:
    ama = BUILTIN.get(ExtensionId.parse(AMA))
    assert ama is not None
    changed = BUILTIN.with_entries([replace(ama, runs_scripts=True)])
    assert isinstance(changed, Catalogue)
    assert len(changed) == len(BUILTIN)
    entry = changed.get(ama.id)
    assert entry is not None and entry.runs_scripts
    assert not ama.runs_scripts
