"""A configuration's lockdown state as one small code (spec R8, R9, R13, R15, R17, R19, R23,
R30).

:func:`lockdown_code` reduces an :class:`~sim.rules.config.AgentConfig` to the bits that say
how (and whether) it restricts extensions and what is left open: an allowlist, a blocklist,
``Allow/None``, monitor mode, a disabled extension manager, guest configuration enabled outside
monitor mode, an agent too old for the local controls. The engine works it out once per
distinct configuration and writes it into the records of configuration changes, so outputs
read the lockdown state from the records instead of replaying commands. Pure: no I/O.
"""

from __future__ import annotations

from enum import IntFlag

from sim.rules.config import AgentConfig
from sim.rules.versions import Feature, has


class LockdownFlag(IntFlag):
    """One bit of a lockdown code (each names the rule it comes from)."""

    ALLOWLIST = 1
    """An allowlist of extensions is set (R9, R13); ``Allow/None`` alone is :attr:`ALLOW_NONE`."""
    BLOCKLIST = 2
    """A blocklist is set (R9, R13)."""
    ALLOW_NONE = 4
    """The allowlist is ``Allow/None`` in force: no extension may be installed (R15). On an
    agent older than 1.35 the value is an ordinary entry (:attr:`AgentConfig.is_allow_none
    <sim.rules.config.AgentConfig.is_allow_none>`), so the code has :attr:`ALLOWLIST`, as
    decisions have ``not_on_allowlist``."""
    MONITOR_MODE = 8
    """The agent is in monitor mode: only the monitor list may be installed (R19)."""
    MANAGER_DISABLED = 16
    """The extension manager is disabled: it takes no operation (R23)."""
    GUEST_CONFIGURATION = 32
    """Guest configuration runs (enabled, outside monitor mode): a custom policy could rewrite
    the configuration (R17, R18). Not a restriction."""
    NO_CONTROLS = 64
    """The agent predates the local controls (1.16): nothing can be locked down (R8, R30). Not a
    restriction."""


LOCKING = (LockdownFlag.ALLOWLIST | LockdownFlag.BLOCKLIST | LockdownFlag.ALLOW_NONE
           | LockdownFlag.MONITOR_MODE | LockdownFlag.MANAGER_DISABLED)
"""The bits that restrict extensions: a machine is *locked down* when its code has one
(:attr:`AgentConfig.has_lockdown <sim.rules.config.AgentConfig.has_lockdown>`)."""
NONE = -1
"""The code of a record that carries no lockdown state."""


def lockdown_code(config: AgentConfig) -> int:
    """The :class:`LockdownFlag` bits of ``config``, as a plain int in ``0 .. 127``."""
    code = 0
    allow_none = config.is_allow_none
    if allow_none:
        code |= LockdownFlag.ALLOW_NONE
    if len(config.allowlist) > int(allow_none):
        code |= LockdownFlag.ALLOWLIST
    if config.blocklist:
        code |= LockdownFlag.BLOCKLIST
    if config.is_monitor_mode:
        code |= LockdownFlag.MONITOR_MODE
    if not config.extensions_enabled:
        code |= LockdownFlag.MANAGER_DISABLED
    if config.effective_guest_configuration:
        code |= LockdownFlag.GUEST_CONFIGURATION
    if not has(config.version, Feature.LOCAL_CONTROLS):
        code |= LockdownFlag.NO_CONTROLS
    return int(code)


def is_locked(code: int) -> bool:
    """True when lockdown ``code`` restricts extensions (a bit of :data:`LOCKING`); False for
    :data:`NONE`."""
    return code >= 0 and bool(code & LOCKING)


__all__ = ["LOCKING", "NONE", "LockdownFlag", "is_locked", "lockdown_code"]
