"""Result folders: contents, determinism, atomic writing, ``sim.load``, time series."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import sim
from sim.results import ResultError
from sim.results import result as result_module
from sim.results.timeseries import blocked_mask, bucket_seconds

SCENARIO = """\
name: folder-test
description: Lockdown, a blocked install, local removals, a policy override.
duration: {duration}
seed: 4
{start}
params:
  paths: [{{name: pe, capacity: 1, bandwidth: 5MB}}]
fleet:
  - group: locked
    count: 30
    agent_version: "1.45"
    path: pe
    extensions: [Microsoft.Azure.Monitor/AzureMonitorWindowsAgent]
    commands:
      - >-
        azcmagent config set extensions.allowlist
        "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent"
  - group: open
    count: 10
    agent_version: "1.12"
policies:
  - name: deny-scripts
    deny: [Microsoft.Compute/CustomScriptExtension]
timeline:
  - at: 1h
    install: Microsoft.Compute/CustomScriptExtension
  - at: 5h
    actor: secops
    unassign: deny-scripts
  - at: 6h
    window: 1d
    actor: dev
    install: Microsoft.Compute/CustomScriptExtension
  - rate: 30%/day
    actor: cleanup
    target: {{group: locked}}
    remove_locally: Microsoft.Azure.Monitor/AzureMonitorWindowsAgent
expect:
  blocked.install.not_on_allowlist: 30
  overrides.by_actor.secops: 10
  reinstalls: "> 0"
  requests: 1
