"""arcsim over every file of ``tests/data/real`` (issue 18): each file's expected outcome.

Policy definitions are assigned in a scenario (``definition:``, with the parameters an
assignment must give) and checked with ``arcsim validate``; scripts and documentation runbooks
go through ``arcsim lint``; exports and REST API examples (their recorded response bodies)
through ``arcsim import``. Every file is in exactly one table below. A file arcsim reads is
*read*; a file it refuses is *refused*, with the located message asserted and, in the table,
why that construct is outside the model. There is no third class: a refusal that is not
justified is a bug. ``docs/real-material.md`` explains the classes; ``SOURCES.md`` says where
each file comes from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import Arcsim

from sim.rules.azure_policy import assign, load_definition
from sim.rules.azure_policy_plan import machine_profile, plan
from sim.scenario.policy_views import property_paths

CORPUS = Path(__file__).resolve().parent / "data" / "real"
WINDOWS, LINUX = "windows", "linux"

# --- policy definitions -------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    """What assigning a definition does: the parameters the assignment gives, the effect it
    then has, what it deploys per OS, a notice it prints; or the refusal and why."""

    effect: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)
    deploys: dict[str, str] = field(default_factory=dict)
    notice: str = ""
    properties: dict[str, Any] | None = None
    """Machine properties a fleet group gives (``properties:``) for the definition to be read."""
    refused: str = ""
    """The located message (after the JSON path) when refused."""
    why: str = ""
    """Why the refused construct is outside the model."""


AINE = "AuditIfNotExists reports compliance only (nothing simulated)"
NOT_A_REQUEST = "never matches an Arc extension write request, so this audit blocks or reports"
OTHER_FIELD = "Modify of a field other than a tag changes nothing the simulation records"
DISABLED = "disabled changes nothing the simulation records"
CHANGES_EXISTING = ("the if condition can match an existing extension: this DeployIfNotExists "
                    "changes extensions that exist (their settings)")
WHY_SETTINGS = ("it updates the settings of the SQL Server extension that is already there; "
                "the simulation carries extensions, not their settings")
TAGS = {"tagName": "Owner", "tagValue": "platform"}
AMA_W = "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent"
AMA_L = "Microsoft.Azure.Monitor/AzureMonitorLinuxAgent"
SQL_W = "Microsoft.AzureData/WindowsAgent.SqlServer"
SQL_L = "Microsoft.AzureData/LinuxAgent.SqlServer"


def _both(extension: str) -> dict[str, str]:
    return {WINDOWS: extension, LINUX: extension}


def _deploys(what: str) -> str:
    return f"deploys {what}, not an extension: no remediation in the simulation"


POLICIES: dict[str, Policy] = {
    "Automanage/Conformance_AINE.json": Policy("auditifnotexists", notice=AINE),
    "Automanage/Identity_Audit.json": Policy("audit", notice=NOT_A_REQUEST),
    "Azure Arc/Arc_AutomaticUpgradeEnabled_Modify.json": Policy("modify", notice=OTHER_FIELD),
    "Azure Arc/Arc_Server_PrivateLinkEnabled_Deny.json": Policy("audit", notice=NOT_A_REQUEST),
    "Azure Arc/Arc_Server_PrivateLinkEnabled_Modify.json": Policy(
        "modify", {"privateLinkScopeId": "/subscriptions/00000000-0000-0000-0000-000000000000/"
                   "resourceGroups/rg/providers/Microsoft.HybridCompute/privateLinkScopes/pls"},
        notice=OTHER_FIELD),
    "Azure Arc/GuestConfiguration_ArcESU_DeployIfNotExists.json": Policy(
        "deployifnotexists", notice=_deploys("Microsoft.HybridCompute/machines/licenseProfiles")),
    "Azure Local/RestrictToDisconnectedServices_Audit.json": Policy("audit",
                                                                    notice=NOT_A_REQUEST),
    "Azure Update Manager/AzUpdateMgmtCenter_HCRP_AutoAssessmentMode_Modify.json": Policy(
        "modify", notice=OTHER_FIELD),
    "General/AllowedLocations_Deny.json": Policy(
        "deny", {"listOfAllowedLocations": ["westeurope", "northeurope"]}),
    "General/AllowedResourceTypes_Deny.json": Policy(
        "deny", {"listOfResourceTypesAllowed": ["Microsoft.HybridCompute/machines"]}),
    "General/InvalidResourceTypes_Deny.json": Policy(
        "deny", {"listOfResourceTypesNotAllowed": ["Microsoft.HybridCompute/machines/extensions"]}),
    "Guest Configuration/AdministratorsGroupMembers_AINE.json": Policy("auditifnotexists",
                                                                       notice=AINE),
    "Guest Configuration/NexusComputeBaseline_AINE.json": Policy("auditifnotexists", notice=AINE),
    "Guest Configuration/PendingESUUpdates_AINE.json": Policy("auditifnotexists", notice=AINE),
    "Monitoring/Arc_Linux_LogAnalytics_Audit.json": Policy("auditifnotexists", notice=AINE),
    "Monitoring/AzureMonitor_Agent_Linux_HybridVM_Audit.json": Policy("auditifnotexists",
                                                                      notice=AINE),
    "Monitoring/AzureMonitor_Agent_Linux_HybridVM_DINE.json": Policy(
        "deployifnotexists", deploys=_both(AMA_L)),
    "Monitoring/AzureMonitor_Agent_Windows_HybridVM_DINE.json": Policy(
        "deployifnotexists", deploys=_both(AMA_W)),
    "Monitoring/AzureMonitor_DCRA_Arc_Linux_DINE.json": Policy(
        "deployifnotexists", notice=_deploys("Microsoft.Insights/dataCollectionRuleAssociations")),
    "Monitoring/DependencyAgentExtension_Linux_HybridVM_Deploy_AMA.json": Policy(
        "deployifnotexists",
        deploys=_both("Microsoft.Azure.Monitoring.DependencyAgent/DependencyAgentLinux")),
    "Monitoring/LogAnalyticsExtension_Linux_HybridVM_DINE.json": Policy(
        "deployifnotexists",
        deploys=_both("Microsoft.EnterpriseCloud.Monitoring/OmsAgentForLinux")),
    "Monitoring/LogAnalyticsExtension_Linux_HybridVM_Deny.json": Policy("audit"),
    "Monitoring/LogAnalyticsExtension_Windows_HybridVM_Deny.json": Policy("audit"),
    "SQL Server/ArcEnabledSQLServer_EnableBestPracticesAssessment.json": Policy(
        refused=f"properties.policyRule.if: {CHANGES_EXISTING}", why=WHY_SETTINGS),
    "SQL Server/ArcEnabledSQLServer_SubscribeESU_DINE.json": Policy(
        refused=f"properties.policyRule.if: {CHANGES_EXISTING}", why=WHY_SETTINGS),
    "SQL/ArcMachineWithSQL_InstallArcEnabledExtension.json": Policy(
        "deployifnotexists", deploys=_both(SQL_W)),
    "SQL/ArcMachineWithSQL_InstallArcEnabledExtension.v3.4.1.json": Policy(
        "deployifnotexists", deploys={WINDOWS: SQL_W, LINUX: SQL_L}),
    "Security Center - Granular Pricing/"
    "ASC_Azure_Defender_Servers_Disable_ResourceLevel_ByTag_DINE.json": Policy(
        "deployifnotexists", notice=_deploys("Microsoft.Security/pricings")),
    "Security Center/ASC_AzureSecurityLinuxAgent_Arc_AINE.json": Policy("disabled",
                                                                        notice=DISABLED),
    "Security Center/ASC_AzureSecurityWindowsAgent_Arc_DINE.json": Policy("disabled",
                                                                          notice=DISABLED),
    "Security Center/ASC_EndpointProtectionShouldBeInstalledOnYourMachines_Audit.json": Policy(
        "auditifnotexists", notice=AINE),
    "Security Center/ASC_MicrosoftDefenderForEndpoint_LinuxAgent_ARC_DINE.json": Policy(
        "deployifnotexists", deploys=_both("Microsoft.Azure.AzureDefenderForServers/MDE.Linux")),
    "Security Center/ASC_MicrosoftDefenderForEndpoint_WindowsAgent_ARC_DINE.json": Policy(
        "deployifnotexists",
        deploys=_both("Microsoft.Azure.AzureDefenderForServers/MDE.Windows")),
    "Security Center/ASC_MissingSystemUpdatesV2_Audit.json": Policy("auditifnotexists",
                                                                    notice=AINE),
    "Security Center/ASC_VulnerabilityAssessment_ProvisionQualysAgent_DINE.json": Policy(
        "deployifnotexists", notice=_deploys("Microsoft.Security/assessments")),
    "Security Center/MDC_DfSQL_DeployDefaultWorkspace.json": Policy(
        "deployifnotexists", notice=_deploys("Microsoft.OperationalInsights/workspaces")),
    "Security Center/MDC_DfSQL_DeployMicrosoftDefenderForSQLWindowsAgent_Arc.json": Policy(
        "deployifnotexists",
        deploys=_both("Microsoft.Azure.AzureDefenderForSQL/AdvancedThreatProtection.Windows")),
    "Security Center/MDC_DfSQL_DeployWindowsAMA_Arc.json": Policy("deployifnotexists",
                                                                  deploys=_both(AMA_W)),
    "Tags/AddOrReplaceTag_Modify.json": Policy("modify", TAGS),
    "Tags/AddTag_Modify.json": Policy("modify", TAGS),
    "Tags/RequireTagAndValue_Deny.json": Policy("deny", TAGS),
    "custom/addtag-modify-with-bom.json": Policy("modify", TAGS),
    "custom/ama-dine-per-os.json": Policy("deployifnotexists",
                                          deploys={WINDOWS: AMA_W, LINUX: AMA_L}),
    "custom/approved-extensions-arc-deny.json": Policy("deny"),
    "custom/assessment-mode-dine.json": Policy(
        "deployifnotexists", deploys=_both(AMA_W),
        properties={"osProfile": {"windowsConfiguration": {"patchSettings": {
            "assessmentMode": "ImageDefault"}}}},
        refused='properties.policyRule.if.allOf[1].field: "Microsoft.HybridCompute/machines/'
                'osProfile.windowsConfiguration.patchSettings.assessmentMode": the simulated '
                "fleet does not carry this field of a machine",
        why="a fleet group says nothing of patch settings unless its properties: give them; "
            "with them, the definition is read"),
    "custom/count-network-interfaces.json": Policy(
        "deployifnotexists",
        deploys=_both("Microsoft.Azure.Monitoring.DependencyAgent/DependencyAgentWindows"),
        properties={"networkProfile": {"networkInterfaces": [
            {"ipAddresses": [{"address": "10.0.0.4"}]},
            {"ipAddresses": [{"address": "192.168.1.4"}]}]}},
        refused='properties.policyRule.if.allOf[2].count.field: "Microsoft.HybridCompute/'
                'machines/networkProfile.networkInterfaces": the simulated fleet does not '
                "carry this field of a machine",
        why="a fleet group says nothing of network interfaces unless its properties: give "
            "them; with them, the count is evaluated"),
    "custom/deny-script-extensions-arc.json": Policy("deny"),
    "custom/denyaction-extension-delete.json": Policy(
        refused="properties.policyRule.then.effect: DenyAction on Arc extensions (it refuses "
                "their deletion in Azure) is outside the simulation",
        why="in the simulation a delete from Azure is always accepted (R13, R14): a refused "
            "delete would need a state the agent model does not have"),
    "custom/dine-existence-subscription.json": Policy(
        refused="properties.policyRule.then.details.existenceScope: subscription: the "
                "simulation looks for a machine's extensions on the machine only",
        why="an extension exists on one machine; a subscription-wide search for it has no "
            "meaning in a fleet of independent machines"),
    "custom/sql-optout-tag-modify.json": Policy("modify"),
}


def _scenario(tmp_path: Path, definition: Path, parameters: dict[str, Any],
              properties: dict[str, Any] | None) -> Path:
    extra = {"properties": properties} if properties is not None else {}
    doc = {"name": "corpus", "duration": "1d",
           "fleet": [{"group": "win", "count": 2, "os": WINDOWS, "agent_version": "1.58",
                      **extra},
                     {"group": "lin", "count": 2, "os": LINUX, "agent_version": "1.58",
                      **extra}],
           "policies": [{"name": "p", "definition": str(definition),
                         **({"parameters": parameters} if parameters else {})}]}
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_r16_r26_each_real_policy_definition_is_read_or_refused_as_tabled(
        arcsim: Arcsim, tmp_path: Path, name: str) -> None:
    case, path = POLICIES[name], CORPUS / "policy" / name
    status, _, err = arcsim("validate", _scenario(tmp_path, path, case.parameters, None))
    if case.refused:
        assert case.why and status == 2 and "Traceback" not in err
        assert f"policies[0].definition: {path}: {case.refused}" in err
        if case.properties is None:
            return
        status, _, err = arcsim("validate", _scenario(tmp_path, path, case.parameters,
                                                      case.properties))
    assert status == 0, err
    assert case.notice in err
    assigned = assign(load_definition(path), case.parameters, allow_missing=True)
    paths = property_paths([case.properties] if case.properties else [])
    planned = plan(assigned, machine_profile(paths))
    assert planned.effect.value == case.effect
    assert {os: str(ext) for os, ext in planned.deploys.items()} == case.deploys


@pytest.mark.parametrize("name", sorted(n for n, c in POLICIES.items() if c.parameters))
def test_r26_a_parameter_the_assignment_must_give_is_a_located_error(
        arcsim: Arcsim, tmp_path: Path, name: str) -> None:
    path = CORPUS / "policy" / name
    status, _, err = arcsim("validate", _scenario(tmp_path, path, {}, None))
    assert status == 2 and f"policies[0].definition: {path}: " in err
    assert any(p in err for p in POLICIES[name].parameters), err


# --- scripts and runbooks -----------------------------------------------------------------


@dataclass(frozen=True)
class Script:
    """The finding codes ``arcsim lint`` reports (every one, on the versions named)."""

    codes: frozenset[str] = frozenset()
    versions: tuple[str, ...] = ()


def _s(*codes: str, versions: tuple[str, ...] = ()) -> Script:
    return Script(frozenset(codes), versions)


NO_EFFECT = "no_effect"
GC = "guest_configuration_enabled"
BLOCK_ONLY = ("blocklist_instead_of_allowlist", "script_extension_not_blocked")
SCRIPT_ALLOWED = "script_extension_allowed"
MONITOR = "monitor_mode_allowlist"
"""Info on a script that leaves the agent in monitor mode: a Microsoft-maintained allowlist,
not an audit mode (R19)."""

SCRIPTS: dict[str, Script] = {
    "docs/arc-gateway.txt": _s(NO_EFFECT),
    "docs/azcmagent-check.txt": _s(NO_EFFECT),
    "docs/azcmagent-config-reference.txt": _s(GC),
    "docs/azcmagent-connect-examples.txt": _s(NO_EFFECT),
    "docs/azcmagent-disconnect.txt": _s(NO_EFFECT),
    "docs/azcmagent-genkey-license.txt": _s(NO_EFFECT),
    "docs/azcmagent-logs.txt": _s(NO_EFFECT),
    "docs/azcmagent-show.txt": _s(NO_EFFECT),
    "docs/common-flags.txt": _s("config_file_not_read", NO_EFFECT),
    "docs/extension-remove-windows.txt": _s(),
    "docs/manage-agent-cpu-limits.txt": _s(versions=("1.39", "1.58")),
    "docs/manage-agent-upgrade-linux.txt": _s(NO_EFFECT),
    "docs/onboard-service-principal.txt": _s(NO_EFFECT),
    "docs/proxy-settings.txt": _s(),
    "docs/remote-access.txt": _s(),
    "docs/security-extensions-ama-linux.txt": _s(),
    "docs/security-extensions-ama-windows.txt": _s(),
    "docs/security-extensions-blocklist-scripts.txt": _s(BLOCK_ONLY[0], GC),
    "docs/security-extensions-disable-manager.txt": _s("manager_disabled"),
    "docs/security-extensions-esu-only.txt": _s(GC),
    "docs/security-extensions-monitor-mode.txt": _s(),
    "docs/security-extensions-monitoring-security-windows.txt": _s(GC, SCRIPT_ALLOWED),
    "docs/security-extensions-vminsights-windows.txt": _s(SCRIPT_ALLOWED),
    "docs/ssh-incoming-connections.txt": _s(),
    "docs/troubleshooting.txt": _s(NO_EFFECT),
    "scripts/bash/ansible-style-and-chains.sh": _s(),
    "scripts/bash/blocklist-add-remove.sh": _s(*BLOCK_ONLY, GC),
    "scripts/bash/cloud-init-runcmd.sh": _s(),
    "scripts/bash/connect-existing-vm.sh": _s(NO_EFFECT),
    "scripts/bash/connect-private-link.sh": _s(NO_EFFECT),
    "scripts/bash/extension-remove-linux.sh": _s(),
    "scripts/bash/harden-linux-ama.sh": _s(),
    "scripts/bash/harden-linux-full-path.sh": _s(*BLOCK_ONLY),
    "scripts/bash/heredoc-and-functions.sh": _s(MONITOR),
    "scripts/bash/jumpstart-service-principal.sh": _s(NO_EFFECT),
    "scripts/bash/log-analytics-vminsights.sh": _s(SCRIPT_ALLOWED),
    "scripts/bash/monitor-mode-linux.sh": _s(MONITOR),
    "scripts/bash/onboard-portal-generated.sh": _s(NO_EFFECT),
    "scripts/bash/security-monitoring-linux.sh": _s(GC, SCRIPT_ALLOWED),
    "scripts/bash/ssh-fanout.sh": _s(),
    "scripts/bash/upgrade-agent.sh": _s(NO_EFFECT),
    "scripts/bash/variable-allowlist.sh": _s(GC, "value_not_known"),
    "scripts/cmd/lockdown.cmd": _s(),
    "scripts/cmd/onboard.bat": _s(*BLOCK_ONLY, GC, NO_EFFECT),
    "scripts/powershell/arcbox-invoke-command.ps1": _s(),
    "scripts/powershell/article-blocklist-typographic.ps1": _s("command_refused",
                                                               "malformed_entry"),
    "scripts/powershell/connect-config-file.ps1": _s(NO_EFFECT),
    "scripts/powershell/cpu-limits.ps1": _s(),
    "scripts/powershell/disable-extension-manager.ps1": _s("manager_disabled"),
    "scripts/powershell/disconnect-reconnect.ps1": _s(NO_EFFECT),
    "scripts/powershell/esu-allow-none.ps1": _s(),
    "scripts/powershell/esu-on-old-agent.ps1": _s("allow_none_unsupported", GC,
                                                  versions=("1.30-1.58",)),
    "scripts/powershell/extension-cleanup-local.ps1": _s(),
    "scripts/powershell/gateway-connection.ps1": _s(NO_EFFECT),
    "scripts/powershell/gpo-onboarding-service-principal.ps1": _s(NO_EFFECT, "value_not_known"),
    "scripts/powershell/harden-allowlist-ama.ps1": _s(),
    "scripts/powershell/harden-blocklist-backtick.ps1": _s(*BLOCK_ONLY, GC),
    "scripts/powershell/here-string-and-comments.ps1": _s(),
    "scripts/powershell/monitor-mode-switch.ps1": _s(MONITOR),
    "scripts/powershell/monitor-mode-then-lists.ps1": _s("lists_frozen", GC, SCRIPT_ALLOWED),
    "scripts/powershell/onboard-portal-generated.ps1": _s(NO_EFFECT),
    "scripts/powershell/powershell-command-wrapper.ps1": _s(),
    "scripts/powershell/proxy-settings.ps1": _s(),
    "scripts/powershell/quoted-variable-sql-optout.ps1": _s(NO_EFFECT),
    "scripts/powershell/remote-servers-loop.ps1": _s(),
    "scripts/powershell/remove-from-allowlist.ps1": _s(),
    "scripts/powershell/start-process-argument-string.ps1": _s(NO_EFFECT),
    "scripts/powershell/start-process-lockdown-array.ps1": _s(),
    "scripts/powershell/tier0-settings-json.ps1": _s(),
    "scripts/powershell/troubleshooting-commands.ps1": _s(NO_EFFECT),
    "scripts/powershell/typo-in-extension-name.ps1": _s(SCRIPT_ALLOWED, "unknown_extension"),
    "scripts/powershell/uninstall-agent.ps1": _s(NO_EFFECT),
}
"""Each script is read (no script is refused: lines that are not agent calls are skipped);
the codes are what the configuration the script produces breaks, reviewed one by one."""


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_r8a_each_real_script_lints_to_its_tabled_findings(arcsim: Arcsim, name: str) -> None:
    case = SCRIPTS[name]
    flags = [a for v in case.versions for a in ("--agent-version", v)]
    status, out, err = arcsim("lint", CORPUS / name, "--json", *flags)
    assert status in (0, 1) and err == "", err
    findings = json.loads(out)["findings"]
    assert {f["code"] for f in findings} == case.codes
    assert status == (1 if any(f["severity"] == "error" for f in findings) else 0)
    lines = [f["line"] if f["line"] is not None else 10**9 for f in findings]
    assert lines == sorted(lines)


# --- exports and REST API examples --------------------------------------------------------


@dataclass(frozen=True)
class Export:
    """What ``arcsim import`` makes of a file, with the files it needs (``with_``): machines
    by OS and installed extensions (Succeeded or Failed); or the refusal and why."""

    by_os: dict[str, int] = field(default_factory=dict)
    installed: int = 0
    with_: tuple[str, ...] = ()
    warning: str = ""
    refused: str = ""
    why: str = ""


NEEDS_MACHINES = "no Arc-enabled machines found in {} (an extensions list needs the machines " \
                 "export too)"
WHY_MACHINES = ("an extension list says nothing of its machines' OS and agent; imported with "
                "its machines export, it is read (the with_ row)")
NO_OS = "reports its OS (osType and osName absent or null: pre-registered or still onboarding)"
WHY_NO_OS = ("the example's machines report no OS (a placeholder body): a machine without OS "
             "cannot be simulated, and an export where no machine has one has nothing to import")
API_MACHINE = "api/2024-07-10/machine/Machines_Get.json"

EXPORTS: dict[str, Export] = {
    "exports/arg-portal-export.csv": Export({LINUX: 1, WINDOWS: 1}),
    "exports/arg-query-extensions.json": Export(
        {LINUX: 1, WINDOWS: 1}, 2, with_=("exports/arg-query-machines.json",),
        refused=NEEDS_MACHINES, why=WHY_MACHINES),
    "exports/arg-query-machines.json": Export({LINUX: 1, WINDOWS: 1}, warning="left out"),
    "exports/arg-query-sql-discovered.json": Export({WINDOWS: 2}),
    "exports/arg-query-table.json": Export({LINUX: 1, WINDOWS: 1}),
    "exports/arm-extensions-failed.json": Export(
        {LINUX: 1, WINDOWS: 1}, 2, with_=("exports/arm-page-osname-only.json",),
        refused=NEEDS_MACHINES, why=WHY_MACHINES),
    "exports/arm-extensions-list-2024-07-10.json": Export(
        {WINDOWS: 2}, 1, with_=("exports/arm-machines-list-2024-07-10.json",),
        refused=NEEDS_MACHINES, why=WHY_MACHINES),
    "exports/arm-machines-list-2024-07-10.json": Export(
        {WINDOWS: 2}, warning="OS taken from licenseProfile.productProfile.productType"),
    "exports/arm-page-osname-only.json": Export({LINUX: 1, WINDOWS: 1}),
    "exports/arm-page1-nextlink.json": Export({WINDOWS: 2}, with_=("exports/arm-page2-last.json",)),
    "exports/arm-page2-last.json": Export({WINDOWS: 1}),
    "exports/cli-connectedmachine-extension-list.json": Export(
        {LINUX: 1, WINDOWS: 2}, 3, with_=("exports/cli-connectedmachine-list.json",),
        refused=NEEDS_MACHINES, why=WHY_MACHINES),
    "exports/cli-connectedmachine-list.json": Export({LINUX: 1, WINDOWS: 2},
                                                     warning="prereg-0042"),
    "exports/cli-show-one-machine.json": Export({WINDOWS: 1}),
    "api/2020-08-02/GETExtension.json": Export(
        {WINDOWS: 1}, 1, with_=(API_MACHINE,), refused=NEEDS_MACHINES, why=WHY_MACHINES),
    "api/2020-08-02/LISTExtension.json": Export(
        {WINDOWS: 1}, 1, with_=(API_MACHINE,), warning="state Creating are not counted",
        refused=NEEDS_MACHINES, why=WHY_MACHINES),
    "api/2020-08-02/Machines_Get.json": Export(refused=NO_OS, why=WHY_NO_OS),
    "api/2020-08-02/Machines_ListByResourceGroup.json": Export(refused=NO_OS, why=WHY_NO_OS),
    "api/2020-08-02/UpdateExtension.json": Export(
        {WINDOWS: 1}, 1, with_=(API_MACHINE,), refused=NEEDS_MACHINES, why=WHY_MACHINES),
    "api/2024-07-10/extension/Extension_CreateOrUpdate.json": Export(
        {WINDOWS: 1}, 1, with_=(API_MACHINE,), refused=NEEDS_MACHINES, why=WHY_MACHINES),
    "api/2024-07-10/extension/Extension_Get.json": Export(
        {WINDOWS: 1}, 1, with_=(API_MACHINE,), refused=NEEDS_MACHINES, why=WHY_MACHINES),
    "api/2024-07-10/extension/Extension_Update.json": Export(
        {WINDOWS: 1}, 1, with_=(API_MACHINE,), refused=NEEDS_MACHINES, why=WHY_MACHINES),
    API_MACHINE: Export({WINDOWS: 1}, warning="OS taken from licenseProfile"),
    "api/2024-07-10/machine/Machines_ListByResourceGroup.json": Export(
        {WINDOWS: 2}, warning="OS taken from licenseProfile"),
}

NOT_INPUT: dict[str, str] = {
    "SOURCES.md": "where every file comes from",
    "scripts/powershell/connect-config.json": "the --config file connect-config-file.ps1 names; "
                                              "lint reads it through the script",
    "api/2020-08-02/DELETEExtension.json": "a request with empty responses (200, 202, 204): "
                                           "nothing to import",
    "api/2024-07-10/extension/Extensions_Upgrade.json": "a request with an empty response "
                                                        "(202): nothing to import",
}
"""Files that are not inputs of their own, and why."""


def _input(name: str, tmp_path: Path) -> Path:
    """The file to import: an export as it is; a REST API example's recorded response body."""
    path = CORPUS / name
    if not name.startswith("api/"):
        return path
    example = json.loads(path.read_text(encoding="utf-8-sig"))
    (body,) = [r["body"] for r in example["responses"].values() if r.get("body")]
    out = tmp_path / name.replace("/", "_")
    out.write_text(json.dumps(body))
    return out


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_r6c_each_real_export_imports_as_tabled(arcsim: Arcsim, tmp_path: Path,
                                                name: str) -> None:
    case, source = EXPORTS[name], _input(name, tmp_path)
    status, out, err = arcsim("import", source, "--json")
    if case.refused:
        assert case.why and status == 2 and "Traceback" not in err
        assert case.refused.format(source) in err
        if not case.with_:
            return
        status, out, err = arcsim("import", *[_input(n, tmp_path) for n in case.with_],
                                  source, "--json")
    elif case.with_:
        assert status == 0, err
        status, out, err = arcsim("import", source, *[_input(n, tmp_path) for n in case.with_],
                                  "--json")
    assert status == 0, err
    summary = json.loads(out)
    assert summary["by_os"] == case.by_os
    assert sum(summary["installed_by_type"].values()) == case.installed
    assert case.warning in " ".join(summary["warnings"])


