"""A scenario's Azure Policy assignments as the engine's rules and actors (R6b, R16, R26).

``deny``, ``audit``, ``allow_only`` and ``deploy`` map onto :class:`PolicyRule`'s builders; a
``definition:`` file (relative to the scenario file) goes through :data:`definition_loader`,
:func:`sim.scenario.policy_definitions.load_rule`. An assignment is a
:class:`~sim.engine.policy.PolicyAdmin` ``assign`` at a time, plus a
:class:`~sim.engine.policy.Remediation` task for a DeployIfNotExists rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from sim.engine.params import DAY
from sim.engine.policy import PolicyAdmin, PolicyRule, Remediation
from sim.scenario.policy_definitions import load_rule
from sim.scenario.policy_model import Policy

DefinitionLoader = Callable[[Path, Mapping[str, Any], tuple[str, ...]], PolicyRule]
"""Reads an Azure Policy definition file with its parameters (and the machine property paths
the fleet gives, ``properties:``) into a :class:`PolicyRule`."""

definition_loader: DefinitionLoader | None = load_rule
"""Reads ``definition:`` policies; while None, such a policy is a validation error
(:mod:`sim.scenario.checks`)."""

POLICY_ADMIN = "policy_admin"
"""Who assigns the ``policies:`` in force at the start (role Owner)."""


def remediation_actor(policy: str) -> str:
    """The actor name of a DeployIfNotExists policy's remediation task (R6b)."""
    return f"{policy}-remediation"


def rule_of(policy: Policy, base: Path | None = None,
            machine_paths: tuple[str, ...] = ()) -> PolicyRule:
    """The engine's rule for a policy (R26): deny, audit, allow-only or DeployIfNotExists.

    Raises:
        PolicyDefinitionError: a definition file that cannot be used (see
            :func:`sim.scenario.policy_definitions.load_rule`).
    """
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
    return definition_loader((base or Path.cwd()) / policy.definition, policy.parameters or {},
                             machine_paths)


def policy_actors(policy: Policy, at: float, actor: str, role: str,
                  base: Path | None, machine_paths: tuple[str, ...] = ()) -> list[Any]:
    """The assignment of ``policy`` at ``at`` seconds by ``actor`` with ``role``, and its
    remediation task (first round ``remediation.first`` after ``at``, default a day) for
    DeployIfNotExists (one that deploys an extension)."""
    rule = rule_of(policy, base, machine_paths)
    out: list[Any] = [PolicyAdmin(actor, "assign", policy.name, at=at, role=role, rule=rule,
                                  scope=policy.scope)]
    if rule.effect == "deployifnotexists" and rule.deploys:
        every, first = ((policy.remediation.every, policy.remediation.first)
                        if policy.remediation is not None else (DAY, DAY))
        out.append(Remediation(remediation_actor(policy.name), policy.name, period=every,
                               first=at + first))
    return out
