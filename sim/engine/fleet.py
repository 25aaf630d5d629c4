"""The fleet as plain Python input (the scenario layer builds these from files)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Outage:
    """A period without connectivity for a share of a group's machines (R28)."""

    start_s: float
    duration_s: float
    share: float = 1.0
    offline_before_s: float = 0.0
    """Seconds the machines had already been without heartbeats when the outage starts (an
    imported Disconnected or Expired machine): Azure may show them Disconnected or Expired at
    once. 0: their last heartbeat is the one just before the start."""


@dataclass(frozen=True, slots=True)
class InstalledExtension:
    """An extension present when the run starts, recorded in Azure in ``state``."""

    name: str
    version: str = "1.0"
    settings: str = ""
    state: str = "Succeeded"
    """``Succeeded``, or ``Failed``: on the machine, but its last operation failed (R6c), so a
    DeployIfNotExists requiring Succeeded asks for it again (R6b)."""
    auto_upgrade: bool = True
    """The resource's ``enableAutomaticUpgrade`` (R25): False opts this extension out of
    automatic upgrades on these machines."""


@dataclass(frozen=True, slots=True)
class GroupSpec:
    """A group of alike machines."""

    name: str
    count: int
    os: str = "windows"
    agent_versions: Mapping[str, float] = field(default_factory=lambda: {"1.58": 1.0})
    """Agent version -> share of the group's machines (shares are normalised)."""
    region: str = "westeurope"
    path: str = "direct"
    extensions: tuple[InstalledExtension, ...] = ()
    commands: tuple[str, ...] = ()
    """``azcmagent`` command lines run on every machine before the run starts."""
    tags: Mapping[str, str] = field(default_factory=dict)
    sql_server: bool = False
    """SQL Server is installed (the SQL Server extension is auto-deployed, R6b)."""
    outages: tuple[Outage, ...] = ()
    properties: Mapping[str, object] = field(default_factory=dict)
    """Machine properties as Azure reports them (ARM names, e.g. ``{"osSku": "Windows Server
    2012 R2 Datacenter"}``), read by Azure Policy conditions; they override the defaults of
    :mod:`sim.scenario.policy_views` (osName, osSku, imageOffer, mssqlDiscovered,
    licenseProfile, agentUpgrade...). Empty: the defaults only."""
    push_reachable: float | None = None
    """Share of the group's machines whose notification channel is reachable (R6a); None:
    the fleet-wide ``EngineParams.push_reachable``."""


@dataclass(frozen=True, slots=True)
class FleetSpec:
    """The fleet: groups, in order (machine ids are assigned group by group)."""

    groups: tuple[GroupSpec, ...]

    @property
    def size(self) -> int:
        """Number of machines."""
        return sum(g.count for g in self.groups)