def test_every_corpus_file_is_in_exactly_one_table() -> None:
    files = {p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*") if p.is_file()}
    tables = [{f"policy/{n}" for n in POLICIES}, set(SCRIPTS), set(EXPORTS), set(NOT_INPUT)]
    assert sum(len(t) for t in tables) == len(set().union(*tables))
    assert set().union(*tables) == files
    assert len(files) >= 150


def test_not_input_examples_have_no_body_to_import() -> None:
    for name in NOT_INPUT:
        if name.startswith("api/"):
            example = json.loads((CORPUS / name).read_text(encoding="utf-8-sig"))
            assert not any(isinstance(r, dict) and r.get("body")
                           for r in example["responses"].values())


def corpus_counts() -> dict[str, int]:
    """Files read as they are; refused alone but read with what they need (an extension list
    with its machines, a definition with the fleet properties it reads); refused, with the
    reason in the tables; not inputs of their own."""
    cases = [(c.refused, c.properties is not None) for c in POLICIES.values()] + [
        (c.refused, bool(c.with_)) for c in EXPORTS.values()] + [("", False)] * len(SCRIPTS)
    return {"read": sum(not refused for refused, _ in cases),
            "read_with_what_they_need": sum(bool(refused) and needs for refused, needs in cases),
            "refused": sum(bool(refused) and not needs for refused, needs in cases),
            "not_input": len(NOT_INPUT)}


def test_the_corpus_counts_stay_as_documented() -> None:
    assert corpus_counts() == {"read": 128, "read_with_what_they_need": 12, "refused": 6,
                               "not_input": 4}
