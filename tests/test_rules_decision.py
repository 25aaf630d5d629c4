"""Allow/block decisions of the extension manager (spec R9, R12-R15, R19, R23, R8a)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from sim.rules import (
    ALLOW_NONE,
    AgentConfig,
    AgentVersion,
    Decision,
    ExtensionId,
    ExtensionIdError,
    Mode,
    Operation,
    Reason,
    compile_controls,
    decide,
)

V = AgentVersion.parse("1.58")
EXT = ExtensionId.parse("Microsoft.Compute/CustomScriptExtension")
OTHER = ExtensionId.parse("Microsoft.Azure.Monitor/AzureMonitorWindowsAgent")
THIRD = ExtensionId.parse("Qualys/WindowsAgent.AzureSecurityCenter")

ALLOWED_R12 = Decision(True, Reason.ALLOWED, "R12")
ALLOWED_R13 = Decision(True, Reason.ALLOWED, "R13")
ALLOWED_R19 = Decision(True, Reason.ALLOWED, "R19")
BLOCKED_LIST = Decision(False, Reason.ON_BLOCKLIST, "R13")
BLOCKED_NOT_ALLOWED = Decision(False, Reason.NOT_ON_ALLOWLIST, "R13")
BLOCKED_MONITOR = Decision(False, Reason.MONITOR_MODE, "R19")
BLOCKED_DISABLED = Decision(False, Reason.MANAGER_DISABLED, "R23")
BLOCKED_ALLOW_NONE = Decision(False, Reason.ALLOW_NONE, "R15")


@dataclass(frozen=True)
class Lists:
    allowlist: tuple[ExtensionId, ...]
    blocklist: tuple[ExtensionId, ...]
    expected: Decision
    """The decision in full mode with the manager enabled (the article's table, R12/R13)."""


# --- R13: the full decision table, as stacked parametrize tables ------------------------------
# Each table row carries the decision it forces (None: it forces nothing). The spec's order of
# checks decides which one wins: delete (R13/R14) > manager disabled (R23) > monitor mode (R19)
# > the lists (R13, R12).

OPERATIONS = [
    pytest.param(Operation.INSTALL, None, id="install"),
    pytest.param(Operation.UPDATE, None, id="update"),
    pytest.param(Operation.UPGRADE, None, id="upgrade"),
    pytest.param(Operation.DELETE, ALLOWED_R13, id="delete"),
]
LIST_STATES = [
    pytest.param(Lists((EXT,), (), ALLOWED_R13), id="allowlist-only[ext-on-it]"),
    pytest.param(Lists((), (EXT,), BLOCKED_LIST), id="blocklist-only[ext-on-it]"),
    pytest.param(Lists((EXT,), (EXT,), BLOCKED_LIST), id="both[ext-on-both]"),
    pytest.param(Lists((OTHER,), (THIRD,), BLOCKED_NOT_ALLOWED), id="neither[allowlist-set]"),
    pytest.param(Lists((), (OTHER,), ALLOWED_R13), id="neither[blocklist-only-set]"),
    pytest.param(Lists((), (), ALLOWED_R12), id="neither[no-lists]"),
]
MODES = [
    pytest.param(Mode.FULL, None, None, id="full"),
    pytest.param(Mode.MONITOR, (EXT, OTHER), ALLOWED_R19, id="monitor[ext-on-monitor-list]"),
    pytest.param(Mode.MONITOR, (OTHER,), BLOCKED_MONITOR, id="monitor[ext-off-monitor-list]"),
]
MANAGER = [
    pytest.param(True, None, id="manager-enabled"),
    pytest.param(False, BLOCKED_DISABLED, id="manager-disabled"),
]


@pytest.mark.parametrize(("manager_enabled", "manager_forces"), MANAGER)
@pytest.mark.parametrize(("mode", "monitor_list", "mode_forces"), MODES)
@pytest.mark.parametrize("lists", LIST_STATES)
@pytest.mark.parametrize(("operation", "operation_forces"), OPERATIONS)
def test_r13_decision_table(
    operation: Operation, operation_forces: Decision | None, lists: Lists,
    mode: Mode, monitor_list: tuple[ExtensionId, ...] | None, mode_forces: Decision | None,
    manager_enabled: bool, manager_forces: Decision | None,
) -> None:
    config = AgentConfig(V, allowlist=lists.allowlist, blocklist=lists.blocklist, mode=mode,
                         monitor_list=monitor_list, extensions_enabled=manager_enabled)
    forced = [d for d in (operation_forces, manager_forces, mode_forces) if d is not None]
    expected = forced[0] if forced else lists.expected

    assert decide(operation, EXT, config) == expected
    assert compile_controls(config).decide(operation, EXT.key) == expected


ARTICLE_COLUMNS = [
    pytest.param(Lists((EXT,), (), ALLOWED_R13), id="in-allowlist"),
    pytest.param(Lists((), (EXT,), BLOCKED_LIST), id="in-blocklist"),
    pytest.param(Lists((EXT,), (EXT,), BLOCKED_LIST), id="in-both"),
    pytest.param(Lists((OTHER,), (), BLOCKED_NOT_ALLOWED), id="in-neither-allowlist-set"),
]


@pytest.mark.parametrize("lists", ARTICLE_COLUMNS)
@pytest.mark.parametrize("operation", [Operation.INSTALL, Operation.UPDATE, Operation.UPGRADE])
def test_r13_article_table_install_update_upgrade(operation: Operation, lists: Lists) -> None:
    config = AgentConfig(V, allowlist=lists.allowlist, blocklist=lists.blocklist)
    assert decide(operation, EXT, config) == lists.expected


@pytest.mark.parametrize("lists", ARTICLE_COLUMNS)
def test_r13_article_table_delete_always_allowed(lists: Lists) -> None:
    config = AgentConfig(V, allowlist=lists.allowlist, blocklist=lists.blocklist)
    assert decide(Operation.DELETE, EXT, config) == ALLOWED_R13


def test_r13_operation_may_be_given_as_text() -> None:
    config = AgentConfig(V, allowlist=(OTHER,))
    assert decide("install", EXT.name, config) == BLOCKED_NOT_ALLOWED


# --- R12, R9 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("operation", list(Operation))
@pytest.mark.parametrize("name", ["Microsoft.Compute/CustomScriptExtension", "Contoso/AnyThing"])
def test_r12_no_lists_allow_everything(operation: Operation, name: str) -> None:
    decision = decide(operation, name, AgentConfig.fresh(V))
    assert decision.allowed
    assert decision.reason is Reason.ALLOWED


def test_r12_default_rule_is_r12_only_without_lists() -> None:
    assert decide(Operation.INSTALL, EXT, AgentConfig.fresh(V)).rule == "R12"
    assert decide(Operation.INSTALL, EXT, AgentConfig(V, blocklist=(OTHER,))).rule == "R13"


def test_r9_allowlist_is_exclusive() -> None:
    config = AgentConfig(V, allowlist=(OTHER,))
    assert decide(Operation.INSTALL, OTHER, config).allowed
    assert decide(Operation.INSTALL, EXT, config) == BLOCKED_NOT_ALLOWED
    assert decide(Operation.INSTALL, "Contoso/BrandNew", config) == BLOCKED_NOT_ALLOWED


def test_r9_blocklist_lets_everything_else_in() -> None:
    config = AgentConfig(V, blocklist=(EXT,))
    assert decide(Operation.INSTALL, EXT, config) == BLOCKED_LIST
    assert decide(Operation.INSTALL, OTHER, config) == ALLOWED_R13
    assert decide(Operation.INSTALL, "Contoso/BrandNew", config) == ALLOWED_R13


def test_r9_blocklist_wins_over_allowlist() -> None:
    config = AgentConfig(V, allowlist=(EXT, OTHER), blocklist=(EXT,))
    assert decide(Operation.UPGRADE, EXT, config) == BLOCKED_LIST
    assert decide(Operation.UPGRADE, OTHER, config) == ALLOWED_R13


# --- R15 Allow/None --------------------------------------------------------------------------


@pytest.mark.parametrize("operation", [Operation.INSTALL, Operation.UPDATE, Operation.UPGRADE])
@pytest.mark.parametrize("ext", [EXT, OTHER, ExtensionId.parse("Contoso/AnyThing")])
def test_r15_allow_none_blocks_every_install_update_upgrade(
    operation: Operation, ext: ExtensionId
) -> None:
    config = AgentConfig(V, allowlist=(ALLOW_NONE,))
    assert decide(operation, ext, config) == BLOCKED_ALLOW_NONE


def test_r15_allow_none_still_allows_delete() -> None:
    assert decide(Operation.DELETE, EXT, AgentConfig(V, allowlist=(ALLOW_NONE,))).allowed


def test_r15_allow_none_is_case_insensitive() -> None:
    config = AgentConfig(V, allowlist=(ExtensionId.parse("allow/NONE"),))
    assert config.is_allow_none
    assert decide(Operation.INSTALL, OTHER, config) == BLOCKED_ALLOW_NONE


def test_r15_manager_disabled_takes_precedence_over_allow_none() -> None:
    config = AgentConfig(V, allowlist=(ALLOW_NONE,), extensions_enabled=False)
    assert decide(Operation.INSTALL, EXT, config) == BLOCKED_DISABLED


# --- R19 monitor mode ------------------------------------------------------------------------


def test_r19_default_monitor_list_allows_monitoring_and_security() -> None:
    config = AgentConfig(V, mode=Mode.MONITOR)
    assert decide(Operation.INSTALL, "Microsoft.Azure.Monitor/AzureMonitorLinuxAgent",
                  config) == ALLOWED_R19
    assert decide(Operation.INSTALL, "Microsoft.Azure.AzureDefenderForServers/MDE.Linux",
                  config) == ALLOWED_R19
    assert decide(Operation.INSTALL, EXT, config) == BLOCKED_MONITOR


def test_r19_monitor_list_replaceable_by_caller() -> None:
    custom = (ExtensionId.parse("Contoso/Watcher"),)
    config = AgentConfig(V, mode=Mode.MONITOR, monitor_list=custom)
    assert decide(Operation.INSTALL, "contoso/WATCHER", config) == ALLOWED_R19
    assert decide(Operation.INSTALL, "Microsoft.Azure.Monitor/AzureMonitorLinuxAgent",
                  config) == BLOCKED_MONITOR


def test_r19_stored_lists_are_not_in_effect_in_monitor_mode() -> None:
    config = AgentConfig(V, allowlist=(EXT,), blocklist=(OTHER,), mode=Mode.MONITOR)
    assert decide(Operation.INSTALL, EXT, config) == BLOCKED_MONITOR
    assert decide(Operation.INSTALL, OTHER, config) == ALLOWED_R19
    assert config.effective_blocklist == ()


def test_r19_monitor_mode_overrides_allow_none() -> None:
    config = AgentConfig(V, allowlist=(ALLOW_NONE,), mode=Mode.MONITOR)
    assert decide(Operation.INSTALL, OTHER, config) == ALLOWED_R19


def test_r19_full_mode_ignores_monitor_list() -> None:
    config = AgentConfig(V, monitor_list=(OTHER,))
    assert decide(Operation.INSTALL, EXT, config) == ALLOWED_R12


def test_r19_monitor_mode_disables_guest_configuration_and_incoming_connections() -> None:
    config = AgentConfig(V, mode=Mode.MONITOR)
    assert not config.effective_guest_configuration
    assert not config.effective_incoming_connections


# --- R23 manager switch, R14 delete ----------------------------------------------------------


@pytest.mark.parametrize("operation", [Operation.INSTALL, Operation.UPDATE, Operation.UPGRADE])
def test_r23_disabled_manager_takes_no_operation(operation: Operation) -> None:
    config = AgentConfig(V, allowlist=(EXT,), extensions_enabled=False)
    assert decide(operation, EXT, config) == BLOCKED_DISABLED
    assert decide(operation, "Contoso/Other", AgentConfig(V, extensions_enabled=False)) == (
        BLOCKED_DISABLED)


@pytest.mark.parametrize("config", [
    pytest.param(AgentConfig(V, blocklist=(EXT,)), id="blocklisted"),
    pytest.param(AgentConfig(V, allowlist=(OTHER,)), id="not-on-allowlist"),
    pytest.param(AgentConfig(V, allowlist=(ALLOW_NONE,)), id="allow-none"),
    pytest.param(AgentConfig(V, mode=Mode.MONITOR, monitor_list=()), id="monitor-mode"),
    pytest.param(AgentConfig(V, extensions_enabled=False), id="manager-disabled"),
    pytest.param(AgentConfig(V, allowlist=(OTHER,), blocklist=(EXT,), mode=Mode.MONITOR,
                             extensions_enabled=False), id="everything"),
])
def test_r14_delete_always_allowed_even_when_blocked(config: AgentConfig) -> None:
    assert not decide(Operation.INSTALL, EXT, config).allowed
    assert decide(Operation.DELETE, EXT, config) == ALLOWED_R13


# --- R8a names: case-insensitive, trimmed ----------------------------------------------------


@pytest.mark.parametrize("spelling", [
    "Microsoft.Compute/CustomScriptExtension",
    "microsoft.compute/customscriptextension",
    "MICROSOFT.COMPUTE/CUSTOMSCRIPTEXTENSION",
    "  Microsoft.Compute/CustomScriptExtension  ",
    "Microsoft.Compute / CustomScriptExtension",
])
def test_r8a_names_match_case_insensitively_and_trimmed(spelling: str) -> None:
    blocked = AgentConfig(V, blocklist=(ExtensionId.parse(spelling),))
    allowed = AgentConfig(V, allowlist=(ExtensionId.parse(spelling.upper()),))
    assert decide(Operation.INSTALL, EXT, blocked) == BLOCKED_LIST
    assert decide(Operation.INSTALL, spelling, allowed) == ALLOWED_R13


def test_r8a_extension_keeps_first_spelling_for_display() -> None:
    ext = ExtensionId.parse(" microsoft.compute/CustomScriptExtension ")
    assert ext.name == "microsoft.compute/CustomScriptExtension"
    assert ext == EXT
    assert hash(ext) == hash(EXT)


def test_r1_decide_rejects_a_malformed_name() -> None:
    with pytest.raises(ExtensionIdError, match="exactly one"):
        decide(Operation.INSTALL, "Microsoft.Azure.Automation.HybridWorkerForLinux",
               AgentConfig.fresh(V))
