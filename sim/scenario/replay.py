"""Replaying an Azure activity log (``replay:`` timeline entries, ``arcsim run --replay``).

The log is the input, not the answer: each extension operation it records (R5, R29;
:mod:`sim.scenario.replay_log`) is sent again as a request, at its time shifted so that the
log's first day starts at the entry's ``at``, on the machine its resource id names, by its
caller (with the role ``roles:`` gives that caller, R27), and the scenario's lockdown decides
what happens. :func:`replay_plan` works the requests out; :class:`ReplayedRequests` (engine)
sends them.

* **Machines.** A resource id ``.../resourceGroups/RG/providers/Microsoft.HybridCompute/
  machines/M[/extensions/E]`` names the machine ``rg/m`` of an imported group's
  ``machine_names`` (pseudonymised names match the real ones they were made from), else
  ``machine-<id>`` in resource group ``<group>``, as ``arcsim activity-log`` names machines
  (the machine of that id when the log's ids all fall in the group, else the group's
  machines in the order of the log's ids: the log of this fleet at another ``--scale``).
  Operations on any other id are skipped and counted in a :class:`ReplayWarning`.
* **Extensions.** Publisher and type come from the request body when the log has it, else
  from the extension resource's name: ``extensions:`` of the entry, then the type of an
  extension the machine's group has installed, then arcsim's catalogue. An upgrade of a
  machine resource names its extensions only in its body (``extensionTargets``).
* **Install or update.** A write is an update when the extension was there and Succeeded
  (installed in the fleet at the start, or by an earlier operation of the log), else an install;
  a delete makes it absent, a failed operation Failed; one Azure refused (403) changes nothing.
* Versions and settings are not in the log: an install or upgrade asks for the newest version
  the run knows, without settings.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import numpy.typing as npt
from pydantic import BeforeValidator, Field

from sim.engine.replay import ReplayedRequests
from sim.errors import ArcsimWarning
from sim.files import os_reason
from sim.rules.catalogue import BUILTIN
from sim.scenario.action import Action, Build, EntryBase
from sim.scenario.activity_reader import ActivityLogError
from sim.scenario.inventory.anonymise import pseudonym
from sim.scenario.replay_log import Operations, read_operations
from sim.scenario.source import FieldPath
from sim.scenario.units import format_duration
from sim.scenario.values import ExtensionName, Model, Role

_RESOURCE = re.compile(r"^/subscriptions/[^/]+/resourcegroups/([^/]+)/providers/"
                       r"microsoft\.hybridcompute/machines/([^/]+)(?:/extensions/([^/]+))?/?$",
                       re.IGNORECASE)
_ARCSIM_MACHINE = re.compile(r"machine-(\d+)")
_INSTALL, _UPDATE, _UPGRADE, _DELETE = range(4)  # ReplayedRequests.operation codes
_ABSENT, _SUCCEEDED, _FAILED = range(3)
EXAMPLES = 3


class ReplayWarning(ArcsimWarning):
    """Operations of a replayed log that were not sent (the message says which and why)."""


class ReplayModel(Model):
    """An activity log to replay, and how to read its callers and extensions."""

    file: str = Field(description="the log, relative to the scenario file: az monitor "
                                  "activity-log list JSON, or the portal's or arcsim's CSV")
    roles: dict[str, Role] = Field(
        default_factory=dict, description="caller (or a pattern with * and ?) -> the Azure "
                                          "role its requests are checked with (R27)")
    extensions: dict[str, ExtensionName] = Field(
        default_factory=dict, description="extension resource name -> Publisher/Type, for "
                                          "names arcsim cannot tell")
    anonymise: bool = Field(False, description="pseudonymise the callers in the records")


def _file_only(value: Any) -> Any:
    return {"file": value} if isinstance(value, str) else value


ReplayValue = Annotated[ReplayModel, BeforeValidator(_file_only)]


@dataclass(frozen=True)
class ReplayPlan:
    """The requests of a replay (sorted by time, machine, log order) and what was left out."""

    requests: ReplayedRequests
    unmapped: tuple[int, tuple[str, ...]]
    """Operations on resource ids that name no machine of the fleet, and examples."""
    unnamed: tuple[int, tuple[str, ...]]
    """Operations on extensions that cannot be named, and examples."""
    after_end: int
    other: int
    """Events of other operations."""

    def notice(self, file: str, duration: float) -> str | None:
        """What was not sent, as one sentence per reason (None when everything was)."""
        parts = []
        if self.unmapped[0]:
            parts.append(f"{self.unmapped[0]:,} operations on resource ids that name no "
                         f"machine of the fleet were skipped (e.g. "
                         f"{', '.join(self.unmapped[1])})")
        if self.unnamed[0]:
            parts.append(f"{self.unnamed[0]:,} operations on extensions it cannot name were "
                         f"skipped (e.g. {', '.join(self.unnamed[1])}; name them in "
                         "extensions:)")
        if self.after_end:
            parts.append(f"{self.after_end:,} operations after the run's end "
                         f"({format_duration(duration)}) were not sent")
        if self.other:
            parts.append(f"{self.other:,} events of other operations were left out")
        return f"replay {file}: " + "; ".join(parts) if parts else None


# --- the plan ---------------------------------------------------------------------------------


def replay_plan(entry: EntryBase, build: Build) -> ReplayPlan:
    """The requests of a ``replay:`` entry in ``build``'s scenario (cached per file version,
    fleet and entry).

    Raises:
        ActivityLogError: the log cannot be read (located in it).
    """
    if build.scenario is None:
        raise ActivityLogError("a replay needs its scenario's fleet")
    value: ReplayModel = entry.value
    path = build.path(value.file)
    try:
        stat = path.stat()
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        raise ActivityLogError(f"{path}: cannot read: {os_reason(exc)}") from None
    fleet = tuple((g.group, g.count, g.machine_names, tuple(e.name for e in g.extensions))
                  for g in build.scenario.fleet)
    return _plan(str(path), stat.st_mtime_ns, stat.st_size, value.model_dump_json(),
                 entry.at, build.duration, fleet)


@functools.lru_cache(maxsize=4)
def _operations(path: str, _mtime: int, _size: int) -> Operations:
    return read_operations(Path(path))


@functools.lru_cache(maxsize=4)
def _plan(path: str, mtime: int, size: int, options: str, at: float, duration: float,
          fleet: tuple[tuple[Any, ...], ...]) -> ReplayPlan:
    value = ReplayModel.model_validate_json(options)
    ops = _operations(path, mtime, size)
    seconds = (ops.time_ns - ops.first_day_ns) / 1e9 + at
    machines, unmapped = _machines(ops.resource, fleet)
    names, extension, unnamed = _extensions(ops, machines, fleet, value.extensions)
    keep = (machines >= 0) & (extension >= 0) & (seconds < duration)
    after_end = int(((machines >= 0) & (extension >= 0) & (seconds >= duration)).sum())
    operation = _classified(ops, machines, extension, fleet, names)
    callers, caller = np.unique(np.asarray(ops.caller, dtype=object), return_inverse=True)
    shown = [_caller(str(c), value.anonymise) for c in callers]
    order = np.lexsort((np.arange(len(seconds))[keep], machines[keep], seconds[keep]))
    rows = np.flatnonzero(keep)[order]
    requests = ReplayedRequests(
        f"replay {value.file}", seconds[rows], machines[rows],
        extension[rows].astype(np.int32), operation[rows], caller[rows].astype(np.int32),
        tuple(names), tuple(shown), _roles(callers, shown, value.roles))
    return ReplayPlan(requests, unmapped, unnamed, after_end, ops.other)


def _caller(name: str, anonymise: bool) -> str:
    name = name or "(unknown caller)"
    if not anonymise or name.lower() == "azure regional service manager":
        return name
    return pseudonym("caller", name)


def _roles(callers: npt.NDArray[Any], shown: Sequence[str],
           roles: dict[str, str]) -> dict[str, str]:
    """Caller (as the records name it) -> role, for the callers ``roles`` names (exactly,
    else by the first matching pattern; letter case is ignored)."""
    out = {}
    lowered = {k.lower(): v for k, v in roles.items()}
    for real, name in zip(callers.tolist(), shown, strict=True):
        key = str(real).lower()
        role = lowered.get(key) or next(
            (v for k, v in lowered.items() if fnmatch.fnmatchcase(key, k)), None)
        if role is not None:
            out[name] = role
    return out


def _machines(resources: Sequence[str], fleet: tuple[tuple[Any, ...], ...]
              ) -> tuple[npt.NDArray[np.int64], tuple[int, tuple[str, ...]]]:
    """Each operation's global machine id (-1: none), and (operations skipped, examples)."""
    named: dict[str, int] = {}
    groups: dict[str, tuple[int, int]] = {}
    first = 0
    for group, count, machine_names, _ in fleet:
        groups[group.lower()] = (first, first + count)
        for k, name in enumerate(machine_names[:count]):
            named.setdefault(name, first + k)
        first += count
    parsed = {r: _RESOURCE.match(r.strip()) for r in dict.fromkeys(resources)}
    numbered = _numbered(parsed, groups)
    found = {r: _machine(m, named, numbered) for r, m in parsed.items()}
    out = np.fromiter((found[r] for r in resources), dtype=np.int64, count=len(resources))
    missing = dict.fromkeys(_short(r) for r, m in found.items() if m < 0)
    return out, (int((out < 0).sum()), tuple(list(missing)[:EXAMPLES]))


