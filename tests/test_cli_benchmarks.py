"""The benchmark suite keeps working (design: "Performance is measured, not asserted in unit
tests"; CI runs the benchmarks at a small size only). ``benchmarks/run.py``'s measurements run
here in-process on a few hundred machines; no timing is asserted.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from sim.engine.params import DAY
from sim.rules.identity import ExtensionId
from sim.rules.impact import offers_auto_upgrade
from sim.scenario.build import catalogue_of
from sim.scenario.loading import load_scenario

ROOT = Path(__file__).resolve().parent.parent
FLEET_MONTH = ROOT / "benchmarks" / "fleet-month.yaml"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    """``benchmarks/run.py`` as a module (it puts ``benchmarks/`` and ``tests/`` on the path)."""
    spec = importlib.util.spec_from_file_location("arcsim_benchmark_run",
                                                  ROOT / "benchmarks" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_fleet_month_is_the_issues_million_machine_month() -> None:
    sc = load_scenario(FLEET_MONTH)
    assert sc.machines == 1_000_000 and sc.duration == 30 * DAY
    assert {g.os for g in sc.fleet} == {"windows", "linux"}
    assert all(len(g.versions) > 1 for g in sc.fleet)
    installed = sum(g.count * len(g.extensions) for g in sc.fleet)
    assert installed / sc.machines == 4.0
    actions = [(e.action, e.at, e.window) for e in sc.timeline]
    assert {a for a, _, _ in actions} >= {"run", "remove_locally", "auto_upgrade", "unassign"}
    assert all(w == 2 * DAY for a, _, w in actions if a == "run")
    assert all(e.rate == 0.01 for e in sc.timeline if e.action == "remove_locally")
    waves = [e.auto_upgrade.extension for e in sc.timeline if e.auto_upgrade is not None]
    publishers = {name.split("/")[0] for name in waves}  # one wave: each on both OSes
    assert publishers == {"Microsoft.Azure.Monitor", "Microsoft.Azure.Monitoring.DependencyAgent"}
    for name in waves:  # every entry asks for something: its publisher supports it (R25)
        assert offers_auto_upgrade(catalogue_of(sc), ExtensionId.parse(name)), name
        assert any(name in {x.name for x in g.extensions} for g in sc.fleet), name
    assert ("unassign", 10 * DAY, 0.0) in actions
    dine = [p for p in sc.policies if p.deploy is not None]
    assert dine and all(p.remediation is None or p.remediation.every == DAY for p in dine)


def test_polling_reference_equals_world_on_fleet_month(bench: ModuleType) -> None:
    p: dict[str, Any] = bench.child_polling(str(FLEET_MONTH), machines=200, days=2.0, seed=None)
    assert p["available"], p
    assert p["machines"] == 200 and p["world_records"] > 0
    assert p["records_identical"] and p["columns_differing"] == []
    assert p["metrics_identical"] and p["metrics_differing"] == []
    assert p["polling_events"] > 10 * p["world_events"]  # the reference really polls


def test_run_measures_every_phase(bench: ModuleType) -> None:
    r: dict[str, Any] = bench.child_run(str(FLEET_MONTH), machines=400, days=2.0, seed=3)
    assert r["machines"] == 400 and r["seed"] == 3 and r["shards"] == 1
    assert r["records"] > 0 and r["events"] > 0 and r["written_mib"] > 0
    for phase in ("build_s", "run_s", "summarise_s", "write_s"):
        assert r[phase] >= 0
    assert r["total_s"] >= r["run_s"]
    assert r["peak_rss_mib"] >= r["rss_build_mib"] > 0


def test_run_in_blocks_counts_the_same_records_and_events(bench: ModuleType) -> None:
    whole: dict[str, Any] = bench.child_run(str(FLEET_MONTH), machines=300, days=2.0, seed=3)
    blocks: dict[str, Any] = bench.child_run(str(FLEET_MONTH), machines=300, days=2.0, seed=3,
                                             block=100)
    assert "error" not in blocks, blocks
    assert blocks["blocks"] == 3 and blocks["block"] == 100 and blocks["shards"] == 1
    assert (blocks["records"], blocks["events"]) == (whole["records"], whole["events"])
    assert blocks["expectations_ok"] == whole["expectations_ok"]
    assert blocks["total_cpu_s"] > 0


def test_events_are_counted_exactly(bench: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    """The run's events = SimPy events processed (heap pops) less advance's stop events (one
    per step, each re-queued once by SimPy and processed again at the next step but the
    last)."""
    import heapq

    import simpy.core

    from sim.runs.execute import STEPS

    popped = []
    real_pop = heapq.heappop

    def counting_pop(heap: list[Any]) -> Any:
        popped.append(1)
        return real_pop(heap)

    monkeypatch.setattr(simpy.core, "heappop", counting_pop)
    r: dict[str, Any] = bench.child_run(str(FLEET_MONTH), machines=200, days=2.0, seed=None)
    assert len(popped) > 2 * STEPS
    assert r["events"] == len(popped) - (2 * STEPS - 1)


def test_main_writes_a_json_summary_atomically(bench: ModuleType, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    code = bench.main(["--machines", "200", "--days", "1", "--skip-polling", "--skip-floor",
                       "--skip-linearity", "--out", str(tmp_path)])
    assert code == 0
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and files[0].suffix == ".json" and not files[0].name.startswith(".")
    summary = json.loads(files[0].read_text())
    assert summary["run"]["machines"] == 200 and summary["run"]["records"] > 0
    assert "200 machines x 1 days" in capsys.readouterr().out


def test_linearity_is_a_ratio_of_costs(bench: ModuleType) -> None:
    small = {"machines": 100, "run_s": 1.0, "build_s": 0.5, "total_s": 2.0, "events": 800,
             "records": 700, "peak_rss_mib": 100.0}
    large = {"machines": 1000, "run_s": 11.0, "build_s": 4.0, "total_s": 20.0, "events": 8000,
             "records": 7000, "peak_rss_mib": 400.0}
    lin = bench.linearity(small, large)
    assert lin["machines_ratio"] == 10.0 and lin["run_s"] == 11.0 and lin["events"] == 10.0


def test_replay_benchmark_measures_a_small_replay(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("arcsim_benchmark_replay",
                                                  ROOT / "benchmarks" / "replay.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    log, _ = module.make_log(tmp_path, 40, 5, "json")
    figures = module.measure(tmp_path, log, 40, 5)
    assert figures["operations"] == figures["requests"] > 0
    assert 0 < figures["blocked"] < figures["requests"]
    assert figures["operations"] < figures["events"] <= 2 * figures["operations"]


def test_plan_benchmark_runs_on_a_small_fleet(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("arcsim_benchmark_plan",
                                                  ROOT / "benchmarks" / "plan.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(1_000, 1)
    out = capsys.readouterr().out
    assert "fleet-month" in out and "imported-like" in out and "1,000 machines" in out
