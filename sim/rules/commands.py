"""The ``azcmagent`` command language, executed (spec R6, R8, R8a, R15, R19-R23, R30).

Commands are parsed by :mod:`sim.rules.command_parse` (re-exported here) and executed against
a machine's :class:`LocalState`. Nothing is ever run for real. Refusals raise
:class:`CommandError` whose message is modelled on the real tool (``Error: ...``) and says
why. Commands outside the model (``connect``, ``show``...) change nothing. Where the
documentation does not say what the agent does (``Allow/None`` before 1.35, a list value with
one malformed entry), execution follows the :class:`~sim.rules.readings.Readings` passed in;
parsing needs none (it does not read list entries).
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, replace
from typing import Any

from sim.rules.command_parse import (
    OTHER_COMMANDS,
    Command,
    CommandError,
    ErrorCode,
    ListEdit,
    Verb,
    parse,
    parse_words,
    split_line,
)
from sim.rules.config import (
    KEYS,
    KEYS_BY_NAME,
    LIST_KEYS,
    SECURITY_KEYS,
    AgentConfig,
    ConfigKey,
    KeyKind,
    Mode,
    key_available,
    render_config_info,
    render_config_list,
)
from sim.rules.identity import (
    ALLOW_NONE,
    ExtensionId,
    ExtensionIdError,
)
from sim.rules.readings import (
    DEFAULT_READINGS,
    AllowNoneOnOldAgents,
    MalformedListEntry,
    Readings,
)
from sim.rules.versions import Feature, has

__all__ = [
    "OTHER_COMMANDS", "Applied", "Command", "CommandError", "ErrorCode", "ListEdit",
    "LocalState", "Verb", "apply", "apply_all", "config_after", "execute", "parse",
    "parse_words", "split_line",
]


@dataclass(frozen=True, slots=True)
class LocalState:
    """What local commands see on a machine: its configuration, installed extensions, service."""

    config: AgentConfig
    installed: tuple[ExtensionId, ...] = ()
    service_running: bool = True


@dataclass(frozen=True, slots=True)
class Applied:
    """The outcome of one command: the new state and what the tool printed."""

    state: LocalState
    output: str
    command: Command


# --- execution --------------------------------------------------------------------------------


def apply(line: str, state: LocalState | AgentConfig, *,
          readings: Readings = DEFAULT_READINGS) -> Applied:
    """Parse and execute one command line against ``state`` (an :class:`AgentConfig` is taken
    as a machine with nothing installed and the extension service running)."""
    if isinstance(state, AgentConfig):
        state = LocalState(state)
    return execute(parse(line), state, readings=readings)


def apply_all(lines: list[str] | tuple[str, ...], state: LocalState | AgentConfig, *,
              readings: Readings = DEFAULT_READINGS) -> LocalState:
    """Apply command lines in order; the first refusal raises :class:`CommandError`."""
    current = state if isinstance(state, LocalState) else LocalState(state)
    for line in lines:
        current = apply(line, current, readings=readings).state
    return current


def execute(command: Command, state: LocalState, *,
            readings: Readings = DEFAULT_READINGS) -> Applied:
    """Execute a parsed command; raise :class:`CommandError` when the agent refuses it.
    ``readings`` settle what the documentation leaves open (:mod:`sim.rules.readings`)."""
    config = state.config
    verb = command.verb
    if verb is Verb.OTHER:
        return Applied(state, "", command)
    if verb is Verb.CONFIG_LIST:
        return Applied(state, _list_json(config) if command.json else render_config_list(config),
                       command)
    if verb is Verb.CONFIG_INFO:
        if command.key:
            _check_key(command, config)
        return Applied(state, render_config_info(config.version, command.key), command)
    if verb is Verb.CONFIG_GET:
        _check_key(command, config)
        return Applied(state, config.value_text(command.key), command)
    if command.changes_config:
        return Applied(replace(state, config=config_after(command, config, readings=readings)),
                       "", command)
    if verb in (Verb.SERVICE_STOP, Verb.SERVICE_START):
        return Applied(replace(state, service_running=verb is Verb.SERVICE_START), "", command)
    return _execute_extension(command, state)


def config_after(command: Command, config: AgentConfig, *,
                 readings: Readings = DEFAULT_READINGS) -> AgentConfig:
    """The configuration after a ``config set`` or ``config clear`` command (pure, cacheable
    per configuration and readings)."""
    _check_key(command, config)
    key = KEYS_BY_NAME[command.key]
    if command.key in LIST_KEYS and config.is_monitor_mode:
        raise CommandError(
            ErrorCode.LISTS_FROZEN,
            f"{command.key} cannot be changed while the agent is in monitor mode; run "
            '"azcmagent config set config.mode full" first, then set your own lists',
            line=command.line, rule="R21")
    if command.edit is not ListEdit.REPLACE and not key.is_list:
        raise CommandError(ErrorCode.USAGE,
                           f"--{command.edit.value} works only on list properties, not "
                           f"{command.key}", line=command.line)
    if command.key not in SECURITY_KEYS:
        return _set_other(config, key, command)
    if command.verb is Verb.CONFIG_CLEAR:
        default = "" if key.kind is KeyKind.LIST else key.default
        return _set_value(config, command.key, default, command, readings)
    return _set_value(config, command.key, command.value, command, readings)


def _list_json(config: AgentConfig) -> str:
    """``config list -j``: ``{"localsettings": [{"key", "value"}...]}`` (values as shown)."""
    rows = [{"key": key.name, "value": config.value_text(key.name)} for key in KEYS
            if key_available(key.name, config.version)]
    return json.dumps({"localsettings": rows})


def _set_other(config: AgentConfig, key: ConfigKey, command: Command) -> AgentConfig:
    """``set``/``clear`` of a key outside the extension controls: validated, then stored."""
    if command.verb is Verb.CONFIG_CLEAR:
        return config.with_setting(key.name, None)
    entries = _valid_entries(key, command)
    if command.edit is ListEdit.ADD:
        current = [e for e in dict(config.settings).get(key.name, "").split(",") if e]
        have = {c.lower() for c in current}
        entries = current + [e for e in entries if e.lower() not in have]
    elif command.edit is ListEdit.REMOVE:
        current = [e for e in dict(config.settings).get(key.name, "").split(",") if e]
        dropped = {e.lower() for e in entries}
        entries = [c for c in current if c.lower() not in dropped]
    return config.with_setting(key.name, ",".join(entries))


def _valid_entries(key: ConfigKey, command: Command) -> list[str]:
    """The value of ``command`` as entries of ``key`` (one for a single-valued key)."""
    text = command.value.strip()
    entries = [e.strip() for e in text.split(",") if e.strip()] if key.is_list else [text]
    for entry in entries:
        if not _valid(key, entry):
            raise CommandError(ErrorCode.INVALID_VALUE,
                               f'invalid value "{entry}" for {key.name}: expected '
                               f"{_expected(key)}", line=command.line)
    return [next((c for c in key.choices if c.lower() == e.lower()), e) for e in entries]


def _valid(key: ConfigKey, entry: str) -> bool:
    if key.kind in (KeyKind.WORDS, KeyKind.CHOICE):
        return entry.lower() in {c.lower() for c in key.choices}
    if key.kind is KeyKind.PORTS:
        return entry.isdigit() and 1 <= int(entry) <= 65535
    if key.kind is KeyKind.PERCENT:
        return entry.isdigit() and 1 <= int(entry) <= 100
    return bool(entry)


def _expected(key: ConfigKey) -> str:
    if key.choices:
        return ("a comma-separated list of " if key.is_list else "one of ") + ", ".join(
            key.choices)
    return {KeyKind.PORTS: "ports 1-65535, comma separated", KeyKind.PERCENT:
            "a whole percentage from 1 to 100"}.get(key.kind, "a value")


def _check_key(command: Command, config: AgentConfig) -> None:
    name = command.key
    if name not in KEYS_BY_NAME:
        close = difflib.get_close_matches(name, KEYS_BY_NAME, n=1)
        hint = f'; did you mean "{close[0]}"?' if close else ""
        raise CommandError(ErrorCode.UNKNOWN_KEY,
                           f'"{name}" is not a configuration property{hint}', line=command.line)
    if not key_available(name, config.version):
        since = KEYS_BY_NAME[name].since.since
        raise CommandError(
            ErrorCode.KEY_UNAVAILABLE,
            f'configuration property "{name}" is not available on agent version '
            f"{config.version}: it requires agent {since} or later",
            line=command.line, rule="R30")


def _set_value(config: AgentConfig, name: str, text: str, command: Command,
               readings: Readings) -> AgentConfig:
    kind = KEYS_BY_NAME[name].kind
    if kind is KeyKind.BOOL:
        return _with_field(config, name, _parse_bool(name, text, command))
    if kind is KeyKind.MODE:
        return _switch_mode(config, _parse_mode(text, command))
    return _set_list(config, name, text, command, readings)


def _with_field(config: AgentConfig, name: str, value: Any) -> AgentConfig:
    """``config`` with security key ``name``'s field (:data:`SECURITY_KEYS`) set to ``value``."""
    changes: dict[str, Any] = {SECURITY_KEYS[name]: value}
    return replace(config, **changes)


