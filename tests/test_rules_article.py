"""The article's example configurations, run exactly as printed (spec R1, R13, R15, R19, R23).

Every command line below is copied from the article ("Extensions security"), ``sudo`` and
typographic quotes included: they are what users paste.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from sim.rules import (
    BUILTIN,
    AgentConfig,
    CommandError,
    ErrorCode,
    LocalState,
    Mode,
    Operation,
    Reason,
    apply,
    apply_all,
    decide,
)
from sim.rules.catalogue import default_monitor_list
from sim.rules.identity import parse_extension_list

AGENT = "1.58"
RUNBOOKS = Path(__file__).resolve().parent.parent / "scenarios" / "runbooks"

BLOCKLIST_AS_PRINTED = (
    "azcmagent config set extensions.blocklist “Microsoft.Cplat.Core/RunCommandHandlerWindows, "
    "Microsoft.Cplat.Core/RunCommandHandlerLinux,Microsoft.Compute/CustomScriptExtension,"
    "Microsoft.Azure.Extensions/CustomScript,"
    "Microsoft.Azure.Automation.HybridWorker/HybridWorkerForWindows,"
    "Microsoft.Azure.Automation.HybridWorkerForLinux,"
    "Microsoft.EnterpriseCloud.Monitoring/MicrosoftMonitoringAgent, "
    "Microsoft.EnterpriseCloud.Monitoring/OMSAgentForLinux”"
)
BLOCKLIST_STRAIGHT = BLOCKLIST_AS_PRINTED.replace("“", '"').replace("”", '"')
BLOCKLIST_CORRECTED = BLOCKLIST_STRAIGHT.replace(
    "Microsoft.Azure.Automation.HybridWorkerForLinux",
    "Microsoft.Azure.Automation.HybridWorker/HybridWorkerForLinux")
LINUX_HYBRID_WORKER = "Microsoft.Azure.Automation.HybridWorker/HybridWorkerForLinux"
AMA_LINUX = "Microsoft.Azure.Monitor/AzureMonitorLinuxAgent"


@dataclass(frozen=True)
class Example:
    lines: tuple[str, ...]
    allowlist: str
    """The allowlist of the spec's table of example configurations."""
    guest_configuration: bool
    script_extension: str
    """A script-running extension of the same OS, which the lockdown must block."""


WINDOWS_CSE = "Microsoft.Compute/CustomScriptExtension"
LINUX_CSE = "Microsoft.Azure.Extensions/CustomScript"

LINUX_AMA_ONLY = (
    'sudo azcmagent config set extensions.allowlist "Microsoft.Azure.Monitor/AzureMonitorLinuxAgent"',  # noqa: E501 (as printed)
    "sudo azcmagent config set guestconfiguration.enabled false",
)
EXAMPLES = [
    pytest.param(Example((
        'azcmagent config set extensions.allowlist "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent"',  # noqa: E501 (as printed)
        "azcmagent config set guestconfiguration.enabled false",
    ), "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent", False, WINDOWS_CSE),
        id="ama-only-windows"),
    pytest.param(Example(LINUX_AMA_ONLY, "Microsoft.Azure.Monitor/AzureMonitorLinuxAgent", False,
                         LINUX_CSE), id="ama-only-linux"),
    pytest.param(Example((
        'azcmagent config set extensions.allowlist "Microsoft.EnterpriseCloud.Monitoring/MicrosoftMonitoringAgent,Microsoft.Azure.Monitoring.DependencyAgent/DependencyAgentWindows"',  # noqa: E501 (as printed)
        "azcmagent config set guestconfiguration.enabled false",
    ), "Microsoft.EnterpriseCloud.Monitoring/MicrosoftMonitoringAgent,"
       "Microsoft.Azure.Monitoring.DependencyAgent/DependencyAgentWindows", False, WINDOWS_CSE),
        id="log-analytics-dependency-windows"),
    pytest.param(Example((
        'sudo azcmagent config set extensions.allowlist "Microsoft.EnterpriseCloud.Monitoring/OMSAgentForLinux,Microsoft.Azure.Monitoring.DependencyAgent/DependencyAgentLinux"',  # noqa: E501 (as printed)
        "sudo azcmagent config set guestconfiguration.enabled false",
    ), "Microsoft.EnterpriseCloud.Monitoring/OMSAgentForLinux,"
       "Microsoft.Azure.Monitoring.DependencyAgent/DependencyAgentLinux", False, LINUX_CSE),
        id="log-analytics-dependency-linux"),
    pytest.param(Example((
        'azcmagent config set extensions.allowlist "Microsoft.EnterpriseCloud.Monitoring/MicrosoftMonitoringAgent,Qualys/WindowsAgent.AzureSecurityCenter,Microsoft.Azure.AzureDefenderForServers/MDE.Windows,Microsoft.Azure.AzureDefenderForSQL/AdvancedThreatProtection.Windows"',  # noqa: E501 (as printed)
        "azcmagent config set guestconfiguration.enabled true",
    ), "Microsoft.EnterpriseCloud.Monitoring/MicrosoftMonitoringAgent,"
       "Qualys/WindowsAgent.AzureSecurityCenter,Microsoft.Azure.AzureDefenderForServers/MDE.Windows,"
       "Microsoft.Azure.AzureDefenderForSQL/AdvancedThreatProtection.Windows", True, WINDOWS_CSE),
        id="monitoring-security-windows"),
    pytest.param(Example((
        'sudo azcmagent config set extensions.allowlist "Microsoft.EnterpriseCloud.Monitoring/OMSAgentForLinux,Qualys/LinuxAgent.AzureSecurityCenter,Microsoft.Azure.AzureDefenderForServers/MDE.Linux"',  # noqa: E501 (as printed)
        "sudo azcmagent config set guestconfiguration.enabled true",
    ), "Microsoft.EnterpriseCloud.Monitoring/OMSAgentForLinux,"
       "Qualys/LinuxAgent.AzureSecurityCenter,Microsoft.Azure.AzureDefenderForServers/MDE.Linux",
        True, LINUX_CSE), id="monitoring-security-linux"),
]


