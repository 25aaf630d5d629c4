"""Build a :class:`~sim.engine.World` from a validated :class:`~sim.scenario.schema.Scenario`.

Each part of the scenario maps onto the engine's plain inputs:

* ``params`` -> :class:`~sim.engine.EngineParams` (``"direct"`` stays unless redefined), whose
  readings of what the sources leave open are :func:`readings_of`;
* ``catalogue`` -> arcsim's catalogue with the scenario's entries (:func:`catalogue_of`);
* ``fleet`` -> :class:`~sim.engine.FleetSpec` (groups in order: machine ids group by group);
* ``policies`` -> :class:`~sim.engine.policy.PolicyAdmin` assignments at t=0 by
  ``policy_admin`` (Owner), plus a :class:`~sim.engine.policy.Remediation` per ``deploy``;
* ``timeline`` -> the actors of each entry (:func:`sim.scenario.timeline.actors_of`: the
  entry's action row in :data:`sim.scenario.timeline.ACTIONS` builds them).

Policies written as a definition file (``definition:`` + ``parameters:``, relative to the
scenario file) go through :data:`sim.scenario.policies.definition_loader`; a DeployIfNotExists
one that deploys an extension gets a remediation task as ``deploy`` does; a Modify on tags
changes the tags of the groups it matches before the run (:func:`modified_fleet`).
"""

from __future__ import annotations

from pathlib import Path

from sim.engine import (
    EngineParams,
    FleetSpec,
    GroupSpec,
    InstalledExtension,
    Outage,
    PathSpec,
    World,
)
from sim.rules.catalogue import BUILTIN, Catalogue, entry_for
from sim.rules.identity import ExtensionId
from sim.rules.readings import Readings
from sim.scenario import policies
from sim.scenario.policies import POLICY_ADMIN, policy_actors
from sim.scenario.policy_definitions import tag_modifier
from sim.scenario.policy_model import Policy
from sim.scenario.policy_views import property_paths
from sim.scenario.schema import Group, Params, Scenario
from sim.scenario.timeline import actors_of

__all__ = ["actors_of", "build_world", "catalogue_of", "fleet_of", "modified_fleet",
           "params_of", "readings_of"]


def build_world(scenario: Scenario, base: Path | None = None, *,
                world_class: type[World] = World) -> World:
    """A world with the scenario's fleet, parameters, policies and timeline actors added.

    ``base`` is the directory policy definition files are relative to (default: cwd);
    ``world_class`` another world with the same interface (the polling reference of the
    tests and benchmarks).
    """
    fleet = modified_fleet(fleet_of(scenario.fleet), scenario.policies, base)
    world = world_class(fleet, params_of(scenario.params), scenario.seed,
                        catalogue=catalogue_of(scenario))
    paths = property_paths(g.properties for g in fleet.groups)
    for policy in scenario.policies:
        for actor in policy_actors(policy, 0.0, POLICY_ADMIN, "Owner", base, paths):
            world.add(actor)
    for entry in scenario.timeline:
        for actor in actors_of(entry, scenario.duration, base, seed=scenario.seed,
                               scenario=scenario):
            world.add(actor)
    return world


def modified_fleet(fleet: FleetSpec, assigned: tuple[Policy, ...],
                   base: Path | None) -> FleetSpec:
    """The fleet as the ``definition:`` policies that Modify tags leave it (in their scope),
    applied in order before the run: the assignment is taken as remediated at the start."""
    paths = property_paths(g.properties for g in fleet.groups)
    groups = list(fleet.groups)
    for policy in assigned:
        modify = tag_modifier(policy, base, paths) if (
            policy.definition is not None and policies.definition_loader is not None) else None
        if modify is not None:
            groups = [modify(g) if policy.scope in (None, g.name) else g for g in groups]
    return FleetSpec(tuple(groups))


def params_of(params: Params) -> EngineParams:
    """The engine parameters of a scenario's ``params``."""
    paths = tuple(PathSpec(p.name, p.latency, float(p.bandwidth), p.capacity)
                  for p in params.paths)
    if "direct" not in {p.name for p in paths}:
        paths = (PathSpec(), *paths)
    return EngineParams(
        push_latency_s=params.push_latency, push_reachable=params.push_reachable,
        check_period_s=params.check_period, check_jitter_s=params.check_jitter,
        service_stop_s=params.service_stop, install_s=params.install, update_s=params.update,
        delete_s=params.delete, install_failure_p=params.install_failure_p,
        catalog_mismatch_p=params.catalog_mismatch_p,
        catalog_mismatch_extensions=params.catalog_mismatch_extensions,
        retry_refused_s=params.retry_refused, heartbeat_period_s=params.heartbeat_period,
        disconnected_after_s=params.disconnected_after, expire_after_s=params.expire_after,
        disabled_manager_requests=params.disabled_manager_requests,
        deny_refuses_automatic_upgrades=params.deny_refuses_automatic_upgrades,
        allow_none_before_1_35=params.allow_none_before_1_35,
        malformed_list_entry=params.malformed_list_entry, paths=paths)


def readings_of(params: Params) -> Readings:
    """The rules' readings a scenario's ``params`` choose (:mod:`sim.rules.readings`): those a
    world built from the scenario runs with."""
    return params_of(params).readings


def catalogue_of(scenario: Scenario) -> Catalogue:
    """arcsim's catalogue with the scenario's ``catalogue:`` entries (R2, R7, R24, R25)."""
    if not scenario.catalogue:
        return BUILTIN
    return BUILTIN.with_entries(entry_for(ExtensionId.parse(name), BUILTIN, **facts.changes())
                                for name, facts in scenario.catalogue.items())


def fleet_of(groups: tuple[Group, ...]) -> FleetSpec:
    """The engine's fleet from the scenario's groups."""
    return FleetSpec(tuple(GroupSpec(
        g.group, g.count, os=g.os, agent_versions=g.versions, region=g.region, path=g.path,
        extensions=tuple(InstalledExtension(e.name, e.version, e.settings, state=e.state,
                                            auto_upgrade=e.auto_upgrade)
                         for e in g.extensions),
        commands=g.commands, tags=dict(g.tags), sql_server=g.sql_server,
        outages=tuple(Outage(o.at, o.duration, o.share, o.offline_before) for o in g.outages),
        properties=dict(g.properties), push_reachable=g.push_reachable) for g in groups))
