"""``arcsim`` as a process: Ctrl-C, SIGKILL, two identical runs at once, a read-only results
folder, a full disk. Whatever happens: exit status 0, 2 or 130 (never a traceback, never a
death by signal that was not SIGKILL), and a result folder that is complete or absent."""

from __future__ import annotations

import contextlib
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fuzzing import leftovers

import sim

ARCSIM = [sys.executable, "-m", "sim"]
SHARDED = ["run", "default", "--shards", "2", "--no-report", "--quiet",
           "--set", "fleet[0].count=5000", "--set", "fleet[1].count=5000",
           "--set", "fleet[2].count=5000", "--set", "duration=7d"]
SMALL = ["run", "default", "--no-report", "--quiet", "--set", "fleet[0].count=20",
         "--set", "fleet[1].count=20", "--set", "fleet[2].count=20", "--set", "duration=2d"]


def start(argv: list[str], **options: object) -> subprocess.Popen[str]:
    """``arcsim argv`` in its own process group (as a terminal runs a command)."""
    return subprocess.Popen([*ARCSIM, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True, **options)  # type: ignore[call-overload]


def finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    """Its exit status and stderr; what it left running in its group is killed."""
    try:
        _, err = process.communicate(timeout=300)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    return process.returncode, err


def check_results(out: Path) -> list[Path]:
    """The result folders in ``out``: each reads back whole (nothing half written)."""
    folders = [p for p in out.iterdir() if not p.name.startswith(".")] if out.is_dir() else []
    for folder in folders:
        result = sim.load(folder)
        assert len(result.records) == result.manifest["counts"]["records"]
    return folders


def records_bytes(folder: Path) -> bytes:
    return (folder / "records.parquet").read_bytes()


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The records of an uninterrupted sharded run."""
    out = tmp_path_factory.mktemp("reference")
    code, err = finish(start([*SHARDED, "--out", str(out)]))
    assert code == 0, err
    [folder] = check_results(out)
    return records_bytes(folder)


@pytest.mark.parametrize("seed", range(4))
def test_ctrl_c_at_any_point_of_a_sharded_run_exits_130_cleanly(
        tmp_path: Path, reference: bytes, seed: int) -> None:
    """SIGINT to the whole process group (what Ctrl-C does), at a random instant."""
    out = tmp_path / "results"
    process = start([*SHARDED, "--out", str(out)])
    time.sleep(random.Random(seed).uniform(0.1, 4.0))
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGINT)
    code, err = finish(process)
    assert "Traceback" not in err
    assert code in (0, 130), err
    folders = check_results(out)
    assert len(folders) == (1 if code == 0 else 0)
    assert all(records_bytes(f) == reference for f in folders)
    if out.is_dir():
        assert leftovers(out) == []


@pytest.mark.parametrize("seed", range(2))
def test_sigkill_at_any_point_leaves_nothing_that_looks_complete(
        tmp_path: Path, reference: bytes, seed: int) -> None:
    out = tmp_path / "results"
    process = start([*SHARDED, "--out", str(out)])
    time.sleep(random.Random(100 + seed).uniform(0.1, 4.0))
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    finish(process)
    check_results(out)
    code, err = finish(start([*SHARDED, "--out", str(out)]))  # the same run again: whole
    assert code == 0, err
    [folder] = check_results(out)
    assert records_bytes(folder) == reference


def test_two_identical_runs_at_once_both_succeed_with_the_same_bytes(
        tmp_path: Path, reference: bytes) -> None:
    out = tmp_path / "results"
    processes = [start([*SHARDED, "--out", str(out)]) for _ in range(2)]
    for process in processes:
        code, err = finish(process)
        assert code == 0, err
    [folder] = check_results(out)
    assert records_bytes(folder) == reference
    assert leftovers(out) == []


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """``folder`` made read-only (for root too: immutable), restored after."""
    folder.chmod(0o555)
    immutable = False
    if os.access(folder, os.W_OK):  # root ignores the mode
        if shutil.which("chattr") is None or subprocess.run(
                ["chattr", "+i", str(folder)], capture_output=True).returncode != 0:
            folder.chmod(0o755)
            pytest.skip("cannot make a folder read-only here")
        immutable = True
    try:
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        folder.chmod(0o755)


def test_a_read_only_results_folder_is_a_clear_error(tmp_path: Path) -> None:
    out = tmp_path / "results"
    out.mkdir()
    with read_only(out):
        code, err = finish(start([*SMALL, "--out", str(out)]))
    assert code == 2
    assert err.startswith(f"arcsim: error: cannot write {out}/default-42-")
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("argv", [
    pytest.param([*SMALL, "--csv"], id="run"),
    pytest.param(["schema"], id="schema"),
])
def test_a_full_disk_leaves_no_partial_file(tmp_path: Path, argv: list[str]) -> None:
    """No file may grow past 8 KiB in the child (a full disk, as far as it can tell)."""
    out = tmp_path / ("results" if argv[0] == "run" else "schema.json")
    argv = [*argv, "--out", str(out)]

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (8_192, resource.RLIM_INFINITY))

    code, err = finish(start(argv, preexec_fn=small_files))
    assert code == 2, err
    assert "File too large (nothing was written)" in err
    if argv[0] == "run":
        assert check_results(out) == [] and leftovers(out) == []
    else:
        assert not out.exists() and leftovers(tmp_path) == []


def test_ctrl_c_while_arcsim_starts_exits_130(tmp_path: Path) -> None:
    """An interrupt while Python still imports arcsim's modules (once a traceback, or a death
    by SIGINT: exit status -2). One that comes while Python itself starts, before arcsim's
    entry point ``sim.cli.main`` runs, is Python's (its traceback has no frame in ``main``):
    that trial says nothing, and later instants are tried until four trials say something."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import sim.cli"], check=True)
    python_starts = time.perf_counter() - started
    conclusive = 0
    for trial in range(40):
        process = start(["validate", str(tmp_path / "none.yaml")])
        time.sleep(python_starts + 0.02 * 1.25**trial)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGINT)
        code, err = finish(process)
        if code not in (2, 130) and ", in main" not in err and "arcsim:" not in err:
            continue  # Python was still starting: not arcsim's to handle
        assert code in (2, 130), err
        assert "Traceback" not in err
        conclusive += 1
        if conclusive == 4:
            break
    assert conclusive == 4
