"""A run's final fleet state as Azure shows it: an inventory export (R6c, R8, R28).

``inventory/machines.json`` holds the machines and ``inventory/extensions.json`` their extension
resources, each an ARM REST list document (``{"value": [...]}``), the shape
``GET .../providers/Microsoft.HybridCompute/machines`` and ``.../machines/<name>/extensions``
return. Both read back with :func:`sim.scenario.inventory.load_inventory`, ``arcsim import`` or
a scenario's ``fleet: {from: [inventory/machines.json, inventory/extensions.json]}``: a
lockdown's outcome can be diffed against a real export and fed into the next what-if.

What Azure shows, and so what the files hold:

* a machine is ``machine-<7-digit id>`` in the resource group named after its fleet group, in
  the placeholder subscription of the activity log (:mod:`sim.results.activity`); ``location``
  is the group's region, ``tags`` the group's tags;
* ``agentVersion`` is the agent's version at the end of the run (after agent updates, R30);
  ``status`` is ``Connected``, ``Disconnected`` or ``Expired`` (R28);
* ``agentConfiguration`` is the local configuration the agent reports (R8), as
  ``azcmagent config list`` shows it (R20): the lists in force as ``{"publisher", "type"}``
  objects (``null`` when empty; in monitor mode the Microsoft-managed allowlist and no
  blocklist, R19), ``extensionsEnabled`` and ``guestConfigurationEnabled`` as ``"true"`` /
  ``"false"`` texts (guest configuration is off in monitor mode), ``configMode``;
* an extension resource exists while Azure holds one (``provisioningState`` not none):
  its ``provisioningState`` is the control plane's (``Creating``, ``Updating``, ``Deleting``
  while an operation runs at the end of the run, else ``Succeeded`` or ``Failed``, R6c, R10);
  ``typeHandlerVersion`` the version Azure wants (the one installed when it wants none).
  **Choice:** Azure never learns of a local removal (R6), so an extension removed on the
  machine that Azure still wants stays ``Succeeded`` (the machine reinstalls it at its next
  check): the export shows Azure's view, not the disk's. An extension deleted in Azure while the
  extension manager was disabled (orphaned, R24) has no resource and is not listed, though it
  is still on the machine. A ``Failed`` upgrade (one whose restore failed too, R25) shows the
  version asked for; the importer keeps ``Failed`` resources installed, in state Failed (R6c),
  so a re-import has the extension at that version, Failed, as with a real export.
  ``enableAutomaticUpgrade`` is the resource's switch: ``false`` where the fleet opted the
  extension out (R25; the importer reads it back as ``auto_upgrade: false``), ``true``
  otherwise (whether it upgrades also needs its publisher's support); public ``settings`` are
  Azure's (R4: protected settings are never in Azure).

Each file is written as a stream, one resource per line (diff-friendly), from text templates
built once per distinct (group, configuration, status) or (group, extension, version, state):
no per-machine Python object, so a million machines cost seconds.
"""

from __future__ import annotations

import codecs
import json
import os
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from sim.engine.codes import Prov
from sim.engine.fleet import GroupSpec
from sim.engine.snapshot import Snapshot
from sim.results.activity import SUBSCRIPTION
from sim.results.result import Result
from sim.rules.config import AgentConfig
from sim.rules.identity import ExtensionId

FOLDER = "inventory"
MACHINES_FILE, EXTENSIONS_FILE = "machines.json", "extensions.json"
MACHINE_TYPE = "Microsoft.HybridCompute/machines"
EXTENSION_TYPE = "Microsoft.HybridCompute/machines/extensions"
STATUS = ("Disconnected", "Connected", "Expired", "Connected")
"""``status`` by the engine's connectivity code (:attr:`Snapshot.connectivity`: 0, 1, 2, and
3 for a machine offline for less than ``disconnected_after``, still shown Connected; R28)."""

_NAME = "\x01machine\x01"
_MARK = json.dumps(_NAME)[1:-1]
"""A stand-in for the machine's name in a template, as it appears in the JSON text."""
_CHUNK = 4096
"""Lines joined per write."""
_BLOCK = 65536
"""Machines read from the snapshot's arrays at once (bounds the memory of the scan)."""


def machine_name(machine: int) -> str:
    """``machine-<7-digit id>``, as in the activity log."""
    return f"machine-{machine:07d}"


def machine_resource_id(group: str, name: str) -> str:
    """The ARM id of machine ``name`` in resource group ``group``."""
    return (f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{group}/providers/"
            f"{MACHINE_TYPE}/{name}")


