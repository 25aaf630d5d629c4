"""What a machine's local state does to each kind of extension request (spec R6, R6a, R10,
R12-R15, R19, R23-R26).

Where :func:`sim.rules.decision.decide` answers "may this operation run under this
configuration", :func:`verdict` answers the question a planner asks about one extension on one
machine once a lockdown is in place: *if this request arrives now, what happens?* It composes
the decision with the facts around it, in the order the request meets them:

1. an automatic upgrade is offered only for extensions whose publisher supports it (R25,
   catalogue; an extension arcsim does not know is not upgraded automatically);
2. a request from Azure that a ``Deny`` assignment matches is refused before the machine sees
   it (R16, R26): install, update and manual upgrade requests (:data:`POLICY_CHECKED`); an
   automatic upgrade only with ``deny_refuses_automatic_upgrades`` (it is a POST action, not
   a write of the extension); a delete never, and a resync reinstall is not a request;
3. with the extension service stopped, nothing reaches the manager: the request waits (R6);
   a disabled manager does not resync, so a reinstall waits until it is enabled again (R23),
   and under the reading ``disabled_manager_requests: wait`` a request waits for it too;
4. the local controls decide (R9-R15, R19, R23); a resync reinstall after a local removal is
   decided as an install (R6); a delete is always allowed (R13), but with the manager disabled
   it only removes Azure's record and the extension stays on the machine (R24).

The readings of what the sources leave open (:class:`~sim.rules.readings.Readings`) are
those of the run or plan: ``deny_refuses_automatic_upgrades`` and
``disabled_manager_requests`` change verdicts here.

:func:`running` says whether an installed extension keeps running (R24). Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from sim.rules.catalogue import Catalogue, Hosting
from sim.rules.commands import LocalState
from sim.rules.decision import Operation, Reason, decide
from sim.rules.identity import ExtensionId
from sim.rules.readings import DEFAULT_READINGS, DisabledManagerRequests, Readings


class Action(StrEnum):
    """A request a planner asks about (each decided by :func:`verdict`)."""

    INSTALL = "install"
    """Azure asks to install it (for an installed extension: again, after a delete, R14)."""
    UPDATE = "update"
    """Azure asks to reconfigure it (new settings)."""
    UPGRADE = "upgrade"
    """Someone asks Azure for a new version (manual upgrade, R25)."""
    AUTO_UPGRADE = "auto_upgrade"
    """Automatic extension upgrade rolls a new version out (R25)."""
    REINSTALL = "reinstall"
    """Resync puts it back after a local removal (R6): no request, the manager's own sync."""
    DELETE = "delete"
    """Azure asks to delete it (R13, R14, R24)."""


class Outcome(StrEnum):
    """What a request meets (:func:`verdict`) or whether an extension runs (:func:`running`)."""

    ALLOWED = "allowed"
    BLOCKED = "blocked"
    """Refused by the machine's local controls; the extension resource becomes Failed (R10)."""
    DENIED = "denied"
    """Refused by Azure Policy before the machine sees it (R26)."""
    WAITS = "waits"
    """The extension service is stopped: the request waits until it runs again (R6); or a
    resync reinstall (or, under ``disabled_manager_requests: wait``, any request) waits for a
    disabled manager to be enabled again (R23)."""
    NOT_OFFERED = "not_offered"
    """An automatic upgrade the publisher does not offer (R25)."""
    ORPHANED = "orphaned"
    """Deleted in Azure, but the disabled manager leaves it on the machine (R24)."""
    KEEPS_RUNNING = "keeps_running"
    STOPS = "stops"
    """Hosted by the extension manager, which is disabled: it stops running (R24)."""
    REMOVED = "removed"
    """Removed locally by the runbook (R6); resync decides whether it comes back."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of a request or of :func:`running`, why (a reason name) and by which rule."""

    outcome: Outcome
    reason: str
    """A :class:`~sim.rules.decision.Reason` value, or ``service_stopped``,
    ``automatic_upgrade_unsupported``, ``manager_disabled``, ``own_service``, ``manager``,
    ``local_removal``."""
    rule: str


OPERATION_OF: Final[dict[Action, Operation]] = {
    Action.INSTALL: Operation.INSTALL, Action.UPDATE: Operation.UPDATE,
    Action.UPGRADE: Operation.UPGRADE, Action.AUTO_UPGRADE: Operation.UPGRADE,
    Action.REINSTALL: Operation.INSTALL, Action.DELETE: Operation.DELETE,
}
"""The operation the local controls decide for each action (a reinstall is an install, R6)."""

