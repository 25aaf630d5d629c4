"""Byte-level mutation of every file arcsim ships (scenarios, policy definitions, runbooks, test
exports), read by the ``arcsim`` command that reads it: exit status 0, 1 or 2, never a
traceback, and a file it writes is whole or absent."""

from __future__ import annotations

import functools
import shutil
import tempfile
from pathlib import Path

import pytest
from fuzzing import ROOT, byte_mutations, fuzz_settings, leftovers, run_cli
from hypothesis import example, given
from hypothesis import strategies as st

pytestmark = [pytest.mark.fuzz, pytest.mark.filterwarnings("ignore::sim.errors.ArcsimWarning")]

SHIPPED = sorted(
    [*(ROOT / "scenarios").rglob("*.yaml"), *(ROOT / "scenarios").rglob("*.json"),
     *(ROOT / "scenarios").rglob("*.txt"), *(ROOT / "tests" / "data").rglob("*.json"),
     *(ROOT / "tests" / "data").rglob("*.csv"), *(ROOT / "tests" / "data").rglob("*.yaml")],
    key=str)
"""Every file arcsim ships that one of its commands reads."""
POLICY_SCENARIO = """\
name: mutated-policy
duration: 1d
fleet: [{group: web, count: 2, agent_version: "1.45"}]
policies: [{name: p, definition: mutated.json}]
"""


@functools.cache
def workspace() -> Path:
    """A copy of the shipped scenarios (their policies and runbooks beside them), where a
    mutated file is written next to the files it refers to."""
    folder = Path(tempfile.mkdtemp(prefix="arcsim-bytes-"))
    shutil.copytree(ROOT / "scenarios", folder / "scenarios")
    shutil.copytree(ROOT / "tests" / "data" / "inventory", folder / "inventory")
    return folder


def command_for(original: Path, raw: bytes) -> tuple[list[str], Path | None]:
    """The ``arcsim`` command line that reads a mutated copy of ``original``, and the file
    it may write (None: it writes none)."""
    work = workspace()
    if original.suffix == ".txt":
        target = work / "scenarios" / "runbooks" / "mutated.txt"
        target.write_bytes(raw)
        return ["lint", str(target)], None
    if original.suffix == ".json" and {"policies", "azure-policy"} & set(original.parts):
        (work / "scenarios" / "mutated.json").write_bytes(raw)
        (work / "scenarios" / "mutated-policy.yaml").write_text(POLICY_SCENARIO)
        return ["validate", str(work / "scenarios" / "mutated-policy.yaml")], None
    if original.suffix in (".json", ".csv"):
        target = work / "inventory" / f"mutated{original.suffix}"
        target.write_bytes(raw)
        out = work / "imported" / "fleet.yaml"
        return ["import", str(target), "--out", str(out), "--quiet"], out
    folder = original.parent.relative_to(ROOT)
    home = work / ("inventory" if "inventory" in folder.parts else "scenarios")
    target = home / "mutated.yaml"
    target.write_bytes(raw)
    return ["validate", str(target)], None


@fuzz_settings(200)
@given(st.sampled_from(SHIPPED).flatmap(
    lambda path: st.tuples(st.just(path), byte_mutations(path.read_bytes()))))
@example((ROOT / "scenarios" / "default.yaml", b"name: \x00"))
@example((ROOT / "scenarios" / "default.yaml", b"a: " + b"[" * 3000))
@example((ROOT / "tests" / "data" / "inventory" / "cli-list.json", b"[" * 3000))
@example((ROOT / "scenarios" / "policies" / "LogAnalyticsExtension_Windows_HybridVM_Deny.json",
          b'{"a": "\xe9"}'))
def test_any_mutated_shipped_file_exits_0_1_or_2(case: tuple[Path, bytes]) -> None:
    original, raw = case
    argv, written = command_for(original, raw)
    if written is not None:
        shutil.rmtree(written.parent, ignore_errors=True)
        written.parent.mkdir()
    code, _, _ = run_cli(argv)
    if written is not None:
        assert leftovers(written.parent) == []
        if code != 0:
            assert not written.exists()
        else:
            assert written.read_text(encoding="utf-8").startswith("#")


def test_every_kind_of_shipped_file_is_fuzzed() -> None:
    kinds = {path.suffix for path in SHIPPED}
    assert kinds == {".yaml", ".json", ".txt", ".csv"}
    assert len(SHIPPED) >= 30
