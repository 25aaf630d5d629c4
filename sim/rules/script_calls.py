"""Which statements of a script call the agent, and with which words (spec R8a).

:func:`read_script` reads a script (:mod:`sim.rules.script_text`) and keeps the statements that
act on the agent: ``azcmagent`` called by name or path (``azcmagent.exe``,
``/opt/azcmagent/bin/azcmagent``, ``"$env:ProgramW6432\\...\\azcmagent.exe"``,
``"%ProgramFiles%\\...\\azcmagent.exe"``), through ``sudo``, PowerShell's ``&`` or a variable
assigned the agent's path earlier (``& $azcmagentPath``, ``"$AZCMAGENT"``), through
``Start-Process`` with an ``-ArgumentList`` (a string, an array, or a variable built from
strings), or inside ``powershell -Command``/``pwsh -c``/``bash -c``/``cmd /c``; and the
extension service's ``systemctl``/``Stop-Service``/``Start-Service``/``net``.

Each call becomes its words, quotes removed and variables replaced by values the script
assigned as literals; a word that depends on anything else is an :class:`Unresolved` (its text
as written). Every other statement is *skipped* (listed, never an error).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Final

from sim.rules.script_text import (
    DOUBLE_QUOTES,
    SINGLE_QUOTES,
    Language,
    Statement,
    detect,
    statements,
)


class Unresolved(str):
    """A word whose value the script does not say (a variable set elsewhere, an expression)."""

    __slots__ = ()


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


SERVICES: Final = ("systemctl", "stop-service", "start-service", "restart-service", "net",
                   "net.exe")
_AGENT: Final = re.compile(r"(?:^|[\\/])azcmagent(?:\.exe)?$", re.IGNORECASE)
_ASSIGN_PS: Final = re.compile(r"^\$(?:script:|global:)?(\w+)\s*=\s*(.*)$", re.S | re.I)
_ASSIGN_SH: Final = re.compile(r"^(?:export\s+|local\s+|readonly\s+)?(\w+)=(.*)$", re.S)
_KEYWORDS: Final = frozenset({"if", "then", "else", "elif", "do", "while", "until", "fi", "done",
                              "!", "time", "exec", "try", "catch", "finally", "elseif",
                              "foreach", "return", "nohup"})
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
        elif lowered in SERVICES:
            yield AgentCall(statement.line, (lowered.removesuffix(".exe"), *words[1:]),
                            statement.text)
        elif lowered == "start-process":
            yield from self._start_process(words[1:], statement)
        elif lowered in _SHELLS:
            yield from self._shell(words[1:], _SHELLS[lowered], statement)

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
        known = self._value(value)
        if known is not None:
            self.variables[name] = known
        else:
            self.variables.pop(name, None)
        return None

    def _first_word(self, value: str) -> str:
        words = self.words(value)
        return words[0] if words else ""

    def _value(self, value: str) -> str | None:
        """The literal value of an assignment's right side (strings joined with ``+``, a
        ``Join-Path``), else None."""
        if self.ps and value.lower().startswith("join-path"):
            parts = [w for w in self.words(value)[1:] if not w.startswith("-")]
            return "\\".join(parts) if parts else None
        if self.ps and "+" in value:
            pieces = [self.words(p.strip()) for p in _split_plus(value)]
            if all(len(p) == 1 for p in pieces):
                return "".join(p[0] for p in pieces)
            return None
        words = self.words(value)
        if len(words) != 1 or (isinstance(words[0], Unresolved) and not is_agent(words[0])):
            return None
        return str(words[0])

    def words(self, text: str) -> list[str]:
        """``text`` split into words as the language does, variables replaced."""
        return _Words(text, self.ps, self.variables,
                      cmd=self.language is Language.CMD).split()

    def _start_process(self, args: list[str], statement: Statement) -> Iterator[AgentCall]:
        named, positional = _parameters(args, {"-filepath": "file", "-argumentlist": "args",
                                               "-args": "args", "-verb": "verb",
                                               "-workingdirectory": "dir"})
        file = named.get("file", positional[0] if positional else "")
        rest = named.get("args", positional[1] if len(positional) > 1 else "")
        if not is_agent(str(file)):
            return
        arguments = rest.split("\x00") if "\x00" in rest else _command_line(rest)
        yield AgentCall(statement.line, ("azcmagent", *arguments), statement.text)

    def _shell(self, args: list[str], language: Language,
               statement: Statement) -> Iterator[AgentCall]:
        flags = ("-c", "-command", "/c", "/k", "-encodedcommand")
        for i, word in enumerate(args):
            if word.lower() in flags and i + 1 < len(args):
                inner = read_script(" ".join(args[i + 1:]) if len(args) > i + 2 else args[i + 1],
                                    language=language)
                for call in inner.calls:
                    yield AgentCall(statement.line, call.words, statement.text)
                return


def _is_command(value: str) -> bool:
    """A PowerShell assignment's right side that runs a command (not a value)."""
    match = re.match(r"[A-Za-z][\w.\\/-]*", value)
    return match is not None and match.group(0).lower() not in ("join-path", "true", "false")


def _split_plus(value: str) -> list[str]:
    parts, current, quote = [], [], ""
    for c in value:
        if quote:
            current.append(c)
            if c == quote:
                quote = ""
        elif c in "\"'":
            quote = c
            current.append(c)
        elif c == "+":
            parts.append("".join(current))
            current = []
        else:
            current.append(c)
    parts.append("".join(current))
    return parts


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
            words = [w for w in words[1:] if "=" not in w or w.startswith("-")]
        elif head.startswith("&") and len(head) > 1:
            words = [words[0][1:], *words[1:]]
        else:
            return words
    return words


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


