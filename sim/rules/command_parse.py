"""Parsing ``azcmagent`` command lines (spec R6, R8a, R30): the whole documented language.

:func:`parse` splits a line as a POSIX shell would (so typographic quotes are *not* quotes)
and :func:`parse_words` reads already-split words (from :mod:`sim.rules.script_calls`) into a
:class:`Command`. Accepted (an optional leading ``sudo``; ``azcmagent`` by any path)::

    azcmagent config list | info [KEY] | get KEY | clear KEY
    azcmagent config set KEY VALUE [--add/-a | --remove/-r]       (flags before or after)
    azcmagent extension list | remove --name NAME | remove --all   (agent 1.39+)
    azcmagent connect | disconnect | show | check | logs | version | genkey | license
              | upgrade | help ...                                  (no effect on extensions)
    systemctl stop|start|restart extd
    Stop-Service|Start-Service|Restart-Service [-Name] ExtensionService
    net stop|start extensionservice

A service command is the agent's only when it stops, starts or restarts the extension service
(:func:`service_action`; a restart leaves it running, so it reads as a start); other services
and actions (``systemctl restart himdsd``, ``systemctl daemon-reload``, ``net use``) are not
agent commands and callers skip them.

Every command takes the common flags ``--config FILE``, ``-h/--help``, ``-j/--json``,
``--log-stderr``, ``--no-color`` and ``-v/--verbose``. The commands outside the model are read
leniently (their own flags are not checked) into :attr:`Verb.OTHER`.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from sim.errors import ArcsimError
from sim.rules.identity import TYPOGRAPHIC_QUOTES


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
    OTHER = "other"
    """A documented command that changes nothing extension security depends on."""


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
    program: str = ""
    """For :attr:`Verb.OTHER`: the command (``connect``, ``show``...)."""
    config_file: str = ""
    """``--config FILE``: a JSON or YAML file of the command's options."""
    json: bool = False
    """``-j``/``--json``: output as JSON."""

    @property
    def changes_config(self) -> bool:
        """True for ``config set`` and ``config clear``."""
        return self.verb in (Verb.CONFIG_SET, Verb.CONFIG_CLEAR)


OTHER_COMMANDS: Final = ("connect", "disconnect", "show", "check", "logs", "version", "genkey",
                         "license", "upgrade", "help", "reconnect", "partnerconfig")
"""Documented ``azcmagent`` commands outside what the simulation models."""
EXTENSION_SERVICES: Final = frozenset({"extd", "extensionservice"})
"""The extension service's names, lower case: ``extd`` (Linux), ``ExtensionService`` (Windows)."""
SERVICE_PROGRAMS: Final = frozenset({"systemctl", "stop-service", "start-service",
                                     "restart-service", "net", "net.exe"})
"""The programs that stop, start or restart a service (lower case)."""
_GLOBAL: Final = {"--verbose": "verbose", "-v": "verbose", "--json": "json", "-j": "json",
                  "--no-color": "no-color", "--log-stderr": "log-stderr", "--help": "help",
                  "-h": "help", "--config": "config="}
_SWITCHES: Final = frozenset({
    "--use-device-code", "--use-azcli", "--enable-automatic-upgrade", "--ignore-network-check",
    "--force-local-only", "--full", "--enable-pls-check", "--skip-network-check"})
"""Flags of the other commands that take no value (every other flag of theirs takes one)."""


def split_line(line: str) -> list[str]:
    """Split ``line`` as a POSIX shell would; unbalanced straight quotes are a syntax error."""
    try:
        return shlex.split(line, comments=True, posix=True)
    except ValueError as exc:
        raise CommandError(ErrorCode.SYNTAX, f"cannot split the command line: {exc}",
                           line=line) from None


def parse(line: str) -> Command:
    """Parse one command line into a :class:`Command`; raise :class:`CommandError` if invalid.

    Parsing needs no state; version gates and state checks happen when it is executed."""
    return parse_words(split_line(line), line)


def parse_words(words: Sequence[str], line: str) -> Command:
    """Parse split words (the program first) into a :class:`Command`."""
    words = list(words)
    if words and words[0] == "sudo":
        words = words[1:]
    if not words:
        raise CommandError(ErrorCode.USAGE, "empty command line", line=line)
    program = words[0].lower()
    if program in SERVICE_PROGRAMS:
        return _parse_service(words, line)
    if program.rsplit("/", 1)[-1].rsplit("\\", 1)[-1] not in ("azcmagent", "azcmagent.exe"):
        raise CommandError(ErrorCode.UNKNOWN_COMMAND,
                           f'"{words[0]}" is not azcmagent (only azcmagent commands and '
                           "starting or stopping the extension service are simulated)", line=line)
    return _parse_azcmagent(words[1:], line)


def service_action(words: Sequence[str]) -> str | None:
    """``"stop"`` or ``"start"`` when ``words`` (the program first) stop, start or restart the
    extension service (:data:`EXTENSION_SERVICES`, also among other services or as
    ``extd.service``); a restart is a start (the service runs after it, whether it ran before
    or not). None for any other command, service or action (``status``, ``daemon-reload``,
    ``net use``)."""
    if not words:
        return None
    program = words[0].lower().removesuffix(".exe")
    args = [w.lower() for w in words[1:] if not w.startswith(("-", "/"))]
    if program in ("systemctl", "net"):
        action, targets = (args[0], args[1:]) if args else ("", [])
    elif program in ("stop-service", "start-service", "restart-service"):
        action, targets = program.removesuffix("-service"), args
    else:
        return None
    names = {n.strip().removesuffix(".service") for t in targets
             for n in t.replace("\x00", ",").split(",")}
    if action == "restart":
        action = "start"
    return action if action in ("stop", "start") and names & EXTENSION_SERVICES else None