POLICY_CHECKED: Final = frozenset({Action.INSTALL, Action.UPDATE, Action.UPGRADE,
                                   Action.AUTO_UPGRADE})
"""Requests a ``Deny`` assignment can refuse (R26). An automatic upgrade only under the reading
``deny_refuses_automatic_upgrades`` (:class:`~sim.rules.readings.Readings`; default no, the
spec's table: an upgrade is a POST action, ``upgradeExtensions/action``, not a write of the
extension)."""

_NOT_OFFERED = Verdict(Outcome.NOT_OFFERED, "automatic_upgrade_unsupported", "R25")
_DENIED = Verdict(Outcome.DENIED, Reason.POLICY_DENY.value, "R26")
_WAITS = Verdict(Outcome.WAITS, "service_stopped", "R6")
_FOR_MANAGER = Verdict(Outcome.WAITS, Reason.MANAGER_DISABLED.value, "R23")
"""A resync reinstall, or a request under ``disabled_manager_requests: wait``, waits for the
disabled manager to be enabled again."""
_ORPHANED = Verdict(Outcome.ORPHANED, Reason.MANAGER_DISABLED.value, "R24")


def hosting(catalogue: Catalogue, extension: ExtensionId) -> Hosting:
    """How ``extension`` runs (R24); an extension arcsim does not know is assumed hosted by
    the extension manager (the cautious reading: it stops with the manager)."""
    entry = catalogue.get(extension)
    return entry.hosting if entry is not None else Hosting.MANAGER


def offers_auto_upgrade(catalogue: Catalogue, extension: ExtensionId) -> bool:
    """Whether automatic extension upgrade acts for ``extension`` (R25, catalogue: the
    publishers the Arc documentation lists); an extension arcsim does not know: no."""
    entry = catalogue.get(extension)
    return entry is not None and entry.auto_upgrade


def runs_scripts(catalogue: Catalogue, extension: ExtensionId) -> bool:
    """Whether ``extension`` runs arbitrary scripts as root or Local System (R7, catalogue);
    an extension arcsim does not know is assumed not to."""
    entry = catalogue.get(extension)
    return entry is not None and entry.runs_scripts


def verdict(action: Action, extension: ExtensionId, state: LocalState, catalogue: Catalogue,
            *, policy_denies: bool = False, readings: Readings = DEFAULT_READINGS) -> Verdict:
    """What happens when ``action`` on ``extension`` reaches a machine in ``state`` (see the
    module docstring). ``policy_denies`` says whether a ``Deny`` assignment in force matches a
    write of ``extension`` on this machine; ``readings`` whether it refuses automatic upgrades
    too (R25, R26) and whether a request waits for a disabled manager (R23)."""
    if action is Action.AUTO_UPGRADE and not offers_auto_upgrade(catalogue, extension):
        return _NOT_OFFERED
    if policy_denies and action in POLICY_CHECKED and (
            action is not Action.AUTO_UPGRADE or readings.deny_refuses_automatic_upgrades):
        return _DENIED
    if not state.service_running:
        return _WAITS
    if not state.config.extensions_enabled and (
            action is Action.REINSTALL
            or readings.disabled_manager_requests is DisabledManagerRequests.WAIT):
        return _FOR_MANAGER
    decision = decide(OPERATION_OF[action], extension, state.config)
    if action is Action.DELETE and not state.config.extensions_enabled:
        return _ORPHANED
    outcome = Outcome.ALLOWED if decision.allowed else Outcome.BLOCKED
    return Verdict(outcome, decision.reason.value, decision.rule)


def running(extension: ExtensionId, state: LocalState, catalogue: Catalogue) -> Verdict:
    """Whether an installed ``extension`` runs on a machine in ``state`` (R24): removed locally,
    stopped with a disabled manager, or running."""
    if extension not in state.installed:
        return Verdict(Outcome.REMOVED, "local_removal", "R6")
    if hosting(catalogue, extension) is Hosting.SERVICE:
        return Verdict(Outcome.KEEPS_RUNNING, "own_service", "R24")
    if not state.config.extensions_enabled:
        return Verdict(Outcome.STOPS, Reason.MANAGER_DISABLED.value, "R24")
    return Verdict(Outcome.KEEPS_RUNNING, "manager", "R24")


__all__ = ["OPERATION_OF", "POLICY_CHECKED", "Action", "Outcome", "Verdict", "hosting",
           "offers_auto_upgrade", "running", "runs_scripts", "verdict"]
