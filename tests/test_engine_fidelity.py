"""The engine where it departed from the spec, and the open questions as parameters (R6, R6a,
R6b, R7, R15, R17, R23, R25, R26, R28; the spec's "Where the sources are silent").

Exact event logs on tiny fleets reuse the timing of ``test_engine_interplay``: a machine checks
at 150 + k * 300, a push arrives 5 s after its request, a download takes 1 s plus size / 10 MB/s
and an install 60 s more.
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from helpers import AMA, CSE, DEP, MDE, MMA, allowlist, blocklist, one_group
from test_engine_interplay import (
    DOWNLOAD,
    INSTALL,
    PARAMS,
    PUSH,
    commands,
    log,
    request,
    start,
    world,
)

from sim.engine import (
    DAY,
    CloudRequest,
    EngineParams,
    FleetSpec,
    GroupSpec,
    InstalledExtension,
    LocalCommands,
    LocalRemoval,
    Op,
    Outage,
    Outcome,
    Timing,
    World,
)
from sim.engine.actors import Reonboard
from sim.engine.codes import REASONS, RULES
from sim.engine.metrics import summarise
from sim.engine.policy import PolicyAdmin, PolicyRule, Remediation
from sim.engine.upgrades import AutoUpgrade
from sim.rules.catalogue import BUILTIN, entry_for
from sim.rules.identity import ExtensionId

HOUR = 3_600.0
DISABLE = "azcmagent config set extensions.enabled false"
ENABLE = "azcmagent config set extensions.enabled true"
AMA_TYPE = "AzureMonitorWindowsAgent"
CONTOSO = "Contoso.Monitoring/ContosoAgent"


def rows(w: World, op: Op, outcome: Outcome | None = None,
         actor: str | None = None) -> list[tuple[float, int, str, str]]:
    """(time, machine, extension name, reason) of the records of ``op`` (and ``outcome``)."""
    r = w.records
    keep = r["operation"] == op
    if outcome is not None:
        keep &= r["outcome"] == outcome
    if actor is not None:
        keep &= r["actor"] == w.actor_names.index(actor)
    return [(float(t), int(m), w.ext_ids[x].name if x >= 0 else "", REASONS[why])
            for t, m, x, why in zip(r["time"][keep], r["machine"][keep], r["extension"][keep],
                                    r["reason"][keep], strict=True)]


def upgrade(ext: str = DEP, version: str = "2.0", **kw: object) -> AutoUpgrade:
    """An automatic upgrade released at 0, one batch, every machine at the batch's start."""
    options: dict[object, object] = {"at": 0.0, "window": DAY, "batches": 1,
                                     "batch_spread": 0.0, **kw}
    return AutoUpgrade(ext, version, **options)  # type: ignore[arg-type]


# --- 1. R23 + R6: a disabled manager takes nothing from Azure and does not resync ------------


def test_r23_disabled_manager_does_not_resync_and_invents_no_failure() -> None:
    w = start(world(installed=(AMA,)), commands(100.0, DISABLE),
              LocalRemoval("cleanup", extension=AMA, timing=Timing(at=200.0)),
              commands(3_000.0, ENABLE, name="admin2"))
    w.run(2_999.0)
    assert rows(w, Op.REINSTALL) == []
    assert w.provisioning_state(0, AMA) == "Succeeded"  # Azure still records it
    assert w.installed_version(0, AMA) is None
    w.run(DAY)
    # re-enabled at 3000: its next sync (3150) reinstalls what Azure still records (churn)
    assert log(w, Op.REINSTALL) == [
        (3_150.0 + DOWNLOAD[AMA] + INSTALL, 0, AMA_TYPE, "REINSTALL", "SUCCEEDED", "")]
    assert summarise(w)["blocked"]["total"] == 0
    assert w.provisioning_state(0, AMA) == "Succeeded"


