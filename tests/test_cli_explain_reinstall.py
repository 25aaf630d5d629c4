"""``arcsim explain --op reinstall``: the extension manager's reinstall at resync after a
local removal (R6) is decided as an install; explain and lint lead to the rule's section of
docs/rules.md."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import AMA, CSE, Arcsim, allowlist

from sim.rules.lint import DEFAULT_AGENT_VERSION


def test_r6_explain_reinstall_is_decided_as_an_install(arcsim: Arcsim) -> None:
    status, out, err = arcsim("explain", "--config", allowlist(AMA), "--op", "reinstall",
                              "--extension", CSE)
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == f"reinstall {CSE} on agent {DEFAULT_AGENT_VERSION}: blocked"
    assert lines[1] == "  reason: not_on_allowlist (R13): an allowlist is set and the " \
                       "extension is not on it"
    assert lines[2] == "  rule: docs/rules.md#r13"
    assert "decide it as an install (docs/rules.md#r6)" in lines[3]


def test_r6_explain_reinstall_json_says_the_operation_as_asked(arcsim: Arcsim) -> None:
    status, out, _ = arcsim("explain", "--config", allowlist(AMA), "--op", "Reinstall",
                            "--extension", AMA, "--json")
    assert status == 0
    assert json.loads(out) == {"allowed": True, "reason": "allowed", "rule": "R13",
                               "extension": AMA, "operation": "reinstall",
                               "agent_version": str(DEFAULT_AGENT_VERSION),
                               "rule_doc": "docs/rules.md#r13"}


def test_explain_lists_reinstall_among_the_operations(arcsim: Arcsim) -> None:
    status, _, err = arcsim("explain", "--op", "resync", "--extension", AMA)
    assert status == 2
    assert "expected one of install, update, upgrade, delete, reinstall" in err


def test_r18_lint_leads_to_the_rules_of_its_findings(arcsim: Arcsim, tmp_path: Path) -> None:
    runbook = tmp_path / "runbook.txt"
    runbook.write_text(f"{allowlist(AMA, CSE)}\n")
    status, out, _ = arcsim("lint", runbook, "--json")
    findings = json.loads(out)["findings"]
    assert status == 1 and findings
    assert all(f["rule_doc"] == f"docs/rules.md#{f['rule'].lower()}" for f in findings)
    _, text, _ = arcsim("lint", runbook)
    assert "the rules: docs/rules.md#r18" in text