def _parse_bool(name: str, text: str, command: Command) -> bool:
    lowered = text.strip().lower()
    if lowered not in ("true", "false"):
        raise CommandError(ErrorCode.INVALID_VALUE,
                           f'invalid value "{text}" for {name}: expected true or false',
                           line=command.line)
    return lowered == "true"


def _parse_mode(text: str, command: Command) -> Mode:
    try:
        return Mode(text.strip().lower())
    except ValueError:
        raise CommandError(ErrorCode.INVALID_VALUE,
                           f'invalid value "{text}" for config.mode: expected full or monitor',
                           line=command.line, rule="R19") from None


def _switch_mode(config: AgentConfig, mode: Mode) -> AgentConfig:
    """Enter or leave monitor mode (R19, R22).

    Leaving monitor mode keeps the lists that were in effect (the monitor list as allowlist, no
    blocklist) from agent 1.22 (R22 [doc]). ASSUMPTION: before 1.22 leaving monitor mode resets
    both lists to their defaults (empty): "not kept".
    """
    if mode is config.mode:
        return config
    if mode is Mode.MONITOR:
        return replace(config, mode=mode)
    if has(config.version, Feature.KEEP_LISTS_ON_FULL):
        return replace(config, mode=mode, allowlist=config.effective_allowlist,
                       blocklist=config.effective_blocklist)
    return replace(config, mode=mode, allowlist=(), blocklist=())


