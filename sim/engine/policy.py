"""Actors that change Azure Policy or act for it (R6b, R16, R26, R27).

* :class:`PolicyAdmin`: assign, remove, exempt, remove an exemption; Owner or Resource Policy
  Contributor only (R27). It changes the world's :class:`~sim.engine.gate.PolicyBook` (its
  gate, given when the world is made), which Azure consults before a machine sees a request.
* :class:`Remediation`: a DeployIfNotExists assignment re-requests a missing or Failed
  extension, periodically (R6b).
* :class:`SqlAutoDeploy`: Azure deploys the SQL Server extension where SQL Server runs (R6b).

:class:`~sim.engine.gate.PolicyRule` (what a policy definition says) is defined with the gate
and exported here too, as the rule these actors assign.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sim.engine.clock import schedule_each
from sim.engine.codes import REASON_CODE, RULE_CODE, Op, Outcome, Prov
from sim.engine.gate import Assignment, Exemption, PolicyBook, PolicyRule
from sim.engine.params import DAY, ParamError
from sim.engine.world import World
from sim.rules.identity import ExtensionId
from sim.rules.roles import POLICY_ROLES, check_role

__all__ = ["SQL_EXTENSIONS", "SQL_OPT_OUT", "PolicyAdmin", "PolicyRule", "Remediation",
           "SqlAutoDeploy", "book_of", "noncompliant"]


def book_of(world: World, who: str) -> PolicyBook:
    """The policy book ``world`` was made with (its gate).

    Raises:
        ParamError: the world's gate is not a :class:`PolicyBook`; ``who`` names the actor.
    """
    if not isinstance(world.gate, PolicyBook):
        raise ParamError(f"{who}: changes Azure Policy, but the world's gate is a "
                         f"{type(world.gate).__name__}, not a PolicyBook")
    return world.gate


def _policy_record(world: World, outcome: Outcome, reason: str, rule: str, actor: int) -> None:
    world.log.add(world.env.now, -1, -1, -1, Op.POLICY, outcome, REASON_CODE[reason],
                  RULE_CODE[rule], actor)


@dataclass
class PolicyAdmin:
    """Someone who changes Azure Policy at a time: ``assign``, ``unassign``, ``exempt`` or
    ``unexempt`` (R16, R26, R27). Only Owner and Resource Policy Contributor may."""

    name: str
    action: str
    assignment: str
    at: float = 0.0
    role: str = "owner"
    rule: PolicyRule | None = None
    scope: str | None = None
    category: str = "Waiver"
    expires_after: float | None = None

    def attach(self, world: World) -> None:
        """Register the actor; validate the action."""
        self.actor_id = world.actor(self.name)
        self.role = check_role(self.role, self.name)
        world.tables.actor_roles.setdefault(self.actor_id, self.role)  # who holds what (R27)
        if self.action not in ("assign", "unassign", "exempt", "unexempt"):
            raise ParamError(f'{self.name}: unknown policy action "{self.action}"; expected '
                             "assign, unassign, exempt or unexempt")
        if self.action == "assign" and self.rule is None:
            raise ParamError(f"{self.name}: assign needs a policy rule")
        if self.rule is not None:
            for ext in self.rule.deploys.values():
                world.extension(ext)
        if self.category not in ("Waiver", "Mitigated"):
            raise ParamError(f'{self.name}: exemption category must be Waiver or Mitigated, '
                             f'got "{self.category}"')
        book_of(world, self.name)

    def start(self, world: World) -> None:
        """Schedule the change."""
        world.at_fleet(max(0.0, self.at - world.env.now), lambda _e: self.act(world))

    def act(self, world: World) -> None:
        """Carry out the change, or record its refusal (R27)."""
        book = book_of(world, self.name)
        book.changed()
        if self.role not in POLICY_ROLES:
            _policy_record(world, Outcome.DENIED, "authorization_failed", "R27", self.actor_id)
            return
        if self.action == "assign":
            assert self.rule is not None
            book.assignments[self.assignment] = Assignment(self.assignment, self.rule, self.scope)
            _policy_record(world, Outcome.APPLIED, "assignment", "R26", self.actor_id)
        elif self.action == "unassign":
            self._unassign(world, book)
        elif self.action == "exempt":
            self._exempt(world, book)
        else:
            for ex in book.exemptions:
                if ex.assignment == self.assignment and ex.scope == self.scope:
                    ex.active = False
            _policy_record(world, Outcome.APPLIED, "exemption", "R26", self.actor_id)

    def _unassign(self, world: World, book: PolicyBook) -> None:
        a = book.assignments.get(self.assignment)
        if a is None or not a.active:
            _policy_record(world, Outcome.REFUSED, "assignment", "R26", self.actor_id)
            return
        a.active, a.removed_by = False, self.actor_id
        _policy_record(world, Outcome.APPLIED, "override" if a.rule.effect == "deny"
                       else "assignment", "R16", self.actor_id)

    def _exempt(self, world: World, book: PolicyBook) -> None:
        expires = None if self.expires_after is None else world.env.now + self.expires_after
        ex = Exemption(self.assignment, self.scope, self.category, self.actor_id, expires)
        book.exemptions.append(ex)
        # like a removal, an exemption overrides a protection only when it lifts a deny (R16)
        a = book.assignments.get(self.assignment)
        lifts = a is not None and a.rule.effect == "deny"
        _policy_record(world, Outcome.APPLIED, "override" if lifts else "exemption", "R16",
                       self.actor_id)
        if expires is not None:
            def expire(_e: object) -> None:
                ex.active = False
                book.changed()
                _policy_record(world, Outcome.STOPPED, "exemption", "R26", self.actor_id)
            world.at_fleet(expires - world.env.now, expire)


@dataclass
class Remediation:
    """DeployIfNotExists remediation (R6b): every ``period`` seconds from ``first``, re-request
    the deployed extension on in-scope machines of the right OS where it is missing or Failed.

    ``assignment`` names an assignment in the :class:`PolicyBook` whose rule is
    ``deployifnotexists``; it must be assigned by the time remediation runs (else it idles).
    """

    name: str
    assignment: str
    period: float = DAY
    first: float = DAY

    def attach(self, world: World) -> None:
        """Register the actor (it acts with the policy's managed identity: no role check)."""
        self.actor_id = world.actor(self.name)
        book_of(world, self.name)

    def start(self, world: World) -> None:
        """Schedule the first remediation round."""
        world.at_fleet(self.first, lambda _e: self.round(world))

    def round(self, world: World) -> None:
        """One remediation task: request the extension where non-compliant."""
        book = book_of(world, self.name)
        a = book.assignments.get(self.assignment)
        if a is not None and a.active and a.rule.effect == "deployifnotexists":
            for os_name, ext in a.rule.deploys.items():
                self._remediate(world, book, a, os_name, world.ext_index[
                    ExtensionId.parse(ext).key])
        world.at_fleet(self.period, lambda _e: self.round(world))

    def _requester(self, world: World, x: int) -> Callable[[int], None]:
        def request(m: int) -> None:
            world.request(m, x, Op.INSTALL, self.actor_id)
        return request

    def _remediate(self, world: World, book: PolicyBook, a: Assignment, os_name: str,
                   x: int) -> None:
        ids = noncompliant(world, x, os_name, failed=a.rule.remediates_failed)
        applies = a.rule.applies_to
        groups = [applies is None or applies(g) for g in world.fleet.groups]
        ids = [m for m in ids if groups[world.m_group[m]] and book.in_scope(world, a.scope, m)
               and book.exempt(world, a.name, m) is None]
        schedule_each(world.env, np.full(len(ids), world.env.now), ids, self._requester(world, x))


def noncompliant(world: World, x: int, os_name: str | None,
                 machines: npt.NDArray[np.intp] | None = None, *,
                 failed: bool = True) -> list[int]:
    """Machines (of ``os_name``) where Azure records no extension ``x`` (or a Failed one,
    unless ``failed`` is False) and no operation is under way (R6b). Azure's record decides,
    not the disk: an extension deleted in Azure while the manager was disabled is missing
    though still on the machine (R24); one removed locally that Azure still records as
    Succeeded is compliant (the resync puts it back, R6)."""
    n, e = world.n_machines, world.n_ext
    prov = np.frombuffer(world.s_prov, dtype=np.int8).reshape(n, e)[:, x]
    pend = np.frombuffer(world.s_pend, dtype=np.int8).reshape(n, e)[:, x]
    busy = np.frombuffer(world.s_busy, dtype=np.int8).reshape(n, e)[:, x]
    missing = prov == Prov.NONE
    if failed:
        missing |= prov == Prov.FAILED
    mask = missing & (pend == 0) & (busy == 0)
    if os_name is not None:
        group_os = np.array([g.os.lower() for g in world.fleet.groups])
        mask &= group_os[np.frombuffer(world.m_group, dtype=np.int16)] == os_name.lower()
    if machines is not None:
        keep = np.zeros(n, dtype=bool)
        keep[machines] = True
        mask &= keep
    found: list[int] = np.nonzero(mask)[0].tolist()
    return found


SQL_EXTENSIONS = {"windows": "Microsoft.AzureData/WindowsAgent.SqlServer",
                  "linux": "Microsoft.AzureData/LinuxAgent.SqlServer"}
SQL_OPT_OUT = ("ArcSQLServerExtensionDeployment", "Disabled")


@dataclass
class SqlAutoDeploy:
    """Azure deploys the SQL Server extension where SQL Server is found (R6b), unless the machine
    is tagged ``ArcSQLServerExtensionDeployment=Disabled``; every ``period`` from ``first``."""

    name: str = "sql_auto_deploy"
    period: float = DAY
    first: float = 3_600.0

    def attach(self, world: World) -> None:
        """Register the actor and the SQL Server extensions."""
        self.actor_id = world.actor(self.name)
        self.x = {os: world.extension(ext) for os, ext in SQL_EXTENSIONS.items()}

    def start(self, world: World) -> None:
        """Schedule the first round."""
        world.at_fleet(self.first, lambda _e: self.round(world))

    def round(self, world: World) -> None:
        """Request the extension on SQL Server machines where it is missing or Failed."""
        key, value = SQL_OPT_OUT
        for os_name, x in self.x.items():
            groups = [gi for gi, g in enumerate(world.fleet.groups) if g.sql_server and
                      g.os.lower() == os_name and g.tags.get(key, "").lower() != value.lower()]
            if not groups:
                continue
            members = np.isin(np.frombuffer(world.m_group, dtype=np.int16), groups)
            ids = noncompliant(world, x, os_name, np.nonzero(members)[0])
            schedule_each(world.env, np.full(len(ids), world.env.now), ids,
                          self._requester(world, x))
        world.at_fleet(self.period, lambda _e: self.round(world))

    def _requester(self, world: World, x: int) -> Callable[[int], None]:
        def request(m: int) -> None:
            world.request(m, x, Op.INSTALL, self.actor_id)
        return request
