"""One plan evaluation: what a lockdown does to the machines of one situation.

Machines whose verdicts cannot differ share a :class:`Situation`: the same agent version (and
agent update), the same configuration commands before the lockdown, the same runbook, the same
installed and requested extensions, the same OS, and the same extensions refused by Azure
Policy. :func:`evaluate` works one situation out once, entirely with the rules layer
(:mod:`sim.rules.runbook`, :mod:`sim.rules.impact`, :mod:`sim.rules.exposure`); the plan then
gives the result to every machine in that situation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sim.rules.catalogue import Catalogue
from sim.rules.commands import LocalState
from sim.rules.exposure import OpenPath, open_paths
from sim.rules.identity import ExtensionId
from sim.rules.impact import Action, Outcome, Verdict, running, verdict
from sim.rules.readings import DEFAULT_READINGS, Readings
from sim.rules.runbook import Runbook, RunbookOutcome, initial_config, run_runbook
from sim.rules.versions import AgentVersion

INSTALLED_ACTIONS = (Action.INSTALL, Action.UPDATE, Action.UPGRADE, Action.AUTO_UPGRADE,
                     Action.REINSTALL, Action.DELETE)
"""What the plan asks about an installed extension."""
REQUESTED_ACTIONS = (Action.INSTALL,)
"""What the plan asks about an extension that is requested but not installed."""
ALLOWED = Outcome.ALLOWED


class Status:
    """Where an extension of a plan row stands once the lockdown is in place."""

    INSTALLED = "installed"
    REMOVED_LOCALLY = "removed_locally"
    """Installed before, removed by the runbook (R6): Azure still records it."""
    REQUESTED = "requested"
    """Not installed; the scenario or the caller asks for it."""


@dataclass(frozen=True)
class Situation:
    """What decides a machine's verdicts (see the module docstring)."""

    version: AgentVersion
    commands: tuple[str, ...]
    """The fleet group's configuration commands, run before the lockdown."""
    runbook: Runbook | None
    installed: tuple[ExtensionId, ...]
    requested: tuple[ExtensionId, ...]
    os: str
    denied: frozenset[ExtensionId]
    """Extensions a ``Deny`` assignment in force refuses on these machines (R26)."""
    updated_to: AgentVersion | None = None
    """The agent is updated to this version before the lockdown, if older (R30)."""


@dataclass(frozen=True)
class ExtensionRow:
    """What the lockdown does to one extension of the machines of a situation."""

    extension: ExtensionId
    status: str
    running: Verdict | None
    """R24 for an installed extension; None for a requested one."""
    verdicts: Mapping[Action, Verdict]
    """The verdict of each action asked about (:data:`INSTALLED_ACTIONS` or
    :data:`REQUESTED_ACTIONS`)."""


@dataclass(frozen=True)
class Evaluation:
    """A situation worked out: the runbook's outcome, each extension's row, the open paths."""

    outcome: RunbookOutcome
    rows: tuple[ExtensionRow, ...]
    paths: tuple[OpenPath, ...]


def before_lockdown(situation: Situation, readings: Readings = DEFAULT_READINGS) -> LocalState:
    """The machines' local state when the lockdown starts: the group's configuration
    commands on a fresh agent under ``readings`` (refused ones change nothing), then the agent
    update."""
    config, _refused = initial_config(situation.version, situation.commands, readings=readings)
    update = situation.updated_to
    if update is not None and config.version < update:
        config = config.with_version(update)
    installed = tuple(sorted(situation.installed, key=lambda e: e.key))
    return LocalState(config, installed)


def evaluate(situation: Situation, catalogue: Catalogue,
             readings: Readings = DEFAULT_READINGS) -> Evaluation:
    """Run the situation's runbook and decide every row and open path (pure), with what
    ``catalogue`` says of each extension and under ``readings`` (:mod:`sim.rules.readings`),
    as a run of the same fleet has them."""
    state = before_lockdown(situation, readings)
    runbook = situation.runbook
    outcome = (run_runbook(runbook.lines, state, readings=readings) if runbook is not None
               else RunbookOutcome(state, ()))
    after = outcome.state
    names = {e: None for e in (*situation.installed, *situation.requested)}
    rows = tuple(_row(ext, situation, after, catalogue, readings)
                 for ext in sorted(names, key=lambda e: e.key))
    paths = open_paths(after, catalogue, os=situation.os,
                       policy_denies=situation.denied.__contains__,
                       candidates=situation.requested)
    return Evaluation(outcome, rows, paths)


def _row(ext: ExtensionId, situation: Situation, after: LocalState, catalogue: Catalogue,
         readings: Readings) -> ExtensionRow:
    denied = ext in situation.denied
    if ext not in situation.installed:
        verdicts = {a: verdict(a, ext, after, catalogue, policy_denies=denied, readings=readings)
                    for a in REQUESTED_ACTIONS}
        return ExtensionRow(ext, Status.REQUESTED, None, verdicts)
    status = Status.INSTALLED if ext in after.installed else Status.REMOVED_LOCALLY
    verdicts = {a: verdict(a, ext, after, catalogue, policy_denies=denied, readings=readings)
                for a in INSTALLED_ACTIONS}
    if status == Status.REMOVED_LOCALLY and verdicts[Action.REINSTALL].outcome is not ALLOWED:
        del verdicts[Action.AUTO_UPGRADE]  # it acts on installed extensions only (R25)
    return ExtensionRow(ext, status, running(ext, after, catalogue), verdicts)


__all__ = ["INSTALLED_ACTIONS", "REQUESTED_ACTIONS", "Evaluation", "ExtensionRow", "Situation",
           "Status", "before_lockdown", "evaluate"]
