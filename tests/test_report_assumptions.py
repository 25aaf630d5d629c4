"""The report's assumption notes (R19): the monitor-mode list note appears when a scenario
switches machines to monitor mode as the agent reads the command line, and not otherwise."""

from __future__ import annotations

import pytest

from sim.report.assumptions import assumption_notes, sets_monitor_mode, uses_monitor_mode
from sim.scenario.loading import scenario_from_text

BASE = """\
name: m
duration: 1h
fleet:
  - group: g
    count: 1
    agent_version: "1.45"
    commands: [{line}]
"""


@pytest.mark.parametrize("line", [
    "azcmagent config set config.mode monitor",
    "azcmagent config set config.mode Monitor",
    "sudo azcmagent config set config.mode MONITOR",
    '"azcmagent config set config.mode \\" monitor \\""',
])
def test_r19_monitor_mode_in_any_case_gets_the_list_note(line: str) -> None:
    scenario = scenario_from_text(BASE.format(line=line))
    assert uses_monitor_mode(scenario)
    assert any("monitor-mode allowlist" in n for n in assumption_notes(scenario))


@pytest.mark.parametrize("line", [
    '"# config.mode monitor is not set here"',
    '"azcmagent config set config.mode full # not monitor"',
    "azcmagent config get config.mode",
    '"azcmagent config set extensions.allowlist monitor-config.mode"',
])
def test_r19_lines_that_only_mention_monitor_mode_get_no_note(line: str) -> None:
    scenario = scenario_from_text(BASE.format(line=line))
    assert not uses_monitor_mode(scenario)
    assert not any("monitor-mode allowlist" in n for n in assumption_notes(scenario))


def test_a_line_the_agent_refuses_does_not_set_monitor_mode() -> None:
    assert not sets_monitor_mode("azcmagent config set config.mode")
    assert not sets_monitor_mode('azcmagent config set config.mode "monitor')
    assert sets_monitor_mode("azcmagent config set config.mode monitor")