def test_r23_requests_while_disabled_fail_at_once_by_default() -> None:
    w = start(world(), commands(100.0, DISABLE), request("install", AMA, at=1_000.0),
              commands(2_000.0, ENABLE, name="admin2"))
    w.run(DAY)
    assert log(w, Op.INSTALL) == [
        (1_000.0, 0, AMA_TYPE, "INSTALL", "REQUESTED", ""),
        (1_000.0 + PUSH, 0, AMA_TYPE, "INSTALL", "BLOCKED", "manager_disabled")]
    assert w.provisioning_state(0, AMA) == "Failed"
    assert w.installed_version(0, AMA) is None


def test_r23_requests_while_disabled_wait_until_re_enabled_when_asked() -> None:
    w = start(world(disabled_manager_requests="wait"), commands(100.0, DISABLE),
              request("install", AMA, at=1_000.0), commands(2_000.0, ENABLE, name="admin2"))
    w.run(1_999.0)
    assert w.provisioning_state(0, AMA) == "Creating"
    w.run(DAY)
    # the first check after the manager is enabled again (2250) takes the waiting install
    assert log(w, Op.INSTALL) == [
        (1_000.0, 0, AMA_TYPE, "INSTALL", "REQUESTED", ""),
        (2_250.0 + DOWNLOAD[AMA] + INSTALL, 0, AMA_TYPE, "INSTALL", "SUCCEEDED", "")]
    assert summarise(w)["blocked"]["total"] == 0


def test_r23_r24_a_delete_while_disabled_waits_too_when_asked() -> None:
    w = start(world(installed=(MMA,), disabled_manager_requests="wait"),
              commands(100.0, DISABLE), request("delete", MMA, at=1_000.0),
              commands(2_000.0, ENABLE, name="admin2"))
    w.run(1_999.0)
    assert w.provisioning_state(0, MMA) == "Deleting"
    w.run(DAY)
    assert w.installed_version(0, MMA) is None and w.provisioning_state(0, MMA) == ""
    assert summarise(w)["orphaned"] == 0


# --- 2. R25: a failed upgrade whose restore succeeds ends Succeeded ---------------------------


def test_r25_restore_succeeds_ends_succeeded_on_the_last_good_version() -> None:
    w = start(world(installed=(DEP,), install_failure_p=1.0), upgrade(max_retries=1))
    w.run(DAY)
    failed = rows(w, Op.UPGRADE, Outcome.FAILED)
    assert [why for *_, why in failed] == ["install_failure"] * 2  # the first try, one retry
    assert [why for *_, why in rows(w, Op.UPGRADE, Outcome.APPLIED)] == ["restored"] * 2
    assert w.provisioning_state(0, DEP) == "Succeeded"
    assert w.installed_version(0, DEP) == "1.0"
    # retried at the next retry slot, an hour after the failure
    requested = [t for t, *_ in rows(w, Op.UPGRADE, Outcome.REQUESTED)]
    assert requested[1] - failed[0][0] == pytest.approx(HOUR)
    assert summarise(w)["coverage"]["extensions_failed"] == 0


def test_r25_only_a_failed_restore_leaves_failed() -> None:
    w = start(world(installed=(DEP,), install_failure_p=1.0),
              upgrade(restore_failure_p=1.0))
    w.run(DAY)
    assert [why for *_, why in rows(w, Op.UPGRADE, Outcome.FAILED)] == [
        "install_failure", "restore_failure"]
    assert len(rows(w, Op.UPGRADE, Outcome.REQUESTED)) == 1  # no more retries
    assert w.provisioning_state(0, DEP) == "Failed"


def test_r25_a_catalog_mismatch_restores_nothing_and_is_retried() -> None:
    # aborted before the package was opened (R3): nothing to restore, no restore to fail
    w = start(world(installed=(DEP,), catalog_mismatch_extensions=(DEP,)),
              upgrade(max_retries=1, restore_failure_p=1.0))
    w.run(DAY)
    assert [why for *_, why in rows(w, Op.UPGRADE, Outcome.ABORTED)] == ["catalog_mismatch"] * 2
    assert rows(w, Op.UPGRADE, Outcome.APPLIED) == []  # no "restored" record
    assert rows(w, Op.UPGRADE, Outcome.FAILED) == []  # no restore_failure drawn
    assert len(rows(w, Op.UPGRADE, Outcome.REQUESTED)) == 2  # the first try, one retry
    assert w.installed_version(0, DEP) == "1.0"
    assert w.provisioning_state(0, DEP) == "Failed"


