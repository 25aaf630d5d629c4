"""Runbooks run on one machine as the agent runs them (sim.rules.runbook; R6, R8, R8a, R21,
R30)."""

from __future__ import annotations

from helpers import AMA, allowlist

from sim.rules import AgentConfig, ExtensionId, LocalState
from sim.rules.commands import ErrorCode
from sim.rules.runbook import initial_config, run_runbook, runbook_lines
from sim.rules.script_calls import read_script

RUNBOOK = f"""#!/bin/bash
# lock the server down
set -euo pipefail
sudo {allowlist(AMA)}
azcmagent config set guestconfiguration.enabled false && echo locked

azcmagnet config set extensions.enabled false
"""


def test_runbook_keeps_agent_commands_with_their_lines_and_lists_the_others() -> None:
    book = runbook_lines(RUNBOOK, "lock.sh")
    assert [(line.number, line.text) for line in book.lines] == [
        (4, allowlist(AMA).replace('"', "")),
        (5, "azcmagent config set guestconfiguration.enabled false")]
    assert book.skipped == (3, 7)  # set -euo pipefail; the misspelt azcmagnet
    assert book.source == "lock.sh"


def test_r30_a_refused_line_changes_nothing_and_the_next_line_still_runs() -> None:
    book = runbook_lines([allowlist("Allow/None"),
                          "azcmagent config set guestconfiguration.enabled false"])
    outcome = run_runbook(book.lines, LocalState(AgentConfig.fresh("1.30")))
    assert not outcome.reached
    [refusal] = outcome.refusals
    assert refusal.code is ErrorCode.ALLOW_NONE_UNSUPPORTED and refusal.rule == "R15"
    assert refusal.line.number == 1
    assert not outcome.state.config.allowlist
    assert not outcome.state.config.guest_configuration_enabled


def test_r21_lists_frozen_in_monitor_mode_are_refused_with_their_rule() -> None:
    book = runbook_lines(["azcmagent config set config.mode monitor", allowlist(AMA)])
    [refusal] = run_runbook(book.lines, LocalState(AgentConfig.fresh("1.45"))).refusals
    assert (refusal.code, refusal.rule) == (ErrorCode.LISTS_FROZEN, "R21")


def test_r8a_typographic_quotes_are_refused_not_dropped() -> None:
    book = runbook_lines(['azcmagent config set extensions.allowlist “Contoso/Agent”'])
    [refusal] = run_runbook(book.lines, LocalState(AgentConfig.fresh("1.45"))).refusals
    assert refusal.code is ErrorCode.INVALID_VALUE


def test_r6_a_runbook_can_remove_an_extension_with_the_service_stopped() -> None:
    book = runbook_lines(["systemctl stop extd", f"azcmagent extension remove --name {AMA}"])
    before = LocalState(AgentConfig.fresh("1.45"), (ExtensionId.parse(AMA),))
    outcome = run_runbook(book.lines, before)
    assert outcome.reached and outcome.state.installed == ()
    assert not outcome.state.service_running


def test_r8_initial_config_takes_only_configuration_changes() -> None:
    config, refused = initial_config("1.45", [allowlist(AMA), "systemctl stop extd",
                                              "azcmagent config set bogus.key 1"])
    assert [e.name for e in config.allowlist] == [AMA]
    assert [e.code for e in refused] == [ErrorCode.UNKNOWN_KEY]


def test_r8a_a_runbook_is_read_as_lint_reads_it() -> None:
    text = (f'echo "next: ; azcmagent config set extensions.enabled false"\n'
            f"azcmagent config set \\\n  extensions.allowlist {AMA}\n"
            "systemctl restart himdsd\n")
    book = runbook_lines(text, "lock.sh")
    assert [(line.number, line.text) for line in book.lines] == [
        (2, f"azcmagent config set extensions.allowlist {AMA}")]
    assert book.skipped == (1, 4)
    assert [line.number for line in book.lines] == [
        call.line for call in read_script(text, "lock.sh").calls]
    outcome = run_runbook(book.lines, LocalState(AgentConfig.fresh("1.45")))
    assert outcome.reached and outcome.state.config.extensions_enabled
