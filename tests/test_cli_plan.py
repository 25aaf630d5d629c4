"""``arcsim plan``: the report-style table, --json, --csv, and located errors with exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from helpers import AMA, Arcsim, allowlist

ROOT = Path(__file__).parent.parent
LINUX_AMA = ROOT / "scenarios" / "runbooks" / "article-linux-ama.txt"
DENY_MMA = ROOT / "scenarios" / "policies" / "LogAnalyticsExtension_Windows_HybridVM_Deny.json"


@pytest.fixture
def windows_runbook(tmp_path: Path) -> Path:
    path = tmp_path / "windows.sh"
    path.write_text(f"{allowlist(AMA, 'Microsoft.Azure.AzureDefenderForServers/MDE.Windows')}\n"
                    "azcmagent config set guestconfiguration.enabled false\n")
    return path


def test_plan_prints_what_the_lockdown_does_who_it_misses_and_what_stays_open(
        arcsim: Arcsim, windows_runbook: Path) -> None:
    status, out, err = arcsim("plan", "--fleet", "default", "--lockdown", str(windows_runbook),
                              "--group", f"app-*={LINUX_AMA}")
    assert (status, err) == (0, "")
    assert "2,000 machines, 1,920 reached by every line of their runbook" in out
    assert f"{LINUX_AMA}: 2 commands, for app-linux" in out
    for text in ("What the lockdown does, by extension (2,000 machines)",
                 "DependencyAgentLinux", "763 blocked", "not on allowlist (R13)",
                 "Machines the lockdown does not fully reach: 80 of 2,000",
                 "key_unavailable (R30)", "Open override paths left",
                 "dev (contributor)", "agent too old"):
        assert text in out, text


def test_plan_json_is_the_whole_plan(arcsim: Arcsim, windows_runbook: Path) -> None:
    status, out, _ = arcsim("plan", "--fleet", "default", "--lockdown", str(windows_runbook),
                            "--json")
    data = json.loads(out)
    assert status == 0 and data["machines"] == 2000
    assert len(data["per_machine"]["machines"]) == 2000
    assert data["lockdown"][0]["groups"] == ["web-win", "sql-win", "app-linux"]


def test_plan_csv_writes_one_row_per_machine_and_extension(
        arcsim: Arcsim, windows_runbook: Path, tmp_path: Path) -> None:
    target = tmp_path / "plan.csv"
    status, out, _ = arcsim("plan", "--fleet", "default", "--lockdown", str(windows_runbook),
                            "--csv", str(target))
    table = pd.read_csv(target)
    assert status == 0 and f"rows (machine x extension) written to {target}" in out
    assert table.machine.nunique() == 2000
    assert set(table[table.group == "sql-win"].upgrade) == {"allowed", "blocked"}


def test_plan_csv_to_stdout(arcsim: Arcsim, windows_runbook: Path) -> None:
    status, out, _ = arcsim("plan", "--fleet", "default", "--lockdown", str(windows_runbook),
                            "--csv", "-")
    assert status == 0
    assert out.startswith('"machine","name","group","agent_version","extension","status"')
    assert len(out.splitlines()) == 1 + 2000 * 2 + 800  # header, installed, Custom Script


def test_plan_with_a_policy_definition_and_parameters(arcsim: Arcsim) -> None:
    status, out, _ = arcsim("plan", "--fleet", "default", "--policy",
                            f'{DENY_MMA}={{"effect": "Deny"}}', "--request",
                            "Microsoft.EnterpriseCloud.Monitoring/MicrosoftMonitoringAgent")
    assert status == 0
    assert "1,200 denied" in out and "policy deny (R26)" in out
    assert "no lockdown for web-win, sql-win, app-linux" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["--lockdown", "missing.sh"], "arcsim: error: missing.sh: no such file"),
    (["--group", "web-win"], "argument --group: expected PATTERN=RUNBOOK"),
    (["--group", "nothing*=x.sh"], 'group "nothing*" matches no group of the fleet'),
    (["--policy", "p.json={effect"], "the parameters after '=' are not JSON (column 2"),
    (["--policy", "missing.json"], "missing.json: cannot read"),
    (["--request", "CustomScript"], 'argument --request: "CustomScript" is not an extension'),
    (["--agent-version", "1.x"], 'expected an agent version like "1.35", got "1.x"'),
    (["--reading", "allow_none_before_1_35"], 'expected NAME=VALUE (a reading, "=", its '
                                              'value), got "allow_none_before_1_35"'),
    (["--seed", "-1"], "argument --seed: expected a seed from 0 to 9223372036854775807, got -1"),
    (["--seed", str(2**63)], f"expected a seed from 0 to {2**63 - 1}, got {2**63}"),
    (["--seed", "1.5"], 'argument --seed: expected a whole number, got "1.5"'),
    (["--reading", "disabled_manager_requests=later"],
     'readings: disabled_manager_requests: expected one of fail, wait, got "later"'),
])
def test_plan_bad_input_is_one_located_message_and_exit_2(
        arcsim: Arcsim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        argv: list[str], message: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.sh").write_text("azcmagent config list\n")
    status, out, err = arcsim("plan", "--fleet", "default", *argv)
    assert (status, out) == (2, "")
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_plan_of_a_bad_scenario_prints_its_located_errors(
        arcsim: Arcsim, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nduration: 1d\nfleet:\n  - group: a\n    count: 0\n"
                   "    agent_version: \"1.45\"\n")
    status, _, err = arcsim("plan", "--fleet", str(bad))
    assert status == 2 and "bad.yaml:5: fleet[0].count" in err


def test_plan_reading_changes_how_an_open_question_is_read(arcsim: Arcsim,
                                                           tmp_path: Path) -> None:
    runbook = tmp_path / "esu.sh"
    runbook.write_text('azcmagent config set extensions.allowlist "Allow/None"\n')
    fleet = tmp_path / "old.yaml"
    fleet.write_text('fleet:\n  - group: old\n    count: 2\n    os: windows\n'
                     f'    agent_version: "1.30"\n    extensions: ["{AMA}"]\n')
    argv = ["plan", "--fleet", str(fleet), "--lockdown", str(runbook)]
    status, out, _ = arcsim(*argv)
    assert status == 0 and "2 machines, 0 reached" in out
    status, out, _ = arcsim(*argv, "--reading", "allow_none_before_1_35=ordinary_entry")
    assert status == 0 and "2 machines, 2 reached" in out
    assert "reading allow_none_before_1_35 = ordinary_entry (default refused)" in out


def test_plan_heading_counts_reached_machines_among_those_with_a_runbook(arcsim: Arcsim) -> None:
    status, out, _ = arcsim("plan", "--fleet", "default", "--group", f"app-*={LINUX_AMA}")
    assert status == 0
    assert ("2,000 machines, 800 with a runbook, 763 of them reached by every line of it"
            in out)
    assert "Machines the lockdown does not fully reach: 37 of 2,000" in out


def test_plan_without_a_lockdown_says_so_and_lists_no_unreachable_machines(
        arcsim: Arcsim) -> None:
    status, out, _ = arcsim("plan", "--fleet", "default")
    assert status == 0
    assert "Plan for default: 2,000 machines, no lockdown (the fleet as it is)" in out
    assert "reached" not in out and "fully reach" not in out


def test_plan_table_adds_up_quiet_outcomes_over_their_rules() -> None:
    from rich.console import Console

    from sim.cli.plan import extension_table

    summary = pd.DataFrame([(AMA, "install", "allowed", "no_lockdown", "R12", 1_500),
                            (AMA, "install", "allowed", "on_allowlist", "R13", 700),
                            (AMA, "install", "blocked", "not_on_allowlist", "R13", 3),
                            (AMA, "update", "allowed", "on_allowlist", "R13", 9)],
                           columns=["extension", "action", "outcome", "reason", "rule",
                                    "machines"])
    console = Console(width=200, record=True)
    console.print(extension_table(summary, 2_203))
    text = console.export_text()
    assert "2,200 allowed" in text and "3 blocked" in text and "9 allowed" in text
    assert "1,500 allowed" not in text


def test_plan_of_a_fleet_without_actors_names_the_roles_that_could_use_a_path() -> None:
    from rich.console import Console

    from sim.cli.plan import paths_table
    from sim.planning import plan
    from sim.scenario.schema import Scenario

    made = plan(Scenario.model_validate({"name": "f", "duration": "1d", "fleet": [
        {"group": "a", "count": 2, "agent_version": "1.45"}]}))
    console = Console(width=300, record=True)
    console.print(paths_table(made.paths, made.machine_count))
    assert ("no actor known (a scenario names them); roles that could: Azure Connected Machine "
            "Resource Administrator, Contributor, Owner") in console.export_text()
