"""Where the sources are silent, in the rules layer: each reading a parameter with its default
(spec table "Where the sources are silent"; R1, R8a, R15, R19, R20, R25, R30)."""

from __future__ import annotations

import pytest

from sim.rules import AgentConfig, CommandError, ErrorCode, apply, apply_all, decide
from sim.rules.catalogue import (
    AUTO_UPGRADE_SOURCE,
    AUTO_UPGRADE_SUPPORTED,
    BUILTIN,
    Hosting,
    entry_for,
)
from sim.rules.config import KEYS, render_config_list
from sim.rules.identity import ExtensionId
from sim.rules.lint import Severity, lint
from sim.rules.readings import AllowNoneOnOldAgents, MalformedListEntry, Readings

AMA = "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent"
MMA = "Microsoft.EnterpriseCloud.Monitoring/MicrosoftMonitoringAgent"
ALLOW_NONE_LINE = 'azcmagent config set extensions.allowlist "Allow/None"'
ORDINARY = Readings(allow_none_before_1_35=AllowNoneOnOldAgents.ORDINARY_ENTRY)
LENIENT = Readings(malformed_list_entry=MalformedListEntry.VALID_ENTRIES_APPLY)


# --- R20: one fixed width --------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.16", "1.22", "1.40", "1.58"])
def test_r20_config_list_pads_every_key_to_one_width(version: str) -> None:
    rows = render_config_list(AgentConfig.fresh(version)).splitlines()[1:]
    columns = {row.index(" : ") for row in rows}
    assert len(columns) == 1, rows
    assert columns == {2 + max(len(k.name) for k in KEYS)}


def test_r20_config_list_lines_up_the_longest_keys() -> None:
    listing = render_config_list(AgentConfig.fresh("1.58"))
    rows = {row.split(" : ")[0].strip(): row for row in listing.splitlines()[1:]}
    assert {"incomingconnections.enabled", "guestconfiguration.agent.cpulimit"} <= set(rows)
    assert (rows["incomingconnections.enabled"].index(":")
            == rows["guestconfiguration.agent.cpulimit"].index(":")
            == rows["extensions.blocklist"].index(":"))


def test_r20_cpu_limits_are_keys_from_agent_1_39() -> None:
    config = apply_all(["azcmagent config set extensions.agent.cpulimit 80"],
                       AgentConfig.fresh("1.39")).config
    assert apply("azcmagent config get extensions.agent.cpulimit", config).output == "80"
    assert apply("azcmagent config get guestconfiguration.agent.cpulimit",
                 config).output == "5"
    with pytest.raises(CommandError) as old:
        apply("azcmagent config set extensions.agent.cpulimit 80", AgentConfig.fresh("1.38"))
    assert old.value.code is ErrorCode.KEY_UNAVAILABLE
    with pytest.raises(CommandError) as bad:
        apply("azcmagent config set extensions.agent.cpulimit 0", AgentConfig.fresh("1.58"))
    assert bad.value.code is ErrorCode.INVALID_VALUE


# --- R15: Allow/None on agents older than 1.35 -----------------------------------------------


def test_r15_allow_none_before_1_35_is_refused_by_default() -> None:
    with pytest.raises(CommandError) as caught:
        apply(ALLOW_NONE_LINE, AgentConfig.fresh("1.30"))
    assert caught.value.code is ErrorCode.ALLOW_NONE_UNSUPPORTED


def test_r15_allow_none_before_1_35_as_an_ordinary_entry_blocks_every_install() -> None:
    config = apply(ALLOW_NONE_LINE, AgentConfig.fresh("1.30"), readings=ORDINARY).state.config
    decision = decide("install", AMA, config)
    assert (decision.allowed, decision.reason.value, decision.rule) == (
        False, "not_on_allowlist", "R13")
    assert decide("delete", AMA, config).allowed


def test_r15_the_reading_changes_nothing_from_agent_1_35() -> None:
    for readings in (Readings(), ORDINARY):
        config = apply(ALLOW_NONE_LINE, AgentConfig.fresh("1.35"),
                       readings=readings).state.config
        assert decide("install", AMA, config).reason.value == "allow_none"


