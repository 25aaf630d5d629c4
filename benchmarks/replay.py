"""Replaying a 90-day activity log of 10^4 machines: seconds per phase (issue 16).

Makes the log the way a user would get one from arcsim: runs a *history* scenario (automatic
upgrade waves, a pipeline pushing a script extension to every server on day 2 and to some
every day, Defender onboarding,
reconfigurations and deletes by an ops team; no lockdown) with ``--activity-log``, then times
``arcsim run --replay`` of that log against a candidate lockdown on the same fleet, phase by
phase: reading the log (JSON as ``az monitor activity-log list`` prints it, or CSV), mapping
it onto the fleet (``load_scenario``: read + plan), and the run itself (build, run,
summarise). Prints a table and writes the figures as JSON; asserts nothing.

Run: ``.venv/bin/python benchmarks/replay.py [--machines 10000] [--days 90] [--format json]
[--json FILE]``; a smoke run: ``--machines 200 --days 10``.

``--shipped DIR`` instead writes the small log that ``scenarios/replay-two-lockdowns.yaml``
replays (two copies of a 24-machine fleet, 30 days) to ``DIR/history-30d.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sim  # noqa: E402
from sim.scenario import replay as replay_module  # noqa: E402
from sim.scenario.loading import load_scenario  # noqa: E402
from sim.scenario.replay_log import read_operations  # noqa: E402

AMA_WIN = "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent"
AMA_LINUX = "Microsoft.Azure.Monitor/AzureMonitorLinuxAgent"
DEP_LINUX = "Microsoft.Azure.Monitoring.DependencyAgent/DependencyAgentLinux"
MDE_WIN = "Microsoft.Azure.AzureDefenderForServers/MDE.Windows"
CSE_WIN = "Microsoft.Compute/CustomScriptExtension"
CSE_LINUX = "Microsoft.Azure.Extensions/CustomScript"


def fleet_yaml(prefixes: tuple[str, ...], per_group: int) -> str:
    """A Windows and a Linux group per prefix (``<prefix>-win``, ``<prefix>-linux``)."""
    groups = []
    for prefix in prefixes:
        groups.append(f"""\
  - group: {prefix}-win
    count: {per_group}
    agent_version: "1.45"
    extensions:
      - {{name: {AMA_WIN}, version: "1.20"}}
  - group: {prefix}-linux
    count: {per_group}
    os: linux
    agent_version: "1.45"
    extensions:
      - {{name: {AMA_LINUX}, version: "1.20"}}
      - {{name: {DEP_LINUX}, version: "9.10"}}
