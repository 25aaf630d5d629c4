"""Policy actors and the cloud side (R6b, R7, R16, R17, R18, R25, R26, R27, R30)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import AMA, CSE, DEP, MMA, allowlist, one_group

from sim.engine import (
    DAY,
    CloudRequest,
    EngineParams,
    LocalCommands,
    Op,
    Outcome,
    Timing,
    World,
)
from sim.engine.actors import GuestConfigTamper
from sim.engine.codes import REASONS
from sim.engine.metrics import summarise
from sim.engine.policy import PolicyAdmin, PolicyRule, Remediation, SqlAutoDeploy
from sim.engine.upgrades import AgentUpdate, AutoUpgrade, MonitorListUpdate

ALLOW_AMA = allowlist(AMA)


def rows(world: World, *, op: Op | None = None, outcome: Outcome | None = None,
         actor: str | None = None) -> list[tuple[float, int, str, str]]:
    """(time, machine, extension, reason) of matching records."""
    r = world.records
    keep = np.ones(len(r), dtype=bool)
    if op is not None:
        keep &= r["operation"] == op
    if outcome is not None:
        keep &= r["outcome"] == outcome
    if actor is not None:
        keep &= r["actor"] == world.actor_names.index(actor)
    return [(float(t), int(m), world.ext_ids[x].name if x >= 0 else "", REASONS[why])
            for t, m, x, why in zip(r["time"][keep], r["machine"][keep], r["extension"][keep],
                                    r["reason"][keep], strict=True)]


def deny_scripts(at: float = 0.0) -> PolicyAdmin:
    return PolicyAdmin("secops", "assign", "deny-scripts", at=at,
                       rule=PolicyRule.deny_listed([CSE]))


# --- Azure Policy and roles (R16, R26, R27) ------------------------------------------------------


def test_r26_deny_refuses_before_the_machine_sees_the_request(world: World) -> None:
    world.add(deny_scripts())
    world.add(CloudRequest("dev", operation="install", extension=CSE, timing=Timing(at=100)))
    world.run(DAY)
    denied = rows(world, op=Op.INSTALL, outcome=Outcome.DENIED)
    assert [(t, why) for t, _, _, why in denied] == [(100.0, "policy_deny")] * 4
    assert rows(world, op=Op.INSTALL, outcome=Outcome.REQUESTED) == []
    assert all(world.provisioning_state(m, CSE) == "" for m in range(4))


def test_r26_deny_never_removes_existing_extensions_and_never_blocks_delete() -> None:
    w = World(one_group(4, installed=(CSE,)), seed=1)
    w.add(deny_scripts())
    w.add(CloudRequest("dev", operation="delete", extension=CSE, timing=Timing(at=100)))
    w.run(50)
    assert all(w.installed_version(m, CSE) == "1.0" for m in range(4))
    w.run(DAY)
    assert all(w.installed_version(m, CSE) is None for m in range(4))


def test_r16_removed_assignment_lets_install_through_and_counts_as_override(world: World) -> None:
    world.add(deny_scripts())
    world.add(PolicyAdmin("owner", "unassign", "deny-scripts", at=200, role="Owner"))
    world.add(CloudRequest("dev", operation="install", extension=CSE, timing=Timing(at=300)))
    world.run(DAY)
    assert len(rows(world, op=Op.INSTALL, outcome=Outcome.SUCCEEDED)) == 4
    overrides = rows(world, outcome=Outcome.OVERRIDDEN, actor="owner")
    assert [(m, x) for _, m, x, _ in overrides] == [(m, CSE) for m in range(4)]
    assert summarise(world)["overrides"]["by_actor"] == {"owner": 4}


def test_r27_contributor_cannot_remove_the_assignment(world: World) -> None:
    world.add(deny_scripts())
    world.add(PolicyAdmin("contrib", "unassign", "deny-scripts", at=200, role="Contributor"))
    world.add(CloudRequest("dev", operation="install", extension=CSE, timing=Timing(at=300)))
    world.run(DAY)
    assert rows(world, op=Op.POLICY, outcome=Outcome.DENIED) == [
        (200.0, -1, "", "authorization_failed")]
    assert len(rows(world, op=Op.INSTALL, outcome=Outcome.DENIED)) == 4
    assert summarise(world)["overrides"]["total"] == 0


@pytest.mark.parametrize(("role", "accepted"), [
    ("Owner", True), ("Contributor", True),
    ("Azure Connected Machine Resource Administrator", True),
    ("Azure Connected Machine Onboarding", False), ("Resource Policy Contributor", False),
])
def test_r27_roles_that_may_request_extension_operations(role: str, accepted: bool) -> None:
    w = World(one_group(1), seed=1)
    w.add(CloudRequest("someone", operation="install", extension=AMA, role=role,
                       timing=Timing(at=10)))
    w.run(DAY)
    denied = rows(w, op=Op.INSTALL, outcome=Outcome.DENIED)
    assert denied == ([] if accepted else [(10.0, 0, AMA, "authorization_failed")])
    assert (w.installed_version(0, AMA) is not None) is accepted


def test_r26_exemption_lifts_the_deny_until_it_expires() -> None:
    w = World(one_group(2), seed=1)
    w.add(deny_scripts())
    w.add(PolicyAdmin("owner", "exempt", "deny-scripts", at=100, category="Waiver",
                      expires_after=3_600))
    w.add(CloudRequest("dev", operation="install", extension=CSE, timing=Timing(at=200)))
    w.add(CloudRequest("dev2", operation="install", extension=CSE, timing=Timing(at=5_000),
                       target=_machines(1)))
    w.add(CloudRequest("dev3", operation="delete", extension=CSE, timing=Timing(at=4_000)))
    w.run(DAY)
    assert len(rows(w, op=Op.INSTALL, outcome=Outcome.SUCCEEDED, actor="dev")) == 2
    assert len(rows(w, outcome=Outcome.OVERRIDDEN, actor="owner")) == 2
    assert rows(w, op=Op.INSTALL, outcome=Outcome.DENIED, actor="dev2") == [
        (5_000.0, 1, CSE, "policy_deny")]


def test_r26_audit_records_noncompliance_and_lets_the_request_through() -> None:
    w = World(one_group(1), seed=1)
    w.add(PolicyAdmin("secops", "assign", "audit-scripts",
                      rule=PolicyRule.deny_listed([CSE], effect="audit")))
    w.add(CloudRequest("dev", operation="install", extension=CSE, timing=Timing(at=100)))
    w.run(DAY)
    assert rows(w, outcome=Outcome.AUDITED) == [(100.0, 0, CSE, "policy_audit")]
    assert w.installed_version(0, CSE) == "1.0"


def _machines(*ids: int):  # type: ignore[no-untyped-def]
    from sim.engine.actors import Target

    return Target(machines=ids)


# --- tampering (R7, R17, R18) ---------------------------------------------------------------------


def test_r7_custom_script_on_the_allowlist_rewrites_the_allowlist() -> None:
    w = World(one_group(2, installed=(AMA,), commands=(allowlist(AMA, CSE),)), seed=1)
    script = allowlist(AMA, CSE, MMA)
    w.add(CloudRequest("attacker", operation="install", extension=CSE, settings=script,
                       override=True, timing=Timing(at=100)))
    w.add(CloudRequest("dev", operation="install", extension=MMA, timing=Timing(at=2_000)))
    w.run(DAY)
    assert all(w.config(m).allowlist[-1].name == MMA for m in range(2))
    assert len(rows(w, op=Op.INSTALL, outcome=Outcome.SUCCEEDED, actor="dev")) == 2
    assert summarise(w)["overrides"]["by_actor"] == {"attacker": 2}
    assert summarise(w)["overrides"]["by_rule"] == {"R17": 2}


def test_r18_the_same_script_is_blocked_when_the_allowlist_excludes_it() -> None:
    w = World(one_group(2, installed=(AMA,), commands=(ALLOW_AMA,)), seed=1)
    script = allowlist(AMA, MMA)
    w.add(CloudRequest("attacker", operation="install", extension=CSE, settings=script,
                       override=True, timing=Timing(at=100)))
    w.run(DAY)
    assert [why for *_, why in rows(w, op=Op.INSTALL, outcome=Outcome.BLOCKED)] == [
        "not_on_allowlist"] * 2
    assert all([e.name for e in w.config(m).allowlist] == [AMA] for m in range(2))
    assert rows(w, op=Op.CONFIG, actor="attacker") == []


@pytest.mark.parametrize(("gc_enabled", "effective"), [("true", True), ("false", False)])
def test_r17_guest_configuration_tamper_needs_guest_configuration(gc_enabled: str,
                                                                   effective: bool) -> None:
    w = World(one_group(2, commands=(
        ALLOW_AMA, f"azcmagent config set guestconfiguration.enabled {gc_enabled}")), seed=1)
    w.add(GuestConfigTamper("gc_policy", commands=(allowlist(AMA, CSE),), timing=Timing(at=100)))
    w.add(CloudRequest("dev", operation="install", extension=CSE, timing=Timing(at=1_000)))
    w.run(DAY)
    installed = len(rows(w, op=Op.INSTALL, outcome=Outcome.SUCCEEDED, actor="dev"))
    assert installed == (2 if effective else 0)
    blocked_tamper = rows(w, op=Op.CONFIG, outcome=Outcome.BLOCKED, actor="gc_policy")
    assert len(blocked_tamper) == (0 if effective else 2)
    assert summarise(w)["overrides"]["by_actor"] == ({"gc_policy": 2} if effective else {})


def test_r17_guest_configuration_tamper_is_void_in_monitor_mode() -> None:
    w = World(one_group(1, commands=("azcmagent config set config.mode monitor",)), seed=1)
    w.add(GuestConfigTamper("gc_policy", commands=("azcmagent config set config.mode full",),
                            timing=Timing(at=100)))
    w.run(DAY)
    assert w.config(0).is_monitor_mode
    assert rows(w, op=Op.CONFIG, outcome=Outcome.BLOCKED, actor="gc_policy") == [
        (100.0, 0, "", "guest_configuration_disabled")]


def test_r22_local_admin_switching_back_to_full_is_an_override_when_marked() -> None:
    w = World(one_group(1, commands=("azcmagent config set config.mode monitor",)), seed=1)
    w.add(LocalCommands("admin", commands=("azcmagent config set config.mode full",
                                           "azcmagent config clear extensions.allowlist"),
                        override=True, timing=Timing(at=100)))
    w.add(CloudRequest("dev", operation="install", extension=CSE, timing=Timing(at=1_000)))
    w.run(DAY)
    assert summarise(w)["overrides"]["by_actor"] == {"admin": 1}


def override_actions(w: World) -> tuple[int, int, int]:
    """``overrides.actions``, ``overrides.policy_actions``, ``overrides.local_actions``."""
    o = summarise(w)["overrides"]
    return o["actions"], o["policy_actions"], o["local_actions"]


def test_r17_configuration_rewritten_by_a_script_or_guest_configuration_is_an_override_action(
        ) -> None:
    w = World(one_group(2, installed=(AMA,), commands=(
        allowlist(AMA, CSE), "azcmagent config set guestconfiguration.enabled true")), seed=1)
    w.add(CloudRequest("attacker", operation="install", extension=CSE,
                       settings=allowlist(AMA, CSE, MMA), override=True,
                       target=_machines(0), timing=Timing(at=100)))
    w.add(GuestConfigTamper("gc_policy", commands=("azcmagent config clear extensions.allowlist",),
                            target=_machines(1), timing=Timing(at=100)))
    w.run(DAY)
    assert override_actions(w) == (2, 0, 2)  # one machine each, both local (R17)


def test_r17_a_local_admin_marked_as_override_makes_one_action_per_change() -> None:
    w = World(one_group(1, commands=("azcmagent config set config.mode monitor",)), seed=1)
    w.add(LocalCommands("admin", commands=("azcmagent config set config.mode full",
                                           "azcmagent config clear extensions.allowlist"),
                        override=True, timing=Timing(at=100)))
    w.add(LocalCommands("ops", commands=("azcmagent config set config.mode monitor",),
                        timing=Timing(at=2_000)))  # not marked: no override (R8)
    w.run(DAY)
    assert override_actions(w) == (2, 0, 2)


def test_r16_r17_policy_and_local_override_actions_add_up(world: World) -> None:
    world.add(deny_scripts())
    world.add(PolicyAdmin("owner", "unassign", "deny-scripts", at=200, role="Owner"))
    world.add(LocalCommands("admin", commands=("azcmagent config set extensions.enabled false",),
                            override=True, timing=Timing(at=300)))
    world.run(DAY)
    assert override_actions(world) == (1 + 4, 1, 4)


# --- DeployIfNotExists and SQL auto-deploy (R6b) --------------------------------------------------


def test_r6b_dine_against_an_allowlist_without_ama_is_blocked_every_remediation() -> None:
    w = World(one_group(3, commands=(allowlist(MMA),)), seed=1)
    w.add(PolicyAdmin("secops", "assign", "ama-dine",
                      rule=PolicyRule.deploy_if_not_exists({"windows": AMA})))
    w.add(Remediation("ama-dine-remediation", "ama-dine", period=DAY, first=DAY))
    w.run(5 * DAY + 3_600)
    blocked = rows(w, op=Op.INSTALL, outcome=Outcome.BLOCKED, actor="ama-dine-remediation")
    assert len(blocked) == 3 * 5
    assert {why for *_, why in blocked} == {"not_on_allowlist"}
    days = sorted({int(t // DAY) for t, *_ in blocked})
    assert days == [1, 2, 3, 4, 5]


def test_r6b_dine_installs_where_missing_and_then_leaves_compliant_machines_alone() -> None:
    w = World(one_group(3), seed=1)
    w.add(PolicyAdmin("secops", "assign", "ama-dine",
                      rule=PolicyRule.deploy_if_not_exists({"windows": AMA})))
    w.add(Remediation("dine", "ama-dine", period=DAY, first=DAY))
    w.run(4 * DAY)
    assert len(rows(w, op=Op.INSTALL, outcome=Outcome.REQUESTED, actor="dine")) == 3
    assert all(w.installed_version(m, AMA) for m in range(3))


@pytest.mark.parametrize(("tag", "deployed"), [("", True), ("Disabled", False)])
def test_r6b_sql_server_extension_auto_deployed_unless_tagged(tag: str, deployed: bool) -> None:
    tags = {"ArcSQLServerExtensionDeployment": tag} if tag else {}
    w = World(one_group(2, sql_server=True, tags=tags), seed=1)
    w.add(SqlAutoDeploy(first=3_600))
    w.run(DAY)
    sql = "Microsoft.AzureData/WindowsAgent.SqlServer"
    assert all((w.installed_version(m, sql) is not None) is deployed for m in range(2))


# --- automatic upgrade (R25) and agent updates (R30) ------------------------------------------


def test_r25_upgrade_wave_blocked_by_allowlist_leaves_stale_versions() -> None:
    w = World(one_group(5, installed=(DEP,), commands=(ALLOW_AMA,)), seed=1)
    w.add(AutoUpgrade(DEP, "2.0", at=0, window=DAY, batches=1, max_retries=0))
    w.run(3 * DAY)
    blocked = rows(w, op=Op.UPGRADE, outcome=Outcome.BLOCKED)
    assert len(blocked) == 5 and {why for *_, why in blocked} == {"not_on_allowlist"}
    assert all(w.installed_version(m, DEP) == "1.0" for m in range(5))
    assert summarise(w)["coverage"]["stale_versions"] == 5


def test_r25_upgrade_wave_reaches_every_machine_within_the_window() -> None:
    w = World(one_group(20, installed=(DEP,)), seed=1)
    w.add(AutoUpgrade(DEP, "2.0", at=DAY, window=7 * DAY, batches=4))
    w.run(9 * DAY)
    done = rows(w, op=Op.UPGRADE, outcome=Outcome.SUCCEEDED)
    assert len(done) == 20
    assert all(DAY <= t <= 9 * DAY for t, *_ in done)
    assert w.actor_names[w.records["actor"][w.records["operation"] == Op.UPGRADE][0]] == (
        "Azure Regional Service Manager")


def test_r25_blocked_upgrade_is_retried_hourly_up_to_the_limit() -> None:
    w = World(one_group(1, installed=(DEP,), commands=(ALLOW_AMA,)), seed=1)
    w.add(AutoUpgrade(DEP, "2.0", at=0, window=DAY, batches=1, batch_spread=0.0,
                      retry_s=3_600, max_retries=3))
    w.run(DAY)
    times = [t for t, *_ in rows(w, op=Op.UPGRADE, outcome=Outcome.REQUESTED)]
    assert len(times) == 4
    assert np.allclose(np.diff(times), 3_600 + w.params.push_latency_s)


def test_r25_extensions_without_automatic_upgrade_are_left_alone() -> None:
    w = World(one_group(2, installed=(MMA,)), seed=1)
    w.add(AutoUpgrade(MMA, "2.0", at=0, window=DAY, batches=1))
    w.run(2 * DAY)
    assert rows(w, op=Op.UPGRADE) == []


def test_r30_agent_update_makes_a_previously_failing_config_set_succeed() -> None:
    w = World(one_group(2, version="1.15"), seed=1)
    w.add(LocalCommands("admin", commands=(ALLOW_AMA,), timing=Timing(at=100)))
    w.add(AgentUpdate("updater", version="1.40", timing=Timing(at=1_000)))
    w.add(LocalCommands("admin2", commands=(ALLOW_AMA,), timing=Timing(at=2_000)))
    w.run(DAY)
    assert [why for *_, why in rows(w, op=Op.CONFIG, outcome=Outcome.REFUSED)] == [
        "key_unavailable"] * 2
    assert len(rows(w, op=Op.CONFIG, outcome=Outcome.APPLIED, actor="admin2")) == 2
    assert all(str(w.config(m).version) == "1.40" and w.config(m).allowlist for m in range(2))


def test_r19_microsoft_updates_the_monitor_list() -> None:
    w = World(one_group(1, commands=("azcmagent config set config.mode monitor",)), seed=1)
    w.add(MonitorListUpdate(add_extensions=(CSE,), timing=Timing(at=100)))
    w.add(CloudRequest("dev", operation="install", extension=CSE, timing=Timing(at=50)))
    w.add(CloudRequest("dev2", operation="install", extension=CSE, timing=Timing(at=1_000)))
    w.run(DAY)
    assert [why for *_, why in rows(w, op=Op.INSTALL, outcome=Outcome.BLOCKED)] == [
        "monitor_mode"]
    assert w.installed_version(0, CSE) == "1.0"


def test_r10_retry_refused_param_retries_a_blocked_install() -> None:
    params = EngineParams(retry_refused_s=3_600)
    w = World(one_group(1, commands=(ALLOW_AMA,)), params, seed=1)
    w.add(CloudRequest("dev", operation="install", extension=CSE, timing=Timing(at=100)))
    w.run(4 * 3_600)
    assert len(rows(w, op=Op.INSTALL, outcome=Outcome.BLOCKED)) >= 3
