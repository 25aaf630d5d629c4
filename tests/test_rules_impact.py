"""What a machine's state does to each kind of request (sim.rules.impact): the order a request
meets Azure Policy, the extension service and the local controls (R6, R13, R23-R26)."""

from __future__ import annotations

import pytest
from helpers import AMA, CSE, DEP, MMA, allowlist

from sim.rules import BUILTIN, AgentConfig, ExtensionId, LocalState, apply
from sim.rules.impact import Action, Outcome, Verdict, offers_auto_upgrade, running, verdict
from sim.rules.readings import DisabledManagerRequests, Readings

UNKNOWN = ExtensionId.parse("Contoso/InventoryAgent")


def state(*lines: str, version: str = "1.45", installed: tuple[str, ...] = (),
          service: bool = True) -> LocalState:
    config = AgentConfig.fresh(version)
    for line in lines:
        config = apply(line, config).state.config
    return LocalState(config, tuple(ExtensionId.parse(n) for n in installed), service)


def decide(action: Action, name: str | ExtensionId, s: LocalState, *,
           denied: bool = False) -> Verdict:
    ext = name if isinstance(name, ExtensionId) else ExtensionId.parse(name)
    return verdict(action, ext, s, BUILTIN, policy_denies=denied)


@pytest.mark.parametrize("action", [Action.INSTALL, Action.UPDATE, Action.UPGRADE,
                                    Action.REINSTALL])
def test_r13_local_controls_decide_requests_and_the_resync_reinstall(action: Action) -> None:
    locked = state(allowlist(AMA))
    assert decide(action, AMA, locked) == Verdict(Outcome.ALLOWED, "allowed", "R13")
    assert decide(action, DEP, locked) == Verdict(Outcome.BLOCKED, "not_on_allowlist", "R13")


def test_r26_a_deny_refuses_requests_before_the_machine_but_never_a_delete_or_resync() -> None:
    open_machine = state()
    for action in (Action.INSTALL, Action.UPDATE, Action.UPGRADE):
        assert decide(action, AMA, open_machine, denied=True) == Verdict(
            Outcome.DENIED, "policy_deny", "R26")
    assert decide(Action.DELETE, AMA, open_machine, denied=True).outcome is Outcome.ALLOWED
    assert decide(Action.REINSTALL, AMA, open_machine, denied=True).outcome is Outcome.ALLOWED


def test_r26_a_deny_refuses_an_automatic_upgrade_only_under_that_reading() -> None:
    ama = ExtensionId.parse(AMA)
    assert verdict(Action.AUTO_UPGRADE, ama, state(), BUILTIN,
                   policy_denies=True).outcome is Outcome.ALLOWED  # a POST action
    assert verdict(Action.AUTO_UPGRADE, ama, state(), BUILTIN, policy_denies=True,
                   readings=Readings(deny_refuses_automatic_upgrades=True)) == Verdict(
        Outcome.DENIED, "policy_deny", "R26")


def test_r26_azure_refuses_before_the_stopped_service_or_the_local_controls_matter() -> None:
    stopped = state(allowlist(AMA), service=False)
    assert decide(Action.INSTALL, DEP, stopped, denied=True).outcome is Outcome.DENIED


def test_r6_with_the_extension_service_stopped_every_request_waits() -> None:
    stopped = state(allowlist(AMA), service=False)
    for action in Action:
        if action is not Action.AUTO_UPGRADE:
            assert decide(action, DEP, stopped) == Verdict(Outcome.WAITS, "service_stopped", "R6")


def test_r25_automatic_upgrade_acts_only_where_the_publisher_offers_it() -> None:
    assert not offers_auto_upgrade(BUILTIN, ExtensionId.parse(MMA))
    assert not offers_auto_upgrade(BUILTIN, UNKNOWN)  # not on the documented list
    assert decide(Action.AUTO_UPGRADE, MMA, state(), denied=True) == Verdict(
        Outcome.NOT_OFFERED, "automatic_upgrade_unsupported", "R25")
    assert decide(Action.AUTO_UPGRADE, AMA, state(allowlist(DEP))).outcome is Outcome.BLOCKED


def test_r23_r24_a_disabled_manager_blocks_requests_and_orphans_a_delete() -> None:
    disabled = state("azcmagent config set extensions.enabled false", installed=(AMA,))
    assert decide(Action.UPDATE, AMA, disabled) == Verdict(
        Outcome.BLOCKED, "manager_disabled", "R23")
    assert decide(Action.DELETE, AMA, disabled) == Verdict(
        Outcome.ORPHANED, "manager_disabled", "R24")
    assert decide(Action.DELETE, AMA, state(allowlist(DEP))).outcome is Outcome.ALLOWED


def test_r24_manager_hosted_extensions_stop_with_the_manager_own_services_keep_running() -> None:
    disabled = state("azcmagent config set extensions.enabled false", installed=(AMA, MMA))
    assert running(ExtensionId.parse(AMA), disabled, BUILTIN).outcome is Outcome.STOPS
    assert running(ExtensionId.parse(MMA), disabled, BUILTIN) == Verdict(
        Outcome.KEEPS_RUNNING, "own_service", "R24")
    assert running(UNKNOWN, state("azcmagent config set extensions.enabled false",
                                  installed=(UNKNOWN.name,)), BUILTIN).outcome is Outcome.STOPS


def test_r6_an_extension_removed_locally_is_not_running() -> None:
    removed = state(installed=())
    assert running(ExtensionId.parse(CSE), removed, BUILTIN) == Verdict(
        Outcome.REMOVED, "local_removal", "R6")


def test_r23_a_disabled_manager_does_not_resync_a_reinstall_waits() -> None:
    disabled = state("azcmagent config set extensions.enabled false")
    assert decide(Action.REINSTALL, AMA, disabled) == Verdict(Outcome.WAITS,
                                                               "manager_disabled", "R23")
    assert decide(Action.INSTALL, AMA, disabled) == Verdict(Outcome.BLOCKED,
                                                             "manager_disabled", "R23")


@pytest.mark.parametrize("action", [Action.INSTALL, Action.UPDATE, Action.UPGRADE,
                                    Action.AUTO_UPGRADE, Action.DELETE])
def test_r23_under_the_wait_reading_a_request_waits_for_a_disabled_manager(action: Action
                                                                           ) -> None:
    disabled = state("azcmagent config set extensions.enabled false", installed=(AMA,))
    wait = Readings(disabled_manager_requests=DisabledManagerRequests.WAIT)
    assert verdict(action, ExtensionId.parse(AMA), disabled, BUILTIN, readings=wait) == Verdict(
        Outcome.WAITS, "manager_disabled", "R23")
    assert verdict(action, ExtensionId.parse(AMA), disabled, BUILTIN, policy_denies=True,
                   readings=wait).outcome is (
        Outcome.DENIED if action in (Action.INSTALL, Action.UPDATE, Action.UPGRADE)
        else Outcome.WAITS)  # Azure refuses before the machine sees the request (R26)