def test_r25_an_upgrade_failing_after_a_local_removal_leaves_azure_failed() -> None:
    # removed locally while the upgrade installs: no last good version to restore, so Azure
    # keeps the resource Failed (remediable), never "no resource but Succeeded"
    w = start(world(installed=(DEP,), install_failure_p=1.0), upgrade(),
              LocalRemoval("cleanup", extension=DEP, timing=Timing(at=30.0)))
    w.run(DAY)
    assert [why for *_, why in rows(w, Op.UPGRADE, Outcome.FAILED)] == ["install_failure"]
    assert rows(w, Op.UPGRADE, Outcome.APPLIED) == []
    assert w.installed_version(0, DEP) is None
    assert w.provisioning_state(0, DEP) == "Failed"
    assert w.s_want[w.n_ext * 0 + w.ext_index[DEP.lower()]] >= 0  # Azure still has it


def test_r25_restored_upgrade_gives_dine_nothing_to_remediate() -> None:
    w = World(one_group(2, installed=(DEP,)), replace(PARAMS, install_failure_p=1.0), seed=3)
    w.add(upgrade(max_retries=0))
    w.add(PolicyAdmin("secops", "assign", "dep-dine",
                      rule=PolicyRule.deploy_if_not_exists({"windows": DEP})))
    w.add(Remediation("dine", "dep-dine", period=DAY, first=DAY))
    w.run(3 * DAY)
    assert rows(w, Op.INSTALL, actor="dine") == []


# --- 3. R7/R17: a script extension that lowers a protection is an override by default ---------


def test_r7_r17_script_rewriting_the_allowlist_is_an_override_by_default() -> None:
    w = World(one_group(2, installed=(AMA,), commands=(allowlist(AMA, CSE),)), seed=1)
    w.add(CloudRequest("attacker", operation="install", extension=CSE,
                       settings=allowlist(AMA, CSE, MMA), timing=Timing(at=100)))
    w.add(CloudRequest("dev", operation="install", extension=MMA, timing=Timing(at=2_000)))
    w.run(DAY)
    assert len(rows(w, Op.INSTALL, Outcome.SUCCEEDED, actor="dev")) == 2
    overrides = summarise(w)["overrides"]
    assert overrides["by_actor"] == {"attacker": 2}
    assert overrides["by_rule"] == {"R17": 2}


def test_r7_r17_run_command_script_is_an_override_by_default() -> None:
    run_command = "Microsoft.Cplat.Core/RunCommandHandlerWindows"
    script = json.dumps({"source": {"script": allowlist(AMA, run_command, MMA)}})
    w = World(one_group(1, commands=(allowlist(AMA, run_command),)), seed=1)
    w.add(CloudRequest("ops", operation="install", extension=run_command,
                       protected_settings=script, timing=Timing(at=100)))
    w.add(CloudRequest("dev", operation="install", extension=MMA, timing=Timing(at=2_000)))
    w.run(DAY)
    assert summarise(w)["overrides"]["by_actor"] == {"ops": 1}


def test_r17_a_script_widening_the_list_overrides_only_what_it_lets_in() -> None:
    # the script adds DEP: a lowered protection (one action), but MMA was allowed before it
    w = World(one_group(1, installed=(AMA,), commands=(allowlist(AMA, CSE, MMA),)), seed=1)
    w.add(CloudRequest("ops", operation="install", extension=CSE,
                       settings=allowlist(AMA, CSE, MMA, DEP), timing=Timing(at=100)))
    w.add(CloudRequest("dev", operation="install", extension=MMA, timing=Timing(at=2_000)))
    w.run(DAY)
    overrides = summarise(w)["overrides"]
    assert overrides["total"] == 0
    assert overrides["local_actions"] == 1


