"""``arcsim import FILE [FILE...]``: a fleet from Azure inventory exports (issue 8).

Reads ``az connectedmachine list``/``show`` and ``extension list`` output, ARM REST lists (pages
concatenated) and Azure Resource Graph results (JSON or CSV), in any mix; prints what was
imported (machines by OS, agent version and status, extensions by type, the groups alike
machines collapse into, warnings); with ``--out FILE`` writes the editable fleet file a
scenario can use as ``fleet: {from: FILE}``, atomically. ``--anonymise`` pseudonymises machine,
resource group and subscription names so that results can be shared.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import Any

from rich.columns import Columns
from rich.console import Console
from rich.table import Table
from rich.text import Text

from sim.cli.common import Subparsers
from sim.cli.status import ExitStatus
from sim.scenario.inventory import (
    GROUP_KEYS,
    anonymised,
    convert_inventory,
    load_inventory,
    write_fleet_yaml,
)
from sim.scenario.inventory.documents import FORMAT_CHOICES
from sim.scenario.inventory.summary import ImportSummary, describe
from sim.terminal import make_console


def register(sub: Subparsers) -> None:
    """Add ``import`` to ``sub``."""
    parser = sub.add_parser("import", help="a fleet from Azure inventory exports",
                            description=__doc__.split("\n\n", 1)[1] if __doc__ else None)
    parser.add_argument("files", nargs="+", metavar="FILE",
                        help="export files: machines, extensions, pages of one list")
    parser.add_argument("--out", metavar="FILE", help="write the fleet file (YAML) to FILE")
    parser.add_argument("--format", choices=("auto", *FORMAT_CHOICES), default="auto",
                        help="the format every file must have (default: detect each)")
    parser.add_argument("--group-by", type=_group_keys, default=("resource_group",),
                        metavar="KEYS", help="what groups machines, comma-separated from "
                        f"{', '.join(GROUP_KEYS)}; 'none' for one key (default: "
                        "resource_group)")
    parser.add_argument("--anonymise", "--anonymize", action="store_true",
                        help="pseudonymise machine, resource group and subscription names")
    parser.add_argument("--seed", type=int, default=0, metavar="N",
                        help="key of the pseudonyms (default 0); keep it private")
    shown = parser.add_mutually_exclusive_group()
    shown.add_argument("--json", action="store_true", help="print the summary as JSON")
    shown.add_argument("--quiet", action="store_true", help="print only what was written")
    parser.set_defaults(handler=run_import)


def _group_keys(text: str) -> tuple[str, ...]:
    keys = tuple(k.strip() for k in text.split(",") if k.strip())
    if keys == ("none",):
        return ()
    unknown = [k for k in keys if k not in GROUP_KEYS]
    if unknown or not keys:
        raise argparse.ArgumentTypeError(f'expected {", ".join(GROUP_KEYS)} or none '
                                         f'(comma-separated), got "{text}"')
    return keys


def run_import(args: argparse.Namespace) -> int:
    """Import, print the summary, write the fleet file with ``--out``."""
    inventory = load_inventory(*args.files, expected_format=args.format)
    if args.anonymise:
        inventory = anonymised(inventory, args.seed)
    conversion = convert_inventory(inventory, group_by=args.group_by)
    counted = describe(inventory, conversion)
    if args.out:
        header = (f"Fleet imported by arcsim import from {', '.join(args.files)}: "
                  f"{counted.machines} machines in {len(counted.groups)} groups; edit freely.")
        write_fleet_yaml(conversion.fleet, args.out, header=header)
    if args.json:
        print(json.dumps(_as_json(counted, args.out), indent=2, ensure_ascii=False))
    elif not args.quiet:
        print_summary(counted, make_console())
    if args.out and not args.json:
        print(f"{len(counted.groups)} groups ({counted.machines} machines) written to "
              f"{args.out}")
    return ExitStatus.OK


def print_summary(counted: ImportSummary, console: Console) -> None:
    """The summary as rich tables: sources, each table of counts, groups, warnings."""
    sources = Table(title=f"Imported {counted.machines} machines ({counted.format})",
                    title_justify="left")
    sources.add_column("file")
    sources.add_column("format")
    for column in ("machines", "extensions", "pages"):
        sources.add_column(column, justify="right")
    for s in counted.sources:
        sources.add_row(Text(s.file), s.format.value, str(s.machines), str(s.extensions),
                        str(s.pages or "-"))
    console.print(sources)
    tables = [_counts_table(title, getattr(counted, attribute), name=name)
              for (title, attribute), name in zip(ImportSummary.TABLES, _KEY_COLUMNS,
                                                  strict=True)]
    console.print(Columns(tables[:3]))
    console.print(Columns(tables[3:]))
    by = ", ".join(counted.group_by) or "nothing"
    console.print(_counts_table(f"Groups after collapsing by {by}: {len(counted.groups)}",
                                counted.groups, limit=20, name="group"))
    if counted.warnings:
        console.print(f"Warnings ({len(counted.warnings)}):")
        for warning in counted.warnings:
            console.print(f"  - {warning}", markup=False)
    else:
        console.print("Warnings: none")


_KEY_COLUMNS = ("OS", "agent version", "status", "extension", "provisioning state")
"""The first column of each of :attr:`ImportSummary.TABLES`."""


def _counts_table(title: str, counts: tuple[tuple[str, int], ...], *, name: str,
                  limit: int = 0) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column(name)
    table.add_column("extensions" if name in _KEY_COLUMNS[3:] else "machines", justify="right")
    shown = counts[:limit] if limit else counts
    for key, n in shown:
        table.add_row(Text(key), str(n))
    if len(shown) < len(counts):
        table.add_row(f"... {len(counts) - len(shown)} more", "")
    if not counts:
        table.add_row("none", "")
    return table


def _as_json(counted: ImportSummary, out: str | None) -> dict[str, Any]:
    data = asdict(counted)
    data["sources"] = [{**asdict(s), "format": s.format.value} for s in counted.sources]
    for key, value in list(data.items()):
        if key in {attribute for _, attribute in ImportSummary.TABLES} or key == "groups":
            data[key] = dict(value)
    data["written"] = out
    return data