def _parse_service(words: list[str], line: str) -> Command:
    action = service_action(words)
    if action is None:
        raise CommandError(ErrorCode.USAGE, "expected \"systemctl stop|start|restart extd\" or "
                           "\"Stop-Service|Start-Service ExtensionService\"", line=line)
    return Command(Verb.SERVICE_STOP if action == "stop" else Verb.SERVICE_START, line=line)


def _split_flags(words: list[str], line: str,
                 known: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """Separate positional words from flags; ``known`` maps each spelling to a flag name
    (a trailing ``=`` means it takes a value: ``--name X`` or ``--name=X``)."""
    positional: list[str] = []
    flags: dict[str, str] = {}
    table = {**_GLOBAL, **known}
    i = 0
    while i < len(words):
        word = words[i]
        if word.startswith("-") and word != "-" and not _is_number(word):
            spelled, _, inline = word.partition("=")
            flag = table.get(spelled)
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


def _is_number(word: str) -> bool:
    return word[1:].replace(".", "", 1).isdigit()


def _bool_flag(spelled: str, inline: str, line: str) -> bool:
    """Whether a boolean flag is set: bare, ``--flag=true`` or ``--flag=false``."""
    if inline.lower() in ("", "true", "false"):
        return inline.lower() != "false"
    raise CommandError(ErrorCode.USAGE, f'invalid argument "{inline}" for "{spelled}" flag: '
                       "it takes no value (put the value after it, separated by a space)",
                       line=line)


def _parse_azcmagent(words: list[str], line: str) -> Command:
    if not words or words[0].startswith("-"):
        _split_flags(words, line, {})
        return Command(Verb.OTHER, program="help", line=line)
    group, rest = words[0].lower(), words[1:]
    if group == "config":
        return _parse_config(rest, line)
    if group == "extension":
        return _parse_extension(rest, line)
    if group in OTHER_COMMANDS:
        return _parse_other(group, rest, line)
    raise CommandError(ErrorCode.UNKNOWN_COMMAND, f'unknown command "{words[0]}" for '
                       f'"azcmagent"; known: config, extension, {", ".join(OTHER_COMMANDS)}',
                       line=line)


def _parse_other(program: str, words: list[str], line: str) -> Command:
    """A command outside the model: its flags read leniently, ``--config`` kept."""
    config, json_out = "", False
    i = 0
    while i < len(words):
        spelled, _, inline = words[i].partition("=")
        if spelled == "--config":
            if not inline and i + 1 < len(words):
                i += 1
                inline = words[i]
            config = inline
        elif spelled in ("-j", "--json"):
            json_out = True
        elif (spelled.startswith("-") and not inline and spelled not in _SWITCHES
              and spelled not in _GLOBAL and i + 1 < len(words)
              and not words[i + 1].startswith("--")):
            i += 1
        i += 1
    return Command(Verb.OTHER, program=program, line=line, config_file=config, json=json_out)


def _arity(verb: str, args: list[str], low: int, high: int, line: str) -> None:
    if low <= len(args) <= high:
        return
    expected = str(low) if low == high else f"{low} to {high}"
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
    action, rest = words[0].lower(), words[1:]
    if action == "set":
        known = {"--add": "add", "-a": "add", "--remove": "remove", "-r": "remove"}
        args, flags = _split_flags(rest, line, known)
        _arity("config set", args, 2, 2, line)
        if "add" in flags and "remove" in flags:
            raise CommandError(ErrorCode.USAGE, "--add and --remove cannot be used together",
                               line=line)
        edit = ListEdit.ADD if "add" in flags else (
            ListEdit.REMOVE if "remove" in flags else ListEdit.REPLACE)
        return Command(Verb.CONFIG_SET, key=args[0], value=args[1], edit=edit, line=line,
                       config_file=flags.get("config", ""), json="json" in flags)
    verbs = {"get": (Verb.CONFIG_GET, 1, 1), "clear": (Verb.CONFIG_CLEAR, 1, 1),
             "list": (Verb.CONFIG_LIST, 0, 0), "info": (Verb.CONFIG_INFO, 0, 1)}
    if action not in verbs:
        raise CommandError(ErrorCode.UNKNOWN_COMMAND,
                           f'unknown command "{words[0]}" for "azcmagent config"', line=line)
    verb, low, high = verbs[action]
    args, flags = _split_flags(rest, line, {})
    _arity(f"config {action}", args, low, high, line)
    return Command(verb, key=args[0] if args else "", line=line,
                   config_file=flags.get("config", ""), json="json" in flags)


def _parse_extension(words: list[str], line: str) -> Command:
    if not words or words[0] not in ("list", "remove"):
        got = f' "{words[0]}"' if words else ""
        raise CommandError(ErrorCode.UNKNOWN_COMMAND,
                           f'unknown command{got} for "azcmagent extension" (list, remove)',
                           line=line)
    known = {"--name": "name=", "-n": "name=", "--all": "all", "-a": "all"}
    args, flags = _split_flags(words[1:], line, known)
    _arity(f"extension {words[0]}", args, 0, 0, line)
    if words[0] == "list":
        return Command(Verb.EXTENSION_LIST, line=line, json="json" in flags)
    if ("name" in flags) == ("all" in flags):
        raise CommandError(ErrorCode.USAGE, "extension remove needs exactly one of --name or --all",
                           line=line)
    return Command(Verb.EXTENSION_REMOVE, name=flags.get("name", ""),
                   remove_all="all" in flags, line=line)


__all__ = ["EXTENSION_SERVICES", "OTHER_COMMANDS", "SERVICE_PROGRAMS", "Command", "CommandError",
           "ErrorCode", "ListEdit", "Verb", "parse", "parse_words", "service_action",
           "split_line"]
