"""Built-in catalogue of common Arc extensions (R1, R7, R24, R25) and the monitor list (R19).

The catalogue *informs* (OS, whether an extension runs arbitrary scripts, how it is hosted,
whether it supports automatic upgrade, a package size); it never restricts: an extension that
is not in it is allowed or blocked by the same rules as any other.

Assumptions (the documentation does not state them; each is a **[param]** a scenario can
override through its own catalogue entries):

* Hosting (R24): the Azure Monitor agent, Custom Script, Run Command, update management and Key
  Vault extensions are hosted by the extension manager and stop while it is disabled; the Log
  Analytics agent (MMA/OMS), the Dependency agent, Defender for Endpoint, Qualys, Hybrid Worker,
  SQL Server and Change Tracking extensions run as their own OS service and keep running.
* Scripts (R7, article's blocklist): Custom Script, Run Command, the Hybrid Runbook Worker and
  the Log Analytics agent (which can host Automation runbooks) run arbitrary scripts.
* Package sizes are order-of-magnitude defaults (tens of MB), used only for bytes downloaded.

Documented, with its source (:data:`AUTO_UPGRADE_SOURCE`): automatic extension upgrade (R25)
acts only for the extensions whose publisher supports it on Arc-enabled servers
(:data:`AUTO_UPGRADE_SUPPORTED`). Every other extension, known or not, is never upgraded
automatically, whatever its ``enableAutomaticUpgrade`` says; a scenario can change that per
extension with its own catalogue entries.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from sim.rules.identity import ExtensionId
from sim.rules.versions import AgentVersion, v

MB = 1_000_000


@dataclass(frozen=True, slots=True)
class Source:
    """Where a catalogue fact comes from: a document's title and address."""

    title: str
    url: str


AUTO_UPGRADE_SOURCE = Source(
    "Automatic extension upgrade for Azure Arc-enabled servers (Microsoft Learn, "
    "\"Supported extensions\", November 2025)",
    "https://learn.microsoft.com/azure/azure-arc/servers/manage-automatic-vm-extension-upgrade")
"""The page that lists the extensions whose publisher supports automatic upgrade (R25)."""

AUTO_UPGRADE_SUPPORTED: tuple[str, ...] = (
    "Azure Monitor agent",
    "Dependency agent",
    "Key Vault",
    "Azure Update Manager",
    "Hybrid Runbook Worker",
    "Network Watcher",
    "Guest Attestation",
    "Microsoft Antimalware (Windows)",
    "Defender for SQL Advanced Threat Protection (Windows)",
    "Azure Extension for SQL Server",
)
"""The extensions :data:`AUTO_UPGRADE_SOURCE` lists, as it names them; the catalogue entries
marked ``auto_upgrade=True`` are exactly these (per OS)."""


class OsType(StrEnum):
    """Operating system an extension (or machine) is for."""

    WINDOWS = "windows"
    LINUX = "linux"
    ANY = "any"


class Hosting(StrEnum):
    """How an extension runs (R24)."""

    MANAGER = "manager"
    """Hosted by the extension manager: stops while the manager is disabled."""
    SERVICE = "service"
    """Runs as its own Windows or Linux service: keeps running when the manager is disabled."""


class Category(StrEnum):
    """What an extension is for (used by lint and the monitor-mode list)."""

    MONITORING = "monitoring"
    SECURITY = "security"
    SCRIPTING = "scripting"
    MANAGEMENT = "management"
    DATA = "data"
    IDENTITY = "identity"


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    """What arcsim knows about one extension."""

    id: ExtensionId
    os: OsType
    category: Category
    runs_scripts: bool
    """Runs arbitrary scripts in the manager's privileged context (R7)."""
    hosting: Hosting
    """Manager-hosted or its own service (R24)."""
    auto_upgrade: bool
    """Publisher supports automatic extension upgrade on Arc-enabled servers (R25; the list
    and its source: :data:`AUTO_UPGRADE_SUPPORTED`, :data:`AUTO_UPGRADE_SOURCE`)."""
    size_bytes: int
    """Package size in bytes, downloaded on install/upgrade (R2) **[param]**."""
    description: str = ""


