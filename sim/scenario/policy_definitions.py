"""Azure Policy definition files in scenarios: an assigned definition as the engine's rule.

A scenario's ``policies:`` entry (or a timeline ``assign:``) may name a policy definition JSON
file, unchanged as Microsoft publishes it, with the assignment's ``parameters``::

    policies:
      - name: no-legacy-agent
        definition: policies/LogAnalyticsExtension_Windows_HybridVM_Deny.json
        parameters: {effect: Deny}

:func:`load_rule` reads, assigns and plans it (:mod:`sim.rules.azure_policy_plan`) and turns
the plan into the engine's :class:`~sim.engine.policy.PolicyRule`, used exactly as the policies
a scenario writes with ``deny``, ``audit``, ``allow_only`` or ``deploy`` (R6b, R16, R26):

* Deny and Audit evaluate a request to write an extension on its ARM view: type, name (the
  simulation names an extension resource after its type), publisher, type, the machine's region
  as ``location``; no tags and no provisioningState (a request has none). A condition that
  reads ``location`` is decided per extension and group.
* DeployIfNotExists on an extension evaluates its ``if`` on each group's machine view
  (:mod:`sim.scenario.policy_views`); remediation requests the extension it deploys for the
  machine's OS where that is missing, or Failed when the existence condition requires
  Succeeded.
* Modify on tags changes the tags of the groups its ``if`` matches when the scenario is built
  (:func:`tag_modifier`): the assignment is taken as remediated before the run starts.
* Everything else changes nothing the simulation records; what was not read, and why, is a
  :class:`PolicyNotice` (:func:`definition_notices`).

A parameter without value or default is an error only where something evaluated reads it.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sim.engine.fleet import GroupSpec
from sim.engine.policy import PolicyRule
from sim.errors import ArcsimWarning
from sim.files import FileError, read_bytes
from sim.rules.azure_policy import (
    AssignedPolicy,
    PolicyDefinition,
    PolicyDefinitionError,
    assign,
    parse_definition,
)
from sim.rules.azure_policy_plan import PolicyPlan, apply_tags, machine_profile, plan
from sim.rules.azure_policy_views import extension_resource
from sim.rules.identity import ExtensionId
from sim.scenario.limits import LIMITS, load_json
from sim.scenario.policy_model import Policy
from sim.scenario.policy_views import machine_view
from sim.scenario.source import FieldPath


class PolicyNotice(ArcsimWarning):
    """Part of an assigned definition that changes nothing in the simulation (located)."""


def load_rule(path: Path, parameters: Mapping[str, Any],
              machine_paths: Sequence[str] = ()) -> PolicyRule:
    """The engine rule of the definition file at ``path`` assigned with ``parameters`` (the
    scenario's :data:`~sim.scenario.policies.definition_loader`); ``machine_paths`` are the
    machine property paths the fleet gives (``properties:``).

    Raises:
        PolicyDefinitionError: the file cannot be read or parsed, a parameter value does not
            fit, or the rule needs what the simulation cannot evaluate (JSON path in the message).
    """
    assigned, planned = _planned(path, parameters, tuple(machine_paths))
    return engine_rule(assigned, planned)


def engine_rule(policy: AssignedPolicy, planned: PolicyPlan | None = None) -> PolicyRule:
    """The engine's rule for an assigned definition and its plan (planned here when None).

    Raises:
        PolicyDefinitionError: as :func:`~sim.rules.azure_policy_plan.plan`.
    """
    planned = planned or plan(policy)
    if planned.request is not None:
        return _request_rule(policy, planned)
    if planned.deploys:
        by_os = {os_name: ext.name for os_name, ext in planned.deploys.items()}
        return PolicyRule("deployifnotexists", _never, by_os, name=policy.name,
                          applies_to=_machine_test(planned),
                          remediates_failed=planned.remediates_failed)
    return PolicyRule(policy.effect.value, _never, name=policy.name)


def _never(_extension: ExtensionId) -> bool:
    return False


def _request_rule(policy: AssignedPolicy, planned: PolicyPlan) -> PolicyRule:
    """Deny or Audit: per extension, or per extension and region when ``location`` is read."""
    request = planned.request
    assert request is not None

    def matches(extension: ExtensionId) -> bool:
        return request(extension_resource(extension.publisher, extension.type))

    if not planned.reads_location:
        return PolicyRule(policy.effect.value, matches, name=policy.name)

    def matches_in(extension: ExtensionId, group: GroupSpec) -> bool:
        return request(extension_resource(extension.publisher, extension.type,
                                          location=group.region))

    return PolicyRule(policy.effect.value, matches, name=policy.name, matches_in=matches_in)


def _machine_test(planned: PolicyPlan) -> Callable[[GroupSpec], bool]:
    """Whether the ``if`` condition holds for a group's machines, cached by their view."""
    applies = planned.machine
    assert applies is not None
    cache: dict[str, bool] = {}

    def applies_to(group: GroupSpec) -> bool:
        view = machine_view(group)
        key = json.dumps(view, sort_keys=True, default=str)
        hit = cache.get(key)
        if hit is None:
            hit = cache[key] = applies(view)
        return hit

    return applies_to


# --- scenario policies ----------------------------------------------------------------------


def definition_file(policy: Policy, base: Path | None) -> Path:
    """The definition file of a ``definition:`` policy (relative to ``base``, default cwd)."""
    assert policy.definition is not None
    return (base or Path.cwd()) / policy.definition


def definition_problems(policy: Policy, base: Path | None,
                        machine_paths: Sequence[str] = ()) -> list[tuple[FieldPath, str]]:
    """``(field path within the policy, message)`` of what is wrong with a ``definition:``
    policy: the file (at ``definition``), a parameter value (at ``parameters``), or a rule the
    simulation cannot evaluate (at ``definition``). Empty when it can be used."""
    path = definition_file(policy, base)
    try:
        definition = _definition(path)
    except PolicyDefinitionError as exc:
        return [(("definition",), str(exc))]
    try:
        assign(definition, policy.parameters or {}, allow_missing=True)
    except PolicyDefinitionError as exc:
        return [(("parameters" if policy.parameters else "definition",), str(exc))]
    try:
        _planned(path, policy.parameters or {}, tuple(machine_paths))
    except PolicyDefinitionError as exc:
        where = "parameters" if "has no value" in str(exc) else "definition"
        return [((where,), str(exc))]
    return []


def definition_notices(policy: Policy, base: Path | None,
                       machine_paths: Sequence[str] = ()) -> tuple[str, ...]:
    """What a usable ``definition:`` policy does not act on, and why (empty when unusable)."""
    try:
        return _planned(definition_file(policy, base), policy.parameters or {},
                        tuple(machine_paths))[1].notices
    except PolicyDefinitionError:
        return ()


def deployed_extension(policy: Policy, base: Path | None,
                       machine_paths: Sequence[str] = ()) -> str | None:
    """The extension a ``definition:`` policy deploys (the Windows one when it deploys one per
    OS) when it is a usable DeployIfNotExists; None otherwise."""
    try:
        planned = _planned(definition_file(policy, base), policy.parameters or {},
                           tuple(machine_paths))[1]
    except PolicyDefinitionError:
        return None
    return next(iter(e.name for e in planned.deploys.values()), None)


def changes_tags(policy: Policy, base: Path | None, machine_paths: Sequence[str] = ()) -> bool:
    """True when a usable ``definition:`` policy is a Modify that changes tags."""
    try:
        return bool(_planned(definition_file(policy, base), policy.parameters or {},
                             tuple(machine_paths))[1].tag_changes)
    except PolicyDefinitionError:
        return False


def tag_modifier(policy: Policy, base: Path | None,
                 machine_paths: Sequence[str] = ()) -> Callable[[GroupSpec], GroupSpec] | None:
    """For a Modify definition that changes tags: the group as the policy leaves it (the
    group's tags changed when its ``if`` holds for the group's machines); None otherwise.

    Raises:
        PolicyDefinitionError: as :func:`load_rule`.
    """
    planned = _planned(definition_file(policy, base), policy.parameters or {},
                       tuple(machine_paths))[1]
    if not planned.tag_changes or planned.machine is None:
        return None
    applies, changes = planned.machine, planned.tag_changes

    def modified(group: GroupSpec) -> GroupSpec:
        if not applies(machine_view(group)):
            return group
        return replace(group, tags=apply_tags(changes, group.tags))

    return modified


def _definition(path: Path) -> PolicyDefinition:
    """:func:`read_definition`, cached while the file is unchanged (a scenario's checks and its
    build read each definition several times)."""
    return _cached_definition(str(path), _stamp(path))


def _stamp(path: Path) -> int:
    """The file's modification time (ns; -1 when it cannot be read: reading it then fails)."""
    try:
        return path.stat().st_mtime_ns
    except (OSError, ValueError):
        return -1


@functools.lru_cache(maxsize=64)
def _cached_definition(path: str, _stamp: int) -> PolicyDefinition:
    return read_definition(path)


def read_definition(path: str) -> PolicyDefinition:
    """The definition in the JSON file at ``path`` (UTF-8, an optional byte-order mark).

    Raises:
        PolicyDefinitionError: naming the file (and line): it cannot be read, is larger than
            :attr:`~sim.scenario.limits.ReadLimits.max_bytes`, is not UTF-8 or not JSON, is
            past the limits of nesting and digits, or is not a definition.
    """
    try:
        raw = read_bytes(path, limit=LIMITS.max_bytes)
    except FileError as exc:
        raise PolicyDefinitionError(f"{path}: cannot read: {exc.reason}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise PolicyDefinitionError(f"{path}:{line}: not UTF-8 text (byte "
                                    f"0x{raw[exc.start]:02x}); save the file as UTF-8") from None
    try:
        document = load_json(text)
    except json.JSONDecodeError as exc:
        raise PolicyDefinitionError(
            f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    except ValueError as exc:
        raise PolicyDefinitionError(f"{path}: {exc}") from None
    return parse_definition(document, source=path)


@dataclass(frozen=True)
class _PlanKey:
    """What a plan depends on: the definition file's version, the parameter values (compared
    as their JSON text; the mapping itself rides along, uncompared) and the machine paths."""

    path: str
    stamp: int
    parameters_json: str
    machine_paths: tuple[str, ...]
    parameters: Mapping[str, Any] = field(compare=False, hash=False)


def _planned(path: Path, parameters: Mapping[str, Any],
             machine_paths: tuple[str, ...]) -> tuple[AssignedPolicy, PolicyPlan]:
    """Assign and plan the definition at ``path``, cached per file version, values and paths.

    Raises:
        PolicyDefinitionError: as :func:`read_definition`, :func:`assign` and :func:`plan`.
    """
    return _cached_plan(_PlanKey(str(path), _stamp(path), json.dumps(
        parameters, sort_keys=True, default=str), machine_paths, parameters))


@functools.lru_cache(maxsize=64)
def _cached_plan(key: _PlanKey) -> tuple[AssignedPolicy, PolicyPlan]:
    assigned = assign(_cached_definition(key.path, key.stamp), key.parameters,
                      allow_missing=True)
    return assigned, plan(assigned, machine_profile(key.machine_paths))
