"""``arcsim activity-log RESULT_DIR``: a run's Azure activity log, as Azure writes it (R29).

Without ``--out`` it prints how many events each operation and status produced and who called;
with ``--out FILE`` it writes the events as ``az monitor activity-log list`` JSON
(``--format json``, the default) or a flat CSV.
"""

from __future__ import annotations

import argparse
from collections import Counter
from typing import TypeAlias

from rich.table import Table

from sim.results.activity import write_activity_log
from sim.results.result import load
from sim.terminal import make_console

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def register(sub: Subparsers) -> None:
    """Add ``activity-log`` to ``sub``."""
    parser = sub.add_parser("activity-log", help="a run's Azure activity log (R5, R29)",
                            description=__doc__.split("\n\n", 1)[1] if __doc__ else None)
    parser.add_argument("result", metavar="RESULT_DIR", help="a result folder of 'arcsim run'")
    parser.add_argument("--out", metavar="FILE", help="write the events to FILE")
    parser.add_argument("--format", choices=("json", "csv"), default="json",
                        help="file format with --out (default: json, as the Azure CLI prints)")
    parser.set_defaults(handler=run_activity_log)


def run_activity_log(args: argparse.Namespace) -> int:
    """Print a summary of the activity log, or write it with ``--out``."""
    result = load(args.result)
    if args.out:
        written = write_activity_log(result.activity_chunks(), args.out, fmt=args.format,
                                     run=result.path.name)
        print(f"{written.events} activity log events written to {written.path}")
        return 0
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
    return 0
