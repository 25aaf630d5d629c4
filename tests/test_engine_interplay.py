"""Exact event logs of the extension manager on tiny fleets (R2, R3, R5, R6, R6a, R6c, R8, R10,
R12-R15, R21, R23, R24, R28).

Each test sets the timing parameters and the machines' check phases itself, so every expected
instant is computed from them: a machine with phase ``p`` checks at ``p + k * 300`` (no jitter),
a push arrives ``PUSH`` seconds after the request, a download takes the path's latency plus
size / bandwidth, an install ``INSTALL`` seconds more.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from helpers import AMA, DEP, MDE, MMA, allowlist, blocklist, one_group

from sim.engine import (
    DAY,
    CloudRequest,
    EngineParams,
    LocalCommands,
    LocalRemoval,
    Op,
    Outage,
    Outcome,
    PathSpec,
    Target,
    Timing,
    World,
)
from sim.engine.codes import REASONS, RULES

PUSH, INSTALL, UPDATE, DELETE, STOP = 5.0, 60.0, 20.0, 15.0, 600.0
PHASE = 150.0
"""Every machine's check phase: checks at 150, 450, 750, 1050, 1350 ... (never at a request
or push instant below, unless a test says so)."""
DOWNLOAD = {AMA: 1.0 + 6.0, MMA: 1.0 + 4.5, DEP: 1.0 + 2.5, MDE: 1.0 + 8.0}
"""Seconds to download on either path (1 s latency, 10 MB/s; catalogue sizes 60, 45, 25, 80 MB)."""
PARAMS = EngineParams(
    push_latency_s=PUSH, install_s=INSTALL, update_s=UPDATE, delete_s=DELETE,
    service_stop_s=STOP,
    paths=(PathSpec("direct", 1.0, 10e6), PathSpec("proxy", 1.0, 10e6, capacity=1)))

Row = tuple[float, int, str, str, str, str]


def world(count: int = 1, version: str = "1.40", installed: tuple[str, ...] = (),
          commands: tuple[str, ...] = (), path: str = "direct",
          outages: tuple[Outage, ...] = (), **params: Any) -> World:
    fleet = one_group(count, version, installed, path=path, commands=commands, outages=outages)
    return World(fleet, replace(PARAMS, **params), seed=7)


def start(w: World, *actors: Any) -> World:
    """Add the actors, build the world and set every machine's check phase to PHASE."""
    for actor in actors:
        w.add(actor)
    w.run(0.0)
    for m in range(w.n_machines):
        w.m_phase[m] = PHASE
    return w


def log(w: World, *ops: Op) -> list[Row]:
    """(time, machine, extension type, operation, outcome, reason) of every record (of ``ops``)."""
    r = w.records
    keep = np.isin(r["operation"], list(ops)) if ops else np.ones(len(r), dtype=bool)
    return [(float(t), int(m), w.ext_ids[x].type if x >= 0 else "", Op(o).name,
             Outcome(oc).name, REASONS[why])
            for t, m, x, o, oc, why in zip(r["time"][keep], r["machine"][keep],
                                           r["extension"][keep], r["operation"][keep],
                                           r["outcome"][keep], r["reason"][keep], strict=True)]


def column(w: World, name: str, op: Op, outcome: Outcome) -> list[Any]:
    r = w.records
    keep = (r["operation"] == op) & (r["outcome"] == outcome)
    return r[name][keep].tolist()


def request(op: str, ext: str, at: float, name: str = "admin", **kw: Any) -> CloudRequest:
    return CloudRequest(name, operation=op, extension=ext, timing=Timing(at=at), **kw)


def commands(at: float, *lines: str, name: str = "local_admin") -> LocalCommands:
    return LocalCommands(name, commands=lines, timing=Timing(at=at))


# --- R6a: how requests reach a machine -----------------------------------------------------------


