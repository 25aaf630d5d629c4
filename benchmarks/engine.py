"""Engine speed and memory at fleet scale (design: "Performance is measured, not asserted").

Run (from the repository root)::

    .venv/bin/python benchmarks/engine.py [--machines 10000 100000 1000000] [--days 30]
        [--polling-machines 2000 --polling-days 7] [--skip-polling] [--skip-floor]
        [--seed 1] [--json OUT] [--profile OUT.prof]

The workload is ``benchmarks/scenario_in_code.py`` (built in code, parametrised by machine
count). Each fleet size runs in a fresh subprocess, so its peak RSS is its own. Then, if
``tests/reference_polling.py`` imports, the naive polling model and :class:`World` run the
same small scenario in one process (wall times, ratio, records identical column by column).
Last, a bare SimPy callback loop processes as many events as the largest run: the floor
arcsim cannot beat with SimPy. See ``benchmarks/README.md`` for what every number means.

Events are counted without touching the hot path, by the engine's clock
(:meth:`sim.engine.clock.Clock.events_processed`: event ids taken - events still queued - the
stop events of ``run(until)``). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import itertools
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import simpy
from scenario_in_code import build

from sim.engine import DAY, World
from sim.engine.clock import Clock
from sim.engine.codes import Op, Outcome
from sim.engine.records import RecordLog

ROOT = Path(__file__).resolve().parent.parent
POLLING_FILE = ROOT / "tests" / "reference_polling.py"
RESULT_TAG = "@@RESULT "
FLOOR_CHAINS = 16
"""Concurrent chains in the bare loop: a small heap, like arcsim's actor chains."""


# --- measuring -------------------------------------------------------------------------------

