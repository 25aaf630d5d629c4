"""Azure's gate on extension requests: Azure Policy and roles (R16, R26, R27).

Azure evaluates a request before the machine sees it: a role that may not write extensions is
refused (``AuthorizationFailed``, R27), a ``Deny`` assignment that matches refuses it
(``RequestDisallowedByPolicy``, R26), an ``Audit`` one records it. A request that passes only
because a deny assignment was removed or exempted is an override (R16).

* :class:`PolicyRule` is what the engine needs from a policy definition: its effect, whether an
  extension request matches its ``if`` condition, and for ``DeployIfNotExists`` which extension
  it deploys (per OS). Rules are built from simple lists (:meth:`PolicyRule.deny_listed` ...) or
  from a real definition file (:mod:`sim.scenario.policy_definitions`).
* :class:`PolicyBook` holds a world's assignments and exemptions and is its
  :class:`~sim.engine.state.CloudGate`, given when the world is made
  (``World(..., gate=...)``, a new book by default). The actors that change it are in
  :mod:`sim.engine.policy`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from sim.engine.codes import REASON_CODE, RULE_CODE, Op, Outcome
from sim.engine.fleet import GroupSpec
from sim.engine.state import FleetState
from sim.rules.identity import ExtensionId
from sim.rules.roles import EXTENSION_ROLES

_DELETE, _UPGRADE = int(Op.DELETE), int(Op.UPGRADE)  # plain ints: cheaper than IntEnum members
_AUTHORIZATION_FAILED = ("authorization_failed", "R27")
_UNKNOWN = -1
"""Not yet evaluated (actor indices are >= 0; a cached evaluation may be None)."""


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


def writes_extension(w: FleetState, op: int, actor: int) -> bool:
    """Whether Azure Policy evaluates this request as a write of the extension (R26): an
    automatic upgrade is a POST action (``upgradeExtensions/action``, R29), which a Deny or an
    Audit does not evaluate unless ``params.deny_refuses_automatic_upgrades`` (**[param]**,
    default false)."""
    return not (op == _UPGRADE and actor in w.tables.upgrade_actors
                and not w.params.deny_refuses_automatic_upgrades)


class PolicyBook:
    """A world's assignments and exemptions, and its gate (a :class:`CloudGate`: R16, R26,
    R27). A new book is empty: every request passes unless an actor's role forbids it.

    Evaluations are cached per machine group, extension and actor until policy changes
    (:meth:`changed`); a book belongs to one world (give each world its own).
    """

    def __init__(self) -> None:
        self.assignments: dict[str, Assignment] = {}
        """Assignments by name (removed ones stay, inactive, with who removed them)."""
        self.exemptions: list[Exemption] = []
        self._match: dict[tuple[str, int, int], bool] = {}
        self._gates: dict[tuple[int, int, int, int], tuple[tuple[str, str] | None, bool]] = {}
        self._probes: dict[tuple[int, int], int | None] = {}

    def in_scope(self, w: FleetState, scope: str | None, m: int) -> bool:
        """True when machine ``m`` is in ``scope`` (a group name, or None = fleet)."""
        return _covers(w, scope, w.m_group[m])

    def exempt(self, w: FleetState, assignment: str, m: int) -> Exemption | None:
        """The active exemption of ``assignment`` covering machine ``m``, if any."""
        return self._exemption(w, assignment, w.m_group[m])

    def _exemption(self, w: FleetState, assignment: str, g: int) -> Exemption | None:
        """The active exemption of ``assignment`` covering the machines of group ``g``."""
        for ex in self.exemptions:
            if ex.active and ex.assignment == assignment and _covers(w, ex.scope, g):
                return ex
        return None

    def matches(self, w: FleetState, a: Assignment, x: int, m: int) -> bool:
        """Whether ``a``'s rule matches a write of extension ``x`` on machine ``m`` (cached per
        extension, and per group when the rule reads the machine)."""
        g = -1 if a.rule.matches_in is None else w.m_group[m]
        key = (a.name, x, g)
        hit = self._match.get(key)
        if hit is None:
            hit = self._match[key] = _rule_matches(w, a.rule, w.tables.ext_ids[x], g)
        return hit

    def denies(self, w: FleetState, g: int, ext: ExtensionId) -> bool:
        """Whether a ``Deny`` assignment in force now refuses a write of ``ext`` on the
        machines of group ``g`` (R26): active, scoped to the fleet or the group, matching,
        and not exempted there. ``ext`` need not be in the run's extension table."""
        for a in self.assignments.values():
            if (a.active and a.rule.effect == "deny" and _covers(w, a.scope, g)
                    and _rule_matches(w, a.rule, ext, g)
                    and self._exemption(w, a.name, g) is None):
                return True
        return False

    def changed(self) -> None:
        """Forget cached evaluations: an assignment or exemption changed."""
        self._gates.clear()
        self._probes.clear()

    def refusal(self, w: FleetState, m: int, x: int, op: Op,
                actor: int) -> tuple[str, str] | None:
        """(reason, rule) when Azure refuses the request (authorization R27, Policy deny R26),
        else None; a request an ``audit`` assignment matches is recorded as AUDITED.

        Evaluations depend only on the machine's group, the extension, the operation and the
        actor; they are cached until policy changes (:meth:`changed`). With no assignment at
        all only the actor's role is checked."""
        if not self.assignments:
            return _role_refusal(w, actor)
        key = (w.m_group[m], x, int(op), actor)
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
        refused = _role_refusal(w, actor)
        if refused is not None:
            return refused, False
        if op == _DELETE or not writes_extension(w, op, actor):
            return None, False
        audit = False
        for a in self.assignments.values():
            if not (a.active and self.in_scope(w, a.scope, m) and self.matches(w, a, x, m)):
                continue
            if self.exempt(w, a.name, m) is not None:
                continue
            if a.rule.effect == "deny":
                return ("policy_deny", "R26"), False
            audit = audit or a.rule.effect == "audit"
        return None, audit

    def overrider(self, w: FleetState, m: int, x: int, op: int, actor: int) -> int | None:
        """The actor whose removal or exemption is the only reason ``actor``'s request ``op``
        passed (R16); cached per (group, extension) until policy changes. None for a delete,
        for a request Azure Policy does not evaluate as a write of the extension
        (:func:`writes_extension`) and when there is no assignment."""
        if not self.assignments or op == _DELETE or not writes_extension(w, op, actor):
            return None
        key = (w.m_group[m], x)
        found = self._probes.get(key, _UNKNOWN)
        if found == _UNKNOWN:
            found = self._probes[key] = self._lifted_by(w, m, x)
        return found

    def _lifted_by(self, w: FleetState, m: int, x: int) -> int | None:
        for a in self.assignments.values():
            if (a.rule.effect != "deny" or not self.in_scope(w, a.scope, m)
                    or not self.matches(w, a, x, m)):
                continue
            if not a.active and a.removed_by is not None:
                return a.removed_by
            ex = self.exempt(w, a.name, m)
            if a.active and ex is not None:
                return ex.created_by
        return None


def _covers(w: FleetState, scope: str | None, g: int) -> bool:
    """True when ``scope`` (a group name, or None = fleet) holds the machines of group ``g``."""
    return scope is None or w.tables.group_names[g] == scope


def _rule_matches(w: FleetState, rule: PolicyRule, ext: ExtensionId, g: int) -> bool:
    """Whether ``rule``'s condition matches a write of ``ext`` on the machines of group ``g``
    (``g`` is read only by a rule that reads the machine, :attr:`PolicyRule.matches_in`)."""
    if rule.matches_in is None:
        return rule.matches(ext)
    return rule.matches_in(ext, w.fleet.groups[g])


def _role_refusal(w: FleetState, actor: int) -> tuple[str, str] | None:
    """(reason, rule) when ``actor``'s Azure role may not write extensions (R27), else None;
    an actor without a role acts as the platform."""
    role = w.tables.actor_roles.get(actor)
    if role is not None and role not in EXTENSION_ROLES:
        return _AUTHORIZATION_FAILED
    return None
