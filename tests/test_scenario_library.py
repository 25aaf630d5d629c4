"""The shipped scenarios: found by name, described, in sync with the package's built-in copy;
the library of issue 5 complete, valid, passing ``arcsim check`` and exact per machine."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import Arcsim

from sim.engine.metrics import summarise
from sim.rules.lint import lint
from sim.scenario import library
from sim.scenario.build import build_world
from sim.scenario.expect import evaluate, lookup
from sim.scenario.loading import load_scenario
from sim.scenario.source import ScenarioError

SHIPPED = library.shipped()


def test_the_repository_scenarios_are_found() -> None:
    assert library.REPO_SCENARIOS.is_dir()
    assert library.scenario_dirs() == [library.REPO_SCENARIOS, library.BUILTIN_SCENARIOS]
    assert {"default", "ama-only-lockdown", "reinstall-storm-private-endpoint",
            "policy-deny-override"} <= {s.name for s in SHIPPED}


def test_the_built_in_default_is_the_repository_default() -> None:
    builtin = library.BUILTIN_SCENARIOS / "default.yaml"
    assert builtin.read_bytes() == (library.REPO_SCENARIOS / "default.yaml").read_bytes(), (
        "copy scenarios/default.yaml to sim/scenarios_builtin/default.yaml")
    assert sorted(p.name for p in library.BUILTIN_SCENARIOS.iterdir()) == ["default.yaml"]


@pytest.mark.parametrize("shipped", SHIPPED, ids=[s.name for s in SHIPPED])
def test_each_shipped_scenario_is_named_after_its_file_and_asks_a_question(
        shipped: library.Shipped) -> None:
    scenario = load_scenario(shipped.path)
    assert scenario.name == shipped.path.stem
    assert shipped.summary and shipped.summary == scenario.summary
    assert shipped.summary.endswith("?"), "the first line of the description is the question"
    assert scenario.expect, "the answer is encoded in expect:"


def test_find_and_resolve() -> None:
    assert library.find("default") == library.REPO_SCENARIOS / "default.yaml"
    assert library.resolve("default") == library.REPO_SCENARIOS / "default.yaml"
    assert library.resolve("some/file.yaml") == Path("some/file.yaml")
    with pytest.raises(ScenarioError) as caught:
        library.resolve("defualt")
    names = ", ".join(s.name for s in SHIPPED)
    assert str(caught.value) == (
        f"defualt: no such file, and no shipped scenario of that name (shipped: {names})")


def test_without_the_repository_the_built_in_default_remains(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(library, "REPO_SCENARIOS", tmp_path / "absent")
    assert [s.name for s in library.shipped()] == ["default"]
    assert library.find("default") == library.BUILTIN_SCENARIOS / "default.yaml"


def test_scenario_files_skip_hidden_folders_and_other_files(tmp_path: Path) -> None:
    for name in ("a.yaml", "sub/b.yml", ".hidden/c.yaml", "notes.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x: 1\n")
    assert [p.relative_to(tmp_path).as_posix() for p in library.scenario_files(tmp_path)] == [
        "a.yaml", "sub/b.yml"]


def test_the_package_data_ships_the_built_in_scenarios() -> None:
    pyproject = (library.PACKAGE.parent / "pyproject.toml").read_text()
    assert '"scenarios_builtin/*.yaml"' in pyproject


# --- the library of issue 5: every situation, each one checked -------------------------------

LIBRARY = library.scenario_files(library.REPO_SCENARIOS)
ISSUE_5 = {
    "article-configurations": "1", "ama-only-lockdown": "1", "esu-allow-none": "2",
    "article-blocklist": "3", "monitor-mode": "4", "extension-manager-disabled": "5",
    "existing-extension-delete": "6", "reinstall-storm-private-endpoint": "7",
    "policy-deny-override": "8", "script-and-guest-config-tamper": "9",
    "dine-remediation-loop": "10", "auto-upgrade-stale": "11", "agent-update-coverage": "12",
    "default": "13",
}
"""Scenario name -> the situation of issue 5's list it answers."""
ONE_PER_GROUP = 1e-9
"""A ``--scale`` that leaves one machine in every group: per-machine outcomes, exactly."""


def test_every_situation_of_issue_5_has_its_scenario() -> None:
    assert LIBRARY, "discovery found no scenario in scenarios/"
    assert set(ISSUE_5) <= {p.stem for p in LIBRARY}
    assert set(ISSUE_5.values()) == {str(i) for i in range(1, 14)}


def test_every_library_scenario_validates(arcsim: Arcsim) -> None:
    status, out, err = arcsim("validate", *LIBRARY)
    assert (status, err) == (0, "")
    assert out.count(": ok (") == len(LIBRARY)


def test_arcsim_check_scenarios_exits_0(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       arcsim: Arcsim) -> None:
    """The whole library at its own (realistic) sizes, as a user runs it: a few seconds."""
    monkeypatch.chdir(library.REPO_SCENARIOS.parent)
    status, out, _ = arcsim("check", "scenarios/", "--out", tmp_path)
    assert status == 0, out
    rows = [line for line in out.splitlines() if "scenarios/" in line]
    assert len(rows) == len(LIBRARY) and all(row.rstrip(" │").endswith("ok") for row in rows)