def peak_rss_mib() -> float:
    """This process's peak resident set size so far (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


def processed_events(world_or_clock: Any) -> int:
    """Events processed so far by a world (or a bare clock), not counting ``run(until)``'s own
    stop events."""
    return int(world_or_clock.events_processed())


def breakdown(records: Any) -> dict[str, int]:
    """Record counts by operation/outcome (a check that the scenario did what it says)."""
    pairs = records["operation"].astype(np.int64) * 256 + records["outcome"].astype(np.int64)
    keys, counts = np.unique(pairs, return_counts=True)
    return {f"{Op(int(k) // 256).name}/{Outcome(int(k) % 256).name}": int(n)
            for k, n in zip(keys, counts, strict=True)}


# --- children (one measurement per fresh process) --------------------------------------------

def child_size(machines: int, days: float, seed: int, profile: str | None = None) -> dict[str, Any]:
    """Build and run the scenario on :class:`World`; time each phase."""
    rss_import = peak_rss_mib()
    t0 = time.perf_counter()
    world = build(World, machines, days, seed)
    world.run(0)  # builds the state and starts the actors; runs no event
    t1 = time.perf_counter()
    rss_build = peak_rss_mib()
    queued_at_start = world.env.events_queued()
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    c1 = time.process_time()
    world.run(days * DAY)
    c2 = time.process_time()
    if profiler is not None:
        profiler.disable()
    t2 = time.perf_counter()
    records = world.records
    t3 = time.perf_counter()
    events = processed_events(world)
    result = {
        "machines": machines, "days": days, "seed": seed, "records": len(records),
        "events": events, "queued_at_start": queued_at_start,
        "build_s": t1 - t0, "run_s": t2 - t1, "run_cpu_s": c2 - c1, "freeze_s": t3 - t2,
        "events_per_s": events / (t2 - t1), "records_per_s": len(records) / (t2 - t1),
        "rss_import_mib": rss_import, "rss_build_mib": rss_build, "peak_rss_mib": peak_rss_mib(),
        "configs": len(world.configs), "extensions": len(world.ext_ids),
        "breakdown": breakdown(records), "profiled": bool(profile),
    }
    if profiler is not None and profile:
        profiler.dump_stats(profile)
        result["profile"] = profile
    return result


def load_polling() -> tuple[Any, str | None]:
    """``PollingWorld`` from ``tests/reference_polling.py``, or (None, why not)."""
    if not POLLING_FILE.exists():
        return None, f"{POLLING_FILE.relative_to(ROOT)} does not exist"
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    try:
        spec = importlib.util.spec_from_file_location("reference_polling", POLLING_FILE)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["reference_polling"] = module
        spec.loader.exec_module(module)
        return module.PollingWorld, None
    except Exception as exc:  # report any import problem instead of failing the benchmark
        return None, f"import failed: {type(exc).__name__}: {exc}"


def timed_run(world_cls: Any, machines: int, days: float, seed: int) -> tuple[Any, Any, float]:
    """(world, records, wall seconds: build + run + records)."""
    t0 = time.perf_counter()
    world = build(world_cls, machines, days, seed)
    world.run(days * DAY)
    records = world.records
    return world, records, time.perf_counter() - t0


def child_polling(machines: int, days: float, seed: int) -> dict[str, Any]:
    """The naive polling model against :class:`World` on the same scenario, one process."""
    polling_cls, why = load_polling()
    if polling_cls is None:
        return {"available": False, "why": why}
    world, ours, world_s = timed_run(World, machines, days, seed)
    try:
        pworld, theirs, polling_s = timed_run(polling_cls, machines, days, seed)
    except Exception as exc:
        return {"available": False, "why": f"PollingWorld failed: {type(exc).__name__}: {exc}"}
    names = list(ours.columns)
    equal = {}
    for name in names:
        try:
            equal[name] = bool(np.array_equal(ours[name], theirs[name]))
        except (KeyError, TypeError):
            equal[name] = False
    return {
        "available": True, "machines": machines, "days": days, "seed": seed,
        "world_s": world_s, "polling_s": polling_s, "ratio": polling_s / world_s,
        "world_records": len(ours), "polling_records": len(theirs),
        "world_events": processed_events(world), "polling_events": processed_events(pworld),
        "columns_equal": equal, "identical": len(ours) == len(theirs) and all(equal.values()),
    }


def _timeout_loop(events: int, chains: int, delays: list[float]) -> tuple[int, float]:
    """Public API: each callback creates the next ``env.timeout(delay)`` (an Event object)
    and appends itself to its callbacks."""
    env = Clock()
    left = [events - chains]
    counter = itertools.count()

    def on_timeout(_e: Any) -> None:
        if left[0] > 0:
            left[0] -= 1
            env.timeout(delays[next(counter) & 4095]).callbacks.append(on_timeout)

    for _ in range(chains):
        env.timeout(delays[next(counter) & 4095]).callbacks.append(on_timeout)
    t0 = time.perf_counter()
    env.run()
    return processed_events(env), time.perf_counter() - t0


def _raw_loop(events: int, chains: int, delays: list[float],
              record: bool = False) -> tuple[int, float]:
    """The engine's push: each callback schedules the next with ``Clock.at`` (a slotted,
    already-triggered event pushed on SimPy's heap, no ``Event`` object). With ``record`` each
    event also writes one record through the engine's ``RecordLog.add`` (arcsim writes about
    0.9 records an event): the least any event of a model that records what happens can cost
    on SimPy."""
    env = Clock()
    at = env.at
    add = RecordLog().add
    left = [events - chains]
    counter = itertools.count()

    def on_call(_e: Any) -> None:
        if left[0] > 0:
            left[0] -= 1
            at(delays[next(counter) & 4095], 8, callback)

    def on_recorded_call(_e: Any) -> None:
        add(env.now, 7, 1, 2, 3, 4, 5, 6, 0)
        on_call(_e)

    callback: Callable[[Any], None] = on_recorded_call if record else on_call
    for _ in range(chains):
        at(delays[next(counter) & 4095], 8, callback)
    t0 = time.perf_counter()
    env.run()
    return processed_events(env), time.perf_counter() - t0


def child_floor(events: int, chains: int = FLOOR_CHAINS) -> dict[str, Any]:
    """Bare SimPy loops (:func:`_timeout_loop`, :func:`_raw_loop`) processing ``events``
    callback events in ``chains`` chains, no model work; and the raw loop writing one record
    an event. Delays cycle through a fixed
    pseudo-random table so the heap order is not trivial. Each loop runs until it has taken at
    least 3 s or 3 repeats; the fastest repeat counts (the floor is a best case)."""
    delays = [((i * 7919) % 1009) / 10.0 + 0.1 for i in range(4096)]
    out: dict[str, Any] = {"events": events, "chains": chains}
    for name, loop in (("timeout", _timeout_loop), ("raw", _raw_loop),
                       ("recorded", partial(_raw_loop, record=True))):
        times: list[float] = []
        done = 0
        while len(times) < 3 and sum(times) < 3.0:
            done, elapsed = loop(events, chains, delays)
            times.append(elapsed)
        best = min(times)
        out[name] = {"events": done, "s": best, "events_per_s": done / best,
                     "repeats": len(times)}
    out["peak_rss_mib"] = peak_rss_mib()
    return out


def child_main(spec: dict[str, Any]) -> None:
    kind = spec.pop("kind")
    fn = {"size": child_size, "polling": child_polling, "floor": child_floor}[kind]
    result = fn(**spec)
    print(RESULT_TAG + json.dumps(result), flush=True)


def run_child(script: Path, spec: dict[str, Any]) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter running ``script --child SPEC`` (which
    prints its result after :data:`RESULT_TAG`); its stderr passes through."""
    cmd = [sys.executable, str(script.resolve()), "--child", json.dumps(spec)]
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_TAG):
            result: dict[str, Any] = json.loads(line[len(RESULT_TAG):])
            return result
    return {"error": f"child exited with status {proc.returncode}", "stdout": proc.stdout[-2000:]}