def test_r6a_push_delivery() -> None:
    w = start(world(version="1.40"), request("install", AMA, at=1_010.0))
    w.run(DAY)
    assert w.next_check(0, 1_010.0) == 1_050.0  # the push comes first
    assert log(w) == [
        (1_010.0, 0, "AzureMonitorWindowsAgent", "INSTALL", "REQUESTED", ""),
        (1_010.0 + PUSH + DOWNLOAD[AMA] + INSTALL, 0, "AzureMonitorWindowsAgent", "INSTALL",
         "SUCCEEDED", ""),
    ]
    assert column(w, "bytes", Op.INSTALL, Outcome.SUCCEEDED) == [60_000_000]
    assert w.installed_version(0, AMA) == "1.0"


@pytest.mark.parametrize(("version", "reachable"), [("1.12", 1.0), ("1.40", 0.0)],
                         ids=["agent-1.12-has-no-push", "push-channel-unreachable"])
def test_r6a_poll_delivery_without_push(version: str, reachable: float) -> None:
    w = start(world(version=version, push_reachable=reachable),
              request("install", AMA, at=1_010.0))
    w.run(DAY)
    first_check = w.check_time(0, 3)
    assert first_check == w.next_check(0, 1_010.0) == 1_050.0
    assert log(w) == [
        (1_010.0, 0, "AzureMonitorWindowsAgent", "INSTALL", "REQUESTED", ""),
        (first_check + DOWNLOAD[AMA] + INSTALL, 0, "AzureMonitorWindowsAgent", "INSTALL",
         "SUCCEEDED", ""),
    ]


def test_r6a_a_check_due_before_the_push_arrives_takes_the_request() -> None:
    w = start(world(version="1.40"), request("install", AMA, at=1_048.0))
    w.run(DAY)
    assert log(w)[1] == (1_050.0 + DOWNLOAD[AMA] + INSTALL, 0, "AzureMonitorWindowsAgent",
                         "INSTALL", "SUCCEEDED", "")


# --- R6: local removal and resync ----------------------------------------------------------------


def test_r6_local_removal_reinstalled_at_next_check_after_service_restart() -> None:
    w = start(world(installed=(AMA,)), LocalRemoval("cleanup", extension=AMA,
                                                    timing=Timing(at=1_010.0)))
    w.run(DAY)
    restart = 1_010.0 + STOP
    check = w.next_check(0, restart)
    assert check == 1_650.0
    done = check + DOWNLOAD[AMA] + INSTALL
    assert log(w) == [
        (1_010.0, 0, "", "SERVICE", "STOPPED", ""),
        (1_010.0, 0, "AzureMonitorWindowsAgent", "LOCAL_REMOVE", "SUCCEEDED", "local_removal"),
        (restart, 0, "", "SERVICE", "STARTED", ""),
        (done, 0, "AzureMonitorWindowsAgent", "REINSTALL", "SUCCEEDED", ""),
    ]
    assert column(w, "value", Op.REINSTALL, Outcome.SUCCEEDED) == [done - 1_010.0]
    assert column(w, "bytes", Op.REINSTALL, Outcome.SUCCEEDED) == [60_000_000]
    assert column(w, "path", Op.REINSTALL, Outcome.SUCCEEDED) == [0]
    assert column(w, "actor", Op.REINSTALL, Outcome.SUCCEEDED) == [w.actor_names.index("resync")]
    assert w.installed_version(0, AMA) == "1.0"


def test_r6a_reinstall_is_not_pushed() -> None:
    w = start(world(version="1.58", installed=(AMA,), service_stop_s=450.0),
              LocalRemoval("cleanup", extension=AMA, timing=Timing(at=1_010.0)))
    assert w.m_push[0]
    w.run(1_010.0 + 450.0 + PUSH + DOWNLOAD[AMA] + INSTALL)
    assert w.installed_version(0, AMA) is None  # a push would have reinstalled it by now
    w.run(DAY)
    reinstall = log(w, Op.REINSTALL)
    assert reinstall == [(w.next_check(0, 1_460.0) + DOWNLOAD[AMA] + INSTALL, 0,
                          "AzureMonitorWindowsAgent", "REINSTALL", "SUCCEEDED", "")]
    assert w.next_check(0, 1_460.0) == 1_650.0


