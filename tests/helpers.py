"""Extension names, agent commands and a one-group fleet shared by the engine tests; the
type of the ``arcsim`` CLI fixture (``conftest.py``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from sim.engine import FleetSpec, GroupSpec, InstalledExtension

AMA = "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent"
MMA = "Microsoft.EnterpriseCloud.Monitoring/MicrosoftMonitoringAgent"
DEP = "Microsoft.Azure.Monitoring.DependencyAgent/DependencyAgentWindows"
MDE = "Microsoft.Azure.AzureDefenderForServers/MDE.Windows"
CSE = "Microsoft.Compute/CustomScriptExtension"


def allowlist(*names: str) -> str:
    """The ``azcmagent`` command setting the allowlist to ``names``."""
    return f'azcmagent config set extensions.allowlist "{",".join(names)}"'


def blocklist(*names: str) -> str:
    """The ``azcmagent`` command setting the blocklist to ``names``."""
    return f'azcmagent config set extensions.blocklist "{",".join(names)}"'


def one_group(count: int = 1, version: str = "1.40",
              installed: Iterable[str | InstalledExtension] = (), name: str = "win",
              **kw: Any) -> FleetSpec:
    """A fleet of one group: ``count`` machines on agent ``version`` with the ``installed``
    extensions (a name: at its catalogue version); ``kw`` are further :class:`GroupSpec`
    fields."""
    extensions = tuple(e if isinstance(e, InstalledExtension) else InstalledExtension(e)
                       for e in installed)
    return FleetSpec((GroupSpec(name, count, agent_versions={version: 1.0},
                                extensions=extensions, **kw),))


class CliResult(NamedTuple):
    """What one ``arcsim`` command line did (the ``arcsim`` fixture's result)."""

    status: int
    out: str
    err: str


Arcsim = Callable[..., CliResult]
"""The ``arcsim`` fixture: ``arcsim(*argv) -> CliResult``."""
