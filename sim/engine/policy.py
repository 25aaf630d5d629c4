"""Azure's side of the rules: Azure Policy at request time, remediation (R6b, R16, R26, R27).

* :class:`PolicyRule` is what the engine needs from a policy definition: its effect, whether an
  extension request matches its ``if`` condition, and for ``DeployIfNotExists`` which extension
  it deploys (per OS). Rules are built from simple lists (:meth:`PolicyRule.deny_listed` ...) or
  from a real definition file (:mod:`sim.scenario.policy_definitions`).
* :class:`PolicyBook` holds the assignments and exemptions of a run and is the world's
  ``cloud_gate`` (deny R26 and authorization R27 before the machine sees a request) and
  ``override_probe`` (a request that is not denied only because an assignment was removed or
  an exemption added is an override, R16).
* Actors: :class:`PolicyAdmin` (assign, remove, exempt; Owner or Resource Policy Contributor
  only), :class:`Remediation` (DeployIfNotExists re-requests a missing or Failed extension,
  periodically, R6b), :class:`SqlAutoDeploy` (R6b).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

import numpy as np
import numpy.typing as npt

from sim.engine.clock import schedule_each
from sim.engine.codes import REASON_CODE, RULE_CODE, Op, Outcome, Prov
from sim.engine.fleet import GroupSpec
from sim.engine.params import DAY, ParamError
from sim.engine.state import FleetState
from sim.engine.world import World
from sim.rules.identity import ExtensionId
from sim.rules.roles import EXTENSION_ROLES, POLICY_ROLES, check_role

_DELETE = int(Op.DELETE)  # a plain int: cheaper to compare than the IntEnum member
_UNKNOWN = object()
"""Not yet evaluated (a cached evaluation may be None)."""


@dataclass(frozen=True)
class PolicyRule:
    """An Azure Policy definition as the engine uses it."""

    effect: str
    """``deny``, ``audit``, ``disabled`` or ``deployifnotexists`` (lower case)."""
    matches: Callable[[ExtensionId], bool] = field(compare=False)
    """Whether a request to write this extension matches the rule's ``if`` condition."""
    deploys: Mapping[str, str] = field(default_factory=dict)
    """DeployIfNotExists: OS (``windows``/``linux``) -> the extension it deploys."""
    name: str = ""
    matches_in: Callable[[ExtensionId, GroupSpec], bool] | None = field(default=None,
                                                                        compare=False)
    """When set, used instead of :attr:`matches`: the condition also reads the machine (its
    region), so whether a write of the extension matches depends on the machine's group."""
    applies_to: Callable[[GroupSpec], bool] | None = field(default=None, compare=False)
    """DeployIfNotExists: whether the ``if`` condition holds for the group's machines (OS,
    region, tags); None: every machine of a :attr:`deploys` OS."""
    remediates_failed: bool = True
    """DeployIfNotExists: a Failed extension is non-compliant and requested again (R6b); False
    when the existence condition does not require Succeeded."""

    @staticmethod
    def deny_listed(names: Sequence[str], effect: str = "deny") -> PolicyRule:
        """Deny (or audit) the listed extensions; ``*`` wildcards like Azure's ``like``."""
        patterns = [n.lower() for n in names]
        return PolicyRule(effect.lower(), lambda e: any(fnmatchcase(e.key, p) for p in patterns),
                          name=f"{effect} listed extensions")

    @staticmethod
    def allow_only_listed(names: Sequence[str], effect: str = "deny") -> PolicyRule:
        """Deny every extension that is not listed (an "approved extensions" policy, R26)."""
        patterns = [n.lower() for n in names]
        return PolicyRule(effect.lower(),
                          lambda e: not any(fnmatchcase(e.key, p) for p in patterns),
                          name="approved extensions only")

    @staticmethod
    def deploy_if_not_exists(by_os: Mapping[str, str]) -> PolicyRule:
        """Deploy the given extension (per OS) where it is missing or Failed (R6b)."""
        return PolicyRule("deployifnotexists", lambda e: False, dict(by_os),
                          name="deploy " + ", ".join(by_os.values()))


@dataclass
class Assignment:
    """A policy assignment at a scope (a group, or the whole fleet when ``scope`` is None)."""

    name: str
    rule: PolicyRule
    scope: str | None = None
    active: bool = True
    removed_by: int | None = None


@dataclass
class Exemption:
    """An exemption (Waiver or Mitigated) of one assignment at a scope, optionally expiring."""

    assignment: str
    scope: str | None
    category: str
    created_by: int
    expires_at: float | None = None
    active: bool = True