# --- printing ----------------------------------------------------------------------------------

def fmt_int(n: float | None) -> str:
    return "-" if n is None else f"{n:,.0f}"


SIZE_COLUMNS = (
    ("machines", 11, lambda r: fmt_int(r["machines"])),
    ("days", 5, lambda r: f"{r['days']:g}"),
    ("records", 12, lambda r: fmt_int(r["records"])),
    ("events", 12, lambda r: fmt_int(r["events"])),
    ("build s", 8, lambda r: f"{r['build_s']:.2f}"),
    ("run s", 8, lambda r: f"{r['run_s']:.2f}"),
    ("run CPU s", 9, lambda r: f"{r['run_cpu_s']:.2f}"),
    ("freeze s", 8, lambda r: f"{r['freeze_s']:.2f}"),
    ("events/s", 11, lambda r: fmt_int(r["events_per_s"])),
    ("records/s", 11, lambda r: fmt_int(r["records_per_s"])),
    ("peak RSS MiB", 12, lambda r: f"{r['peak_rss_mib']:,.0f}"),
    ("(after build)", 13, lambda r: f"{r['rss_build_mib']:,.0f}"),
)


def size_header() -> str:
    return "  ".join(f"{name:>{width}}" for name, width, _ in SIZE_COLUMNS)


def size_row(r: dict[str, Any]) -> str:
    if "error" in r:
        return f"{fmt_int(r.get('machines')):>11}  ERROR: {r['error']}"
    return "  ".join(f"{cell(r):>{width}}" for _, width, cell in SIZE_COLUMNS)


def print_polling(p: dict[str, Any]) -> None:
    print("\nNaive polling model vs World (same scenario, one process; wall = build + run + "
          "records)")
    if "error" in p or not p.get("available"):
        print(f"  not run: {p.get('why') or p.get('error')}")
        return
    print(f"  {'machines':>9}  {'days':>4}  {'World s':>8}  {'polling s':>9}  "
          f"{'polling/World':>13}  {'World events':>12}  {'polling events':>14}  "
          f"{'records':>9}  identical")
    same = "yes" if p["identical"] else "NO"
    print(f"  {p['machines']:>9,}  {p['days']:>4g}  {p['world_s']:>8.2f}  {p['polling_s']:>9.2f}"
          f"  {p['ratio']:>12.1f}x  {fmt_int(p['world_events']):>12}  "
          f"{fmt_int(p['polling_events']):>14}  {p['world_records']:>9,}  {same}")
    if not p["identical"]:
        differ = [name for name, ok in p["columns_equal"].items() if not ok]
        print(f"  records: World {p['world_records']:,}, polling {p['polling_records']:,}; "
              f"columns that differ: {', '.join(differ) or 'none (lengths differ)'}")


