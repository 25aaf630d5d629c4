"""Agent versions and the features each one brings (spec R30)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from sim.errors import ArcsimError

_VERSION = re.compile(r"^\s*(\d+)\.(\d+)(?:\.\d+)*\s*$")


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
    """Agent features and the first agent version that has them (R30, R6a, R6)."""

    PUSH_NOTIFICATIONS = v("1.13")
    LOCAL_CONTROLS = v("1.16")
    EXTENSIONS_SWITCH = v("1.17")
    MONITOR_MODE = v("1.18")
    KEEP_LISTS_ON_FULL = v("1.22")
    ALLOW_NONE = v("1.35")
    EXTENSION_CLI = v("1.39")

    @property
    def since(self) -> AgentVersion:
        """First agent version with this feature."""
        value: AgentVersion = self.value
        return value


def has(version: AgentVersion, feature: Feature) -> bool:
    """True when an agent of ``version`` has ``feature``."""
    return version >= feature.since