def test_r17_run_command_rolling_out_an_allowlist_is_no_override_action() -> None:
    run_command = "Microsoft.Cplat.Core/RunCommandHandlerWindows"
    script = json.dumps({"source": {"script": allowlist(AMA, run_command)}})
    w = World(one_group(3), seed=1)
    w.add(CloudRequest("ops", operation="install", extension=run_command,
                       protected_settings=script, timing=Timing(at=100)))
    w.add(CloudRequest("dev", operation="install", extension=MMA, timing=Timing(at=2_000)))
    w.run(DAY)
    assert len(rows(w, Op.INSTALL, Outcome.BLOCKED, actor="dev")) == 3  # the lockdown holds
    overrides = summarise(w)["overrides"]
    assert (overrides["total"], overrides["actions"], overrides["local_actions"]) == (0, 0, 0)
    r = w.records
    changes = (r["operation"] == Op.CONFIG) & (r["outcome"] == Outcome.APPLIED)
    assert [RULES[code] for code in r["rule"][changes]] == ["R8"] * 3


def test_r17_a_script_tightening_after_an_override_leaves_the_override_with_its_author() -> None:
    run_command = "Microsoft.Cplat.Core/RunCommandHandlerWindows"
    w = World(one_group(1, installed=(AMA,), commands=(allowlist(AMA, CSE),)), seed=1)
    w.add(CloudRequest("attacker", operation="install", extension=CSE,
                       settings="azcmagent config clear extensions.allowlist",
                       timing=Timing(at=100)))
    w.add(CloudRequest("ops", operation="update", extension=CSE,
                       settings=blocklist(run_command), timing=Timing(at=1_000)))
    w.add(CloudRequest("dev", operation="install", extension=MMA, timing=Timing(at=2_000)))
    w.run(DAY)
    overrides = summarise(w)["overrides"]
    assert overrides["local_actions"] == 1  # the clear; the blocklist tightens
    assert overrides["by_actor"] == {"attacker": 1}  # MMA got in through the clear


def test_r17_override_false_opts_a_script_sender_out() -> None:
    w = World(one_group(2, installed=(AMA,), commands=(allowlist(AMA, CSE),)), seed=1)
    w.add(CloudRequest("ops", operation="install", extension=CSE, override=False,
                       settings=allowlist(AMA, CSE, MMA), timing=Timing(at=100)))
    w.add(CloudRequest("dev", operation="install", extension=MMA, timing=Timing(at=2_000)))
    w.run(DAY)
    assert summarise(w)["overrides"]["total"] == 0


# --- 4. R6b: DeployIfNotExists judges Azure's record, not the disk -----------------------------


def test_r6b_dine_judges_azures_record_not_the_disk() -> None:
    w = World(one_group(2, installed=(AMA,)), seed=1)
    w.add(LocalCommands("admin", commands=(DISABLE,), timing=Timing(at=1_000)))
    w.add(CloudRequest("owner", operation="delete", extension=AMA, timing=Timing(at=3_000)))
    w.add(PolicyAdmin("secops", "assign", "ama-dine",
                      rule=PolicyRule.deploy_if_not_exists({"windows": AMA})))
    w.add(Remediation("dine", "ama-dine", period=DAY, first=DAY))
    w.run(DAY + HOUR)
    # deleted in Azure while the manager was disabled: still on disk, gone from Azure (R24),
    # so non-compliant; the remediation's request then meets the disabled manager
    assert all(w.installed_version(m, AMA) == "1.0" for m in range(2))
    blocked = rows(w, Op.INSTALL, Outcome.BLOCKED, actor="dine")
    assert [(m, why) for _, m, _, why in blocked] == [(0, "manager_disabled"),
                                                      (1, "manager_disabled")]


def test_r6b_dine_leaves_an_extension_removed_locally_alone() -> None:
    # Azure still records it Succeeded: compliant; the resync puts it back (R6)
    w = World(one_group(1, installed=(AMA,)), seed=1)
    w.add(LocalRemoval("cleanup", extension=AMA, timing=Timing(at=DAY - 60)))
    w.add(PolicyAdmin("secops", "assign", "ama-dine",
                      rule=PolicyRule.deploy_if_not_exists({"windows": AMA})))
    w.add(Remediation("dine", "ama-dine", period=DAY, first=DAY))
    w.run(DAY + HOUR)
    assert rows(w, Op.INSTALL, actor="dine") == []