class PolicyBook:
    """The run's assignments and exemptions; the world's cloud gate (R26, R27)."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.assignments: dict[str, Assignment] = {}
        self.exemptions: list[Exemption] = []
        self._match: dict[tuple[str, int, int], bool] = {}
        self._gates: dict[tuple[int, int, bool, int], tuple[tuple[str, str] | None, bool]] = {}
        self._probes: dict[tuple[int, int], int | None] = {}
        world.cloud_gate = self.gate
        world.override_probe = self.probe

    @staticmethod
    def of(world: World) -> PolicyBook:
        """The world's policy book (created on first use)."""
        book = getattr(world, "policy_book", None)
        if book is None:
            book = PolicyBook(world)
            world.policy_book = book  # type: ignore[attr-defined]
        return book

    def in_scope(self, scope: str | None, m: int) -> bool:
        """True when machine ``m`` is in ``scope`` (a group name, or None = fleet)."""
        return scope is None or self.world.group_names[self.world.m_group[m]] == scope

    def exempt(self, assignment: str, m: int) -> Exemption | None:
        """The active exemption of ``assignment`` covering machine ``m``, if any."""
        for ex in self.exemptions:
            if ex.active and ex.assignment == assignment and self.in_scope(ex.scope, m):
                return ex
        return None

    def matches(self, a: Assignment, x: int, m: int) -> bool:
        """Whether ``a``'s rule matches a write of extension ``x`` on machine ``m`` (cached per
        extension, and per group when the rule reads the machine)."""
        g = -1 if a.rule.matches_in is None else self.world.m_group[m]
        key = (a.name, x, g)
        hit = self._match.get(key)
        if hit is None:
            ext = self.world.ext_ids[x]
            hit = self._match[key] = (a.rule.matches(ext) if a.rule.matches_in is None else
                                      a.rule.matches_in(ext, self.world.fleet.groups[g]))
        return hit

    def changed(self) -> None:
        """Forget cached evaluations: an assignment or exemption changed."""
        self._gates.clear()
        self._probes.clear()

    def gate(self, w: FleetState, m: int, x: int, op: Op, actor: int) -> tuple[str, str] | None:
        """Refusal of a request in Azure, before the machine sees it, or None (R26, R27).

        Evaluations depend only on the machine's group, the extension, whether it is a delete
        and the actor; they are cached until policy changes (:meth:`changed`)."""
        key = (w.m_group[m], x, op == _DELETE, actor)
        cached = self._gates.get(key)
        if cached is None:
            cached = self._gates[key] = self._evaluate(w, m, x, op, actor)
        refusal, audit = cached
        if audit:
            w.log.add(w.env.now, m + w.offset, w.m_group[m], x, op, Outcome.AUDITED,
                      REASON_CODE["policy_audit"], RULE_CODE["R26"], actor)
        return refusal

    def _evaluate(self, w: FleetState, m: int, x: int, op: Op,
                  actor: int) -> tuple[tuple[str, str] | None, bool]:
        role = w.tables.actor_roles.get(actor)
        if role is not None and role not in EXTENSION_ROLES:
            return ("authorization_failed", "R27"), False
        if op == Op.DELETE:
            return None, False
        audit = False
        for a in self.assignments.values():
            if not (a.active and self.in_scope(a.scope, m) and self.matches(a, x, m)):
                continue
            if self.exempt(a.name, m) is not None:
                continue
            if a.rule.effect == "deny":
                return ("policy_deny", "R26"), False
            audit = audit or a.rule.effect == "audit"
        return None, audit

    def probe(self, w: FleetState, m: int, x: int, op: Op) -> int | None:
        """The actor whose removal or exemption is the only reason this request passed (R16);
        cached per (group, extension) until policy changes."""
        key = (w.m_group[m], x)
        found = self._probes.get(key, _UNKNOWN)
        if found is _UNKNOWN:
            found = self._probes[key] = self._lifted_by(m, x)
        return found  # type: ignore[return-value]

    def _lifted_by(self, m: int, x: int) -> int | None:
        for a in self.assignments.values():
            if (a.rule.effect != "deny" or not self.in_scope(a.scope, m)
                    or not self.matches(a, x, m)):
                continue
            if not a.active and a.removed_by is not None:
                return a.removed_by
            ex = self.exempt(a.name, m)
            if a.active and ex is not None:
                return ex.created_by
        return None


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
        PolicyBook.of(world)

    def start(self, world: World) -> None:
        """Schedule the change."""
        world.at_fleet(max(0.0, self.at - world.env.now), lambda _e: self.act(world))

    def act(self, world: World) -> None:
        """Carry out the change, or record its refusal (R27)."""
        book = PolicyBook.of(world)
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
        PolicyBook.of(world)

    def start(self, world: World) -> None:
        """Schedule the first remediation round."""
        world.at_fleet(self.first, lambda _e: self.round(world))

    def round(self, world: World) -> None:
        """One remediation task: request the extension where non-compliant."""
        book = PolicyBook.of(world)
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
        ids = [m for m in ids if groups[world.m_group[m]] and book.in_scope(a.scope, m)
               and book.exempt(a.name, m) is None]
        schedule_each(world.env, np.full(len(ids), world.env.now), ids, self._requester(world, x))


def noncompliant(world: World, x: int, os_name: str | None,
                 machines: npt.NDArray[np.intp] | None = None, *,
                 failed: bool = True) -> list[int]:
    """Machines (of ``os_name``) where extension ``x`` is missing (or Failed, unless ``failed``
    is False) and no operation is under way (R6b)."""
    n, e = world.n_machines, world.n_ext
    want = np.frombuffer(world.s_want, dtype=np.int16).reshape(n, e)[:, x]
    inst = np.frombuffer(world.s_inst, dtype=np.int16).reshape(n, e)[:, x]
    prov = np.frombuffer(world.s_prov, dtype=np.int8).reshape(n, e)[:, x]
    pend = np.frombuffer(world.s_pend, dtype=np.int8).reshape(n, e)[:, x]
    busy = np.frombuffer(world.s_busy, dtype=np.int8).reshape(n, e)[:, x]
    missing = (want < 0) & (inst < 0)
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
