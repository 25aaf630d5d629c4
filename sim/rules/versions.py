"""Agent versions and the features each one brings (spec R30)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from sim.errors import ArcsimError

_VERSION = re.compile(r"^\s*(\d{1,18})\.(\d{1,18})(?:\.\d+)*\s*$")
"""major.minor[.more]: major and minor of at most 18 digits (Python refuses to read thousands)."""


class VersionError(ArcsimError, ValueError):
    """A text that is not an agent version."""


@dataclass(frozen=True, slots=True, order=True)
class AgentVersion:
    """A Connected Machine agent version; only major.minor matter (``1.58.03228.700`` -> 1.58)."""

    major: int
    minor: int

    @classmethod
    def parse(cls, text: str | AgentVersion) -> AgentVersion:
        """Parse ``"1.35"`` or ``"1.58.03228.700"``; raise :class:`VersionError` otherwise."""
        if isinstance(text, AgentVersion):
            return text
        match = _VERSION.match(str(text))
        if match is None:
            raise VersionError(f'expected an agent version like "1.35", got "{text}"')
        return cls(int(match.group(1)), int(match.group(2)))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"


def v(text: str) -> AgentVersion:
    """Shorthand for :meth:`AgentVersion.parse`."""
    return AgentVersion.parse(text)


class Feature(Enum):
    """Agent features and the first agent version that has them (R30, R6a, R6); values are
    ``(version, name)`` so that two features of one release stay distinct."""

    PUSH_NOTIFICATIONS = (v("1.13"), "push_notifications")
    PROXY_URL = (v("1.13"), "proxy_url")
    """``proxy.url``: agent-specific proxy configuration (manage-agent-proxy-settings)."""
    PROXY_BYPASS = (v("1.15"), "proxy_bypass")
    """``proxy.bypass`` (Arc, ARM, AAD traffic around the proxy)."""
    LOCAL_CONTROLS = (v("1.16"), "local_controls")
    EXTENSIONS_SWITCH = (v("1.17"), "extensions_switch")
    MONITOR_MODE = (v("1.18"), "monitor_mode")
    KEEP_LISTS_ON_FULL = (v("1.22"), "keep_lists_on_full")
    INCOMING_PORTS = (v("1.31"), "incoming_ports")
    """``incomingconnections.ports`` (SSH and Windows Admin Center through the agent)."""
    ALLOW_NONE = (v("1.35"), "allow_none")
    EXTENSION_CLI = (v("1.39"), "extension_cli")
    CPU_LIMITS = (v("1.39"), "cpu_limits")
    """``extensions.agent.cpulimit`` and ``guestconfiguration.agent.cpulimit``."""
    GATEWAY = (v("1.43"), "gateway")
    """``connection.type gateway`` (Azure Arc gateway)."""

    @property
    def since(self) -> AgentVersion:
        """First agent version with this feature."""
        version: AgentVersion = self.value[0]
        return version


def has(version: AgentVersion, feature: Feature) -> bool:
    """True when an agent of ``version`` has ``feature``."""
    return version >= feature.since


def versions_between(low: AgentVersion, high: AgentVersion) -> list[AgentVersion]:
    """``low``, ``high`` and every version between them where a feature arrives (the versions
    whose behaviour differs), sorted. Raises :class:`VersionError` when ``low > high``."""
    if low > high:
        raise VersionError(f"expected LOW-HIGH with LOW <= HIGH, got {low}-{high}")
    inside = {f.since for f in Feature if low < f.since < high}
    return sorted({low, high, *inside})
