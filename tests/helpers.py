"""Extension names, agent commands and a one-group fleet shared by the engine tests; the
type of the ``arcsim`` CLI fixture (``conftest.py``); the sample files and small definitions
the Azure Policy tests (``test_rules_azure_policy_*.py``) share."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NamedTuple

from sim.engine import FleetSpec, GroupSpec, InstalledExtension
from sim.rules.azure_policy import (
    EXTENSION_TYPE,
    AssignedPolicy,
    assign,
    extension_resource,
    parse_definition,
)

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


FORMATS = Path(__file__).parent / "data" / "formats"
"""Copies of public files in Azure's formats: ``azure-policy/`` built-in policy definitions,
``arm/`` ARM listings."""
DENY_SAMPLE = FORMATS / "azure-policy" / "LogAnalyticsExtension_Windows_HybridVM_Deny.json"
"""The built-in Deny definition for the legacy Log Analytics agent (default effect Audit)."""
DINE_SAMPLE = FORMATS / "azure-policy" / "AzureMonitor_Agent_Windows_HybridVM_DINE.json"
"""The built-in DeployIfNotExists definition for the Azure Monitor agent on Windows."""
PUBLISHER = f"{EXTENSION_TYPE}/publisher"
"""The Azure Policy field (alias) of an Arc extension's publisher."""
STATE = f"{EXTENSION_TYPE}/provisioningState"
"""The Azure Policy field (alias) of an Arc extension's provisioning state."""


def ext(name: tuple[str, str], state: str | None = None) -> dict[str, object]:
    """The Arc extension resource ``(publisher, type)`` as Azure Policy reads it, with the
    provisioning ``state`` (none: no state)."""
    return extension_resource(name[0], name[1], state)


def rule_with(condition: object, *, effect: object = "Deny", **props: object) -> dict[str, object]:
    """A bare-properties definition: ``if`` = allOf[type is extension, ``condition``]."""
    type_is_extension = {"field": "type", "equals": EXTENSION_TYPE}
    rule = {"if": {"allOf": [type_is_extension, condition]}, "then": {"effect": effect}}
    return {"mode": "All", "policyRule": rule, **props}


def compiled(condition: object, **props: object) -> AssignedPolicy:
    """:func:`rule_with`'s definition parsed (source ``<test>``) and assigned with its
    defaults; raises ``PolicyDefinitionError`` as parsing does."""
    return assign(parse_definition(rule_with(condition, **props), source="<test>"))
