"""The benchmark suite (issue 7): ``benchmarks/fleet-month.yaml`` at any size, and what it is
measured against. Prints figures and saves them as JSON; asserts nothing.

Run (from the repository root)::

    .venv/bin/python benchmarks/run.py [--machines 1000000] [--days 30] [--shards K]
        [--polling-machines 2000 --polling-days 7] [--skip-polling] [--skip-floor]
        [--skip-linearity] [--scenario FILE] [--seed S] [--out results/bench]

1. **The run**: the scenario scaled to ``--machines`` (``--scale``) and ``--days``, through
   the same phases as ``sim.run``: build (load, build the world and its state), run (SimPy),
   summarise (canonical records, metrics, expectations, records and time-series frames),
   write (the result folder without the report's figures, into a temporary directory removed
   afterwards). Machines, records, events,
   events/s, each phase's wall time, peak RSS. With ``--shards K`` the run is ``sim.run(...,
   shards=K)`` (when ``sim.run`` takes ``shards``) and the phases come from its manifest.
2. **The floor**: a bare SimPy callback loop processing as many events (``engine.py``'s
   loops): arcsim's events/s as a share of SimPy's own.
3. **The polling reference**: the same scenario at ``--polling-machines`` x
   ``--polling-days`` on :class:`World` and on ``tests/reference_polling.py``'s
   ``PollingWorld`` (every machine polls at every check instant): wall-time ratio, and whether
   records (column by column) and metrics are identical.
4. **Linearity**: the run again at a tenth of the machines; the cost ratio (10x machines
   should cost at most 12x).

Every measurement runs in a fresh subprocess, so its peak RSS is its own. The summary is
written atomically to ``<out>/fleet-month-<machines>-<days>d-<UTC time>.json``. See
``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import json
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "benchmarks" / "fleet-month.yaml"
for extra in (ROOT / "benchmarks", ROOT / "tests"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from engine import RESULT_TAG, child_floor, meta, peak_rss_mib, processed_events  # noqa: E402
from engine import run_child as run_script_child  # noqa: E402

import sim  # noqa: E402
from sim.engine.metrics import summarise  # noqa: E402
from sim.engine.snapshot import snapshot  # noqa: E402
from sim.results.folder import scenario_hash  # noqa: E402
from sim.results.records import records_frame  # noqa: E402
from sim.results.result import save  # noqa: E402
from sim.results.timeseries import timeseries_frame  # noqa: E402
from sim.runs.execute import advance  # noqa: E402
from sim.runs.merge import output_of  # noqa: E402
from sim.runs.shards import BLOCK_MACHINES  # noqa: E402
from sim.runs.single import resolve  # noqa: E402
from sim.scenario.build import build_world  # noqa: E402
from sim.scenario.expect import evaluate  # noqa: E402
from sim.scenario.schema import Scenario  # noqa: E402

# --- the scenario at a size --------------------------------------------------------------------


def scenario_at(path: Path, machines: int, days: float,
                seed: int | None) -> tuple[Scenario, Path | None]:
    """The scenario scaled to about ``machines`` machines, ``days`` long."""
    whole, _ = resolve(path)
    overrides = [f"duration={days:g}d"]
    return resolve(path, seed=seed, overrides=overrides, scale=machines / whole.machines)


def children_peak_rss_mib() -> float:
    """Peak RSS of the largest finished child process (shards on local processes)."""
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


class TreeRss:
    """Samples the summed RSS of this process and all its descendants (the shards' workers
    are the fork server's children) every 0.2 s in a thread, with psutil when installed (the
    dev extra has it, through Dask): the run's whole footprint. ``peak_mib`` is None without
    psutil."""

    def __init__(self) -> None:
        self.peak_mib: float | None = None
        self._done = threading.Event()
        try:
            import psutil
        except ImportError:
            return
        self._me = psutil.Process()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        import psutil

        while not self._done.wait(0.2):
            total = 0
            for proc in [self._me, *self._me.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):  # ended between listing and reading
                    total += proc.memory_info().rss
            self.peak_mib = max(self.peak_mib or 0.0, total / 2**20)

    def stop(self) -> None:
        self._done.set()
        if hasattr(self, "_thread"):
            self._thread.join()


def folder_mib(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


# --- children ------------------------------------------------------------------------------------


def child_run(scenario: str, machines: int, days: float, seed: int | None,
              shards: int = 1, block: int | None = None) -> dict[str, Any]:
    """The scenario through sim.run's phases, each timed, as one block; or, with ``shards`` >
    1 or more machines than ``block``, ``sim.run(shards=K, block=...)`` (blocks in turn)."""
    if shards > 1 or (block and machines > block):
        return _sharded_run(Path(scenario), machines, days, seed, shards, block)
    rss_import = peak_rss_mib()
    t0, c0 = time.perf_counter(), time.process_time()
    sc, path = scenario_at(Path(scenario), machines, days, seed)
    world = build_world(sc, base=path.parent if path else None)
    world.run(0.0)  # the state and the actors' schedules: no event runs
    t1 = time.perf_counter()
    rss_build = peak_rss_mib()
    c1 = time.process_time()
    advance(world, sc.duration)
    c2 = time.process_time()
    t2 = time.perf_counter()
    rss_run = peak_rss_mib()
    output = output_of(snapshot(world))  # canonical records, tables, metrics, as sim.run does
    metrics = output.metrics
    expectations = evaluate(sc.expect, metrics)
    records = records_frame(output.columns, output.tables, sc.start)
    del output
    timeseries = timeseries_frame(records, sc.duration, sc.start)
    t3 = time.perf_counter()
    rss_summarise = peak_rss_mib()
    out = Path(tempfile.mkdtemp(prefix="arcsim-bench-"))
    try:
        resolved = sc.model_dump(mode="json")
        manifest = {"scenario": resolved, "seed": sc.seed,
                    "hash": scenario_hash(resolved, sc.seed, sim.__version__)}
        result = save(out, manifest=manifest, metrics=metrics, expectations=expectations,
                      records=records, timeseries=timeseries)
        t4, c4 = time.perf_counter(), time.process_time()
        written = folder_mib(result.path)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    events = world.events_processed()  # model events: run()'s own stop events left out
    return {
        "machines": sc.machines, "days": sc.duration / 86_400.0, "seed": sc.seed, "shards": 1,
        "records": len(records), "events": events,
        "build_s": t1 - t0, "run_s": t2 - t1, "run_cpu_s": c2 - c1, "summarise_s": t3 - t2,
        "write_s": t4 - t3, "total_s": t4 - t0, "total_cpu_s": c4 - c0,
        "events_per_s": events / (t2 - t1), "events_per_cpu_s": events / (c2 - c1),
        "rss_import_mib": rss_import, "rss_build_mib": rss_build, "rss_run_mib": rss_run,
        "rss_summarise_mib": rss_summarise, "peak_rss_mib": peak_rss_mib(),
        "written_mib": written, "load_average": os.getloadavg()[0],
        "expectations_ok": all(e.ok for e in expectations),
    }


def _sharded_run(path: Path, machines: int, days: float, seed: int | None,
                 shards: int, block: int | None) -> dict[str, Any]:
    if "block" not in inspect.signature(sim.run).parameters:
        return {"error": "sim.run takes no shards or blocks at this revision: run with "
                         "--shards 1 --block 0"}
    whole, _ = resolve(path)
    out = Path(tempfile.mkdtemp(prefix="arcsim-bench-"))
    tree = TreeRss()
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        result = sim.run(path, seed=seed, overrides=[f"duration={days:g}d"],
                         scale=machines / whole.machines, out=out, shards=shards,
                         block=block, report=False)  # like the one-block measurement
        total = time.perf_counter() - t0
        # the shards' worker processes are the fork server's children, not ours: their CPU
        # time is not known here
        cpu = time.process_time() - c0 if shards == 1 else None
        written = folder_mib(result.path)
    finally:
        tree.stop()
        shutil.rmtree(out, ignore_errors=True)
    m = result.manifest
    timings, counts = m.get("timings_s", {}), m.get("counts", {})
    events = counts.get("events")
    run_s = timings.get("run")
    return {
        "machines": counts.get("machines"), "days": days, "seed": m.get("seed"),
        "shards": shards, "block": block, "blocks": len(m.get("shards", {}).get("machines", [1])),
        "records": counts.get("records"), "events": events,
        "build_s": timings.get("build"), "run_s": run_s, "run_cpu_s": None,
        "total_cpu_s": cpu, "events_per_cpu_s": None, "load_average": os.getloadavg()[0],
        "summarise_s": timings.get("summarise"),
        "write_s": total - timings.get("total_before_write", total), "total_s": total,
        "events_per_s": events / run_s if events and run_s else None,
        "peak_rss_mib": max(peak_rss_mib(), children_peak_rss_mib()),
        "peak_rss_self_mib": peak_rss_mib(), "peak_rss_children_mib": children_peak_rss_mib(),
        "peak_rss_tree_mib": tree.peak_mib,
        "written_mib": written,
        "expectations_ok": all(e.ok for e in result.expectations),
    }


def child_polling(scenario: str, machines: int, days: float,
                  seed: int | None) -> dict[str, Any]:
    """World against the naive polling reference on the same scenario, in one process."""
    try:
        from reference_polling import PollingWorld
    except Exception as exc:  # report why, do not fail the suite
        return {"available": False, "why": f"import failed: {type(exc).__name__}: {exc}"}
    sc, path = scenario_at(Path(scenario), machines, days, seed)
    base = path.parent if path else None
    timed: dict[str, Any] = {}
    for name, make in (("world", lambda: build_world(sc, base=base)),
                       ("polling", lambda: build_world(sc, base, world_class=PollingWorld))):
        t0 = time.perf_counter()
        world = make()
        world.run(sc.duration)
        records = world.records
        timed[name] = (world, records, time.perf_counter() - t0, summarise(world))
    (w, ours, world_s, ours_m), (p, theirs, polling_s, theirs_m) = timed["world"], timed["polling"]
    import numpy as np

    equal = {c: bool(np.array_equal(ours[c], theirs[c])) for c in ours.columns}
    differ = [k for k in ours_m if ours_m[k] != theirs_m.get(k)]
    return {
        "available": True, "machines": sc.machines, "days": sc.duration / 86_400.0,
        "world_s": world_s, "polling_s": polling_s, "ratio": polling_s / world_s,
        "world_events": processed_events(w), "polling_events": processed_events(p),
        "world_records": len(ours), "polling_records": len(theirs),
        "records_identical": len(ours) == len(theirs) and all(equal.values()),
        "columns_differing": [c for c, ok in equal.items() if not ok],
        "metrics_identical": not differ and ours_m.keys() == theirs_m.keys(),
        "metrics_differing": differ,
    }


CHILDREN = {"run": child_run, "polling": child_polling, "floor": child_floor}


def run_child(spec: dict[str, Any]) -> dict[str, Any]:
    """One measurement in a fresh interpreter running this script (its stderr passes
    through)."""
    return run_script_child(Path(__file__), spec)


# --- printing ------------------------------------------------------------------------------------


def _n(value: float | None, fmt: str = ",.0f") -> str:
    return "-" if value is None else format(value, fmt)


def print_run(r: dict[str, Any], label: str) -> None:
    if "error" in r:
        print(f"{label}: ERROR {r['error']}")
        return
    blocks = r.get("blocks")
    parts = f", {blocks} blocks of <= {r['block']:,} machines" if r.get("block") and blocks \
        and blocks > r["shards"] else ""
    print(f"{label}: {r['machines']:,} machines x {r['days']:g} days, {r['shards']} shard(s)"
          f"{parts}")
    print(f"  records {_n(r['records'])}, events {_n(r['events'])}, "
          f"{_n(r['events_per_s'])} events/s (run phase; per CPU second "
          f"{_n(r.get('events_per_cpu_s'))})")
    print(f"  wall s: build {_n(r['build_s'], '.2f')}, run {_n(r['run_s'], '.2f')}"
          f" (CPU {_n(r['run_cpu_s'], '.2f')}), summarise {_n(r['summarise_s'], '.2f')}, "
          f"write {_n(r['write_s'], '.2f')}; total {_n(r['total_s'], '.2f')} (CPU "
          f"{_n(r.get('total_cpu_s'), '.2f')}; load average {_n(r['load_average'], '.1f')})")
    tree = r.get("peak_rss_tree_mib")
    whole = f"; all processes together {_n(tree)} MiB" if tree and r["shards"] > 1 else ""
    print(f"  peak RSS {_n(r['peak_rss_mib'])} MiB (after build {_n(r.get('rss_build_mib'))}"
          f", run {_n(r.get('rss_run_mib'))}, summarise {_n(r.get('rss_summarise_mib'))}"
          f"{whole}); result folder {_n(r['written_mib'], '.1f')} MiB; expectations "
          f"{'met' if r['expectations_ok'] else 'MISSED'}")


def print_floor(f: dict[str, Any], r: dict[str, Any]) -> None:
    print(f"\nFloor: a bare SimPy callback loop, {f['events']:,} events in {f['chains']} "
          "chains, no model work")
    for key, label in (("timeout", "env.timeout(d) + callback"),
                       ("raw", "slotted event pushed on the heap (World.at)"),
                       ("recorded", "the same, writing one record an event")):
        loop = f.get(key)
        if loop is None:
            continue
        share = r["events_per_s"] / loop["events_per_s"] if r.get("events_per_s") else None
        print(f"  {label:<44} {loop['s']:7.2f} s  {loop['events_per_s']:>11,.0f} events/s"
              f"  arcsim at {_n(share and 100 * share, '.0f')} % of it")


def print_polling(p: dict[str, Any]) -> None:
    print("\nPolling reference (tests/reference_polling.py) vs World, same scenario")
    if not p.get("available"):
        print(f"  not run: {p.get('why') or p.get('error')}")
        return
    print(f"  {p['machines']:,} machines x {p['days']:g} days: World {p['world_s']:.2f} s "
          f"({p['world_events']:,} events), polling {p['polling_s']:.2f} s "
          f"({p['polling_events']:,} events): {p['ratio']:.0f}x")
    columns = ", ".join(p["columns_differing"])
    metrics = ", ".join(p["metrics_differing"])
    print(f"  records identical: {'yes' if p['records_identical'] else 'NO'} "
          f"({p['world_records']:,} rows{'; differing: ' + columns if columns else ''}); "
          f"metrics identical: {'yes' if p['metrics_identical'] else 'NO'}"
          f"{' (' + metrics + ')' if metrics else ''}")


def linearity(small: dict[str, Any], large: dict[str, Any]) -> dict[str, Any]:
    """Cost ratios of two runs (10x the machines should cost at most 12x)."""
    out: dict[str, Any] = {"machines": [small["machines"], large["machines"]]}
    for key in ("run_s", "build_s", "total_s", "events", "records", "peak_rss_mib"):
        a, b = small.get(key), large.get(key)
        out[key] = b / a if a and b else None
    out["machines_ratio"] = large["machines"] / small["machines"]
    return out


def print_linearity(lin: dict[str, Any]) -> None:
    small, large = lin["machines"]
    print(f"\nLinearity: {small:,} -> {large:,} machines ({lin['machines_ratio']:.1f}x): "
          f"run {_n(lin['run_s'], '.1f')}x, build {_n(lin['build_s'], '.1f')}x, total "
          f"{_n(lin['total_s'], '.1f')}x, events {_n(lin['events'], '.1f')}x, "
          f"peak RSS {_n(lin['peak_rss_mib'], '.1f')}x")


def save_summary(out_dir: Path, summary: dict[str, Any]) -> Path:
    """Write the JSON summary atomically (a temporary sibling, then a rename)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    r = summary["run"]
    final = out_dir / f"fleet-month-{r.get('machines', 0)}-{r.get('days', 0):g}d-{stamp}.json"
    tmp = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)
    return final


