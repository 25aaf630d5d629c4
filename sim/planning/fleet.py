"""The fleet a plan is made for: a scenario's, a fleet file's, or an Azure export's.

:func:`load_fleet` reads any of them with the scenario layer's own loading (located errors,
the same groups a run builds) into a :class:`PlanFleet`: the groups, the machines' names when
the export gives them, and what a scenario adds (its ``policies:`` in force at the start, the
extensions its timeline and policies request, who holds which Azure role, R27, and, as the
world a run builds has them, its ``catalogue:`` entries and the readings its ``params``
choose; other fleets have arcsim's catalogue and the default readings):

* a scenario file, or a shipped scenario's name (``default``);
* a fleet file written by ``arcsim import`` (a YAML file whose only key is ``fleet``);
* one or more inventory exports (JSON or Resource Graph CSV, any mix), imported as
  ``arcsim import`` does; what the import cannot take as it is becomes an
  :class:`~sim.scenario.inventory.scenario_fleet.ImportedFleetWarning`.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from sim.engine.fleet import GroupSpec
from sim.engine.gate import PolicyRule
from sim.errors import ArcsimError
from sim.rules.catalogue import BUILTIN, Catalogue
from sim.rules.identity import ExtensionId
from sim.rules.readings import DEFAULT_READINGS, Readings
from sim.rules.roles import check_role
from sim.scenario import library
from sim.scenario.action import EntryBase
from sim.scenario.build import catalogue_of, fleet_of, modified_fleet, readings_of
from sim.scenario.inventory import convert_inventory, load_inventory
from sim.scenario.inventory.scenario_fleet import FLEET_FILE_SUFFIXES, ImportedFleetWarning
from sim.scenario.loading import scenario_from_document
from sim.scenario.policies import POLICY_ADMIN, rule_of
from sim.scenario.policy_views import property_paths
from sim.scenario.schema import Group, Scenario
from sim.scenario.source import load_yaml_file, validate_document
from sim.scenario.timeline import ACTIONS, actor_of
from sim.scenario.values import Model

FleetSource = Scenario | str | os.PathLike[str] | Sequence[str | os.PathLike[str]]
"""A scenario (object, file or shipped name), a fleet file, or inventory export files."""


class PlanError(ArcsimError):
    """Input a plan cannot use; the message names the argument or file and what is wrong."""


@dataclass(frozen=True)
class PolicyInForce:
    """An Azure Policy assignment in force when the lockdown is in place (R26)."""

    name: str
    rule: PolicyRule
    scope: str | None = None
    """A fleet group's name; None: the whole fleet."""

    def denies(self, extension: ExtensionId, group: GroupSpec) -> bool:
        """True when this assignment refuses a write of ``extension`` on ``group``'s machines."""
        if self.rule.effect != "deny" or self.scope not in (None, group.name):
            return False
        if self.rule.matches_in is not None:
            return self.rule.matches_in(extension, group)
        return self.rule.matches(extension)


@dataclass(frozen=True)
class PlanFleet:
    """A fleet ready to plan for (see the module docstring)."""

    groups: tuple[GroupSpec, ...]
    source: str
    """What it was read from, for messages and outputs."""
    seed: int = 0
    """The seed that decides which machine of a mixed group runs which agent version."""
    names: Mapping[str, tuple[str, ...]] | None = None
    """Group -> its machines' names, in order (exports); None: ``machine-<id>``."""
    policies: tuple[PolicyInForce, ...] = ()
    requests: Mapping[str, tuple[ExtensionId, ...]] = field(default_factory=dict)
    """Group -> extensions the scenario requests on its machines (install, DINE, SQL)."""
    actors: tuple[tuple[str, str], ...] = ()
    """(actor, Azure role in lower case) of the scenario's actors in Azure (R27)."""
    catalogue: Catalogue = BUILTIN
    """What is known of each extension: a scenario's ``catalogue:`` entries on arcsim's."""
    readings: Readings = DEFAULT_READINGS
    """How the rules read what the sources leave open: a scenario's ``params`` choose."""


_Found = dict[str, dict[ExtensionId, None]]
"""Group -> the extensions requested on its machines, in the order first asked for."""


class _FleetFile(Model):
    fleet: tuple[Group, ...]


def load_fleet(source: FleetSource, *, seed: int | None = None) -> PlanFleet:
    """The fleet of ``source`` (see the module docstring); ``seed`` replaces a scenario's.

    Raises:
        ScenarioError: a scenario or fleet file that is invalid (located).
        InventoryError: an export that cannot be read (located).
        PlanError: no file given, or a scenario or fleet file given with other files.
    """
    if isinstance(source, Scenario):
        return _from_scenario(source, None, seed)
    files = [source] if isinstance(source, str | os.PathLike) else list(source)
    if not files:
        raise PlanError("--fleet: give a scenario, a fleet file or inventory export files")
    texts = [os.fspath(f) for f in files]
    yaml_files = [t for t in texts if Path(t).suffix.lower() in FLEET_FILE_SUFFIXES]
    if len(texts) == 1 and (yaml_files or not os.path.exists(texts[0])):
        return _from_yaml(library.resolve(texts[0]), seed, texts[0])
    if yaml_files:
        raise PlanError(f"--fleet {yaml_files[0]}: a scenario or fleet file is read alone, "
                        "without other files")
    return _from_exports(texts, seed)


def _from_yaml(path: Path, seed: int | None, label: str) -> PlanFleet:
    """A fleet file's groups, or a scenario's fleet; ``label`` is the name as given."""
    doc = load_yaml_file(path)
    data = doc.data
    if "fleet" in data and not {"name", "duration"} & set(data):
        groups = validate_document(doc, _FleetFile).fleet
        return PlanFleet(fleet_of(groups).groups, label, seed or 0)
    return _from_scenario(scenario_from_document(doc), path, seed, label)


