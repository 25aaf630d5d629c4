"""The timeline actions, as one registry: :data:`ACTIONS` (style point 14).

One entry is one action (``run``, ``install``, ``assign``...) plus *modifiers*: when (``at``,
``window``, ``rate``, ``until``; ``every``, ``from``, ``jitter``), by whom (``actor``,
``role``), on which machines (``target``, ``coverage``) and how (``version``, ``settings``,
``override``). Not every modifier fits every action: a policy change happens in Azure, so it
takes no ``target``; an automatic upgrade has its own rollout ``window``. Each action is one
:class:`~sim.scenario.action.Action` row saying which modifiers it takes, its default actor and
how it is built; :func:`entry_problems` says what does not fit (the schema uses it for
scenarios built in code, the loader to point at the exact key in a file).

A new action is two edits: its row (in :mod:`sim.scenario.actions_machine`,
:mod:`sim.scenario.actions_azure` or a module of its own like :mod:`sim.scenario.replay`) and
the engine actor that carries it out.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

from sim.scenario.action import Action, Build, EntryBase
from sim.scenario.actions_azure import AZURE_ACTIONS
from sim.scenario.actions_machine import MACHINE_ACTIONS
from sim.scenario.policies import POLICY_ADMIN, remediation_actor
from sim.scenario.replay import REPLAY

ACTIONS: dict[str, Action] = {a.key: a for a in (*MACHINE_ACTIONS, *AZURE_ACTIONS, REPLAY)}
"""Action key -> its registry row, in the order errors list them."""

MODIFIERS = frozenset().union(*(a.takes for a in ACTIONS.values()))
"""Every modifier key some action takes."""

DEFAULT_ACTORS: dict[str, str] = {key: a.actor for key, a in ACTIONS.items()}
"""The actor name records carry when an entry names none (a view of :data:`ACTIONS`)."""

ENGINE_ACTORS = ("system", "resync", "local_admin", "cloud_admin")
"""Actors every run's record table starts with (:class:`sim.engine.World`)."""

__all__ = ["ACTIONS", "DEFAULT_ACTORS", "ENGINE_ACTORS", "MODIFIERS", "POLICY_ADMIN",
           "actor_of", "actors_of", "entry_problems", "remediation_actor"]


def entry_problems(keys: Collection[str]) -> list[tuple[str | None, str]]:
    """What is wrong with an entry that has ``keys`` (with values): ``(key or None, message)``.

    Exactly one action key; only the modifiers that action takes; ``until`` only with ``rate``
    or ``every``; ``from`` and ``jitter`` only with ``every``, which replaces ``at``. Unknown
    keys are the schema's business.
    """
    actions = [key for key in ACTIONS if key in keys]
    if not actions:
        return [(None, f"no action: give one of {', '.join(ACTIONS)}")]
    if len(actions) > 1:
        return [(actions[1], f'one action per entry, found "{actions[0]}" and "{actions[1]}": '
                             "write them as two entries")]
    allowed = ACTIONS[actions[0]].takes
    problems: list[tuple[str | None, str]] = [
        (key, f'"{key}" does not apply to {actions[0]} (it takes {", ".join(sorted(allowed))})')
        for key in sorted(keys) if key in MODIFIERS and key not in allowed]
    return problems + [p for p in _recurrence_problems(keys) if p[0] in allowed]


def _recurrence_problems(keys: Collection[str]) -> list[tuple[str | None, str]]:
    problems: list[tuple[str | None, str]] = []
    if "until" in keys and "rate" not in keys and "every" not in keys:
        problems.append(("until", '"until" ends a recurrence: give "every" (or "rate") too, '
                                  'or drop "until"'))
    for key in ("from", "jitter"):
        if key in keys and "every" not in keys:
            problems.append((key, f'"{key}" goes with "every": give "every" too, or drop '
                                  f'"{key}"'))
    if "every" in keys and "at" in keys:
        problems.append(("at", 'with "every", the first occurrence is "from" (write from: '
                               "instead of at:)"))
    return problems


def actor_of(action: str, actor: str | None) -> str:
    """The actor name an entry's records carry: its ``actor``, else the action's default."""
    return actor if actor is not None else ACTIONS[action].actor


def actors_of(entry: EntryBase, duration: float, base: Path | None = None, *,
              seed: int = 0, scenario: Any = None) -> list[Any]:
    """The engine actor(s) that carry out one timeline entry in a run of ``duration``
    seconds with ``seed`` (``base``: the directory the scenario's files are relative to;
    ``scenario``: the whole scenario, for actions that read it)."""
    action = ACTIONS[entry.action]
    return action.build(entry, Build(duration, seed, base, scenario),
                        actor_of(entry.action, entry.actor))
