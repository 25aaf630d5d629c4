"""A scenario's fleet imported from files: ``fleet: {from: ...}`` (issue 8).

Instead of a list of groups, a scenario's ``fleet:`` may name inventory exports (any mix of the
formats :mod:`sim.scenario.inventory` reads) or one fleet file written by ``arcsim import``,
relative to the scenario file, with changes to the imported groups::

    fleet:
      from: [inventory/machines.json, inventory/extensions.json]
      group_by: [resource_group]
      scale: 0.1                       # every group's count, rounded, at least 1
      groups:                          # by group name; * and ? are wildcards
        rg-web-*: {commands: ['azcmagent config set guestconfiguration.enabled false']}
        rg-db-windows-1: {count: 5, path: proxy}

The machines' local configuration as Azure reports it (allowlists, blocklists, modes) becomes
each group's initial ``commands`` (R8), so a scenario starts from the fleet as it is. The import
happens while the scenario file is loaded, before it is validated
(:func:`imported_groups`, called by :mod:`sim.scenario.loading`): validation and every later
check see plain groups, and the resolved scenario holds them. What
the import could not take as it is (a machine left out, a configuration its agent cannot hold)
is an :class:`ImportedFleetWarning` per problem, as ``arcsim import`` lists them (``arcsim run``
prints them as notices).
"""

from __future__ import annotations

import fnmatch
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, TypeAdapter, ValidationError
from pydantic import model_validator as _model_validator

from sim.errors import ArcsimError, ArcsimWarning
from sim.scenario.fleet_model import Group
from sim.scenario.inventory.anonymise import anonymised
from sim.scenario.inventory.assembly import Inventory, load_inventory
from sim.scenario.inventory.fleet_file import fleet_to_data
from sim.scenario.inventory.grouping import convert_inventory
from sim.scenario.inventory.located import InventoryError
from sim.scenario.source import (
    FieldPath,
    ScenarioError,
    format_path,
    load_yaml_file,
    validate_document,
)
from sim.scenario.units import Version, show_value
from sim.scenario.values import Count, Label, Model, SchemaValueError, scaled_count

FLEET_FILE_SUFFIXES = (".yaml", ".yml")
"""A ``from`` file with one of these suffixes is a fleet file, not an inventory export."""
_EXPORT_ONLY = ("group_by", "anonymise", "unknown_agent_version")


class GroupOverride(Model):
    """Changes to the imported groups whose name matches a pattern (``*``, ``?`` wildcards),
    applied in the order written."""

    count: Count | None = Field(None, description="replace the imported machine count")
    scale: float | None = Field(None, gt=0.0,
                                description="multiply the count (rounded, at least 1)")
    commands: tuple[str, ...] = Field(
        (), description="azcmagent lines run after the imported configuration's")
    path: Label | None = Field(None, description="download path of the group's machines")
    tags: dict[str, str] = Field(default_factory=dict, description="tags added or replaced")

    @_model_validator(mode="after")
    def _count_or_scale(self) -> GroupOverride:
        if self.count is not None and self.scale is not None:
            raise SchemaValueError("give count or scale, not both")
        return self


class FleetFrom(Model):
    """A fleet imported from inventory exports or a fleet file (see the module docstring)."""

    from_: str | tuple[str, ...] = Field(
        alias="from", description="inventory exports (JSON or Resource Graph CSV, any mix), or "
                                  "one fleet YAML file written by arcsim import; relative to "
                                  "the scenario file")
    group_by: tuple[Literal["resource_group", "subscription", "location"], ...] = Field(
        ("resource_group",), description="exports: what machines are grouped by, besides "
                                         "OS, agent version, configuration, extensions ...")
    anonymise: bool = Field(False, description="exports: pseudonymise machine, resource group "
                                               "and subscription names")
    unknown_agent_version: Version = Field(
        "1.58", description="exports: the agent version of machines that report none")
    path: Label | None = Field(None, description="download path of every group (default: "
                                                 "direct, or as the fleet file says)")
    scale: float = Field(1.0, gt=0.0, description="multiply every group's count (rounded, "
                                                  "at least 1; --scale multiplies this)")
    groups: dict[str, GroupOverride] = Field(
        default_factory=dict, description="group name pattern -> changes to those groups")

    @_model_validator(mode="after")
    def _files(self) -> FleetFrom:
        files = self.files
        if not files:
            raise SchemaValueError("from: name at least one file")
        if self.is_fleet_file:
            if len(files) > 1:
                raise SchemaValueError("from: a fleet file (.yaml) is read alone, without "
                                       "other files")
            given = [k for k in _EXPORT_ONLY if k in self.model_fields_set]
            if given:
                raise SchemaValueError(f"{given[0]}: applies to inventory exports, not to a "
                                       "fleet file")
        return self

    @property
    def files(self) -> tuple[str, ...]:
        """The ``from`` file names, as written."""
        return (self.from_,) if isinstance(self.from_, str) else self.from_

    @property
    def is_fleet_file(self) -> bool:
        """True when ``from`` names a fleet YAML file rather than exports."""
        return any(Path(f).suffix.lower() in FLEET_FILE_SUFFIXES for f in self.files)


class FleetFromError(ArcsimError):
    """An imported fleet that cannot be used: ``where`` is the path under ``fleet`` (``from``,
    ``from[1]``, ``groups["rg-*"]``), the message says what is wrong."""

    def __init__(self, where: FieldPath, message: str) -> None:
        super().__init__(message)
        self.where = where