# --- 5. R25: automatic upgrade only where the publisher supports it ---------------------------


@pytest.mark.parametrize("ext", [MDE, "Microsoft.Azure.ChangeTrackingAndInventory/"
                                      "ChangeTracking-Windows",
                                 "Microsoft.Cplat.Core/RunCommandHandlerWindows", CONTOSO])
def test_r25_automatic_upgrade_only_for_publishers_that_support_it(ext: str) -> None:
    w = World(one_group(2, installed=(ext,)), seed=1)
    w.add(upgrade(ext))
    w.run(2 * DAY)
    assert rows(w, Op.UPGRADE) == []


def test_r25_a_scenario_catalogue_entry_turns_automatic_upgrade_on() -> None:
    catalogue = BUILTIN.with_entries([entry_for(ExtensionId.parse(CONTOSO), BUILTIN,
                                                auto_upgrade=True)])
    w = World(one_group(2, installed=(CONTOSO,)), seed=1, catalogue=catalogue)
    w.add(upgrade(CONTOSO))
    w.run(2 * DAY)
    assert len(rows(w, Op.UPGRADE, Outcome.SUCCEEDED)) == 2


def test_r25_enable_automatic_upgrade_false_opts_one_extension_out() -> None:
    off = InstalledExtension(DEP, auto_upgrade=False)
    fleet = one_group(2, installed=(off, AMA))
    w = World(fleet, seed=1)
    w.add(upgrade(DEP))
    w.add(upgrade(AMA, name="ama-upgrade"))
    w.run(2 * DAY)
    assert [ext for _, _, ext, _ in rows(w, Op.UPGRADE, Outcome.SUCCEEDED)] == [AMA, AMA]
    assert all(w.installed_version(m, DEP) == "1.0" for m in range(2))


# --- open question: automatic-upgrade retries -------------------------------------------------


def test_r25_refused_upgrade_is_retried_hourly_until_the_window_ends_by_default() -> None:
    w = World(one_group(1, installed=(DEP,), commands=(allowlist(AMA),)), seed=1)
    w.add(upgrade(window=6 * HOUR))
    w.run(DAY)
    requested = [t for t, *_ in rows(w, Op.UPGRADE, Outcome.REQUESTED)]
    assert len(requested) == 6  # at 0 and every hour after a refusal, until the 6 h window ends
    assert max(requested) < 6 * HOUR


def test_r25_retries_stop_when_the_next_version_arrives() -> None:
    w = World(one_group(1, installed=(DEP,), commands=(allowlist(AMA),)), seed=1)
    w.add(upgrade(window=DAY))
    w.add(upgrade(version="3.0", at=2.5 * HOUR, window=DAY, name="next"))
    w.run(5 * HOUR)
    first = [t for t, *_ in rows(w, Op.UPGRADE, Outcome.REQUESTED,
                                 actor="Azure Regional Service Manager")]
    assert all(t < 2.5 * HOUR for t in first)


def test_r25_max_retries_bounds_the_retries() -> None:
    w = World(one_group(1, installed=(DEP,), commands=(allowlist(AMA),)), seed=1)
    w.add(upgrade(max_retries=2))
    w.run(DAY)
    assert len(rows(w, Op.UPGRADE, Outcome.REQUESTED)) == 3


# --- open question: Deny policy vs automatic upgrade (R26) -----------------------------------


@pytest.mark.parametrize(("deny_refuses", "denied"), [(False, 0), (True, 2)])
def test_r26_deny_policy_and_automatic_upgrades(deny_refuses: bool, denied: int) -> None:
    params = EngineParams(deny_refuses_automatic_upgrades=deny_refuses)
    w = World(one_group(2, installed=(DEP,)), params, seed=1)
    w.add(PolicyAdmin("secops", "assign", "no-dep", rule=PolicyRule.deny_listed([DEP])))
    w.add(upgrade(max_retries=0))
    w.run(DAY)
    assert len(rows(w, Op.UPGRADE, Outcome.DENIED)) == denied
    assert len(rows(w, Op.UPGRADE, Outcome.SUCCEEDED)) == 2 - denied


