"""Replaying an Azure activity log (R5, R29): its extension operations are sent again, by
their callers, at their times; the scenario's lockdown decides. Round trip: a run's own log
replayed on the same fleet without the lockdown sends the same requests."""

from __future__ import annotations

import csv
import json
import shutil
import textwrap
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from helpers import Arcsim

import sim
from sim.cli import main
from sim.engine import Outcome
from sim.engine.snapshot import snapshot
from sim.rules.activity import AUTO_UPGRADE_CALLER, EXTENSION_DELETE, EXTENSION_WRITE
from sim.runs.execute import run_world
from sim.runs.merge import output_of
from sim.scenario.build import build_world
from sim.scenario.loading import load_scenario
from sim.scenario.replay import ReplayWarning
from sim.scenario.replay_log import read_operations
from sim.scenario.source import ScenarioError

DATA = Path(__file__).parent / "data"
AMA = "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent"
FLEET = """\
fleet:
  - group: web
    count: 30
    agent_version: "1.45"
    extensions:
      - {name: Microsoft.Azure.Monitor/AzureMonitorWindowsAgent, version: "1.20"}
  - group: app
    count: 20
    os: linux
    agent_version: "1.45"
    extensions:
      - {name: Microsoft.Azure.Monitor/AzureMonitorLinuxAgent, version: "1.20"}
      - {name: Microsoft.Azure.Monitoring.DependencyAgent/DependencyAgentLinux, version: "9.10"}
"""
ALLOW_AMA = f'azcmagent config set extensions.allowlist "{AMA}"'
HISTORY = f"""\
name: history
duration: 6d
seed: 3
{FLEET}
policies:
  - {{name: no-scripts, scope: app, deny: [Microsoft.Azure.Extensions/CustomScript]}}
timeline:
  - {{at: 1h, window: 2h, target: {{group: web, share: 0.5}}, run: ['{ALLOW_AMA}']}}
  - {{at: 3h, window: 1d, actor: dev, role: Contributor, target: {{group: web, share: 0.3}},
     install: Microsoft.Compute/CustomScriptExtension}}
  - {{at: 3h, window: 1d, actor: dev, role: Contributor, target: {{group: app, share: 0.3}},
     install: Microsoft.Azure.Extensions/CustomScript}}
  - {{at: 2d, window: 1d, actor: ops, target: {{group: web, share: 0.5}},
     update: Microsoft.Azure.Monitor/AzureMonitorWindowsAgent, settings: '{{"a": 1}}'}}
  - {{at: 3d, window: 1d, actor: ops, target: {{group: app, share: 0.5}},
     delete: Microsoft.Azure.Monitoring.DependencyAgent/DependencyAgentLinux}}
  - {{at: 4d, window: 1h, actor: ops, target: {{group: app, share: 0.2}},
     install: Microsoft.Azure.Monitoring.DependencyAgent/DependencyAgentLinux}}
  - {{at: 2d, auto_upgrade: {{extension: Microsoft.Azure.Monitor/AzureMonitorWindowsAgent,
     version: "1.22", window: 2d, batches: 2}}}}
  - {{every: 1d, from: 4h, window: 1h, rate: 0.1, actor: pipeline, target: {{group: app}},
     upgrade: Microsoft.Azure.Monitor/AzureMonitorLinuxAgent}}
"""


def replaying(log: str, extra: str = "", timeline: str = "", expect: str = "") -> str:
    return (f"name: replayed\nduration: 6d\nseed: 3\n{FLEET}{extra}timeline:\n{timeline}"
            f"  - {{name: history, replay: {log}}}\n{expect}")


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    folder = tmp_path_factory.mktemp("history")
    (folder / "history.yaml").write_text(HISTORY)
    result = sim.run(folder / "history.yaml", out=folder / "out", report=False,
                     activity_log=True)
    shutil.copy(result.path / "activity_log.json", folder / "log.json")
    assert main(["activity-log", str(result.path), "--format", "csv", "--out",
                 str(folder / "log.csv")]) == 0
    return result, folder