def _entry(
    name: str,
    os: OsType,
    category: Category,
    hosting: Hosting,
    *,
    scripts: bool = False,
    auto_upgrade: bool = False,
    size_mb: int = 40,
    description: str = "",
) -> CatalogueEntry:
    return CatalogueEntry(
        ExtensionId.parse(name), os, category, scripts, hosting, auto_upgrade,
        size_mb * MB, description,
    )


W, L = OsType.WINDOWS, OsType.LINUX
MON, SEC, SCR, MGT, DATA, IDN = (
    Category.MONITORING, Category.SECURITY, Category.SCRIPTING, Category.MANAGEMENT,
    Category.DATA, Category.IDENTITY,
)
MGR, SVC = Hosting.MANAGER, Hosting.SERVICE

BUILTIN_ENTRIES: tuple[CatalogueEntry, ...] = (
    _entry("Microsoft.Azure.Monitor/AzureMonitorWindowsAgent", W, MON, MGR, auto_upgrade=True,
           size_mb=60, description="Azure Monitor agent (AMA)"),
    _entry("Microsoft.Azure.Monitor/AzureMonitorLinuxAgent", L, MON, MGR, auto_upgrade=True,
           size_mb=60, description="Azure Monitor agent (AMA)"),
    _entry("Microsoft.EnterpriseCloud.Monitoring/MicrosoftMonitoringAgent", W, MON, SVC,
           scripts=True, size_mb=45,
           description="Log Analytics agent (legacy MMA); can host Automation runbooks"),
    _entry("Microsoft.EnterpriseCloud.Monitoring/OMSAgentForLinux", L, MON, SVC,
           scripts=True, size_mb=45,
           description="Log Analytics agent (legacy OMS); can host Automation runbooks"),
    _entry("Microsoft.Azure.Monitoring.DependencyAgent/DependencyAgentWindows", W, MON, SVC,
           auto_upgrade=True, size_mb=25, description="Dependency agent (VM insights)"),
    _entry("Microsoft.Azure.Monitoring.DependencyAgent/DependencyAgentLinux", L, MON, SVC,
           auto_upgrade=True, size_mb=25, description="Dependency agent (VM insights)"),
    _entry("Microsoft.Azure.ChangeTrackingAndInventory/ChangeTracking-Windows", W, MON, SVC,
           size_mb=15, description="Change Tracking and Inventory"),
    _entry("Microsoft.Azure.ChangeTrackingAndInventory/ChangeTracking-Linux", L, MON, SVC,
           size_mb=15, description="Change Tracking and Inventory"),
    _entry("Microsoft.Azure.NetworkWatcher/NetworkWatcherAgentWindows", W, MON, SVC,
           auto_upgrade=True, size_mb=10, description="Network Watcher agent"),
    _entry("Microsoft.Azure.NetworkWatcher/NetworkWatcherAgentLinux", L, MON, SVC,
           auto_upgrade=True, size_mb=10, description="Network Watcher agent"),
    _entry("Qualys/WindowsAgent.AzureSecurityCenter", W, SEC, SVC,
           size_mb=30, description="Qualys vulnerability assessment (Defender for Cloud)"),
    _entry("Qualys/LinuxAgent.AzureSecurityCenter", L, SEC, SVC,
           size_mb=30, description="Qualys vulnerability assessment (Defender for Cloud)"),
    _entry("Microsoft.Azure.AzureDefenderForServers/MDE.Windows", W, SEC, SVC, size_mb=80,
           description="Microsoft Defender for Endpoint"),
    _entry("Microsoft.Azure.AzureDefenderForServers/MDE.Linux", L, SEC, SVC, size_mb=80,
           description="Microsoft Defender for Endpoint"),
    _entry("Microsoft.Azure.AzureDefenderForSQL/AdvancedThreatProtection.Windows", W, SEC, SVC,
           auto_upgrade=True, size_mb=20, description="Defender for SQL"),
    _entry("Microsoft.Azure.Security/IaaSAntimalware", W, SEC, SVC, auto_upgrade=True,
           size_mb=10, description="Microsoft Antimalware"),
    _entry("Microsoft.Azure.Security.WindowsAttestation/GuestAttestation", W, SEC, SVC,
           auto_upgrade=True, size_mb=5, description="Boot integrity monitoring (Guest "
           "Attestation)"),
    _entry("Microsoft.Azure.Security.LinuxAttestation/GuestAttestation", L, SEC, SVC,
           auto_upgrade=True, size_mb=5, description="Boot integrity monitoring (Guest "
           "Attestation)"),
    _entry("Microsoft.Compute/CustomScriptExtension", W, SCR, MGR, scripts=True,
           size_mb=2, description="Custom Script extension (Windows)"),
    _entry("Microsoft.Azure.Extensions/CustomScript", L, SCR, MGR, scripts=True,
           size_mb=2, description="Custom Script extension (Linux)"),
    _entry("Microsoft.Cplat.Core/RunCommandHandlerWindows", W, SCR, MGR, scripts=True,
           size_mb=3, description="Run Command"),
    _entry("Microsoft.Cplat.Core/RunCommandHandlerLinux", L, SCR, MGR, scripts=True,
           size_mb=3, description="Run Command"),
    _entry("Microsoft.Azure.Automation.HybridWorker/HybridWorkerForWindows", W, SCR, SVC,
           scripts=True, auto_upgrade=True, size_mb=20, description="Hybrid Runbook Worker"),
    _entry("Microsoft.Azure.Automation.HybridWorker/HybridWorkerForLinux", L, SCR, SVC,
           scripts=True, auto_upgrade=True, size_mb=20, description="Hybrid Runbook Worker"),
    _entry("Microsoft.AzureData/WindowsAgent.SqlServer", W, DATA, SVC, auto_upgrade=True,
           size_mb=50,
           description="SQL Server extension (auto-deployed where SQL Server is found, R6b)"),
    _entry("Microsoft.AzureData/LinuxAgent.SqlServer", L, DATA, SVC, auto_upgrade=True,
           size_mb=50, description="SQL Server extension"),
    _entry("Microsoft.SoftwareUpdateManagement/WindowsOsUpdateExtension", W, MGT, MGR,
           auto_upgrade=True, size_mb=5, description="Azure Update Manager"),
    _entry("Microsoft.SoftwareUpdateManagement/LinuxOsUpdateExtension", L, MGT, MGR,
           auto_upgrade=True, size_mb=5, description="Azure Update Manager"),
    _entry("Microsoft.Azure.KeyVault/KeyVaultForWindows", W, IDN, MGR, auto_upgrade=True,
           size_mb=5, description="Key Vault certificate sync"),
    _entry("Microsoft.Azure.KeyVault/KeyVaultForLinux", L, IDN, MGR, auto_upgrade=True,
           size_mb=5, description="Key Vault certificate sync"),
    _entry("Microsoft.Azure.ActiveDirectory/AADSSHLoginForLinux", L, IDN, MGR, size_mb=3,
           description="Microsoft Entra ID SSH login"),
)