def test_r26_deny_still_refuses_a_persons_upgrade_and_install() -> None:
    w = World(one_group(1, installed=(DEP,)), seed=1)
    w.add(PolicyAdmin("secops", "assign", "no-dep", rule=PolicyRule.deny_listed([DEP])))
    w.add(CloudRequest("dev", operation="upgrade", extension=DEP, version="2.0",
                       timing=Timing(at=100)))
    w.add(CloudRequest("dev", operation="install", extension=DEP, timing=Timing(at=200)))
    w.run(DAY)
    assert len(rows(w, Op.UPGRADE, Outcome.DENIED)) == 1
    assert len(rows(w, Op.INSTALL, Outcome.DENIED)) == 1


# --- open questions in the rules, through the engine's parameters (R8a, R15) -----------------


def test_r15_allow_none_on_an_old_agent_under_the_ordinary_entry_reading() -> None:
    line = 'azcmagent config set extensions.allowlist "Allow/None"'
    blocked = {}
    for reading in ("refused", "ordinary_entry"):
        w = World(one_group(1, version="1.30", commands=(line,)),
                  EngineParams(allow_none_before_1_35=reading), seed=1)
        w.add(CloudRequest("dev", operation="install", extension=AMA, timing=Timing(at=100)))
        w.run(DAY)
        blocked[reading] = [why for *_, why in rows(w, Op.INSTALL, Outcome.BLOCKED)]
    assert blocked == {"refused": [], "ordinary_entry": ["not_on_allowlist"]}


def test_r8a_valid_entries_apply_reading_through_the_engine() -> None:
    line = f'azcmagent config set extensions.blocklist "{MMA},Broken.Entry"'
    w = World(one_group(1, commands=(line,)),
              EngineParams(malformed_list_entry="valid_entries_apply"), seed=1)
    w.add(CloudRequest("dev", operation="install", extension=MMA, timing=Timing(at=100)))
    w.run(DAY)
    assert [why for *_, why in rows(w, Op.INSTALL, Outcome.BLOCKED)] == ["on_blocklist"]


# --- 6. R28: Disconnected shows 15 minutes after the last heartbeat ---------------------------


def test_r28_disconnected_shows_15_minutes_after_the_last_heartbeat() -> None:
    w = start(world(outages=(Outage(1_000.0, 2 * HOUR),)), request("install", AMA, at=1_100.0))
    w.run(DAY)
    # heartbeats every 5 minutes at the machine's phase: the last before 1000 is at 750
    assert log(w, Op.CONNECTIVITY) == [
        (750.0 + 900.0, 0, "", "CONNECTIVITY", "DISCONNECTED", "outage"),
        (1_000.0 + 2 * HOUR, 0, "", "CONNECTIVITY", "CONNECTED", "outage")]
    assert w.params.disconnected_after_s == 900.0  # the default: 15 minutes
    # processing stopped at once: the request waited for the reconnect
    assert rows(w, Op.INSTALL, Outcome.SUCCEEDED)[0][0] > 1_000.0 + 2 * HOUR


def test_r28_a_short_outage_never_shows_disconnected_but_stops_processing() -> None:
    w = start(world(outages=(Outage(1_000.0, 600.0),)), request("install", AMA, at=1_100.0))
    w.run(DAY)
    assert log(w, Op.CONNECTIVITY) == []
    assert rows(w, Op.INSTALL, Outcome.SUCCEEDED)[0][0] == 1_650.0 + DOWNLOAD[AMA] + INSTALL


def test_r28_an_outage_under_way_at_the_start_shows_at_once() -> None:
    w = start(world(outages=(Outage(0.0, 50 * DAY, offline_before_s=46 * DAY),)))
    w.run(DAY)
    assert [row[4] for row in log(w, Op.CONNECTIVITY)] == ["DISCONNECTED", "EXPIRED"]
    assert {row[0] for row in log(w, Op.CONNECTIVITY)} == {0.0}


# --- scenario additions: re-onboarding, push per group, per-machine upgrade timing ------------


