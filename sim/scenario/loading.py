"""Load a scenario: YAML -> ``--set`` overrides -> ``--scale`` -> imported fleet -> schema ->
whole-file checks.

Overrides are applied to the loaded document *before* validation, so an overridden value is
checked like one written in the file; a problem with it names the ``--set`` argument instead
of a line::

    --set fleet[0].count=lots: fleet[0].count: input should be a valid integer (got "lots")

A key is a dotted path with list indices, as errors print it: ``duration``, ``seed``,
``params.check_period``, ``fleet[0].count``, ``expect["blocked.install.not_on_allowlist"]``. An
item of a list may also be named instead of numbered: ``timeline[cleanup].at`` is the timeline
entry whose ``name`` is ``cleanup``, ``fleet[web-win].count`` the group ``web-win``,
``policies[deny-scripts].scope`` the policy ``deny-scripts``.
The value is read as YAML, as a scenario file is read (``50`` is a number, ``10m`` a text,
``'"1.40"'`` a quoted version; the same limits and errors); a value that is not YAML
(``>= 1``) is taken as the text it is.
"""

from __future__ import annotations

import copy
import math
import os
import re
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sim.scenario.checks import check_scenario
from sim.scenario.extension_names import ExtensionNameWarning, typos
from sim.scenario.inventory.scenario_fleet import FleetFrom, FleetFromError, imported_groups
from sim.scenario.limits import LIMITS
from sim.scenario.schema import Scenario, TimelineEntry
from sim.scenario.source import (
    FieldPath,
    LocatedDocument,
    Problem,
    ScenarioError,
    YAMLSyntaxError,
    fields_at,
    format_path,
    load_yaml_file,
    load_yaml_text,
    load_yaml_value,
    validate_document,
)
from sim.scenario.timeline import entry_problems
from sim.scenario.units import is_duration
from sim.scenario.values import Model, SchemaValueError, scaled_count

_TOKEN = re.compile(r'\.?([A-Za-z_][A-Za-z0-9_-]*)|\[(\d{1,9})\]|\["([^"]*)"\]|\[\'([^\']*)\'\]'
                    r"|\[([A-Za-z0-9][A-Za-z0-9_.-]*)\]", re.ASCII)


def load_scenario(path: str | os.PathLike[str], *, overrides: Sequence[str] = (),
                  scale: float | None = None,
                  replay: str | os.PathLike[str] | None = None) -> Scenario:
    """The validated scenario in the YAML file at ``path`` (with ``replay``: also replaying
    that activity log, as ``arcsim run --replay``).

    Raises:
        ScenarioError: every problem, located (file and line, or the ``--set`` argument).
    """
    return scenario_from_document(load_yaml_file(path), overrides=overrides, scale=scale,
                                  replay=replay)


def scenario_from_text(text: str, filename: str = "<string>", *,
                       overrides: Sequence[str] = (), scale: float | None = None) -> Scenario:
    """The validated scenario in YAML ``text`` (``filename`` labels errors)."""
    return scenario_from_document(load_yaml_text(text, filename), overrides=overrides,
                                  scale=scale)


def scenario_from_document(doc: LocatedDocument, *, overrides: Sequence[str] = (),
                           scale: float | None = None,
                           replay: str | os.PathLike[str] | None = None) -> Scenario:
    """Apply ``overrides`` and ``scale`` to ``doc`` (and add a timeline entry replaying the
    activity log ``replay``), then validate and check it. Files it names (``fleet.from``,
    policy ``definition``, ``replay``) are relative to ``doc``'s file."""
    doc, origins = apply_overrides(doc, overrides)
    doc = apply_replay(doc, origins, replay)
    doc = apply_scale(doc, scale)
    where = _Where(doc, origins)
    early = _timeline_problems(doc, where)
    flagged = {p.path[:2] for p in early}
    base = Path(doc.filename).parent
    doc = _with_imported_fleet(doc, base, where, early)
    try:
        scenario = validate_document(doc, Scenario)
    except ScenarioError as exc:
        rest = [where.relocate(p) for p in exc.problems if p.path[:2] not in flagged
                or len(p.path) > 2]
        raise ScenarioError(sorted([*early, *rest], key=lambda p: p.line or 0),
                            exc.omitted) from None
    if early:
        raise ScenarioError(early)
    check_scenario(scenario, where.problem, base)
    for path, message in typos(scenario):  # likely typos: warned, never refused
        warnings.warn(ExtensionNameWarning(str(where.problem(path, message))), stacklevel=2)
    return scenario


class _FleetFromOnly(Model):
    fleet: FleetFrom