def _numbered(parsed: dict[str, re.Match[str] | None], groups: dict[str, tuple[int, int]]
              ) -> dict[tuple[str, int], int]:
    """``(group, n)`` -> machine for the ``machine-<n>`` names of each resource group named
    after a fleet group: ``n`` itself when every such name of that group in the log is one of
    the group's ids (a log of this fleet), else the group's ``(n - smallest n)``-th machine
    (a log of a fleet of other sizes, such as this one at another ``--scale``)."""
    numbers: dict[str, set[int]] = {}
    for match in parsed.values():
        number = _ARCSIM_MACHINE.fullmatch(match.group(2).lower()) if match else None
        if match is not None and number is not None and match.group(1).lower() in groups:
            numbers.setdefault(match.group(1).lower(), set()).add(int(number.group(1)))
    out: dict[tuple[str, int], int] = {}
    for group, seen in numbers.items():
        lo, hi = groups[group]
        exact = all(lo <= n < hi for n in seen)
        least = min(seen)
        for n in seen:
            machine = n if exact else lo + n - least
            if machine < hi:
                out[(group, n)] = machine
    return out


def _machine(match: re.Match[str] | None, named: dict[str, int],
             numbered: dict[tuple[str, int], int]) -> int:
    if match is None:
        return -1
    group, name = match.group(1).lower(), match.group(2).lower()
    if named:
        for key in (f"{group}/{name}", f"{pseudonym('rg', group)}/{pseudonym('m', name)}"):
            if key in named:
                return named[key]
    number = _ARCSIM_MACHINE.fullmatch(name)
    return numbered.get((group, int(number.group(1))), -1) if number else -1