# --- R14, R10: lists and existing extensions -----------------------------------------------------


def test_r14_removal_while_lockdown_blocks_reinstall() -> None:
    w = start(world(installed=(AMA, MMA)),
              commands(500.0, allowlist(MMA)),
              LocalRemoval("cleanup", extension=AMA, timing=Timing(at=1_010.0)),
              request("install", AMA, at=3_000.0))
    w.run(DAY)
    assert log(w, Op.REINSTALL, Op.INSTALL) == [
        (1_650.0, 0, "AzureMonitorWindowsAgent", "REINSTALL", "BLOCKED", "not_on_allowlist"),
        (3_000.0, 0, "AzureMonitorWindowsAgent", "INSTALL", "REQUESTED", ""),
        (3_000.0 + PUSH, 0, "AzureMonitorWindowsAgent", "INSTALL", "BLOCKED",
         "not_on_allowlist"),
    ]
    assert w.provisioning_state(0, AMA) == "Failed"
    assert w.installed_version(0, AMA) is None
    assert w.installed_version(0, MMA) == "1.0"


def test_r14_existing_extension_kept_when_lists_set_then_delete_then_reinstall_refused() -> None:
    w = start(world(installed=(AMA,)),
              commands(500.0, blocklist(AMA)),
              request("delete", AMA, at=1_000.0),
              request("install", AMA, at=2_000.0))
    w.run(900.0)
    assert w.installed_version(0, AMA) == "1.0"
    assert w.is_running(0, AMA)
    w.run(DAY)
    assert log(w) == [
        (500.0, 0, "", "CONFIG", "APPLIED", "command"),
        (1_000.0, 0, "AzureMonitorWindowsAgent", "DELETE", "REQUESTED", ""),
        (1_000.0 + PUSH + DELETE, 0, "AzureMonitorWindowsAgent", "DELETE", "SUCCEEDED", ""),
        (2_000.0, 0, "AzureMonitorWindowsAgent", "INSTALL", "REQUESTED", ""),
        (2_000.0 + PUSH, 0, "AzureMonitorWindowsAgent", "INSTALL", "BLOCKED", "on_blocklist"),
    ]
    assert w.installed_version(0, AMA) is None
    assert w.provisioning_state(0, AMA) == "Failed"


def test_r10_refusal_reported_failed_and_not_retried() -> None:
    w = start(world(commands=(allowlist(MMA),)), request("install", AMA, at=1_010.0))
    w.run(30 * DAY)
    assert log(w, Op.INSTALL) == [
        (1_010.0, 0, "AzureMonitorWindowsAgent", "INSTALL", "REQUESTED", ""),
        (1_010.0 + PUSH, 0, "AzureMonitorWindowsAgent", "INSTALL", "BLOCKED", "not_on_allowlist"),
    ]
    assert w.provisioning_state(0, AMA) == "Failed"
    rules = {RULES[r] for r in w.records["rule"][w.records["outcome"] == Outcome.BLOCKED]}
    assert rules == {"R13"}


def test_r10_refusal_retried_after_retry_refused_s_at_the_next_check() -> None:
    retry = 1_000.0
    w = start(world(commands=(allowlist(MMA),), retry_refused_s=retry),
              request("install", AMA, at=1_010.0))
    w.run(8_000.0)
    expected, t = [], 1_010.0 + PUSH
    while t < 8_000.0:
        expected.append(t)
        t = w.next_check(0, t + retry)  # a retry is not pushed: it waits for a check
    assert expected[:4] == [1_015.0, 2_250.0, 3_450.0, 4_650.0]
    blocked = log(w, Op.INSTALL)[1:]
    assert [row[0] for row in blocked] == expected
    assert {row[4:] for row in blocked} == {("BLOCKED", "not_on_allowlist")}


# --- R6c: provisioning states --------------------------------------------------------------------


