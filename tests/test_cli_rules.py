"""The ``arcsim`` command line over the rules layer: explain, lint, config (in-process)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import Arcsim

RUNBOOKS = Path(__file__).resolve().parent.parent / "scenarios" / "runbooks"
AMA_RUNBOOK = str(RUNBOOKS / "article-linux-ama.txt")
BLOCKLIST_RUNBOOK = str(RUNBOOKS / "article-blocklist-as-printed.txt")
AMA = "Microsoft.Azure.Monitor/AzureMonitorLinuxAgent"
CSE = "Microsoft.Compute/CustomScriptExtension"
ALLOW_AMA = f'azcmagent config set extensions.allowlist "{AMA}"'


# --- explain ---------------------------------------------------------------------------------


def test_r13_explain_allowed(arcsim: Arcsim) -> None:
    status, out, err = arcsim("explain", "--agent-version", "1.36", "--config", ALLOW_AMA,
                      "--op", "install", "--extension", AMA.lower())
    assert (status, err) == (0, "")
    assert out.splitlines()[0] == f"install {AMA} on agent 1.36: allowed"
    assert "reason: allowed (R13)" in out
    assert f"extensions.allowlist : [{AMA}]" in out
    assert "catalogue: Azure Monitor agent (AMA)" in out


def test_r13_explain_blocked_exits_0(arcsim: Arcsim) -> None:
    status, out, _ = arcsim("explain", "--agent-version", "1.36", "--config", ALLOW_AMA,
                    "--op", "install", "--extension", CSE)
    assert status == 0
    assert out.splitlines()[0] == f"install {CSE} on agent 1.36: blocked"
    assert "reason: not_on_allowlist (R13): an allowlist is set" in out
    assert "runs scripts with full privileges (R7)" in out
    assert "config.mode          : full" in out


def test_r13_explain_json(arcsim: Arcsim) -> None:
    status, out, _ = arcsim("explain", "--agent-version", "1.36", "--config", ALLOW_AMA,
                    "--op", "UPGRADE", "--extension", CSE, "--json")
    assert status == 0
    assert json.loads(out) == {"allowed": False, "reason": "not_on_allowlist", "rule": "R13",
                               "extension": CSE, "operation": "upgrade", "agent_version": "1.36",
                               "rule_doc": "docs/rules.md#r13"}


def test_r14_explain_delete_always_allowed(arcsim: Arcsim) -> None:
    status, out, _ = arcsim("explain", "--config", ALLOW_AMA, "--op", "delete",
                    "--extension", CSE, "--json")
    assert status == 0
    assert json.loads(out)["allowed"] is True


def test_r12_explain_without_commands(arcsim: Arcsim) -> None:
    status, out, _ = arcsim("explain", "--op", "install", "--extension", "Contoso/Widget")
    assert status == 0
    assert "reason: allowed (R12)" in out
    assert "not in arcsim's catalogue" in out


def test_r8a_explain_applies_config_and_files_in_order(
    arcsim: Arcsim, tmp_path: Path
) -> None:
    runbook = tmp_path / "runbook.txt"
    runbook.write_text(f"# lock down\n\nazcmagent config set extensions.blocklist {AMA}\n",
                       encoding="utf-8")
    status, out, _ = arcsim("explain", "--config", ALLOW_AMA, "--config-file", str(runbook),
                    "--config", f"azcmagent config set extensions.blocklist --remove {AMA}",
                    "--op", "install", "--extension", AMA, "--json")
    assert status == 0
    assert json.loads(out)["allowed"] is True
    status, out, _ = arcsim("explain", "--config", ALLOW_AMA, "--config-file", str(runbook),
                    "--op", "install", "--extension", AMA, "--json")
    assert json.loads(out)["reason"] == "on_blocklist"


def test_r1_explain_refused_command_json(arcsim: Arcsim) -> None:
    status, out, _ = arcsim("explain", "--config-file", BLOCKLIST_RUNBOOK, "--op", "install",
                    "--extension", CSE, "--json")
    assert status == 2
    error = json.loads(out)["error"]
    assert error["code"] == "usage"
    assert error["line"] == 3
    assert "typographic quotes" in error["message"]
    assert error["command"].startswith("azcmagent config set extensions.blocklist “")


def test_r1_explain_refused_command_text(arcsim: Arcsim) -> None:
    status, out, err = arcsim("explain", "--config", ALLOW_AMA, "--config",
                      "azcmagent config set extensions.blocklist NoSlash",
                      "--op", "install", "--extension", CSE)
    assert (status, out) == (2, "")
    assert err.startswith("arcsim: error: --config #2: the agent refuses ")
    assert '"NoSlash"' in err
    assert len(err.strip().splitlines()) == 1


def test_r30_explain_old_agent(arcsim: Arcsim) -> None:
    status, _, err = arcsim("explain", "--agent-version", "1.15", "--config", ALLOW_AMA,
                    "--op", "install", "--extension", CSE)
    assert status == 2
    assert "requires agent 1.16 or later" in err


BASE = ["--op", "install", "--extension", CSE]


@pytest.mark.parametrize(("argv", "expected"), [
    (["--config-file", "/nonexistent/runbook.txt", *BASE],
     "/nonexistent/runbook.txt: no such file"),
    (["--agent-version", "1.x", *BASE], "argument --agent-version: expected an agent version like"),
    (["--op", "install", "--extension", "NoSlash"],
     'argument --extension: "NoSlash" is not an extension name'),
    (["--op", "frob", "--extension", CSE],
     "argument --op: expected one of install, update, upgrade, delete"),
    ([*BASE, "--frob"], "unrecognized arguments: --frob"),
])
def test_explain_bad_input_is_one_error_line(
    arcsim: Arcsim, argv: list[str], expected: str
) -> None:
    status, out, err = arcsim("explain", *argv)
    assert (status, out) == (2, "")
    assert err.startswith("arcsim: error: ")
    assert expected in err
    assert len(err.strip().splitlines()) == 1


def test_explain_missing_required_flag(arcsim: Arcsim) -> None:
    status, _, err = arcsim("explain", "--op", "install")
    assert status == 2
    assert err.startswith("arcsim: error: the following arguments are required: --extension")


def test_explain_unreadable_file(arcsim: Arcsim, tmp_path: Path) -> None:
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\xff\xfe\x00bad")
    status, _, err = arcsim("explain", "--config-file", str(binary), "--op", "install",
                    "--extension", CSE)
    assert status == 2
    assert "not UTF-8 text" in err
    status, _, err = arcsim("explain", "--config-file", str(tmp_path), "--op", "install",
                    "--extension", CSE)
    assert (status, "is a directory" in err) == (2, True)


# --- lint ------------------------------------------------------------------------------------


def test_r18_lint_clean_runbook_exits_0(arcsim: Arcsim) -> None:
    status, out, _ = arcsim("lint", AMA_RUNBOOK)
    assert status == 0
    assert out.strip() == f"{AMA_RUNBOOK}: no findings"


def test_r1_lint_errors_exit_1(arcsim: Arcsim) -> None:
    status, out, _ = arcsim("lint", BLOCKLIST_RUNBOOK)
    assert status == 1
    assert "typographic_quotes" in out
    assert "malformed_entry" in out
    assert "Microsoft.Azure.Automation.HybridWorker/HybridWorkerForLinux" in out
    assert "2 errors, 0 warnings, 0 info" in out
    assert "\x1b[" not in out


def test_r18_lint_warnings_only_exit_0(arcsim: Arcsim, tmp_path: Path) -> None:
    runbook = tmp_path / "blocklist.txt"
    runbook.write_text(f"azcmagent config set extensions.blocklist {CSE}\n", encoding="utf-8")
    status, out, _ = arcsim("lint", str(runbook), "--json")
    assert status == 0
    report = json.loads(out)
    assert report["agent_versions"] == ["1.58"]
    assert {(f["code"], f["severity"], f["rule"]) for f in report["findings"]} == {
        ("blocklist_instead_of_allowlist", "warning", "R18"),
        ("script_extension_not_blocked", "warning", "R7"),
        ("guest_configuration_enabled", "warning", "R18"),
    }


def test_r30_lint_agent_version(arcsim: Arcsim) -> None:
    status, out, _ = arcsim("lint", AMA_RUNBOOK, "--agent-version", "1.15", "--json")
    assert status == 1
    findings = json.loads(out)["findings"]
    assert [(f["code"], f["line"]) for f in findings] == [("key_unavailable", 2),
                                                          ("key_unavailable", 3)]


def test_lint_missing_file(arcsim: Arcsim) -> None:
    status, out, err = arcsim("lint", "no-such-runbook.txt")
    assert (status, out) == (2, "")
    assert err == "arcsim: error: no-such-runbook.txt: no such file\n"


# --- config ----------------------------------------------------------------------------------


def test_r20_config_list_output(arcsim: Arcsim) -> None:
    status, out, _ = arcsim("config", "list", "--config",
                    "sudo azcmagent config set extensions.blocklist "
                    "Microsoft.EnterpriseCloud.Monitoring/MicrosoftMonitoringAgent")
    assert status == 0
    assert out.splitlines()[0] == "Local Configuration Settings"
    assert (f"  {'extensions.blocklist':<33} : "
            "[Microsoft.EnterpriseCloud.Monitoring/MicrosoftMonitoringAgent]") in out.splitlines()


def test_r20_config_list_from_a_runbook(arcsim: Arcsim) -> None:
    status, out, _ = arcsim("config", "list", "--config-file", AMA_RUNBOOK,
                    "--agent-version", "1.16")
    assert status == 0
    assert out == "\n".join([
        "Local Configuration Settings",
        f"  {'extensions.allowlist':<33} : [{AMA}]",
        f"  {'extensions.blocklist':<33} : []",
        f"  {'guestconfiguration.enabled':<33} : false",
        f"  {'proxy.url':<33} : ",
        f"  {'proxy.bypass':<33} : []",
    ]) + "\n"


def test_r20_config_get(arcsim: Arcsim) -> None:
    status, out, _ = arcsim("config", "get", "extensions.allowlist", "--config", ALLOW_AMA)
    assert (status, out) == (0, f"[{AMA}]\n")


def test_r8a_config_get_unknown_key(arcsim: Arcsim) -> None:
    status, out, err = arcsim("config", "get", "extensions.alowlist")
    assert (status, out) == (2, "")
    assert err.startswith("arcsim: error: ")
    assert 'did you mean "extensions.allowlist"?' in err


def test_cli_needs_a_subcommand(arcsim: Arcsim) -> None:
    status, _, err = arcsim()
    assert status == 2
    assert err.startswith("arcsim: error: the following arguments are required")


def test_cli_help_exits_0(arcsim: Arcsim) -> None:
    status, out, _ = arcsim("--help")
    assert status == 0
    for command in ("explain", "lint", "config"):
        assert command in out