def run_runbook(lines: list[str] | tuple[str, ...], version: str = AGENT
                ) -> tuple[AgentConfig, list[CommandError]]:
    """Run lines as an administrator would: a refused line changes nothing, the next runs."""
    state = LocalState(AgentConfig.fresh(version))
    refused: list[CommandError] = []
    for line in lines:
        try:
            state = apply(line, state).state
        except CommandError as exc:
            refused.append(exc)
    return state.config, refused


@pytest.mark.parametrize("example", EXAMPLES)
def test_r13_article_example_sets_the_documented_configuration(example: Example) -> None:
    config = apply_all(example.lines, AgentConfig.fresh(AGENT)).config
    assert config.allowlist == parse_extension_list(example.allowlist)
    assert [e.name for e in config.allowlist] == example.allowlist.split(",")
    assert config.guest_configuration_enabled is example.guest_configuration
    assert config.blocklist == ()
    assert config.mode is Mode.FULL


@pytest.mark.parametrize("operation", [Operation.INSTALL, Operation.UPDATE, Operation.UPGRADE])
@pytest.mark.parametrize("example", EXAMPLES)
def test_r13_article_example_allows_what_it_names(example: Example, operation: Operation) -> None:
    config = apply_all(example.lines, AgentConfig.fresh(AGENT)).config
    for name in example.allowlist.split(","):
        decision = decide(operation, name, config)
        assert (decision.allowed, decision.reason, decision.rule) == (True, Reason.ALLOWED, "R13")


@pytest.mark.parametrize("example", EXAMPLES)
def test_r13_article_example_blocks_script_extension(example: Example) -> None:
    config = apply_all(example.lines, AgentConfig.fresh(AGENT)).config
    decision = decide(Operation.INSTALL, example.script_extension, config)
    assert (decision.allowed, decision.reason, decision.rule) == (
        False, Reason.NOT_ON_ALLOWLIST, "R13")
    assert decide(Operation.DELETE, example.script_extension, config).allowed


def test_r13_article_first_allowlist_line() -> None:
    line = 'azcmagent config set extensions.allowlist "Microsoft.Azure.Monitor/AzureMonitorLinuxAgent"'  # noqa: E501 (as printed)
    config = apply(line, AgentConfig.fresh(AGENT)).state.config
    assert decide(Operation.INSTALL, AMA_LINUX, config).allowed
    assert decide(Operation.INSTALL, LINUX_CSE, config).reason is Reason.NOT_ON_ALLOWLIST
    assert config.guest_configuration_enabled


# --- R15 ESU: Allow/None -----------------------------------------------------------------------

ESU = 'azcmagent config set extensions.allowlist "Allow/None"'