def _short(resource: str) -> str:
    match = _RESOURCE.match(resource.strip())
    return f"{match.group(1)}/{match.group(2)}" if match else resource[:80]


# --- extensions and operations ------------------------------------------------------------------


def _extensions(ops: Operations, machines: npt.NDArray[np.int64],
                fleet: tuple[tuple[Any, ...], ...], mapping: dict[str, str]
                ) -> tuple[list[str], npt.NDArray[np.int64], tuple[int, tuple[str, ...]]]:
    """The extension names the requests use, each operation's index into them (-1: cannot
    be named), and (operations skipped, examples of names)."""
    by_group = _installed_by_type(fleet)
    given = {k.lower(): v for k, v in mapping.items()}
    catalogue = {e.id.type.lower(): e.id.name for e in BUILTIN}
    groups = np.searchsorted(_group_starts(fleet), machines, side="right") - 1
    names: dict[str, int] = {}
    known: dict[tuple[str, str, int], int] = {}
    unknown: dict[str, None] = {}
    out = np.full(len(ops.resource), -1, dtype=np.int64)
    for i in np.flatnonzero(machines >= 0).tolist():
        key = (ops.resource[i], ops.body[i], int(groups[i]))
        code = known.get(key)
        if code is None:
            code = known[key] = _extension(key, by_group, given, catalogue, names, unknown)
        out[i] = code
    examples = tuple(list(unknown)[:EXAMPLES])
    return list(names), out, (int(((out < 0) & (machines >= 0)).sum()), examples)