def test_r6c_provisioning_states() -> None:
    w = start(world(), request("install", AMA, at=1_000.0), request("update", AMA, at=2_000.0),
              request("delete", AMA, at=3_000.0))
    done = 1_000.0 + PUSH + DOWNLOAD[AMA] + INSTALL
    for t, state in [(999.0, ""), (1_000.0 + PUSH / 2, "Creating"), (done - 1.0, "Creating"),
                     (done + 1.0, "Succeeded"), (2_000.0 + PUSH + 1.0, "Updating"),
                     (2_000.0 + PUSH + UPDATE + 1.0, "Succeeded"),
                     (3_000.0 + PUSH + 1.0, "Deleting"), (3_000.0 + PUSH + DELETE + 1.0, "")]:
        w.run(t)
        assert w.provisioning_state(0, AMA) == state, t
    assert w.installed_version(0, AMA) is None


# --- R5: audit -----------------------------------------------------------------------------------


def test_r5_every_request_recorded_with_actor() -> None:
    w = start(world(count=2, installed=(MMA,), commands=(allowlist(MMA, DEP),)),
              request("install", AMA, at=100.0, name="alice"),
              request("install", DEP, at=200.0, name="bob"),
              request("update", MMA, at=300.0, name="carol"),
              request("upgrade", MMA, at=400.0, name="dave", version="2.0"),
              request("delete", DEP, at=5_000.0, name="erin"))
    w.run(DAY)
    r = w.records
    asked = r["outcome"] == Outcome.REQUESTED
    got = [(float(t), int(m), w.actor_names[a], Op(o).name, RULES[rule])
           for t, m, a, o, rule in zip(r["time"][asked], r["machine"][asked], r["actor"][asked],
                                       r["operation"][asked], r["rule"][asked], strict=True)]
    assert got == [(t, m, who, op, "R5") for t, who, op in [
        (100.0, "alice", "INSTALL"), (200.0, "bob", "INSTALL"), (300.0, "carol", "UPDATE"),
        (400.0, "dave", "UPGRADE"), (5_000.0, "erin", "DELETE")] for m in (0, 1)]
    # and every request's result is recorded with the same actor: blocked, or succeeded
    results = [(w.actor_names[a], Op(o).name, Outcome(oc).name)
               for a, o, oc in zip(r["actor"][~asked], r["operation"][~asked],
                                   r["outcome"][~asked], strict=True)
               if Op(o) in (Op.INSTALL, Op.UPDATE, Op.UPGRADE, Op.DELETE)]
    assert sorted(set(results)) == [
        ("alice", "INSTALL", "BLOCKED"), ("bob", "INSTALL", "SUCCEEDED"),
        ("carol", "UPDATE", "SUCCEEDED"), ("dave", "UPGRADE", "SUCCEEDED"),
        ("erin", "DELETE", "SUCCEEDED")]
    assert len(results) == 10


# --- R13, R12: the decision table on the machine -------------------------------------------------


def test_r13_update_and_upgrade_blocked_by_allowlist() -> None:
    w = start(world(installed=(AMA, MMA), commands=(allowlist(MMA),)),
              request("update", AMA, at=1_000.0), request("upgrade", AMA, at=2_000.0,
                                                          version="2.0"),
              request("update", MMA, at=3_000.0), request("upgrade", MMA, at=4_000.0,
                                                          version="2.0"),
              request("delete", AMA, at=5_000.0))
    w.run(DAY)
    assert [row for row in log(w) if row[4] != "REQUESTED"] == [
        (1_005.0, 0, "AzureMonitorWindowsAgent", "UPDATE", "BLOCKED", "not_on_allowlist"),
        (2_005.0, 0, "AzureMonitorWindowsAgent", "UPGRADE", "BLOCKED", "not_on_allowlist"),
        (3_005.0 + UPDATE, 0, "MicrosoftMonitoringAgent", "UPDATE", "SUCCEEDED", ""),
        (4_005.0 + DOWNLOAD[MMA] + INSTALL, 0, "MicrosoftMonitoringAgent", "UPGRADE",
         "SUCCEEDED", ""),
        (5_005.0 + DELETE, 0, "AzureMonitorWindowsAgent", "DELETE", "SUCCEEDED", ""),
    ]
    assert w.installed_version(0, MMA) == "2.0"


