"""Lint of planned lockdowns (spec R1, R7, R15, R17-R19, R21, R24, R30)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.rules import ALLOW_NONE, AgentConfig, ExtensionId, Mode
from sim.rules.lint import Finding, Severity, lint
from sim.rules.versions import VersionError

RUNBOOKS = Path(__file__).resolve().parent.parent / "scenarios" / "runbooks"
AMA = "Microsoft.Azure.Monitor/AzureMonitorLinuxAgent"
CSE = "Microsoft.Azure.Extensions/CustomScript"
SCRIPT_EXTENSIONS = (
    "Microsoft.Cplat.Core/RunCommandHandlerWindows,Microsoft.Cplat.Core/RunCommandHandlerLinux,"
    "Microsoft.Compute/CustomScriptExtension,Microsoft.Azure.Extensions/CustomScript,"
    "Microsoft.Azure.Automation.HybridWorker/HybridWorkerForWindows,"
    "Microsoft.Azure.Automation.HybridWorker/HybridWorkerForLinux,"
    "Microsoft.EnterpriseCloud.Monitoring/MicrosoftMonitoringAgent,"
    "Microsoft.EnterpriseCloud.Monitoring/OMSAgentForLinux"
)


def summary(findings: list[Finding]) -> list[tuple[str, Severity, str, int | None]]:
    return [(f.code, f.severity, f.rule, f.line) for f in findings]


def only(findings: list[Finding], code: str) -> Finding:
    matching = [f for f in findings if f.code == code]
    assert len(matching) == 1, summary(findings)
    return matching[0]


def runbook(name: str) -> list[str]:
    return (RUNBOOKS / name).read_text(encoding="utf-8").splitlines()


# --- the shipped runbooks --------------------------------------------------------------------


def test_r18_article_linux_ama_runbook_is_clean() -> None:
    assert lint(runbook("article-linux-ama.txt")) == []


def test_r1_article_blocklist_as_printed_gives_error_findings() -> None:
    findings = lint(runbook("article-blocklist-as-printed.txt"))
    assert summary(findings) == [
        ("typographic_quotes", Severity.ERROR, "R8a", 3),
        ("malformed_entry", Severity.ERROR, "R1", 3),
    ]
    assert "typographic quotes" in findings[0].message
    assert findings[0].fix == 'retype the quotes as straight quotes (")'
    assert '"Microsoft.Azure.Automation.HybridWorkerForLinux"' in findings[1].message
    assert findings[1].fix == (
        "did you mean Microsoft.Azure.Automation.HybridWorker/HybridWorkerForLinux?")


def test_r1_blocklist_with_straight_quotes_is_refused_and_explained() -> None:
    line = runbook("article-blocklist-as-printed.txt")[-1].replace("“", '"').replace("”", '"')
    findings = lint([line])
    assert summary(findings) == [
        ("command_refused", Severity.ERROR, "R1", 1),
        ("malformed_entry", Severity.ERROR, "R1", 1),
    ]
    assert "HybridWorkerForLinux" in findings[0].message
    assert "HybridWorker/HybridWorkerForLinux" in findings[1].fix


def test_r18_corrected_blocklist_still_prefers_an_allowlist() -> None:
    findings = lint([f'azcmagent config set extensions.blocklist "{SCRIPT_EXTENSIONS}"'])
    assert summary(findings) == [
        ("blocklist_instead_of_allowlist", Severity.WARNING, "R18", 1),
        ("guest_configuration_enabled", Severity.WARNING, "R18", None),
    ]


# --- best-practice findings (R18) ------------------------------------------------------------


def test_r18_blocklist_used_where_an_allowlist_would_do() -> None:
    finding = only(lint([f"azcmagent config set extensions.blocklist {CSE}",
                         "azcmagent config set guestconfiguration.enabled false"]),
                   "blocklist_instead_of_allowlist")
    assert (finding.severity, finding.rule, finding.line) == (Severity.WARNING, "R18", 1)
    assert "extensions.allowlist" in finding.fix


def test_r7_blocklist_that_leaves_script_extensions_installable() -> None:
    finding = only(lint([f"azcmagent config set extensions.blocklist {CSE}"]),
                   "script_extension_not_blocked")
    assert (finding.severity, finding.rule) == (Severity.WARNING, "R7")
    assert "Microsoft.Compute/CustomScriptExtension" in finding.message
    assert CSE not in finding.message


def test_r18_script_extension_on_the_allowlist_is_an_error() -> None:
    findings = lint(["# lockdown", "",
                     f'sudo azcmagent config set extensions.allowlist "{AMA},{CSE}"',
                     "sudo azcmagent config set guestconfiguration.enabled false"])
    finding = only(findings, "script_extension_allowed")
    assert (finding.severity, finding.rule, finding.line) == (Severity.ERROR, "R18", 3)
    assert CSE in finding.message
    assert finding.fix == f"remove {CSE} from extensions.allowlist"
    assert len(findings) == 1


def test_r18_article_monitoring_and_security_example_findings() -> None:
    findings = lint([
        'sudo azcmagent config set extensions.allowlist "Microsoft.EnterpriseCloud.Monitoring/OMSAgentForLinux,Qualys/LinuxAgent.AzureSecurityCenter,Microsoft.Azure.AzureDefenderForServers/MDE.Linux"',  # noqa: E501 (as printed)
        "sudo azcmagent config set guestconfiguration.enabled true",
    ])
    assert summary(findings) == [
        ("script_extension_allowed", Severity.ERROR, "R18", 1),
        ("guest_configuration_enabled", Severity.WARNING, "R18", 2),
    ]
    assert "OMSAgentForLinux" in findings[0].message


@pytest.mark.parametrize("lines", [
    pytest.param([f"azcmagent config set extensions.allowlist {AMA}"], id="allowlist"),
    pytest.param([f"azcmagent config set extensions.blocklist {CSE}"], id="blocklist"),
    pytest.param(['azcmagent config set extensions.allowlist "Allow/None"'], id="allow-none"),
])
def test_r18_guest_configuration_left_enabled_under_a_lockdown(lines: list[str]) -> None:
    finding = only(lint(lines), "guest_configuration_enabled")
    assert (finding.severity, finding.rule) == (Severity.WARNING, "R18")
    assert finding.fix == "azcmagent config set guestconfiguration.enabled false"


def test_r18_guest_configuration_without_lockdown_is_fine() -> None:
    assert lint(["azcmagent config list"]) == []
    assert lint(AgentConfig.fresh("1.58")) == []


# --- R1 entries -------------------------------------------------------------------------------


def test_r1_unknown_but_well_formed_entry_warns_with_did_you_mean() -> None:
    findings = lint(["azcmagent config set extensions.allowlist "
                     "Microsoft.Azure.Monitor/AzureMonitorLinuxAgnet",
                     "azcmagent config set guestconfiguration.enabled false"])
    finding = only(findings, "unknown_extension")
    assert (finding.severity, finding.rule, finding.line) == (Severity.WARNING, "R1", 1)
    assert finding.fix == f"did you mean {AMA}?"


def test_r1_unknown_entry_without_close_match() -> None:
    finding = only(lint(["azcmagent config set extensions.blocklist Contoso/Widget"]),
                   "unknown_extension")
    assert finding.fix == "check the name in the extension's documentation"


def test_r1_known_entry_in_other_case_is_not_unknown() -> None:
    findings = lint([f"azcmagent config set extensions.allowlist {AMA.upper()}",
                     "azcmagent config set guestconfiguration.enabled false"])
    assert findings == []


def test_r1_unknown_entry_in_a_config() -> None:
    config = AgentConfig(AgentConfig.fresh("1.58").version,
                         allowlist=(ExtensionId.parse("Contoso/Widget"),),
                         guest_configuration_enabled=False)
    assert summary(lint(config)) == [("unknown_extension", Severity.WARNING, "R1", None)]


# --- refusals ---------------------------------------------------------------------------------


def test_r30_keys_the_agent_version_lacks() -> None:
    findings = lint([f"azcmagent config set extensions.allowlist {AMA}",
                     "azcmagent config set extensions.enabled false"], agent_version="1.16")
    finding = only(findings, "key_unavailable")
    assert (finding.severity, finding.rule, finding.line) == (Severity.ERROR, "R30", 2)
    assert "1.17" in finding.message


def test_r30_config_with_keys_its_version_lacks() -> None:
    config = AgentConfig(AgentConfig.fresh("1.15").version, mode=Mode.MONITOR)
    findings = lint(config)
    assert ("key_unavailable", Severity.ERROR, "R30", None) in summary(findings)
    assert "config.mode" in only(findings, "key_unavailable").message


def test_r30_agent_version_replaces_a_configs_version() -> None:
    config = AgentConfig(AgentConfig.fresh("1.58").version, extensions_enabled=False)
    codes = [f.code for f in lint(config, agent_version="1.16")]
    assert "key_unavailable" in codes
    assert "key_unavailable" not in [f.code for f in lint(config)]


def test_r30_a_cpu_limit_set_on_a_config_of_an_agent_before_1_39() -> None:
    config = AgentConfig.fresh("1.58").with_setting("extensions.agent.cpulimit", "80")
    assert "key_unavailable" not in [f.code for f in lint(config)]
    finding = only(lint(config, agent_version="1.38"), "key_unavailable")
    assert (finding.rule, finding.line) == ("R30", None)
    assert "extensions.agent.cpulimit" in finding.message and "1.39" in finding.message


def test_r15_allow_none_before_1_35() -> None:
    finding = only(lint(['azcmagent config set extensions.allowlist "Allow/None"'],
                        agent_version="1.34"), "allow_none_unsupported")
    assert (finding.severity, finding.rule, finding.line) == (Severity.ERROR, "R15", 1)
    config = AgentConfig(AgentConfig.fresh("1.30").version, allowlist=(ALLOW_NONE,))
    assert only(lint(config), "allow_none_unsupported").rule == "R15"


@pytest.mark.parametrize(("line", "expected"), [
    ("azcmagent config set extensions.enabled maybe", "expected true or false"),
    ("azcmagent config set extensions.allowlist --frob x/y", "unknown flag: --frob"),
])
def test_r8a_refused_line_is_an_error_with_the_tools_message(line: str, expected: str) -> None:
    finding = only(lint([line]), "command_refused")
    assert finding.severity is Severity.ERROR
    assert expected in finding.message
    assert "Error: " in finding.message


def test_r8a_lint_continues_after_a_refused_line() -> None:
    findings = lint(["azcmagent frob", f"azcmagent config set extensions.allowlist {CSE}"])
    assert summary(findings)[0] == ("command_refused", Severity.ERROR, "R8a", 1)
    assert ("script_extension_allowed", Severity.ERROR, "R18", 2) in summary(findings)


def test_r8a_lint_accepts_a_text_and_counts_every_line() -> None:
    text = "# header\n\n   \nazcmagent bogus\n"
    assert summary(lint(text)) == [("command_refused", Severity.ERROR, "R8a", 4)]


# --- modes and manager -----------------------------------------------------------------------


def test_r19_monitor_mode_with_custom_lists_queued() -> None:
    findings = lint([f"azcmagent config set extensions.allowlist {AMA}",
                     "azcmagent config set guestconfiguration.enabled false",
                     "azcmagent config set config.mode monitor"])
    finding = only(findings, "lists_not_in_effect")
    assert (finding.severity, finding.rule, finding.line) == (Severity.WARNING, "R19", 3)
    assert "not in effect" in finding.message


def test_r21_list_change_in_monitor_mode_is_refused() -> None:
    findings = lint(["azcmagent config set config.mode monitor",
                     f"azcmagent config set extensions.blocklist {CSE}"])
    finding = only(findings, "lists_frozen")
    assert (finding.severity, finding.rule, finding.line) == (Severity.ERROR, "R21", 2)
    assert "config.mode full" in finding.fix


def test_r19_monitor_mode_alone_only_says_what_monitor_mode_is() -> None:
    findings = lint(["azcmagent config set config.mode monitor"])
    assert summary(findings) == [("monitor_mode_allowlist", Severity.INFO, "R19", 1)]


def test_r24_manager_disabled_while_manager_hosted_extensions_expected() -> None:
    findings = lint([f"azcmagent config set extensions.allowlist {AMA}",
                     "azcmagent config set guestconfiguration.enabled false",
                     "azcmagent config set extensions.enabled false"])
    finding = only(findings, "manager_disabled")
    assert (finding.severity, finding.rule, finding.line) == (Severity.INFO, "R24", 3)
    assert AMA in finding.message


def test_r24_manager_disabled_without_lists_is_info() -> None:
    finding = only(lint(["azcmagent config set extensions.enabled false"]), "manager_disabled")
    assert finding.severity is Severity.INFO
    assert "Azure Monitor agent" in finding.message


def test_lint_rejects_a_bad_agent_version() -> None:
    with pytest.raises(VersionError):
        lint([], agent_version="one")


def test_severity_values() -> None:
    assert [s.value for s in Severity] == ["error", "warning", "info"]