def _set_list(config: AgentConfig, name: str, text: str, command: Command,
              readings: Readings) -> AgentConfig:
    field = SECURITY_KEYS[name]
    entries = _list_entries(name, text, command, readings)
    current: tuple[ExtensionId, ...] = getattr(config, field)
    if command.edit is ListEdit.ADD:
        entries = current + tuple(e for e in entries if e not in current)
    elif command.edit is ListEdit.REMOVE:
        entries = tuple(e for e in current if e not in entries)
    _check_allow_none(config, name, entries, command, readings)
    return _with_field(config, name, entries)


def _list_entries(name: str, text: str, command: Command,
                  readings: Readings) -> tuple[ExtensionId, ...]:
    """The entries of a list value, read once: empty ones skipped, duplicates (in any case)
    kept once in first-seen order. A malformed entry fails the command, or is dropped under
    the ``valid_entries_apply`` reading (R1, R8a)."""
    seen: dict[ExtensionId, None] = {}
    for entry in text.split(","):
        if not entry.strip():
            continue
        try:
            seen.setdefault(ExtensionId.parse(entry), None)
        except ExtensionIdError as exc:
            if readings.malformed_list_entry is not MalformedListEntry.VALID_ENTRIES_APPLY:
                raise CommandError(ErrorCode.INVALID_VALUE, f"invalid entry in {name}: {exc}",
                                   line=command.line, rule="R1") from None
    return tuple(seen)


def _check_allow_none(config: AgentConfig, name: str, entries: tuple[ExtensionId, ...],
                      command: Command, readings: Readings) -> None:
    """Where ``Allow/None`` may stand (R15). Before agent 1.35 the command is refused, or,
    under the ``ordinary_entry`` reading, the value is kept as a name like any other."""
    if ALLOW_NONE not in entries:
        return
    if (not has(config.version, Feature.ALLOW_NONE)
            and readings.allow_none_before_1_35 is AllowNoneOnOldAgents.ORDINARY_ENTRY):
        return
    if name != "extensions.allowlist":
        raise CommandError(ErrorCode.INVALID_VALUE,
                           f"Allow/None is only valid in extensions.allowlist, not {name}",
                           line=command.line, rule="R15")
    if not has(config.version, Feature.ALLOW_NONE):
        raise CommandError(ErrorCode.ALLOW_NONE_UNSUPPORTED,
                           f"Allow/None requires agent 1.35 or later (this agent is "
                           f"{config.version})", line=command.line, rule="R15")
    if len(entries) > 1:
        raise CommandError(ErrorCode.INVALID_VALUE,
                           "Allow/None cannot be combined with other extensions in "
                           "extensions.allowlist", line=command.line, rule="R15")


def _execute_extension(command: Command, state: LocalState) -> Applied:
    if not has(state.config.version, Feature.EXTENSION_CLI):
        raise CommandError(ErrorCode.UNKNOWN_COMMAND,
                           f'unknown command "extension" for "azcmagent" (agent '
                           f"{state.config.version}; azcmagent extension needs 1.39 or later)",
                           line=command.line, rule="R6")
    if command.verb is Verb.EXTENSION_LIST:
        return Applied(state, "\n".join(e.name for e in state.installed), command)
    if state.service_running:
        raise CommandError(ErrorCode.SERVICE_RUNNING,
                           "the extension service is running: stop it first (systemctl stop extd "
                           "or Stop-Service ExtensionService)", line=command.line, rule="R6")
    if command.remove_all:
        return Applied(replace(state, installed=()), "", command)
    target = _find_installed(command, state.installed)
    remaining = tuple(e for e in state.installed if e != target)
    return Applied(replace(state, installed=remaining), "", command)


def _find_installed(command: Command, installed: tuple[ExtensionId, ...]) -> ExtensionId:
    """The installed extension ``--name`` means: a ``Publisher/Type`` or just its type name."""
    name = command.name.strip()
    if "/" in name:
        try:
            wanted = ExtensionId.parse(name)
        except ExtensionIdError as exc:
            raise CommandError(ErrorCode.INVALID_VALUE, str(exc), line=command.line,
                               rule="R1") from None
        matches = [e for e in installed if e == wanted]
    else:
        matches = [e for e in installed if e.type.lower() == name.lower()]
    if not matches:
        raise CommandError(ErrorCode.INVALID_VALUE, f'extension "{name}" is not installed',
                           line=command.line, rule="R6")
    return matches[0]