@pytest.mark.parametrize("operation", [Operation.INSTALL, Operation.UPDATE, Operation.UPGRADE])
@pytest.mark.parametrize("name", [e.id.name for e in BUILTIN])
def test_r15_esu_allow_none_blocks_every_extension(operation: Operation, name: str) -> None:
    config = apply(ESU, AgentConfig.fresh("1.35")).state.config
    decision = decide(operation, name, config)
    assert (decision.allowed, decision.reason, decision.rule) == (False, Reason.ALLOW_NONE, "R15")


def test_r15_esu_allow_none_allows_delete_and_keeps_manager_running() -> None:
    config = apply(ESU, AgentConfig.fresh("1.35")).state.config
    assert config.extensions_enabled
    assert decide(Operation.DELETE, WINDOWS_CSE, config).allowed


def test_r15_esu_allow_none_refused_before_1_35() -> None:
    with pytest.raises(CommandError) as caught:
        apply(ESU, AgentConfig.fresh("1.34"))
    assert caught.value.code is ErrorCode.ALLOW_NONE_UNSUPPORTED
    assert caught.value.rule == "R15"
    assert "1.35" in caught.value.message


# --- R1 the blocklist as printed, with straight quotes, corrected -------------------------------


def test_r1_blocklist_as_printed_refused_for_typographic_quotes() -> None:
    config, refused = run_runbook([BLOCKLIST_AS_PRINTED])
    assert len(refused) == 1
    assert refused[0].code is ErrorCode.USAGE
    assert "typographic quotes" in refused[0].message
    assert "straight quotes" in refused[0].message
    assert config == AgentConfig.fresh(AGENT)


def test_r1_blocklist_as_printed_changes_nothing_after_an_allowlist() -> None:
    allow = ('sudo azcmagent config set extensions.allowlist '
             '"Microsoft.Azure.Monitor/AzureMonitorLinuxAgent"')
    before, _ = run_runbook([allow])
    after, refused = run_runbook([allow, BLOCKLIST_AS_PRINTED])
    assert len(refused) == 1
    assert after == before


def test_r1_blocklist_with_straight_quotes_refused_naming_the_entry() -> None:
    config, refused = run_runbook([BLOCKLIST_STRAIGHT])
    assert [e.code for e in refused] == [ErrorCode.INVALID_VALUE]
    assert refused[0].rule == "R1"
    assert '"Microsoft.Azure.Automation.HybridWorkerForLinux"' in refused[0].message
    assert 'exactly one "/"' in refused[0].message
    assert config.blocklist == ()


def test_r13_article_blocklist_corrected_blocks_every_script_extension() -> None:
    config = apply(BLOCKLIST_CORRECTED, AgentConfig.fresh(AGENT)).state.config
    assert len(config.blocklist) == 8
    scripts = [e.id for e in BUILTIN if e.runs_scripts]
    assert scripts
    for ext in scripts:
        decision = decide(Operation.INSTALL, ext, config)
        assert (decision.allowed, decision.reason) == (False, Reason.ON_BLOCKLIST), ext
    assert decide(Operation.INSTALL, LINUX_HYBRID_WORKER, config).reason is Reason.ON_BLOCKLIST
    assert decide(Operation.INSTALL, AMA_LINUX, config).allowed


# --- R19, R23 the mode and manager commands ----------------------------------------------------


def test_r19_article_mode_commands() -> None:
    config = apply("azcmagent config set config.mode monitor",
                   AgentConfig.fresh(AGENT)).state.config
    listing = apply("azcmagent config list", config).output
    assert f"  {'config.mode':<33} : monitor" in listing
    assert all(e.name in listing for e in default_monitor_list(config.version))
    assert decide(Operation.INSTALL, AMA_LINUX, config).rule == "R19"
    assert decide(Operation.INSTALL, LINUX_CSE, config).reason is Reason.MONITOR_MODE
    back = apply("azcmagent config set config.mode full", config).state.config
    assert back.mode is Mode.FULL


def test_r23_article_disable_manager() -> None:
    config = apply("azcmagent config set extensions.enabled false",
                   AgentConfig.fresh(AGENT)).state.config
    assert decide(Operation.INSTALL, AMA_LINUX, config).reason is Reason.MANAGER_DISABLED


# --- the shipped runbooks are the article's lines ----------------------------------------------


def _commands(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


def test_r13_article_runbook_linux_ama_is_as_printed() -> None:
    assert tuple(_commands(RUNBOOKS / "article-linux-ama.txt")) == LINUX_AMA_ONLY


def test_r1_article_runbook_blocklist_is_as_printed() -> None:
    assert _commands(RUNBOOKS / "article-blocklist-as-printed.txt") == [BLOCKLIST_AS_PRINTED]
