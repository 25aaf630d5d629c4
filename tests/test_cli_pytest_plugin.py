"""The pytest plugin: scenario files with ``expect:`` blocks are collected and run as tests."""

from __future__ import annotations

import os
from importlib.metadata import entry_points
from pathlib import Path

import pytest

# Imported here, outside pytester's module snapshots: numpy and pyarrow cannot be imported
# twice in one process.
import sim.api  # noqa: F401

pytest_plugins = ["pytester"]

PLUGIN = ("-p", "no:arcsim", "-p", "sim.pytest_plugin", "-p", "no:hypothesispytest")
"""Load the plugin by module whether or not the installed entry point is current (and leave
out hypothesis's plugin, which costs a second per session)."""

SCENARIO = """\
name: {name}
duration: 1d
fleet:
  - group: g
    count: 10
    agent_version: "1.45"
    commands:
      - >-
        azcmagent config set extensions.allowlist
        "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent"
timeline:
  - at: 1h
    install: Microsoft.Compute/CustomScriptExtension
expect:
  blocked.install.not_on_allowlist: {blocked}
  coverage.machines: {machines}
"""


def scenario(name: str, blocked: str = "10", machines: str = "10") -> str:
    return SCENARIO.format(name=name, blocked=blocked, machines=machines)


def test_entry_point_is_registered() -> None:
    found = [e for e in entry_points(group="pytest11") if e.name == "arcsim"]
    assert [e.value for e in found] == ["sim.pytest_plugin"]


def test_a_scenario_file_is_one_test_named_after_it(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", **{"lockdown-holds": scenario("lockdown-holds")})
    pytester.makefile(".yaml", notes="just: some yaml\nexpectations: none\n")
    result = pytester.runpytest(*PLUGIN, "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*lockdown-holds.yaml::lockdown-holds PASSED*"])


def test_a_miss_shows_expected_against_actual(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", misses=scenario("misses", blocked='"== 3"'))
    result = pytester.runpytest(*PLUGIN)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*scenario misses: 1 of 2 expectations missed (seed 0, scale 1)*",
        "*metric*expected*actual*",
        "*blocked.install.not_on_allowlist*== 3*10*MISS*",
        "*coverage.machines*== 10*10*ok*",
    ])
    result.stdout.no_fnmatch_line("*Traceback*")


def test_an_invalid_scenario_fails_with_located_errors(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", broken=scenario("broken").replace("duration: 1d", "duration: x"))
    result = pytester.runpytest(*PLUGIN)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(['*broken.yaml:2: duration: expected a duration like*"x"'])
    result.stdout.no_fnmatch_line("*Traceback*")


def test_an_unreadable_scenario_file_fails_naming_it(pytester: pytest.Pytester,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makefile(".yaml", readable=scenario("readable"))
    locked = pytester.makefile(".yaml", locked=scenario("locked"))
    locked.chmod(0)
    if os.access(locked, os.R_OK):  # root reads it anyway: make reading it fail as it would
        read_bytes = Path.read_bytes

        def refuse(path: Path) -> bytes:
            if path.name == locked.name:
                raise PermissionError(13, "Permission denied", str(path))
            return read_bytes(path)

        monkeypatch.setattr(Path, "read_bytes", refuse)
    result = pytester.runpytest(*PLUGIN)
    result.assert_outcomes(passed=1, failed=1)  # collected and failed, not silently left out
    result.stdout.fnmatch_lines(["locked.yaml: cannot read: [[]Errno 13[]] Permission denied"])
    result.stdout.no_fnmatch_line("*Traceback*")


def test_scale_option(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", scaled=scenario("scaled", blocked="5", machines="5"))
    pytester.runpytest(*PLUGIN, "--arcsim-scale", "0.5").assert_outcomes(passed=1)
    pytester.runpytest(*PLUGIN).assert_outcomes(failed=1)
    bad = pytester.runpytest(*PLUGIN, "--arcsim-scale", "0")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    bad.stderr.fnmatch_lines(["*--arcsim-scale: expected a number > 0, got 0.0*"])


def test_out_option_keeps_the_result_folders(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", kept=scenario("kept"))
    kept = pytester.path / "kept-results"
    pytester.runpytest(*PLUGIN, "--arcsim-out", str(kept)).assert_outcomes(passed=1)
    (folder,) = kept.iterdir()
    assert folder.name.startswith("kept-0-") and (folder / "records.parquet").is_file()


def test_a_folder_without_scenarios_is_a_collection_error(pytester: pytest.Pytester) -> None:
    empty = pytester.mkdir("no-scenarios")
    (empty / "notes.yaml").write_text("just: yaml\n")
    result = pytester.runpytest(*PLUGIN, "no-scenarios")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*no-scenarios: no scenario found (no *.yaml file with an "
                                 "expect: block, and no other test)*"])


def test_regular_tests_are_left_alone(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="def test_ok():\n    assert True\n")
    pytester.runpytest(*PLUGIN, ".").assert_outcomes(passed=1)