def test_r28_reonboarding_an_expired_machine_connects_it_with_a_new_resource() -> None:
    w = start(world(installed=(AMA,), outages=(Outage(1_000.0, 50 * DAY),),
                    expire_after_s=2 * DAY),
              Reonboard("admin", timing=Timing(at=5 * DAY)),
              request("install", MMA, at=5 * DAY + HOUR))
    w.run(10 * DAY)
    assert [row[4] for row in log(w, Op.CONNECTIVITY)] == [
        "DISCONNECTED", "EXPIRED", "CONNECTED"]
    assert w.provisioning_state(0, AMA) == ""  # the new resource has no extension resources
    assert w.installed_version(0, AMA) == "1.0"  # still on the disk, not recognised
    assert w.installed_version(0, MMA) == "1.0"  # processes requests again
    assert summarise(w)["coverage"]["machines_with_drift"] == 1


def test_r28_reonboarding_leaves_machines_that_are_not_expired_alone() -> None:
    w = start(world(installed=(AMA,)), Reonboard("admin", timing=Timing(at=HOUR)))
    w.run(DAY)
    assert log(w, Op.CONNECTIVITY) == []
    assert w.provisioning_state(0, AMA) == "Succeeded"


def test_r6a_push_reachability_per_group() -> None:
    fleet = one_group(40, push_reachable=0.0)
    w = World(fleet, EngineParams(push_reachable=1.0), seed=1)
    w.run(0.0)
    assert not any(w.m_push)
    w2 = World(one_group(40, push_reachable=1.0), EngineParams(push_reachable=0.0), seed=1)
    w2.run(0.0)
    assert all(w2.m_push)


def test_r25_each_machine_is_upgraded_at_its_own_time_inside_the_window() -> None:
    w = World(one_group(200, installed=(DEP,)), seed=5)
    w.add(AutoUpgrade(DEP, "2.0", at=0.0, window=8 * DAY, batches=8))
    w.run(9 * DAY)
    times = np.array([t for t, *_ in rows(w, Op.UPGRADE, Outcome.REQUESTED)])
    assert len(times) == 200
    days = np.bincount((times // DAY).astype(int), minlength=8)[:8]
    first = int(np.flatnonzero(days)[0])
    assert (days[first:] > 0).all()  # one group spreads from its region's batch to the end
    assert len(np.unique(times)) == 200


def _regions(count: int, per_region: int) -> FleetSpec:
    return FleetSpec(tuple(
        GroupSpec(f"g{i}", per_region, agent_versions={"1.40": 1.0}, region=f"region-{i}",
                  extensions=(InstalledExtension(DEP),)) for i in range(count)))


def test_r25_a_region_is_upgraded_from_its_own_batch_on_never_before() -> None:
    # Azure rolls a version out region by region (phases): a region's machines are asked
    # from its batch on, spread over every batch left in the window, never earlier
    w = World(_regions(6, 100), seed=2)
    w.add(upgrade(window=8 * DAY, batches=8))
    w.run(9 * DAY)
    requested = rows(w, Op.UPGRADE, Outcome.REQUESTED)
    assert len(requested) == 600
    batches: dict[int, set[int]] = {}
    for t, m, *_ in requested:
        batches.setdefault(w.m_group[m], set()).add(int(t // DAY))
    firsts = {g: min(b) for g, b in batches.items()}
    assert all(b == set(range(firsts[g], 8)) for g, b in batches.items())
    assert len(set(firsts.values())) > 1 and max(firsts.values()) > 0


def test_r25_a_run_ending_mid_window_upgrades_a_share_not_all_or_nothing() -> None:
    # every region under way when the run ends has upgraded a share of its machines
    shares = []
    for seed in range(5):
        w = World(_regions(4, 100), seed=seed)
        w.add(AutoUpgrade(DEP, "2.0", at=0.0, window=8 * DAY, batches=8))
        w.run(4 * DAY)
        done = np.bincount([w.m_group[m] for _, m, *_ in rows(w, Op.UPGRADE, Outcome.SUCCEEDED)],
                           minlength=4)
        shares += [n / 100 for n in done if n]
    assert shares and all(0.0 < s < 1.0 for s in shares), shares
