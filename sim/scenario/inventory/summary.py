"""What an import read: sources, machines by OS, agent version and status, extensions.

:func:`describe` counts it (:class:`ImportSummary`, for tables and JSON); :func:`summary` writes
the same as text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from sim.scenario.inventory.assembly import Inventory, Source
from sim.scenario.inventory.grouping import FleetImport, convert_inventory

Counts = tuple[tuple[str, int], ...]
"""(name, count) pairs, most frequent first, then by name."""


@dataclass(frozen=True)
class ImportSummary:
    """The counts of an import, each table ordered by :data:`Counts`."""

    machines: int
    format: str
    sources: tuple[Source, ...]
    by_os: Counts
    by_agent_version: Counts
    by_status: Counts
    installed_by_type: Counts
    """Extensions Azure records as Succeeded (R6c), by ``Publisher/Type``."""
    not_installed_by_state: Counts
    """The other extension resources, by provisioning state."""
    group_by: tuple[str, ...]
    groups: tuple[tuple[str, int], ...]
    """(group name, machines) after collapsing alike machines, in fleet order."""
    warnings: tuple[str, ...]

    TABLES = (("Machines by OS", "by_os"), ("Machines by agent version", "by_agent_version"),
              ("Machines by status", "by_status"),
              ("Installed extensions (Succeeded or Failed) by type", "installed_by_type"),
              ("Extensions not installed, by provisioning state", "not_installed_by_state"))
    """(title, attribute) of each table of counts, in the order they are shown."""


def describe(inventory: Inventory, conversion: FleetImport | None = None) -> ImportSummary:
    """The counts of ``inventory`` and of its groups (``conversion``, default:
    :func:`convert_inventory` with its defaults)."""
    if conversion is None:
        conversion = convert_inventory(inventory)
    machines = inventory.machines
    exts = [e for m in machines for e in m.extensions]
    return ImportSummary(
        len(machines), inventory.format, inventory.sources,
        _counts(m.os for m in machines),
        _counts(str(m.agent_version or "unknown") for m in machines),
        _counts(m.status.value for m in machines),
        _counts(e.extension.name for e in exts if e.is_installed),
        _counts(e.provisioning_state or "none" for e in exts if not e.is_installed),
        conversion.group_by, tuple((g.name, g.count) for g in conversion.fleet.groups),
        tuple(str(n) for n in inventory.warnings) + tuple(conversion.warnings))


def summary(inventory: Inventory, conversion: FleetImport | None = None) -> str:
    """What was imported, as text: sources and formats, the tables of :class:`ImportSummary`,
    the number of groups after collapsing, and warnings."""
    counted = describe(inventory, conversion)
    lines = [f"Imported {_n(counted.machines, 'machine')} ({counted.format}):"]
    lines += [f"  {s.file}: {s.format.description}: {_n(s.machines, 'machine')}, "
              f"{_n(s.extensions, 'extension')}" + (f", {s.pages} pages" if s.pages > 1 else "")
              for s in counted.sources]
    for title, attribute in ImportSummary.TABLES:
        counts: Counts = getattr(counted, attribute)
        listed = ", ".join(f"{name} {n}" for name, n in counts) or "none"
        lines.append(f"{title}: {listed}")
    lines.append(f"Groups after collapsing by {', '.join(counted.group_by) or 'nothing'}: "
                 f"{len(counted.groups)}")
    warnings = counted.warnings
    lines.append(f"Warnings: {len(warnings)}" if warnings else "Warnings: none")
    lines += [f"  - {w}" for w in warnings]
    return "\n".join(lines)


def _counts(values: Iterable[str]) -> Counts:
    counted = Counter(values)
    return tuple(sorted(counted.items(), key=lambda kv: (-kv[1], kv[0].lower())))


def _n(count: int, unit: str) -> str:
    return f"{count} {unit}{'' if count == 1 else 's'}"