def run(folder: Path, text: str, **options: Any) -> Any:
    (folder / "s.yaml").write_text(text)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ReplayWarning)
        return sim.run(folder / "s.yaml", out=folder / "runs", report=False, **options)


def requests(result: Any) -> pd.DataFrame:
    """What reached Azure: accepted or refused requests, by time."""
    r = result.records
    sent = r[r["outcome"].isin(["requested", "denied"])]
    frame = pd.DataFrame({"time": sent["time"].to_numpy(), "machine": sent["machine"].to_numpy(),
                          "extension": sent["extension"].astype(str).to_numpy(),
                          "operation": sent["operation"].astype(str).to_numpy(),
                          "actor": sent["actor"].astype(str).to_numpy()})
    return frame.sort_values(["machine", "time", "extension"], ignore_index=True)


def same_requests(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert len(a) == len(b) > 50
    columns = ["machine", "extension", "operation", "actor"]
    assert a[columns].equals(b[columns])
    assert np.abs(a["time"].to_numpy() - b["time"].to_numpy()).max() < 1e-6  # log: us


@pytest.mark.parametrize("log", ["log.json", "log.csv"])
def test_r29_a_runs_own_log_replayed_without_the_lockdown_sends_the_same_requests(
        history: tuple[Any, Path], log: str) -> None:
    original, folder = history
    replayed = run(folder, replaying(log))
    same_requests(requests(original), requests(replayed))
    assert set(requests(replayed)["actor"]) == {"dev", "ops", "pipeline", AUTO_UPGRADE_CALLER}
    assert replayed.metrics["blocked"]["total"] == 0 < original.metrics["blocked"]["total"]


def test_r13_the_candidate_lockdown_decides_what_the_replayed_requests_do(
        history: tuple[Any, Path]) -> None:
    original, folder = history
    lockdown = f"  - {{at: 0s, run: ['{ALLOW_AMA}'], target: {{group: web}}}}\n"
    locked = run(folder, replaying("log.json", timeline=lockdown))
    same_requests(requests(original), requests(locked))
    blocked = locked.metrics["blocked"]
    assert blocked["install"]["not_on_allowlist"] > 0
    assert blocked["by_extension"].get("Microsoft.Compute/CustomScriptExtension", 0) > 0
    assert blocked["by_group"] == {"web": blocked["total"]}


def test_r26_r27_replayed_callers_act_with_their_declared_roles(
        history: tuple[Any, Path]) -> None:
    _, folder = history
    policy = "policies:\n  - {name: no-scripts, deny: [Microsoft.Compute/CustomScriptExtension]}\n"
    result = run(folder, replaying("{file: log.json, roles: {dev: Reader, 'op*': Owner}}",
                                   extra=policy))
    r = result.records
    refused = r[r["outcome"] == "denied"]
    assert set(refused["actor"].astype(str)) == {"dev"}
    assert set(refused["reason"].astype(str)) == {"authorization_failed"}  # before the deny
    assert result.metrics["policy"]["authorization_failed"] == len(refused) > 0


def test_a_replay_shifts_the_logs_first_day_to_at(history: tuple[Any, Path]) -> None:
    original, folder = history
    text = replaying("log.json").replace("{name: history, replay:",
                                         "{name: history, at: 1d, replay:")
    shifted = requests(run(folder, text))
    before = requests(original)
    late = before["time"] + 86_400.0 < 6 * 86_400.0
    assert len(shifted) == int(late.sum())
    assert np.allclose(np.sort(shifted["time"]), np.sort(before["time"][late] + 86_400.0),
                       atol=1e-6)


def test_replayed_requests_are_the_same_in_every_shard(history: tuple[Any, Path]) -> None:
    _, folder = history
    (folder / "s.yaml").write_text(replaying("log.json"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ReplayWarning)
        scenario = load_scenario(folder / "s.yaml")
    whole = build_world(scenario, base=folder)
    whole.run(scenario.duration)
    one = output_of(snapshot(whole))
    split = run_world(scenario, folder, shards=3, workers=1)
    many, plan = split.output, split.plan
    assert plan is not None
    assert len(plan.ranges) == 3
    assert all(np.array_equal(one.columns[c], many.columns[c]) for c in one.columns)


def test_ids_with_no_machine_and_unknown_extensions_are_skipped_and_counted(
        history: tuple[Any, Path]) -> None:
    _, folder = history
    text = (folder / "log.json").read_text().replace("machine-0000003", "machine-9999999")
    text = text.replace("/resourceGroups/app/", "/resourceGroups/other/", 1)
    text = text.replace("/extensions/CustomScriptExtension\"", "/extensions/MyScript\"", 1)
    (folder / "odd.json").write_text(text)
    (folder / "s.yaml").write_text(replaying("odd.json"))
    with pytest.warns(ReplayWarning) as caught:
        load_scenario(folder / "s.yaml")
    notice = str(caught[0].message)
    assert notice.startswith("replay odd.json: ")
    assert "on resource ids that name no machine of the fleet were skipped (e.g. " in notice
    assert "web/machine-9999999" in notice and "other/machine-" in notice
    assert "1 operations on extensions it cannot name were skipped (e.g. MyScript; name " \
           "them in extensions:)" in notice
    (folder / "s.yaml").write_text(replaying(
        "{file: odd.json, extensions: {MyScript: Microsoft.Compute/CustomScriptExtension}}"))
    with pytest.warns(ReplayWarning) as caught:
        load_scenario(folder / "s.yaml")
    assert "cannot name" not in str(caught[0].message)


def events(folder: Path) -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = json.loads((folder / "log.json").read_text())
    return loaded


@pytest.mark.parametrize(("change", "message"), [
    (lambda ev: {"value": 3}, 'odd.json: expected a JSON list of events (az monitor '
                              'activity-log list) or an object with a "value" list (the REST '
                              'API), got an object without a "value" list'),
    (lambda ev: [*ev[:2], 7], "odd.json: [2]: expected an event object, got 7"),
    (lambda ev: [*ev[:3], {**ev[3], "eventTimestamp": "yesterday"}],
     'odd.json: [3]: cannot read the time "yesterday": expected ISO 8601 like '
     '"2026-01-05T10:00:00Z"'),
    (lambda ev: [{k: v for k, v in ev[0].items() if k != "eventTimestamp"}],
     "odd.json: [0].eventTimestamp: expected a text, missing"),
    (lambda ev: [{**ev[0], "operationName": {"value": "Microsoft.HybridCompute/machines/"
                                                      "extensions/restart/action"}}],
     'odd.json: [0]: unknown operation "Microsoft.HybridCompute/machines/extensions/restart/'
     'action" on an Arc extension: expected Microsoft.HybridCompute/machines/extensions/'
     "write, Microsoft.HybridCompute/machines/extensions/delete or "
     "Microsoft.HybridCompute/machines/upgradeExtensions/action"),
])
def test_a_bad_log_is_a_located_error_naming_the_entry(
        history: tuple[Any, Path], change: Any, message: str) -> None:
    _, folder = history
    (folder / "odd.json").write_text(json.dumps(change(events(folder))))
    (folder / "s.yaml").write_text(replaying("odd.json"))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(folder / "s.yaml")
    assert str(caught.value) == f"{folder}/s.yaml:18: timeline[0].replay: {folder}/{message}"


def test_a_bad_log_given_with_replay_on_the_command_line_names_the_flag(
        history: tuple[Any, Path], arcsim: Arcsim) -> None:
    _, folder = history
    (folder / "odd.json").write_text("[1]")
    (folder / "plain.yaml").write_text(f"name: plain\nduration: 1d\n{FLEET}")
    status, _, err = arcsim("run", folder / "plain.yaml", "--replay", folder / "odd.json",
                            "--quiet", "--no-report", "--out", folder / "runs")
    assert status == 2
    assert f"--replay {folder}/odd.json: timeline[0].replay: " in err
    assert "[0]: expected an event object, got 1" in err and "Traceback" not in err
    done = arcsim("run", folder / "plain.yaml", "--replay", folder / "log.json",
                  "--json", "--no-report", "--out", folder / "runs")
    assert done.status == 0
    assert json.loads(done.out)["requests"] > 10
    assert "arcsim: notice: replay " in done.err
    assert "operations after the run's end (1d) were not sent" in done.err


# --- formats ------------------------------------------------------------------------------------


def test_the_rest_apis_real_pages_are_read_and_their_other_operations_counted(
        tmp_path: Path) -> None:
    for name in ("GetActivityLogsFiltered.json", "GetActivityLogsFilteredAndSelected.json"):
        example = json.loads((DATA / "activity" / name).read_text())
        page = tmp_path / name
        page.write_text(json.dumps(example["responses"]["200"]["body"]))
        ops = read_operations(page)
        assert (len(ops.kind), ops.events, ops.other) == (0, 1, 1)
        assert ops.first_day_ns == pd.Timestamp("2015-01-21T00:00:00Z").value
        pages = tmp_path / "pages.json"  # several pages, as a list
        pages.write_text(json.dumps([example["responses"]["200"]["body"]] * 2))
        assert read_operations(pages).events == 2


PORTAL = ["Correlation id", "Operation name", "Status", "Event category", "Level", "Time",
          "Subscription", "Event initiated by", "Resource type", "Resource group", "Resource"]


def test_the_portals_csv_export_is_read(tmp_path: Path) -> None:
    ext = "Microsoft.HybridCompute/machines/extensions"
    rows = [
        ["c1", "Create or Update Azure Arc extension", "Started", "Administrative",
         "Informational", "2026-03-02T09:00:00.123Z", "sub", "alice@contoso.com", ext, "web",
         "machine-0000001/AzureMonitorWindowsAgent"],
        ["c1", "Create or Update Azure Arc extension", "Succeeded", "Administrative",
         "Informational", "2026-03-02T09:01:00Z", "sub", "alice@contoso.com", ext, "web",
         "machine-0000001/AzureMonitorWindowsAgent"],
        ["c2", "Delete Azure Arc extension", "Started", "Administrative", "Informational",
         "Tue Mar 03 2026 10:30:00 GMT+0100 (Central European Standard Time)", "sub",
         "bob@contoso.com", ext, "web", "machine-0000002/AzureMonitorWindowsAgent"],
        ["c3", "Create Virtual Machine", "Succeeded", "Administrative", "Informational",
         "2026-03-03T11:00:00Z", "sub", "bob@contoso.com", "Microsoft.Compute/virtualMachines",
         "web", "vm1"],
    ]
    path = tmp_path / "portal.csv"
    with path.open("w", newline="") as out:
        csv.writer(out).writerows([PORTAL, *rows])
    ops = read_operations(path)
    assert ops.caller == ["alice@contoso.com", "bob@contoso.com"] and ops.other == 1
    assert [int(k) for k in ops.kind] == [0, 1] and not ops.failed.any()
    assert ops.resource[1].endswith("/resourceGroups/web/providers/Microsoft.HybridCompute/"
                                    "machines/machine-0000002/extensions/AzureMonitorWindowsAgent")
    day = pd.Timestamp("2026-03-02T00:00:00Z").value
    assert ops.first_day_ns == day
    assert (ops.time_ns - day).tolist() == [32_400_123_000_000, 120_600_000_000_000]


def test_a_csv_of_another_shape_is_a_located_error(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("when,what\n1,2\n")
    with pytest.raises(Exception, match=r"other.csv:1: expected the columns of the Azure "
                                        r"portal's activity log CSV .* found when, what"):
        read_operations(path)


def test_writes_are_installs_or_updates_by_whether_the_extension_was_there(
        tmp_path: Path) -> None:
    """Installed and Succeeded at the time: an update; absent, deleted, Failed: an install;
    a request Azure refused (403) changes nothing."""
    rid = ("/subscriptions/s/resourceGroups/web/providers/Microsoft.HybridCompute/machines/"
           "machine-0000000/extensions/AzureMonitorWindowsAgent")

    def event(t: int, op: str, status: str, sub: str = "", n: int = 0) -> dict[str, Any]:
        return {"eventTimestamp": f"2026-01-01T0{t}:00:00Z", "operationName": {"value": op},
                "status": {"value": status}, "subStatus": {"value": sub}, "caller": "u",
                "resourceId": rid, "correlationId": f"c{n}"}
    log = [event(1, EXTENSION_WRITE, "Succeeded", n=1),           # installed: update
           event(2, EXTENSION_WRITE, "Failed", "Forbidden", n=2),  # refused: still Succeeded
           event(3, EXTENSION_WRITE, "Failed", n=3),               # update, fails: Failed
           event(4, EXTENSION_WRITE, "Succeeded", n=4),            # Failed: install
           event(5, EXTENSION_DELETE, "Succeeded", n=5),
           event(6, EXTENSION_WRITE, "Started", n=6)]              # deleted: install
    (tmp_path / "log.json").write_text(json.dumps(log))
    text = (f"name: kinds\nduration: 1d\nfleet:\n  - {{group: web, count: 1, agent_version: "
            f'"1.45", extensions: [{AMA}]}}\ntimeline:\n  - {{replay: log.json}}\n')
    (tmp_path / "s.yaml").write_text(text)
    result = sim.run(tmp_path / "s.yaml", out=tmp_path / "out", report=False)
    sent = requests(result).sort_values("time")
    assert sent["operation"].tolist() == ["update", "update", "update", "install", "delete",
                                          "install"]


def test_an_imported_fleets_machines_are_matched_by_name_also_pseudonymised(
        tmp_path: Path) -> None:
    for name in ("cli-list.json", "cli-show.json", "cli-extensions.json"):
        shutil.copy(DATA / "inventory" / name, tmp_path / name)
    rid = ("/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-web/"
           "providers/Microsoft.HybridCompute/machines/{}/extensions/CustomScriptExtension")
    log = [{"eventTimestamp": "2026-02-01T10:00:00Z", "correlationId": f"c{i}",
            "operationName": {"value": EXTENSION_WRITE}, "status": {"value": "Started"},
            "caller": "alice@contoso.com", "resourceId": rid.format(machine)}
           for i, machine in enumerate(["web01", "WEB02", "nowhere"])]
    (tmp_path / "log.json").write_text(json.dumps(log))
    for anonymise in ("false", "true"):
        text = textwrap.dedent(f"""\
            name: imported
            duration: 1d
            fleet:
              from: [cli-list.json, cli-show.json, cli-extensions.json]
              anonymise: {anonymise}
            timeline:
              - {{replay: {{file: log.json, anonymise: true}}}}
            """)
        (tmp_path / "s.yaml").write_text(text)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scenario = load_scenario(tmp_path / "s.yaml")
        world = build_world(scenario, base=tmp_path)
        records = world.run(scenario.duration)
        assert sum(len(g.machine_names) for g in scenario.fleet) == 6
        sent = records["outcome"] == Outcome.REQUESTED
        assert len(set(records["machine"][sent].tolist())) == 2, anonymise  # not "nowhere"
        callers = {world.actor_names[a] for a in records["actor"][sent]}
        assert callers and all(c.startswith("caller-") for c in callers)