def print_floor(f: dict[str, Any], run: dict[str, Any] | None) -> None:
    print(f"\nBare SimPy floor: {f['events']:,} callback events in {f['chains']} chains "
          "(no model work)")
    print(f"  {'loop':<42}  {'s':>8}  {'events/s':>11}  {'arcsim share':>12}")
    for key, label in (("timeout", "env.timeout(d) + callback (public API)"),
                       ("raw", "Clock.at: slotted event on the heap"),
                       ("recorded", "the same, writing one record an event")):
        loop = f[key]
        share = (f"{run['events_per_s'] / loop['events_per_s']:>11.1%}"
                 if run and "events_per_s" in run else "-")
        print(f"  {label:<42}  {loop['s']:>8.2f}  {loop['events_per_s']:>11,.0f}  {share:>12}")
    if run and "events_per_s" in run:
        print(f"  arcsim ({run['machines']:,} machines): {run['run_s']:.2f} s, "
              f"{run['events_per_s']:,.0f} events/s. arcsim share = arcsim events/s / floor "
              "events/s = the part of arcsim's run time that is SimPy's own event loop.")


def meta() -> dict[str, Any]:
    def git(*words: str) -> str:
        try:
            return subprocess.run(["git", *words], cwd=ROOT, text=True, capture_output=True,
                                  check=False).stdout.strip()
        except OSError:
            return ""

    rev = git("rev-parse", "--short", "HEAD")
    changed = git("status", "--porcelain", "--untracked-files=no", "sim")
    return {"python": platform.python_version(), "simpy": simpy.__version__,
            "numpy": np.__version__, "platform": platform.platform(),
            "cpus": os.cpu_count(), "git": rev + ("+uncommitted sim/ changes" if changed else ""),
            "gc_enabled": gc.isenabled()}


# --- main ---------------------------------------------------------------------------------------

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--machines", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    p.add_argument("--days", type=float, default=30.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--polling-machines", type=int, default=2_000)
    p.add_argument("--polling-days", type=float, default=7.0)
    p.add_argument("--skip-polling", action="store_true")
    p.add_argument("--skip-floor", action="store_true")
    p.add_argument("--json", metavar="OUT", help="also write every figure as JSON")
    p.add_argument("--profile", metavar="OUT.prof",
                   help="cProfile the run phase of each size (slows it; figures then are not "
                        "speeds) and write pstats to OUT.prof (size appended if several)")
    p.add_argument("--child", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.child:
        child_main(json.loads(args.child))
        return
    info = meta()
    print(f"arcsim engine benchmark  (git {info['git'] or '?'}, Python {info['python']}, "
          f"SimPy {info['simpy']}, NumPy {info['numpy']}, {info['cpus']} CPUs)")
    print("scenario: benchmarks/scenario_in_code.py (4 groups, lockdown day 1-3, 1 %/day local "
          "removals, upgrade wave day 5-12), seed", args.seed)
    out: dict[str, Any] = {"meta": info, "sizes": [], "polling": None, "floor": None}

    print("\n" + size_header(), flush=True)
    for n in args.machines:
        profile = None
        if args.profile:
            profile = args.profile if len(args.machines) == 1 else f"{args.profile}.{n}"
        r = run_child(Path(__file__), {"kind": "size", "machines": n, "days": args.days,
                                       "seed": args.seed, "profile": profile})
        r.setdefault("machines", n)
        out["sizes"].append(r)
        print(size_row(r), flush=True)
    ok = [r for r in out["sizes"] if "events" in r]
    if ok:
        first = ok[0]
        print(f"\nrecords of the {first['machines']:,}-machine run by operation/outcome: "
              + ", ".join(f"{k} {v:,}" for k, v in first["breakdown"].items()))
        if args.profile:
            print("(profiled: run times include cProfile overhead)")

    if not args.skip_polling:
        p = run_child(Path(__file__), {"kind": "polling", "machines": args.polling_machines,
                       "days": args.polling_days, "seed": args.seed})
        out["polling"] = p
        print_polling(p)

    if not args.skip_floor and ok:
        largest = max(ok, key=lambda r: r["machines"])
        f = run_child(Path(__file__), {"kind": "floor", "events": largest["events"]})
        out["floor"] = f
        if "error" in f:
            print(f"\nBare SimPy floor: ERROR {f['error']}")
        else:
            print_floor(f, largest)

    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n")
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
