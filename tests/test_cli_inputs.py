"""The text files ``arcsim explain``, ``arcsim lint`` and ``arcsim plan`` read: read within the
readers' size limit, and one message naming the file where one cannot be used."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import CSE, Arcsim

from sim.scenario.limits import ReadLimits

EXPLAIN = ["--op", "install", "--extension", CSE]


@pytest.fixture
def small_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """The readers' size limit at 32 bytes (16 MiB otherwise)."""
    limits = ReadLimits(max_bytes=32)
    for module in ("sim.cli.agent", "sim.cli.rules", "sim.planning.planner"):
        monkeypatch.setattr(f"{module}.LIMITS", limits)


@pytest.mark.usefixtures("small_limit")
@pytest.mark.parametrize("command", [
    ["explain", "--config-file", "{file}", *EXPLAIN],
    ["lint", "{file}"],
    ["plan", "--fleet", "default", "--lockdown", "{file}"],
])
def test_a_file_past_the_size_limit_is_one_error_naming_it(
        arcsim: Arcsim, tmp_path: Path, command: list[str]) -> None:
    big = tmp_path / "big.sh"
    big.write_text("azcmagent config list\n" * 3)
    status, out, err = arcsim(*(a.replace("{file}", str(big)) for a in command))
    assert (status, out) == (2, "")
    assert err == f"arcsim: error: {big}: cannot read: larger than 32 bytes\n"


def test_a_config_file_a_script_names_past_the_size_limit_is_one_error(
        arcsim: Arcsim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sim.cli.rules.LIMITS", ReadLimits(max_bytes=48))
    monkeypatch.setattr("sim.cli.agent.LIMITS", ReadLimits(max_bytes=48))
    script = tmp_path / "s.sh"
    script.write_text("azcmagent config set --config c.json\n")
    (tmp_path / "c.json").write_text('{"extensions.allowlist": "' + "x" * 40 + '"}')
    status, _, err = arcsim("lint", str(script))
    assert status == 2
    assert err == (f"arcsim: error: {tmp_path}/c.json: cannot read the --config file: "
                   "larger than 48 bytes\n")


@pytest.mark.parametrize(("content", "message"), [
    (None, "{file}: no such file"),
    (b"azcmagent config list\n\xff\n", "{file}: not UTF-8 text (byte 22: invalid start byte)"),
])
def test_explain_and_lint_name_a_file_they_cannot_use_as_before(
        arcsim: Arcsim, tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "r.sh"
    if content is not None:
        path.write_bytes(content)
    expected = f"arcsim: error: {message.replace('{file}', str(path))}\n"
    for argv in (["explain", "--config-file", str(path), *EXPLAIN], ["lint", str(path)]):
        status, _, err = arcsim(*argv)
        assert (status, err) == (2, expected)