def test_r12_no_lists_everything_installs() -> None:
    exts = (AMA, MMA, DEP, MDE)
    w = start(world(count=2), *(request("install", e, at=1_000.0 + 100 * i, name=f"a{i}")
                                for i, e in enumerate(exts)))
    w.run(DAY)
    succeeded = log(w, Op.INSTALL)
    assert [row for row in succeeded if row[4] != "REQUESTED"] == [
        (1_000.0 + 100 * i + PUSH + DOWNLOAD[e] + INSTALL, m, e.split("/")[1], "INSTALL",
         "SUCCEEDED", "") for i, e in enumerate(exts) for m in (0, 1)]
    assert all(w.installed_version(m, e) == "1.0" for m in (0, 1) for e in exts)


# --- R15, R8: local commands an agent refuses ----------------------------------------------------


@pytest.mark.parametrize(("version", "command", "install"), [
    ("1.30", "REFUSED", "SUCCEEDED"), ("1.35", "APPLIED", "BLOCKED")])
def test_r15_allow_none_refused_before_agent_1_35(version: str, command: str,
                                                  install: str) -> None:
    w = start(world(version=version), commands(500.0, allowlist("Allow/None")),
              request("install", AMA, at=1_000.0))
    w.run(DAY)
    reason = {"REFUSED": "allow_none_unsupported", "APPLIED": "command"}[command]
    assert log(w, Op.CONFIG) == [(500.0, 0, "", "CONFIG", command, reason)]
    result = log(w, Op.INSTALL)[-1]
    assert result[4:] == (install, "" if install == "SUCCEEDED" else "allow_none")


def test_r8_lists_fail_on_agent_1_15() -> None:
    w = start(world(version="1.15"), commands(500.0, blocklist(AMA)),
              request("install", AMA, at=1_000.0))
    w.run(DAY)
    assert log(w) == [
        (500.0, 0, "", "CONFIG", "REFUSED", "key_unavailable"),
        (1_000.0, 0, "AzureMonitorWindowsAgent", "INSTALL", "REQUESTED", ""),
        (1_000.0 + PUSH + DOWNLOAD[AMA] + INSTALL, 0, "AzureMonitorWindowsAgent", "INSTALL",
         "SUCCEEDED", ""),
    ]


# --- R3: catalog check ---------------------------------------------------------------------------


def test_r3_corrupt_download_aborts() -> None:
    w = start(world(catalog_mismatch_extensions=(AMA,)), request("install", AMA, at=1_000.0),
              request("install", DEP, at=1_000.0, name="other"))
    w.run(DAY)
    assert [row for row in log(w) if row[4] != "REQUESTED"] == [
        (1_000.0 + PUSH + DOWNLOAD[AMA], 0, "AzureMonitorWindowsAgent", "INSTALL", "ABORTED",
         "catalog_mismatch"),
        (1_000.0 + PUSH + DOWNLOAD[DEP] + INSTALL, 0, "DependencyAgentWindows", "INSTALL",
         "SUCCEEDED", ""),
    ]
    assert column(w, "bytes", Op.INSTALL, Outcome.ABORTED) == [60_000_000]
    assert RULES[w.records["rule"][w.records["outcome"] == Outcome.ABORTED][0]] == "R3"
    assert w.installed_version(0, AMA) is None
    assert w.provisioning_state(0, AMA) == "Failed"


# --- R23, R24: the manager switched off mid-run --------------------------------------------------