def test_every_library_scenario_is_in_the_docs_table() -> None:
    docs = (library.REPO_SCENARIOS.parent / "docs" / "scenarios.md").read_text()
    table = docs[docs.index("## The shipped scenarios"):]
    for name, item in ISSUE_5.items():
        question = load_scenario(library.REPO_SCENARIOS / f"{name}.yaml").summary
        assert f"| {item} | `{name}.yaml` | {question}" in table, name


# Per-machine outcomes of the deterministic scenarios, one machine per group, worked out from
# each scenario's description (the comment says how); a wrong count means wrong semantics.
EXACT: dict[str, dict[str, float]] = {
    "article-configurations": {
        "commands_refused.key_unavailable": 3,       # legacy 1.15: 2 lockdown lines + the policy
        "blocked.by_group.ama-win": 8,               # 7 Defender rounds + script (the guest
        "blocked.by_group.ama-linux": 8,             # config command: commands_blocked)
        "blocked.by_group.vm-insights-win": 9,       # ... + the AMA migration
        "blocked.by_group.vm-insights-linux": 9,
        "blocked.by_group.mon-sec-win": 1,           # the AMA migration only
        "blocked.by_group.mon-sec-linux": 1,
        "blocked.by_group.legacy-win": 0,
        "commands_blocked.guest_configuration_disabled": 4,
        "overrides.by_actor.custom-guest-policy": 2,  # Custom Script on both mon-sec servers
        "installs": 5,                               # legacy: AMA, Defender, script; mon-sec: 2
    },
    "ama-only-lockdown": {
        "commands_refused.key_unavailable": 2,
        "blocked.upgrade.not_on_allowlist": 2,       # the manual Defender upgrade, win and linux
        "blocked.install.not_on_allowlist": 30,      # daily Defender rounds after each refusal
                                                     # (day 3.6: 17, day 9.9: 11) + CSE + KV
        "blocked.by_group.old-win": 0,
        "installs": 0, "upgrades": 4,                # AMA upgrade x3, Defender upgrade on 1.15
        "coverage.stale_versions": 2,
        "exposure.total": 0,                         # nothing script-capable gets in
        "exposure.open_paths_at_end.agent_too_old": 1,  # the 1.15 server, and only it:
        "exposure.open_paths_at_end.any": 1,
    },
    "esu-allow-none": {
        "commands_refused.allow_none_unsupported": 1,
        "blocked.by_group.esu": 12,                  # 11 Defender rounds + the AMA push
        "blocked.by_group.esu-old-agent": 3,         # Defender rounds after the day-8 delete
        "blocked.install.allow_none": 15,
        "installs": 2,                               # Defender and AMA, before the update
        "coverage.machines_locked_down": 2,
        "coverage.extensions_failed": 3,
    },
    "article-blocklist": {
        "commands_refused.usage": 1, "commands_refused.invalid_value": 1,
        "blocked.by_group.corrected-linux": 4, "blocked.by_group.corrected-win": 4,
        "blocked.install.on_blocklist": 8,
        "installs": 12,                              # 5 + 5 on the refused lines, Key Vault x2
        "coverage.machines_locked_down": 2,
        "exposure.without_lockdown": 8,              # 4 script extensions x 2 refused lines
        "exposure.through_lockdown": 0,
        "exposure.machines_at_end": 2,
        "exposure.open_paths_at_end.script_extension": 2,  # the open ones; a blocklist
        "exposure.open_paths_at_end.guest_configuration": 4,  # leaves guest config on all
    },
    "monitor-mode": {
        "commands_refused.lists_frozen": 2,
        "blocked.install.monitor_mode": 5,           # 1.40: script, MMA; 1.20: CT, script, MMA
        "blocked.install.not_on_allowlist": 1,       # 1.40 after day 7: the kept list (R22)
        "commands_blocked.guest_configuration_disabled": 2,
        "installs": 4,                               # CT and the script on each
        "overrides.by_actor.local-admin": 2,         # the script on each, after the switch
        "exposure.installed_without_lockdown.Microsoft.Compute/CustomScriptExtension": 2,
        "exposure.through_lockdown": 0,              # MMA dropped from the list before asked
        "exposure.open_paths_at_end.no_lockdown": 2,
    },
    "extension-manager-disabled": {
        "blocked.by_group.sensitive": 3,             # script, settings update, AMA upgrade
        "blocked.by_group.re-enabled": 2,            # no AMA upgrade: AMA was removed locally
        "blocked.by_group.old-agent": 0,
        "blocked.reinstall.manager_disabled": 0,     # no resync while disabled (R23)
        "orphaned": 1, "installs": 1, "upgrades": 1,
        "reinstalls": 1,                             # AMA, once the manager is enabled again
        "coverage.extensions_not_running": 1,        # AMA on the server still disabled
        "coverage.stale_versions": 1,                # AMA where the upgrade was refused
        "coverage.machines_with_drift": 1,           # the orphaned Log Analytics agent
        "exposure.machines_at_start": 3,             # the Log Analytics agent runs scripts and,
        "exposure.machines_at_end": 3,               # its own service, keeps running (R24):
        "exposure.machine_hours": 3 * 8 * 24,        # 3 servers all 8 days, orphaned or not
        "exposure.present_at_end.Microsoft.EnterpriseCloud.Monitoring/MicrosoftMonitoringAgent":
            3,
        "exposure.installed.Microsoft.Compute/CustomScriptExtension": 1,  # on the 1.16 one
    },
    "existing-extension-delete": {
        "blocked.update.not_on_allowlist": 2, "blocked.install.not_on_allowlist": 2,
        "blocked.reinstall.not_on_allowlist": 1, "installs": 1, "local_removals": 1,
        "coverage.extensions_failed": 3,
    },
    "policy-deny-override": {
        "policy.denied": 2,                          # day 1, and day 5 after the waiver expired
        "policy.authorization_failed": 1, "overrides.actions": 2,
        "overrides.policy_actions": 2,               # the exemption and the removal (R16)
    },
    "script-and-guest-config-tamper": {
        "blocked.by_group.scripts-allowed": 0,       # only the guest configuration policy is
        "blocked.by_group.guest-config-on": 0,       # stopped, and it is a command:
        "blocked.by_group.best-practice": 2,         # script, Run Command
        "commands_blocked.guest_configuration_disabled": 2,  # scripts-allowed, best-practice
        "overrides.by_actor.script-runner": 1, "overrides.by_actor.custom-guest-policy": 1,
        "overrides.actions": 2, "overrides.local_actions": 2,  # the script's and the guest
        "overrides.policy_actions": 0,                         # policy's clear (R17)
        "installs": 3,
        "exposure.through_lockdown": 1,              # the script, let in by its allowlist
        "exposure.without_lockdown": 1,              # Run Command after the list was cleared
        "exposure.open_paths_at_end.any": 2,         # all but best-practice
        "exposure.open_paths_at_end.guest_configuration": 1,
        "exposure.machines_open_to.dev": 2,
    },
    "dine-remediation-loop": {
        "blocked.by_group.vm-insights-win": 13,      # every daily round of 14 days
        "blocked.by_group.vm-insights-linux": 6,     # until the day-6 exemption
        "blocked.by_group.sql": 13,                  # the SQL Server extension, daily
        "installs": 3, "overrides.actions": 0, "coverage.extensions_failed": 3,
    },
    "auto-upgrade-stale": {
        "blocked.by_group.locked-win": 4,            # the first try and 3 retries
        "blocked.by_group.locked-linux": 4,
        "installs": 0, "upgrades": 4,                # AMA x3, Dependency agent on open-win
        "coverage.stale_versions": 2,
    },
}


