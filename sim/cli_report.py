"""The analysis subcommands of ``arcsim``: ``report`` and ``compare``.

:func:`register` adds them to the ``arcsim`` parser (see :data:`sim.cli.FACES`). Exit status:
0 done, 2 bad input (a folder that is not a result folder, one ``arcsim: error: ...`` line).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any, TypeAlias

from rich.table import Table

from sim.terminal import make_console

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"




def register(sub: Subparsers) -> None:
    """Add ``report`` and ``compare`` to ``sub``."""
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


def run_report(args: argparse.Namespace) -> int:
    """``arcsim report``: regenerate each folder's report; print where it is."""
    from sim.report.writer import regenerate

    for folder in args.folders:
        page = regenerate(folder)
        if not args.quiet:
            print(page)
    return 0


def run_compare(args: argparse.Namespace) -> int:
    """``arcsim compare``: print the table; write the comparison folder unless told not to."""
    from sim.report import compare as comparing
    from sim.results.result import load

    if len(args.folders) < 2:
        raise comparing.CompareError(f"compare needs at least two result folders, got "
                                     f"{len(args.folders)}")
    results = [load(folder) for folder in args.folders]
    table = comparing.compare(results, labels=args.label)
    path = None
    if not args.no_figures:
        labels = [str(c) for c in table.columns if not str(c).startswith("Δ ")]
        folder = (Path(args.out) if args.out else
                  comparing.default_folder(labels, results))
        path = comparing.write_comparison(results, labels, table, folder)
    if args.json:
        print(json.dumps(_as_json(table, path), indent=2, ensure_ascii=False))
        return 0
    make_console().print(_rich_table(table))
    if path is not None:
        print(f"Comparison (table, figures, comparison.html): {path}")
    return 0


def _as_json(table: Any, path: Any) -> dict[str, Any]:
    rows = {str(metric): {str(col): (None if math.isnan(v) else v) for col, v in row.items()}
            for metric, row in table.to_dict(orient="index").items()}
    return {"metrics": rows, "folder": None if path is None else str(path)}


def _rich_table(table: Any) -> Table:
    from sim.report.compare import format_delta, format_value

    out = Table(title="Headline metrics (Δ: difference from the first run)",
                title_justify="left")
    out.add_column("metric")
    for column in table.columns:
        out.add_column(str(column), justify="right",
                       style="bold" if str(column).startswith("Δ ") else None)
    deltas = [str(c).startswith("Δ ") for c in table.columns]
    for metric, row in table.iterrows():
        cells = [format_delta(float(v)) if is_delta else format_value(float(v))
                 for v, is_delta in zip(row, deltas, strict=True)]
        out.add_row(str(metric), *cells)
    return out


__all__ = ["register", "run_compare", "run_report"]
