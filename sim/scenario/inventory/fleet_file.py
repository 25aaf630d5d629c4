"""The editable fleet file: a fleet written as the scenario format's ``fleet:`` list."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Protocol

import yaml

from sim.engine.fleet import FleetSpec, GroupSpec, InstalledExtension, Outage
from sim.engine.params import DAY
from sim.files import FileError, write_file
from sim.scenario.inventory.located import InventoryError
from sim.scenario.units import format_duration


class _Writable(Protocol):
    def write(self, text: str, /) -> object: ...


def fleet_to_data(fleet: FleetSpec) -> dict[str, Any]:
    """The scenario format's ``fleet:`` list as plain data (what :func:`write_fleet_yaml`
    writes): versions as strings, durations as texts (``"1d"``)."""
    return {"fleet": [_group_data(group) for group in fleet.groups]}


def _group_data(group: GroupSpec) -> dict[str, Any]:
    data: dict[str, Any] = {"group": group.name, "count": group.count, "os": group.os}
    if len(group.agent_versions) == 1:
        data["agent_version"] = next(iter(group.agent_versions))
    else:
        data["agent_versions"] = {v: float(s) for v, s in group.agent_versions.items()}
    data.update(
        region=group.region, path=group.path,
        extensions=[_extension_data(e) for e in group.extensions], tags=dict(group.tags),
        sql_server=group.sql_server, commands=list(group.commands),
        outages=[_outage_data(o) for o in group.outages])
    return data


def _extension_data(ext: InstalledExtension) -> str | dict[str, Any]:
    failed = ext.state.lower() == "failed"
    if ext.version == "1.0" and not ext.settings and not failed and ext.auto_upgrade:
        return ext.name
    data: dict[str, Any] = {"name": ext.name, "version": ext.version}
    if ext.settings:
        data["settings"] = ext.settings
    if failed:
        data["state"] = "Failed"
    if not ext.auto_upgrade:
        data["auto_upgrade"] = False
    return data


def _outage_data(outage: Outage) -> dict[str, Any]:
    data: dict[str, Any] = {"at": _duration(outage.start_s),
                            "duration": _duration(outage.duration_s), "share": float(outage.share)}
    if outage.offline_before_s:
        data["offline_before"] = _duration(outage.offline_before_s)
    return data


def _duration(seconds: float) -> str:
    """``"1d"``, ``"365d"``, ``"2h"``, ``"0s"``: one unit when it divides evenly."""
    for unit, factor in (("d", DAY), ("h", 3600.0), ("m", 60.0), ("s", 1.0)):
        if seconds % factor == 0 and (seconds or unit == "s"):
            return f"{int(seconds // factor)}{unit}"
    return format_duration(seconds)


_SafeDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
"""libyaml's emitter when PyYAML has it: a 100 000-machine fleet file in a fraction of the time."""


class _FleetDumper(_SafeDumper):  # type: ignore[valid-type,misc]
    """Double-quotes strings that YAML would otherwise read as numbers (``"1.58"``)."""


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    implicit = dumper.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    style = '"' if implicit != "tag:yaml.org,2002:str" else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_FleetDumper.add_representer(str, _represent_text)


def write_fleet_yaml(fleet: FleetSpec, target: str | os.PathLike[str] | _Writable, *,
                     header: str = "") -> None:
    """Write ``fleet`` as an editable YAML ``fleet:`` list to a path (atomically: a temporary
    sibling renamed) or a text stream.

    ``header`` lines become comments at the top. :func:`yaml.safe_load` of the text gives
    :func:`fleet_to_data`\\ ``(fleet)``.
    """
    comments = header or "Fleet imported by arcsim from an inventory export; edit freely."
    text = "".join(f"# {line}\n" for line in comments.splitlines())
    text += yaml.dump(fleet_to_data(fleet), Dumper=_FleetDumper, sort_keys=False,
                      allow_unicode=True, width=10_000, default_flow_style=False)
    if isinstance(target, str | os.PathLike):
        _write_atomically(Path(target), text)
    else:
        target.write(text)


def _write_atomically(path: Path, text: str) -> None:
    """Write ``text`` with :func:`sim.files.write_file`: a failed write leaves no partial
    file and no temporary.

    Raises:
        InventoryError: the file cannot be written (the message names it and says why).
    """
    try:
        write_file(path, text)
    except FileError as exc:
        raise InventoryError(f"cannot write: {exc.reason}", file=str(path)) from None
