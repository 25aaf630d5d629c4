"""The checks of :mod:`sim.rules.lint`: entries, version gates and lockdown best practice
(spec R1, R7, R15, R17-R19, R21, R24, R30). Pure functions of a configuration."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from sim.rules.catalogue import Catalogue, Hosting
from sim.rules.commands import Command, Verb
from sim.rules.config import KEYS, LIST_KEYS, SECURITY_KEYS, AgentConfig, key_available
from sim.rules.identity import ALLOW_NONE, ExtensionId, ExtensionIdError
from sim.rules.readings import DEFAULT_READINGS, MalformedListEntry, Readings

NO_PROTECTION = (
    "so this line gives no protection on this agent: every extension can still be installed "
    "(the 1.35 release fixed \"an invalid extension name could impact enforcement of the "
    "lists\", so an older agent cannot be counted on to enforce Allow/None in any form)")
"""Why a refused ``Allow/None`` on an agent older than 1.35 protects nothing (R15)."""
_ORDINARY_ENTRY = (
    "agent {version} has no Allow/None (R15, 1.35+); under the ordinary_entry reading (an "
    "assumption: the documentation does not say) it keeps the value as an ordinary entry that "
    "names no extension, so every install, update and upgrade is blocked as not_on_allowlist; "
    "the 1.35 release fixed \"an invalid extension name could impact enforcement of the "
    "lists\", so the real agent may enforce nothing")


class Severity(StrEnum):
    """How bad a finding is: ``error`` means the plan fails or defeats its own purpose."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found; ``code`` is a stable name, ``rule`` the spec rule it rests on."""

    severity: Severity
    code: str
    rule: str
    message: str
    fix: str
    line: int | None = None
    """1-based line of the script the finding is about; None for the configuration as a whole."""


def entry_findings(command: Command, catalogue: Catalogue, number: int,
                   readings: Readings = DEFAULT_READINGS) -> Iterator[Finding]:
    """Malformed (error) and unknown (warning) entries of a list ``config set``; what a
    malformed entry does depends on ``readings`` (:mod:`sim.rules.readings`)."""
    if command.verb is not Verb.CONFIG_SET or command.key not in LIST_KEYS:
        return
    for text in command.value.split(","):
        if text.strip():
            yield from check_entry(text.strip(), command.key, catalogue, number, readings)


def check_entry(text: str, key: str, catalogue: Catalogue, number: int | None,
                readings: Readings = DEFAULT_READINGS) -> Iterator[Finding]:
    """A malformed entry (error: the whole command fails, or under the
    ``valid_entries_apply`` reading the entry is dropped) or an unknown one (warning)."""
    try:
        ext = ExtensionId.parse(text)
    except ExtensionIdError as exc:
        effect = ("such an entry makes the whole command fail"
                  if readings.malformed_list_entry is MalformedListEntry.COMMAND_FAILS else
                  "under the valid_entries_apply reading (an assumption) this entry is dropped "
                  "and the others are kept, so the extension it meant stays unlisted")
        yield Finding(Severity.ERROR, "malformed_entry", "R1", f"{key}: {exc}; {effect}",
                      _did_you_mean(text, catalogue) or "write the entry as Publisher/Type",
                      number)
        return
    if ext != ALLOW_NONE and ext not in catalogue:
        yield Finding(Severity.WARNING, "unknown_extension", "R1",
                      f"{key}: {ext.name} matches no known extension (a typo would leave the "
                      "intended extension unlisted)",
                      _did_you_mean(text, catalogue)
                      or "check the name in the extension's documentation", number)


def _did_you_mean(text: str, catalogue: Catalogue) -> str:
    close = catalogue.closest(text)
    return f"did you mean {close[0].name}?" if close else ""


def entry_findings_of(config: AgentConfig, catalogue: Catalogue) -> Iterator[Finding]:
    for key, entries in (("extensions.allowlist", config.allowlist),
                         ("extensions.blocklist", config.blocklist)):
        for ext in entries:
            yield from check_entry(ext.name, key, catalogue, None)


def version_findings(config: AgentConfig) -> Iterator[Finding]:
    """Values set on keys the agent version lacks (R30), ``Allow/None`` before 1.35 (R15)."""
    fresh = AgentConfig.fresh(config.version)
    stored = dict(config.settings)
    for key in KEYS:
        if key.name in SECURITY_KEYS:
            attribute = SECURITY_KEYS[key.name]
            changed = getattr(config, attribute) != getattr(fresh, attribute)
        else:
            changed = key.name in stored
        if changed and not key_available(key.name, config.version):
            yield Finding(Severity.ERROR, "key_unavailable", "R30",
                          f"{key.name} is set, but agent {config.version} has no such key "
                          f"(it needs agent {key.since.since})",
                          f"upgrade the agent to {key.since.since} or later", None)
    if config.allow_none_as_entry:
        yield Finding(Severity.ERROR, "allow_none_unsupported", "R15",
                      f"Allow/None needs agent 1.35 or later; this agent is {config.version}: "
                      + _ORDINARY_ENTRY.format(version=config.version),
                      "upgrade the agent to 1.35 or later", None)