def _with_imported_fleet(doc: LocatedDocument, base: Path, where: _Where,
                         early: list[Problem]) -> LocatedDocument:
    """``doc`` with ``fleet: {from: ...}`` replaced by the imported groups (files relative to
    ``base``).

    Raises:
        ScenarioError: the ``fleet`` mapping or an import problem, located (with ``early``).
    """
    fleet = doc.data.get("fleet")
    if not isinstance(fleet, dict):
        return doc
    try:
        spec = validate_document(LocatedDocument({"fleet": fleet}, doc.filename,
                                                 doc.positions), _FleetFromOnly).fleet
        groups = imported_groups(spec, base)
    except ScenarioError as exc:
        problems = [where.relocate(p) for p in exc.problems]
        raise ScenarioError(sorted([*early, *problems], key=lambda p: p.line or 0)) from None
    except FleetFromError as exc:
        problem = where.problem(("fleet", *exc.where), str(exc))
        raise ScenarioError(sorted([*early, problem], key=lambda p: p.line or 0)) from None
    return LocatedDocument({**doc.data, "fleet": groups}, doc.filename, doc.positions)


class _Where:
    """Locates problems: at a line of the file, or at the ``--set`` argument that set it."""

    def __init__(self, doc: LocatedDocument, origins: Mapping[FieldPath, str]) -> None:
        self.doc, self.origins = doc, origins

    def problem(self, path: FieldPath, message: str) -> Problem:
        return self.relocate(self.doc.problem(path, message))

    def relocate(self, problem: Problem) -> Problem:
        """``problem`` at the ``--set`` (or ``--replay``) that set its field (or all of its
        overridden fields, when the file does not have it); at its line, naming them, when the
        file has it."""
        path = problem.path
        for origin, argument in self.origins.items():
            if path[:len(origin)] == origin:
                return Problem(argument, None, path, problem.message)
        inside = [a for origin, a in self.origins.items() if origin[:len(path)] == path]
        if not inside:
            return problem
        if path not in self.doc.positions:
            where = ", ".join(inside)
            return Problem(where, None, path, problem.message)
        setting = ", ".join(inside)
        return Problem(problem.file, problem.line, path, f"{problem.message} (after {setting})")


def _timeline_problems(doc: LocatedDocument, where: _Where) -> list[Problem]:
    """Action and modifier keys that do not fit, each at its own key."""
    timeline = doc.data.get("timeline")
    problems = []
    for i, entry in enumerate(timeline if isinstance(timeline, list) else []):
        if isinstance(entry, dict):
            for key, message in entry_problems(TimelineEntry.given_in(entry)):
                path: FieldPath = ("timeline", i) if key is None else ("timeline", i, key)
                problems.append(where.problem(path, message))
    return problems


# --- --set ----------------------------------------------------------------------------------


def _set_error(argument: str, message: str) -> ScenarioError:
    return ScenarioError([Problem(f"--set {argument}", None, (), message)])


def parse_key(key: str, argument: str) -> FieldPath:
    """``fleet[0].count`` -> ``("fleet", 0, "count")``.

    Raises:
        ScenarioError: naming ``argument`` when the key is not such a path.
    """
    path: list[str | int] = []
    position = 0
    while position < len(key):
        match = _TOKEN.match(key, position)
        if match is None or (position == 0 and key.startswith(".")):
            raise _set_error(argument, f'cannot read the key at "{key[position:]}": expected '
                             'a path like params.check_period or fleet[0].count')
        name, index, double, single, bare = match.groups()
        path.append(int(index) if index is not None else ItemName(bare) if bare is not None
                    else next(t for t in (name, double, single) if t is not None))
        position = match.end()
    if not path:
        raise _set_error(argument, "expected KEY=VALUE, e.g. fleet[0].count=50")
    if len(path) > LIMITS.max_depth:
        raise _set_error(argument, f"a key of more than {LIMITS.max_depth} parts")
    return tuple(path)


def is_duration_key(key: str) -> bool:
    """Whether ``--set KEY`` (``params.check_period``, ``timeline[cleanup].at``) names a
    duration: seconds in the resolved scenario, shown to people in human units."""
    try:
        path = parse_key(key, key)
    except ScenarioError:
        return False
    found = fields_at(Scenario, path)
    return bool(found) and all(is_duration(a, meta) for a, meta in found)


def apply_overrides(doc: LocatedDocument, overrides: Sequence[str]
                    ) -> tuple[LocatedDocument, dict[FieldPath, str]]:
    """``doc`` with each ``KEY=VALUE`` applied in order, and which argument set which path."""
    if not overrides:
        return doc, {}
    data = copy.deepcopy(doc.data)
    origins: dict[FieldPath, str] = {}
    for argument in overrides:
        key, sep, text = argument.partition("=")
        if not sep or not key.strip():
            raise _set_error(argument, "expected KEY=VALUE, e.g. fleet[0].count=50")
        path = resolve_names(data, parse_key(key.strip(), argument), argument)
        _assign(data, path, _read_value(text, argument, path), argument)
        origins[path] = f"--set {argument}"
    return LocatedDocument(data, doc.filename, doc.positions), origins


