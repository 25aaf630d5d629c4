"""What a script extension runs (R7): the agent-facing lines of its settings, however the
settings are written (plain text, Custom Script JSON, base64 Linux scripts, Run Command)."""

from __future__ import annotations

import base64
import gzip
import json
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import valid_command_lines

from sim.rules.command_parse import parse, parse_words
from sim.rules.script_calls import read_script
from sim.rules.scripts import command_lines

ALLOW = 'azcmagent config set extensions.allowlist "Microsoft.Compute/CustomScriptExtension"'
RUN = "azcmagent config set extensions.allowlist Microsoft.Compute/CustomScriptExtension"
"""``ALLOW`` as the agent is given it: its words, quoted only where a shell needs it."""


@pytest.mark.parametrize(("settings", "lines"), [
    (ALLOW, [RUN]),
    (f"sudo {ALLOW}\necho done", [RUN]),
    (f"echo start && {ALLOW} || exit 1", [RUN]),
    (json.dumps({"commandToExecute": f"powershell -c x; {ALLOW}"}), [RUN]),
    (json.dumps({"commandToExecute": '& "C:\\Program Files\\AzureConnectedMachineAgent\\'
                                     'azcmagent.exe" config set extensions.enabled false'}),
     ["azcmagent config set extensions.enabled false"]),
    (json.dumps({"script": base64.b64encode(f"#!/bin/sh\n{ALLOW}\n".encode()).decode()}),
     [RUN]),
    (json.dumps({"script": base64.b64encode(gzip.compress(
        b"systemctl stop extd\nazcmagent extension remove --all\n")).decode()}),
     ["systemctl stop extd", "azcmagent extension remove --all"]),
    (json.dumps({"source": {"script": "Stop-Service ExtensionService; azcmagent config list"}}),
     ["stop-service ExtensionService", "azcmagent config list"]),
    ("/opt/azcmagent/bin/azcmagent config list", ["azcmagent config list"]),
    ("azcmagentx config list; echo azcmagent; Get-Service", []),
    (json.dumps({"fileUris": ["https://example/x.ps1"], "timestamp": 3}), []),
    ("{not json: azcmagent config list", []),
])
def test_r7_script_extension_settings_give_the_agent_commands_they_run(
        settings: str, lines: list[str]) -> None:
    assert command_lines(settings) == lines


@given(st.text())
def test_r7_every_line_found_is_an_agent_or_service_command(text: str) -> None:
    for line in command_lines(text):
        first = line.split()[0].lower()
        assert first in ("azcmagent", "systemctl", "stop-service", "start-service", "net")


def test_r7_a_custom_script_with_json_settings_rewrites_the_allowlist() -> None:
    from sim.engine import (
        DAY,
        CloudRequest,
        FleetSpec,
        GroupSpec,
        InstalledExtension,
        Timing,
        World,
    )

    ama = "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent"
    cse = "Microsoft.Compute/CustomScriptExtension"
    mma = "Microsoft.EnterpriseCloud.Monitoring/MicrosoftMonitoringAgent"
    lockdown = f'azcmagent config set extensions.allowlist "{ama},{cse}"'
    fleet = FleetSpec((GroupSpec("win", 2, agent_versions={"1.40": 1.0},
                                 extensions=(InstalledExtension(ama),), commands=(lockdown,)),))
    w = World(fleet, seed=1)
    widen = ('& "C:\\Program Files\\AzureConnectedMachineAgent\\azcmagent.exe" config set '
             f'extensions.allowlist "{ama},{cse},{mma}"')
    w.add(CloudRequest("ops", operation="install", extension=cse,
                       settings=json.dumps({"commandToExecute": f"powershell -c {widen}"}),
                       timing=Timing(at=60)))
    w.run(DAY)
    assert [w.config(m).allowlist[-1].name for m in range(2)] == [mma, mma]


@pytest.mark.parametrize("wrapped", [
    f"powershell -ExecutionPolicy Bypass -Command {ALLOW}",
    f"bash -c '{ALLOW}'", f"sudo sh -c '{ALLOW}'", f"cmd /c {ALLOW}"])
def test_r7_one_command_shell_wrappers_are_seen_through(wrapped: str) -> None:
    assert command_lines(wrapped) == [RUN]


# --- the same reader as lint ---------------------------------------------------------------


@pytest.mark.parametrize(("script", "lines"), [
    ('echo "done; azcmagent config set extensions.enabled false"', []),
    ("azcmagent config set extensions.allowlist \\\n  Microsoft.Compute/CustomScriptExtension",
     [RUN]),
    ("if true; then\n  azcmagent config set \\\n    extensions.allowlist \\\n"
     "    Microsoft.Compute/CustomScriptExtension\nfi", [RUN]),
    ("systemctl daemon-reload && systemctl restart himdsd; systemctl stop extd",
     ["systemctl stop extd"]),
    ("azcmagent config set proxy.url 'http://p:3128/?a=1;b=2'",
     ["azcmagent config set proxy.url 'http://p:3128/?a=1;b=2'"]),
])
def test_r7_a_script_is_read_as_lint_reads_it(script: str, lines: list[str]) -> None:
    assert command_lines(script) == lines
    assert [parse(line).verb for line in lines] == [
        parse_words(call.words, "").verb for call in read_script(script).calls]


@given(valid_command_lines(), st.sampled_from([
    "{line}", "sudo {line}", "echo start; {line} && echo done", "# note\n{line} # keep"]))
def test_r7_a_command_line_runs_in_a_script_as_typed(line: str, form: str) -> None:
    """Law: the engine parses what a script extension runs into the command typed alone."""
    [found] = command_lines(form.format(line=line))
    assert replace(parse(found), line="") == replace(parse(line), line="")


def test_r7_a_quoted_semicolon_in_a_custom_script_changes_nothing() -> None:
    from sim.engine import DAY, CloudRequest, FleetSpec, GroupSpec, Timing, World

    fleet = FleetSpec((GroupSpec("linux", 1, agent_versions={"1.40": 1.0}),))
    w = World(fleet, seed=1)
    script = "echo 'to undo: ; azcmagent config set extensions.enabled false; then reboot'"
    w.add(CloudRequest("ops", operation="install",
                       extension="Microsoft.Azure.Extensions/CustomScript",
                       settings=json.dumps({"commandToExecute": script}), timing=Timing(at=60)))
    w.run(DAY)
    assert w.config(0).extensions_enabled