""")
    return "fleet:\n" + "".join(groups)


def history_yaml(prefixes: tuple[str, ...], per_group: int, days: int) -> str:
    """What Azure asked of the fleet over ``days`` days (no lockdown: everything succeeds)."""
    wins = ", ".join(f"{p}-win" for p in prefixes)
    linuxes = ", ".join(f"{p}-linux" for p in prefixes)
    third = max(1, days // 3)
    timeline = []
    for group in wins.split(", "):
        timeline += [
            f"  - {{at: 2d, window: 1d, actor: pipeline, role: Contributor, target: "
            f"{{group: {group}}}, install: {CSE_WIN}}}",
            f"  - {{every: 1d, from: 9h, window: 8h, rate: 1%, actor: pipeline, role: "
            f"Contributor, target: {{group: {group}}}, install: {CSE_WIN}}}",
            f"  - {{at: 3d, window: 2d, actor: secops, target: {{group: {group}}}, "
            f"install: {MDE_WIN}}}",
            f"  - {{every: 7d, from: 2d, window: 4h, rate: 5%, actor: ops, target: "
            f"{{group: {group}}}, update: {AMA_WIN}}}"]
    for group in linuxes.split(", "):
        timeline += [
            f"  - {{at: 2d, window: 1d, actor: pipeline, role: Contributor, target: "
            f"{{group: {group}}}, install: {CSE_LINUX}}}",
            f"  - {{every: 1d, from: 9h, window: 8h, rate: 1%, actor: pipeline, role: "
            f"Contributor, target: {{group: {group}}}, install: {CSE_LINUX}}}",
            f"  - {{every: 14d, from: 6d, window: 1d, rate: 2%, actor: ops, target: "
            f"{{group: {group}}}, delete: {DEP_LINUX}}}"]
    timeline += [
        f"  - {{at: {third}d, auto_upgrade: {{extension: {AMA_WIN}, version: \"1.22\", "
        "window: 7d, batches: 4}}",
        f"  - {{at: {2 * third}d, auto_upgrade: {{extension: {AMA_WIN}, version: \"1.23\", "
        "window: 7d, batches: 4}}",
        f"  - {{at: 10d, auto_upgrade: {{extension: {DEP_LINUX}, version: \"9.11\", "
        "window: 7d, batches: 4}}"]
    return (f"name: history\ndescription: What Azure asked of the fleet.\nduration: {days}d\n"
            f"seed: 11\nstart: 2026-01-05T00:00:00Z\n{fleet_yaml(prefixes, per_group)}"
            "timeline:\n" + "\n".join(timeline) + "\n")


def candidate_yaml(log: str, per_group: int, days: int) -> str:
    """The fleet under a candidate lockdown (an allowlist of the monitoring agents), replaying
    the history."""
    allow = f'azcmagent config set extensions.allowlist "{AMA_WIN},{AMA_LINUX},{DEP_LINUX}"'
    return (f"name: candidate\nduration: {days}d\nstart: 2026-01-05T00:00:00Z\n"
            f"{fleet_yaml(('fleet',), per_group)}timeline:\n"
            f"  - {{at: 0s, run: ['{allow}']}}\n"
            f"  - {{replay: {{file: {log}, roles: {{pipeline: Contributor}}}}}}\n")


def make_log(folder: Path, machines: int, days: int, fmt: str) -> tuple[Path, float]:
    """Run the history and write its activity log; (log, seconds it took)."""
    (folder / "history.yaml").write_text(history_yaml(("fleet",), machines // 2, days))
    began = time.perf_counter()
    result = sim.run(folder / "history.yaml", out=folder / "out", report=False,
                     activity_log=fmt == "json", block=None)
    log = folder / f"log.{fmt}"
    if fmt == "json":
        shutil.move(result.path / "activity_log.json", log)
    else:
        from sim.results.activity import write_activity_log
        write_activity_log(result.activity_chunks(), log, fmt="csv", run=result.path.name)
    return log, time.perf_counter() - began


def measure(folder: Path, log: Path, machines: int, days: int) -> dict[str, Any]:
    """Seconds per phase of a replay of ``log`` (each phase once, in this process)."""
    (folder / "candidate.yaml").write_text(candidate_yaml(log.name, machines // 2, days))
    figures: dict[str, Any] = {"machines": machines, "days": days, "format": log.suffix[1:],
                               "log_bytes": log.stat().st_size}
    began = time.perf_counter()
    ops = read_operations(log)
    figures["read_s"] = time.perf_counter() - began
    figures["events"], figures["operations"] = ops.events, len(ops.kind)
    replay_module._operations.cache_clear()
    replay_module._plan.cache_clear()
    began = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        load_scenario(folder / "candidate.yaml")  # reads, maps and plans the log
    figures["load_and_plan_s"] = time.perf_counter() - began
    began = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = sim.run(folder / "candidate.yaml", out=folder / "runs", report=False,
                         block=None)
    figures["run_s"] = time.perf_counter() - began  # the plan is cached: build, run, write
    figures["total_s"] = figures["load_and_plan_s"] + figures["run_s"]
    figures["requests"] = result.metrics["requests"]
    figures["blocked"] = result.metrics["blocked"]["total"]
    figures["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures["load_average_1m"] = os.getloadavg()[0]
    return figures


def shipped(folder: Path) -> Path:
    """The log ``scenarios/replay-two-lockdowns.yaml`` replays (see the module docstring)."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "history.yaml").write_text(history_yaml(("a", "b"), 6, 30))
        result = sim.run(work / "history.yaml", out=work / "out", report=False,
                         activity_log=True)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / "history-30d.json"
        shutil.copy(result.path / "activity_log.json", target)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--machines", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--format", choices=("json", "csv"), default="json")
    parser.add_argument("--json", metavar="FILE", help="also write the figures here")
    parser.add_argument("--shipped", metavar="DIR", help="write the shipped scenario's log")
    args = parser.parse_args()
    if args.shipped:
        print(shipped(Path(args.shipped)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        log, made = make_log(Path(tmp), args.machines, args.days, args.format)
        figures = {"history_run_and_log_s": made, **measure(Path(tmp), log, args.machines,
                                                              args.days)}
    for key, value in figures.items():
        print(f"{key:24} {value:,.2f}" if isinstance(value, float) else f"{key:24} {value:,}"
              if isinstance(value, int) else f"{key:24} {value}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
