"""Which statements of a script call the agent, and with which words (spec R8a).

:func:`read_script` reads a script (:mod:`sim.rules.script_text`) and keeps the statements that
act on the agent: ``azcmagent`` called by name or path (``azcmagent.exe``,
``/opt/azcmagent/bin/azcmagent``, ``"$env:ProgramW6432\\...\\azcmagent.exe"``,
``"%ProgramFiles%\\...\\azcmagent.exe"``), through ``sudo``, PowerShell's ``&`` or a variable
assigned the agent's path earlier (``& $azcmagentPath``, ``"$AZCMAGENT"``), through
``Start-Process`` with an ``-ArgumentList`` (a string, an array, or a variable built from
strings), inside ``powershell -Command``/``pwsh -c``/``bash -c``/``cmd /c`` or a remote
``ssh HOST COMMAND``; and ``systemctl``/``Stop-Service``/``Start-Service``/``net`` stopping or
starting the extension service (:func:`sim.rules.command_parse.service_action`: other services
and actions are not the agent's). Words are split by :mod:`sim.rules.script_words`.

Each call becomes its words, quotes removed and variables replaced by values the script
assigned as literals; a word that depends on anything else is an :class:`Unresolved` (its text
as written). Every other statement is *skipped* (listed, never an error).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Final

from sim.rules.command_parse import SERVICE_PROGRAMS, service_action
from sim.rules.script_text import (
    DOUBLE_QUOTES,
    SINGLE_QUOTES,
    Language,
    Statement,
    detect,
    statements,
)
from sim.rules.script_words import Unresolved, command_line, split_plus, split_words


@dataclass(frozen=True, slots=True)
class AgentCall:
    """An agent or extension-service command found in a script."""

    line: int
    words: tuple[str, ...]
    """The program (``azcmagent`` for the agent, whatever its path) and its arguments."""
    text: str
    """The statement as written (continuations joined)."""


@dataclass(frozen=True)
class ScriptReading:
    """What :func:`read_script` found."""

    language: Language
    calls: tuple[AgentCall, ...]
    skipped: tuple[Statement, ...] = field(default=())


_AGENT: Final = re.compile(r"(?:^|[\\/])azcmagent(?:\.exe)?$", re.IGNORECASE)
_ASSIGN_PS: Final = re.compile(r"^\$(?:script:|global:)?(\w+)\s*=\s*(.*)$", re.S | re.I)
_ASSIGN_SH: Final = re.compile(r"^(?:export\s+|local\s+|readonly\s+)?(\w+)=(.*)$", re.S)
_KEYWORDS: Final = frozenset({"if", "then", "else", "elif", "do", "while", "until", "fi", "done",
                              "!", "time", "exec", "try", "catch", "finally", "elseif",
                              "foreach", "return", "nohup"})
_SSH_VALUED: Final = frozenset(f"-{c}" for c in "bcDEeFIiJLlmOopQRSWw")
_SHELLS: Final = {"powershell": Language.POWERSHELL, "powershell.exe": Language.POWERSHELL,
                  "pwsh": Language.POWERSHELL, "pwsh.exe": Language.POWERSHELL,
                  "bash": Language.BASH, "sh": Language.BASH, "cmd": Language.CMD,
                  "cmd.exe": Language.CMD}


def is_agent(word: str) -> bool:
    """True when ``word`` names the agent's program (by name or by path)."""
    return bool(_AGENT.search(word.strip().strip(DOUBLE_QUOTES + SINGLE_QUOTES)))


def read_script(text: str, name: str = "", language: Language | None = None) -> ScriptReading:
    """The agent calls and skipped statements of a script (see the module docstring);
    ``name`` (a file name) helps tell the language."""
    language = language or detect(text, name)
    reader = _Reader(language)
    calls: list[AgentCall] = []
    skipped: list[Statement] = []
    for statement in statements(text, language):
        found = list(reader.calls(statement))
        calls += found
        if not found:
            skipped.append(statement)
    return ScriptReading(language, tuple(calls), tuple(skipped))