def _extension(key: tuple[str, str, int], by_group: list[dict[str, str]],
               given: dict[str, str], catalogue: dict[str, str], names: dict[str, int],
               unknown: dict[str, None]) -> int:
    """The index (into ``names``, which grows) of the extension a resource names, or -1."""
    resource, body, group = key
    match = _RESOURCE.match(resource.strip())
    resource_name = (match.group(3) or "") if match else ""
    lowered = resource_name.lower()
    name = (_from_body(body) or given.get(lowered) or by_group[group].get(lowered)
            or catalogue.get(lowered))
    if name is None:
        unknown.setdefault(resource_name or "(a machine, no extension named)")
        return -1
    return names.setdefault(name, len(names))


def _installed_by_type(fleet: tuple[tuple[Any, ...], ...]) -> list[dict[str, str]]:
    return [{n.split("/", 1)[1].lower(): n for n in extensions}
            for _, _, _, extensions in fleet]


def _group_starts(fleet: tuple[tuple[Any, ...], ...]) -> npt.NDArray[np.int64]:
    counts = [count for _, count, _, _ in fleet]
    return np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)


def _from_body(body: str) -> str | None:
    """``Publisher/Type`` from a request body's ``properties`` (an extension write)."""
    if not body:
        return None
    try:
        data = json.loads(body)
    except (ValueError, TypeError):
        return None
    props = data.get("properties") if isinstance(data, dict) else None
    if isinstance(props, dict) and isinstance(props.get("publisher"), str) \
            and isinstance(props.get("type"), str):
        return f"{props['publisher']}/{props['type']}"
    return None


def _classified(ops: Operations, machines: npt.NDArray[np.int64],
                extension: npt.NDArray[np.int64], fleet: tuple[tuple[Any, ...], ...],
                names: list[str]) -> npt.NDArray[np.int8]:
    """Each operation's request code: a write is an update when the extension was there and
    Succeeded, else an install (see the module docstring)."""
    groups = np.searchsorted(_group_starts(fleet), machines, side="right") - 1
    installed = [{n.lower() for n in extensions} for _, _, _, extensions in fleet]
    lowered = [n.lower() for n in names]
    state: dict[tuple[int, int], int] = {}
    out = np.full(len(ops.kind), _INSTALL, dtype=np.int8)
    rows = np.flatnonzero((machines >= 0) & (extension >= 0))
    for i, m, x, g, kind, failed, forbidden in zip(
            rows.tolist(), machines[rows].tolist(), extension[rows].tolist(),
            groups[rows].tolist(), ops.kind[rows].tolist(), ops.failed[rows].tolist(),
            ops.forbidden[rows].tolist(), strict=True):
        now = state.get((m, x))
        if now is None:
            now = _SUCCEEDED if lowered[x] in installed[g] else _ABSENT
        code = ((_UPDATE if now == _SUCCEEDED else _INSTALL) if kind == 0
                else _DELETE if kind == 1 else _UPGRADE)
        out[i] = code
        if not forbidden:
            state[(m, x)] = (_FAILED if failed else _ABSENT if code == _DELETE
                             else _SUCCEEDED)
    return out


# --- the registry row -----------------------------------------------------------------------


def _build(entry: EntryBase, build: Build, _actor: str) -> list[Any]:
    return [replay_plan(entry, build).requests]


def _problems(entry: EntryBase, build: Build) -> Iterable[tuple[FieldPath, str]]:
    try:
        plan = replay_plan(entry, build)
    except ActivityLogError as exc:
        return [(("replay",), str(exc))]
    notice = plan.notice(entry.value.file, build.duration)
    if notice is not None:
        warnings.warn(notice, ReplayWarning, stacklevel=2)
    return []


def _callers(entry: EntryBase, build: Build) -> list[str]:
    try:
        return list(replay_plan(entry, build).requests.callers)
    except ActivityLogError:
        return []


def _extension_names(entry: EntryBase, build: Build) -> list[str]:
    try:
        return list(replay_plan(entry, build).requests.extensions)
    except ActivityLogError:
        return []


REPLAY = Action("replay", ReplayValue, frozenset({"name", "at"}), "replay", _build,
                "an Azure activity log (a file, or {file, roles, extensions, anonymise}) "
                "whose extension operations are sent again (R5, R29)",
                actors=_callers, problems=_problems, extensions=_extension_names)
"""The registry row of ``replay:``."""

__all__ = ["REPLAY", "ReplayModel", "ReplayPlan", "ReplayWarning", "replay_plan"]
