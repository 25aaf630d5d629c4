"""Every ``arcsim`` command with every awkward path: exit status 0, 1 or 2, never a traceback,
and an ``--out`` file or folder that is whole or absent."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import pytest
from fuzzing import ROOT, leftovers, run_cli

pytestmark = [pytest.mark.fuzz, pytest.mark.filterwarnings("ignore::sim.errors.ArcsimWarning")]

SMALL = ["--set", "fleet[0].count=3", "--set", "fleet[1].count=3", "--set", "fleet[2].count=3",
         "--set", "duration=1d"]
SCENARIO = str(ROOT / "scenarios" / "default.yaml")
EXPORT = str(ROOT / "tests" / "data" / "inventory" / "cli-list.json")

READERS = {
    "validate": ["validate", "{}"],
    "run": ["run", "{}", "--no-report", "--quiet", "--out", "{out}"],
    "check": ["check", "{}", "--out", "{out}"],
    "report": ["report", "{}"],
    "activity-log": ["activity-log", "{}"],
    "compare": ["compare", "{}", "{}", "--out", "{out}"],
    "import": ["import", "{}", "--quiet"],
    "lint": ["lint", "{}"],
    "plan": ["plan", "--fleet", "{}"],
    "plan-lockdown": ["plan", "--fleet", SCENARIO, "--lockdown", "{}"],
    "sweep": ["sweep", "{}", "--grid", "duration=1d", "--out", "{out}"],
    "explain": ["explain", "--op", "install", "--extension", "A/B", "--config-file", "{}"],
    "config": ["config", "list", "--config-file", "{}"],
    "replay": ["run", SCENARIO, *SMALL, "--replay", "{}", "--no-report", "--out", "{out}"],
}
"""Commands that read a path (``{}``), with the output they may write (``{out}``)."""

PATHS = {
    "missing": "missing.yaml",
    "300-characters": "a" * 300 + ".yaml",
    "directory": "folder",
    "binary": "binary.yaml",
    "empty": "empty.yaml",
    "dot": ".",
    "control-character": "a\x07b.yaml",
}


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder").mkdir()
    (tmp_path / "binary.yaml").write_bytes(b"\xff\xfe\x00[{" * 50)
    (tmp_path / "empty.yaml").write_bytes(b"")
    return tmp_path


@pytest.mark.parametrize(("command", "path"), list(itertools.product(READERS, PATHS)))
def test_every_command_with_any_path_exits_0_1_or_2(workspace: Path, command: str,
                                                    path: str) -> None:
    out = workspace / "out"
    argv = [a.replace("{}", PATHS[path]).replace("{out}", str(out)) for a in READERS[command]]
    code, _, _ = run_cli(argv)
    # a folder may hold scenarios, an empty runbook is one with nothing to say
    assert code in (1, 2) or path in ("dot", "directory", "empty")
    if out.exists():
        assert leftovers(out) == []


WRITERS = {
    "schema": ["schema", "--out", "{}"],
    "import": ["import", EXPORT, "--quiet", "--out", "{}"],
    "activity-log": ["activity-log", "{result}", "--out", "{}"],
    "plan-csv": ["plan", "--fleet", SCENARIO, "--csv", "{}"],
    "run": ["run", SCENARIO, *SMALL, "--no-report", "--quiet", "--out", "{}"],
    "compare": ["compare", "{result}", "{result}", "--no-figures", "--out", "{}"],
}
"""Commands that write to ``--out`` (or ``--csv``) ``{}``."""

TARGETS = {
    "dot": ".",
    "empty": "",
    "300-characters": "a" * 300,
    "missing-parent": "missing/deeper/out",
    "directory": "folder",
    "a-file-where-a-folder-belongs": "file/out",
}


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("result")
    code, printed, err = run_cli(["run", SCENARIO, *SMALL, "--no-report", "--quiet", "--out",
                                  str(out)])
    assert code == 0, err
    return Path(printed.strip())


@pytest.mark.parametrize(("command", "target"), list(itertools.product(WRITERS, TARGETS)))
def test_every_output_is_whole_or_absent(workspace: Path, result: Path, command: str,
                                         target: str) -> None:
    (workspace / "file").write_text("a file")
    before = sorted(p.name for p in workspace.iterdir())
    argv = [a.replace("{}", TARGETS[target]).replace("{result}", str(result))
            for a in WRITERS[command]]
    code, _, err = run_cli(argv)
    assert leftovers(workspace) == []
    if code != 0:
        assert err.strip(), "a failure says why"
        assert sorted(p.name for p in workspace.iterdir()) == before or target == "directory"


@pytest.mark.parametrize("raw", [b"azcmagent config set x \xff\xfe\n", b"\x00\x01\x02" * 100,
                                 b"\xef\xbb\xbfazcmagent config list\n"])
def test_lint_reads_stdin_as_it_reads_the_same_bytes_in_a_file(tmp_path: Path,
                                                               raw: bytes) -> None:
    """``lint -`` once linted undecodable bytes (exit 1) where the same file was exit 2."""
    (tmp_path / "runbook.txt").write_bytes(raw)
    statuses = []
    for argv, stdin in ((["lint", "-"], raw), (["lint", str(tmp_path / "runbook.txt")], b"")):
        done = subprocess.run([sys.executable, "-m", "sim", *argv], input=stdin,
                              capture_output=True, timeout=120, check=False)
        assert b"Traceback" not in done.stderr
        statuses.append(done.returncode)
    assert statuses[0] == statuses[1]
    if b"\xff" in raw:  # not UTF-8
        assert statuses == [2, 2]


@pytest.mark.parametrize(("config", "status"), [
    pytest.param("a: " + "[" * 3000 + "]" * 3000, 2, id="deep"),
    pytest.param("a: &a [1,1,1,1,1,1,1,1,1]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n"
        for i in range(8)), 2, id="alias-bomb"),
    pytest.param("\udcff", 2, id="not-utf-8"),
])
def test_a_config_file_a_script_names_is_read_within_the_limits(
        workspace: Path, config: str, status: int) -> None:
    (workspace / "options.yaml").write_bytes(config.encode("utf-8", "surrogateescape"))
    (workspace / "s.ps1").write_text("azcmagent config set --config options.yaml\n"
                                     f"azcmagent config set --config {'a' * 300}.json\n")
    code, _, err = run_cli(["lint", str(workspace / "s.ps1")])
    assert code == status
    assert "--config file" in err
