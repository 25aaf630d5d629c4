"""Best-practice and correctness checks of a planned lockdown (spec R1, R7, R15, R17-R19,
R21, R24, R30).

:func:`lint` reads either an :class:`AgentConfig` or the command lines an administrator keeps in
a runbook, and returns :class:`Finding` records. Command lines are applied in order to a fresh
agent exactly as the agent would (a refused line changes nothing and the next line still runs),
so a finding says both what is wrong with a line and what the machine ends up with. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum

from sim.rules.catalogue import BUILTIN, Catalogue, Hosting
from sim.rules.commands import (
    Command,
    CommandError,
    ErrorCode,
    LocalState,
    Verb,
    execute,
    parse,
)
from sim.rules.config import KEYS, LIST_KEYS, AgentConfig, key_available
from sim.rules.identity import ALLOW_NONE, TYPOGRAPHIC_QUOTES, ExtensionId, ExtensionIdError
from sim.rules.readings import (
    DEFAULT_READINGS,
    MalformedListEntry,
    Readings,
)
from sim.rules.versions import AgentVersion, Feature, has

DEFAULT_AGENT_VERSION = AgentVersion.parse("1.58")
"""The agent a runbook is checked against when no version is given (a recent release)."""

_FIELD_OF_KEY = {
    "extensions.allowlist": "allowlist",
    "extensions.blocklist": "blocklist",
    "extensions.enabled": "extensions_enabled",
    "guestconfiguration.enabled": "guest_configuration_enabled",
    "config.mode": "mode",
    "incomingconnections.enabled": "incoming_connections_enabled",
    "extensions.agent.cpulimit": "extensions_cpu_limit",
    "guestconfiguration.agent.cpulimit": "guest_configuration_cpu_limit",
}
_NO_PROTECTION = (
    "so this line gives no protection on this agent: every extension can still be installed "
    "(the 1.35 release fixed \"an invalid extension name could impact enforcement of the "
    "lists\", so an older agent cannot be counted on to enforce Allow/None in any form)")
_ORDINARY_ENTRY = (
    "agent {version} has no Allow/None (R15, 1.35+); under the ordinary_entry reading (an "
    "assumption: the documentation does not say) it keeps the value as an ordinary entry that "
    "names no extension, so every install, update and upgrade is blocked as not_on_allowlist; "
    "the 1.35 release fixed \"an invalid extension name could impact enforcement of the "
    "lists\", so the real agent may enforce nothing")
_REFUSED = ("command_refused", "", "correct the line; until then the agent keeps its previous "
            "configuration")
_REFUSAL_KINDS = {
    ErrorCode.KEY_UNAVAILABLE: ("key_unavailable", "R30", "upgrade the agent, or drop the line"),
    ErrorCode.ALLOW_NONE_UNSUPPORTED: ("allow_none_unsupported", "R15",
                                       "upgrade the agent to 1.35 or later"),
    ErrorCode.LISTS_FROZEN: ("lists_frozen", "R21",
                             "run azcmagent config set config.mode full before this line"),
}


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
    """1-based line of the runbook the finding is about; None for the configuration as a whole."""


def lint(
    source: AgentConfig | Sequence[str] | str,
    catalogue: Catalogue = BUILTIN,
    *,
    agent_version: AgentVersion | str | None = None,
    readings: Readings = DEFAULT_READINGS,
) -> list[Finding]:
    """Findings for a configuration or a runbook (a text or a sequence of command lines).

    For command lines, blank lines and ``#`` comments are skipped and ``line`` numbers count
    every line. ``agent_version`` is the agent the runbook runs on (default
    :data:`DEFAULT_AGENT_VERSION`); for an :class:`AgentConfig` it replaces the config's own
    version. ``readings`` are how the agent is taken to treat what the documentation leaves
    open (:mod:`sim.rules.readings`). Raises :class:`~sim.rules.versions.VersionError` for a
    malformed version.
    """
    version = AgentVersion.parse(agent_version) if agent_version is not None else None
    if isinstance(source, AgentConfig):
        config = source.with_version(version) if version else source
        return [*_version_findings(config), *_entry_findings_of(config, catalogue),
                *_config_findings(config, catalogue, {})]
    lines = source.splitlines() if isinstance(source, str) else list(source)
    return _lint_lines(lines, catalogue, version or DEFAULT_AGENT_VERSION, readings)


# --- runbooks -----------------------------------------------------------------------------


def _lint_lines(lines: list[str], catalogue: Catalogue, version: AgentVersion,
                readings: Readings) -> list[Finding]:
    state = LocalState(AgentConfig.fresh(version))
    findings: list[Finding] = []
    set_by: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if line.strip() and not line.lstrip().startswith("#"):
            state = _lint_line(line, number, state, catalogue, findings, set_by, readings)
    return findings + _config_findings(state.config, catalogue, set_by)


def _lint_line(line: str, number: int, state: LocalState, catalogue: Catalogue,
               findings: list[Finding], set_by: dict[str, int],
               readings: Readings) -> LocalState:
    """Run one line as the agent would; append its findings; return the state after it."""
    try:
        command = parse(line)
    except CommandError as exc:
        findings.extend(_refusal_findings(exc, line, number, catalogue, reparse=True))
        return state
    entries = list(_entry_findings(command, catalogue, number, readings))
    try:
        after = execute(command, state, readings=readings).state
    except CommandError as exc:
        findings.extend(_refusal_findings(exc, line, number, catalogue, reparse=False))
    else:
        if command.changes_config:
            set_by[command.key] = number
        findings.extend(_old_allow_none(state.config, after.config, number))
        state = after
    findings.extend(entries)
    return state


def _old_allow_none(before: AgentConfig, after: AgentConfig,
                    number: int) -> Iterator[Finding]:
    """``Allow/None`` taken into the allowlist of an agent older than 1.35 (only under the
    ``ordinary_entry`` reading: by default the agent refuses it, R15)."""
    if (after.is_allow_none and not before.is_allow_none
            and not has(after.version, Feature.ALLOW_NONE)):
        yield Finding(Severity.ERROR, "allow_none_unsupported", "R15",
                      _ORDINARY_ENTRY.format(version=after.version),
                      "upgrade the agent to 1.35 or later", number)


def _refusal_findings(error: CommandError, line: str, number: int, catalogue: Catalogue,
                      *, reparse: bool) -> Iterator[Finding]:
    """The refusal itself; for a line that did not parse because of typographic quotes, also
    what its entries would be with straight quotes."""
    code, rule, fix = _REFUSAL_KINDS.get(error.code, _REFUSED)
    rule = rule or error.rule or "R8a"
    typographic = any(c in TYPOGRAPHIC_QUOTES for c in line)
    if typographic:
        code, rule, fix = "typographic_quotes", "R8a", 'retype the quotes as straight quotes (")'
    why = f"; {_NO_PROTECTION}" if error.code is ErrorCode.ALLOW_NONE_UNSUPPORTED else ""
    yield Finding(Severity.ERROR, code, rule,
                  f"the agent refuses this line and changes nothing: {error}{why}", fix, number)
    if typographic and reparse:
        straight = "".join('"' if c in TYPOGRAPHIC_QUOTES else c for c in line)
        try:
            yield from _entry_findings(parse(straight), catalogue, number, DEFAULT_READINGS)
        except CommandError:
            return


def _entry_findings(command: Command, catalogue: Catalogue, number: int,
                    readings: Readings) -> Iterator[Finding]:
    """Malformed (error) and unknown (warning) entries of a list ``config set``."""
    if command.verb is not Verb.CONFIG_SET or command.key not in LIST_KEYS:
        return
    for text in command.value.split(","):
        if text.strip():
            yield from _check_entry(text.strip(), command.key, catalogue, number, readings)


def _check_entry(text: str, key: str, catalogue: Catalogue, number: int | None,
                 readings: Readings = DEFAULT_READINGS) -> Iterator[Finding]:
    hint = _did_you_mean(text, catalogue)
    try:
        ext = ExtensionId.parse(text)
    except ExtensionIdError as exc:
        effect = ("such an entry makes the whole command fail"
                  if readings.malformed_list_entry is MalformedListEntry.COMMAND_FAILS else
                  "under the valid_entries_apply reading (an assumption) this entry is dropped "
                  "and the others are kept, so the extension it meant stays unlisted")
        yield Finding(Severity.ERROR, "malformed_entry", "R1", f"{key}: {exc}; {effect}",
                      hint or "write the entry as Publisher/Type", number)
        return
    if ext != ALLOW_NONE and ext not in catalogue:
        yield Finding(Severity.WARNING, "unknown_extension", "R1",
                      f"{key}: {ext.name} matches no known extension (a typo would leave the "
                      "intended extension unlisted)",
                      hint or "check the name in the extension's documentation", number)


def _did_you_mean(text: str, catalogue: Catalogue) -> str:
    close = catalogue.closest(text)
    return f"did you mean {close[0].name}?" if close else ""


# --- configurations -----------------------------------------------------------------------


def _entry_findings_of(config: AgentConfig, catalogue: Catalogue) -> Iterator[Finding]:
    for key, entries in (("extensions.allowlist", config.allowlist),
                         ("extensions.blocklist", config.blocklist)):
        for ext in entries:
            yield from _check_entry(ext.name, key, catalogue, None)


def _version_findings(config: AgentConfig) -> Iterator[Finding]:
    """Values set on keys the agent version lacks (R30), ``Allow/None`` before 1.35 (R15)."""
    fresh = AgentConfig.fresh(config.version)
    for key in KEYS:
        attribute = _FIELD_OF_KEY[key.name]
        changed = getattr(config, attribute) != getattr(fresh, attribute)
        if changed and not key_available(key.name, config.version):
            yield Finding(Severity.ERROR, "key_unavailable", "R30",
                          f"{key.name} is set, but agent {config.version} has no such key "
                          f"(it needs agent {key.since.since})",
                          f"upgrade the agent to {key.since.since} or later", None)
    if config.is_allow_none and not has(config.version, Feature.ALLOW_NONE):
        yield Finding(Severity.ERROR, "allow_none_unsupported", "R15",
                      f"Allow/None needs agent 1.35 or later; this agent is {config.version}: "
                      + _ORDINARY_ENTRY.format(version=config.version),
                      "upgrade the agent to 1.35 or later", None)


def _config_findings(config: AgentConfig, catalogue: Catalogue,
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


__all__ = ["DEFAULT_AGENT_VERSION", "Finding", "Severity", "lint"]
