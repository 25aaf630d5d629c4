"""What a script extension runs (R7): the agent-facing lines of its settings, however the
settings are written (plain text, Custom Script JSON, base64 Linux scripts, Run Command)."""

from __future__ import annotations

import base64
import gzip
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.rules.scripts import command_lines

ALLOW = 'azcmagent config set extensions.allowlist "Microsoft.Compute/CustomScriptExtension"'


@pytest.mark.parametrize(("settings", "lines"), [
    (ALLOW, [ALLOW]),
    (f"sudo {ALLOW}\necho done", [ALLOW]),
    (f"echo start && {ALLOW} || exit 1", [ALLOW]),
    (json.dumps({"commandToExecute": f"powershell -c x; {ALLOW}"}), [ALLOW]),
    (json.dumps({"commandToExecute": '& "C:\\Program Files\\AzureConnectedMachineAgent\\'
                                     'azcmagent.exe" config set extensions.enabled false'}),
     ["azcmagent config set extensions.enabled false"]),
    (json.dumps({"script": base64.b64encode(f"#!/bin/sh\n{ALLOW}\n".encode()).decode()}),
     [ALLOW]),
    (json.dumps({"script": base64.b64encode(gzip.compress(
        b"systemctl stop extd\nazcmagent extension remove --all\n")).decode()}),
     ["systemctl stop extd", "azcmagent extension remove --all"]),
    (json.dumps({"source": {"script": "Stop-Service ExtensionService; azcmagent config list"}}),
     ["Stop-Service ExtensionService", "azcmagent config list"]),
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
        assert first in ("azcmagent", "systemctl", "stop-service", "start-service",
                         "restart-service")


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
    assert command_lines(wrapped) == [ALLOW]
