"""``sim.plan``'s inputs read as a run reads them: policy definitions given to the plan like a
scenario's ``policies:``, runbook files within the readers' size limit, and what the plan
counts as reached."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from helpers import AMA, CSE, DEP, allowlist

from sim.planning import Plan, PlanError, plan
from sim.scenario.limits import ReadLimits
from sim.scenario.schema import Scenario

ROOT = Path(__file__).parent.parent
DINE_AMA = ROOT / "scenarios" / "policies" / "AzureMonitor_Agent_Windows_HybridVM_DINE.json"
COUNT_NICS = ROOT / "tests/data/real/policy/custom" / "count-network-interfaces.json"
NICS = {"networkProfile": {"networkInterfaces": [
    {"ipAddresses": [{"address": f"10.0.{i}.4"}]} for i in range(2)]}}


def scenario(*groups: dict[str, object], **more: object) -> Scenario:
    return Scenario.model_validate({"name": "inputs", "duration": "1d", "fleet": list(groups),
                                    **more})


def installs(made: Plan, extension: str, outcome: str) -> int:
    s = made.summary
    hit = s[(s.extension == extension) & (s.action == "install") & (s.outcome == outcome)]
    return int(hit.machines.sum())


MULTI = {"group": "multi", "count": 3, "agent_version": "1.45", "properties": NICS}
SINGLE = {"group": "single", "count": 2, "agent_version": "1.45"}
LINUX = {"group": "lnx", "count": 2, "os": "linux", "agent_version": "1.45"}


# --- policies given to the plan ----------------------------------------------------------------


def test_r26_a_policy_given_to_the_plan_reads_the_fleets_properties_as_a_scenarios_does() -> None:
    lockdown = [allowlist(AMA)]
    given = plan(scenario(MULTI, SINGLE), lockdown, policies=[COUNT_NICS])
    inside = plan(scenario(MULTI, SINGLE, policies=[{"name": "count-network-interfaces",
                                                     "definition": str(COUNT_NICS)}]), lockdown)
    assert installs(given, DEP, "blocked") == 3  # the multi-homed machines only
    for frame in ("summary", "verdicts"):
        pd.testing.assert_frame_equal(getattr(given, frame), getattr(inside, frame))


def test_r26_a_deploy_if_not_exists_policy_given_to_the_plan_requests_its_extension() -> None:
    windows = {"group": "win", "count": 3, "os": "windows", "agent_version": "1.45"}
    made = plan(scenario(windows, LINUX), [allowlist(DEP)], policies=[DINE_AMA])
    assert installs(made, AMA, "blocked") == 3
    requested = made.verdicts[made.verdicts.status == "requested"]
    assert set(requested.group) == {"win"}  # a Windows definition: not the Linux machines
    inside = plan(scenario(windows, LINUX, policies=[{"name": "ama",
                                                      "definition": str(DINE_AMA)}]),
                  [allowlist(DEP)])
    pd.testing.assert_frame_equal(made.verdicts, inside.verdicts)


def test_r26_a_policy_given_to_the_plan_adds_to_a_scenarios_requests() -> None:
    windows = {"group": "win", "count": 2, "os": "windows", "agent_version": "1.45"}
    made = plan(scenario(windows, timeline=[{"at": "1h", "install": CSE}]), [allowlist(DEP)],
                policies=[DINE_AMA])
    rows = made.verdicts[made.verdicts.machine == 0]
    assert dict(zip(rows.extension, rows.status, strict=True)) == {CSE: "requested",
                                                                   AMA: "requested"}


# --- runbook files -----------------------------------------------------------------------------


def test_a_runbook_file_past_the_size_limit_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runbook = tmp_path / "big.sh"
    runbook.write_text(allowlist(AMA) + "\n")
    monkeypatch.setattr("sim.planning.planner.LIMITS", ReadLimits(max_bytes=16))
    with pytest.raises(PlanError, match=r"big\.sh: cannot read: larger than 16 bytes"):
        plan(scenario(SINGLE), runbook)


@pytest.mark.parametrize(("content", "message"), [
    (None, "nope.sh: no such file (a runbook of azcmagent commands)"),
    (b"azcmagent config list\n\xe9\n", "nope.sh: not UTF-8 text (byte 22: invalid"),
])
def test_a_runbook_file_that_cannot_be_used_is_one_message(
        tmp_path: Path, content: bytes | None, message: str) -> None:
    runbook = tmp_path / "nope.sh"
    if content is not None:
        runbook.write_bytes(content)
    with pytest.raises(PlanError) as caught:
        plan(scenario(SINGLE), runbook)
    assert str(caught.value).startswith(f"{tmp_path}/{message}")


def test_a_runbook_file_keeps_its_byte_order_mark_out_of_the_first_command(
        tmp_path: Path) -> None:
    runbook = tmp_path / "bom.sh"
    runbook.write_bytes(b"\xef\xbb\xbf" + allowlist(AMA).encode() + b"\n")
    [use] = plan(scenario(SINGLE), runbook).lockdown
    assert (use.commands, use.skipped) == (1, ())


def test_read_text_names_what_is_wrong_with_the_file(tmp_path: Path) -> None:
    from sim.files import FileError, file_problem, read_text

    def problem(path: Path, limit: int | None = None) -> str:
        with pytest.raises(FileError) as caught:
            read_text(path, limit=limit)
        return file_problem(caught.value)

    big = tmp_path / "big.txt"
    big.write_text("0123456789")
    assert read_text(big, limit=10) == "0123456789"
    assert problem(big, 9) == f"{big}: cannot read: larger than 9 bytes"
    assert problem(tmp_path / "none") == f"{tmp_path}/none: no such file"
    assert problem(tmp_path) == f"{tmp_path}: cannot read: is a directory, not a file"


# --- what the plan counts as reached ------------------------------------------------------------


def test_r30_machines_without_a_runbook_are_not_counted_as_reached() -> None:
    old = {"group": "old", "count": 2, "agent_version": "1.14"}
    made = plan(scenario(MULTI, SINGLE, old), groups={"multi": [allowlist(AMA)],
                                                      "old": [allowlist(AMA)]})
    assert (made.machine_count, made.locked, made.reached, made.missed) == (7, 5, 3, 2)
    assert not made.machines[made.machines.group == "single"].reached.any()
    bare = plan(scenario(MULTI))
    assert (bare.locked, bare.reached, bare.missed) == (0, 0, 0)


def test_a_runbook_without_agent_commands_reaches_no_machine() -> None:
    made = plan(scenario(SINGLE), ["# nothing yet", "echo later"])
    assert (made.locked, made.reached) == (0, 0)


def test_r27_the_paths_summary_names_the_roles_that_could_use_each_path() -> None:
    made = plan(scenario(SINGLE, LINUX))
    roles = made.paths.set_index("path").roles
    assert roles["no_lockdown"] == ("Azure Connected Machine Resource Administrator, "
                                    "Contributor, Owner")
    assert "Resource Policy Contributor" in roles["guest_configuration"]
