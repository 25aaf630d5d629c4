"""How the rules read what the sources leave open (the spec's "Where the sources are silent").

Four questions decide what a command or a request does to a machine, and the documentation does
not say which way the real agent or Azure goes. Each is a field of :class:`Readings` whose
default is the conservative reading; the other reading is there for a what-if. The engine takes
its readings from the scenario's ``params`` (:class:`sim.engine.EngineParams`); the pure
functions (:func:`sim.rules.commands.config_after`, :func:`sim.rules.commands.apply`,
:func:`sim.rules.lint.lint`, :func:`sim.rules.impact.verdict`) take them as a keyword argument,
and ``sim.plan`` takes them from a scenario's ``params`` as a run does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

from sim.errors import ArcsimError


class AllowNoneOnOldAgents(StrEnum):
    """What an agent older than 1.35 does with ``Allow/None`` in its allowlist (R15, R30)."""

    REFUSED = "refused"
    """The command is refused and nothing changes: the machine stays as open as it was
    (default: no protection is assumed where the documentation promises none)."""
    ORDINARY_ENTRY = "ordinary_entry"
    """The value is stored as an ordinary entry that names no extension, so every install,
    update and upgrade is blocked as ``not_on_allowlist``."""


class MalformedListEntry(StrEnum):
    """What a list command with one malformed entry does (R1, R8a)."""

    COMMAND_FAILS = "command_fails"
    """The whole command fails and the list stays as it was (default: how ``azcmagent config
    set`` validates a value)."""
    VALID_ENTRIES_APPLY = "valid_entries_apply"
    """The well-formed entries take effect; the malformed ones are dropped."""


class DisabledManagerRequests(StrEnum):
    """What a request does that reaches a machine whose extension manager is disabled (R23)."""

    FAIL = "fail"
    """It fails at once (``Failed``) and is not queued: the manager takes no operation and
    Azure times the request out (default)."""
    WAIT = "wait"
    """It stays pending until the manager is enabled again, then runs at the next check."""


@dataclass(frozen=True, slots=True)
class Readings:
    """The readings in force for one run (or one ``arcsim`` command)."""

    allow_none_before_1_35: AllowNoneOnOldAgents = AllowNoneOnOldAgents.REFUSED
    """``Allow/None`` on an agent older than 1.35. Default ``refused``: conservative for
    planning; the 1.35 release fixed "an invalid extension name could impact enforcement of
    the lists", so an older agent may not enforce either reading."""
    malformed_list_entry: MalformedListEntry = MalformedListEntry.COMMAND_FAILS
    """A list command with one malformed entry. Default ``command_fails``: the tool validates
    a value before it stores it."""
    deny_refuses_automatic_upgrades: bool = False
    """Whether an Azure Policy ``Deny`` refuses automatic upgrades (R25, R26). Default no: an
    upgrade is a POST action (``upgradeExtensions/action``), not a write of the extension
    resource, which is what a ``Deny`` evaluates."""
    disabled_manager_requests: DisabledManagerRequests = DisabledManagerRequests.FAIL
    """A request to a machine whose extension manager is disabled (R23). Default ``fail``."""


DEFAULT_READINGS = Readings()
"""The defaults of every reading."""

_CHOICES: dict[str, type[StrEnum] | type[bool]] = {
    "allow_none_before_1_35": AllowNoneOnOldAgents,
    "malformed_list_entry": MalformedListEntry,
    "deny_refuses_automatic_upgrades": bool,
    "disabled_manager_requests": DisabledManagerRequests,
}
_BOOLS = {"true": True, "false": False}


class ReadingError(ArcsimError, ValueError):
    """An unknown reading, or a value that is not one of its choices."""


def changed(readings: Readings, values: Mapping[str, str | bool]) -> Readings:
    """``readings`` with the named readings set to ``values`` (as a scenario's ``params``
    writes them: ``{"allow_none_before_1_35": "ordinary_entry"}``; ``true``/``false`` as text
    or bool). Raises :class:`ReadingError` naming an unknown reading or a value that is not
    one of the reading's choices."""
    found: dict[str, object] = {}
    for name, value in values.items():
        kind = _CHOICES.get(name)
        if kind is None:
            raise ReadingError(f'unknown reading "{name}"; the readings: {", ".join(_CHOICES)}')
        found[name] = _value(name, kind, value)
    return replace(readings, **found)  # type: ignore[arg-type]


def _value(name: str, kind: type[StrEnum] | type[bool], value: str | bool) -> object:
    if kind is bool:
        flag = value if isinstance(value, bool) else _BOOLS.get(str(value).strip().lower())
        if flag is None:
            raise ReadingError(f'{name}: expected true or false, got "{value}"')
        return flag
    choices = [c.value for c in kind]
    if isinstance(value, bool) or value not in choices:
        raise ReadingError(f'{name}: expected one of {", ".join(choices)}, got "{value}"')
    return kind(value)


__all__ = ["DEFAULT_READINGS", "AllowNoneOnOldAgents", "DisabledManagerRequests",
           "MalformedListEntry", "ReadingError", "Readings", "changed"]
