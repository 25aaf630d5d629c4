"""Scripts as statements: comments, continuations and quoting of bash, PowerShell and cmd.

:func:`statements` turns a script's text into :class:`Statement` records, each the text of one
simple command with the 1-based line it starts on:

* **bash/sh**: ``\\`` at the end of a line continues it; ``#`` starts a comment outside quotes;
  a heredoc's body (``<<WORD`` ... ``WORD``) is data, not commands; statements are split at new
  lines, ``;``, ``&&``, ``||``, ``|``, ``&`` and braces, outside quotes and ``$(...)``. Only the
  straight quotes ``"`` and ``'`` are quotes: a typographic one is an ordinary character.
* **PowerShell**: a backtick at the end of a line continues it, and so does a line ending with
  ``|``, ``+``, ``,`` or an open parenthesis; ``#`` and ``<# ... #>`` are comments;
  here-strings (``@" ... "@``, ``@' ... '@``) are data; statements are split at new lines,
  ``;``, ``|``, ``&&``, ``||`` and braces (so a ``-ScriptBlock { ... }`` body is read).
  Typographic quotes are quotes, as in PowerShell.
* **cmd**: ``^`` continues a line; ``REM`` and ``::`` lines are comments; statements are split
  at ``&``, ``&&``, ``||``.

Nothing is executed; the reader is linear in the length of the text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class Language(StrEnum):
    """The script language a text is read as."""

    BASH = "bash"
    POWERSHELL = "powershell"
    CMD = "cmd"


@dataclass(frozen=True, slots=True)
class Statement:
    """One simple command of a script: its text and the line it starts on (1-based)."""

    line: int
    text: str


_PS_MARKERS: Final = re.compile(
    r"\$env:|^\s*<#|Write-(?:Host|Output)|-ErrorAction|\[Parameter|^\s*param\s*\(|@\"|@'|"
    r"Invoke-Command|Start-Process|\$LASTEXITCODE|ConvertFrom-Json|Stop-Service|Start-Service"
    r"|^\s*&\s|\.exe\b", re.IGNORECASE | re.MULTILINE)
_CMD_MARKERS: Final = re.compile(r"^\s*@?echo off|^\s*rem\s|^\s*::|%\w+%", re.IGNORECASE | re.M)
_EXTENSIONS: Final = {".ps1": Language.POWERSHELL, ".psm1": Language.POWERSHELL,
                      ".sh": Language.BASH, ".bash": Language.BASH, ".cmd": Language.CMD,
                      ".bat": Language.CMD}
DOUBLE_QUOTES: Final = '"\u201c\u201d\u201e'
SINGLE_QUOTES: Final = "'\u2018\u2019\u201a"
_PLAIN: Final = re.compile("[^\n#<@\\\\`()\\[\\]$;|&{}" + DOUBLE_QUOTES + SINGLE_QUOTES + "]+")
"""A run of characters with no meaning to the scanner (copied in one step)."""
_LINE_END: Final = re.compile(r"[^\S\n]*(?:\n|\Z)")
"""Spaces up to the end of a line (or of the text)."""


def detect(text: str, name: str = "") -> Language:
    """The language of a script: by its file name's extension, else by what it contains
    (PowerShell markers, cmd markers, else bash)."""
    lowered = name.lower()
    for suffix, language in _EXTENSIONS.items():
        if lowered.endswith(suffix):
            return language
    if text.startswith("#!"):
        return Language.BASH
    if _PS_MARKERS.search(text):
        return Language.POWERSHELL
    if _CMD_MARKERS.search(text):
        return Language.CMD
    return Language.BASH


def statements(text: str, language: Language) -> Iterator[Statement]:
    """The statements of ``text`` read as ``language`` (see the module docstring)."""
    if language is Language.CMD:
        yield from _cmd(text)
        return
    scanner = _Scanner(text, language)
    yield from scanner.run()


class _Scanner:
    """One pass over the text, character by character, tracking quotes and nesting."""

    def __init__(self, text: str, language: Language) -> None:
        self.text, self.ps = text, language is Language.POWERSHELL
        self.quotes = DOUBLE_QUOTES + SINGLE_QUOTES if self.ps else "\"'"
        """The characters that open a quoted string: only straight quotes in bash."""
        self.pos, self.line = 0, 1
        self.buffer: list[str] = []
        self.blank = True
        """Nothing but spaces in :attr:`buffer` yet (the statement has not started)."""
        self.start = 1
        self.depth = 0  # open ( [ in PowerShell, $( in bash
        self.heredoc: str | None = None

    def flush(self) -> Iterator[Statement]:
        body = "".join(self.buffer).strip()
        if body:
            yield Statement(self.start, body)
        self.buffer = []
        self.blank = True
        self.start = self.line

    def run(self) -> Iterator[Statement]:
        text, n = self.text, len(self.text)
        plain = _PLAIN.match
        while self.pos < n:
            run = plain(text, self.pos)
            if run is not None:
                chunk = run.group(0)
                if self.blank and chunk.strip():
                    self.blank = False
                    self.start = self.line
                self.buffer.append(chunk)
                self.pos = run.end()
                continue
            c = text[self.pos]
            if self.blank:
                if not c.isspace():
                    self.blank = False
                self.start = self.line
            if c == "\n":
                yield from self.newline()
            elif c in self.quotes:
                self.quoted(c)
            elif c == "#" and self._comment_start():
                self.comment()
            elif self.ps and text.startswith("<#", self.pos):
                self.block_comment()
            elif self.ps and text.startswith(('@"', "@'"), self.pos) and self._line_ends(2):
                self.here_string(text[self.pos + 1])
            elif not self.ps and text.startswith("<<", self.pos):
                self.heredoc_start()
            elif c == ("`" if self.ps else "\\"):
                self.escape()
            elif c == "$" and text.startswith("$(", self.pos):
                self.depth += 1
                self.buffer.append("$(")
                self.pos += 2
            elif c == "(" or (c == "[" and self.ps):
                self.depth += 1
                self.buffer.append(c)
                self.pos += 1
            elif c == ")" or (c == "]" and self.ps):
                self.depth = max(0, self.depth - 1)
                self.buffer.append(c)
                self.pos += 1
            elif self.depth == 0 and self._separator():
                yield from self.flush()
            else:
                self.buffer.append(c)
                self.pos += 1
        yield from self.flush()

    def _comment_start(self) -> bool:
        before = self.text[self.pos - 1] if self.pos else "\n"
        return before.isspace() or before in ";|&({"

    def _line_ends(self, skip: int) -> bool:
        """Only spaces follow the ``skip`` characters at :attr:`pos` on this line (matched in
        place, up to the first other character: no copy of the rest of the text)."""
        return _LINE_END.match(self.text, self.pos + skip) is not None

    def _separator(self) -> bool:
        text, pos = self.text, self.pos
        for token in ("&&", "||"):
            if text.startswith(token, pos):
                self.pos += 2
                return True
        c = text[pos]
        if c in ";|{}" or (c == "&" and not self.ps and not text.startswith("&>", pos)
                           and not (pos and text[pos - 1] in "<>")):
            self.pos += 1
            return True
        return False

    def newline(self) -> Iterator[Statement]:
        self.pos += 1
        if self.heredoc is not None:
            self.skip_heredoc()
            return
        if self.ps and (self.depth > 0 or self._continues()):
            self.buffer.append(" ")
            self.line += 1
            return
        yield from self.flush()
        self.line += 1
        self.start = self.line

    def _continues(self) -> bool:
        """The PowerShell statement so far ends with ``+`` or ``,`` (a pipe ``|`` or ``||``
        never reaches the buffer: it ends the statement)."""
        for piece in reversed(self.buffer):
            if piece.strip():
                return piece.rstrip().endswith(("+", ","))
        return False

    def quoted(self, quote: str) -> None:
        closing = (DOUBLE_QUOTES if quote in DOUBLE_QUOTES else SINGLE_QUOTES) if self.ps else quote
        escape = "`" if self.ps else "\\"
        stop = _stops(closing + (escape if quote in DOUBLE_QUOTES else ""))
        self.buffer.append(quote)
        self.pos += 1
        text, n = self.text, len(self.text)
        while self.pos < n:
            found = stop.search(text, self.pos)
            end = n if found is None else found.start()
            chunk = text[self.pos:end]
            self.buffer.append(chunk)
            self.line += chunk.count("\n")
            self.pos = end
            if found is None:
                return
            c = text[end]
            if c == escape and quote in DOUBLE_QUOTES and end + 1 < n:
                self.buffer.append(text[end:end + 2])
                self.line += text[end + 1] == "\n"
                self.pos = end + 2
                continue
            self.buffer.append(c)
            self.pos = end + 1
            if c in closing:
                if self.ps and c in "'" and text.startswith("'", self.pos):
                    self.buffer.append("'")
                    self.pos += 1
                    continue
                return

    def comment(self) -> None:
        end = self.text.find("\n", self.pos)
        self.pos = len(self.text) if end < 0 else end

    def block_comment(self) -> None:
        end = self.text.find("#>", self.pos + 2)
        stop = len(self.text) if end < 0 else end + 2
        self.line += self.text.count("\n", self.pos, stop)
        self.pos = stop
        self.buffer.append(" ")

    def here_string(self, quote: str) -> None:
        match = re.compile(r"^" + re.escape(quote) + "@", re.M).search(self.text, self.pos + 2)
        stop = len(self.text) if match is None else match.end()
        self.line += self.text.count("\n", self.pos, stop)
        self.buffer.append('"here-string"')
        self.pos = stop

    def heredoc_start(self) -> None:
        match = re.compile(r"<<-?\s*(['\"]?)(\w+)\1").match(self.text, self.pos)
        if match is None:
            self.buffer.append(self.text[self.pos:self.pos + 2])
            self.pos += 2
            return
        self.heredoc = match.group(2)
        self.buffer.append(match.group(0))
        self.pos = match.end()

    def skip_heredoc(self) -> None:
        assert self.heredoc is not None
        pattern = re.compile(r"^\s*" + re.escape(self.heredoc) + r"\s*$", re.M)
        match = pattern.search(self.text, self.pos)
        stop = len(self.text) if match is None else match.end()
        self.line += 1 + self.text.count("\n", self.pos, stop)
        self.pos = stop
        self.heredoc = None
        self.buffer.append(" ")

    def escape(self) -> None:
        """The escape character (``\\`` in bash, a backtick in PowerShell): before a line end
        (LF or CRLF) it continues the line; otherwise it is kept with the character after it."""
        after = self.text[self.pos + 1:self.pos + 3]
        if after.startswith("\n") or after == "\r\n":
            self.pos += 2 if after.startswith("\n") else 3
            self.line += 1
            self.buffer.append(" ")
        else:
            self.buffer.append(self.text[self.pos:self.pos + 2])
            self.pos += 2


@functools.lru_cache(maxsize=16)
def _stops(chars: str) -> re.Pattern[str]:
    """A pattern finding the next of ``chars`` (the ends and escapes of a quoted string)."""
    return re.compile("[" + re.escape(chars) + "]")


_CMD_SPLIT: Final = re.compile(r'(&&|\|\||&)|("[^"]*")')


def _cmd(text: str) -> Iterator[Statement]:
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        start, body = i + 1, lines[i]
        while body.rstrip().endswith("^") and i + 1 < len(lines):
            i += 1
            body = body.rstrip()[:-1] + " " + lines[i]
        i += 1
        stripped = body.strip().lstrip("@")
        if not stripped or re.match(r"(?i)^(rem\b|::)", stripped):
            continue
        yield from (Statement(start, part) for part in _cmd_parts(stripped))


def _cmd_parts(body: str) -> Iterator[str]:
    current: list[str] = []
    for piece in _CMD_SPLIT.split(body):
        if piece is None:
            continue
        if piece in ("&", "&&", "||"):
            yield "".join(current).strip()
            current = []
        else:
            current.append(piece)
    yield "".join(current).strip()


__all__ = ["DOUBLE_QUOTES", "SINGLE_QUOTES", "Language", "Statement", "detect", "statements"]