# --- main ----------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--machines", type=int, default=1_000_000)
    p.add_argument("--days", type=float, default=30.0)
    p.add_argument("--shards", type=int, default=1, help="sim.run(shards=K), when available")
    p.add_argument("--block", type=int, default=BLOCK_MACHINES,
                   help=f"machines per block (sim.run(block=N); default {BLOCK_MACHINES:,}); "
                        "0: the whole fleet as one block, phase by phase")
    p.add_argument("--seed", type=int, default=None, help="default: the scenario's")
    p.add_argument("--scenario", type=Path, default=SCENARIO)
    p.add_argument("--polling-machines", type=int, default=2_000)
    p.add_argument("--polling-days", type=float, default=7.0)
    p.add_argument("--skip-polling", action="store_true")
    p.add_argument("--skip-floor", action="store_true")
    p.add_argument("--skip-linearity", action="store_true")
    p.add_argument("--out", type=Path, default=ROOT / "results" / "bench")
    p.add_argument("--child", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        spec = json.loads(args.child)
        result = CHILDREN[spec.pop("kind")](**spec)
        print(RESULT_TAG + json.dumps(result), flush=True)
        return 0
    info = meta()
    print(f"arcsim benchmark suite (git {info['git'] or '?'}, Python {info['python']}, SimPy "
          f"{info['simpy']}, {info['cpus']} CPUs): {args.scenario.name}\n", flush=True)
    common = {"scenario": str(args.scenario), "seed": args.seed, "days": args.days}
    summary: dict[str, Any] = {"meta": info, "args": {k: str(v) for k, v in vars(args).items()
                                                      if k != "child"}}
    common["block"] = args.block or None
    r = run_child({"kind": "run", **common, "machines": args.machines, "shards": args.shards})
    summary["run"] = r
    print_run(r, "Run")
    if not args.skip_floor and r.get("events"):
        f = run_child({"kind": "floor", "events": r["events"]})
        summary["floor"] = f
        if "error" in f:
            print(f"\nFloor: ERROR {f['error']}")
        else:
            print_floor(f, r)
    if not args.skip_polling:
        p = run_child({"kind": "polling", "scenario": str(args.scenario), "seed": args.seed,
                       "machines": args.polling_machines, "days": args.polling_days})
        summary["polling"] = p
        print_polling(p)
    if not args.skip_linearity and "error" not in r:
        small = run_child({"kind": "run", **common, "machines": max(4, args.machines // 10),
                           "shards": args.shards})
        summary["linearity_run"] = small
        print()
        print_run(small, "Run at a tenth")
        if "error" not in small:
            summary["linearity"] = linearity(small, r)
            print_linearity(summary["linearity"])
    path = save_summary(args.out, summary)
    print(f"\nsaved {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 1 if "error" in r else 0


if __name__ == "__main__":
    sys.exit(main())