"""
START = "start: 2026-01-05T00:00:00Z"


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(SCENARIO.format(duration="4d", start=START))
    return path


@pytest.fixture
def result(scenario: Path, tmp_path: Path) -> sim.api.Result:
    return sim.run(scenario, out=tmp_path / "results")


def test_folder_holds_every_file(result: Any, tmp_path: Path) -> None:
    assert result.path.parent == tmp_path / "results"
    assert result.path.name.startswith("folder-test-4-") and len(result.path.name) == 22
    assert sorted(p.name for p in result.path.iterdir()) == [
        "expect.json", "figures", "manifest.json", "metrics.json", "records.parquet",
        "report.html", "report.md", "timeseries.parquet"]
    assert [p.name for p in (tmp_path / "results").iterdir()] == [result.path.name]


def test_manifest(result: Any, scenario: Path) -> None:
    manifest = json.loads((result.path / "manifest.json").read_text())
    assert manifest["scenario"]["name"] == "folder-test"
    assert manifest["scenario"]["duration"] == 4 * 86_400.0  # resolved: seconds
    assert manifest["scenario"]["params"]["check_period"] == 300.0  # resolved: defaults
    assert manifest["scenario_file"] == str(scenario)
    assert (manifest["seed"], manifest["arcsim_version"]) == (4, sim.__version__)
    assert result.path.name.endswith(manifest["hash"])
    assert manifest["git_revision"] is None or len(manifest["git_revision"]) == 40
    assert set(manifest["versions"]) >= {"python", "simpy", "numpy", "pandas", "pyarrow"}
    assert set(manifest["timings_s"]) >= {"build", "run", "summarise"}
    assert manifest["counts"]["machines"] == 40
    assert manifest["counts"]["records"] == len(result.records) > 0
    assert manifest["counts"]["events"] > 0


def test_expect_json(result: Any) -> None:
    written = json.loads((result.path / "expect.json").read_text())
    assert written == [
        {"path": "blocked.install.not_on_allowlist", "expected": "== 30", "actual": 30,
         "ok": True},
        {"path": "overrides.by_actor.secops", "expected": "== 10", "actual": 10, "ok": True},
        {"path": "reinstalls", "expected": "> 0", "actual": written[2]["actual"], "ok": True},
        {"path": "requests", "expected": "== 1", "actual": 40, "ok": False},
    ]
    assert result.ok is False and [e.path for e in result.misses] == ["requests"]


def test_same_seed_gives_identical_records_bytes(scenario: Path, tmp_path: Path) -> None:
    first = sim.run(scenario, out=tmp_path / "one")
    second = sim.run(scenario, out=tmp_path / "two")
    for name in ("records.parquet", "timeseries.parquet", "metrics.json", "expect.json"):
        assert (first.path / name).read_bytes() == (second.path / name).read_bytes(), name
    other = sim.run(scenario, seed=5, out=tmp_path / "one")
    assert other.path != first.path
    assert (other.path / "records.parquet").read_bytes() != (
        first.path / "records.parquet").read_bytes()


def _interrupt(*_args: Any, **_kwargs: Any) -> None:
    raise KeyboardInterrupt


def test_interrupted_write_leaves_no_folder_and_no_temporary(
        scenario: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "results"
    monkeypatch.setattr(result_module, "write_parquet", _interrupt)
    with pytest.raises(KeyboardInterrupt):
        sim.run(scenario, out=out)
    assert list(out.iterdir()) == []


def test_a_failed_rewrite_keeps_the_complete_folder(
        result: Any, scenario: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = (result.path / "records.parquet").read_bytes()
    monkeypatch.setattr(result_module, "write_json", _interrupt)
    with pytest.raises(KeyboardInterrupt):
        sim.run(scenario, out=result.path.parent)
    assert [p.name for p in result.path.parent.iterdir()] == [result.path.name]
    assert (result.path / "records.parquet").read_bytes() == before
    monkeypatch.undo()
    again = sim.run(scenario, out=result.path.parent)  # an existing folder is replaced
    assert again.path == result.path and (again.path / "manifest.json").is_file()
    assert [p.name for p in result.path.parent.iterdir()] == [result.path.name]


def test_load_round_trip(result: Any) -> None:
    loaded = sim.load(result.path)
    pd.testing.assert_frame_equal(loaded.records, result.records)
    pd.testing.assert_frame_equal(loaded.timeseries, result.timeseries)
    assert loaded.metrics == result.metrics and loaded.manifest == result.manifest
    assert loaded.expectations == result.expectations
    assert loaded.metric("blocked.install.not_on_allowlist") == 30
    assert loaded.metric("overrides.by_actor.nobody") == 0
    assert (loaded.name, loaded.seed) == ("folder-test", 4)


def test_load_of_something_else_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ResultError, match=r"not a result folder \(no such folder\)"):
        sim.load(tmp_path / "nope")
    with pytest.raises(ResultError, match=r"not a result folder \(no manifest.json in it\)"):
        sim.load(tmp_path)


def test_a_damaged_records_file_is_a_clear_error(result: Any, tmp_path: Path) -> None:
    import shutil

    copy = shutil.copytree(result.path, tmp_path / "copy")
    (copy / "records.parquet").write_bytes(b"not parquet")
    loaded = sim.load(copy)
    with pytest.raises(ResultError, match=r"copy/records.parquet: cannot read \(.*Parquet"):
        _ = loaded.records


def test_records_are_readable(result: Any) -> None:
    records = result.records
    assert list(records.columns[:3]) == ["time", "timestamp", "machine"]
    assert str(records["timestamp"].dtype) == "datetime64[ms, UTC]"
    assert records["timestamp"].iloc[0] == pd.Timestamp("2026-01-05T00:00:00Z") + pd.Timedelta(
        seconds=float(records["time"].iloc[0]))
    assert str(records["machine"].dtype) == "int32"
    for column in ("operation", "outcome", "reason", "rule", "actor", "extension", "group",
                   "path"):
        assert isinstance(records[column].dtype, pd.CategoricalDtype), column
    blocked = records[records["outcome"] == "blocked"]
    assert set(blocked["reason"]) == {"not_on_allowlist"} and set(blocked["rule"]) == {"R13"}
    assert set(blocked["extension"]) == {"Microsoft.Compute/CustomScriptExtension"}
    reinstalls = records[records["operation"] == "reinstall"]
    assert set(reinstalls["path"]) == {"pe"} and set(reinstalls["group"]) == {"locked"}
    policy = records[records["operation"] == "policy"]
    assert policy["machine"].eq(-1).all() and policy["extension"].isna().all()


def test_without_a_start_there_are_no_timestamps(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.format(duration="2d", start=""))
    result = sim.run(path, out=tmp_path)
    assert "timestamp" not in result.records and "timestamp" not in result.timeseries


def test_timeseries_buckets_sum_to_the_metrics(result: Any) -> None:
    series, metrics = result.timeseries, result.metrics
    assert len(series) == 4 and series["time"].tolist() == [i * 86_400.0 for i in range(4)]
    assert series["blocked"].sum() == metrics["blocked"]["total"]
    for reason, count in metrics["blocked"]["by_reason"].items():
        assert series[f"blocked.{reason}"].sum() == count
    assert series["reinstalls"].sum() == metrics["reinstalls"]
    assert series["requests"].sum() == metrics["requests"]
    assert series["overrides"].sum() == metrics["overrides"]["total"]
    assert series["local_removals"].sum() == metrics["local_removals"]
    assert blocked_mask(result.records).sum() == metrics["blocked"]["total"]


@pytest.mark.parametrize(("duration", "bucket"), [(3 * 86_400.0, 3_600.0), (4 * 86_400.0,
                                                                              86_400.0)])
def test_bucket_is_an_hour_up_to_three_days(duration: float, bucket: float) -> None:
    assert bucket_seconds(duration) == bucket


def test_hourly_series_for_a_short_run(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.format(duration="1d 12h", start=START))
    series = sim.run(path, out=tmp_path).timeseries
    assert len(series) == 36 and series["timestamp"].iloc[1] == pd.Timestamp(
        "2026-01-05T01:00:00Z")


def test_import_sim_stays_light() -> None:
    code = ("import sys, sim; heavy = [m for m in ('pandas', 'pyarrow', 'simpy', 'pydantic', "
            "'sim.engine', 'sim.api') if m in sys.modules]; print(heavy)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"
    assert callable(sim.run) and callable(sim.load)
