"""Timeline entries: which action keys exist, and which other keys each action takes.

One entry is one action (``run``, ``install``, ``assign``...) plus *modifiers*: when (``at``,
``window``, ``rate``, ``until``), by whom (``actor``, ``role``), on which machines
(``target``, ``coverage``) and how (``version``, ``settings``, ``override``). Not every
modifier fits every action: a policy change happens once, in Azure, so it takes no
``target``; an automatic upgrade has its own rollout ``window``. :func:`entry_problems` says
what does not fit; both the schema (for scenarios built in code) and the loader (to point at
the exact key in a file) use it.
"""

from __future__ import annotations

from collections.abc import Collection

_WHEN = frozenset({"at", "window", "rate", "until"})
_ON_MACHINES = _WHEN | {"actor", "target", "coverage"}
_IN_AZURE = frozenset({"at", "actor", "role"})

ACTIONS: dict[str, frozenset[str]] = {
    "run": _ON_MACHINES | {"override"},
    "guest_config": _ON_MACHINES | {"override"},
    "remove_locally": _ON_MACHINES,
    "agent_update": _ON_MACHINES,
    "monitor_list": _ON_MACHINES,
    "install": _ON_MACHINES | {"role", "version", "settings", "protected_settings", "override"},
    "update": _ON_MACHINES | {"role", "settings", "protected_settings", "override"},
    "upgrade": _ON_MACHINES | {"role", "version", "override"},
    "delete": _ON_MACHINES | {"role"},
    "assign": _IN_AZURE,
    "unassign": _IN_AZURE,
    "exempt": _IN_AZURE,
    "unexempt": _IN_AZURE,
    "auto_upgrade": frozenset({"at", "actor"}),
    "sql_auto_deploy": frozenset({"actor"}),
}
"""Action key -> the modifier keys it takes."""

MODIFIERS = frozenset().union(*ACTIONS.values())

DEFAULT_ACTORS: dict[str, str] = {
    "run": "local_admin",
    "remove_locally": "local_admin",
    "guest_config": "guest_config",
    "agent_update": "agent_update",
    "monitor_list": "Microsoft",
    "install": "cloud_admin",
    "update": "cloud_admin",
    "upgrade": "cloud_admin",
    "delete": "cloud_admin",
    "assign": "policy_admin",
    "unassign": "policy_admin",
    "exempt": "policy_admin",
    "unexempt": "policy_admin",
    "auto_upgrade": "Azure Regional Service Manager",
    "sql_auto_deploy": "sql_auto_deploy",
}
"""The actor name records carry when an entry names none."""


def entry_problems(keys: Collection[str]) -> list[tuple[str | None, str]]:
    """What is wrong with an entry that has ``keys`` (with values): ``(key or None, message)``.

    Exactly one action key; only the modifiers that action takes; ``until`` only with
    ``rate``; ``window`` and ``rate`` not together. Unknown keys are the schema's business.
    """
    actions = [key for key in ACTIONS if key in keys]
    if not actions:
        return [(None, f"no action: give one of {', '.join(ACTIONS)}")]
    if len(actions) > 1:
        return [(actions[1], f'one action per entry, found "{actions[0]}" and "{actions[1]}": '
                             "write them as two entries")]
    allowed = ACTIONS[actions[0]]
    problems: list[tuple[str | None, str]] = [
        (key, f'"{key}" does not apply to {actions[0]} (it takes {", ".join(sorted(allowed))})')
        for key in sorted(keys) if key in MODIFIERS and key not in allowed]
    if "until" in keys and "rate" not in keys and "until" in allowed:
        problems.append(("until", '"until" ends a rate: give "rate" too, or drop "until"'))
    if "rate" in keys and "window" in keys:
        problems.append(("window", '"window" and "rate" do not combine: a rate spreads the '
                                   "action over days by itself"))
    return problems


def actor_of(action: str, actor: str | None) -> str:
    """The actor name an entry's records carry: its ``actor``, else the action's default."""
    return actor if actor is not None else DEFAULT_ACTORS[action]


def remediation_actor(policy: str) -> str:
    """The actor name of a DeployIfNotExists policy's remediation task (R6b)."""
    return f"{policy}-remediation"


POLICY_ADMIN = "policy_admin"
"""Who assigns the ``policies:`` in force at the start (role Owner)."""
ENGINE_ACTORS = ("system", "resync", "local_admin", "cloud_admin")
"""Actors every run's record table starts with (:class:`sim.engine.World`)."""
