"""Checks that need the whole scenario (style point 4: validate once, up front).

The schema checks each value alone; these check that names refer to something: groups named
by targets, scopes and exemptions exist; paths named by groups exist; policy names are unique
and the assignments that timeline entries change exist; machine ids are in the fleet; an actor
keeps one role; ``expect:`` paths name a metric. Every problem is located by the caller's
``locate`` (file, line, field).
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

from sim.scenario import policies
from sim.scenario.action import MAX_OCCURRENCES, Build, count_occurrences
from sim.scenario.expect import ExpectError, check_path
from sim.scenario.policy_definitions import (
    PolicyNotice,
    changes_tags,
    definition_notices,
    definition_problems,
    deployed_extension,
)
from sim.scenario.policy_views import property_paths
from sim.scenario.schema import Policy, Scenario, TimelineEntry
from sim.scenario.source import FieldPath, Problem, ScenarioError
from sim.scenario.timeline import (
    ACTIONS,
    ENGINE_ACTORS,
    POLICY_ADMIN,
    actor_of,
    remediation_actor,
)
from sim.scenario.units import format_duration

Locate = Callable[[FieldPath, str], Problem]
"""Makes a located problem from a field path and a message."""


def check_scenario(scenario: Scenario, locate: Locate, base: Path | None = None) -> None:
    """Raise :class:`ScenarioError` with every problem found, sorted by line; ``base`` is the
    directory policy definition files are relative to (default: cwd)."""
    problems = [locate(path, message) for path, message in problems_of(scenario, base)]
    if problems:
        raise ScenarioError(sorted(problems, key=lambda p: p.line or 0))


def problems_of(scenario: Scenario,
                base: Path | None = None) -> Iterator[tuple[FieldPath, str]]:
    """(field path, message) of each problem."""
    yield from _unique([g.group for g in scenario.fleet], "fleet", "group", "group")
    yield from _unique([p.name for p in scenario.params.paths], ("params", "paths"), "name",
                       "download path")
    yield from _unique([p.name for p in scenario.policies], "policies", "name", "policy")
    groups = [g.group for g in scenario.fleet]
    paths = ["direct", *(p.name for p in scenario.params.paths)]
    for i, group in enumerate(scenario.fleet):
        yield from _known(group.path, paths, ("fleet", i, "path"), "download path")
    machine_paths = property_paths(g.properties for g in scenario.fleet)
    for i, policy in enumerate(scenario.policies):
        yield from _policy(policy, ("policies", i), groups, base, machine_paths)
    yield from _timeline(scenario, groups, base, machine_paths)
    yield from _expect(scenario, groups, paths, base)


def _unique(names: list[str], where: str | FieldPath, key: str,
            what: str) -> Iterator[tuple[FieldPath, str]]:
    prefix = (where,) if isinstance(where, str) else where
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in seen:
            yield ((*prefix, i, key),
                   f'{what} "{name}" is already defined ({_show(prefix)}[{seen[name]}])')
        seen.setdefault(name, i)


def _show(prefix: FieldPath) -> str:
    return ".".join(str(p) for p in prefix)


def _known(name: str | None, known: list[str], path: FieldPath,
           what: str) -> Iterator[tuple[FieldPath, str]]:
    if name is None or name in known:
        return
    close = difflib.get_close_matches(name, known, n=1)
    hint = f', did you mean "{close[0]}"?' if close else f"; known: {', '.join(known) or 'none'}"
    yield path, f'unknown {what} "{name}"{hint}'


def _policy(policy: Policy, path: FieldPath, groups: list[str], base: Path | None,
            machine_paths: tuple[str, ...] = ()) -> Iterator[tuple[FieldPath, str]]:
    yield from _known(policy.scope, groups, (*path, "scope"), "group")
    if policy.definition is None:
        return
    if policies.definition_loader is None:
        yield ((*path, "definition"), "policy definition files are not supported: write "
               "the policy with deny, audit, allow_only or deploy")
        return
    problems = definition_problems(policy, base, machine_paths)
    for where, message in problems:
        yield (*path, *where), message
    if not problems:
        for notice in definition_notices(policy, base, machine_paths):
            warnings.warn(PolicyNotice(f"policy {policy.name}: {notice}"), stacklevel=2)


def _timeline(scenario: Scenario, groups: list[str], base: Path | None,
              machine_paths: tuple[str, ...]) -> Iterator[tuple[FieldPath, str]]:
    assignments = [p.name for p in scenario.policies]
    assignments += [p.name for p in _assigned(scenario)]
    yield from _unique([e.name for e in scenario.timeline if e.name is not None], "timeline",
                       "name", "timeline entry")
    roles: dict[str, tuple[str, int]] = {}
    build = Build(scenario.duration, scenario.seed, base, scenario)
    for i, entry in enumerate(scenario.timeline):
        path: FieldPath = ("timeline", i)
        action = ACTIONS[entry.action]
        yield from _entry_names(entry, path, groups, assignments, scenario.machines)
        policy = action.assigns(entry.value)
        if policy is not None:
            yield from _policy(policy, (*path, entry.action), groups, base, machine_paths)
            if policy.definition is not None and changes_tags(policy, base, machine_paths):
                yield ((*path, entry.action, "definition"),
                       "a Modify policy that changes tags is applied when the scenario is "
                       "built: assign it under policies:, not on the timeline")
        yield from _occurrences(entry, path, scenario.duration)
        for where, message in action.problems(entry, build):
            yield (*path, *where), message
        if action.role:
            name, role = actor_of(entry.action, entry.actor), entry.role or "Owner"
            first = roles.setdefault(name, (role, i))
            if first[0] != role:
                yield ((*path, "role"), f'actor "{name}" acts as {first[0]} in timeline'
                       f"[{first[1]}]; one actor has one role (give this one another name)")


def _assigned(scenario: Scenario) -> list[Policy]:
    """The policies the timeline assigns."""
    found = (ACTIONS[e.action].assigns(e.value) for e in scenario.timeline)
    return [p for p in found if p is not None]


def _occurrences(entry: TimelineEntry, path: FieldPath,
                 duration: float) -> Iterator[tuple[FieldPath, str]]:
    count = count_occurrences(entry, duration)
    if count > MAX_OCCURRENCES:
        yield ((*path, "every"), f"every {format_duration(entry.every or 0.0)} makes "
               f"{count:,} occurrences in this run; at most {MAX_OCCURRENCES:,}")


def _entry_names(entry: TimelineEntry, path: FieldPath, groups: list[str],
                 assignments: list[str], machines: int) -> Iterator[tuple[FieldPath, str]]:
    if entry.target is not None:
        yield from _known(entry.target.group, groups, (*path, "target", "group"), "group")
        for j, m in enumerate(entry.target.machines):
            if m >= machines:
                yield ((*path, "target", "machines", j),
                       f"machine {m} is not in the fleet (ids 0 to {machines - 1})")
    known = {"group": groups, "assignment": assignments}
    for where, kind, name in ACTIONS[entry.action].refers(entry.value):
        yield from _known(name, known[kind], (*path, entry.action, *where), kind)


def _expect(scenario: Scenario, groups: list[str], paths: list[str],
            base: Path | None) -> Iterator[tuple[FieldPath, str]]:
    names = {"group": groups, "path": paths, "actor": actor_names(scenario, base),
             "extension": extension_names(scenario, base)}
    for key in scenario.expect:
        try:
            check_path(key, names)
        except ExpectError as exc:
            yield ("expect", key), str(exc)


def actor_names(scenario: Scenario, base: Path | None = None) -> list[str]:
    """Every actor name a run of ``scenario`` can record (``base``: as for
    :func:`check_scenario`)."""
    names = list(ENGINE_ACTORS)
    if scenario.policies:
        names.append(POLICY_ADMIN)
    machine_paths = property_paths(g.properties for g in scenario.fleet)
    names += [remediation_actor(p.name) for p in scenario.policies
              if _deploys(p, base, machine_paths)]
    build = Build(scenario.duration, scenario.seed, base, scenario)
    for entry in scenario.timeline:
        action = ACTIONS[entry.action]
        if action.actors is None:
            names.append(actor_of(entry.action, entry.actor))
        else:
            names += action.actors(entry, build)
        policy = action.assigns(entry.value)
        if policy is not None and _deploys(policy, base, machine_paths):
            names.append(remediation_actor(policy.name))
    return list(dict.fromkeys(names))


def _deploys(policy: Policy, base: Path | None, machine_paths: tuple[str, ...]) -> list[str]:
    """The extensions a DeployIfNotExists policy deploys (none for other policies);
    ``machine_paths``: the fleet's property paths, as everywhere the definition is planned."""
    if policy.deploy is not None:
        return [n for n in (policy.deploy.windows, policy.deploy.linux) if n]
    deployed = (deployed_extension(policy, base, machine_paths) if policy.definition is not None
                else None)
    return [deployed] if deployed else []


def extension_names(scenario: Scenario, base: Path | None = None) -> list[str]:
    """Every extension a run of ``scenario`` can record (``base``: as for
    :func:`check_scenario`)."""
    names: list[str] = [e.name for g in scenario.fleet for e in g.extensions]
    machine_paths = property_paths(g.properties for g in scenario.fleet)
    for policy in [*scenario.policies, *_assigned(scenario)]:
        names += _deploys(policy, base, machine_paths)
    build = Build(scenario.duration, scenario.seed, base, scenario)
    for entry in scenario.timeline:
        names += ACTIONS[entry.action].extensions(entry, build)
    return list(dict.fromkeys(names))
