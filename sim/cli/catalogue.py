"""``arcsim catalogue``: the extensions arcsim knows, with every fact its catalogue holds.

The command prints each entry of the built-in catalogue (:mod:`sim.rules.catalogue`):
publisher and type, then every field the entry has (OS, category, hosting, automatic-upgrade
support, whether it runs scripts, package size, description, and a ``source``/``sources``
field where the catalogue gives one), read from the entry itself so a new fact shows without
a change here. Sources the catalogue gives for a whole field (a module constant named
``<FIELD>_SOURCE``) are printed below the table; ``docs/catalogue.md`` says where every
other fact comes from. ``--json`` prints the entries as objects, ``--markdown`` as the table
``docs/catalogue.md`` holds. Exit status 0.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Iterable
from enum import Enum
from typing import Any

from rich.table import Table

from sim.cli.common import Subparsers, print_json
from sim.cli.status import ExitStatus
from sim.rules import catalogue as catalogue_module
from sim.rules.catalogue import BUILTIN, CatalogueEntry
from sim.scenario.units import format_size
from sim.terminal import make_console

CATALOGUE_DOC = "docs/catalogue.md"
"""Where each catalogue fact's origin is explained, in arcsim's repository."""


def register(sub: Subparsers) -> None:
    """Add ``catalogue`` to ``sub``."""
    parser = sub.add_parser("catalogue", help="the extensions arcsim knows, and their facts",
                            description="List the extensions of arcsim's built-in catalogue "
                            "with every fact it holds about each (publisher/type, OS, "
                            "hosting, automatic-upgrade support, runs-scripts flag, package "
                            f"size...) and where the facts come from ({CATALOGUE_DOC}).")
    parser.add_argument("--os", choices=("windows", "linux"), type=str.lower,
                        help="only the extensions for this OS (and those for any OS)")
    shape = parser.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="print the entries as JSON")
    shape.add_argument("--markdown", action="store_true",
                       help=f"print a Markdown table (as in {CATALOGUE_DOC})")
    parser.set_defaults(handler=run_catalogue)


def _plain(value: Any) -> Any:
    """A fact as JSON-ready data: enums by value, sources and other dataclasses as mappings,
    tuples as lists."""
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def entry_row(entry: CatalogueEntry) -> dict[str, Any]:
    """One entry as ``{"extension", "publisher", "type", <every other field>}``."""
    row: dict[str, Any] = {"extension": entry.id.name, "publisher": entry.id.publisher,
                           "type": entry.id.type}
    for field in dataclasses.fields(entry):
        if field.name != "id":
            row[field.name] = _plain(getattr(entry, field.name))
    return row


def entries(os: str | None = None) -> list[CatalogueEntry]:
    """The built-in entries (for ``os``: that OS's and any-OS ones), by extension name."""
    found = [e for e in BUILTIN if os is None or str(_plain(e.os)) in (os, "any")]
    return sorted(found, key=lambda e: e.id.key)


def field_sources() -> dict[str, Any]:
    """Sources the catalogue module gives for whole fields: ``<FIELD>_SOURCE`` constants."""
    return {name.removesuffix("_SOURCE").lower(): _plain(value)
            for name, value in sorted(vars(catalogue_module).items())
            if name.endswith("_SOURCE") and dataclasses.is_dataclass(value)}


def _cell(name: str, value: Any) -> str:
    if name == "size_bytes" and isinstance(value, int):
        return format_size(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return " ".join(str(v) for v in value.values())
    if isinstance(value, list):
        return "; ".join(_cell(name, v) for v in value)
    return str(value)


def _columns(rows: Iterable[dict[str, Any]]) -> list[str]:
    names: list[str] = []
    for row in rows:
        names += [k for k in row if k not in names and k not in ("publisher", "type")]
    return names


def markdown(rows: list[dict[str, Any]]) -> str:
    """The rows as a Markdown table, one column per fact."""
    columns = _columns(rows)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        cells = [_cell(c, row.get(c, "")).replace("|", "\\|") for c in columns]
        cells[0] = f"`{cells[0]}`"
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run_catalogue(args: argparse.Namespace) -> int:
    """Print the catalogue as a table, JSON or Markdown."""
    rows = [entry_row(e) for e in entries(args.os)]
    sources = field_sources()
    if args.json:
        print_json({"entries": rows, "field_sources": sources, "explained_in": CATALOGUE_DOC})
        return ExitStatus.OK
    if args.markdown:
        print(markdown(rows))
        return ExitStatus.OK
    table = Table(title=f"arcsim's catalogue: {len(rows)} extensions", title_justify="left")
    columns = _columns(rows)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(_cell(c, row.get(c, "")) for c in columns))
    out = make_console()
    out.print(table)
    for name, source in sources.items():
        out.print(f"{name}: {_cell(name, source)}", markup=False)
    out.print(f"Where each fact comes from: {CATALOGUE_DOC} (in arcsim's repository). An "
              "extension not listed is simulated by the same rules, with default facts.",
              markup=False)
    return ExitStatus.OK


__all__ = ["CATALOGUE_DOC", "entries", "entry_row", "field_sources", "markdown", "register",
           "run_catalogue"]
