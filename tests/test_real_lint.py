"""``arcsim lint`` on scripts as people write them (issue 18, spec R8a, R15, R30).

The agent called every way real scripts call it; continuations, comments, block comments and
here-strings; lines that are not agent calls skipped (listed with ``--strict``); every
documented command, flag and key read, with its version gate; several agent versions at once;
``connect --config FILE`` followed when the file is given. (How fast a long runbook lints:
``benchmarks/lint.py``.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import Arcsim
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import valid_command_lines

from sim.rules.lint import Severity, config_file_names, lint
from sim.rules.script_calls import Unresolved, read_script
from sim.rules.script_text import Language
from sim.rules.versions import AgentVersion, versions_between

AMA = "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent"
SET_AMA = ("azcmagent", "config", "set", "extensions.allowlist", AMA)
CORPUS = Path(__file__).resolve().parent / "data" / "real"


def calls(text: str, language: Language) -> list[tuple[int, tuple[str, ...]]]:
    return [(c.line, c.words) for c in read_script(text, language=language).calls]


PS, SH, CMD = Language.POWERSHELL, Language.BASH, Language.CMD

FORMS = [
    pytest.param(SH, f'azcmagent config set extensions.allowlist "{AMA}"', [(1, SET_AMA)],
                 id="bare"),
    pytest.param(SH, f"sudo azcmagent config set extensions.allowlist '{AMA}'", [(1, SET_AMA)],
                 id="sudo"),
    pytest.param(SH, f'sudo -E /opt/azcmagent/bin/azcmagent config set extensions.allowlist '
                     f'"{AMA}"', [(1, SET_AMA)], id="sudo-options-full-path"),
    pytest.param(SH, f'AZ=/opt/azcmagent/bin/azcmagent\n"$AZ" config set extensions.allowlist '
                     f'{AMA}', [(2, SET_AMA)], id="variable-path"),
    pytest.param(SH, f'azcmagent config set \\\n  extensions.allowlist \\\n  "{AMA}"',
                 [(1, SET_AMA)], id="backslash-continuation"),
    pytest.param(SH, f'# azcmagent config set extensions.allowlist x\nazcmagent config set '
                     f'extensions.allowlist "{AMA}" # keep AMA', [(2, SET_AMA)], id="comments"),
    pytest.param(SH, f'bash -c "azcmagent config set extensions.allowlist {AMA}"',
                 [(1, SET_AMA)], id="bash-c"),
    pytest.param(SH, f'ssh -o BatchMode=yes host01 sudo azcmagent config set '
                     f'extensions.allowlist {AMA}', [(1, SET_AMA)], id="ssh"),
    pytest.param(SH, f"cat <<'EOF'\nazcmagent config set extensions.blocklist x\nEOF\n"
                     f"azcmagent config set extensions.allowlist {AMA}", [(4, SET_AMA)],
                 id="heredoc-not-run"),
    pytest.param(SH, f"if command -v azcmagent; then azcmagent config set extensions.allowlist "
                     f"{AMA}; fi", [(1, SET_AMA)], id="if-then"),
    pytest.param(PS, f'azcmagent.exe config set extensions.allowlist "{AMA}"', [(1, SET_AMA)],
                 id="exe"),
    pytest.param(PS, f'& "$env:ProgramW6432\\AzureConnectedMachineAgent\\azcmagent.exe" config '
                     f'set extensions.allowlist "{AMA}"', [(1, SET_AMA)], id="call-operator"),
    pytest.param(PS, f'$azcmagentPath = Join-Path $env:ProgramFiles "AzureConnectedMachineAgent'
                     f'\\azcmagent.exe"\n& $azcmagentPath config set extensions.allowlist '
                     f'"{AMA}"', [(2, SET_AMA)], id="variable-assigned-earlier"),
    pytest.param(PS, f'Start-Process -FilePath "azcmagent.exe" -ArgumentList "config set '
                     f'extensions.allowlist {AMA}" -Wait', [(1, SET_AMA)],
                 id="start-process-string"),
    pytest.param(PS, f'Start-Process azcmagent.exe -ArgumentList @("config", "set", '
                     f'"extensions.allowlist", "{AMA}")', [(1, SET_AMA)],
                 id="start-process-array"),
    pytest.param(PS, f'$a = "config set " + "extensions.allowlist {AMA}"\nStart-Process '
                     f'-FilePath azcmagent -ArgumentList $a', [(2, SET_AMA)],
                 id="start-process-variable"),
    pytest.param(PS, f'azcmagent config set `\n  extensions.allowlist `\n  "{AMA}"',
                 [(1, SET_AMA)], id="backtick-continuation"),
    pytest.param(PS, f'<#\nazcmagent config set extensions.blocklist x\n#>\nazcmagent config '
                     f'set extensions.allowlist "{AMA}"', [(4, SET_AMA)], id="block-comment"),
    pytest.param(PS, f"$doc = @'\nazcmagent config set extensions.blocklist x\n'@\nazcmagent "
                     f"config set extensions.allowlist {AMA}", [(4, SET_AMA)],
                 id="here-string-not-run"),
    pytest.param(PS, f'Invoke-Command -ComputerName $s -ScriptBlock {{\n  azcmagent config set '
                     f'extensions.allowlist "{AMA}"\n}}', [(2, SET_AMA)],
                 id="invoke-command-block"),
    pytest.param(PS, f'powershell.exe -NoProfile -Command "azcmagent config set '
                     f'extensions.allowlist {AMA}"', [(1, SET_AMA)], id="powershell-command"),
    pytest.param(PS, f"azcmagent config set extensions.allowlist \u201c{AMA}\u201d",
                 [(1, SET_AMA)], id="typographic-quotes-are-quotes-in-powershell"),
    pytest.param(CMD, f'"%ProgramFiles%\\AzureConnectedMachineAgent\\azcmagent.exe" config set ^'
                      f'\n  extensions.allowlist "{AMA}" && echo done', [(1, SET_AMA)],
                 id="cmd-caret-and-chain"),
]


@pytest.mark.parametrize(("language", "text", "expected"), FORMS)
def test_r8a_the_agent_is_found_however_the_script_calls_it(
        language: Language, text: str, expected: list[tuple[int, tuple[str, ...]]]) -> None:
    assert calls(text, language) == expected


def test_r8a_a_value_from_a_variable_the_script_does_not_set_is_unresolved() -> None:
    (call,) = read_script('azcmagent config set extensions.allowlist "$ALLOWED"',
                          language=SH).calls
    assert isinstance(call.words[-1], Unresolved)
    (finding,) = lint('azcmagent config set extensions.allowlist "$ALLOWED"', name="x.sh")
    assert (finding.code, finding.severity, finding.line) == ("value_not_known",
                                                              Severity.WARNING, 1)


def test_r8a_lines_that_are_not_agent_calls_are_skipped_and_listed_when_strict() -> None:
    script = f'Write-Host "hardening"\n$x = 1\nazcmagent config set extensions.allowlist "{AMA}"'
    assert [f.code for f in lint(script, name="h.ps1")] == ["guest_configuration_enabled"]
    strict = lint(script, name="h.ps1", strict=True)
    assert [f.line for f in strict if f.code == "not_an_agent_call"] == [1, 2]


DOCUMENTED = [
    "azcmagent connect --resource-group rg --location westeurope --subscription-id s "
    "--tenant-id t --use-device-code",
    "azcmagent disconnect --force-local-only",
    "azcmagent show -j", "azcmagent show --json --no-color",
    "azcmagent check --location eastus --enable-pls-check",
    "azcmagent logs --full --output /tmp/logs.zip",
    "azcmagent version", "azcmagent genkey", "azcmagent license", "azcmagent upgrade",
    "azcmagent config info proxy.url", "azcmagent config info",
    "azcmagent config list -j", "azcmagent config list --json --log-stderr --verbose",
    "azcmagent config get extensions.allowlist --no-color",
    "azcmagent help connect",
]


@pytest.mark.parametrize("line", DOCUMENTED)
def test_r8a_every_documented_command_and_flag_is_read_not_refused(line: str) -> None:
    findings = lint(line)
    assert all(f.severity is Severity.INFO for f in findings), findings
    assert {f.code for f in findings} <= {"no_effect"}


@pytest.mark.parametrize(("line", "gate"), [
    ("azcmagent config set proxy.url http://proxy:3128", "1.13"),
    ("azcmagent config set proxy.bypass Arc,ARM", "1.15"),
    ("azcmagent config set incomingconnections.ports 22,3389", "1.31"),
    ("azcmagent config set extensions.agent.cpulimit 40", "1.39"),
    ("azcmagent config set guestconfiguration.agent.cpulimit 10", "1.39"),
    ("azcmagent config set connection.type gateway", "1.43"),
])
def test_r30_documented_keys_are_read_from_their_version_on(line: str, gate: str) -> None:
    version = AgentVersion.parse(gate)
    before = AgentVersion(version.major, version.minor - 1)
    assert [f.code for f in lint(line, agent_version=version)] == []
    (refused,) = lint(line, agent_version=before)
    assert refused.code == "key_unavailable" and refused.line == 1


@pytest.mark.parametrize(("line", "message"), [
    ("azcmagent config set connection.type satellite", "satellite"),
    ("azcmagent config set extensions.agent.cpulimit 150", "150"),
    ("azcmagent config set incomingconnections.ports ssh", "ssh"),
    ("azcmagent config set proxy.bypass Everything", "Everything"),
])
def test_r8a_bad_values_of_the_new_keys_are_refused_with_the_value(line: str,
                                                                    message: str) -> None:
    (refused,) = lint(line)
    assert refused.code == "command_refused" and message in refused.message


def test_r15_r30_several_agent_versions_say_which_versions_a_finding_holds_on() -> None:
    findings = lint('azcmagent config set extensions.allowlist "Allow/None"\n'
                    "azcmagent config set guestconfiguration.enabled false",
                    agent_versions=["1.30", "1.58"])
    assert [(f.code, f.message.split(")")[0]) for f in findings] == [
        ("allow_none_unsupported", "(agent 1.30")]


def test_a_version_range_is_the_versions_where_behaviour_changes() -> None:
    found = versions_between(AgentVersion.parse("1.30"), AgentVersion.parse("1.58"))
    assert [str(v) for v in found] == ["1.30", "1.31", "1.35", "1.39", "1.43", "1.58"]


def test_r8a_findings_are_sorted_by_line() -> None:
    script = (f'azcmagent config set extensions.allowlist "{AMA},'
              'Microsoft.Compute/CustomScriptExtension"\n'
              "azcmagent config set extensions.blocklist nope\n"
              "azcmagent config set proxy.url http://p:3128\n")
    lines = [f.line for f in lint(script)]
    assert lines == sorted(lines, key=lambda n: float("inf") if n is None else n)
    assert lines[0] == 1 and None in lines


def test_r8a_connect_config_file_is_followed_when_given() -> None:
    script = 'azcmagent connect --config "settings.json"'
    assert config_file_names(script) == ["settings.json"]
    unread = lint(script)
    assert "config_file_not_read" in {f.code for f in unread}
    read = lint(script, config_files={"settings.json": {
        "extensions.allowlist": f"{AMA},Microsoft.Compute/CustomScriptExtension"}})
    assert "script_extension_allowed" in {f.code for f in read}
    assert "config_file_not_read" not in {f.code for f in read}


def test_r8a_the_corpus_connect_config_sets_the_lockdown_it_names() -> None:
    script = CORPUS / "scripts/powershell/connect-config-file.ps1"
    settings = json.loads((CORPUS / "scripts/powershell/connect-config.json").read_text())
    findings = lint(script.read_text(), name=script.name,
                    config_files={"connect-config.json": settings})
    assert [f.code for f in findings] == ["no_effect"]
    assert {f.code for f in lint(script.read_text(), name=script.name)} >= {
        "config_file_not_read"}


def test_lint_cli_takes_versions_repeated_or_as_a_range_and_strict(arcsim: Arcsim,
                                                                 tmp_path: Path) -> None:
    script = tmp_path / "esu.ps1"
    script.write_text('Write-Host "ESU only"\nazcmagent config set extensions.allowlist '
                      '"Allow/None"\nazcmagent config set guestconfiguration.enabled false\n')
    status, out, _ = arcsim("lint", script, "--json", "--agent-version", "1.30",
                            "--agent-version", "1.58")
    result = json.loads(out)
    assert status == 1 and result["agent_versions"] == ["1.30", "1.58"]
    status, out, _ = arcsim("lint", script, "--json", "--agent-version", "1.30-1.58", "--strict")
    result = json.loads(out)
    assert result["agent_versions"] == ["1.30", "1.31", "1.35", "1.39", "1.43", "1.58"]
    assert [f["line"] for f in result["findings"]][:1] == [1]
    status, _, err = arcsim("lint", script, "--agent-version", "1.58-x")
    assert status == 2 and err.startswith("arcsim: error: argument --agent-version")


SCRIPT_FORMS = [
    ("x.sh", "# lock down\necho start\n{prefix} {rest}\n"),
    ("x.sh", "sudo azcmagent config \\\n  {tail}\n"),
    ("x.ps1", '& "$env:ProgramW6432\\AzureConnectedMachineAgent\\azcmagent.exe" {rest}\n'),
    ("x.ps1", "<# lock down #>\nazcmagent config `\n  {tail}\n"),
    ("x.ps1", '$agent = "C:\\Program Files\\AzureConnectedMachineAgent\\azcmagent.exe"\n'
              "& $agent {rest}\n"),
    ("x.cmd", "@echo off\nazcmagent.exe config ^\n  {tail}\n"),
]


@settings(max_examples=60, deadline=None)
@given(line=valid_command_lines(), form=st.sampled_from(SCRIPT_FORMS))
def test_r8a_a_command_line_lints_the_same_in_every_script_form(
        line: str, form: tuple[str, str]) -> None:
    """Law: how a script calls the agent (path, variable, continuation, comments) does not
    change what the agent does with the line."""
    prefix, _, rest = line.partition(" config ")
    rest = "config " + rest
    name, template = form
    script = template.format(prefix=prefix, rest=rest, tail=rest.removeprefix("config "))

    def seen(text: str, file: str) -> list[tuple[str, str]]:
        return [(f.code, f.severity.value) for f in lint(text, name=file)]

    assert seen(script, name) == seen(line, "runbook.txt")
