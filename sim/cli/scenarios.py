"""The scenario commands of ``arcsim``: ``run``, ``validate``, ``check``, ``list``, ``schema``.

:func:`register` adds them to the ``arcsim`` parser (each sets ``handler``, which returns the
exit status); :func:`sim.cli.main` parses the command line and runs them. Exit status
(:class:`~sim.cli.status.ExitStatus`): 0 done, 1 an expectation missed (``check``), 2 bad
input (located scenario errors, or one ``arcsim: error: ...`` line), 130 interrupted. Never a
traceback for anything a user can cause.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from sim.cli.common import (
    Subparsers,
    UsageError,
    add_output_options,
    print_json,
    print_outcome,
    shows_progress,
)
from sim.cli.status import ExitStatus, Interrupted, failure_status
from sim.files import write_file
from sim.scenario.source import ScenarioError
from sim.terminal import make_console


def _scale(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f'expected a number > 0, got "{text}"')
    return value


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a value before validation, e.g. fleet[0].count=50, "
                             "duration=2d, params.check_period=10m (repeatable)")
    parser.add_argument("--scale", type=_scale, metavar="F",
                        help="multiply every group's machine count by F (at least 1 each)")
    parser.add_argument("--out", default="results", metavar="DIR",
                        help="folder that receives the result folder (default: results)")


# --- registration ---------------------------------------------------------------------------


def register(sub: Subparsers) -> None:
    """Add ``run``, ``validate``, ``check``, ``list`` and ``schema`` to ``sub``."""
    run = sub.add_parser("run", help="run a scenario and write its result folder",
                         description="Run a scenario (a file or a shipped scenario's name; "
                                     "default: the built-in 'default') and write "
                                     "results/<name>-<seed>-<hash>/.")
    run.add_argument("scenario", nargs="?", default="default", metavar="SCENARIO")
    run.add_argument("--seed", type=int, metavar="N", help="replace the scenario's seed")
    run.add_argument("--variant", metavar="NAME",
                     help="run one of the scenario's variants (its variants: block)")
    _add_run_options(run)
    run.add_argument("--no-report", dest="report", action="store_false",
                     help="skip the figures and report.md|html (faster; 'arcsim report' "
                          "draws them later)")
    run.add_argument("--csv", action="store_true",
                     help="also write records.csv and timeseries.csv")
    run.add_argument("--activity-log", action="store_true",
                     help="also write activity_log.json, the run's Azure activity log (R29)")
    run.add_argument("--replay", metavar="LOG",
                     help="send again the extension operations of an Azure activity log (az "
                          "monitor activity-log list JSON, or the portal's CSV): what would "
                          "they have done under this scenario's lockdown?")
    run.add_argument("--inventory", action="store_true",
                     help="also write inventory/machines.json and inventory/extensions.json, "
                          "the final fleet as an Azure inventory export (arcsim import reads "
                          "it back)")
    run.add_argument("--shards", type=int, default=1, metavar="K",
                     help="split the fleet into K independent parts run in parallel, with the "
                          "same records (fewer when machines share a proxy)")
    run.add_argument("--scheduler", metavar="URL",
                     help="with --shards: run them on the Dask scheduler at URL "
                          "(tcp://host:8786) instead of local processes")
    add_output_options(run, folder="result folder", as_json="the metrics")
    run.set_defaults(handler=run_run)

    validate = sub.add_parser("validate", help="check scenario files without running them")
    validate.add_argument("files", nargs="+", metavar="FILE")
    validate.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    validate.set_defaults(handler=run_validate)

    check = sub.add_parser("check", help="run scenarios and test their expect: blocks",
                           description="Run every scenario and compare its metrics with its "
                                       "expect: block; exit 1 on any miss.")
    check.add_argument("paths", nargs="*", metavar="FILE|DIR",
                       help="scenario files or folders (default: scenarios/)")
    _add_run_options(check)
    check.add_argument("--report", action="store_true",
                       help="also draw each run's figures and report.md|html (slower)")
    check.set_defaults(handler=run_check)

    listing = sub.add_parser("list", help="the shipped scenarios")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=run_list)

    schema = sub.add_parser("schema", help="the JSON Schema of scenario files")
    schema.add_argument("--out", metavar="FILE", help="write it to FILE instead of stdout")
    schema.set_defaults(handler=run_schema)


# --- run --------------------------------------------------------------------------------------


def run_run(args: argparse.Namespace) -> int:
    """``arcsim run``: run, then print a summary, the metrics (--json) or the folder."""
    from sim.runs.single import run

    progress = shows_progress(args)
    try:  # arcsim's warnings print as notices when they happen (sim.cli.program.main)
        result = run(args.scenario, seed=args.seed, overrides=args.set, scale=args.scale,
                     out=args.out, progress=progress, report=args.report, shards=args.shards,
                     scheduler=args.scheduler, csv=args.csv, activity_log=args.activity_log,
                     inventory=args.inventory, replay=args.replay, variant=args.variant)
    except KeyboardInterrupt:
        raise Interrupted("interrupted; no result folder was written") from None
    print_outcome(args, result.path, lambda: result.metrics,
                  lambda: print_summary(result, make_console()))
    return ExitStatus.OK


def print_summary(result: Any, console: Console) -> None:
    """Blocked operations by reason, reinstall churn, overrides, what got in, expectations,
    the folder."""
    from sim.quantities import format_duration, format_size
    from sim.report.content import override_actions_text

    m, manifest = result.metrics, result.manifest
    simulated = format_duration(manifest["scenario"]["duration"], parts=2)
    console.print(f"[bold]{result.name}[/] (seed {result.seed}): "
                  f"{manifest['counts']['machines']} machines, {simulated}, "
                  f"{manifest['counts']['records']} records")
    console.print(_blocked_table(m["blocked"]))
    churn = m["churn"]
    machines = m.get("machines_with", {}).get("local_removals", 0)
    console.print(f"Reinstall churn: {churn['cycles']} reinstalls after "
                  f"{m['local_removals']} extensions removed locally on {machines} machines, "
                  f"{churn['blocked']} blocked, {churn['absent_hours']:.1f} machine-hours absent, "
                  f"{format_size(churn['bytes'])} downloaded again, longest queue wait "
                  f"{format_duration(churn['max_queue_wait_s'], parts=2)}")
    overrides = m["overrides"]
    by_actor = ", ".join(f"{a} {n}" for a, n in overrides["by_actor"].items()) or "none"
    console.print(f"Overrides: {overrides['total']} operations let through by "
                  f"{override_actions_text(overrides)}; by who lifted the protection: "
                  f"{by_actor}")
    if "exposure" in m:
        e = m["exposure"]
        console.print(f"What got in: {e['total']} script-capable installs and updates "
                      f"({e['through_lockdown']} through a lockdown), "
                      f"{e['machine_hours']:,.1f} machine-hours exposed; an override path left "
                      f"open on {e['open_paths_at_end']['any']} machines at the end")
    if result.expectations:
        console.print(expectation_table(result.expectations))
    console.print("What each number counts: docs/metrics.md; the rules behind them: "
                  "docs/rules.md (in arcsim's repository)", markup=False)
    console.print(f"Result: {result.path}")


def _blocked_table(blocked: dict[str, Any]) -> Table:
    ops = ("install", "update", "upgrade", "reinstall")
    from sim.rules.reference import REASON_RULES, rule_link

    table = Table(title=f"Blocked operations: {blocked['total']}", title_justify="left")
    table.add_column("reason")
    for op in (*ops, "total"):
        table.add_column(op, justify="right")
    table.add_column("rule")
    for reason, total in blocked["by_reason"].items():
        rule = REASON_RULES.get(reason, "")
        table.add_row(reason, *(str(blocked[op].get(reason, 0)) for op in ops), str(total),
                      rule_link(rule) if rule else "")
    return table


def expectation_table(expectations: Sequence[Any], title: str = "Expectations") -> Table:
    """Path, expected, actual, ok for each expectation."""
    from sim.quantities import format_duration, in_seconds
    from sim.scenario.expect import format_number

    table = Table(title=title, title_justify="left")
    for column in ("metric", "expected", "actual", ""):
        table.add_column(column)
    for e in expectations:
        actual = "missing" if e.actual is None else format_number(e.actual)
        if e.actual is not None and in_seconds(e.path):
            actual += f" ({format_duration(e.actual, parts=2)})"
        table.add_row(e.path, e.expected, actual, "ok" if e.ok else "MISS")
    return table


# --- validate, check, list, schema ------------------------------------------------------------


def run_validate(args: argparse.Namespace) -> int:
    """``arcsim validate``: 0 when every file is valid, else 2 with every located error."""
    from sim.scenario import library
    from sim.scenario.loading import load_scenario
    from sim.scenario.variants import check_variants

    status = ExitStatus.OK
    for name in args.files:
        try:
            path = library.resolve(name)
            scenario = load_scenario(path, overrides=args.set)
            check_variants(path, args.set)
        except ScenarioError as exc:  # reported; the other files are still validated
            status = ExitStatus(failure_status(exc))
            continue
        variants = f", {len(scenario.variants)} variants" if scenario.variants else ""
        print(f"{name}: ok ({scenario.name}: {scenario.machines} machines, "
              f"{len(scenario.timeline)} timeline entries, {len(scenario.expect)} "
              f"expectations{variants})")
    return status


def scenario_targets(paths: Sequence[str]) -> list[Path]:
    """Files given, and the scenario files under folders given (default: scenarios/).

    Raises:
        UsageError: a folder holds no scenario file, or a path does not exist.
    """
    from sim.scenario import library

    if not paths:
        local = Path("scenarios")
        paths = [str(local if local.is_dir() else library.scenario_dirs()[0])]
    found: list[Path] = []
    for text in paths:
        path = Path(text)
        if os.path.isdir(path):  # False too for a path the system cannot look up
            files = library.scenario_files(path)
            if not files:
                raise UsageError(f"{path}: no scenario files (*.yaml) in this folder")
            found += files
        else:
            found.append(library.resolve(text))
    return found


def run_check(args: argparse.Namespace) -> int:
    """``arcsim check``: run each scenario; 1 when an expectation misses, 2 when one is
    invalid."""
    from sim.runs.single import run

    console, status = make_console(), ExitStatus.OK
    summary = Table(title="Scenarios", title_justify="left")
    for column in ("scenario", "expectations", ""):
        summary.add_column(column)
    for path in scenario_targets(args.paths):
        try:
            result = run(path, overrides=args.set, scale=args.scale, out=args.out,
                         report=args.report)
        except ScenarioError as exc:  # reported; the other scenarios still run
            status = ExitStatus(failure_status(exc))
            summary.add_row(str(path), "-", "INVALID")
            continue
        held = sum(e.ok for e in result.expectations)
        verdict = "ok" if result.ok else "MISS"
        summary.add_row(str(path), f"{held}/{len(result.expectations)}", verdict)
        if not result.ok:
            console.print(expectation_table(result.misses, f"{path}: expected vs actual"))
            status = max(status, ExitStatus.FINDINGS)
    console.print(summary)
    return status


def run_list(args: argparse.Namespace) -> int:
    """``arcsim list``: the shipped scenarios and what each one asks."""
    from sim.scenario import library

    scenarios = library.shipped()
    if args.json:
        print_json([{"name": s.name, "path": str(s.path), "description": s.summary}
                    for s in scenarios])
        return ExitStatus.OK
    table = Table(title="Shipped scenarios (arcsim run NAME)", title_justify="left")
    table.add_column("name")
    table.add_column("question")
    for s in scenarios:
        table.add_row(s.name, s.summary)
    make_console().print(table)
    return ExitStatus.OK


def run_schema(args: argparse.Namespace) -> int:
    """``arcsim schema``: the JSON Schema of scenario files."""
    from sim.scenario.schema import Scenario

    text = json.dumps(Scenario.model_json_schema(), indent=2) + "\n"
    if args.out is None:
        sys.stdout.write(text)
        return ExitStatus.OK
    write_file(args.out, text)  # whole or not at all; a FileError names the file
    return ExitStatus.OK