def old_allow_none(before: AgentConfig, after: AgentConfig, number: int) -> Iterator[Finding]:
    """``Allow/None`` taken into the allowlist of an agent older than 1.35 (only under the
    ``ordinary_entry`` reading: by default the agent refuses it, R15)."""
    if after.allow_none_as_entry and not before.allow_none_as_entry:
        yield Finding(Severity.ERROR, "allow_none_unsupported", "R15",
                      _ORDINARY_ENTRY.format(version=after.version),
                      "upgrade the agent to 1.35 or later", number)


def config_findings(config: AgentConfig, catalogue: Catalogue,
                     set_by: dict[str, int]) -> list[Finding]:
    """Best-practice findings on the configuration that results (R18, R19, R24)."""
    allow_line = set_by.get("extensions.allowlist")
    block_line = set_by.get("extensions.blocklist")
    return [
        *_blocklist_only(config, catalogue, block_line),
        *_scripts_allowed(config, catalogue, allow_line),
        *_guest_configuration(config, set_by.get("guestconfiguration.enabled")),
        *_frozen_lists(config, set_by.get("config.mode")),
        *_monitor_allowlist(config, set_by.get("config.mode")),
        *_manager_disabled(config, catalogue, set_by.get("extensions.enabled")),
    ]


def _blocklist_only(config: AgentConfig, catalogue: Catalogue,
                    line: int | None) -> Iterator[Finding]:
    if config.is_monitor_mode or config.allowlist or not config.blocklist:
        return
    yield Finding(Severity.WARNING, "blocklist_instead_of_allowlist", "R18",
                  "only a blocklist is set: every extension not on it, including new ones, "
                  "may be installed",
                  "set extensions.allowlist to the extensions this server needs", line)
    missing = [e.id.name for e in catalogue if e.runs_scripts and e.id not in config.blocklist]
    if missing:
        yield Finding(Severity.WARNING, "script_extension_not_blocked", "R7",
                      "the blocklist leaves extensions that run scripts with full privileges "
                      f"installable: {', '.join(missing)}",
                      "add them to extensions.blocklist, or use an allowlist", line)


def _scripts_allowed(config: AgentConfig, catalogue: Catalogue,
                     line: int | None) -> Iterator[Finding]:
    if config.is_monitor_mode:
        return
    for ext in config.allowlist:
        entry = catalogue.get(ext)
        if entry is not None and entry.runs_scripts:
            yield Finding(Severity.ERROR, "script_extension_allowed", "R18",
                          f"{ext.name} ({entry.description or entry.category}) is on the "
                          "allowlist and runs scripts as root/Local System, so a script could "
                          "rewrite the agent configuration (R7, R17)",
                          f"remove {ext.name} from extensions.allowlist", line)


def _guest_configuration(config: AgentConfig, line: int | None) -> Iterator[Finding]:
    locked = bool(config.allowlist or config.blocklist)
    if locked and config.effective_guest_configuration:
        yield Finding(Severity.WARNING, "guest_configuration_enabled", "R18",
                      "guest configuration is enabled under a lockdown: a custom guest "
                      "configuration policy runs privileged and could rewrite the agent "
                      "configuration (R17)",
                      "azcmagent config set guestconfiguration.enabled false", line)


def _frozen_lists(config: AgentConfig, line: int | None) -> Iterator[Finding]:
    own = config.allowlist or config.blocklist
    if config.is_monitor_mode and own and config.allowlist != config.monitor_allowlist:
        yield Finding(Severity.WARNING, "lists_not_in_effect", "R19",
                      "monitor mode is on: the lists you set are not in effect (the "
                      "Microsoft-managed monitor list is) and cannot be changed (R21)",
                      "azcmagent config set config.mode full, then set your own lists", line)


def _monitor_allowlist(config: AgentConfig, line: int | None) -> Iterator[Finding]:
    if not config.is_monitor_mode:
        return
    yield Finding(Severity.INFO, "monitor_mode_allowlist", "R19",
                  "monitor mode is an allowlist that Microsoft maintains, not an audit mode: "
                  "only the monitoring and security extensions on Microsoft's list may be "
                  "installed, everything else is blocked (not just reported). Microsoft does "
                  f"not publish the list: arcsim's list for agent {config.version} is an "
                  "assumption",
                  "run azcmagent config list on a machine in monitor mode to see the list in "
                  "force", line)


def _manager_disabled(config: AgentConfig, catalogue: Catalogue,
                      line: int | None) -> Iterator[Finding]:
    if config.extensions_enabled:
        return
    hosted = [e.name for e in config.allowlist
              if (entry := catalogue.get(e)) is not None and entry.hosting is Hosting.MANAGER]
    what = (f"{', '.join(hosted)} (on the allowlist) " if hosted
            else "extensions hosted by the manager (e.g. the Azure Monitor agent) ")
    yield Finding(Severity.INFO, "manager_disabled", "R24",
                  f"the extension manager is disabled: {what}will not run, while extensions "
                  "running as their own service keep running",
                  "remove extensions you want stopped before disabling the manager", line)


__all__ = ["NO_PROTECTION", "Finding", "Severity", "check_entry", "config_findings",
           "entry_findings", "entry_findings_of", "old_allow_none", "version_findings"]
