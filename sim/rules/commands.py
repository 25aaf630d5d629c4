"""The ``azcmagent`` command language (spec R6, R8, R8a, R15, R19-R23, R30).

A command line is split as a POSIX shell would split it (so typographic quotes are *not*
quotes), parsed into a :class:`Command`, and executed against a machine's :class:`LocalState`.
Nothing is ever run for real. Refusals raise :class:`CommandError` whose message is modelled on
the real tool (``Error: ...``) and says why.

Accepted forms (an optional leading ``sudo``; ``azcmagent`` or ``azcmagent.exe``)::

    azcmagent config list | info | get KEY | clear KEY
    azcmagent config set KEY VALUE | set KEY --add/-a VALUE | set KEY --remove/-r VALUE
    azcmagent extension list | remove --name NAME | remove --all        (agent 1.39+)
    systemctl stop|start extd                 Stop-Service|Start-Service ExtensionService
"""

from __future__ import annotations

import difflib
import shlex
from dataclasses import dataclass, replace
from enum import StrEnum

from sim.errors import ArcsimError
from sim.rules.config import (
    KEYS_BY_NAME,
    LIST_KEYS,
    AgentConfig,
    KeyKind,
    Mode,
    key_available,
    render_config_info,
    render_config_list,
)
from sim.rules.identity import (
    ALLOW_NONE,
    TYPOGRAPHIC_QUOTES,
    ExtensionId,
    ExtensionIdError,
    parse_extension_list,
)
from sim.rules.readings import (
    DEFAULT_READINGS,
    AllowNoneOnOldAgents,
    MalformedListEntry,
    Readings,
)
from sim.rules.versions import Feature, has


class ErrorCode(StrEnum):
    """Why a command was refused (stable names for records and tests)."""

    SYNTAX = "syntax"
    USAGE = "usage"
    UNKNOWN_COMMAND = "unknown_command"
    UNKNOWN_KEY = "unknown_key"
    KEY_UNAVAILABLE = "key_unavailable"
    INVALID_VALUE = "invalid_value"
    LISTS_FROZEN = "lists_frozen"
    ALLOW_NONE_UNSUPPORTED = "allow_none_unsupported"
    SERVICE_RUNNING = "service_running"


class CommandError(ArcsimError):
    """A command the agent refuses; ``code`` says why, ``str()`` reads like the real tool."""

    def __init__(self, code: ErrorCode, message: str, *, line: str = "", rule: str = "") -> None:
        super().__init__(f"Error: {message}")
        self.code = code
        self.message = message
        self.line = line
        self.rule = rule


class Verb(StrEnum):
    """What a command does."""

    CONFIG_LIST = "config list"
    CONFIG_INFO = "config info"
    CONFIG_GET = "config get"
    CONFIG_SET = "config set"
    CONFIG_CLEAR = "config clear"
    EXTENSION_LIST = "extension list"
    EXTENSION_REMOVE = "extension remove"
    SERVICE_STOP = "service stop"
    SERVICE_START = "service start"


class ListEdit(StrEnum):
    """How ``config set`` changes a list key (R8a)."""

    REPLACE = "replace"
    ADD = "add"
    REMOVE = "remove"


@dataclass(frozen=True, slots=True)
class Command:
    """A parsed command line; hashable so callers can cache its effect per configuration."""

    verb: Verb
    key: str = ""
    value: str = ""
    edit: ListEdit = ListEdit.REPLACE
    name: str = ""
    remove_all: bool = False
    line: str = ""

    @property
    def changes_config(self) -> bool:
        """True for ``config set`` and ``config clear``."""
        return self.verb in (Verb.CONFIG_SET, Verb.CONFIG_CLEAR)


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


# --- splitting and parsing ------------------------------------------------------------------

_SERVICES = {"extd", "extensionservice"}


def split_line(line: str) -> list[str]:
    """Split ``line`` as a POSIX shell would; unbalanced straight quotes are a syntax error."""
    try:
        return shlex.split(line, comments=True, posix=True)
    except ValueError as exc:
        raise CommandError(ErrorCode.SYNTAX, f"cannot split the command line: {exc}",
                           line=line) from None


def parse(line: str) -> Command:
    """Parse one command line into a :class:`Command`; raise :class:`CommandError` if invalid.

    Parsing needs no state; version gates and state checks happen in :func:`execute`.
    """
    words = split_line(line)
    if words and words[0] == "sudo":
        words = words[1:]
    if not words:
        raise CommandError(ErrorCode.USAGE, "empty command line", line=line)
    program = words[0].lower()
    if program in ("systemctl", "stop-service", "start-service", "net"):
        return _parse_service(words, line)
    if program not in ("azcmagent", "azcmagent.exe"):
        raise CommandError(ErrorCode.UNKNOWN_COMMAND,
                           f'"{words[0]}" is not azcmagent (only azcmagent commands and '
                           "starting or stopping the extension service are simulated)", line=line)
    return _parse_azcmagent(words[1:], line)


