"""A simulated agent described on the command line: argument types, and the ``azcmagent``
command lines of ``--config`` and ``--config-file`` applied to a fresh agent (``arcsim
explain`` and ``arcsim config``; ``lint`` reads a runbook the same way)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sim.cli.common import UsageError
from sim.files import FileError, file_problem, read_text
from sim.rules.commands import CommandError, LocalState, apply
from sim.rules.config import AgentConfig
from sim.rules.decision import Operation
from sim.rules.identity import ExtensionId, ExtensionIdError
from sim.rules.lint import DEFAULT_AGENT_VERSION
from sim.rules.versions import AgentVersion, VersionError
from sim.scenario.limits import LIMITS

# --- argument types ---------------------------------------------------------------------------


def version_arg(text: str) -> AgentVersion:
    """argparse type: an agent version (``1.36``, ``1.58.03228.700``)."""
    try:
        return AgentVersion.parse(text)
    except VersionError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def extension_arg(text: str) -> ExtensionId:
    """argparse type: an extension name ``Publisher/Type``."""
    try:
        return ExtensionId.parse(text)
    except ExtensionIdError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


REINSTALL = "reinstall"
"""``explain --op reinstall``: the extension manager's own reinstall at resync after a local
removal (R6), decided as an install."""


def operation_arg(text: str) -> str:
    """argparse type: install, update, upgrade, delete or reinstall (any letter case), as
    lower-case text."""
    names = [*(o.value for o in Operation), REINSTALL]
    wanted = text.strip().lower()
    if wanted not in names:
        raise argparse.ArgumentTypeError(f'expected one of {", ".join(names)}, got "{text}"')
    return wanted


def decided_as(operation: str) -> Operation:
    """The rules operation that decides ``operation`` (a reinstall is decided as an install,
    R6)."""
    return Operation.INSTALL if operation == REINSTALL else Operation(operation)


# --- command lines given with --config / --config-file ---------------------------------------


@dataclass(frozen=True, slots=True)
class CommandLine:
    """One ``azcmagent`` command line and where it came from (for error messages)."""

    text: str
    source: str
    """``--config`` or the file's path."""
    line: int
    """1-based: the line of the file, or which ``--config`` flag."""

    @property
    def where(self) -> str:
        return f"--config #{self.line}" if self.source == "--config" else (
            f"{self.source}:{self.line}")


class RefusedCommand(UsageError):
    """A command line the simulated agent refuses (``--json`` prints :meth:`as_json`)."""

    def __init__(self, command: CommandLine, error: CommandError) -> None:
        super().__init__(f'{command.where}: the agent refuses "{command.text}": {error.message}')
        self.command = command
        self.error = error

    def as_json(self) -> dict[str, Any]:
        return {"error": {"code": self.error.code.value, "message": self.error.message,
                          "line": self.command.line, "command": self.command.text,
                          "source": self.command.source, "rule": self.error.rule or None}}


class _AppendSource(argparse.Action):
    """Keep ``--config`` and ``--config-file`` in the order given, in ``args.sources``."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: str | Sequence[Any] | None, option_string: str | None = None) -> None:
        sources = [*(getattr(namespace, "sources", None) or []), (self.const, values)]
        namespace.sources = sources


def add_config_sources(parser: argparse.ArgumentParser) -> None:
    """The options that describe a machine: its agent version and the commands run on it."""
    parser.add_argument("--agent-version", type=version_arg, default=DEFAULT_AGENT_VERSION,
                        metavar="V", help=f"agent version (default {DEFAULT_AGENT_VERSION})")
    parser.add_argument("--config", dest="sources", action=_AppendSource, const="config",
                        metavar="COMMAND", help="an azcmagent command line, as typed (repeatable)")
    parser.add_argument("--config-file", dest="sources", action=_AppendSource, const="file",
                        metavar="FILE", help="a file of command lines, one per line")


def read_lines(path: str) -> list[str]:
    """The lines of a UTF-8 text file of at most ``LIMITS.max_bytes`` bytes (``-`` is stdin,
    read as the same bytes a file would be).

    Raises:
        UsageError: the file is missing, unreadable, too large or not UTF-8 (``PATH: no such
            file``, ``PATH: cannot read: why``, ``PATH: not UTF-8 text (byte N: why)``).
    """
    if path != "-":
        try:
            return read_text(path, limit=LIMITS.max_bytes).splitlines()
        except FileError as exc:
            raise UsageError(file_problem(exc)) from None
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # a text stream put in place of stdin (tests)
        return sys.stdin.read().splitlines()
    raw = bytes(stream.read(LIMITS.max_bytes + 1))
    if len(raw) > LIMITS.max_bytes:
        raise UsageError(f"-: cannot read: larger than {LIMITS.max_bytes:,} bytes")
    try:
        return raw.decode("utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        raise UsageError(f"-: not UTF-8 text (byte {exc.start}: {exc.reason})") from None


def command_lines(args: argparse.Namespace) -> list[CommandLine]:
    """The command lines of ``--config``/``--config-file``, in order; blanks and # skipped."""
    found: list[CommandLine] = []
    flags = 0
    for kind, value in args.sources or []:
        if kind == "config":
            flags += 1
            numbered = [(value, flags)]
        else:
            numbered = [(text, n) for n, text in enumerate(read_lines(value), start=1)]
        source = "--config" if kind == "config" else value
        found += [CommandLine(text, source, n) for text, n in numbered
                  if text.strip() and not text.lstrip().startswith("#")]
    return found


def run_commands(lines: list[CommandLine], version: AgentVersion) -> LocalState:
    """Apply ``lines`` in order to a fresh agent; raise :class:`RefusedCommand` at a refusal."""
    state = LocalState(AgentConfig.fresh(version))
    for command in lines:
        try:
            state = apply(command.text, state).state
        except CommandError as exc:
            raise RefusedCommand(command, exc) from None
    return state


__all__ = ["REINSTALL", "CommandLine", "RefusedCommand", "add_config_sources", "command_lines",
           "decided_as", "extension_arg", "operation_arg", "read_lines", "run_commands",
           "version_arg"]
