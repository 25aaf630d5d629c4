"""``arcsim``'s exit statuses: one enum, and one place where exceptions become them (a message
and a status, never a traceback), whichever command raised them."""

from __future__ import annotations

import json

import pytest
from helpers import Arcsim

from sim.cli import ExitStatus
from sim.cli.common import UsageError
from sim.cli.status import Interrupted, failure_status
from sim.runs.sweep import SweepInterrupted

CSE = "Microsoft.Compute/CustomScriptExtension"


def test_exit_statuses_are_the_documented_numbers() -> None:
    assert [(s.name, int(s)) for s in ExitStatus] == [
        ("OK", 0), ("FINDINGS", 1), ("BAD_INPUT", 2), ("INTERRUPTED", 130), ("CLOSED_PIPE", 141)]


def test_a_usage_error_is_one_line_and_status_2(arcsim: Arcsim) -> None:
    status, out, err = arcsim("explain", "--op", "frobnicate", "--extension", CSE)
    assert (status, out) == (ExitStatus.BAD_INPUT, "")
    assert err == ("arcsim: error: argument --op: expected one of install, update, upgrade, "
                   "delete, reinstall, got \"frobnicate\" (see 'arcsim explain --help')\n")


def test_help_is_status_0(arcsim: Arcsim) -> None:
    status, out, _ = arcsim("--help")
    assert status == ExitStatus.OK and out.startswith("usage: arcsim")
    listed = out[out.index("  COMMAND\n"):out.index("\noptions:")].splitlines()[1:]
    commands = [line.split()[0] for line in listed if line.startswith("    ")
                and not line.startswith("     ")]
    assert commands == ["explain", "lint", "config", "plan", "catalogue", "run", "validate",
                        "check", "list", "schema", "activity-log", "report", "compare", "sweep",
                        "import"]


def test_a_refused_command_is_json_with_json_and_a_message_without(arcsim: Arcsim) -> None:
    argv = ("explain", "--agent-version", "1.30", "--config",
            'azcmagent config set extensions.allowlist "Allow/None"', "--op", "install",
            "--extension", CSE)
    status, out, err = arcsim(*argv)
    assert (status, out) == (ExitStatus.BAD_INPUT, "")
    assert err.startswith('arcsim: error: --config #1: the agent refuses "azcmagent config set')
    status, out, err = arcsim(*argv, "--json")
    assert (status, err) == (ExitStatus.BAD_INPUT, "")
    assert json.loads(out)["error"]["line"] == 1


def test_an_interrupted_run_says_no_folder_was_written(
        arcsim: Arcsim, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*_args: object, **_options: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("sim.runs.single.run", interrupted)
    status, out, err = arcsim("run", "default", "--quiet")
    assert (status, out) == (ExitStatus.INTERRUPTED, "")
    assert err == "arcsim: interrupted; no result folder was written\n"


def test_an_interrupted_sweep_says_how_far_it_got(
        arcsim: Arcsim, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*_args: object, **_options: object) -> None:
        raise SweepInterrupted("interrupted: 2 of 6 runs are finished in s; run the same "
                               "sweep with --resume to go on")

    monkeypatch.setattr("sim.runs.sweep.sweep", interrupted)
    status, _, err = arcsim("sweep", "default", "--grid", "params.check_period=5m,1h")
    assert status == ExitStatus.INTERRUPTED
    assert err == ("arcsim: interrupted: 2 of 6 runs are finished in s; run the same sweep "
                   "with --resume to go on\n")


def test_a_plain_interrupt_says_interrupted(capsys: pytest.CaptureFixture[str]) -> None:
    assert failure_status(KeyboardInterrupt()) == ExitStatus.INTERRUPTED
    assert failure_status(Interrupted("interrupted; nothing left")) == 130
    assert capsys.readouterr().err == "arcsim: interrupted\narcsim: interrupted; nothing left\n"


def test_only_failures_a_user_can_cause_get_a_status() -> None:
    assert failure_status(UsageError("x")) == ExitStatus.BAD_INPUT
    with pytest.raises(TypeError, match="not a failure arcsim reports: ValueError"):
        failure_status(ValueError("a bug"))
