"""The activity log's ``statusMessage`` says in a sentence what Azure shows (R10, R26, R27),
never arcsim's internal reason codes (``not_on_allowlist``)."""

from __future__ import annotations

import json

import pytest

from sim.engine import DAY, CloudRequest, FleetSpec, GroupSpec, InstalledExtension, Timing, World
from sim.engine.codes import REASONS
from sim.engine.policy import PolicyAdmin, PolicyRule
from sim.results.activity import activity_log
from sim.results.records import records_frame
from sim.rules.decision import Reason
from sim.rules.messages import authorization_message, sentence, status_message
from sim.runs.merge import tables_of

AMA = "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent"
CSE = "Microsoft.Compute/CustomScriptExtension"
ALLOW_AMA = f'azcmagent config set extensions.allowlist "{AMA}"'


def _failed_messages(world: World) -> list[str]:
    log = activity_log(records_frame(world.records.columns, tables_of(world)), run="t")
    failed = log[(log["category"] == "Administrative") & (log["status"] == "Failed")]
    return [json.loads(m)["error"]["message"] for m in failed["statusMessage"]]


def _world(commands: tuple[str, ...] = ()) -> World:
    group = GroupSpec("rg-web", 2, agent_versions={"1.40": 1.0},
                      extensions=(InstalledExtension(AMA, version="1.0"),), commands=commands)
    return World(FleetSpec((group,)), seed=3)


def test_r10_a_refusal_by_the_allowlist_reads_as_a_sentence() -> None:
    w = _world((ALLOW_AMA,))
    w.add(CloudRequest("dev", operation="install", extension=CSE, timing=Timing(at=60)))
    w.run(DAY)
    messages = _failed_messages(w)
    assert len(messages) == 2
    assert messages[0] == (f"Extension {CSE} is not allowed by this machine's local agent "
                           f"configuration: an extensions allowlist is set and {CSE} is not on "
                           "it (extensions.allowlist). Only an administrator on the machine can "
                           "change this (azcmagent config).")
    assert not any("_" in m.split("(")[0] for m in messages)  # no reason code


def test_r26_a_policy_deny_reads_as_azure_writes_it() -> None:
    w = _world()
    w.add(PolicyAdmin("secops", "assign", "no-scripts", at=0,
                      rule=PolicyRule.deny_listed([CSE])))
    w.add(CloudRequest("dev", operation="install", extension=CSE, timing=Timing(at=60)))
    w.run(DAY)
    assert set(_failed_messages(w)) == {
        "Resource 'CustomScriptExtension' was disallowed by policy. Reasons: 'An Azure Policy "
        f"assignment with the Deny effect refuses extension {CSE}.'"}


def test_r27_a_refused_role_names_the_caller_the_action_and_the_scope() -> None:
    w = _world()
    w.add(CloudRequest("onboarder", operation="install", extension=CSE, timing=Timing(at=60),
                       role="Azure Connected Machine Onboarding"))
    w.run(DAY)
    messages = _failed_messages(w)
    assert messages and all(m.startswith(
        "The client 'onboarder' does not have authorization to perform action "
        "'Microsoft.HybridCompute/machines/extensions/write' over scope '/subscriptions/")
        for m in messages)


@pytest.mark.parametrize("reason", [r.value for r in Reason
                                    if r not in (Reason.ALLOWED, Reason.POLICY_DENY)])
def test_r10_every_local_refusal_has_its_own_sentence(reason: str) -> None:
    text = sentence(reason, CSE, "install")
    assert reason not in text and text.endswith(".")
    assert text != sentence("something_else", CSE, "install")


def test_every_reason_an_operation_can_end_with_gives_a_message() -> None:
    for reason in REASONS[1:]:
        for outcome in ("blocked", "failed", "aborted"):
            message = json.loads(status_message(outcome, reason, "install", CSE))
            assert message["error"]["message"]
    assert status_message("succeeded", "", "install", CSE) == ""
    assert "orphaned" not in status_message("orphaned", "manager_disabled", "delete", CSE)
    assert json.loads(authorization_message("a", "upgrade", "/x"))["error"]["code"] == \
        "AuthorizationFailed"