def _command_line(text: str) -> list[str]:
    """A Windows command line split into arguments (double quotes group, as the CRT does)."""
    words = re.findall(r'"([^"]*)"|(\S+)', text)
    return [a if a else b for a, b in words]


_WORD_PLAIN: Final = re.compile(r"[^\s$\\`@,%" + DOUBLE_QUOTES + SINGLE_QUOTES + "]+")


class _Words:
    """Splits one statement into words (see :meth:`_Reader.words`)."""

    def __init__(self, text: str, ps: bool, variables: Mapping[str, str], *,
                 cmd: bool = False) -> None:
        self.text, self.ps, self.variables, self.cmd = text, ps, variables, cmd

    def split(self) -> list[str]:
        words: list[str] = []
        current: list[str] = []
        unresolved = False
        text, i, n = self.text, 0, len(self.text)
        plain = _WORD_PLAIN.match
        while i < n:
            run = plain(text, i)
            if run is not None:
                current.append(run.group(0))
                i = run.end()
                continue
            c = text[i]
            if c.isspace():
                if current or unresolved:
                    words.append(self._word(current, unresolved))
                current, unresolved = [], False
                i += 1
            elif self.ps and c == "@" and text.startswith("@(", i):
                end = _closing(text, i + 1)
                inner = self._array(text[i + 2:end])
                words.append(inner)
                i = end + 1
            elif self.ps and c == "," and (current or words):
                if current:
                    words.append(self._word(current, unresolved))
                    current, unresolved = [], False
                if words:
                    words[-1] = words[-1] + "\x00" if not words[-1].endswith("\x00") else words[-1]
                i += 1
            elif c == '"' or (self.ps and c in DOUBLE_QUOTES):
                i, part, dark = self._double(i)
                current.append(part)
                unresolved |= dark
            elif c == "'" or (self.ps and c in SINGLE_QUOTES):
                end = self._single_end(i)
                current.append(text[i + 1:end].replace("''", "'") if self.ps else text[i + 1:end])
                i = end + 1
            elif c == "$" and not self.cmd:
                i, part, dark = self._variable(i)
                current.append(part)
                unresolved |= dark
            elif c == "%" and self.cmd and "%" in text[i + 1:]:
                end = text.index("%", i + 1)
                current.append(text[i:end + 1])
                unresolved = True
                i = end + 1
            elif i + 1 < n and ((c == "\\" and not self.ps and not self.cmd)
                                or (c == "`" and self.ps)):
                current.append(text[i + 1])
                i += 2
            else:
                current.append(c)
                i += 1
        if current or unresolved:
            words.append(self._word(current, unresolved))
        return _joined_arrays(words)

    def _word(self, parts: list[str], unresolved: bool) -> str:
        word = "".join(parts)
        return Unresolved(word) if unresolved else word

    def _single_end(self, i: int) -> int:
        text = self.text
        j = i + 1
        while j < len(text):
            if text[j] in (SINGLE_QUOTES if self.ps else "'"):
                if self.ps and j + 1 < len(text) and text[j + 1] in SINGLE_QUOTES:
                    j += 2
                    continue
                return j
            j += 1
        return len(text)

    def _double(self, i: int) -> tuple[int, str, bool]:
        text, escape = self.text, "`" if self.ps else ("\x01" if self.cmd else "\\")
        out: list[str] = []
        dark = False
        j = i + 1
        while j < len(text) and text[j] not in (DOUBLE_QUOTES if self.ps else '"'):
            if text[j] == escape and j + 1 < len(text):
                out.append(text[j + 1])
                j += 2
            elif text[j] == "$" and not self.cmd and j + 1 < len(text) and (
                    text[j + 1].isalnum() or text[j + 1] in "{(_"):
                j, part, unknown = self._variable(j)
                out.append(part)
                dark |= unknown
            else:
                out.append(text[j])
                j += 1
        return j + 1, "".join(out), dark

    def _variable(self, i: int) -> tuple[int, str, bool]:
        """A ``$name``/``${name}``/``$env:X``/``$(...)`` reference: its value when known."""
        text = self.text
        if text.startswith("$(", i):
            end = _closing(text, i + 1)
            return end + 1, text[i:end + 1], True
        match = re.compile(r"\$\{?((?:env:|script:|global:)?[\w]+)\}?").match(text, i)
        if match is None:
            return i + 1, "$", False
        name = match.group(1).lower()
        value = self.variables.get(name)
        if value is None:
            return match.end(), match.group(0), True
        return match.end(), value, False

    def _array(self, inner: str) -> str:
        items = [w for w in _Words(inner, True, self.variables).split() if w != ","]
        return "\x00".join(i.rstrip("\x00") for i in items)


def _joined_arrays(words: list[str]) -> list[str]:
    """Words a PowerShell ``,`` joined into one array value (``"a","b"``): items by NUL."""
    out: list[str] = []
    for word in words:
        if out and out[-1].endswith("\x00"):
            out[-1] = out[-1] + word
        else:
            out.append(word)
    return [w.rstrip("\x00") if w.count("\x00") == 1 and w.endswith("\x00") else w for w in out]


def _closing(text: str, opening: int) -> int:
    depth = 0
    for j in range(opening, len(text)):
        if text[j] == "(":
            depth += 1
        elif text[j] == ")":
            depth -= 1
            if depth == 0:
                return j
    return len(text) - 1


__all__ = ["SERVICES", "AgentCall", "ScriptReading", "Unresolved", "is_agent", "read_script"]
