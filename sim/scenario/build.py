"""Build a :class:`~sim.engine.World` from a validated :class:`~sim.scenario.schema.Scenario`.

Each part of the scenario maps onto the engine's plain inputs:

* ``params`` -> :class:`~sim.engine.EngineParams` (``"direct"`` stays unless redefined);
* ``fleet`` -> :class:`~sim.engine.FleetSpec` (groups in order: machine ids group by group);
* ``policies`` -> :class:`~sim.engine.policy.PolicyAdmin` assignments at t=0 by
  ``policy_admin`` (Owner), plus a :class:`~sim.engine.policy.Remediation` per ``deploy``;
* ``timeline`` -> one actor per entry (:func:`actors_of`).

Policies written as a definition file (``definition:`` + ``parameters:``, relative to the
scenario file) go through :data:`definition_loader`:
:func:`sim.scenario.policy_definitions.load_rule`; a DeployIfNotExists one gets a remediation
task as ``deploy`` does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from sim.engine import (
    CloudRequest,
    EngineParams,
    FleetSpec,
    GroupSpec,
    InstalledExtension,
    LocalCommands,
    LocalRemoval,
    Outage,
    PathSpec,
    Target,
    Timing,
    World,
)
from sim.engine.actors import Actor, GuestConfigTamper
from sim.engine.policy import PolicyAdmin, PolicyRule, Remediation, SqlAutoDeploy
from sim.engine.upgrades import AgentUpdate, AutoUpgrade, MonitorListUpdate
from sim.scenario.policy_definitions import load_rule
from sim.scenario.schema import Group, Params, Policy, Scenario, TimelineEntry
from sim.scenario.timeline import POLICY_ADMIN, actor_of, remediation_actor

DefinitionLoader = Callable[[Path, Mapping[str, Any]], PolicyRule]
"""Reads an Azure Policy definition file with its parameters into a :class:`PolicyRule`."""

definition_loader: DefinitionLoader | None = load_rule
"""Reads ``definition:`` policies; while None, such a policy is a validation error
(:mod:`sim.scenario.checks`)."""


def build_world(scenario: Scenario, base: Path | None = None, *,
                world_class: type[World] = World) -> World:
    """A world with the scenario's fleet, parameters, policies and timeline actors added.

    ``base`` is the directory policy definition files are relative to (default: cwd);
    ``world_class`` another world with the same interface (the polling reference of the
    tests and benchmarks).
    """
    world = world_class(fleet_of(scenario.fleet), params_of(scenario.params), scenario.seed)
    for policy in scenario.policies:
        for actor in policy_actors(policy, 0.0, POLICY_ADMIN, "Owner", base):
            world.add(actor)
    for entry in scenario.timeline:
        for actor in actors_of(entry, scenario.duration, base):
            world.add(actor)
    return world


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
        retry_refused_s=params.retry_refused,
        disconnected_after_s=params.disconnected_after, expire_after_s=params.expire_after,
        paths=paths)


def fleet_of(groups: tuple[Group, ...]) -> FleetSpec:
    """The engine's fleet from the scenario's groups."""
    return FleetSpec(tuple(GroupSpec(
        g.group, g.count, os=g.os, agent_versions=g.versions, region=g.region, path=g.path,
        extensions=tuple(InstalledExtension(e.name, e.version, e.settings) for e in g.extensions),
        commands=g.commands, tags=dict(g.tags), sql_server=g.sql_server,
        outages=tuple(Outage(o.at, o.duration, o.share) for o in g.outages)) for g in groups))


def rule_of(policy: Policy, base: Path | None = None) -> PolicyRule:
    """The engine's rule for a policy (R26): deny, audit, allow-only or DeployIfNotExists."""
    if policy.deny is not None:
        return PolicyRule.deny_listed(policy.deny)
    if policy.audit is not None:
        return PolicyRule.deny_listed(policy.audit, effect="audit")
    if policy.allow_only is not None:
        return PolicyRule.allow_only_listed(policy.allow_only)
    if policy.deploy is not None:
        by_os = {"windows": policy.deploy.windows, "linux": policy.deploy.linux}
        return PolicyRule.deploy_if_not_exists({k: v for k, v in by_os.items() if v})
    if definition_loader is None or policy.definition is None:
        raise NotImplementedError("policy definition files are not supported yet")
    return definition_loader((base or Path.cwd()) / policy.definition, policy.parameters or {})


