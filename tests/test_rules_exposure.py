"""Open override paths (sim.rules.exposure): what is left to rewrite a lockdown (R7, R12, R16,
R17, R18, R19, R27, R30)."""

from __future__ import annotations

from helpers import AMA, CSE, MMA, allowlist, blocklist

from sim.rules import BUILTIN, AgentConfig, ExtensionId, LocalState, apply
from sim.rules.exposure import OverridePath, Permission, open_paths, script_capable

RUN_COMMAND = "Microsoft.Cplat.Core/RunCommandHandlerWindows"


def paths(*lines: str, version: str = "1.45", os: str = "windows",
          denied: tuple[str, ...] = (), installed: tuple[str, ...] = ()) -> dict[str, object]:
    config = AgentConfig.fresh(version)
    for line in lines:
        config = apply(line, config).state.config
    refused = {ExtensionId.parse(n) for n in denied}
    state = LocalState(config, tuple(ExtensionId.parse(n) for n in installed))
    return {p.path.value: p for p in open_paths(state, BUILTIN, os=os,
                                                policy_denies=refused.__contains__)}


def test_r7_the_catalogue_marks_the_article_blocklist_as_script_capable() -> None:
    windows = {e.name for e in script_capable(BUILTIN, "windows")}
    assert {CSE, MMA, RUN_COMMAND} <= windows
    assert AMA not in windows
    assert "Microsoft.Azure.Extensions/CustomScript" not in windows  # the Linux one


def test_r12_r18_no_lockdown_leaves_every_path_open() -> None:
    found = paths()
    assert set(found) == {"script_extension", "guest_configuration", "no_lockdown"}


def test_r18_an_allowlist_without_scripts_and_guest_configuration_off_closes_every_path() -> None:
    assert paths(allowlist(AMA), "azcmagent config set guestconfiguration.enabled false") == {}


def test_r18_a_script_extension_on_the_allowlist_is_an_open_path() -> None:
    found = paths(allowlist(AMA, CSE), "azcmagent config set guestconfiguration.enabled false")
    script = found["script_extension"]
    assert [e.name for e in script.extensions] == [CSE]  # type: ignore[attr-defined]
    assert script.needs == {Permission.EXTENSIONS}  # type: ignore[attr-defined]


def test_r18_a_blocklist_of_some_script_extensions_leaves_the_others_open() -> None:
    found = paths(blocklist(CSE), "azcmagent config set guestconfiguration.enabled false")
    names = {e.name for e in found["script_extension"].extensions}  # type: ignore[attr-defined]
    assert CSE not in names and {MMA, RUN_COMMAND} <= names


def test_r19_monitor_mode_closes_guest_configuration_but_lets_the_log_analytics_agent_in() -> None:
    found = paths("azcmagent config set config.mode monitor")
    assert "guest_configuration" not in found and "no_lockdown" not in found
    names = {e.name for e in found["script_extension"].extensions}  # type: ignore[attr-defined]
    assert names == {MMA}


def test_r16_a_deny_on_every_allowed_script_extension_needs_policy_rights_too() -> None:
    found = paths(allowlist(AMA, CSE), denied=(CSE,))
    assert found["script_extension"].needs == {  # type: ignore[attr-defined]
        Permission.EXTENSIONS, Permission.POLICY}
    assert found["guest_configuration"].needs == {Permission.POLICY}  # type: ignore[attr-defined]


def test_r30_an_agent_before_local_controls_is_its_own_path() -> None:
    found = paths(version="1.15")
    assert OverridePath.AGENT_TOO_OLD.value in found and "no_lockdown" not in found


def test_r23_a_disabled_manager_takes_no_script_extension() -> None:
    found = paths("azcmagent config set extensions.enabled false", installed=(CSE,))
    assert "script_extension" not in found and "no_lockdown" not in found
