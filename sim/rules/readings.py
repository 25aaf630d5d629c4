"""How the rules read what the sources leave open (the spec's "Where the sources are silent").

Two cases decide what an ``azcmagent config`` command does to a machine, and the documentation
does not say which way the real agent goes. Each is a field of :class:`Readings` whose default
is the conservative reading; the other reading is there for a what-if. The engine takes its
readings from the scenario's ``params`` (:class:`sim.engine.EngineParams`); the pure functions
(:func:`sim.rules.commands.config_after`, :func:`sim.rules.commands.apply`,
:func:`sim.rules.lint.lint`) take them as a keyword argument.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


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


DEFAULT_READINGS = Readings()
"""The defaults of every reading."""

__all__ = ["DEFAULT_READINGS", "AllowNoneOnOldAgents", "MalformedListEntry", "Readings"]