def policy_actors(policy: Policy, at: float, actor: str, role: str,
                  base: Path | None) -> list[Any]:
    """The assignment of ``policy`` at ``at``, and its remediation task for DeployIfNotExists."""
    rule = rule_of(policy, base)
    out: list[Any] = [PolicyAdmin(actor, "assign", policy.name, at=at, role=role, rule=rule,
                                  scope=policy.scope)]
    if rule.effect == "deployifnotexists":
        every, first = ((policy.remediation.every, policy.remediation.first)
                        if policy.remediation is not None else (86_400.0, 86_400.0))
        out.append(Remediation(remediation_actor(policy.name), policy.name, period=every,
                               first=at + first))
    return out


def _target(entry: TimelineEntry) -> Target:
    t = entry.target
    return Target() if t is None else Target(t.group, t.share, tuple(t.machines))


def _timing(entry: TimelineEntry, duration: float) -> Timing:
    if entry.rate is not None:
        until = entry.until if entry.until is not None else duration
        return Timing(at=entry.at, rate=entry.rate, until=until)
    return Timing(at=entry.at, window=entry.window)


def actors_of(entry: TimelineEntry, duration: float, base: Path | None = None) -> list[Any]:
    """The engine actor(s) that carry out one timeline entry."""
    action, name = entry.action, actor_of(entry.action, entry.actor)
    role = entry.role or "Owner"
    if action in ("assign", "unassign", "exempt", "unexempt"):
        return _policy_change(entry, name, role, base)
    if action == "auto_upgrade":
        u = entry.auto_upgrade
        assert u is not None
        return [AutoUpgrade(u.extension, u.version, at=entry.at, critical=u.critical,
                            window=u.window, batches=u.batches, batch_spread=u.batch_spread,
                            retry_s=u.retry, max_retries=u.max_retries,
                            restore_failure_p=u.restore_failure_p, name=name)]
    if action == "sql_auto_deploy":
        s = entry.sql_auto_deploy
        assert s is not None
        return [SqlAutoDeploy(name, period=s.every, first=s.first)]
    return [_machine_actor(entry, action, name, role, duration)]


def _machine_actor(entry: TimelineEntry, action: str, name: str, role: str,
                   duration: float) -> Actor:
    """Actors that act on target machines at a time, over a window or at a rate."""
    common: dict[str, Any] = {"name": name, "target": _target(entry),
                              "timing": _timing(entry, duration), "coverage": entry.coverage}
    if action == "run":
        return LocalCommands(**common, commands=entry.run or (), override=bool(entry.override))
    if action == "guest_config":
        return GuestConfigTamper(**common, commands=entry.guest_config or (),
                                 override=entry.override is not False)
    if action == "remove_locally":
        removed = None if entry.remove_locally == "all" else entry.remove_locally
        return LocalRemoval(**common, extension=removed)
    if action == "agent_update":
        return AgentUpdate(**common, version=str(entry.agent_update))
    if action == "monitor_list":
        m = entry.monitor_list
        assert m is not None
        return MonitorListUpdate(**common, add_extensions=m.add, remove_extensions=m.remove)
    extension = getattr(entry, action)
    return CloudRequest(**common, operation=action, extension=extension, version=entry.version,
                        settings=entry.settings, protected_settings=entry.protected_settings,
                        role=role, override=bool(entry.override))


def _policy_change(entry: TimelineEntry, name: str, role: str,
                   base: Path | None) -> list[Any]:
    if entry.assign is not None:
        return policy_actors(entry.assign, entry.at, name, role, base)
    if entry.unassign is not None:
        return [PolicyAdmin(name, "unassign", entry.unassign, at=entry.at, role=role)]
    if entry.exempt is not None:
        e = entry.exempt
        return [PolicyAdmin(name, "exempt", e.assignment, at=entry.at, role=role,
                            scope=e.scope, category=e.category, expires_after=e.expires_after)]
    assert entry.unexempt is not None
    return [PolicyAdmin(name, "unexempt", entry.unexempt.assignment, at=entry.at, role=role,
                        scope=entry.unexempt.scope)]