def write_inventory(final: Snapshot, folder: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Write ``machines.json`` and ``extensions.json`` of the fleet state ``final`` (a run's
    end, :func:`sim.engine.snapshot.snapshot`) into ``folder`` (created); returns their
    paths. The same state gives the same bytes.

    Raises:
        OSError: a file cannot be written.
    """
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    machines, extensions = target / MACHINES_FILE, target / EXTENSIONS_FILE
    _write_list(machines, machine_lines(final))
    _write_list(extensions, extension_lines(final))
    return machines, extensions


def write_inventory_lines(folder: str | os.PathLike[str], machines: Iterable[str],
                          extensions: Iterable[str]) -> tuple[Path, Path]:
    """Write ``machines.json`` and ``extensions.json`` from already rendered lines (a sharded
    run's, see :func:`machine_lines`) into ``folder`` (created)."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    _write_list(target / MACHINES_FILE, machines)
    _write_list(target / EXTENSIONS_FILE, extensions)
    return target / MACHINES_FILE, target / EXTENSIONS_FILE


Packed = tuple[list[bytes], list[bytes]]
"""A sharded run's inventory lines: per part, its machines' and its extensions' lines
(:func:`packed_lines`), parts in machine order."""


def packed_lines(lines: Iterable[str]) -> bytes:
    """Rendered lines (one resource each, no newline inside) compressed into one block: a
    million machines' export is about 2.8 GB of text, which travels back from a shard's
    worker and waits for the result folder packed, several times smaller."""
    packer, out, batch, sep = zlib.compressobj(1), [], [], ""
    for line in lines:  # a batch at a time: never the whole text at once
        batch.append(line)
        if len(batch) == _CHUNK:
            out.append(packer.compress((sep + "\n".join(batch)).encode("utf-8")))
            batch, sep = [], "\n"
    if batch:
        out.append(packer.compress((sep + "\n".join(batch)).encode("utf-8")))
    out.append(packer.flush())
    return b"".join(out)


_UNPACK_BYTES = 1 << 16
"""Packed bytes unpacked at a time (about ten times as much text)."""


def unpacked_lines(blocks: Iterable[bytes]) -> Iterator[str]:
    """The lines of ``blocks`` (:func:`packed_lines`), unpacked a piece at a time."""
    for block in blocks:
        unpacker, decoder = zlib.decompressobj(), codecs.getincrementaldecoder("utf-8")()
        pending, seen = "", False
        for start in range(0, len(block), _UNPACK_BYTES):  # never a whole block's text
            text = pending + decoder.decode(unpacker.decompress(
                block[start:start + _UNPACK_BYTES]))
            lines = text.split("\n")
            pending, seen = lines.pop(), seen or bool(text)
            yield from lines
        pending += decoder.decode(unpacker.flush(), final=True)
        if seen or pending:
            yield pending


def inventory_lines_writer(lines: Packed) -> Callable[[Result], None]:
    """A result-folder writer adding the inventory export from a sharded run's ``lines``."""

    def write(result: Result) -> None:
        write_inventory_lines(result.path / FOLDER, unpacked_lines(lines[0]),
                              unpacked_lines(lines[1]))

    return write


def inventory_writer(final: Snapshot) -> Callable[[Result], None]:
    """A result-folder writer (see :func:`sim.results.result.save`) adding
    ``inventory/machines.json`` and ``inventory/extensions.json`` of the fleet state
    ``final``."""

    def write(result: Result) -> None:
        write_inventory(final, result.path / FOLDER)

    return write


def _write_list(path: Path, lines: Iterable[str]) -> None:
    """An ARM list document: ``{"value": [`` then one resource per line, then ``]}``."""
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        out.write('{"value": [')
        first, chunk = True, []
        for line in lines:
            chunk.append(line)
            if len(chunk) == _CHUNK:
                out.write(("\n" if first else ",\n") + ",\n".join(chunk))
                first, chunk = False, []
        if chunk:
            out.write(("\n" if first else ",\n") + ",\n".join(chunk))
        out.write("\n]}\n")


# --- machines --------------------------------------------------------------------------------

def machine_lines(final: Snapshot) -> Iterator[str]:
    """One JSON object (one line) per machine of ``final``, in machine order."""
    templates: dict[tuple[int, int, int], list[str]] = {}
    groups, configs = final.groups, final.configs
    for lo in range(0, final.n_machines, _BLOCK):
        rows = zip(final.machine_group[lo:lo + _BLOCK].tolist(),
                   final.machine_config[lo:lo + _BLOCK].tolist(),
                   final.connectivity[lo:lo + _BLOCK].tolist(), strict=True)
        for m, key in enumerate(rows, start=lo + final.offset):
            parts = templates.get(key)
            if parts is None:
                gi, cid, conn = key
                obj = _machine(groups[gi], configs[cid], STATUS[conn])
                parts = templates[key] = json.dumps(obj, ensure_ascii=False).split(_MARK)
            yield machine_name(m).join(parts)


def _machine(group: GroupSpec, config: AgentConfig, status: str) -> dict[str, Any]:
    return {
        "id": machine_resource_id(group.name, _NAME),
        "name": _NAME,
        "location": group.region,
        "tags": dict(group.tags) or None,
        "type": MACHINE_TYPE,
        "properties": {
            "provisioningState": "Succeeded",
            "agentVersion": str(config.version),
            "status": status,
            "osType": group.os.capitalize(),
            "mssqlDiscovered": _flag(group.sql_server),
            "agentConfiguration": agent_configuration(config),
        },
    }


def agent_configuration(config: AgentConfig) -> dict[str, Any]:
    """``agentConfiguration`` as Azure reports ``config`` (R8, R19, R20)."""
    return {
        "extensionsAllowList": _extension_list(config.effective_allowlist),
        "extensionsBlockList": _extension_list(config.effective_blocklist),
        "extensionsEnabled": _flag(config.extensions_enabled),
        "guestConfigurationEnabled": _flag(config.effective_guest_configuration),
        "configMode": config.mode.value,
    }


def _extension_list(names: tuple[ExtensionId, ...]) -> list[dict[str, str]] | None:
    return [{"publisher": e.publisher, "type": e.type} for e in names] or None


def _flag(value: bool) -> str:
    return "true" if value else "false"


# --- extensions ------------------------------------------------------------------------------

def extension_lines(final: Snapshot) -> Iterator[str]:
    """One JSON object (one line) per extension resource Azure holds, in machine order, then
    extension name order."""
    if not final.ext_ids:
        return
    names = final.ext_ids
    order = np.asarray(sorted(range(len(names)), key=lambda x: names[x].key), dtype=np.intp)
    templates: dict[tuple[Any, ...], list[str]] = {}
    for lo in range(0, final.n_machines, _BLOCK):
        machines, columns = np.nonzero(final.provisioning[lo:lo + _BLOCK, order] != Prov.NONE)
        machines += lo
        yield from _extension_block(final, machines, order[columns], templates)


def _extension_block(final: Snapshot, machines: npt.NDArray[np.intp],
                     extensions: npt.NDArray[np.intp],
                     templates: dict[tuple[Any, ...], list[str]]) -> Iterator[str]:
    """The lines of the resources at ``(machines[i], extensions[i])``, in that order."""
    e, settings, manual = final.n_ext, final.settings, final.automatic_upgrade_off
    rows = zip(machines.tolist(), extensions.tolist(),
               final.machine_group[machines].tolist(),
               final.wanted[machines, extensions].tolist(),
               final.installed[machines, extensions].tolist(),
               final.provisioning[machines, extensions].tolist(), strict=True)
    for m, x, gi, want, installed, prov in rows:
        version = _version(final, x, want, installed)
        s = m * e + x
        key = (gi, x, version, prov, settings.get(s, "") if settings else "",
               s not in manual)
        parts = templates.get(key)
        if parts is None:
            obj = _extension(final, key)
            parts = templates[key] = json.dumps(obj, ensure_ascii=False).split(_MARK)
        yield machine_name(m + final.offset).join(parts)


def _version(final: Snapshot, x: int, want: int, installed: int) -> str:
    """The version Azure records: the one it wants, else the one installed, else ""."""
    code = want if want >= 0 else installed
    return final.ext_versions[x][code] if code >= 0 else ""


def _extension(final: Snapshot, key: tuple[Any, ...]) -> dict[str, Any]:
    gi, x, version, prov, settings, automatic = key
    group, ext = final.groups[gi], final.ext_ids[x]
    properties: dict[str, Any] = {
        "publisher": ext.publisher,
        "type": ext.type,
        "typeHandlerVersion": version,
        "enableAutomaticUpgrade": automatic,
    }
    if settings:
        properties["settings"] = _settings(settings)
    properties["provisioningState"] = Prov(prov).name.capitalize()
    return {
        "id": f"{machine_resource_id(group.name, _NAME)}/extensions/{ext.type}",
        "name": ext.type,
        "location": group.region,
        "type": EXTENSION_TYPE,
        "properties": properties,
    }


def _settings(text: str) -> Any:
    """Public settings as Azure returns them: the JSON object they hold, else the text."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, dict) else text


__all__ = [
    "EXTENSIONS_FILE",
    "FOLDER",
    "MACHINES_FILE",
    "agent_configuration",
    "extension_lines",
    "inventory_writer",
    "machine_lines",
    "machine_name",
    "machine_resource_id",
    "packed_lines",
    "unpacked_lines",
    "write_inventory",
]