def _parse_service(words: list[str], line: str) -> Command:
    program = words[0].lower()
    if program in ("systemctl", "net") and len(words) == 3 and words[2].lower() in _SERVICES:
        action = words[1].lower()
    elif program.endswith("-service") and len(words) == 2 and words[1].lower() in _SERVICES:
        action = program.removesuffix("-service")
    else:
        raise CommandError(ErrorCode.USAGE, "expected \"systemctl stop|start extd\" or "
                           "\"Stop-Service|Start-Service ExtensionService\"", line=line)
    if action not in ("stop", "start"):
        raise CommandError(ErrorCode.USAGE, f'unknown service action "{action}"', line=line)
    return Command(Verb.SERVICE_STOP if action == "stop" else Verb.SERVICE_START, line=line)


def _split_flags(
    words: list[str], line: str, known: dict[str, str]
) -> tuple[list[str], dict[str, str]]:
    """Separate positional words from flags; ``known`` maps each spelling to a flag name.

    Flags named with a trailing ``=`` take a value (``--name X`` or ``--name=X``).
    """
    positional: list[str] = []
    flags: dict[str, str] = {}
    i = 0
    while i < len(words):
        word = words[i]
        if word.startswith("-") and word != "-":
            spelled, _, inline = word.partition("=")
            flag = known.get(spelled)
            if flag is None:
                what = f"unknown flag: {spelled}" if spelled.startswith("--") else (
                    f"unknown shorthand flag: '{spelled[1:2]}' in {spelled}")
                raise CommandError(ErrorCode.USAGE, what, line=line)
            if flag.endswith("="):
                if not inline:
                    i += 1
                    if i >= len(words):
                        raise CommandError(ErrorCode.USAGE, f"flag needs an argument: {spelled}",
                                           line=line)
                    inline = words[i]
                flags[flag.rstrip("=")] = inline
            elif _bool_flag(spelled, inline, line):
                flags[flag] = "true"
        else:
            positional.append(word)
        i += 1
    return positional, flags


def _bool_flag(spelled: str, inline: str, line: str) -> bool:
    """Whether a boolean flag is set: bare, ``--flag=true`` or ``--flag=false``."""
    if inline.lower() in ("", "true", "false"):
        return inline.lower() != "false"
    raise CommandError(ErrorCode.USAGE, f'invalid argument "{inline}" for "{spelled}" flag: '
                       "it takes no value (put the value after it, separated by a space)",
                       line=line)


_GLOBAL_FLAGS = {"--verbose": "verbose", "-v": "verbose"}


def _parse_azcmagent(words: list[str], line: str) -> Command:
    if not words:
        raise CommandError(ErrorCode.USAGE, "azcmagent needs a command (config, extension)",
                           line=line)
    group, rest = words[0], words[1:]
    if group == "config":
        return _parse_config(rest, line)
    if group == "extension":
        return _parse_extension(rest, line)
    raise CommandError(ErrorCode.UNKNOWN_COMMAND, f'unknown command "{group}" for "azcmagent"',
                       line=line)


def _arity(verb: str, args: list[str], expected: int, line: str) -> None:
    if len(args) == expected:
        return
    message = f'"azcmagent {verb}" accepts {expected} arg(s), received {len(args)}'
    quoted = [a for a in args if any(c in TYPOGRAPHIC_QUOTES for c in a)]
    if quoted:
        message += (
            f"; the value was split into {len(args) - 1} words because typographic quotes "
            "(“ ”) are not shell quotes: retype them as straight quotes (\")"
        )
    elif verb == "config set" and len(args) > 2:
        message += "; a value with spaces must be quoted"
    raise CommandError(ErrorCode.USAGE, message, line=line)


def _parse_config(words: list[str], line: str) -> Command:
    if not words:
        raise CommandError(ErrorCode.USAGE,
                           "azcmagent config needs a command (list, info, get, set, clear)",
                           line=line)
    action, rest = words[0], words[1:]
    if action == "set":
        known = {"--add": "add", "-a": "add", "--remove": "remove", "-r": "remove",
                 **_GLOBAL_FLAGS}
        args, flags = _split_flags(rest, line, known)
        _arity("config set", args, 2, line)
        if "add" in flags and "remove" in flags:
            raise CommandError(ErrorCode.USAGE, "--add and --remove cannot be used together",
                               line=line)
        edit = ListEdit.ADD if "add" in flags else (
            ListEdit.REMOVE if "remove" in flags else ListEdit.REPLACE)
        return Command(Verb.CONFIG_SET, key=args[0], value=args[1], edit=edit, line=line)
    verbs = {"get": (Verb.CONFIG_GET, 1), "clear": (Verb.CONFIG_CLEAR, 1),
             "list": (Verb.CONFIG_LIST, 0), "info": (Verb.CONFIG_INFO, 0)}
    if action not in verbs:
        raise CommandError(ErrorCode.UNKNOWN_COMMAND,
                           f'unknown command "{action}" for "azcmagent config"', line=line)
    verb, count = verbs[action]
    args, _ = _split_flags(rest, line, dict(_GLOBAL_FLAGS))
    _arity(f"config {action}", args, count, line)
    return Command(verb, key=args[0] if args else "", line=line)