class Catalogue:
    """Catalogue entries by extension id (case-insensitive lookup)."""

    __slots__ = ("_entries",)

    def __init__(self, entries: Iterable[CatalogueEntry]) -> None:
        self._entries: dict[ExtensionId, CatalogueEntry] = {e.id: e for e in entries}

    def get(self, ext: ExtensionId) -> CatalogueEntry | None:
        """The entry for ``ext``, or None for an extension arcsim does not know."""
        return self._entries.get(ext)

    def __contains__(self, ext: object) -> bool:
        return ext in self._entries

    def __iter__(self) -> Iterator[CatalogueEntry]:
        return iter(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def with_entries(self, entries: Iterable[CatalogueEntry]) -> Catalogue:
        """A copy with ``entries`` added or replacing those of the same id."""
        merged = dict(self._entries)
        merged.update((e.id, e) for e in entries)
        return Catalogue(merged.values())

    def closest(self, text: str, limit: int = 1) -> list[ExtensionId]:
        """Known extensions whose name is closest to ``text`` (for "did you mean")."""
        import difflib

        names = {e.id.key: e.id for e in self._entries.values()}
        hits = difflib.get_close_matches(text.strip().lower(), names, n=limit, cutoff=0.75)
        return [names[h] for h in hits]


BUILTIN = Catalogue(BUILTIN_ENTRIES)
"""The catalogue arcsim ships."""

UNKNOWN_SIZE = 10 * MB
"""Package size assumed for an extension the catalogue does not know (R2)."""


def entry_for(ext: ExtensionId, base: Catalogue, **changes: Any) -> CatalogueEntry:
    """The entry for ``ext`` with ``changes`` (``CatalogueEntry`` field names): the one in
    ``base`` changed, or a new one for an extension ``base`` does not know, whose other facts
    are the defaults assumed for any unknown extension: any OS, management, hosted by the
    extension manager (R24), runs no scripts (R7), no automatic upgrade (R25), 10 MB (R2).
    Raises :class:`TypeError` for a field that does not exist."""
    known = base.get(ext)
    if known is None:
        known = CatalogueEntry(ext, OsType.ANY, Category.MANAGEMENT, False, Hosting.MANAGER,
                               False, UNKNOWN_SIZE)
    return replace(known, **changes)


# --- R19: the Microsoft-managed monitor-mode allowlist ------------------------------------
# ASSUMPTION: Microsoft does not publish the list. arcsim ships this default per agent version
# (monitoring and security extensions of the catalogue); scenarios replace it, and a publisher
# actor can push an updated list to agents over time.
_MONITOR_BASE = (
    "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent",
    "Microsoft.Azure.Monitor/AzureMonitorLinuxAgent",
    "Microsoft.EnterpriseCloud.Monitoring/MicrosoftMonitoringAgent",
    "Microsoft.EnterpriseCloud.Monitoring/OMSAgentForLinux",
    "Microsoft.Azure.Monitoring.DependencyAgent/DependencyAgentWindows",
    "Microsoft.Azure.Monitoring.DependencyAgent/DependencyAgentLinux",
    "Qualys/WindowsAgent.AzureSecurityCenter",
    "Qualys/LinuxAgent.AzureSecurityCenter",
    "Microsoft.Azure.AzureDefenderForServers/MDE.Windows",
    "Microsoft.Azure.AzureDefenderForServers/MDE.Linux",
    "Microsoft.Azure.AzureDefenderForSQL/AdvancedThreatProtection.Windows",
)
_MONITOR_ADDED: Mapping[AgentVersion, tuple[str, ...]] = {
    v("1.18"): _MONITOR_BASE,
    v("1.24"): (
        "Microsoft.Azure.ChangeTrackingAndInventory/ChangeTracking-Windows",
        "Microsoft.Azure.ChangeTrackingAndInventory/ChangeTracking-Linux",
    ),
}


def default_monitor_list(version: AgentVersion) -> tuple[ExtensionId, ...]:
    """The monitor-mode allowlist shipped with agent ``version`` (R19, an assumption).

    Empty before 1.18 (no monitor mode). Later versions add entries cumulatively.
    """
    names: list[str] = []
    for since, added in sorted(_MONITOR_ADDED.items()):
        if version >= since:
            names.extend(added)
    return tuple(ExtensionId.parse(n) for n in names)