def imported_groups(spec: FleetFrom, base: Path) -> list[dict[str, Any]]:
    """The groups (plain data, as a scenario's ``fleet:`` list) of ``fleet: {from: ...}``
    (validated: ``spec``). Files are relative to ``base``. An
    imported group lists its machines as ``resource-group/name`` in ``machine_names`` (lower
    case; pseudonyms with ``anonymise``), in id order: what a replayed activity log's
    resource ids are matched with.

    Raises:
        FleetFromError: located at ``from`` (an export or fleet file that cannot be used, an
            imported group the schema rejects) or ``groups.<pattern>`` (matching no group).
    """
    try:
        data = _fleet_file(spec, base) if spec.is_fleet_file else _exports(spec, base)
    except (InventoryError, ScenarioError) as exc:
        raise FleetFromError(_where(spec, exc), str(exc)) from None
    for pattern, change in spec.groups.items():
        matched = [g for g in data if fnmatch.fnmatchcase(g["group"], pattern)]
        if not matched:
            names = ", ".join(g["group"] for g in data[:8]) + (", ..." if len(data) > 8 else "")
            raise FleetFromError(("groups", pattern),
                                 f'"{pattern}" matches no imported group; imported: {names}')
        try:
            for group in matched:
                _override(group, change)
        except SchemaValueError as exc:
            raise FleetFromError(("groups", pattern, "scale"), str(exc)) from None
    try:
        for group in data:
            group["count"] = scaled_count(group["count"], spec.scale)
    except SchemaValueError as exc:
        raise FleetFromError(("scale",), str(exc)) from None
    _check_groups(data)
    return data


class ImportedFleetWarning(ArcsimWarning):
    """Something of an inventory export a scenario's ``fleet: {from:}`` could not take as it
    is (the message says what, and what the simulation does instead)."""


def _exports(spec: FleetFrom, base: Path) -> list[dict[str, Any]]:
    inventory = load_inventory(*(base / f for f in spec.files))
    if spec.anonymise:  # before anything is said about it: the warnings name machines
        inventory = anonymised(inventory)
    result = convert_inventory(inventory, group_by=spec.group_by,
                               unknown_agent_version=spec.unknown_agent_version,
                               path=spec.path or "direct")
    for note in (*map(str, inventory.warnings), *result.warnings):
        warnings.warn(f"fleet.from {', '.join(spec.files)}: {note}", ImportedFleetWarning,
                      stacklevel=2)
    groups: list[dict[str, Any]] = fleet_to_data(result.fleet)["fleet"]
    members = _members(inventory, result.members)
    for group in groups:
        group["machine_names"] = members[group["group"]]
    return groups


def _members(inventory: Inventory, names: Mapping[str, tuple[str, ...]]
             ) -> dict[str, list[str]]:
    """Each group's machines as ``resource-group/name`` (lower case), in the group's order:
    machines of the same name (in other resource groups) are taken in export order."""
    where: dict[str, list[str]] = {}
    for machine in inventory.machines:
        where.setdefault(machine.name, []).append(
            f"{machine.resource_group}/{machine.name}".lower())
    return {group: [where[name].pop(0) for name in members]
            for group, members in names.items()}


def _fleet_file(spec: FleetFrom, base: Path) -> list[dict[str, Any]]:
    """The groups of a fleet file, checked (errors located in that file)."""
    class FleetFile(Model):
        fleet: tuple[Group, ...]

    doc = load_yaml_file(base / spec.files[0])
    checked = validate_document(doc, FleetFile)  # the checked values: count "5" is 5
    groups = [g.model_dump(exclude_unset=True) for g in checked.fleet]
    if spec.path is not None:
        for group in groups:
            group["path"] = spec.path
    return groups


def _override(group: dict[str, Any], change: GroupOverride) -> None:
    if change.count is not None:
        group["count"] = change.count
    if change.scale is not None:
        group["count"] = scaled_count(group["count"], change.scale)
    if change.commands:
        group["commands"] = [*group.get("commands", ()), *change.commands]
    if change.path is not None:
        group["path"] = change.path
    if change.tags:
        group["tags"] = {**group.get("tags", {}), **change.tags}


def _check_groups(data: list[dict[str, Any]]) -> None:
    """Check the imported groups as the schema's groups; an imported group it rejects (a
    version the import took as written ...) is an error at ``from`` naming the group."""
    try:
        TypeAdapter(tuple[Group, ...]).validate_python(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        index, *rest = first["loc"]
        group = data[index]["group"] if isinstance(index, int) else "?"
        text = first["msg"][:1].lower() + first["msg"][1:]
        message = text if "got " in text else f"{text} (got {show_value(first['input'])})"
        raise FleetFromError(("from",), f"imported group {group}: {format_path(rest)}: "
                             f"{message}; change it in a fleet file") from None


def _where(spec: FleetFrom, exc: ArcsimError) -> FieldPath:
    """``("from",)``, or ``("from", i)`` when ``from`` is a list and the error names its file."""
    if isinstance(spec.from_, str):
        return ("from",)
    file = getattr(exc, "file", "") or next(
        (p.file for p in getattr(exc, "problems", ()) if p.file), "")
    for i, name in enumerate(spec.files):
        if file and Path(file).as_posix().endswith(Path(name).as_posix()):
            return ("from", i)
    return ("from",)
