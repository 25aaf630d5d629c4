"""The exit statuses of ``arcsim`` and the one place where exceptions become them.

As httpie's ``ExitStatus``: every status ``arcsim`` returns is a member of :class:`ExitStatus`,
and :func:`failure_status` is the only code that turns an exception into a message and a
status. Anything else (a bug in arcsim) propagates with its traceback.
"""

from __future__ import annotations

import json
import os
import sys
from enum import IntEnum
from typing import Any, Protocol, runtime_checkable

from sim.errors import ArcsimError
from sim.scenario.source import ScenarioError


class ExitStatus(IntEnum):
    """What an ``arcsim`` command's exit status means."""

    OK = 0
    """Done."""
    FINDINGS = 1
    """Done, and it found what a script should act on: lint found an error, an expectation
    missed (``check``), a sweep run failed."""
    BAD_INPUT = 2
    """Bad input: a usage error, an invalid scenario or file, a command the simulated agent
    refuses. Nothing ran, or the bad items were skipped."""
    INTERRUPTED = 130
    """Interrupted (Ctrl-C: 128 + SIGINT)."""
    CLOSED_PIPE = 141
    """The reader of the output went away (``| head``: 128 + SIGPIPE)."""


class Interrupted(KeyboardInterrupt):
    """An interruption whose message says what it left (printed as ``arcsim: <message>``)."""


@runtime_checkable
class JsonReport(Protocol):
    """An error that ``--json`` prints as a JSON object on stdout instead of a message."""

    def as_json(self) -> dict[str, Any]: ...


def failure_status(exc: BaseException, *, as_json: bool = False) -> int:
    """Print what ``exc`` means to a user and return the exit status it makes:

    * a :class:`~sim.scenario.source.ScenarioError`: its located lines as they are; 2;
    * another :class:`~sim.errors.ArcsimError`: ``arcsim: error: <message>`` on stderr, or,
      with ``as_json`` (the command's ``--json``) and an error that is a :class:`JsonReport`,
      its JSON object on stdout; 2;
    * ``KeyboardInterrupt``: ``arcsim: <message>`` (default ``interrupted``); 130;
    * ``BrokenPipeError`` (stdout piped into a reader that stopped): nothing; 141;
    * ``SystemExit`` (``--help``): its code.

    Raises:
        TypeError: ``exc`` is none of those (callers catch only those).
    """
    if isinstance(exc, ScenarioError):  # located, possibly several lines
        print(exc, file=sys.stderr)
        return ExitStatus.BAD_INPUT
    if isinstance(exc, ArcsimError):
        if as_json and isinstance(exc, JsonReport):
            print(json.dumps(exc.as_json(), indent=2, ensure_ascii=False))
        else:
            print(f"arcsim: error: {exc}", file=sys.stderr)
        return ExitStatus.BAD_INPUT
    if isinstance(exc, KeyboardInterrupt):
        print(f"arcsim: {str(exc) or 'interrupted'}", file=sys.stderr)
        return ExitStatus.INTERRUPTED
    if isinstance(exc, BrokenPipeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # no second error when Python flushes stdout
        return ExitStatus.CLOSED_PIPE
    if isinstance(exc, SystemExit):
        return exc.code if isinstance(exc.code, int) else ExitStatus.OK
    raise TypeError(f"not a failure arcsim reports: {type(exc).__name__}") from exc


FAILURES: tuple[type[BaseException], ...] = (ArcsimError, KeyboardInterrupt, BrokenPipeError,
                                             SystemExit)
"""The exceptions :func:`failure_status` reports (catch these, and only these)."""


__all__ = ["FAILURES", "ExitStatus", "Interrupted", "JsonReport", "failure_status"]
