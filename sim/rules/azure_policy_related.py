"""The related resource of IfNotExists policies: ``then.details`` (spec R6b).

``details`` names the resource a machine must have: its ``type`` (for Arc, an extension:
``Microsoft.HybridCompute/machines/extensions``), optionally its ``name`` (a literal, or an
expression such as ``concat(field('name'), '/MicrosoftDefenderForSQL')``: only the last
segment, the extension's own name, counts), an ``existenceCondition``, an ``existenceScope``
and an ``evaluationDelay`` (both read; the delay does not change what remediation asks for).

Which extension a DeployIfNotExists deploys is read from the existence condition's ``equals``
on publisher and type, or else from the deployment template's extension resource, evaluated
for a Windows and for a Linux machine (its parameters come from the policy's
``deployment.properties.parameters``; ``variables()`` and ``if()`` are evaluated), so a
template that picks ``WindowsAgent.SqlServer`` or ``LinuxAgent.SqlServer`` by ``osName``
deploys one extension per OS.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Final

from sim.rules.azure_policy_conditions import (
    Env,
    Predicate,
    Resource,
    compile_condition,
    compile_value,
    lookup,
)
from sim.rules.azure_policy_expressions import (
    MISSING,
    PolicyDefinitionError,
    Scope,
    trail_problem,
)
from sim.rules.azure_policy_fields import (
    EXTENSION_TYPE,
    MACHINE_TYPE,
    PUBLISHER_FIELD,
    TYPE_FIELD,
)
from sim.rules.azure_policy_functions import resolve_value
from sim.rules.azure_policy_operators import describe
from sim.rules.identity import ExtensionId, ExtensionIdError

OS_NAMES: Final = ("windows", "linux")


def sample_machine(os_name: str, name: str = "machine") -> dict[str, object]:
    """The ARM view of an Arc machine of ``os_name``, for what depends on the machine's OS."""
    return {"type": MACHINE_TYPE, "name": name, "location": "westeurope", "tags": {},
            "resourceGroup": "group", "identity": {"type": "SystemAssigned"},
            "properties": {"osName": os_name, "osType": os_name, "imageOffer": os_name}}


def _always(_resource: Resource) -> bool:
    return True


@dataclass(frozen=True)
class RelatedExtension:
    """``then.details`` of an IfNotExists effect whose related type is an Arc extension."""

    name: str | None = None
    """``details.name``'s last segment when it does not depend on the machine, else None."""
    exists: Predicate = field(default=_always, compare=False, repr=False)
    """The existence condition, compiled for any resource view (always true when none)."""
    by_os: Mapping[str, ExtensionId] = field(default_factory=dict)
    """The extension deployed on a ``windows`` or ``linux`` machine (see the module)."""
    condition: object = field(default=MISSING, compare=False, repr=False)
    """The raw ``existenceCondition`` (callers compile it for what they simulate)."""
    scope: str = "resourcegroup"
    """``existenceScope``, lower case."""
    template_error: str = field(default="", compare=False)
    """Why the deployment template could not be read for an OS (the first error), or ""."""

    @property
    def deploys(self) -> ExtensionId | None:
        """The extension deployed, when it is the same on every OS (else None)."""
        found = set(self.by_os.values())
        return next(iter(found)) if len(found) == 1 else None

    def is_satisfied_by(self, resource: Resource) -> bool:
        """True when ``resource`` is a related extension that meets the existence condition."""
        rtype, name = lookup(resource, "type"), lookup(resource, "name")
        if not isinstance(rtype, str) or rtype.lower() != EXTENSION_TYPE.lower():
            return False
        if self.name is not None and not (
                isinstance(name, str) and name.rsplit("/", 1)[-1].lower() == self.name.lower()):
            return False
        return self.exists(resource)


def related_type(details: object, env: Env, at: str) -> str:
    """``details.type`` (evaluated); raises when it is missing or not a string."""
    if not isinstance(details, Mapping):
        raise PolicyDefinitionError(f"{at}: expected an object, got {describe(details)}")
    value = compile_value(lookup(details, "type"), f"{at}.type", env)
    if not value.is_constant or not isinstance(value.constant, str):
        raise PolicyDefinitionError(f'{at}.type: expected the related resource type, got '
                                    f"{describe(lookup(details, 'type'))}")
    return value.constant


def compile_related(details: object, env: Env, at: str) -> RelatedExtension:
    """Compile ``then.details`` of an extension-type IfNotExists policy (``at``: its path).

    Raises :class:`PolicyDefinitionError` for malformed details or an unsupported existence
    condition, or an extension name that is not ``Publisher/Type``."""
    assert isinstance(details, Mapping)
    condition = lookup(details, "existenceCondition")
    exists: Predicate = _always
    if condition is not MISSING:
        exists = compile_condition(condition, f"{at}.existenceCondition", env).predicate()
    scope = compile_value(lookup(details, "existenceScope"), f"{at}.existenceScope", env)
    by_os, error = _deployed(condition, details, env, at)
    scope_name = "ResourceGroup" if scope.constant is MISSING else str(scope.constant)
    return RelatedExtension(_details_name(details, env, at), exists, by_os, condition,
                            scope_name.lower(), error)


def _details_name(details: Mapping[object, object], env: Env, at: str) -> str | None:
    raw = lookup(details, "name")
    if raw is MISSING:
        return None
    names = set()
    for machine in ("machine-a", "machine-b"):
        scope = env.scope(f"{at}.name", sample_machine("windows", machine))
        value = resolve_value(raw, scope)
        names.add(str(value).rsplit("/", 1)[-1] if value is not MISSING else "")
    return names.pop() if len(names) == 1 else None