def test_r15_lint_says_why_allow_none_gives_no_protection_on_an_old_agent() -> None:
    finding = next(f for f in lint([ALLOW_NONE_LINE], agent_version="1.30")
                   if f.code == "allow_none_unsupported")
    assert finding.severity is Severity.ERROR
    assert "no protection" in finding.message
    assert "every extension can still be installed" in finding.message
    assert "1.35" in finding.message


def test_r15_lint_under_the_ordinary_entry_reading_says_it_is_an_assumption() -> None:
    finding = next(f for f in lint([ALLOW_NONE_LINE], agent_version="1.30", readings=ORDINARY)
                   if f.code == "allow_none_unsupported")
    assert "ordinary entry" in finding.message
    assert "assum" in finding.message


# --- R8a: a list command with one malformed entry --------------------------------------------

MIXED = f'azcmagent config set extensions.blocklist "{MMA},Microsoft.Azure.Automation.Broken"'


def test_r8a_one_malformed_entry_fails_the_whole_command_by_default() -> None:
    with pytest.raises(CommandError) as caught:
        apply(MIXED, AgentConfig.fresh("1.58"))
    assert caught.value.code is ErrorCode.INVALID_VALUE


def test_r8a_valid_entries_apply_reading_keeps_the_well_formed_ones() -> None:
    config = apply(MIXED, AgentConfig.fresh("1.58"), readings=LENIENT).state.config
    assert [e.name for e in config.blocklist] == [MMA]


def test_r8a_lint_under_the_valid_entries_reading_says_the_entry_is_dropped() -> None:
    finding = next(f for f in lint([MIXED], readings=LENIENT) if f.code == "malformed_entry")
    assert "dropped" in finding.message


# --- R19: monitor mode is an allowlist, not an audit mode ------------------------------------


def test_r19_lint_says_monitor_mode_is_a_microsoft_allowlist_not_an_audit_mode() -> None:
    finding = next(f for f in lint(["azcmagent config set config.mode monitor"])
                   if f.code == "monitor_mode_allowlist")
    assert finding.rule == "R19"
    assert "Microsoft" in finding.message and "not an audit mode" in finding.message
    assert "assumption" in finding.message


# --- R25: which publishers support automatic upgrade -----------------------------------------


def test_r25_catalogue_auto_upgrade_is_the_documented_list() -> None:
    supported = {e.description for e in BUILTIN if e.auto_upgrade}
    assert supported == {
        "Azure Monitor agent (AMA)", "Dependency agent (VM insights)",
        "Key Vault certificate sync", "Azure Update Manager", "Hybrid Runbook Worker",
        "Network Watcher agent", "Boot integrity monitoring (Guest Attestation)",
        "Microsoft Antimalware", "Defender for SQL",
        "SQL Server extension (auto-deployed where SQL Server is found, R6b)",
        "SQL Server extension"}
    assert len(AUTO_UPGRADE_SUPPORTED) == 10
    assert AUTO_UPGRADE_SOURCE.url.startswith("https://learn.microsoft.com/")


@pytest.mark.parametrize("name", [
    "Microsoft.Azure.AzureDefenderForServers/MDE.Windows",
    "Microsoft.Azure.ChangeTrackingAndInventory/ChangeTracking-Linux",
    "Microsoft.Cplat.Core/RunCommandHandlerWindows",
    "Microsoft.Azure.ActiveDirectory/AADSSHLoginForLinux",
])
def test_r25_publishers_that_do_not_support_automatic_upgrade(name: str) -> None:
    entry = BUILTIN.get(ExtensionId.parse(name))
    assert entry is not None and not entry.auto_upgrade


def test_r25_a_scenario_entry_changes_one_fact_of_a_known_extension() -> None:
    changed = entry_for(ExtensionId.parse(AMA), BUILTIN, auto_upgrade=False)
    known = BUILTIN.get(ExtensionId.parse(AMA))
    assert known is not None
    assert (changed.auto_upgrade, changed.hosting, changed.size_bytes) == (
        False, known.hosting, known.size_bytes)
    new = entry_for(ExtensionId.parse("Contoso/Agent"), BUILTIN, runs_scripts=True)
    assert (new.runs_scripts, new.auto_upgrade, new.hosting) == (True, False, Hosting.MANAGER)
