"""Azure Policy definition files in scenarios: an assigned definition as the engine's rule.

A scenario's ``policies:`` entry (or a timeline ``assign:``) may name a policy definition JSON
file, unchanged as Microsoft publishes it, with the assignment's ``parameters``::

    policies:
      - name: no-legacy-agent
        definition: policies/LogAnalyticsExtension_Windows_HybridVM_Deny.json
        parameters: {effect: Deny}

:func:`load_rule` reads and assigns it with :mod:`sim.rules.azure_policy`, and
:func:`engine_rule` turns the :class:`~sim.rules.azure_policy.AssignedPolicy` into the engine's
:class:`~sim.engine.policy.PolicyRule`, so the cloud side uses it exactly as the policies a
scenario writes with ``deny``, ``audit``, ``allow_only`` or ``deploy`` (R6b, R16, R26):

* Deny and Audit evaluate a request to write an extension on its ARM view: type, name (the
  simulation names an extension resource after its type), publisher, type, no provisioningState
  (a request has none yet), and the machine's region as ``location``. A condition that does not
  read ``location`` is evaluated once per extension, one that does once per extension and group
  (:attr:`~sim.engine.policy.PolicyRule.matches_in`).
* DeployIfNotExists evaluates its ``if`` on each group's machine view (type, the OS as osType and
  osName, the region as ``location``, the group's tags;
  :attr:`~sim.engine.policy.PolicyRule.applies_to`). Remediation requests the extension it
  deploys where that is missing, or Failed when the existence condition requires Succeeded.
* Disabled and AuditIfNotExists change nothing that the simulation records.

The simulated fleet holds only some of the fields Azure has: a condition that reads another one
(``id``, a machine's ``osSku`` or ``agentVersion``, an extension's ``typeHandlerVersion`` ...)
raises :class:`~sim.rules.azure_policy.PolicyDefinitionError` naming its JSON path, rather than
being read as a match or a no-match.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Final

from sim.engine.fleet import GroupSpec
from sim.engine.policy import PolicyRule
from sim.rules.azure_policy import (
    AssignedPolicy,
    Effect,
    PolicyDefinition,
    PolicyDefinitionError,
    assign,
    load_definition,
)
from sim.rules.azure_policy_conditions import (
    ALIASES,
    EXTENSION_TYPE,
    MACHINE_TYPE,
    OS_TYPE_FIELD,
    PROVISIONING_STATE_FIELD,
    PUBLISHER_FIELD,
    TYPE_FIELD,
    field_key,
)
from sim.rules.azure_policy_parameters import bind_arguments
from sim.rules.azure_policy_views import extension_resource, machine_resource
from sim.rules.identity import ExtensionId
from sim.scenario.policy_model import Policy
from sim.scenario.source import FieldPath

_MACHINE_ALIASES: Final = frozenset(a for a, (owner, _) in ALIASES.items()
                                    if owner == MACHINE_TYPE.lower())
_EXTENSION_ALIASES: Final = frozenset(a for a, (owner, _) in ALIASES.items()
                                      if owner == EXTENSION_TYPE.lower())
_EXTENSION_FIELDS: Final = frozenset(f.lower() for f in (PUBLISHER_FIELD, TYPE_FIELD,
                                                         PROVISIONING_STATE_FIELD))
_REQUEST: Final = (
    frozenset({"type", "name", "kind", "tags", "location"} | _EXTENSION_FIELDS | _MACHINE_ALIASES),
    "an extension write request",
    "type, name, kind, location, tags and the extension aliases publisher, type, "
    "provisioningState")
"""What a simulated extension write request supplies: a machine alias is absent on it (as in
Azure), and so are provisioningState and tags (the simulation's requests carry none)."""
_MACHINE: Final = (
    frozenset({"type", "kind", "tags", "location", OS_TYPE_FIELD.lower(),
               f"{MACHINE_TYPE}/osName".lower()} | _EXTENSION_ALIASES),
    "a machine", "type, kind, location, tags and the machine aliases osType, osName")
"""What a simulated machine supplies: its group's OS, region and tags."""
_EXISTING: Final = (
    frozenset({"type", "name", "kind", "tags"} | _EXTENSION_FIELDS | _MACHINE_ALIASES),
    "an existing extension",
    "type, name, kind, tags and the extension aliases publisher, type, provisioningState")
"""What an existing simulated extension supplies to an existence condition."""


def load_rule(path: Path, parameters: Mapping[str, Any]) -> PolicyRule:
    """The engine rule of the definition file at ``path`` assigned with ``parameters`` (the
    scenario's :data:`~sim.scenario.policies.definition_loader`).

    Raises:
        PolicyDefinitionError: the file cannot be read or parsed, a parameter value does not
            fit, or the rule reads what the simulation cannot supply (JSON path in the message).
    """
    definition = _definition(path)
    return engine_rule(_assigned(definition, parameters), definition.at)


def engine_rule(policy: AssignedPolicy, at: str = "<definition>: policyRule") -> PolicyRule:
    """The engine's rule for an assigned definition (see the module docstring); ``at`` is the
    source and JSON path of its ``policyRule``, for error messages.

    Raises:
        PolicyDefinitionError: a field the simulated fleet does not carry, or a
            DeployIfNotExists whose existence condition arcsim cannot decide (see
            :func:`_deploy_rule`).
    """
    if policy.effect in (Effect.DENY, Effect.AUDIT):
        _check_fields(policy.fields, _REQUEST)
        return _request_rule(policy)
    if policy.effect is Effect.DEPLOY_IF_NOT_EXISTS:
        return _deploy_rule(policy, at)
    return PolicyRule(policy.effect.value, _never, name=policy.name)


def _never(_extension: ExtensionId) -> bool:
    return False


def _check_fields(fields: Iterable[tuple[str, str]],
                  view: tuple[frozenset[str], str, str]) -> None:
    supplied, what, shown = view
    for path, name in fields:
        if field_key(name) not in supplied:
            raise PolicyDefinitionError(
                f'{path}: "{name}": the simulated fleet does not carry this field of {what}; '
                f"supported here: {shown}")


def _request_view(extension: ExtensionId, region: str | None = None) -> dict[str, object]:
    return extension_resource(extension.publisher, extension.type, location=region)


def _request_rule(policy: AssignedPolicy) -> PolicyRule:
    """Deny or Audit: per extension, or per extension and region when ``location`` is read."""
    evaluate = policy.evaluate

    def matches(extension: ExtensionId) -> bool:
        return evaluate(_request_view(extension))

    reads_location = any(field_key(name) == "location" for _, name in policy.fields)
    if not reads_location:
        return PolicyRule(policy.effect.value, matches, name=policy.name)

    def matches_in(extension: ExtensionId, group: GroupSpec) -> bool:
        return evaluate(_request_view(extension, group.region))

    return PolicyRule(policy.effect.value, matches, name=policy.name, matches_in=matches_in)


def _deploy_rule(policy: AssignedPolicy, at: str) -> PolicyRule:
    """DeployIfNotExists. arcsim tells compliance by the extension the policy deploys, so the
    existence condition must require its publisher and type (``equals`` under ``allOf``) and
    accept it in state Succeeded; otherwise :class:`PolicyDefinitionError`."""
    related, deploys = policy.related, policy.deploys
    assert related is not None and deploys is not None  # assign() guarantees both for DINE
    _check_fields(policy.fields, _MACHINE)
    _check_fields(related.fields, _EXISTING)
    where = f"{at}.then.details"
    if not related.requires_deployed:
        raise PolicyDefinitionError(
            f"{where}.existenceCondition: arcsim tells compliance by the extension the policy "
            f"deploys ({deploys.name}) only: the condition must require its publisher and type "
            "with equals (under allOf)")
    existing = functools.partial(extension_resource, deploys.publisher, deploys.type)
    if not related.is_satisfied_by(existing("Succeeded")):
        raise PolicyDefinitionError(
            f"{where}: {deploys.name} in state Succeeded does not meet the existence condition "
            "(or details.name; the simulation names an extension after its type), so "
            "remediation would never end")
    return PolicyRule(
        "deployifnotexists", _never, {"windows": deploys.name, "linux": deploys.name},
        name=policy.name, applies_to=_machine_test(policy),
        remediates_failed=not related.is_satisfied_by(existing("Failed")))


def _machine_test(policy: AssignedPolicy) -> Callable[[GroupSpec], bool]:
    """Whether the ``if`` condition holds for a group's machines, cached by what it reads."""
    evaluate = policy.evaluate
    cache: dict[tuple[str, str, tuple[tuple[str, str], ...]], bool] = {}

    def applies_to(group: GroupSpec) -> bool:
        key = (group.os.lower(), group.region, tuple(sorted(group.tags.items())))
        hit = cache.get(key)
        if hit is None:
            hit = cache[key] = evaluate(machine_resource(
                group.os.lower(), location=group.region, tags=group.tags))
        return hit

    return applies_to


# --- scenario policies ----------------------------------------------------------------------


def definition_file(policy: Policy, base: Path | None) -> Path:
    """The definition file of a ``definition:`` policy (relative to ``base``, default cwd)."""
    assert policy.definition is not None
    return (base or Path.cwd()) / policy.definition


def definition_problems(policy: Policy, base: Path | None) -> list[tuple[FieldPath, str]]:
    """``(field path within the policy, message)`` of what is wrong with a ``definition:``
    policy: the file (at ``definition``), a parameter value (at ``parameters``), or a rule
    the simulation cannot evaluate (at ``definition``). Empty when it can be used."""
    try:
        definition = _definition(definition_file(policy, base))
    except PolicyDefinitionError as exc:
        return [(("definition",), str(exc))]
    try:
        bind_arguments(definition.parameters, policy.parameters or {}, definition.source)
    except PolicyDefinitionError as exc:
        return [(("parameters" if policy.parameters else "definition",), str(exc))]
    try:
        engine_rule(_assigned(definition, policy.parameters or {}), definition.at)
    except PolicyDefinitionError as exc:
        return [(("definition",), str(exc))]
    return []


def deployed_extension(policy: Policy, base: Path | None) -> str | None:
    """The extension a ``definition:`` policy deploys when it is a usable DeployIfNotExists;
    None otherwise (including a definition with problems: :func:`definition_problems`)."""
    try:
        rule = load_rule(definition_file(policy, base), policy.parameters or {})
    except PolicyDefinitionError:
        return None
    return next(iter(rule.deploys.values()), None)


def _definition(path: Path) -> PolicyDefinition:
    """:func:`load_definition`, cached while the file is unchanged (a scenario's checks and its
    build read each definition several times)."""
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = -1
    return _cached_definition(str(path), stamp)


@functools.lru_cache(maxsize=64)
def _cached_definition(path: str, _stamp: int) -> PolicyDefinition:
    return load_definition(path)


_ASSIGNED: dict[tuple[int, str], tuple[PolicyDefinition, AssignedPolicy]] = {}


def _assigned(definition: PolicyDefinition, parameters: Mapping[str, Any]) -> AssignedPolicy:
    """:func:`assign`, cached per definition object and parameter values."""
    key = (id(definition), json.dumps(parameters, sort_keys=True, default=str))
    hit = _ASSIGNED.get(key)
    if hit is None or hit[0] is not definition:
        if len(_ASSIGNED) >= 64:
            _ASSIGNED.clear()
        hit = _ASSIGNED[key] = (definition, assign(definition, parameters))
    return hit[1]
