"""Allow/block decisions of the extension manager (spec R9-R15, R19, R23).

:func:`decide` is the one place where local controls allow or block an operation. It is pure
and cheap: :func:`compile_controls` turns an :class:`AgentConfig` into frozensets of lower-case
keys once, and :class:`Controls.decide` is a couple of set lookups. The engine interns
configurations and caches decisions on top of this.

Order of checks for install, update and upgrade (delete is always allowed, R13, R14):

1. extension manager disabled -> ``manager_disabled`` (R23)
2. monitor mode: on the Microsoft-managed list -> allowed, else ``monitor_mode`` (R19)
3. allowlist is ``Allow/None`` -> ``allow_none`` (R15)
4. on the blocklist (with or without the allowlist) -> ``on_blocklist`` (R13)
5. an allowlist is set and the extension is not on it -> ``not_on_allowlist`` (R13)
6. otherwise allowed (R13 when a list is set, R12 when none is)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sim.rules.config import AgentConfig
from sim.rules.identity import ExtensionId


class Operation(StrEnum):
    """An extension operation that starts in Azure (R5)."""

    INSTALL = "install"
    UPDATE = "update"
    """Reconfigure: new settings for an installed extension."""
    UPGRADE = "upgrade"
    DELETE = "delete"


class Reason(StrEnum):
    """Why an operation was allowed or blocked; values are the spec's reason names."""

    ALLOWED = "allowed"
    NOT_ON_ALLOWLIST = "not_on_allowlist"
    ON_BLOCKLIST = "on_blocklist"
    ALLOW_NONE = "allow_none"
    MONITOR_MODE = "monitor_mode"
    MANAGER_DISABLED = "manager_disabled"
    POLICY_DENY = "policy_deny"
    """Refused by Azure Policy before the machine sees it (R16, R26); decided in the cloud."""


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of :func:`decide`: whether the operation may run, why, and by which rule."""

    allowed: bool
    reason: Reason
    rule: str


ALLOW_DELETE = Decision(True, Reason.ALLOWED, "R13")
ALLOW_DEFAULT = Decision(True, Reason.ALLOWED, "R12")
ALLOW_LISTED = Decision(True, Reason.ALLOWED, "R13")
ALLOW_MONITOR = Decision(True, Reason.ALLOWED, "R19")
BLOCK_DISABLED = Decision(False, Reason.MANAGER_DISABLED, "R23")
BLOCK_MONITOR = Decision(False, Reason.MONITOR_MODE, "R19")
BLOCK_ALLOW_NONE = Decision(False, Reason.ALLOW_NONE, "R15")
BLOCK_BLOCKLIST = Decision(False, Reason.ON_BLOCKLIST, "R13")
BLOCK_NOT_ALLOWED = Decision(False, Reason.NOT_ON_ALLOWLIST, "R13")


@dataclass(frozen=True, slots=True)
class Controls:
    """An :class:`AgentConfig` compiled for fast decisions (lower-case key sets)."""

    manager_enabled: bool
    monitor: bool
    allow_none: bool
    allow: frozenset[str]
    block: frozenset[str]

    def decide(self, operation: Operation, key: str) -> Decision:
        """Decide ``operation`` on the extension whose lower-case ``publisher/type`` is ``key``."""
        if operation is Operation.DELETE:
            return ALLOW_DELETE
        if not self.manager_enabled:
            return BLOCK_DISABLED
        if self.monitor:
            return ALLOW_MONITOR if key in self.allow else BLOCK_MONITOR
        if self.allow_none:
            return BLOCK_ALLOW_NONE
        if key in self.block:
            return BLOCK_BLOCKLIST
        if self.allow:
            return ALLOW_LISTED if key in self.allow else BLOCK_NOT_ALLOWED
        return ALLOW_LISTED if self.block else ALLOW_DEFAULT


def compile_controls(config: AgentConfig) -> Controls:
    """Compile ``config``'s effective controls (monitor list in monitor mode, R19).

    ``Allow/None`` is the special value only from agent 1.35 (R15); an older agent that holds
    it (the ``ordinary_entry`` reading, :mod:`sim.rules.readings`) has an allowlist with one
    entry that names no extension."""
    return Controls(
        manager_enabled=config.extensions_enabled,
        monitor=config.is_monitor_mode,
        allow_none=config.is_allow_none,
        allow=frozenset(e.key for e in config.effective_allowlist),
        block=frozenset(e.key for e in config.effective_blocklist),
    )


_COMPILED: dict[AgentConfig, Controls] = {}


def decide(operation: Operation | str, extension: ExtensionId | str,
           config: AgentConfig) -> Decision:
    """Whether ``config``'s local controls let ``operation`` on ``extension`` happen.

    ``extension`` may be a ``Publisher/Type`` string (raises
    :class:`~sim.rules.identity.ExtensionIdError` if malformed). Compiled controls are cached
    per configuration, so repeated calls cost a dictionary and a set lookup.
    """
    controls = _COMPILED.get(config)
    if controls is None:
        if len(_COMPILED) > 4096:
            _COMPILED.clear()
        controls = _COMPILED[config] = compile_controls(config)
    ext = extension if isinstance(extension, ExtensionId) else ExtensionId.parse(extension)
    return controls.decide(Operation(operation), ext.key)