def test_r23_r24_manager_disabled_mid_run() -> None:
    w = start(world(installed=(AMA, MMA)),
              commands(500.0, "azcmagent config set extensions.enabled false"),
              request("install", DEP, at=1_000.0), request("delete", AMA, at=2_000.0))
    w.run(600.0)
    assert not w.is_running(0, AMA)  # hosted by the extension manager
    assert w.is_running(0, MMA)  # its own service
    w.run(DAY)
    assert log(w) == [
        (500.0, 0, "", "CONFIG", "APPLIED", "command"),
        (500.0, 0, "AzureMonitorWindowsAgent", "RUNNING", "STOPPED", "manager_switch"),
        (1_000.0, 0, "DependencyAgentWindows", "INSTALL", "REQUESTED", ""),
        (1_005.0, 0, "DependencyAgentWindows", "INSTALL", "BLOCKED", "manager_disabled"),
        (2_000.0, 0, "AzureMonitorWindowsAgent", "DELETE", "REQUESTED", ""),
        (2_005.0, 0, "AzureMonitorWindowsAgent", "DELETE", "ORPHANED", "manager_disabled"),
    ]
    assert w.installed_version(0, AMA) == "1.0"  # still on the machine (R24)
    assert w.provisioning_state(0, AMA) == ""  # but no longer in Azure
    assert w.installed_version(0, DEP) is None


# --- R2: a shared proxy --------------------------------------------------------------------------


def test_r2_proxy_capacity_one_serialises_reinstall_storm() -> None:
    n = 4
    w = start(world(count=n, installed=(AMA,), path="proxy"),
              LocalRemoval("cleanup", extension=AMA, timing=Timing(at=1_000.0)))
    w.run(DAY)
    check = w.next_check(0, 1_000.0 + STOP)
    assert check == 1_650.0
    dl = DOWNLOAD[AMA]
    assert log(w, Op.REINSTALL) == [
        (check + (m + 1) * dl + INSTALL, m, "AzureMonitorWindowsAgent", "REINSTALL", "SUCCEEDED",
         "") for m in range(n)]
    assert column(w, "wait", Op.REINSTALL, Outcome.SUCCEEDED) == [m * dl for m in range(n)]
    assert column(w, "path", Op.REINSTALL, Outcome.SUCCEEDED) == [1] * n
    assert np.all(np.diff(column(w, "time", Op.REINSTALL, Outcome.SUCCEEDED)) >= dl)


def test_r2_direct_path_has_no_queue() -> None:
    w = start(world(count=4, installed=(AMA,)),
              LocalRemoval("cleanup", extension=AMA, timing=Timing(at=1_000.0)))
    w.run(DAY)
    assert column(w, "time", Op.REINSTALL, Outcome.SUCCEEDED) == [1_650.0 + DOWNLOAD[AMA]
                                                                  + INSTALL] * 4
    assert column(w, "wait", Op.REINSTALL, Outcome.SUCCEEDED) == [0.0] * 4


# --- R28: connectivity ---------------------------------------------------------------------------


def test_r28_disconnected_machine_processes_nothing_until_reconnect() -> None:
    w = start(world(outages=(Outage(900.0, 1_050.0),)), request("install", AMA, at=1_010.0))
    w.run(1_949.0)
    assert w.provisioning_state(0, AMA) == "Creating"
    assert w.installed_version(0, AMA) is None
    w.run(DAY)
    # the reconnect instant is a check instant: the check comes after the reconnect
    assert w.next_check(0, 1_950.0) == 1_950.0
    # processing stops at 900; Azure shows Disconnected 15 minutes after the last heartbeat
    # (750: heartbeats every 5 minutes at the machine's phase)
    assert log(w) == [
        (1_010.0, 0, "AzureMonitorWindowsAgent", "INSTALL", "REQUESTED", ""),
        (750.0 + 900.0, 0, "", "CONNECTIVITY", "DISCONNECTED", "outage"),
        (1_950.0, 0, "", "CONNECTIVITY", "CONNECTED", "outage"),
        (1_950.0 + DOWNLOAD[AMA] + INSTALL, 0, "AzureMonitorWindowsAgent", "INSTALL",
         "SUCCEEDED", ""),
    ]