def _parse_extension(words: list[str], line: str) -> Command:
    if not words or words[0] not in ("list", "remove"):
        got = f' "{words[0]}"' if words else ""
        raise CommandError(ErrorCode.UNKNOWN_COMMAND,
                           f'unknown command{got} for "azcmagent extension" (list, remove)',
                           line=line)
    known = {"--name": "name=", "-n": "name=", "--all": "all", "-a": "all", **_GLOBAL_FLAGS}
    args, flags = _split_flags(words[1:], line, known)
    _arity(f"extension {words[0]}", args, 0, line)
    if words[0] == "list":
        return Command(Verb.EXTENSION_LIST, line=line)
    if ("name" in flags) == ("all" in flags):
        raise CommandError(ErrorCode.USAGE, "extension remove needs exactly one of --name or --all",
                           line=line)
    return Command(Verb.EXTENSION_REMOVE, name=flags.get("name", ""),
                   remove_all="all" in flags, line=line)


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
    if verb is Verb.CONFIG_LIST:
        return Applied(state, render_config_list(config), command)
    if verb is Verb.CONFIG_INFO:
        return Applied(state, render_config_info(config.version), command)
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
    if command.verb is Verb.CONFIG_CLEAR:
        default = "" if key.kind is KeyKind.LIST else key.default
        return _set_value(config, command.key, default, command, readings)
    if command.edit is not ListEdit.REPLACE and key.kind is not KeyKind.LIST:
        raise CommandError(ErrorCode.USAGE,
                           f"--{command.edit.value} works only on list properties, not "
                           f"{command.key}", line=command.line)
    return _set_value(config, command.key, command.value, command, readings)


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
        value = _parse_bool(name, text, command)
        if name == "extensions.enabled":
            return replace(config, extensions_enabled=value)
        if name == "guestconfiguration.enabled":
            return replace(config, guest_configuration_enabled=value)
        return replace(config, incoming_connections_enabled=value)
    if kind is KeyKind.MODE:
        return _switch_mode(config, _parse_mode(text, command))
    if kind is KeyKind.PERCENT:
        percent = _parse_percent(name, text, command)
        if name == "extensions.agent.cpulimit":
            return replace(config, extensions_cpu_limit=percent)
        return replace(config, guest_configuration_cpu_limit=percent)
    return _set_list(config, name, text, command, readings)


def _parse_percent(name: str, text: str, command: Command) -> int:
    value = text.strip()
    if not value.isdigit() or not 1 <= int(value) <= 100:
        raise CommandError(ErrorCode.INVALID_VALUE,
                           f'invalid value "{text}" for {name}: expected a whole number of '
                           "percent from 1 to 100", line=command.line)
    return int(value)


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
    entries = _list_entries(name, text, command, readings)
    current = config.allowlist if name == "extensions.allowlist" else config.blocklist
    if command.edit is ListEdit.ADD:
        entries = current + tuple(e for e in entries if e not in current)
    elif command.edit is ListEdit.REMOVE:
        entries = tuple(e for e in current if e not in entries)
    _check_allow_none(config, name, entries, command, readings)
    if name == "extensions.allowlist":
        return replace(config, allowlist=entries)
    return replace(config, blocklist=entries)


def _list_entries(name: str, text: str, command: Command,
                  readings: Readings) -> tuple[ExtensionId, ...]:
    """The entries of a list value; a malformed one fails the command, or is dropped under
    the ``valid_entries_apply`` reading (R1, R8a)."""
    try:
        return parse_extension_list(text)
    except ExtensionIdError as exc:
        if readings.malformed_list_entry is not MalformedListEntry.VALID_ENTRIES_APPLY:
            raise CommandError(ErrorCode.INVALID_VALUE, f"invalid entry in {name}: {exc}",
                               line=command.line, rule="R1") from None
    return parse_extension_list(",".join(e for e in text.split(",") if _well_formed(e)))


def _well_formed(entry: str) -> bool:
    try:
        ExtensionId.parse(entry)
    except ExtensionIdError:
        return False
    return True


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
