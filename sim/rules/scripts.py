"""What a script extension runs (R7): the command lines inside its settings.

Custom Script and Run Command take their script in their settings, usually as JSON:
``{"commandToExecute": "..."}`` (Custom Script, Windows and Linux), ``{"script": "<base64>"}``
(Linux Custom Script, optionally gzip-compressed), ``{"source": {"script": "..."}}`` (Run
Command). Plain text is a script too. :func:`command_lines` returns the lines that act on the
agent — ``azcmagent`` (also called by its full Windows path, after ``sudo``, PowerShell's
call operator ``&``, or inside ``powershell -Command``/``bash -c``) and the extension
service's ``systemctl``/``Stop-Service``/``Start-Service`` — one per command, split at new
lines, ``;``, ``&&`` and ``||``. Everything else in a script is outside the simulation.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import re
from collections.abc import Iterator
from typing import Any

_SPLIT = re.compile(r"\r?\n|;|&&|\|\|")
_AZCMAGENT = re.compile(
    r"""^(?:&\s*)?(?:"(?:[^"]*[\\/])?azcmagent(?:\.exe)?"|'(?:[^']*[\\/])?azcmagent(?:\.exe)?'"""
    r"""|(?:\S*[\\/])?azcmagent(?:\.exe)?)(?=\s|$)""", re.IGNORECASE)
"""``azcmagent`` as a command: bare, by path (quoted if it has spaces), after ``&``."""
_WRAPPER = re.compile(
    r"""^(?:sudo\s+|(?:powershell(?:\.exe)?|pwsh|bash|sh|cmd(?:\.exe)?)\s+"""
    r"""(?:-(?!c\b|command\b)\w+(?:\s+[^-\s]\S*)?\s+)*"""
    r"""(?:-c(?:ommand)?|/c)\s+)""", re.IGNORECASE)
"""``sudo`` and shells asked to run one command (``powershell -Command``, ``bash -c``...)."""
_SERVICE = ("systemctl", "stop-service", "start-service", "restart-service")
_KEYS = ("commandToExecute", "script")


def command_lines(settings: str) -> list[str]:
    """The agent-facing command lines of a script extension's ``settings`` (see the module
    docstring), each starting with ``azcmagent`` or a service command.

    >>> command_lines('{"commandToExecute": "sudo azcmagent config list && echo done"}')
    ['azcmagent config list']
    """
    return [line for text in scripts(settings) for line in _lines(text)]


def scripts(settings: str) -> list[str]:
    """The script texts in ``settings``: the JSON fields that hold a script, or the text."""
    text = settings.strip()
    if not text.startswith("{"):
        return [settings]
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return [settings]
    return list(_found(data))


def _found(data: Any) -> Iterator[str]:
    if isinstance(data, dict):
        for key, value in data.items():
            if key in _KEYS and isinstance(value, str):
                yield _decoded(value) if key == "script" else value
            elif key == "source" and isinstance(value, dict):
                script = value.get("script")
                if isinstance(script, str):
                    yield script
            elif isinstance(value, dict):
                yield from _found(value)


def _decoded(value: str) -> str:
    """A Linux Custom Script ``script``: base64 (gzip-compressed or not); else the text."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return value
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except OSError:
            return value
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return value


def _unwrapped(line: str) -> str:
    """``line`` without ``sudo`` and one-command shell wrappers (and their quotes)."""
    while True:
        match = _WRAPPER.match(line)
        if not match:
            return line
        line = line[match.end():].strip()
        if len(line) > 1 and line[0] == line[-1] and line[0] in "\"'":
            line = line[1:-1].strip()


def _lines(text: str) -> Iterator[str]:
    for piece in _SPLIT.split(text):
        line = _unwrapped(piece.strip())
        match = _AZCMAGENT.match(line)
        if match:
            yield "azcmagent" + line[match.end():]
        elif (words := line.split(maxsplit=1)) and words[0].lower() in _SERVICE:
            yield line
