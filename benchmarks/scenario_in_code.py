"""The benchmark scenario, built in code (no YAML): a fleet of any size and its timeline.

Shared by ``benchmarks/engine.py`` and anything that wants the same workload (the polling
reference comparison, profiling). Import it with the repository root or ``benchmarks/`` on
``sys.path``::

    from scenario_in_code import build
    world = build(World, machines=10_000, days=30, seed=1)
    world.run(30 * DAY)

The scenario (all times from the scenario start):

* Fleet: four equal groups, Windows and Linux in two regions; agent versions mixed
  (:data:`AGENT_VERSIONS`: 5 % 1.12 — no push, no local controls; 25 % 1.30 — push and
  allowlists but no ``azcmagent extension``; 70 % 1.45); 5, 3, 4 and 4 installed extensions
  (Azure Monitor agent, Dependency agent, Defender for Endpoint, Change Tracking, Key Vault),
  4 on average.
* Lockdown (actor ``secops-lockdown``): from day 1, spread over 2 days, 95 % of each group's
  machines run ``azcmagent config set extensions.allowlist "<the group's monitoring and
  security extensions>"`` and ``azcmagent config set guestconfiguration.enabled false``.
  Key Vault is not on the allowlist.
* Local clean-ups (actor ``local-cleanup``): every day 1 % of the machines stop the extension
  service, ``azcmagent extension remove`` one extension (Dependency agent, Azure Monitor
  agent, Change Tracking, Key Vault by group) and restart the service 10 minutes later; Azure
  still wants it, so the next check reinstalls it (reinstall churn) unless the lockdown blocks
  it (Key Vault) or the agent is too old for the command (refused).
* Upgrade wave (actors ``upgrade-ama``, ``upgrade-mde``): Azure asks every machine to upgrade
  the Azure Monitor agent and Defender for Endpoint to :data:`NEW_VERSION`, spread over 7 days
  from day 5.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sim.engine import (
    DAY,
    CloudRequest,
    EngineParams,
    FleetSpec,
    GroupSpec,
    InstalledExtension,
    LocalCommands,
    LocalRemoval,
    Target,
    Timing,
)

AGENT_VERSIONS = {"1.12": 0.05, "1.30": 0.25, "1.45": 0.70}
OLD_VERSION = "1.0"
NEW_VERSION = "2.0"
LOCKDOWN_AT, LOCKDOWN_WINDOW, LOCKDOWN_COVERAGE = 1 * DAY, 2 * DAY, 0.95
REMOVAL_RATE = 0.01
UPGRADE_AT, UPGRADE_WINDOW = 5 * DAY, 7 * DAY

EXT = {
    "windows": {
        "ama": "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent",
        "dep": "Microsoft.Azure.Monitoring.DependencyAgent/DependencyAgentWindows",
        "mde": "Microsoft.Azure.AzureDefenderForServers/MDE.Windows",
        "ct": "Microsoft.Azure.ChangeTrackingAndInventory/ChangeTracking-Windows",
        "kv": "Microsoft.Azure.KeyVault/KeyVaultForWindows",
    },
    "linux": {
        "ama": "Microsoft.Azure.Monitor/AzureMonitorLinuxAgent",
        "dep": "Microsoft.Azure.Monitoring.DependencyAgent/DependencyAgentLinux",
        "mde": "Microsoft.Azure.AzureDefenderForServers/MDE.Linux",
        "ct": "Microsoft.Azure.ChangeTrackingAndInventory/ChangeTracking-Linux",
        "kv": "Microsoft.Azure.KeyVault/KeyVaultForLinux",
    },
}
"""Short name -> extension, per OS."""
MONITORING_AND_SECURITY = ("ama", "dep", "mde", "ct")
"""What the lockdown allowlists (when the group has it installed); Key Vault is left out."""

GROUPS: tuple[tuple[str, str, str, tuple[str, ...], str], ...] = (
    # name, os, region, installed extensions, extension removed by local clean-ups
    ("win-westeurope", "windows", "westeurope", ("ama", "dep", "mde", "ct", "kv"), "dep"),
    ("win-eastus", "windows", "eastus", ("ama", "mde", "ct"), "ama"),
    ("linux-westeurope", "linux", "westeurope", ("ama", "dep", "mde", "ct"), "ct"),
    ("linux-eastus", "linux", "eastus", ("ama", "mde", "ct", "kv"), "kv"),
)
UPGRADED = ("ama", "mde")


def counts(machines: int) -> list[int]:
    """Machines per group: equal quarters, the remainder to the first groups."""
    if machines < len(GROUPS):
        raise ValueError(f"need at least {len(GROUPS)} machines, got {machines}")
    q, r = divmod(machines, len(GROUPS))
    return [q + (1 if i < r else 0) for i in range(len(GROUPS))]


def fleet(machines: int) -> FleetSpec:
    """The fleet of ``machines`` machines."""
    groups = []
    for (name, os, region, installed, _), count in zip(GROUPS, counts(machines), strict=True):
        groups.append(GroupSpec(
            name, count, os=os, region=region, agent_versions=dict(AGENT_VERSIONS),
            extensions=tuple(InstalledExtension(EXT[os][e], OLD_VERSION) for e in installed)))
    return FleetSpec(tuple(groups))


def allowlist_command(os: str, installed: tuple[str, ...]) -> str:
    """The lockdown's allowlist line for a group."""
    names = ",".join(EXT[os][e] for e in installed if e in MONITORING_AND_SECURITY)
    return f'azcmagent config set extensions.allowlist "{names}"'


def actors(days: float) -> list[Any]:
    """Fresh actor objects for one world (actors hold per-world state: build new ones)."""
    end = days * DAY
    out: list[Any] = []
    for name, os, _, installed, removed in GROUPS:
        target = Target(group=name)
        out.append(LocalCommands(
            "secops-lockdown", target=target, coverage=LOCKDOWN_COVERAGE,
            timing=Timing(at=LOCKDOWN_AT, window=LOCKDOWN_WINDOW),
            commands=(allowlist_command(os, installed),
                      "azcmagent config set guestconfiguration.enabled false")))
        out.append(LocalRemoval("local-cleanup", target=target, extension=EXT[os][removed],
                                timing=Timing(rate=REMOVAL_RATE, until=end)))
        for short in UPGRADED:
            out.append(CloudRequest(
                f"upgrade-{short}", target=target, operation="upgrade",
                extension=EXT[os][short], version=NEW_VERSION,
                timing=Timing(at=UPGRADE_AT, window=UPGRADE_WINDOW)))
    return out


def params() -> EngineParams:
    """Engine parameters of the scenario (the defaults: 5-minute checks, direct downloads)."""
    return EngineParams()


def build(world_cls: Callable[..., Any], machines: int, days: float, seed: int = 1) -> Any:
    """A world of class ``world_cls`` (``World`` or a model with the same constructor and
    ``add`` API, e.g. the polling reference) with the fleet and every actor added."""
    world = world_cls(fleet(machines), params(), seed)
    for actor in actors(days):
        world.add(actor)
    return world