def apply_replay(doc: LocatedDocument, origins: dict[FieldPath, str],
                 log: str | os.PathLike[str] | None) -> LocatedDocument:
    """``doc`` with a timeline entry replaying the activity log ``log`` (a path from the
    working directory) at its end, problems with it located at ``--replay LOG``."""
    if log is None:
        return doc
    timeline = doc.data.get("timeline", [])
    if not isinstance(timeline, list):
        return doc
    origins[("timeline", len(timeline))] = f"--replay {os.fspath(log)}"
    entry = {"name": "replay", "replay": os.fspath(Path(log).resolve())}
    return LocatedDocument({**doc.data, "timeline": [*timeline, entry]}, doc.filename,
                           doc.positions)


class ItemName(str):
    """A name in brackets in a key (``timeline[cleanup]``): in a list, the item of that name;
    in a mapping, a key like any other."""

    __slots__ = ()


def resolve_names(data: Any, path: FieldPath, argument: str) -> FieldPath:
    """``path`` with each bracketed name that stands for an item of a list
    (``timeline[cleanup]``) replaced by the item's index: the item whose ``name`` (a fleet
    group: ``group``) it is.

    Raises:
        ScenarioError: naming ``argument``, when the list has no item of that name.
    """
    node, out = data, []
    for depth, element in enumerate(path):
        if isinstance(node, list) and isinstance(element, ItemName):
            element = _named_item(node, element, format_path(path[:depth]), argument)
        out.append(element)
        try:
            node = node[element]
        except (KeyError, IndexError, TypeError):
            return (*out, *path[depth + 1:])
    return tuple(out)


def _named_item(items: list[Any], name: str, where: str, argument: str) -> int:
    names = [item.get("name", item.get("group")) if isinstance(item, dict) else None
             for item in items]
    if name in names:
        return names.index(name)
    known = ", ".join(str(n) for n in names if n is not None) or "none"
    raise _set_error(argument, f'{where} has no entry named "{name}" (named entries: {known})')


def _read_value(text: str, argument: str, path: FieldPath) -> Any:
    """``text`` read as a YAML value; a text that is not YAML (``>= 1``) stays a text.

    Raises:
        ScenarioError: YAML that arcsim does not take (see :func:`load_yaml_value`), at
            ``argument`` and within ``path``.
    """
    where = f"--set {argument}"
    try:
        return load_yaml_value(text, where)
    except YAMLSyntaxError:
        return text
    except ScenarioError as exc:
        raise ScenarioError([Problem(where, None, (*path, *p.path), p.message)
                             for p in exc.problems]) from None


def _assign(data: dict[str, Any], path: FieldPath, value: Any, argument: str) -> None:
    node: Any = data
    for depth, element in enumerate(path):
        here = format_path(path[:depth])
        last = depth == len(path) - 1
        if isinstance(element, int):
            if not isinstance(node, list):
                raise _set_error(argument, f"{here} is not a list")
            if element >= len(node):
                raise _set_error(argument, f"{here} has {_entries(len(node))}: there is no "
                                 f"[{element}]")
        elif not isinstance(node, dict):
            raise _set_error(argument, f"{here or 'the scenario'} is not a mapping")
        elif not last and element not in node:
            node[element] = {}
        if last:
            node[element] = value
        else:
            node = node[element]


def _entries(n: int) -> str:
    return "no entries" if n == 0 else f"{n} entries (0 to {n - 1})" if n > 1 else "1 entry (0)"


# --- --scale --------------------------------------------------------------------------------


def apply_scale(doc: LocatedDocument, scale: float | None) -> LocatedDocument:
    """``doc`` with every group's ``count`` multiplied by ``scale`` (rounded, at least 1); for
    an imported fleet (``fleet: {from: ...}``), its ``scale`` multiplied.

    Raises:
        ScenarioError: ``scale`` is not a number > 0.
    """
    if scale is None:
        return doc
    if not (isinstance(scale, int | float) and math.isfinite(scale) and scale > 0):
        raise ScenarioError([Problem("--scale", None, (), f"expected a number > 0, got {scale}")])
    fleet = doc.data.get("fleet")
    data = dict(doc.data)
    if isinstance(fleet, dict):
        factor = fleet.get("scale", 1.0)
        if isinstance(factor, int | float) and not isinstance(factor, bool):
            data["fleet"] = {**fleet, "scale": factor * scale}
        return LocatedDocument(data, doc.filename, doc.positions)
    if not isinstance(fleet, list):
        return doc
    data["fleet"] = [_scaled(group, scale, ("fleet", i)) for i, group in enumerate(fleet)]
    return LocatedDocument(data, doc.filename, doc.positions)


def _scaled(group: Any, scale: float, path: FieldPath) -> Any:
    count = group.get("count") if isinstance(group, dict) else None
    if not isinstance(count, int) or isinstance(count, bool):
        return group
    try:
        return {**group, "count": scaled_count(count, scale)}
    except SchemaValueError as exc:
        raise ScenarioError([Problem(f"--scale {scale:g}", None, (*path, "count"),
                                     str(exc))]) from None
