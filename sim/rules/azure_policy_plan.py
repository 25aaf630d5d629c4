"""What an assigned policy does in the simulation (spec R6b, R16, R26).

The simulation holds three kinds of resource a policy can read: an *extension write request*
(:data:`REQUEST`), a *machine* (:func:`machine_profile`: what a fleet group says of its
machines) and an *existing extension* (:data:`EXISTING`). :func:`plan` compiles an
:class:`~sim.rules.azure_policy.AssignedPolicy` for them into a :class:`PolicyPlan`:

* Deny/Audit: whether a request to write an extension matches (``request``);
* DeployIfNotExists on an Arc extension: which machines it applies to (``machine``), the
  extension it deploys per OS and whether a Failed one is remediated;
* Modify: which machines' tags it adds, replaces or removes (``tag_changes``);
* everything else (AuditIfNotExists, Disabled, a related resource that is not an extension,
  changes to other fields, an ``if`` that can never match what the effect acts on) changes
  nothing the simulation records: it is accepted with a *notice* saying so.

A condition that the effect needs and that reads a field the simulation does not carry raises
:class:`~sim.rules.azure_policy_expressions.PolicyDefinitionError` naming its JSON path; the
same field in a part that cannot matter (another resource type's branch, a Disabled effect)
is a notice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from sim.rules.azure_policy import IF_NOT_EXISTS, AssignedPolicy, Effect
from sim.rules.azure_policy_conditions import (
    Compiled,
    Env,
    Predicate,
    compile_condition,
    compile_value,
    lookup,
)
from sim.rules.azure_policy_expressions import MISSING, PolicyDefinitionError
from sim.rules.azure_policy_fields import (
    EXTENSION_TYPE,
    MACHINE_TYPE,
    Profile,
    tag_name,
)
from sim.rules.azure_policy_operators import describe
from sim.rules.azure_policy_related import RelatedExtension, related_type
from sim.rules.azure_policy_views import extension_resource
from sim.rules.catalogue import BUILTIN
from sim.rules.identity import ExtensionId

REQUEST: Final = Profile(
    EXTENSION_TYPE, "an extension write request",
    frozenset({"name", "location", "properties.publisher", "properties.type"}),
    frozenset({"tags", "kind", "properties.provisioningstate"}),
    "type, name, location, publisher, type (a request carries no tags or state)")
EXISTING: Final = Profile(
    EXTENSION_TYPE, "an existing extension",
    frozenset({"name", "properties.publisher", "properties.type",
               "properties.provisioningstate"}),
    frozenset({"tags", "kind"}), "type, name, publisher, type, provisioningState")
MACHINE_PATHS: Final = (
    "osName", "osType", "osSku", "imageOffer", "mssqlDiscovered",
    "licenseProfile.esuProfile.esuEligibility", "licenseProfile.esuProfile.licenseAssignmentState",
    "privateLinkScopeResourceId", "agentUpgrade.enableAutomaticUpgrade")
"""Machine properties every simulated machine reports (defaults in the fleet description)."""


def machine_profile(extra_paths: Sequence[str] = ()) -> Profile:
    """The machine profile: :data:`MACHINE_PATHS` plus the property paths a fleet gives."""
    paths = {f"properties.{p.lower()}" for p in (*MACHINE_PATHS, *extra_paths)}
    shown = "type, location, tags, identity.type, the properties " + ", ".join(
        sorted({*MACHINE_PATHS, *extra_paths}, key=str.lower)) + (
        " and any property a fleet group gives under properties:")
    return Profile(MACHINE_TYPE, "a machine",
                   frozenset({"location", "tags", "identity.type", *paths}),
                   frozenset({"kind"}), shown)


MACHINE: Final = machine_profile()


@dataclass(frozen=True)
class TagChange:
    """One Modify operation on a tag: ``add`` (when absent), ``addOrReplace`` or ``remove``."""

    operation: str
    tag: str
    value: str = ""


@dataclass(frozen=True)
class PolicyPlan:
    """An assignment as the simulation carries it out (see the module docstring)."""

    effect: Effect
    request: Predicate | None = field(default=None, compare=False)
    reads_location: bool = False
    machine: Predicate | None = field(default=None, compare=False)
    deploys: Mapping[str, ExtensionId] = field(default_factory=dict)
    related: RelatedExtension | None = field(default=None, compare=False)
    remediates_failed: bool = True
    tag_changes: tuple[TagChange, ...] = ()
    notices: tuple[str, ...] = ()


def plan(policy: AssignedPolicy, machine: Profile = MACHINE) -> PolicyPlan:
    """Compile ``policy`` for the simulation. Raises :class:`PolicyDefinitionError` (with the
    JSON path) where the effect needs what the simulation cannot evaluate."""
    definition = policy.definition
    assert definition is not None, "plan() needs an assignment made by assign()"
    at, effect = definition.at, policy.effect
    rule_if = lookup(definition.rule, "if")
    env = policy.env()
    on = {name: compile_condition(rule_if, f"{at}.if", _with(env, profile))
          for name, profile in (("request", REQUEST), ("machine", machine),
                                ("existing", EXISTING))}
    notes = tuple(dict.fromkeys(n for c in _reachable(on) for n in c.notes))
    if effect in (Effect.DENY, Effect.AUDIT):
        return _request_plan(effect, on["request"], f"{at}.if", notes)
    if effect is Effect.DEPLOY_IF_NOT_EXISTS and _is_extension_related(policy, env):
        return _deploy_plan(policy, on, machine, notes)
    if effect is Effect.MODIFY:
        return _modify_plan(policy, on["machine"], env, notes)
    if effect is Effect.DENY_ACTION and not (on["request"].is_constant
                                             and not on["request"].constant):
        raise PolicyDefinitionError(f"{at}.then.effect: DenyAction on Arc extensions (it refuses "
                                    "their deletion in Azure) is outside the simulation, where "
                                    "a delete is always accepted (R13, R14)")
    return PolicyPlan(effect, notices=notes + _unknowns(on) + (_inert(policy, env),))


def _with(env: Env, profile: Profile) -> Env:
    return Env(env.parameters, profile, env.missing)


def _reachable(on: Mapping[str, Compiled]) -> list[Compiled]:
    """The compilations for the kinds of resource the ``if`` can match."""
    return [c for c in on.values() if not (c.is_constant and not c.constant)]


def _unknowns(on: Mapping[str, Compiled]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(f"{u} (not needed: {_why_not}" for c in _reachable(on)
                               for u in c.unknown))


_why_not = "the effect changes nothing the simulation records)"


def _required(compiled: Compiled, what: str) -> Predicate:
    if compiled.unknown:
        raise PolicyDefinitionError(f"{compiled.unknown[0]} (needed to decide which "
                                    f"{what} the policy applies to)")
    return compiled.predicate()


def _request_plan(effect: Effect, request: Compiled, at: str,
                  notes: tuple[str, ...]) -> PolicyPlan:
    predicate = _required(request, "extension write requests")
    if request.is_constant and not request.constant:
        return PolicyPlan(effect, notices=(*notes, f"{at}: never matches an Arc extension "
                                           f"write request, so this {effect.value} blocks or "
                                           "reports none in the simulation"))
    reads_location = bool(request.fields & {"location", "*"})
    return PolicyPlan(effect, request=predicate, reads_location=reads_location, notices=notes)


def _is_extension_related(policy: AssignedPolicy, env: Env) -> bool:
    assert policy.definition is not None
    details = policy.definition.details
    at = f"{policy.definition.at}.then.details"
    return related_type(details, env, at).lower() == EXTENSION_TYPE.lower()


def _deploy_plan(policy: AssignedPolicy, on: Mapping[str, Compiled], machine: Profile,
                 notes: tuple[str, ...]) -> PolicyPlan:
    assert policy.definition is not None and policy.related is not None
    at = policy.definition.at
    existing = on["existing"]
    if existing.unknown or not (existing.is_constant and not existing.constant):
        raise PolicyDefinitionError(
            f"{at}.if: the if condition can match an existing extension: this DeployIfNotExists "
            "changes extensions that exist (their settings), which the simulation does not "
            "carry out; it simulates DeployIfNotExists policies whose if matches machines")
    applies = _required(on["machine"], "machines")
    if on["machine"].is_constant and not on["machine"].constant:
        return PolicyPlan(policy.effect, notices=(*notes, f"{at}.if: never matches an Arc "
                                                  "machine: no remediation in the simulation"))
    related = policy.related
    where = f"{at}.then.details"
    if not related.by_os:
        cause = f"; reading the template: {related.template_error}" if \
            related.template_error else ""
        raise PolicyDefinitionError(
            f"{where}: cannot tell which extension it deploys: expected equals conditions on "
            "its publisher and type in existenceCondition, or a template resource of type "
            f"{EXTENSION_TYPE} whose publisher and type arcsim can evaluate{cause}")
    exists = compile_condition(related.condition, f"{where}.existenceCondition",
                               _with(policy.env(), EXISTING)) if related.condition is not \
        MISSING else Compiled(constant=True)
    check = _required(exists, "existing extensions")
    if related.scope != "resourcegroup":
        raise PolicyDefinitionError(f"{where}.existenceScope: {related.scope}: the simulation "
                                    "looks for a machine's extensions on the machine only")
    failed = [_check_deployed(ext, related, check, where) for ext in related.by_os.values()]
    _check_only_deployed(related, check, where)
    return PolicyPlan(policy.effect, machine=applies, deploys=dict(related.by_os),
                      related=related, remediates_failed=any(failed), notices=notes)


def _view(ext: ExtensionId, related: RelatedExtension, state: str) -> dict[str, object]:
    return extension_resource(ext.publisher, ext.type, state, name=related.name or ext.type)


def _check_deployed(ext: ExtensionId, related: RelatedExtension, check: Predicate,
                    where: str) -> bool:
    """Whether a Failed ``ext`` is remediated; raises when a Succeeded one is not enough."""
    if not check(_view(ext, related, "Succeeded")):
        raise PolicyDefinitionError(
            f"{where}: {ext.name} in state Succeeded does not meet the existence condition, "
            "so remediation would never end")
    return not check(_view(ext, related, "Failed"))


def _check_only_deployed(related: RelatedExtension, check: Predicate, where: str) -> None:
    """The simulation tells compliance by the deployed extension only: no other may pass."""
    deployed = {e.key for e in related.by_os.values()}
    probes = [entry.id for entry in BUILTIN if entry.id.key not in deployed]
    for ext in related.by_os.values():
        probes += [ExtensionId.parse(f"{ext.publisher}/Other.Extension"),
                   ExtensionId.parse(f"Other.Publisher/{ext.type}")]
    for probe in probes:
        if check(_view(probe, related, "Succeeded")):
            names = ", ".join(sorted(e.name for e in related.by_os.values()))
            raise PolicyDefinitionError(
                f"{where}.existenceCondition: arcsim tells compliance by the extension the "
                f"policy deploys ({names}) only: the condition must require its publisher and "
                f"type (it also accepts {probe.name})")


def _modify_plan(policy: AssignedPolicy, machine: Compiled, env: Env,
                 notes: tuple[str, ...]) -> PolicyPlan:
    assert policy.definition is not None
    at = f"{policy.definition.at}.then.details.operations"
    operations = lookup(policy.definition.details, "operations")
    if not isinstance(operations, list):
        raise PolicyDefinitionError(f"{at}: expected a list of operations, got "
                                    f"{describe(operations)}")
    changes, others = [], []
    for i, raw in enumerate(operations):
        change = _tag_change(raw, f"{at}[{i}]", env)
        if change is None:
            others.append(f"{at}[{i}]")
        elif change.tag:
            changes.append(change)
    notices = list(notes)
    if others:
        notices.append(f"{', '.join(others)}: Modify of a field other than a tag changes "
                       "nothing the simulation records")
    if not changes:
        return PolicyPlan(policy.effect, notices=tuple(notices))
    applies = _required(machine, "machines")
    return PolicyPlan(policy.effect, machine=applies, tag_changes=tuple(changes),
                      notices=tuple(notices))


def _tag_change(raw: object, at: str, env: Env) -> TagChange | None:
    """The operation on a tag (a change with no tag when its condition is false); None for
    an operation on another field."""
    field_name = compile_value(lookup(raw, "field"), f"{at}.field", env)
    tag = tag_name(field_name.constant) if isinstance(field_name.constant, str) else None
    if tag is None:
        return None
    condition = lookup(raw, "condition")
    if condition is not MISSING:
        holds = compile_value(condition, f"{at}.condition", env)
        if not holds.is_constant:
            raise PolicyDefinitionError(f"{at}.condition: a condition that reads the resource "
                                        "is outside what arcsim evaluates for Modify")
        if not holds.constant:
            return TagChange("skip", "")
    operation = str(lookup(raw, "operation")).lower()
    if operation not in ("add", "addorreplace", "remove"):
        raise PolicyDefinitionError(f'{at}.operation: expected "add", "addOrReplace" or '
                                    f'"remove", got {describe(lookup(raw, "operation"))}')
    value = compile_value(lookup(raw, "value"), f"{at}.value", env)
    if not value.is_constant:
        raise PolicyDefinitionError(f"{at}.value: a tag value that reads the resource is "
                                    "outside what arcsim evaluates")
    return TagChange(operation, tag, "" if value.constant is MISSING else str(value.constant))


def _inert(policy: AssignedPolicy, env: Env) -> str:
    """Why an assignment changes nothing the simulation records."""
    effect = policy.effect
    assert policy.definition is not None
    at = policy.definition.at
    if effect in IF_NOT_EXISTS:
        kind = related_type(policy.definition.details, env, f"{at}.then.details")
        if effect is Effect.DEPLOY_IF_NOT_EXISTS:
            return (f"{at}.then.details.type: deploys {kind}, not an extension: no remediation "
                    "in the simulation")
        return f"{at}.then.effect: AuditIfNotExists reports compliance only (nothing simulated)"
    return f"{at}.then.effect: {effect.value} changes nothing the simulation records"


def apply_tags(changes: Sequence[TagChange], tags: Mapping[str, str]) -> dict[str, str]:
    """``tags`` after the Modify operations ``changes`` (tag names compare case-insensitively)."""
    result = dict(tags)
    for change in changes:
        present = next((k for k in result if k.lower() == change.tag.lower()), None)
        if change.operation == "remove":
            if present is not None:
                del result[present]
        elif change.operation == "addorreplace" or present is None:
            if present is not None:
                del result[present]
            result[change.tag] = change.value
    return result


__all__ = ["EXISTING", "MACHINE", "MACHINE_PATHS", "REQUEST", "PolicyPlan", "TagChange",
           "apply_tags", "machine_profile", "plan"]
