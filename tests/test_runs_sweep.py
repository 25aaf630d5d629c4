"""Sweeps: the same runs and index with 1 or 2 workers or on Dask, resume after a kill loses
and repeats nothing, a failing run is isolated, bad axes are clear errors."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from helpers import Arcsim

import sim
from sim import api
from sim.runs.sweep import SweepError, SweepInterrupted, sweep

SCENARIO = """\
name: sweep-small
description: |
  A small fleet whose extension is removed locally now and then (reinstall churn).
duration: 2d
seed: 5
params:
  install_failure_p: 0.1
fleet:
  - group: web
    count: 25
    os: windows
    agent_version: "1.45"
    extensions: [Microsoft.Azure.Monitor/AzureMonitorWindowsAgent]
timeline:
  - rate: 30%/day
    remove_locally: Microsoft.Azure.Monitor/AzureMonitorWindowsAgent
"""
GRID = {"params.check_period": ["5m", "1h"]}
METRICS = ("reinstalls", "churn.absent_hours", "failures.failed")


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "sweep-small.yaml"
    path.write_text(SCENARIO)
    return path


def _sweep(scenario: Path, out: Path, **options: Any) -> Any:
    defaults: dict[str, Any] = {"grid": GRID, "replications": 3, "seed": 9, "metrics": METRICS,
                                "workers": 1, "out": out, "figures": False}
    return sim.sweep(scenario, **{**defaults, **options})


def _files(folder: Path, name: str) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob(name))}


def test_sweep_one_and_two_workers_give_identical_index_and_runs(scenario: Path,
                                                                 tmp_path: Path) -> None:
    one = _sweep(scenario, tmp_path / "one")
    two = _sweep(scenario, tmp_path / "two", workers=2)
    assert (one.path / "sweep.parquet").read_bytes() == (two.path / "sweep.parquet").read_bytes()
    assert (one.path / "summary.parquet").read_bytes() == \
        (two.path / "summary.parquet").read_bytes()
    for name in ("records.parquet", "metrics.json"):
        files = _files(one.path, name)
        assert len(files) == 6
        assert files == _files(two.path, name)
    runs = one.runs
    assert list(runs["status"]) == ["ok"] * 6
    assert list(runs["params.check_period"]) == [300.0] * 3 + [3600.0] * 3
    assert runs["reinstalls"].sum() > 0
    assert runs["seed"].tolist()[:3] == runs["seed"].tolist()[3:]  # common random numbers


def test_sweep_on_a_dask_local_cluster_equals_local(scenario: Path, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    local = _sweep(scenario, tmp_path / "local", replications=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        cluster = distributed.LocalCluster(processes=False, n_workers=1, threads_per_worker=1,
                                           dashboard_address=None)
    with cluster:
        dask = _sweep(scenario, tmp_path / "dask", replications=2,
                      scheduler=cluster.scheduler_address)
    assert (local.path / "sweep.parquet").read_bytes() == \
        (dask.path / "sweep.parquet").read_bytes()
    assert _files(local.path, "records.parquet") == _files(dask.path, "records.parquet")


# --- resume ----------------------------------------------------------------------------------

CALLS: list[tuple[int, tuple[str, ...]]] = []
STOP_AFTER: list[int] = []


def counting_run(source: Any, **options: Any) -> Any:
    """``sim.api.run`` that counts its calls, and is "killed" (KeyboardInterrupt) at the call
    after ``STOP_AFTER[0]``."""
    if STOP_AFTER and len(CALLS) == STOP_AFTER[0]:
        raise KeyboardInterrupt
    CALLS.append((options["seed"], tuple(options["overrides"])))
    return api.run(source, **options)


@pytest.fixture
def calls() -> Any:
    CALLS.clear()
    STOP_AFTER.clear()
    yield CALLS
    CALLS.clear()
    STOP_AFTER.clear()


def _counted(scenario: Path, out: Path, **options: Any) -> Any:
    return sweep(scenario, runner=counting_run, **{"grid": GRID, "replications": 3, "seed": 9,
                                                    "metrics": METRICS, "workers": 1, "out": out,
                                                    "figures": False, **options})


def test_sweep_resume_after_a_kill_loses_nothing_and_repeats_nothing(
        scenario: Path, tmp_path: Path, calls: list[Any]) -> None:
    STOP_AFTER.append(4)
    with pytest.raises(SweepInterrupted, match="4 of 6 runs are finished"):
        _counted(scenario, tmp_path / "killed")
    index = pd.read_parquet(tmp_path / "killed" / "sweep.parquet")
    assert index["status"].tolist() == ["ok"] * 4 + ["pending"] * 2
    assert not list((tmp_path / "killed").rglob(".*"))  # no half-written folder
    done = list(calls)
    STOP_AFTER.clear()
    resumed = _counted(scenario, tmp_path / "killed", resume=True)
    assert len(calls) == 6 and len(set(calls)) == 6  # the 2 missing runs, nothing again
    assert calls[:4] == done
    fresh = _sweep(scenario, tmp_path / "fresh")
    assert (resumed.path / "sweep.parquet").read_bytes() == \
        (fresh.path / "sweep.parquet").read_bytes()
    assert _files(resumed.path, "records.parquet") == _files(fresh.path, "records.parquet")


def test_sweep_resume_adopts_runs_finished_after_the_last_index_write(
        scenario: Path, tmp_path: Path, calls: list[Any]) -> None:
    first = _counted(scenario, tmp_path / "s")
    before = (first.path / "sweep.parquet").read_bytes()
    (first.path / "sweep.parquet").unlink()  # killed before the index caught up
    removed = first.path / first.runs["result"][4]
    shutil.rmtree(removed)  # ...and run 4 never finished: it left its temporary folder
    (removed.parent / f".{removed.name}.tmp-99999").mkdir()
    calls.clear()
    again = _counted(scenario, tmp_path / "s", resume=True)
    assert [seed for seed, _ in calls] == [first.runs["seed"][4]]
    assert (again.path / "sweep.parquet").read_bytes() == before
    assert not list(removed.parent.glob(".*"))


def test_sweep_more_replications_keep_the_existing_runs(scenario: Path, tmp_path: Path,
                                                        calls: list[Any]) -> None:
    small = _counted(scenario, tmp_path / "s", replications=2)
    calls.clear()
    big = _counted(scenario, tmp_path / "s", replications=4, resume=True)
    assert len(calls) == 4  # replications 2 and 3 of both points
    kept = big.runs[big.runs["replication"] < 2].reset_index(drop=True)
    for column in ("seed", "result", "reinstalls"):
        assert kept[column].tolist() == small.runs[column].tolist()


def test_sweep_folder_holding_another_sweep(scenario: Path, tmp_path: Path) -> None:
    _sweep(scenario, tmp_path / "s", replications=1)
    with pytest.raises(SweepError, match="a sweep is already there; add --resume"):
        _sweep(scenario, tmp_path / "s", replications=1)
    with pytest.raises(SweepError, match="differs in grid, seed"):
        _sweep(scenario, tmp_path / "s", replications=1, seed=3,
               grid={"params.check_period": ["5m"]}, resume=True)


# --- failures --------------------------------------------------------------------------------


def failing_run(source: Any, **options: Any) -> Any:
    """``sim.api.run``, except for check period 1h, replication seed of r=1."""
    from sim.runs.seeds import replication_seed

    if "params.check_period=1h" in options["overrides"] and \
            options["seed"] == replication_seed(9, 1):
        raise RuntimeError("the simulated machine caught fire")
    return api.run(source, **options)


def test_sweep_a_failing_run_is_recorded_and_the_sweep_goes_on(scenario: Path,
                                                               tmp_path: Path) -> None:
    result = sweep(scenario, grid=GRID, replications=3, seed=9, metrics=METRICS, workers=2,
                   out=tmp_path / "s", runner=failing_run, figures=False)
    runs = result.runs
    assert runs["status"].tolist() == ["ok"] * 4 + ["failed", "ok"]
    assert runs["error"][4] == "RuntimeError: the simulated machine caught fire"
    assert pd.isna(runs["result"][4]) and pd.isna(runs["reinstalls"][4])
    summary = result.summary[result.summary["metric"] == "reinstalls"]
    assert summary["n"].tolist() == [3, 2]
    assert summary["failed"].tolist() == [0, 1]
    fixed = _sweep(scenario, tmp_path / "s", resume=True)
    assert fixed.runs["status"].tolist() == ["ok"] * 6


# --- summary ---------------------------------------------------------------------------------


def test_sweep_summary_has_a_confidence_interval_per_point_and_metric(
        scenario: Path, tmp_path: Path) -> None:
    result = _sweep(scenario, tmp_path / "s", lhs={"params.install_failure_p": (0.0, 0.3)},
                    samples=2, replications=2, figures=True)
    summary = pd.read_parquet(result.path / "summary.parquet")
    assert len(summary) == 2 * 2 * len(METRICS)  # grid x samples, per metric
    assert set(summary.columns) >= {"point", "params.check_period",
                                    "params.install_failure_p", "metric", "n", "mean",
                                    "ci_low", "ci_high"}
    defined = summary.dropna(subset=["ci_low"])
    assert (defined["ci_low"] <= defined["mean"]).all()
    assert (defined["mean"] <= defined["ci_high"]).all()
    for metric in METRICS:
        assert (result.path / "figures" / f"{metric}.png").read_bytes()[:4] == b"\x89PNG"


# --- command line ----------------------------------------------------------------------------


def test_sweep_cli_prints_the_summary_and_the_folder(scenario: Path, tmp_path: Path,
                                                     arcsim: Arcsim) -> None:
    status, out, _ = arcsim("sweep", scenario, "--grid", "params.check_period=5m,1h",
                            "--replications", "2", "--workers", "1", "--metric", "reinstalls",
                            "--no-figures", "--out", tmp_path / "s")
    assert status == 0
    assert "mean ± 95% confidence half-width" in out
    assert f"Sweep: {tmp_path / 's'} (4 runs, 0 failed)" in out


@pytest.mark.parametrize(("flags", "message"), [
    (["--grid", "params.check_period"], '--grid "params.check_period": expected KEY=V1,V2'),
    (["--grid", "params.check_period=5m,,1h"], "an empty value"),
    (["--grid", "params.check_period=5m,5m"], "a value is given twice"),
    (["--lhs", "params.install_failure_p=0.3:0.1", "--samples", "2"],
     '--lhs "params.install_failure_p=0.3:0.1": expected KEY=LO:HI with numbers LO < HI'),
    (["--lhs", "params.install_failure_p=a:b", "--samples", "2"], "expected KEY=LO:HI"),
    (["--lhs", "params.install_failure_p=0:0.2"], "--lhs needs --samples N"),
    (["--grid", "params.check_period=1x"],
     "sweep point 0: --grid params.check_period=1x: params.check_period: expected a duration"),
    (["--grid", "params.check_perod=5m"], 'did you mean "check_period"'),
    (["--lhs", "params.install_failure_p=0:2", "--samples", "4"],
     "input should be less than or equal to 1"),
    (["--grid", "seed=1,2"], "seed cannot be a sweep axis"),
    (["--metric", "churn.cycle"], '--metric churn.cycle: unknown metric "cycle" in churn'),
    (["--replications", "0"], "--replications: expected >= 1, got 0"),
    (["--workers", "0"], "--workers: expected a number of processes >= 1, got 0"),
    (["--scheduler", "nonsense"], "--scheduler nonsense: expected a Dask scheduler address"),
])
def test_sweep_bad_input_is_one_clear_line(scenario: Path, tmp_path: Path, flags: list[str],
                                           message: str, arcsim: Arcsim) -> None:
    status, _, err = arcsim("sweep", scenario, *flags, "--out", tmp_path / "s")
    assert status == 2
    assert err.startswith("arcsim: error: ") and err.count("\n") == 1
    assert message in err
    assert not (tmp_path / "s").exists()