def test_the_exact_tables_cover_every_deterministic_scenario() -> None:
    random = {"default", "reinstall-storm-private-endpoint", "agent-update-coverage"}
    assert set(EXACT) | random == set(ISSUE_5)


@pytest.mark.parametrize("name", sorted(EXACT))
def test_per_machine_outcomes_are_exact(name: str) -> None:
    path = library.REPO_SCENARIOS / f"{name}.yaml"
    scenario = load_scenario(path, scale=ONE_PER_GROUP)
    world = build_world(scenario, base=path.parent)
    world.run(scenario.duration)
    metrics = summarise(world)
    actual = {metric: lookup(metrics, metric) for metric in EXACT[name]}
    assert actual == EXACT[name]
    assert [(e.path, e.expected, e.actual) for e in evaluate(scenario.expect, metrics)
            if not e.ok] == []


# --- R18: arcsim lint says beforehand what the article-blocklist scenario shows ---------------


def _findings(name: str) -> dict[str, set[tuple[str, str]]]:
    scenario = load_scenario(library.REPO_SCENARIOS / f"{name}.yaml")
    return {g.group: {(f.severity.value, f.code) for f in
                      lint(list(g.commands), agent_version=str(g.agent_version))}
            for g in scenario.fleet}


def test_r18_lint_flags_the_article_blocklist_before_it_is_rolled_out() -> None:
    found = _findings("article-blocklist")
    assert found["printed-linux"] == {("error", "typographic_quotes"),
                                      ("error", "malformed_entry")}
    assert ("error", "malformed_entry") in found["quotes-fixed-linux"]
    for group in ("corrected-linux", "corrected-win"):
        assert ("warning", "blocklist_instead_of_allowlist") in found[group]
        assert not any(severity == "error" for severity, _ in found[group])


def test_r18_lint_flags_the_tamper_scenarios_weak_lockdowns() -> None:
    found = _findings("script-and-guest-config-tamper")
    assert found == {"scripts-allowed": {("error", "script_extension_allowed")},
                     "guest-config-on": {("warning", "guest_configuration_enabled")},
                     "best-practice": set()}
