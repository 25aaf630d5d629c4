"""Broken scenario files and the exact message each gets (style point 5).

Every message names the file and line (or the ``--set`` argument), the field, what was
expected and what was found; none is a traceback.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from helpers import Arcsim

from sim.scenario.loading import load_scenario, scenario_from_text
from sim.scenario.source import ScenarioError

BASE = """\
name: broken
duration: 2d
fleet:
  - group: web-win
    count: 10
    agent_version: "1.40"
    extensions: [Microsoft.Azure.Monitor/AzureMonitorWindowsAgent]
policies:
  - name: deny-scripts
    deny: [Microsoft.Compute/CustomScriptExtension]
timeline:
  - at: 1d
    target: {group: web-win}
    install: Microsoft.Compute/CustomScriptExtension
  - at: 2d
    unassign: deny-scripts
expect:
  reinstalls: 0
"""


def broken(old: str, new: str) -> str:
    assert old in BASE, old
    return BASE.replace(old, new, 1)


def error_of(text: str, overrides: tuple[str, ...] = ()) -> str:
    with pytest.raises(ScenarioError) as caught:
        scenario_from_text(text, "broken.yaml", overrides=overrides)
    return str(caught.value)


def test_the_base_file_is_valid() -> None:
    assert scenario_from_text(BASE, "broken.yaml").name == "broken"


@pytest.mark.parametrize(("old", "new", "message"), [
    pytest.param("duration: 2d", "duration: 2 days",
                 'broken.yaml:2: duration: expected a duration like "90s", "5m", "2h", "3d" or '
                 '"1w", got "2 days"', id="bad-duration"),
    pytest.param('agent_version: "1.40"', "agent_version: 1.40",
                 'broken.yaml:6: fleet[0].agent_version: expected a version string like "1.35", '
                 "got 1.4 (a number: quote it)", id="float-version"),
    pytest.param('agent_version: "1.40"', 'agent_verison: "1.40"',
                 'broken.yaml:6: fleet[0].agent_verison: unknown key "agent_verison", did you '
                 'mean "agent_version"?', id="unknown-key-with-suggestion"),
    pytest.param("{group: web-win}", "{group: web}",
                 'broken.yaml:13: timeline[0].target.group: unknown group "web", did you mean '
                 '"web-win"?', id="unknown-group-in-target"),
    pytest.param("unassign: deny-scripts", "unassign: allow-scripts",
                 'broken.yaml:16: timeline[1].unassign: unknown assignment "allow-scripts", did '
                 'you mean "deny-scripts"?', id="unknown-policy-in-unassign"),
    pytest.param("install: Microsoft.Compute/CustomScriptExtension",
                 "install: CustomScriptExtension",
                 'broken.yaml:14: timeline[0].install: "CustomScriptExtension" is not an extension '
                 'name: expected Publisher/Type with exactly one "/", found no "/"',
                 id="test_r1_bad-extension-name"),
    pytest.param("reinstalls: 0", 'reinstalls: "=> 1"',
                 'broken.yaml:18: expect.reinstalls: expected a number or "OP number" with OP one '
                 'of == != >= <= > < (e.g. ">= 1"), got "=> 1"', id="bad-expect-operator"),
    pytest.param("reinstalls: 0", "reinstals: 0",
                 'broken.yaml:18: expect.reinstals: unknown metric "reinstals", did you mean '
                 '"reinstalls"?', id="unknown-metric"),
    pytest.param("reinstalls: 0", "blocked.install.not_on_alowlist: 1",
                 'broken.yaml:18: expect["blocked.install.not_on_alowlist"]: unknown reason '
                 '"not_on_alowlist", did you mean "not_on_allowlist"?', id="unknown-reason"),
    pytest.param("reinstalls: 0", "blocked.install: 1",
                 'broken.yaml:18: expect["blocked.install"]: "blocked.install" is a table of '
                 'reason counts: name one entry, e.g. "blocked.install.not_on_allowlist"',
                 id="expect-path-is-a-table"),
    pytest.param("reinstalls: 0", "overrides.by_actor.secops: 1",
                 'broken.yaml:18: expect["overrides.by_actor.secops"]: unknown actor "secops" in '
                 "this scenario; known: system, resync, local_admin, cloud_admin, policy_admin",
                 id="unknown-actor-in-expect"),
    pytest.param("  - at: 2d\n", "  - at: 2d\n    window: 1h\n",
                 'broken.yaml:16: timeline[1].window: "window" does not apply to unassign (it '
                 "takes actor, at, every, from, jitter, name, role, until)",
                 id="modifier-that-does-not-apply"),
    pytest.param("    unassign: deny-scripts",
                 "    unassign: deny-scripts\n    delete: Microsoft.Compute/CustomScriptExtension",
                 'broken.yaml:16: timeline[1].unassign: one action per entry, found "delete" and '
                 '"unassign": write them as two entries', id="two-actions"),
    pytest.param("    target: {group: web-win}\n", "    target: {group: web-win}\n  - at: 3d\n",
                 "broken.yaml:12: timeline[0]: no action: give one of run, guest_config, "
                 "remove_locally, agent_update, monitor_list, install, update, upgrade, delete, "
                 "reonboard, assign, unassign, exempt, unexempt, auto_upgrade, sql_auto_deploy, "
                 "replay",
                 id="no-action"),
    pytest.param("{group: web-win}", "{group: web-win, share: 1.5}",
                 "broken.yaml:13: timeline[0].target.share: input should be less than or equal "
                 "to 1 (got 1.5)", id="share-out-of-range"),
    pytest.param("    install: Microsoft", "    role: Admin\n    install: Microsoft",
                 "broken.yaml:14: timeline[0].role: expected one of the roles Owner, Contributor, "
                 "Azure Connected Machine Resource Administrator, Azure Connected Machine "
                 'Onboarding, Resource Policy Contributor, Reader; got "Admin"',
                 id="test_r27_unknown-role"),
    pytest.param("    count: 10", "    count: 10\n    path: pe-weu",
                 'broken.yaml:6: fleet[0].path: unknown download path "pe-weu"; known: direct',
                 id="test_r2_unknown-path"),
    pytest.param("name: broken", "name: Broken Thing",
                 'broken.yaml:1: name: expected a name of lower-case letters, digits and "-" like '
                 '"ama-only-lockdown", got "Broken Thing"', id="bad-name"),
    pytest.param("deny: [Microsoft.Compute/CustomScriptExtension]",
                 "deny: [Microsoft.Compute/CustomScriptExtension]\n    audit: [Microsoft.A/B]",
                 "broken.yaml:9: policies[0]: give exactly one of deny, audit, allow_only, deploy, "
                 "definition; found deny, audit", id="two-policy-kinds"),
    pytest.param("deny: [Microsoft.Compute/CustomScriptExtension]",
                 "definition: deny.json",
                 "broken.yaml:10: policies[0].definition: deny.json: cannot read: No such file "
                 "or directory", id="policy-definition-file-missing"),
    pytest.param("  - at: 2d\n", "  - at: 2d\n    until: 3d\n",
                 'broken.yaml:16: timeline[1].until: "until" ends a recurrence: give "every" (or '
                 '"rate") too, or drop "until"', id="until-without-a-recurrence"),
    pytest.param("    count: 10\n", "    count: 10\n    agent_versions: {\"1.30\": 1}\n",
                 'broken.yaml:4: fleet[0]: give exactly one of agent_version ("1.40") or '
                 'agent_versions ({"1.30": 0.2, "1.40": 0.8})', id="two-agent-version-keys"),
])
def test_broken_file_gets_exact_message(old: str, new: str, message: str) -> None:
    assert error_of(broken(old, new)) == message


def test_group_names_are_unique() -> None:
    text = broken("    extensions: [Microsoft.Azure.Monitor/AzureMonitorWindowsAgent]\n",
                  "    extensions: [Microsoft.Azure.Monitor/AzureMonitorWindowsAgent]\n"
                  "  - group: web-win\n    count: 3\n    agent_version: \"1.40\"\n")
    assert error_of(text) == (
        'broken.yaml:8: fleet[1].group: group "web-win" is already defined (fleet[0])')


def test_every_problem_is_reported_at_once_in_line_order() -> None:
    text = broken("duration: 2d", "duration: soon").replace("reinstalls: 0", 'reinstalls: "=> 1"')
    text = text.replace("{group: web-win}", "{group: web-win, share: 2}")
    lines = error_of(text).splitlines()
    assert [line.split(":")[1] for line in lines] == ["2", "13", "18"]
    # Names are checked once the file fits the schema; again every problem at once.
    text = broken("{group: web-win}", "{group: web}").replace("reinstalls: 0", "reinstals: 0")
    assert [line.split(":")[1] for line in error_of(text).splitlines()] == ["13", "18"]


@pytest.mark.parametrize(("overrides", "message"), [
    pytest.param(("fleet[0].count=lots",),
                 '--set fleet[0].count=lots: fleet[0].count: input should be a valid integer, '
                 'unable to parse string as an integer (got "lots")', id="bad-value"),
    pytest.param(("nokey",), "--set nokey: expected KEY=VALUE, e.g. fleet[0].count=50",
                 id="no-equals"),
    pytest.param(("fleet[5].count=1",),
                 "--set fleet[5].count=1: fleet has 1 entry (0): there is no [5]",
                 id="index-out-of-range"),
    pytest.param(("fleet.count=3",), "--set fleet.count=3: fleet is not a mapping",
                 id="key-into-a-list"),
    pytest.param(("fleet[0]..count=1",),
                 '--set fleet[0]..count=1: cannot read the key at "..count": expected a path '
                 "like params.check_period or fleet[0].count", id="bad-key"),
    pytest.param(("duration=2 days",),
                 '--set duration=2 days: duration: expected a duration like "90s", "5m", "2h", '
                 '"3d" or "1w", got "2 days"', id="bad-duration"),
    pytest.param(("params.check_period=10m", "params.check_jitter=20m"),
                 "--set params.check_period=10m, --set params.check_jitter=20m: params: "
                 "check_jitter (20m) must be shorter than check_period (10m)",
                 id="two-sets-together"),
    pytest.param(("expect.reinstals=1",),
                 '--set expect.reinstals=1: expect.reinstals: unknown metric "reinstals", did you '
                 'mean "reinstalls"?', id="bad-expect-path"),
])
def test_bad_set_names_the_argument(overrides: tuple[str, ...], message: str) -> None:
    assert error_of(BASE, overrides) == message


def test_set_values_read_as_yaml_or_as_text() -> None:
    scenario = scenario_from_text(BASE, "x.yaml", overrides=(
        "fleet[0].count=50", "duration=3d", "seed=9", "params.check_period=10m",
        'fleet[0].agent_version="1.45"', 'expect["blocked.install.not_on_allowlist"]=>= 1'))
    assert (scenario.fleet[0].count, scenario.duration, scenario.seed) == (50, 3 * 86_400.0, 9)
    assert scenario.params.check_period == 600.0
    assert scenario.fleet[0].agent_version == "1.45"
    assert str(scenario.expect["blocked.install.not_on_allowlist"]) == ">= 1"


def test_scale_multiplies_counts_and_keeps_at_least_one() -> None:
    text = broken("    extensions: [Microsoft.Azure.Monitor/AzureMonitorWindowsAgent]\n",
                  "    extensions: [Microsoft.Azure.Monitor/AzureMonitorWindowsAgent]\n"
                  "  - group: tiny\n    count: 2\n    agent_version: \"1.40\"\n")
    scenario = scenario_from_text(text, "x.yaml", scale=0.05)
    assert [g.count for g in scenario.fleet] == [1, 1]
    with pytest.raises(ScenarioError, match=r"^--scale: expected a number > 0, got 0$"):
        scenario_from_text(BASE, "x.yaml", scale=0)


def test_yaml_and_file_errors_are_located(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"missing\.yaml: no such file"):
        load_scenario(tmp_path / "missing.yaml")
    with pytest.raises(ScenarioError, match=r"^x\.yaml:4: invalid YAML: expected ',' or ']'"):
        scenario_from_text("name: x\nfleet:\n  - [unclosed\n", "x.yaml")


def test_cli_validate_prints_located_errors_and_exits_2(tmp_path: Path, arcsim: Arcsim) -> None:
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(BASE)
    bad.write_text(broken("duration: 2d", "duration: 2 days"))
    done = arcsim("validate", good)
    assert done.status == 0
    assert "good.yaml: ok (broken: 10 machines" in done.out
    status, _, err = arcsim("validate", good, bad)
    assert status == 2
    assert err.startswith(f"{bad}:2: duration: expected a duration")
    assert "Traceback" not in err


@pytest.mark.parametrize(("argv", "message"), [
    (["run", "nope"], "nope: no such file, and no shipped scenario of that name (shipped: "),
    (["run", "default", "--scale", "0"],
     'arcsim: error: argument --scale: expected a number > 0, got "0"'),
    (["run", "default", "--set", "fleet[9].count=1"],
     "--set fleet[9].count=1: fleet has 3 entries (0 to 2): there is no [9]"),
    (["run", "default", "--bogus"], "arcsim: error: unrecognized arguments: --bogus"),
    (["check", "/nonexistent-dir/"], "/nonexistent-dir: no such file"),
])
def test_cli_bad_input_is_one_clear_message_and_exit_2(
        argv: list[str], message: str, tmp_path: Path, arcsim: Arcsim) -> None:
    status, _, err = arcsim(*argv, "--out", tmp_path) if argv[0] == "run" else arcsim(*argv)
    assert status == 2
    assert err.startswith(message)
    assert "Traceback" not in err


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("batches", "1000000000000000000000000000000", "input should be less than or equal to 10000"),
    ("batches", "0", "input should be greater than or equal to 1"),
    ("retry", "0.001", "input should be greater than or equal to 60"),
    ("retry", "0s", "input should be greater than or equal to 60"),
])
def test_r25_an_automatic_upgrade_that_would_never_end_is_refused(
        field: str, value: str, expected: str) -> None:
    """An automatic upgrade schedules one event per batch and retries each refused machine every
    ``retry``: 10^30 batches or a retry every millisecond would run out of memory or never end
    (a fuzzer found the first), so both are bounded when the scenario is read."""
    path = Path(__file__).parents[1] / "scenarios" / "default.yaml"
    text = path.read_text(encoding="utf-8")
    index = next(i for i, entry in enumerate(yaml.safe_load(text)["timeline"])
                 if "auto_upgrade" in entry)
    key = f"timeline[{index}].auto_upgrade.{field}"
    message = error_of(text, (f"{key}={value}",))
    assert message.startswith(f"--set {key}={value}: {key}: {expected}"), message


@pytest.mark.parametrize("value", ["0.001", "30s"])
def test_r10_a_retry_of_refused_operations_more_often_than_a_minute_is_refused(value: str) -> None:
    """Each retry of each refused operation is an event: one every millisecond over a month
    would never end. 0 (the agent does not retry, R10) and a minute or more are read."""
    message = error_of(BASE, (f"params.retry_refused={value}",))
    assert message == (f"--set params.retry_refused={value}: params: retry_refused "
                       f"({'0.001s' if value == '0.001' else value}) must be 0 (no retry) or at "
                       "least 1m: each retry of each refused operation is simulated")
    for fine in ("0", "1m"):
        assert scenario_from_text(BASE, "x.yaml", overrides=(f"params.retry_refused={fine}",))
