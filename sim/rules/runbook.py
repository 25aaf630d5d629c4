"""A runbook of agent commands run on one machine, as the agent runs it (spec R6, R8, R8a, R30).

A runbook is the text a person keeps and types on each server: ``azcmagent`` lines, the
extension service's ``systemctl``/``Stop-Service``/``Start-Service`` lines, and usually other
lines too (a ``#!`` line, comments, ``echo``, ``set -e``). :func:`runbook_lines` keeps the
agent-facing commands with their line numbers, read as ``arcsim lint`` and a script
extension's script are read (:func:`sim.rules.scripts.agent_lines`: quotes, continuations,
``sudo``, a full path to ``azcmagent.exe``, ``&&`` and ``;`` are understood); other lines are
outside the simulation and listed apart.

:func:`run_runbook` applies the commands in order to a machine's :class:`LocalState` exactly
as the agent would: a refused line changes nothing, is reported with its reason, and the next
line still runs (as :mod:`sim.rules.lint` and the engine's local commands do).
:func:`initial_config` is how a fleet group's own ``commands`` set up a machine before
anything happens: only configuration changes count there, as when the engine builds a fleet.
Pure: no I/O.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sim.rules.commands import (
    Command,
    CommandError,
    ErrorCode,
    LocalState,
    config_after,
    execute,
    parse,
)
from sim.rules.config import AgentConfig
from sim.rules.readings import DEFAULT_READINGS, Readings
from sim.rules.script_calls import read_script
from sim.rules.scripts import call_line
from sim.rules.versions import AgentVersion


@dataclass(frozen=True, slots=True)
class RunbookLine:
    """One agent command of a runbook and where it is."""

    number: int
    """1-based line of the runbook text (several commands joined by ``&&`` share it)."""
    text: str
    """The command as the agent is given it: its words (``sudo`` and the program's path
    dropped), quoted only where a POSIX shell needs it (``shlex.join``)."""


@dataclass(frozen=True, slots=True)
class Runbook:
    """The agent commands of a runbook, the lines that are not agent commands, and a label."""

    source: str
    """Where it came from, for messages: a file name, ``--lockdown`` ..."""
    lines: tuple[RunbookLine, ...]
    skipped: tuple[int, ...] = ()
    """Line numbers of non-blank, non-comment lines that are not agent commands (not run)."""


@dataclass(frozen=True, slots=True)
class Refusal:
    """A runbook line the agent refused: nothing changed, and why."""

    line: RunbookLine
    code: ErrorCode
    rule: str
    """The spec rule the refusal rests on (``R30`` too old, ``R21`` lists frozen ...)."""
    message: str
    """The agent's error text (without the ``Error:`` prefix)."""


@dataclass(frozen=True, slots=True)
class RunbookOutcome:
    """What a runbook did to one machine: its state after the last line, and the refusals."""

    state: LocalState
    refusals: tuple[Refusal, ...]

    @property
    def reached(self) -> bool:
        """True when the agent took every line."""
        return not self.refusals


def runbook_lines(text: str | Iterable[str], source: str = "<runbook>") -> Runbook:
    """The agent commands of a runbook ``text`` (or its lines), numbered from 1.

    The text is read as a script (bash, PowerShell or cmd, told by ``source``'s extension or
    by what it holds), exactly as :func:`sim.rules.lint.lint` reads it. Blank lines and
    comments are skipped silently; lines where a statement starts that holds no agent command
    are listed in :attr:`Runbook.skipped`. In bash and cmd a typographic quote is not a
    quote, so such a line reaches the agent split as typed and is refused as it would be
    (R8a).
    """
    body = text if isinstance(text, str) else "\n".join(text)
    reading = read_script(body, source)
    found = tuple(RunbookLine(call.line, call_line(call)) for call in reading.calls)
    called = {line.number for line in found}
    skipped = sorted({statement.line for statement in reading.skipped} - called)
    return Runbook(source, found, tuple(skipped))


def run_runbook(lines: Sequence[RunbookLine], state: LocalState, *,
                readings: Readings = DEFAULT_READINGS) -> RunbookOutcome:
    """Run ``lines`` in order on a machine in ``state``, under ``readings``
    (:mod:`sim.rules.readings`); a refused line changes nothing."""
    refusals: list[Refusal] = []
    for line in lines:
        try:
            state = execute(parsed(line.text), state, readings=readings).state
        except CommandError as error:
            refusals.append(Refusal(line, error.code, error.rule or "R8a", error.message))
    return RunbookOutcome(state, tuple(refusals))


@functools.lru_cache(maxsize=4096)
def _parse_once(text: str) -> Command | CommandError:
    try:
        return parse(text)
    except CommandError as error:
        return error


def parsed(text: str) -> Command:
    """:func:`~sim.rules.commands.parse`, each distinct line parsed once (a plan runs one
    runbook on thousands of situations). Raises :class:`CommandError` as ``parse`` does."""
    command = _parse_once(text)
    if isinstance(command, CommandError):
        raise command.with_traceback(None)  # the cached error: no traceback piling up
    return command


def initial_config(version: AgentVersion | str, commands: Iterable[str], *,
                   readings: Readings = DEFAULT_READINGS
                   ) -> tuple[AgentConfig, tuple[CommandError, ...]]:
    """The configuration a fleet group's ``commands`` give a fresh agent of ``version`` under
    ``readings``, and the lines it refused. Only ``config set``/``config clear`` lines change
    anything: the commands describe a machine's configuration, not work done on it."""
    config = AgentConfig.fresh(version)
    refused: list[CommandError] = []
    for text in commands:
        try:
            command = parsed(text)
            if command.changes_config:
                config = config_after(command, config, readings=readings)
        except CommandError as error:
            refused.append(error)
    return config, tuple(refused)


__all__ = ["Refusal", "Runbook", "RunbookLine", "RunbookOutcome", "initial_config",
           "parsed", "run_runbook", "runbook_lines"]
