""":func:`plan`: what a candidate lockdown does to a fleet, machine by machine, before any
simulation (``arcsim plan``, ``sim.plan``).

The phases: read the fleet (:mod:`sim.planning.fleet`), the runbooks and policies; place every
machine in a situation (:mod:`sim.planning.situations`); evaluate each distinct situation once with
the rules layer (:mod:`sim.planning.evaluate`); give every machine its situation's rows as pandas
frames (:mod:`sim.planning.frames`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from sim.files import NO_SUCH_FILE, FileError, file_problem, read_text
from sim.planning.evaluate import Evaluation, Situation, evaluate
from sim.planning.fleet import (
    FleetSource,
    PlanError,
    PlanFleet,
    PolicyInForce,
    load_fleet,
    machine_paths,
    with_policies,
)
from sim.planning.frames import machine_names, per_machine, summaries
from sim.planning.result import Plan, RunbookUse
from sim.planning.situations import Lockdown, Placement, place
from sim.rules.catalogue import Catalogue
from sim.rules.identity import ExtensionId, ExtensionIdError
from sim.rules.readings import DEFAULT_READINGS, ReadingError, Readings, changed
from sim.rules.runbook import Runbook, runbook_lines
from sim.rules.versions import AgentVersion, VersionError
from sim.scenario.limits import LIMITS
from sim.scenario.policy_definitions import load_rule

RunbookSource = str | os.PathLike[str] | Sequence[str]
"""A runbook file (a path), or its command lines."""
PolicySource = str | os.PathLike[str] | tuple[str | os.PathLike[str], Mapping[str, Any]]
"""A policy definition file, or (file, the assignment's parameters)."""

MONITOR_NOTE = ("monitor mode allows a Microsoft-managed list that Microsoft does not publish: "
                "arcsim assumes one per agent version (a scenario can replace it)")


def plan(fleet: FleetSource, lockdown: RunbookSource | None = None, *,
         groups: Mapping[str, RunbookSource] | Sequence[tuple[str, RunbookSource]] = (),
         policies: Sequence[PolicySource] = (), requests: Sequence[str] = (),
         agent_version: str | AgentVersion | None = None, seed: int | None = None,
         catalogue: Catalogue | None = None,
         readings: Readings | Mapping[str, str | bool] | None = None) -> Plan:
    """What ``lockdown`` does to ``fleet``, exactly, as a :class:`~sim.planning.result.Plan`.

    ``fleet``: a scenario (object, file or shipped name), a fleet file, or inventory export
    files. ``lockdown``: the runbook every machine runs (a file, or command lines as typed);
    ``groups``: runbooks for the groups whose names match a pattern (``*``, ``?``), instead.
    ``policies``: Azure Policy definition files (or ``(file, parameters)``) assigned to the
    whole fleet, besides a scenario's ``policies:`` and read as they are (the fleet's
    ``properties:`` available to their conditions; a DeployIfNotExists definition requests
    its extension on the machines it applies to). ``requests``: extensions an install is
    asked for on every machine of their OS, besides what a scenario requests.
    ``agent_version``: agents older than this are updated to it before the lockdown (R30).
    ``seed``: decides which machines of a mixed group run which version (default: the
    scenario's, else 0), as in a run.

    Like a run, the plan reads a scenario's ``catalogue:`` entries (hosting, automatic-upgrade
    support, runs-scripts flags: R7, R24, R25) and the readings its ``params`` choose for what
    the sources leave open (:mod:`sim.rules.readings`: ``allow_none_before_1_35``,
    ``malformed_list_entry``, ``deny_refuses_automatic_upgrades``,
    ``disabled_manager_requests``); other fleets have arcsim's catalogue and the default
    readings. ``catalogue`` replaces the fleet's catalogue; ``readings`` replaces its readings
    (a :class:`~sim.rules.readings.Readings`) or changes some of them (a mapping of reading
    names to values as ``params`` writes them, ``{"allow_none_before_1_35":
    "ordinary_entry"}``).

    Raises:
        ScenarioError, InventoryError: the fleet cannot be read (located).
        PolicyDefinitionError: a policy definition cannot be used (file and JSON path).
        PlanError: a runbook file cannot be read (or is over ``LIMITS.max_bytes``), a group
            pattern matches no group, a bad extension name, agent version or reading.
    """
    planned = load_fleet(fleet, seed=seed)
    planned = replace(_policies(planned, policies),
                      catalogue=planned.catalogue if catalogue is None else catalogue,
                      readings=_readings(readings, planned.readings))
    catalogue = planned.catalogue
    runbooks = Lockdown(
        None if lockdown is None else _runbook(lockdown, "lockdown"),
        tuple((pattern, _runbook(source, f"groups[{pattern!r}]"))
              for pattern, source in _pairs(groups)))
    placement = place(planned, runbooks, catalogue, requests=_requests(requests),
                      update_to=_version(agent_version))
    evaluations = _evaluate_all(placement.situations, catalogue, planned.readings)
    return _assemble(planned, runbooks, placement, evaluations)


def _pairs(groups: Mapping[str, RunbookSource] | Sequence[tuple[str, RunbookSource]]
           ) -> list[tuple[str, RunbookSource]]:
    return list(groups.items()) if isinstance(groups, Mapping) else list(groups)


def _runbook(source: RunbookSource, label: str) -> Runbook:
    """A runbook from a file (its path labels it) or from command lines (``label``).

    Raises:
        PlanError: the file is missing, unreadable, larger than ``LIMITS.max_bytes`` or not
            UTF-8 text.
    """
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            text = read_text(path, limit=LIMITS.max_bytes)
        except FileError as exc:
            hint = " (a runbook of azcmagent commands)" if exc.reason == NO_SUCH_FILE else ""
            raise PlanError(file_problem(exc) + hint) from None
        return runbook_lines(text, str(path))
    return runbook_lines(list(source), label)


def _policies(fleet: PlanFleet, sources: Sequence[PolicySource]) -> PlanFleet:
    """``fleet`` with the definitions of ``sources`` assigned to the whole fleet, read as a
    scenario's ``policies:`` are (with the fleet's machine properties) and, like them, in
    force and requesting what they deploy."""
    paths = machine_paths(fleet)
    return with_policies(fleet, [_policy(source, paths) for source in sources])


def _policy(source: PolicySource, paths: tuple[str, ...]) -> PolicyInForce:
    path, parameters = source if isinstance(source, tuple) else (source, {})
    rule = load_rule(Path(path), parameters, paths)
    return PolicyInForce(Path(path).stem, rule)


def _requests(names: Sequence[str]) -> tuple[ExtensionId, ...]:
    try:
        return tuple(ExtensionId.parse(n) for n in names)
    except ExtensionIdError as exc:
        raise PlanError(f"requests: {exc}") from None


def _version(text: str | AgentVersion | None) -> AgentVersion | None:
    try:
        return None if text is None else AgentVersion.parse(text)
    except VersionError as exc:
        raise PlanError(f"agent_version: {exc}") from None


def _readings(given: Readings | Mapping[str, str | bool] | None, fleet: Readings) -> Readings:
    """The readings in force: ``fleet``'s, replaced or changed by ``given``."""
    if given is None or isinstance(given, Readings):
        return fleet if given is None else given
    try:
        return changed(fleet, given)
    except ReadingError as exc:
        raise PlanError(f"readings: {exc}") from None


def _evaluate_all(situations: Sequence[Situation], catalogue: Catalogue,
                  readings: Readings) -> list[Evaluation]:
    """Each situation's evaluation; situations with equal content are evaluated once."""
    done: dict[Situation, Evaluation] = {}
    return [done[s] if s in done else done.setdefault(s, evaluate(s, catalogue, readings))
            for s in situations]


def _assemble(fleet: PlanFleet, lockdown: Lockdown, placement: Placement,
              evaluations: list[Evaluation]) -> Plan:
    group_names = [g.name for g in fleet.groups]
    counts = [g.count for g in fleet.groups]
    names = machine_names(group_names, counts, fleet.names)
    frames = per_machine(placement, evaluations, names, group_names, fleet.actors)
    totals = summaries(placement, evaluations, group_names, fleet.actors)
    runbooks = lockdown.runbooks(fleet.groups)
    uses = _uses(runbooks, group_names)
    unlocked = tuple(name for name, r in zip(group_names, runbooks, strict=True) if r is None)
    monitor = any(e.outcome.state.config.is_monitor_mode for e in evaluations)
    notes = ((MONITOR_NOTE,) if monitor else ()) + _reading_notes(fleet.readings)
    return Plan(fleet.source, sum(counts), uses, unlocked_groups=unlocked, notes=notes,
                **totals, **frames)


def _reading_notes(readings: Readings) -> tuple[str, ...]:
    """One note per reading that is not the default (:mod:`sim.rules.readings`)."""
    return tuple(f"reading {name} = {_text(value)} (default {_text(default)})"
                 for name in Readings.__dataclass_fields__
                 if (value := getattr(readings, name))
                 != (default := getattr(DEFAULT_READINGS, name)))


def _text(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _uses(runbooks: list[Runbook | None], group_names: list[str]) -> tuple[RunbookUse, ...]:
    found: dict[int, tuple[Runbook, list[str]]] = {}
    for name, runbook in zip(group_names, runbooks, strict=True):
        if runbook is not None:
            found.setdefault(id(runbook), (runbook, []))[1].append(name)
    return tuple(RunbookUse(r.source, tuple(g), len(r.lines), r.skipped)
                 for r, g in found.values())


__all__ = ["PolicySource", "RunbookSource", "plan"]
