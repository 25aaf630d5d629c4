"""Script words: one statement split into words as bash, PowerShell or cmd would (spec R8a).

Quotes are removed, escapes applied, and variables replaced by the values the script assigned
them as literals; a word that depends on anything else (a variable set elsewhere, ``$(...)``,
``%VAR%``) is an :class:`Unresolved`, holding its text as written. A PowerShell array
(``@(...)`` or ``"a","b"``) is one word whose items are separated by NUL characters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from sim.rules.script_text import DOUBLE_QUOTES, SINGLE_QUOTES


class Unresolved(str):
    """A word whose value the script does not say (a variable set elsewhere, an expression)."""

    __slots__ = ()


def split_words(text: str, ps: bool, variables: Mapping[str, str], *, cmd: bool = False
                ) -> list[str]:
    """``text`` split into words (PowerShell when ``ps``, cmd when ``cmd``, else bash)."""
    return _Words(text, ps, variables, cmd=cmd).split()


_SPACES: Final = re.compile(r"\s+")
_WORD_PLAIN: Final = re.compile(r"[^\s$\\`@,%" + DOUBLE_QUOTES + SINGLE_QUOTES + "]+")


class _Words:
    """Splits one statement into words (see :func:`split_words`)."""

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
                i = _SPACES.match(text, i).end()  # type: ignore[union-attr]
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


def split_plus(value: str) -> list[str]:
    """``value`` split at the ``+`` signs outside quotes."""
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


def command_line(text: str) -> list[str]:
    """A Windows command line split into arguments (double quotes group, as the CRT does)."""
    words = re.findall(r'"([^"]*)"|(\S+)', text)
    return [a if a else b for a, b in words]


__all__ = ["Unresolved", "command_line", "split_plus", "split_words"]
