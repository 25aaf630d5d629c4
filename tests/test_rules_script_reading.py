"""Reading scripts for lint and for the engine alike (spec R7, R8a, R15): which service
commands are the agent's, quotes per language, ``env`` wrappers, ``--config`` files, the
readings a lint runs under, and ``Allow/None`` on agents older than 1.35."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import strategies as s
from helpers import Arcsim
from hypothesis import given

from sim.rules import ALLOW_NONE, AgentConfig
from sim.rules.command_parse import (
    EXTENSION_SERVICES,
    CommandError,
    Verb,
    parse,
    parse_words,
    service_action,
)
from sim.rules.commands import apply
from sim.rules.decision import Operation, Reason, compile_controls, decide
from sim.rules.lint import Severity, lint
from sim.rules.lockdown import LockdownFlag, lockdown_code
from sim.rules.readings import AllowNoneOnOldAgents, MalformedListEntry, Readings
from sim.rules.script_calls import read_script
from sim.rules.script_text import Language, statements

AMA = "Microsoft.Azure.Monitor/AzureMonitorLinuxAgent"
ORDINARY = Readings(allow_none_before_1_35=AllowNoneOnOldAgents.ORDINARY_ENTRY)


def codes(text: str, name: str, **kw: object) -> list[tuple[str, int | None]]:
    return [(f.code, f.line) for f in lint(text, name=name, **kw)]  # type: ignore[arg-type]


# --- 1. only the extension service's stop and start are the agent's --------------------------


@pytest.mark.parametrize(("name", "text"), [
    ("x.sh", "sudo systemctl restart himdsd\nsystemctl daemon-reload\nsystemctl status extd\n"),
    ("x.sh", "systemctl reload himdsd\nsystemctl enable --now himdsd\n"),
    ("x.cmd", "net use Z: \\\\server\\share\nnet start himds\nnet user admin /active:yes\n"),
    ("x.ps1", "Restart-Service himds\nStop-Service -Name wuauserv -Force\n"
              "Get-Service ExtensionService\n"),
])
def test_r8a_other_services_and_actions_are_not_agent_calls(name: str, text: str) -> None:
    assert lint(text, name=name) == []
    skipped = [f for f in lint(text, name=name, strict=True)]
    assert {f.code for f in skipped} == {"not_an_agent_call"}
    assert len(skipped) == len(text.splitlines())


def test_r8a_lint_of_a_script_restarting_other_services_exits_0(arcsim: Arcsim,
                                                                 tmp_path: Path) -> None:
    script = tmp_path / "restart.sh"
    script.write_text("systemctl daemon-reload\nsystemctl restart himdsd\n"
                      f'azcmagent config set extensions.allowlist "{AMA}"\n'
                      "azcmagent config set guestconfiguration.enabled false\n")
    status, out, _ = arcsim("lint", script)
    assert status == 0, out


@pytest.mark.parametrize(("words", "verb"), [
    (("systemctl", "stop", "extd"), Verb.SERVICE_STOP),
    (("systemctl", "--no-block", "stop", "extd.service"), Verb.SERVICE_STOP),
    (("systemctl", "start", "himdsd", "extd"), Verb.SERVICE_START),
    (("Stop-Service", "-Name", "ExtensionService", "-Force"), Verb.SERVICE_STOP),
    (("Start-Service", "himds\x00ExtensionService"), Verb.SERVICE_START),
    (("net", "stop", "extensionservice", "/y"), Verb.SERVICE_STOP),
])
def test_r6_stopping_or_starting_the_extension_service_is_read_however_written(
        words: tuple[str, ...], verb: Verb) -> None:
    assert service_action(words) == verb.value.removeprefix("service ")
    assert parse_words(words, " ".join(words)).verb is verb


def test_r6_the_extension_service_names_are_the_ones_parse_accepts() -> None:
    for name in EXTENSION_SERVICES:
        assert parse(f"systemctl stop {name}").verb is Verb.SERVICE_STOP
    with pytest.raises(CommandError):
        parse("systemctl restart himdsd")


@pytest.mark.parametrize("restart", [
    "systemctl restart extd", "sudo systemctl restart extd.service",
    "Restart-Service -Name ExtensionService -Force"])
def test_r6_a_restart_of_the_extension_service_leaves_it_running(restart: str) -> None:
    """A script that stops the service and later restarts it ends with the service running:
    the restart is read as a start, not skipped."""
    assert parse(restart.removeprefix("sudo ")).verb is Verb.SERVICE_START
    stopped = "systemctl stop extd" if "systemctl" in restart else "Stop-Service ExtensionService"
    name = "x.sh" if "systemctl" in restart else "x.ps1"
    reading = read_script(f"{stopped}\n{restart}\n", name)
    assert [c.line for c in reading.calls] == [1, 2]
    assert reading.skipped == ()


def test_r6_a_script_stops_the_service_among_skipped_service_commands() -> None:
    text = "systemctl restart himdsd\nsudo systemctl stop extd\nsystemctl start extd\n"
    reading = read_script(text, "x.sh")
    assert [(c.line, c.words) for c in reading.calls] == [
        (2, ("systemctl", "stop", "extd")), (3, ("systemctl", "start", "extd"))]
    assert [st.line for st in reading.skipped] == [1]


# --- 2. typographic quotes are quotes in PowerShell only ---------------------------------------


def test_r8a_a_typographic_quote_in_bash_does_not_hide_the_lines_after_it() -> None:
    text = f"echo “locking down\nazcmagent config set extensions.allowlist {AMA}\n" \
           "azcmagent config set guestconfiguration.enabled false\n"
    assert [st.line for st in statements(text, Language.BASH)] == [1, 2, 3]
    assert [c.line for c in read_script(text, language=Language.BASH).calls] == [2, 3]
    assert lint(text, name="x.sh") == []


def test_r8a_typographic_quotes_still_quote_in_powershell() -> None:
    text = "Write-Host “one; two”\nazcmagent config list\n"
    assert [st.text for st in statements(text, Language.POWERSHELL)] == [
        "Write-Host “one; two”", "azcmagent config list"]


# --- 3. a --config file value is data ----------------------------------------------------------


@pytest.mark.parametrize("value", ["-x", "--add", "-a"])
def test_r8a_a_config_file_value_like_a_flag_is_a_finding_not_an_exception(value: str) -> None:
    found = codes("azcmagent connect --config c.json\n", "x.sh",
                  config_files={"c.json": {"extensions.allowlist": value}})
    assert ("command_refused", 1) in found and ("malformed_entry", 1) in found


def test_r8a_a_config_file_value_is_set_as_is() -> None:
    found = lint("azcmagent connect --config c.json\n", name="x.sh",
                 config_files={"c.json": {"proxy.bypass": "--remove"}})
    refused = [f for f in found if f.code == "command_refused"]
    assert len(refused) == 1 and 'invalid value "--remove" for proxy.bypass' in refused[0].message


# --- 4. the readings reach every finding -------------------------------------------------------


def test_r1_a_typographic_line_explains_its_entries_under_the_runs_reading() -> None:
    text = f"azcmagent config set extensions.allowlist “Bad, {AMA}”\n"
    apply_ = Readings(malformed_list_entry=MalformedListEntry.VALID_ENTRIES_APPLY)
    [default] = [f for f in lint(text, name="x.sh") if f.code == "malformed_entry"]
    [other] = [f for f in lint(text, name="x.sh", readings=apply_) if f.code == "malformed_entry"]
    assert "makes the whole command fail" in default.message
    assert "valid_entries_apply" in other.message and "whole command" not in other.message


# --- 5. Allow/None before 1.35: one gated property ----------------------------------------------


def test_r15_lockdown_code_of_an_old_agent_holding_allow_none_agrees_with_decisions() -> None:
    config = apply(f"azcmagent config set extensions.allowlist {ALLOW_NONE.name}",
                   AgentConfig.fresh("1.30"), readings=ORDINARY).state.config
    assert ALLOW_NONE in config.allowlist and not config.is_allow_none
    assert config.allow_none_as_entry
    code = lockdown_code(config)
    assert code & LockdownFlag.ALLOWLIST and not code & LockdownFlag.ALLOW_NONE
    assert decide(Operation.INSTALL, AMA, config).reason is Reason.NOT_ON_ALLOWLIST
    upgraded = config.with_version(config.version.parse("1.35"))
    assert lockdown_code(upgraded) & LockdownFlag.ALLOW_NONE
    assert decide(Operation.INSTALL, AMA, upgraded).reason is Reason.ALLOW_NONE


@given(s.agent_configs())
def test_r15_allow_none_bit_is_set_exactly_when_decisions_apply_allow_none(
        config: AgentConfig) -> None:
    held = replace(config, allowlist=(ALLOW_NONE,))
    for each in (config, held):
        bit = bool(lockdown_code(each) & LockdownFlag.ALLOW_NONE)
        assert bit == compile_controls(each).allow_none == each.is_allow_none


def test_r15_lint_on_an_old_agent_under_ordinary_entry_flags_the_line_once() -> None:
    text = "azcmagent config set extensions.allowlist Allow/None\n"
    found = lint(text, name="x.sh", agent_version="1.30", readings=ORDINARY)
    assert [(f.code, f.severity, f.line) for f in found if f.code.startswith("allow_none")] == [
        ("allow_none_unsupported", Severity.ERROR, 1)]
    recent = AgentConfig(AgentConfig.fresh("1.40").version, allowlist=(ALLOW_NONE,))
    assert "allow_none_unsupported" not in {f.code for f in lint(recent)}
    old = replace(recent, version=AgentConfig.fresh("1.30").version)
    assert "allow_none_unsupported" in {f.code for f in lint(old)}


# --- 6. env keeps the command's own words --------------------------------------------------------


def test_r8a_env_drops_only_its_leading_assignments() -> None:
    url = "http://proxy.contoso.com:3128/?tenant=a=b"
    text = f"env -u http_proxy HTTPS_PROXY=http://p:3128 NO_PROXY=x azcmagent config set " \
           f"proxy.url {url}\n"
    [call] = read_script(text, language=Language.BASH).calls
    assert call.words == ("azcmagent", "config", "set", "proxy.url", url)
    assert lint(text, name="x.sh") == []


# --- 7. a shell's -Command words are joined as the shell passes them --------------------------


def test_r7_powershell_command_words_keep_a_path_with_spaces_whole() -> None:
    text = ('powershell -c & "C:\\Program Files\\AzureConnectedMachineAgent\\azcmagent.exe" '
            f'config set extensions.allowlist "{AMA},Microsoft.Compute/CustomScriptExtension"')
    [call] = read_script(text, language=Language.POWERSHELL).calls
    assert call.words == ("azcmagent", "config", "set", "extensions.allowlist",
                          f"{AMA},Microsoft.Compute/CustomScriptExtension")