def test_r28_machine_expires_after_expire_after_s_and_never_processes() -> None:
    w = start(world(outages=(Outage(900.0, 10 * DAY),), expire_after_s=3_600.0),
              request("install", AMA, at=1_010.0))
    w.run(30 * DAY)
    assert log(w) == [  # both counted from the last heartbeat, at 750
        (1_010.0, 0, "AzureMonitorWindowsAgent", "INSTALL", "REQUESTED", ""),
        (750.0 + 900.0, 0, "", "CONNECTIVITY", "DISCONNECTED", "outage"),
        (750.0 + 3_600.0, 0, "", "CONNECTIVITY", "EXPIRED", "outage"),
    ]
    assert w.provisioning_state(0, AMA) == "Creating"


def test_r28_local_commands_work_offline() -> None:
    w = start(world(outages=(Outage(900.0, 1_050.0),)), commands(1_000.0, blocklist(AMA)),
              request("install", AMA, at=1_010.0))
    w.run(DAY)
    assert log(w, Op.CONFIG, Op.INSTALL) == [
        (1_000.0, 0, "", "CONFIG", "APPLIED", "command"),
        (1_010.0, 0, "AzureMonitorWindowsAgent", "INSTALL", "REQUESTED", ""),
        (1_950.0, 0, "AzureMonitorWindowsAgent", "INSTALL", "BLOCKED", "on_blocklist"),
    ]


# --- one operation per extension at a time -------------------------------------------------------


def test_r6c_request_arriving_during_an_operation_runs_right_after() -> None:
    w = start(world(), request("install", AMA, at=1_000.0),
              request("update", AMA, at=1_020.0, name="other"))
    w.run(DAY)
    installed = 1_000.0 + PUSH + DOWNLOAD[AMA] + INSTALL
    assert [row for row in log(w) if row[4] != "REQUESTED"] == [
        (installed, 0, "AzureMonitorWindowsAgent", "INSTALL", "SUCCEEDED", ""),
        (installed + UPDATE, 0, "AzureMonitorWindowsAgent", "UPDATE", "SUCCEEDED", ""),
    ]


def test_r6_remove_all_then_reinstall_in_name_order() -> None:
    # removal and resync handle extensions in name order (the same in every shard of a fleet):
    # on a proxy with capacity 1 the reinstall downloads queue in that order
    w = start(world(installed=(MMA, AMA, DEP), path="proxy"),
              LocalRemoval("cleanup", timing=Timing(at=1_000.0)))
    w.run(DAY)
    order = ["AzureMonitorWindowsAgent", "DependencyAgentWindows", "MicrosoftMonitoringAgent"]
    assert [row[2] for row in log(w, Op.LOCAL_REMOVE)] == order
    r = w.records
    keep = r["operation"] == Op.REINSTALL
    waits = {w.ext_ids[x].type: float(wait) for x, wait in zip(r["extension"][keep],
                                                                 r["wait"][keep], strict=True)}
    assert waits == {order[0]: 0.0, order[1]: DOWNLOAD[AMA],
                     order[2]: DOWNLOAD[AMA] + DOWNLOAD[DEP]}


def test_targets_by_machine_id() -> None:
    w = start(world(count=3), CloudRequest("admin", extension=AMA,
                                           target=Target(machines=(1,)),
                                           timing=Timing(at=1_000.0)))
    w.run(DAY)
    assert [row[1] for row in log(w)] == [1, 1]


def test_r21_actors_acting_at_one_instant_act_in_the_order_they_were_added() -> None:
    # the allowlist must be set before monitor mode freezes the lists: on every machine, since
    # equal-time effects are ordered by a stable key, not by what each actor did before
    monitor = LocalCommands("monitor", commands=("azcmagent config set config.mode monitor",),
                            target=Target(machines=(1, 2)), timing=Timing(at=1_000.0))
    w = start(world(count=3), commands(1_000.0, allowlist(AMA), name="lockdown"), monitor)
    w.run(DAY)
    r = w.records
    assert [(int(m), w.actor_names[a], Outcome(o).name) for m, a, o in
            zip(r["machine"], r["actor"], r["outcome"], strict=True)] == [
        (0, "lockdown", "APPLIED"),
        *((m, who, "APPLIED") for m in (1, 2) for who in ("lockdown", "monitor"))]
