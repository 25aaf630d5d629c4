"""What a script extension runs (R7): the command lines inside its settings.

Custom Script and Run Command take their script in their settings, usually as JSON:
``{"commandToExecute": "..."}`` (Custom Script, Windows and Linux), ``{"script": "<base64>"}``
(Linux Custom Script, optionally gzip-compressed), ``{"source": {"script": "..."}}`` (Run
Command). Plain text is a script too. :func:`command_lines` returns the lines that act on the
agent, read by the same reader as ``arcsim lint`` (:func:`sim.rules.script_calls.read_script`:
quotes, continuations, comments, ``sudo``, paths, ``&``, ``powershell -Command``/``bash -c``,
variables; the extension service stopped or started), one per command, so a script is
simulated as it is linted. Everything else in a script is outside the simulation.
"""

from __future__ import annotations

import base64
import binascii
import functools
import gzip
import json
import shlex
from collections.abc import Iterator
from typing import Any

from sim.rules.script_calls import AgentCall, read_script
from sim.rules.script_text import Language

_KEYS = ("commandToExecute", "script")


def command_lines(settings: str) -> list[str]:
    """The agent-facing command lines of a script extension's ``settings`` (see the module
    docstring), each starting with ``azcmagent`` or a service program, its words quoted so
    that :func:`sim.rules.command_parse.parse` reads them back unchanged.

    >>> command_lines('{"commandToExecute": "sudo azcmagent config list && echo done"}')
    ['azcmagent config list']
    """
    return list(_command_lines(settings))


@functools.lru_cache(maxsize=1024)
def _command_lines(settings: str) -> tuple[str, ...]:
    return tuple(call_line(call) for text in scripts(settings)
                 for call in read_script(text).calls)


def agent_lines(text: str, name: str = "", language: Language | None = None
                 ) -> list[tuple[int, str]]:
    """``(line, command line)`` of each agent call of a script ``text`` (``name``, a file name,
    helps tell the language), as :func:`command_lines` gives them."""
    return [(call.line, call_line(call)) for call in read_script(text, name, language).calls]


def call_line(call: AgentCall) -> str:
    """An agent call as one command line: its words, quoted as a POSIX shell reads them."""
    return shlex.join(call.words)


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
