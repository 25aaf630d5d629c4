"""Result folders: a damaged or hand-edited folder reads back as "not a complete arcsim
result: what is wrong"; every file arcsim writes appears whole or not at all."""

from __future__ import annotations

import functools
import json
import multiprocessing
import os
import resource
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest
from fuzzing import (
    byte_mutations,
    copy_folder,
    documents,
    fuzz_settings,
    leftovers,
    mutated,
    outcome,
    run_cli,
    time_bound,
)
from hypothesis import given
from hypothesis import strategies as st

import sim
from sim.report.content import build
from sim.report.view import RunView
from sim.results import ResultError

pytestmark = pytest.mark.fuzz

SCENARIO = """\
name: damaged
duration: 2d
seed: 5
start: 2026-01-05T00:00:00Z
fleet:
  - {group: web, count: 4, agent_version: "1.45",
     extensions: [Microsoft.Azure.Monitor/AzureMonitorWindowsAgent]}
policies:
  - {name: no-scripts, deny: [Microsoft.Compute/CustomScriptExtension]}
timeline:
  - {at: 1h, install: Microsoft.Compute/CustomScriptExtension}
  - {at: 2h, install: Microsoft.Azure.Monitoring.DependencyAgent/DependencyAgentWindows}
expect: {blocked.total: ">= 0"}
"""


@functools.cache
def pristine() -> Path:
    """A small complete result folder (made once; copied by each test that damages it)."""
    folder = Path(tempfile.mkdtemp(prefix="arcsim-fuzz-"))
    (folder / "s.yaml").write_text(SCENARIO, encoding="utf-8")
    return sim.run(folder / "s.yaml", out=folder / "results", report=False).path


def read_everything(folder: Path) -> None:
    """What ``report``, ``compare`` and ``activity-log`` read of a result folder."""
    result = sim.load(folder)
    _ = result.records, result.timeseries, result.name, result.seed, result.run_name
    result.activity_log()
    build(RunView.of(result), {})


def damage_error(tmp_path: Path, damage: Callable[[Path], Any]) -> str:
    folder = copy_folder(pristine(), tmp_path / "r")
    damage(folder)
    with time_bound(), pytest.raises(ResultError) as caught:
        read_everything(folder)
    return str(caught.value)


def edit_json(name: str, change: Callable[[Any], Any]) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        data = json.loads((folder / name).read_text(encoding="utf-8"))
        (folder / name).write_text(json.dumps(change(data)), encoding="utf-8")
    return damage


def edit_frame(name: str, change: Callable[[pd.DataFrame], pd.DataFrame]
               ) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        frame = pq.read_table(folder / name).to_pandas()
        change(frame).to_parquet(folder / name, index=False)
    return damage


