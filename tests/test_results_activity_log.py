"""The activity log (R5, R29): every Azure operation with its caller and outcome, the
operation names Azure uses, automatic upgrades by "Azure Regional Service Manager"; local
removals and their reinstalls (R6) are not Azure operations."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from helpers import Arcsim

import sim
from sim.engine import (
    DAY,
    CloudRequest,
    FleetSpec,
    GroupSpec,
    InstalledExtension,
    LocalRemoval,
    Timing,
    World,
)
from sim.engine.policy import PolicyAdmin, PolicyRule
from sim.engine.upgrades import AutoUpgrade
from sim.results.activity import (
    activity_chunks,
    activity_log,
    to_azure_json,
    write_activity_log,
)
from sim.results.records import records_frame
from sim.rules.activity import (
    AUTO_UPGRADE_CALLER,
    EXTENSION_DELETE,
    EXTENSION_WRITE,
    POLICY_DENY,
    UPGRADE_ACTION,
    operation_name,
)
from sim.runs.merge import tables_of

AMA = "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent"
CSE = "Microsoft.Compute/CustomScriptExtension"
MMA = "Microsoft.EnterpriseCloud.Monitoring/MicrosoftMonitoringAgent"


def log_of(world: World) -> pd.DataFrame:
    return activity_log(records_frame(world.records.columns, tables_of(world)), run="t")


def fleet(count: int = 3, commands: tuple[str, ...] = ()) -> FleetSpec:
    return FleetSpec((GroupSpec("rg-web", count, agent_versions={"1.40": 1.0},
                                extensions=(InstalledExtension(AMA, version="1.0"),),
                                commands=commands),))


@pytest.mark.parametrize(("operation", "name"), [
    ("install", EXTENSION_WRITE), ("update", EXTENSION_WRITE), ("upgrade", UPGRADE_ACTION),
    ("delete", EXTENSION_DELETE)])
def test_r29_operation_names(operation: str, name: str) -> None:
    assert operation_name(operation) == name


def test_r5_every_request_is_logged_with_its_caller_and_how_it_ended() -> None:
    w = World(fleet(commands=(f'azcmagent config set extensions.allowlist "{AMA},{MMA}"',)),
              seed=2)
    w.add(CloudRequest("alice", operation="install", extension=MMA, timing=Timing(at=60)))
    w.add(CloudRequest("bob", operation="install", extension=CSE, timing=Timing(at=120)))
    w.add(CloudRequest("carol", operation="delete", extension=AMA, timing=Timing(at=600)))
    w.run(DAY)
    log = log_of(w)
    started = log[log["status"] == "Started"]
    assert sorted(started["caller"].value_counts().items()) == [
        ("alice", 3), ("bob", 3), ("carol", 3)]
    ends = log[log["status"] != "Started"].set_index("correlationId")
    assert set(ends.index) == set(started["correlationId"])    # each operation ends once
    final = ends.groupby("caller")["status"].agg(lambda s: sorted(set(s)))
    assert final.to_dict() == {"alice": ["Succeeded"], "bob": ["Failed"],
                               "carol": ["Succeeded"]}
    assert set(ends.loc[ends["caller"] == "carol", "operationName"]) == {EXTENSION_DELETE}
    assert all("/resourceGroups/rg-web/providers/Microsoft.HybridCompute/machines/" in rid
               for rid in log["resourceId"])


def test_r29_automatic_upgrades_are_called_by_azure_regional_service_manager() -> None:
    w = World(fleet(), seed=3)
    w.add(AutoUpgrade(AMA, "2.0", at=3_600, window=3_600, batches=1))
    w.run(DAY)
    log = log_of(w)
    assert set(log["operationName"]) == {UPGRADE_ACTION}
    assert set(log["caller"]) == {AUTO_UPGRADE_CALLER}
    assert (log["status"] == "Started").sum() == 3


def test_r29_a_policy_deny_is_a_forbidden_request_disallowed_by_policy() -> None:
    w = World(fleet(count=2), seed=4)
    w.add(PolicyAdmin("secops", "assign", "no-scripts", at=0,
                      rule=PolicyRule.deny_listed([CSE])))
    w.add(CloudRequest("dev", operation="install", extension=CSE, timing=Timing(at=60)))
    w.run(DAY)
    log = log_of(w)
    admin = log[log["category"] == "Administrative"]
    assert list(admin["status"]) == ["Failed", "Failed"]
    assert set(admin["subStatus"]) == {"Forbidden"}
    assert all(json.loads(m)["error"]["code"] == "RequestDisallowedByPolicy"
               for m in admin["statusMessage"])
    assert list(log.loc[log["category"] == "Policy", "operationName"]) == [POLICY_DENY] * 2
    events = to_azure_json(admin)
    assert events[0]["properties"]["statusCode"] == "Forbidden"
    assert events[0]["operationName"]["value"] == EXTENSION_WRITE


def test_r6_reinstall_churn_is_not_in_the_activity_log() -> None:
    w = World(fleet(), seed=5)
    w.add(LocalRemoval("cleanup", extension=AMA, timing=Timing(at=600)))
    w.run(DAY)
    records = records_frame(w.records.columns, tables_of(w))
    assert (records["operation"] == "reinstall").sum() == 3
    assert log_of(w).empty


def test_r29_cli_writes_the_log_as_the_azure_cli_prints_it(tmp_path: Path,
                                                           arcsim: Arcsim) -> None:
    result = sim.run("default", scale=0.02, out=tmp_path)
    out = tmp_path / "log.json"
    assert arcsim("activity-log", result.path, "--out", out).status == 0
    events = json.loads(out.read_text())
    assert len(events) == len(result.activity_log()) > 0
    assert {e["resourceType"]["value"] for e in events} == {
        "Microsoft.HybridCompute/machines/extensions"}
    done = arcsim("activity-log", result.path)
    assert done.status == 0
    assert "Azure Regional Service Manager" in done.out
    done = arcsim("activity-log", tmp_path / "nope")
    assert done.status == 2
    assert "not a result folder" in done.err


def test_r29_the_log_is_written_chunk_by_chunk_with_the_bytes_of_one_json_dump(
        tmp_path: Path) -> None:
    """A big run's log is made and written a chunk of events at a time; the file is the
    standard encoder's ``json.dumps(events, indent=2)``, whatever the chunks, even for
    characters it escapes (quotes, backslashes, non-ASCII)."""
    w = World(fleet(count=4), seed=4)
    w.add(PolicyAdmin("secops", "assign", "no-scripts", at=0,
                      rule=PolicyRule.deny_listed([CSE])))
    w.add(CloudRequest("dev", operation="install", extension=CSE, timing=Timing(at=60)))
    w.add(CloudRequest("ops", operation="upgrade", extension=AMA, version="2.0",
                       timing=Timing(at=120, window=600)))
    w.run(DAY)
    records = records_frame(w.records.columns, tables_of(w))
    whole = activity_log(records, run="t")
    assert len(whole) > 8 and set(whole["category"]) == {"Administrative", "Policy"}
    chunks = list(activity_chunks(records, run="t", size=3))
    assert len(chunks) > 2 and pd.concat(chunks, ignore_index=True).equals(whole)
    odd = whole.copy()
    odd["caller"] = 'dev "ops" \\ équipe ✓'
    odd["statusMessage"] = json.dumps({"error": {"code": "X", "message": "a\nb\t\"c\""}})
    for name, events in (("whole", whole), ("odd", odd)):
        expected = json.dumps(to_azure_json(events, run="t"), indent=2) + "\n"
        parts = [events.iloc[i:i + 4] for i in range(0, len(events), 4)]
        written = write_activity_log(parts, tmp_path / f"{name}.json", run="t")
        assert written.events == len(events)
        assert (tmp_path / f"{name}.json").read_text(encoding="utf-8") == expected, name
        write_activity_log(parts, tmp_path / f"{name}.csv", fmt="csv")
        assert (tmp_path / f"{name}.csv").read_text(encoding="utf-8") == \
            events.to_csv(index=False, lineterminator="\n")
    assert write_activity_log([], tmp_path / "none.json").events == 0
    assert (tmp_path / "none.json").read_text() == "[]\n"