class _Reader:
    """Reads statements in order, remembering variables assigned literal values."""

    def __init__(self, language: Language) -> None:
        self.language = language
        self.ps = language is Language.POWERSHELL
        self.variables: dict[str, str] = {}

    def calls(self, statement: Statement) -> Iterator[AgentCall]:
        body = self._assignment(statement.text.strip())
        if body is None:
            return
        words = self.words(body)
        while words and words[0].lower() in _KEYWORDS:
            words = words[1:]
        words = _unwrapped(words)
        if not words:
            return
        program = words[0]
        lowered = program.lower()
        if is_agent(program):
            yield AgentCall(statement.line, ("azcmagent", *words[1:]), statement.text)
        elif lowered in SERVICE_PROGRAMS and service_action(words) is not None:
            yield AgentCall(statement.line, (lowered.removesuffix(".exe"), *words[1:]),
                            statement.text)
        elif lowered == "start-process":
            yield from self._start_process(words[1:], statement)
        elif lowered in _SHELLS:
            yield from self._shell(words[1:], _SHELLS[lowered], statement)
        elif lowered in ("ssh", "ssh.exe"):
            yield from self._ssh(words[1:], statement)

    def _assignment(self, body: str) -> str | None:
        """The command after ``$x =`` (None when the statement only assigns a value, which is
        remembered when it is a literal)."""
        match = (_ASSIGN_PS if self.ps else _ASSIGN_SH).match(body)
        if match is None:
            return body
        name, value = match.group(1).lower(), match.group(2).strip()
        if self.ps:
            value = value.lstrip("(").rstrip(")").strip()
            if value.startswith(("&", ".")) or _is_command(value):
                return value
        known = self._literal(value)
        if known is not None:
            self.variables[name] = known
        else:
            self.variables.pop(name, None)
        return None

    def _literal(self, value: str) -> str | None:
        """The literal value of an assignment's right side (strings joined with ``+``, a
        ``Join-Path``), else None."""
        if self.ps and value.lower().startswith("join-path"):
            parts = [w for w in self.words(value)[1:] if not w.startswith("-")]
            return "\\".join(parts) if parts else None
        if self.ps and "+" in value:
            pieces = [self.words(p.strip()) for p in split_plus(value)]
            if all(len(p) == 1 for p in pieces):
                return "".join(p[0] for p in pieces)
            return None
        words = self.words(value)
        if len(words) != 1 or (isinstance(words[0], Unresolved) and not is_agent(words[0])):
            return None
        return str(words[0])

    def words(self, text: str) -> list[str]:
        """``text`` split into words as the language does, variables replaced."""
        return split_words(text, self.ps, self.variables, cmd=self.language is Language.CMD)

    def _start_process(self, args: list[str], statement: Statement) -> Iterator[AgentCall]:
        named, positional = _parameters(args, {"-filepath": "file", "-argumentlist": "args",
                                               "-args": "args", "-verb": "verb",
                                               "-workingdirectory": "dir"})
        file = named.get("file", positional[0] if positional else "")
        rest = named.get("args", positional[1] if len(positional) > 1 else "")
        if not is_agent(str(file)):
            return
        arguments = rest.split("\x00") if "\x00" in rest else command_line(rest)
        yield AgentCall(statement.line, ("azcmagent", *arguments), statement.text)

    def _shell(self, args: list[str], language: Language,
               statement: Statement) -> Iterator[AgentCall]:
        """``powershell -Command``/``bash -c``/``cmd /c``: the command, read as ``language``.
        Several words after the flag are joined into one command, each quoted again as the
        shell needs (a path with spaces stays one word, as a shell passing it would quote
        it)."""
        flags = ("-c", "-command", "/c", "/k", "-encodedcommand")
        for i, word in enumerate(args):
            if word.lower() in flags and i + 1 < len(args):
                rest = args[i + 1:]
                text = rest[0] if len(rest) == 1 else " ".join(
                    _quoted(w, language) for w in rest)
                for call in read_script(text, language=language).calls:
                    yield AgentCall(statement.line, call.words, statement.text)
                return

    def _ssh(self, args: list[str], statement: Statement) -> Iterator[AgentCall]:
        """``ssh [options] HOST COMMAND...``: the remote command, read as bash."""
        i = 0
        while i < len(args) and args[i].startswith("-"):
            i += 2 if args[i] in _SSH_VALUED else 1
        if i + 1 < len(args):
            for call in read_script(" ".join(args[i + 1:]), language=Language.BASH).calls:
                yield AgentCall(statement.line, call.words, statement.text)