def _deployed(condition: object, details: Mapping[object, object], env: Env,
              at: str) -> tuple[dict[str, ExtensionId], str]:
    """The extension deployed per OS, and the first error reading the template ("" if none):
    an OS whose template cannot be read deploys nothing the simulation can tell."""
    publisher, type_ = required_value(condition, PUBLISHER_FIELD), required_value(
        condition, TYPE_FIELD)
    if publisher and type_:
        return dict.fromkeys(OS_NAMES, _extension(publisher, type_, at)), ""
    found: dict[str, ExtensionId] = {}
    errors: list[str] = []
    for os_name in OS_NAMES:
        try:
            pair = template_extension(details, env, at, os_name)
        except PolicyDefinitionError as error:
            pair = None
            errors.append(str(error))
        if pair is not None:
            found[os_name] = _extension(publisher or pair[0], type_ or pair[1], at)
    return found, errors[0] if errors else ""


def _extension(publisher: str, type_: str, at: str) -> ExtensionId:
    try:
        return ExtensionId.parse(f"{publisher}/{type_}")
    except ExtensionIdError as error:
        raise PolicyDefinitionError(f"{at}: the extension it deploys: {error}") from error


def required_value(condition: object, alias: str) -> str | None:
    """The string that ``condition`` requires ``alias`` to equal (searching nested allOf)."""
    for key, value in condition.items() if isinstance(condition, Mapping) else ():
        if str(key).lower() == "allof" and isinstance(value, list):
            found = (required_value(c, alias) for c in value)
            return next((f for f in found if f is not None), None)
    field_name, expected = lookup(condition, "field"), lookup(condition, "equals")
    if (isinstance(field_name, str) and field_name.lower() == alias.lower()
            and isinstance(expected, str) and not expected.startswith("[")):
        return expected
    return None


def template_extension(details: Mapping[object, object], env: Env, at: str,
                       os_name: str) -> tuple[str, str] | None:
    """(publisher, type) of the deployment template's extension resource for a machine of
    ``os_name`` (resources whose ``condition`` is false are skipped); None when it has none."""
    deployment = lookup(lookup(details, "deployment"), "properties")
    template = lookup(deployment, "template")
    machine = sample_machine(os_name)
    policy_scope = env.scope(f"{at}.deployment.properties.parameters", machine)
    parameters = _TemplateParameters(template, lookup(deployment, "parameters"), policy_scope)
    scope = Scope(parameters, f"{at}.deployment.properties.template",
                  variables=_mapping(lookup(template, "variables")))
    parameters.template_scope = scope
    for resource in _resources(template):
        if lookup(resource, "condition") is not MISSING and not resolve_value(
                lookup(resource, "condition"), scope):
            continue
        props = lookup(resource, "properties")
        publisher = resolve_value(lookup(props, "publisher"), scope)
        type_ = resolve_value(lookup(props, "type"), scope)
        if isinstance(publisher, str) and isinstance(type_, str):
            return publisher, type_
    return None


def _resources(template: object) -> Iterator[Mapping[object, object]]:
    resources = lookup(template, "resources")
    for resource in resources if isinstance(resources, list) else ():
        rtype = lookup(resource, "type")
        if isinstance(rtype, str) and rtype.lower() == EXTENSION_TYPE.lower():
            assert isinstance(resource, Mapping)
            yield resource


def _mapping(value: object) -> Mapping[str, object]:
    return {str(k): v for k, v in value.items()} if isinstance(value, Mapping) else {}


class _TemplateParameters(Mapping[str, object]):
    """A template's parameters, each evaluated when read: the value the policy passes
    (``deployment.properties.parameters.X.value``, evaluated for the machine in the policy's
    scope), else the template's ``defaultValue``, evaluated in :attr:`template_scope` (it may
    read the template's other parameters). Reading a parameter whose default refers back to
    itself raises :class:`PolicyDefinitionError` naming the cycle."""

    def __init__(self, template: object, given: object, policy_scope: Scope) -> None:
        declared = lookup(template, "parameters")
        self._names = {str(k).lower(): str(k) for k in _mapping(declared)}
        self._declared, self._given, self._scope = declared, given, policy_scope
        self._cache: dict[str, object] = {}
        self.template_scope = policy_scope
        """The template's scope, where defaults are evaluated (set once it is made)."""

    def __getitem__(self, key: str) -> object:
        if key not in self._names:
            raise KeyError(key)
        if key not in self._cache:
            self._cache[key] = self._read(key, self._names[key])
        return self._cache[key]

    def _read(self, key: str, name: str) -> object:
        given = lookup(lookup(self._given, name), "value")
        if given is not MISSING:
            return resolve_value(given, self._scope)
        at = f"{self.template_scope.at}.parameters.{name}.defaultValue"
        trail, label = self.template_scope.resolving, f"parameters('{key}')"
        problem = trail_problem(trail, label)
        if problem is not None:
            raise PolicyDefinitionError(f'{at}: parameter "{name}" {problem}')
        trail.append(label)
        try:
            return resolve_value(lookup(lookup(self._declared, name), "defaultValue"),
                                 replace(self.template_scope, at=at))
        finally:
            trail.pop()

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


__all__ = ["OS_NAMES", "RelatedExtension", "compile_related", "related_type", "required_value",
           "sample_machine", "template_extension"]