def _without(key: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda data: {k: v for k, v in data.items() if k != key}


def _replace_dir(name: str) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        (folder / name).unlink()
        (folder / name).mkdir()
    return damage


def _far_timestamps(frame: pd.DataFrame) -> pd.DataFrame:
    frame["timestamp"] = pd.Series([pd.Timestamp("2500-01-01", tz="UTC")] * len(frame)).astype(
        "datetime64[ms, UTC]")
    return frame


def _unknown_outcome(frame: pd.DataFrame) -> pd.DataFrame:
    frame["outcome"] = frame["outcome"].cat.rename_categories(lambda c: f"{c}-exploded")
    return frame


@pytest.mark.parametrize(("damage", "message"), [
    pytest.param(edit_json("manifest.json", _without("seed")), "manifest.json: seed: missing",
                 id="manifest-without-seed"),
    pytest.param(edit_json("manifest.json", lambda m: {**m, "seed": "a"}),
                 'manifest.json: seed: expected an integer >= 0, got "a"', id="seed-a-text"),
    pytest.param(edit_json("manifest.json", _without("scenario")),
                 "manifest.json: scenario: missing", id="manifest-without-scenario"),
    pytest.param(edit_json("manifest.json", lambda m: [m]),
                 "manifest.json: expected an object, got [", id="manifest-a-list"),
    pytest.param(edit_json("manifest.json", lambda m: {**m, "counts": {"machines": "4"}}),
                 "manifest.json: counts: expected an object of integers", id="counts-a-text"),
    pytest.param(edit_json("expect.json", lambda e: [_without("actual")(e[0])]),
                 "expect.json: [0]: expected an object with path, expected, actual and ok",
                 id="expectation-without-actual"),
    pytest.param(edit_json("expect.json", lambda e: {}), "expect.json: expected a list, got {}",
                 id="expectations-an-object"),
    pytest.param(edit_json("metrics.json", lambda m: {**m, "blocked": 5}),
                 "metrics.json: blocked: expected an object, got 5", id="metric-table-a-number"),
    pytest.param(edit_json("metrics.json", lambda m: {**m, "records": {}}),
                 "metrics.json: records: expected a number, got {}", id="metric-an-object"),
    pytest.param(edit_json("metrics.json", _without("coverage")),
                 "metrics.json: coverage: expected a value (it is missing)", id="metric-missing"),
    pytest.param(lambda f: (f / "metrics.json").write_text("[" * 100_000 + "]" * 100_000),
                 "metrics.json: nested more than 64 levels deep", id="metrics-deep"),
    pytest.param(_replace_dir("records.parquet"), "records.parquet is a directory, not a file",
                 id="records-a-directory"),
    pytest.param(edit_frame("records.parquet", lambda f: f.drop(columns=["actor"])),
                 "records.parquet: no column actor", id="records-without-a-column"),
    pytest.param(edit_frame("records.parquet", _unknown_outcome),
                 "records.parquet: column outcome: ", id="unknown-category"),
    pytest.param(edit_frame("records.parquet", _far_timestamps),
                 "records.parquet: column timestamp: a timestamp outside 1677-09-22 to "
                 "2262-04-11", id="timestamp-out-of-range"),
    pytest.param(edit_frame("timeseries.parquet", lambda f: f.assign(time=float("nan"))),
                 "timeseries.parquet: column time: a value that is not a finite number",
                 id="time-not-a-number"),
])
def test_a_damaged_result_folder_says_what_is_wrong(tmp_path: Path, damage: Callable[[Path], Any],
                                                    message: str) -> None:
    error = damage_error(tmp_path, damage)
    assert error.startswith(f"{tmp_path / 'r'}: not a complete arcsim result: ")
    assert message in error


def test_a_truncated_parquet_file_is_a_result_error(tmp_path: Path) -> None:
    def cut(folder: Path) -> None:
        raw = (folder / "records.parquet").read_bytes()
        (folder / "records.parquet").write_bytes(raw[: len(raw) // 2])
    assert "records.parquet: cannot read (" in damage_error(tmp_path, cut)


@pytest.mark.parametrize("path", ["r\x00", "r" * 300])
def test_a_result_path_the_system_refuses_is_a_result_error(tmp_path: Path, path: str) -> None:
    with time_bound(), pytest.raises(ResultError):
        sim.load(tmp_path / path)


def test_a_runs_activity_log_is_the_one_activity_log_writes_later(tmp_path: Path) -> None:
    """The log a run writes names its ids after the result folder, not after the temporary
    folder it was written in (which changed them from run to run)."""
    (tmp_path / "s.yaml").write_text(SCENARIO, encoding="utf-8")
    result = sim.run(tmp_path / "s.yaml", out=tmp_path / "results", report=False,
                     activity_log=True)
    code, _, err = run_cli(["activity-log", str(result.path), "--out", str(tmp_path / "a.json")])
    assert code == 0, err
    assert (tmp_path / "a.json").read_bytes() == (result.path / "activity_log.json").read_bytes()


# --- the atomic writer -----------------------------------------------------------------------


def test_a_failure_while_writing_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    from sim.files import atomic_file

    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_file(target) as stream:
        stream.write("new, partly")
        raise RuntimeError("interrupted")
    assert target.read_text() == "old"
    assert leftovers(tmp_path) == []


def _write_past_the_size_limit(target: str) -> str:
    """In a child process whose files may not grow past 64 KiB: write 1 MiB atomically."""
    from sim.files import FileError, write_file

    resource.setrlimit(resource.RLIMIT_FSIZE, (65_536, resource.RLIM_INFINITY))
    try:
        write_file(target, "x" * 2**20)
    except FileError as exc:
        return str(exc)
    return "written"


def test_a_full_disk_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    with multiprocessing.get_context("fork").Pool(1) as pool:
        message = pool.apply(_write_past_the_size_limit, (str(target),))
    assert message.startswith(f"cannot write {target}: File too large")
    assert target.read_text() == "old"
    assert leftovers(tmp_path) == []


def test_a_run_that_fails_while_writing_leaves_no_folder(tmp_path: Path) -> None:
    def failing(_result: Any) -> None:
        raise OSError(28, "No space left on device")

    done = sim.load(pristine())
    with pytest.raises(ResultError, match="No space left on device"):
        sim.results.save(tmp_path / "out", manifest=done.manifest, metrics=done.metrics,
                         expectations=done.expectations, records=done.records,
                         timeseries=done.timeseries, writers=[failing])
    assert list((tmp_path / "out").iterdir()) == []


def _publish(final: str, marker: str) -> str:
    """Write the result folder ``final`` 30 times, as a run writes it."""
    from sim.results.folder import write_atomically

    def fill(tmp: Path) -> None:
        for i in range(20):
            (tmp / f"f{i}").write_text(marker)
    for _ in range(30):
        write_atomically(Path(final), fill)
    return marker


def test_concurrent_writers_of_one_folder_both_succeed(tmp_path: Path) -> None:
    """Two runs of one scenario and seed write the same folder at once (once: "Directory not
    empty" for one of them)."""
    final = tmp_path / "run"
    with multiprocessing.get_context("fork").Pool(2) as pool:
        done = pool.starmap(_publish, [(str(final), "a"), (str(final), "b")])
    assert done == ["a", "b"]
    texts = {p.read_text() for p in final.iterdir()}
    assert len(list(final.iterdir())) == 20 and len(texts) == 1
    assert leftovers(tmp_path) == []


# --- properties -----------------------------------------------------------------------------

FILES = ("manifest.json", "metrics.json", "expect.json", "records.parquet", "timeseries.parquet")


@st.composite
def damages(draw: st.DrawFn) -> list[tuple[str, str, Any]]:
    """One or two damages: (file, kind, detail)."""
    found = []
    for _ in range(draw(st.integers(1, 2))):
        name = draw(st.sampled_from(FILES))
        kind = draw(st.sampled_from(["remove", "directory", "bytes", "edit"]))
        found.append((name, kind, draw(st.integers(0, 2**32))))
    return found


def _damage(folder: Path, name: str, kind: str, seed: int, data: st.DataObject) -> None:
    path = folder / name
    if not path.is_file():
        return
    if kind == "remove":
        path.unlink()
    elif kind == "directory":
        path.unlink()
        path.mkdir()
    elif kind == "bytes":
        path.write_bytes(data.draw(byte_mutations(path.read_bytes())))
    elif name.endswith(".json"):
        try:
            value = json.loads(path.read_bytes())
        except ValueError:  # an earlier damage left no JSON to edit
            return
        path.write_text(json.dumps(data.draw(mutated(value, documents()))), encoding="utf-8")
    else:
        _edit_frame(path, seed, data)


def _edit_frame(path: Path, seed: int, data: st.DataObject) -> None:
    try:
        frame = pq.read_table(path).to_pandas()
    except Exception:  # an earlier damage left no Parquet to edit
        return
    column = data.draw(st.sampled_from(list(frame.columns)))
    edit = data.draw(st.sampled_from(["drop", "text", "value", "empty", "category"]))
    if edit == "drop":
        frame = frame.drop(columns=[column])
    elif edit == "text":
        frame[column] = frame[column].astype(str)
    elif edit == "value" and len(frame):
        frame[column] = frame[column].astype(object)
        frame.loc[seed % len(frame), column] = data.draw(st.one_of(documents().filter(
            lambda v: not isinstance(v, dict | list)), st.just(None)))
    elif edit == "empty":
        frame = frame.iloc[0:0]
    elif isinstance(frame[column].dtype, pd.CategoricalDtype):
        frame[column] = frame[column].cat.rename_categories(lambda c: f"{c}{seed}")
    try:
        frame.to_parquet(path, index=False)
    except (ValueError, TypeError, OverflowError, ArithmeticError):
        shutil.copy(pristine() / path.name, path)  # pyarrow could not write that frame
    except Exception as exc:
        if "pyarrow" not in type(exc).__module__:
            raise
        shutil.copy(pristine() / path.name, path)


@fuzz_settings(40)
@given(damages(), st.data())
def test_any_damaged_folder_reads_or_says_what_is_wrong(
        tmp_path_factory: pytest.TempPathFactory, found: list[tuple[str, str, Any]],
        data: st.DataObject) -> None:
    folder = copy_folder(pristine(), tmp_path_factory.mktemp("result") / "r")
    for name, kind, seed in found:
        _damage(folder, name, kind, seed, data)
    outcome(lambda: read_everything(folder))
    assert os.path.isdir(folder)