def _from_exports(files: list[str], seed: int | None) -> PlanFleet:
    inventory = load_inventory(*files)
    result = convert_inventory(inventory)
    for note in (*map(str, inventory.warnings), *result.warnings):
        warnings.warn(f"--fleet {', '.join(files)}: {note}", ImportedFleetWarning,
                      stacklevel=3)
    return PlanFleet(result.fleet.groups, ", ".join(files), seed or 0, names=result.members)


def _from_scenario(scenario: Scenario, path: Path | None, seed: int | None,
                   label: str | None = None) -> PlanFleet:
    base = path.parent if path is not None else None
    groups = modified_fleet(fleet_of(scenario.fleet), scenario.policies, base).groups
    paths = property_paths(g.properties for g in groups)
    policies = tuple(PolicyInForce(p.name, rule_of(p, base, paths), p.scope)
                     for p in scenario.policies)
    assigned = tuple(PolicyInForce(policy.name, rule_of(policy, base, paths), policy.scope)
                     for e in scenario.timeline
                     if (policy := ACTIONS[e.action].assigns(e.value)) is not None)
    requests = _requests(scenario, groups)
    _add_deployments(requests, groups, policies + assigned)
    return PlanFleet(groups, label or f"<scenario {scenario.name}>",
                     scenario.seed if seed is None else seed, policies=policies,
                     requests=_tuples(requests), actors=_actors(scenario),
                     catalogue=catalogue_of(scenario), readings=readings_of(scenario.params))


def machine_paths(fleet: PlanFleet) -> tuple[str, ...]:
    """The machine property paths ``fleet``'s groups give (``properties:``), for definitions
    that read them (:func:`sim.scenario.policy_definitions.load_rule`)."""
    return property_paths(g.properties for g in fleet.groups)


def with_policies(fleet: PlanFleet, policies: Sequence[PolicyInForce]) -> PlanFleet:
    """``fleet`` with ``policies`` assigned too, as a scenario's ``policies:`` are: in force
    when the lockdown is, and their DeployIfNotExists deployments requested on the machines
    they apply to."""
    requests: _Found = {g.name: dict.fromkeys(fleet.requests.get(g.name, ()))
                        for g in fleet.groups}
    _add_deployments(requests, fleet.groups, policies)
    return replace(fleet, policies=fleet.policies + tuple(policies),
                   requests=_tuples(requests))


def _actors(scenario: Scenario) -> tuple[tuple[str, str], ...]:
    """The scenario's actors that act with an Azure role (R27: cloud requests and policy
    changes, their role Owner unless the entry says otherwise), and ``policy_admin`` (Owner),
    who assigns its ``policies:``."""
    found: dict[str, str] = {}
    if scenario.policies:
        found[POLICY_ADMIN] = "owner"
    for entry in scenario.timeline:
        if ACTIONS[entry.action].role:
            name = actor_of(entry.action, entry.actor)
            found.setdefault(name, check_role(entry.role or "Owner", name))
    return tuple(found.items())


_REQUESTS = ("install", "update", "upgrade")
"""Timeline actions that ask Azure to write an extension on machines."""


def _requests(scenario: Scenario, groups: tuple[GroupSpec, ...]) -> _Found:
    """Group -> extensions the scenario's timeline asks for on its machines."""
    found: _Found = {g.name: {} for g in groups}
    for entry in scenario.timeline:
        if entry.action in _REQUESTS:
            ext = ExtensionId.parse(entry.value)
            for name in _targeted(entry, groups):
                found[name].setdefault(ext, None)
        if entry.action == "sql_auto_deploy":
            _add_sql(found, groups)
    return found


def _add_deployments(found: _Found, groups: tuple[GroupSpec, ...],
                     policies: Sequence[PolicyInForce]) -> None:
    """Add to ``found`` what each DeployIfNotExists policy deploys on the groups in its scope
    that it applies to (R6b, R26)."""
    for policy in policies:
        rule = policy.rule
        for group in groups:
            deployed = rule.deploys.get(group.os.lower())
            if (deployed and policy.scope in (None, group.name)
                    and (rule.applies_to is None or rule.applies_to(group))):
                found[group.name].setdefault(ExtensionId.parse(deployed), None)


def _tuples(found: _Found) -> dict[str, tuple[ExtensionId, ...]]:
    return {name: tuple(exts) for name, exts in found.items() if exts}


def _targeted(entry: EntryBase, groups: tuple[GroupSpec, ...]) -> list[str]:
    """The groups an entry's target reaches (some of their machines, at least)."""
    target = entry.target
    if target is None or (target.group is None and not target.machines):
        return [g.name for g in groups]
    if target.group is not None:
        return [target.group]
    hit, first = [], 0
    for group in groups:
        if any(first <= m < first + group.count for m in target.machines):
            hit.append(group.name)
        first += group.count
    return hit


def _add_sql(found: dict[str, dict[ExtensionId, None]], groups: tuple[GroupSpec, ...]) -> None:
    """The SQL Server extension where SQL Server runs and the opt-out tag is absent (R6b)."""
    from sim.engine.policy import SQL_EXTENSIONS, SQL_OPT_OUT

    key, value = SQL_OPT_OUT
    for group in groups:
        if group.sql_server and group.tags.get(key, "").lower() != value.lower():
            ext = SQL_EXTENSIONS.get(group.os.lower())
            if ext:
                found[group.name].setdefault(ExtensionId.parse(ext), None)


__all__ = ["FleetSource", "PlanError", "PlanFleet", "PolicyInForce", "load_fleet",
           "machine_paths", "with_policies"]
