"""Who locks machines down in a scenario, whom they target, and whose changes undo it.

Read from the scenario alone (the records say when each machine took or refused a command, not
what the command was): a *lockdown* is a list of ``azcmagent`` lines that leaves a fresh
recent agent with an allowlist, a blocklist, monitor mode or the manager disabled (a group's
``commands``, or a timeline ``run`` entry that is not an override). A *tamperer* is an actor
whose configuration changes count as overrides (R17): a ``guest_config`` entry, an ``install``
or ``update`` of an extension that runs scripts (it runs the ``azcmagent`` lines of its
settings, R7) unless ``override: false``, or a ``run`` entry with ``override: true``. A
tamperer *lifts* a group's lockdown when, replayed with :mod:`sim.rules` on one of the group's
agent versions, its lines leave no lockdown (from agent 1.22, switching monitor mode back to
full keeps the lists: nothing is lifted, R22).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sim.rules.catalogue import Catalogue
from sim.rules.commands import CommandError, LocalState, apply
from sim.rules.config import AgentConfig
from sim.rules.decision import decide
from sim.rules.identity import ExtensionId
from sim.rules.lint import DEFAULT_AGENT_VERSION
from sim.rules.scripts import command_lines
from sim.scenario.build import catalogue_of
from sim.scenario.schema import Scenario, TimelineEntry
from sim.scenario.timeline import DEFAULT_ACTORS


@dataclass(frozen=True)
class Lockdown:
    """The lockdowns of a scenario (see the module docstring)."""

    initial_groups: frozenset[str]
    """Groups whose ``commands`` (run before the start) set a lockdown."""
    actors: frozenset[str]
    """Actors of ``run`` entries that set a lockdown."""
    tamperers: frozenset[str]
    """Actors whose config changes count as overrides (R17)."""
    population: int
    """Machines some lockdown targets."""
    lifting: frozenset[tuple[str, str, float]] = frozenset()
    """(group, tamperer, start) of the tampering entries that lift the group's lockdown (with
    every tampering entry before them applied too)."""

    def lifts(self, group: str, actor: str, time: float) -> bool:
        """True when ``actor``'s change at ``time`` on a machine of ``group`` lifts its
        lockdown: the actor's last entry for the group started by then lifts it."""
        starts = [(start, (group, actor, start) in self.lifting)
                  for g, a, start in self._entries if g == group and a == actor
                  and start <= time]
        return bool(starts) and max(starts)[1]

    _entries: frozenset[tuple[str, str, float]] = frozenset()
    """(group, tamperer, start) of every tampering entry."""


def replay(lines: Iterable[str], state: LocalState) -> LocalState:
    """``state`` after ``lines``; refused lines change nothing (as on a machine)."""
    for line in lines:
        try:
            state = apply(line, state).state
        except CommandError:
            continue
    return state


def _locks(lines: Iterable[str]) -> bool:
    return replay(lines, LocalState(AgentConfig.fresh(DEFAULT_AGENT_VERSION))).config.has_lockdown


def _groups_of(entry: TimelineEntry, everyone: Sequence[str]) -> list[str]:
    target = entry.target
    return [target.group] if target is not None and target.group else list(everyone)


def lockdown_of(scenario: Scenario) -> Lockdown:
    """Read the lockdowns, their targets and their tamperers from ``scenario``."""
    counts = {g.group: g.count for g in scenario.fleet}
    locks = {g.group: list(g.commands) for g in scenario.fleet if _locks(g.commands)}
    initial = frozenset(locks)
    shares = dict.fromkeys(initial, 1.0)
    actors: set[str] = set()
    machines = 0
    for entry in scenario.timeline:
        if entry.run is None or entry.override or not _locks(entry.run):
            continue
        actors.add(entry.actor or DEFAULT_ACTORS["run"])
        target = entry.target
        if target is not None and target.machines:
            machines += len(target.machines)
            continue
        for group in _groups_of(entry, list(counts)):
            shares[group] = max(shares.get(group, 0.0), target.share if target else 1.0)
            locks.setdefault(group, []).extend(entry.run)
    population = machines + sum(round(counts[g] * s) for g, s in shares.items())
    tampering = _tampering(scenario.timeline, list(counts), catalogue_of(scenario))
    entries = frozenset((g, actor, at) for actor, groups, at, _, _ in tampering for g in groups)
    return Lockdown(initial, frozenset(actors), frozenset(t[0] for t in tampering),
                    population, _lifting(scenario, locks, tampering), entries)


Gate = Callable[[AgentConfig], bool]
"""Whether a tampering entry reaches a machine so configured."""
Tampering = list[tuple[str, list[str], float, list[str], Gate]]


def _everywhere(config: AgentConfig) -> bool:
    return True


def _guest_configuration_on(config: AgentConfig) -> bool:
    return config.effective_guest_configuration


def _extension_allowed(entry: TimelineEntry) -> Gate:
    operation = "install" if entry.install is not None else "update"
    extension = str(entry.install or entry.update)
    return lambda config: decide(operation, extension, config).allowed


def _runs_scripts(entry: TimelineEntry, catalogue: Catalogue) -> bool:
    """True for an install or update of an extension that runs scripts (R7)."""
    name = entry.install or entry.update
    known = catalogue.get(ExtensionId.parse(name)) if name else None
    return known is not None and known.runs_scripts


def _tampering(timeline: Iterable[TimelineEntry], everyone: Sequence[str],
               catalogue: Catalogue) -> Tampering:
    """(actor, groups targeted, start, command lines, gate) of each entry whose changes are
    overrides, by start time. A guest configuration policy reaches only machines with guest
    configuration on (R17, R19); a script extension's script runs only where the extension
    is allowed (R7)."""
    found: Tampering = []
    for entry in timeline:
        action = entry.action
        flagged = (bool(entry.override) if action == "run" else
                   entry.override is not False and (action == "guest_config"
                                                    or _runs_scripts(entry, catalogue)))
        if not flagged or action not in ("run", "guest_config", "install", "update"):
            continue
        gate: Gate = _everywhere
        if action in ("run", "guest_config"):
            lines = list(entry.run or entry.guest_config or ())
            gate = _guest_configuration_on if action == "guest_config" else _everywhere
        else:
            lines = [line for text in (entry.settings, entry.protected_settings) if text
                     for line in command_lines(text)]
            gate = _extension_allowed(entry)
        found.append((entry.actor or DEFAULT_ACTORS[action], _groups_of(entry, everyone),
                      entry.start, lines, gate))
    return sorted(found, key=lambda found: found[2])


def _lifting(scenario: Scenario, locks: dict[str, list[str]],
             tampering: Tampering) -> frozenset[tuple[str, str, float]]:
    """The tampering entries that lift a group's lockdown on one of its agent versions, each
    replayed after the lockdown and every tampering entry before it."""
    lifting = set()
    for group in scenario.fleet:
        if group.group not in locks:
            continue
        states = [replay(locks[group.group], LocalState(AgentConfig.fresh(v)))
                  for v in group.versions]
        for actor, groups, at, lines, gate in tampering:
            if group.group not in groups:
                continue
            after = [replay(lines, state) if gate(state.config) else state for state in states]
            if any(s.config.has_lockdown and not a.config.has_lockdown
                   for s, a in zip(states, after, strict=True)):
                lifting.add((group.group, actor, at))
            states = after
    return frozenset(lifting)


__all__ = ["Lockdown", "lockdown_of", "replay"]