def _is_command(value: str) -> bool:
    """A PowerShell assignment's right side that runs a command (not a value)."""
    match = re.match(r"[A-Za-z][\w.\\/-]*", value)
    return match is not None and match.group(0).lower() not in ("join-path", "true", "false")


def _unwrapped(words: list[str]) -> list[str]:
    """Without ``&``/``.`` call operators, ``sudo`` (and its options), ``env VAR=x``."""
    while words:
        head = words[0].lower()
        if head in ("&", "."):
            words = words[1:]
        elif head == "sudo":
            words = words[1:]
            while words and words[0].startswith("-"):
                words = words[2:] if words[0] in ("-u", "-g") else words[1:]
        elif head == "env":
            words = _env_command(words[1:])
        elif head.startswith("&") and len(head) > 1:
            words = [words[0][1:], *words[1:]]
        else:
            return words
    return words


_BARE: Final = {Language.BASH: re.compile(r"[\w@%+=:,./-]+"),
                Language.POWERSHELL: re.compile(r"[\w@%+=:./\\-]+|&|\."),
                Language.CMD: re.compile(r"[^\s\"&|<>^]+")}
"""Words each shell reads as themselves without quotes."""


def _quoted(word: str, language: Language) -> str:
    """``word`` written so that ``language`` reads it back as one word: as is when it needs no
    quotes, an :class:`Unresolved` as written (in double quotes if it holds spaces, so its
    variables are still read), else quoted (a PowerShell array, NUL-separated, as ``a,b``)."""
    if isinstance(word, Unresolved):
        return f'"{word}"' if any(c.isspace() for c in word) else word
    if _BARE[language].fullmatch(word):
        return word
    if language is Language.POWERSHELL:
        if "\x00" in word:
            return ",".join(_quoted(item, language) for item in word.split("\x00"))
        return "'" + word.replace("'", "''") + "'"
    if language is Language.CMD:
        return '"' + word + '"'
    return shlex.quote(word)


def _env_command(args: list[str]) -> list[str]:
    """The command ``env`` runs: after its options (``-i``, ``-u NAME``...) and the leading
    ``VAR=value`` words; later words are the command's own, ``=`` or not."""
    i = 0
    while i < len(args) and args[i].startswith("-"):
        i += 2 if args[i] in ("-u", "--unset", "-C", "--chdir") else 1
    while i < len(args) and re.match(r"[A-Za-z_]\w*=", args[i]):
        i += 1
    return args[i:]


def _parameters(args: list[str],
                names: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """PowerShell parameters: ``-Name value`` (by prefix), switches, positional words."""
    named: dict[str, str] = {}
    positional: list[str] = []
    i = 0
    while i < len(args):
        word = args[i]
        key = next((v for k, v in names.items() if word.lower().startswith(k[:5])
                    and k.startswith(word.lower())), None) if word.startswith("-") else None
        if key is not None and i + 1 < len(args):
            named[key] = args[i + 1]
            i += 2
        elif word.startswith("-"):
            i += 1
        else:
            positional.append(word)
            i += 1
    return named, positional


__all__ = ["AgentCall", "ScriptReading", "Unresolved", "is_agent", "read_script"]
