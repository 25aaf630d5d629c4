"""The analysis commands of ``arcsim``, on result folders: ``activity-log``, ``report`` and
``compare``.

``activity-log RESULT_DIR`` prints how many Azure activity log events each operation and
status produced and who called (R29), or with ``--out FILE`` writes the events as
``az monitor activity-log list`` JSON (``--format json``, the default) or a flat CSV;
``report`` redraws a folder's figures and report; ``compare`` puts runs' headline metrics side
by side. Exit status: 0 done, 2 bad input (a folder that is not a result folder, one
``arcsim: error: ...`` line).
"""

from __future__ import annotations

import argparse
import math
from collections import Counter
from pathlib import Path
from typing import Any

from rich.table import Table

from sim.cli.common import Subparsers, print_json
from sim.cli.status import ExitStatus
from sim.terminal import make_console

_ACTIVITY_LOG = ("Without ``--out`` it prints how many events each operation and status "
                 "produced and who called; with ``--out FILE`` it writes the events as ``az "
                 "monitor activity-log list`` JSON (``--format json``, the default) or a flat "
                 "CSV.")
"""``activity-log``'s description (as ``--help`` has always shown it)."""


def register(sub: Subparsers) -> None:
    """Add ``activity-log``, ``report`` and ``compare`` to ``sub``."""
    activity = sub.add_parser("activity-log", help="a run's Azure activity log (R5, R29)",
                              description=_ACTIVITY_LOG)
    activity.add_argument("result", metavar="RESULT_DIR",
                          help="a result folder of 'arcsim run'")
    activity.add_argument("--out", metavar="FILE", help="write the events to FILE")
    activity.add_argument("--format", choices=("json", "csv"), default="json",
                          help="file format with --out (default: json, as the Azure CLI "
                               "prints)")
    activity.set_defaults(handler=run_activity_log)

    report = sub.add_parser("report", help="redraw a result folder's figures and report",
                            description="Draw the standard figures into RESULT_DIR/figures/ "
                                        "and write report.md and a self-contained "
                                        "report.html, replacing those there.")
    report.add_argument("folders", nargs="+", metavar="RESULT_DIR")
    report.add_argument("--quiet", action="store_true", help="print nothing")
    report.set_defaults(handler=run_report)

    compare = sub.add_parser("compare", help="put the headline metrics of runs side by side",
                             description="Compare result folders: a table of the headline "
                                         "metrics with differences from the first run, and "
                                         "overlay figures written to a comparison folder.")
    compare.add_argument("folders", nargs="+", metavar="RESULT_DIR",
                         help="two or more result folders; the first is the baseline")
    compare.add_argument("--label", action="append", metavar="NAME",
                         help="a name for each run, in order (repeat once per run)")
    compare.add_argument("--out", metavar="DIR",
                         help="comparison folder to write (default: results/compare-...)")
    compare.add_argument("--no-figures", action="store_true",
                         help="print the table only; write no folder")
    compare.add_argument("--json", action="store_true", help="print the table as JSON")
    compare.set_defaults(handler=run_compare)


def run_activity_log(args: argparse.Namespace) -> int:
    """``arcsim activity-log``: print a summary of the activity log, or write it with
    ``--out``."""
    from sim.results.activity import write_activity_log
    from sim.results.result import load

    result = load(args.result)
    if args.out:
        written = write_activity_log(result.activity_chunks(), args.out, fmt=args.format,
                                     run=result.run_name)
        print(f"{written.events} activity log events written to {written.path}")
        return ExitStatus.OK
    keys = ["operationName", "status", "caller"]
    counts: Counter[tuple[str, str, str]] = Counter()
    for chunk in result.activity_chunks():  # a big run's log is never held whole
        columns = [chunk[k].astype(str).tolist() for k in keys]
        counts.update(zip(*columns, strict=True))
    total = sum(counts.values())
    console = make_console()
    table = Table(title=f"Activity log of {result.path.name}: {total} events")
    for column in keys:
        table.add_column(column)
    table.add_column("events", justify="right")
    for (name, status, caller), n in sorted(counts.items()):
        table.add_row(name, status, caller, str(n))
    console.print(table)
    console.print("Reinstalls by resync (R6) and local azcmagent commands are not Azure "
                  "operations: they are not in the activity log.")
    return ExitStatus.OK


def run_report(args: argparse.Namespace) -> int:
    """``arcsim report``: regenerate each folder's report; print where it is."""
    from sim.report.writer import regenerate

    for folder in args.folders:
        page = regenerate(folder)
        if not args.quiet:
            print(page)
    return ExitStatus.OK


def run_compare(args: argparse.Namespace) -> int:
    """``arcsim compare``: print the table; write the comparison folder unless told not to."""
    from sim.report import compare as comparing
    from sim.report.compare_settings import settings_table

    results = comparing.load_runs(args.folders, noun="result folders")
    labels = comparing.run_labels(results, args.label)
    table = comparing.metric_table(results, labels)
    settings = settings_table(results, labels)
    path = None
    if not args.no_figures:
        folder = (Path(args.out) if args.out else
                  comparing.default_folder(labels, results))
        path = comparing.write_comparison(results, labels, table, folder, settings)
    if args.json:
        print_json(_as_json(table, settings, path))
        return ExitStatus.OK
    console = make_console()
    console.print(_settings_table(settings))
    console.print(_rich_table(table, comparing.delta_columns(table, labels)))
    if path is not None:
        print(f"Comparison (table, figures, comparison.html): {path}")
    return ExitStatus.OK


def _as_json(table: Any, settings: Any, path: Any) -> dict[str, Any]:
    rows = {str(metric): {str(col): (None if math.isnan(v) else v) for col, v in row.items()}
            for metric, row in table.to_dict(orient="index").items()}
    differ = {str(key): dict(row) for key, row in settings.to_dict(orient="index").items()}
    return {"settings": differ, "metrics": rows,
            "folder": None if path is None else str(path)}


def _settings_table(settings: Any) -> Table:
    out = Table(title="Settings that differ" + ("" if len(settings) else
                                                ": none (the same scenario and seed)"),
                title_justify="left")
    out.add_column("setting")
    for column in settings.columns:
        out.add_column(str(column))
    for key, row in settings.iterrows():
        out.add_row(str(key), *(str(v) for v in row))
    return out


def _rich_table(table: Any, deltas: list[bool]) -> Table:
    """The metric table; ``deltas`` marks its columns of differences (shown signed, bold)."""
    from sim.report.compare import format_cell

    out = Table(title="Headline metrics (Δ: difference from the first run)",
                title_justify="left")
    out.add_column("metric")
    for column, is_delta in zip(table.columns, deltas, strict=True):
        out.add_column(str(column), justify="right", style="bold" if is_delta else None)
    for metric, row in table.iterrows():
        cells = [format_cell(str(metric), float(v), is_delta)
                 for v, is_delta in zip(row, deltas, strict=True)]
        out.add_row(str(metric), *cells)
    return out


__all__ = ["register", "run_activity_log", "run_compare", "run_report"]
