"""The ``arcsim`` command line (``arcsim = "sim.cli:main"``, ``python -m sim``).

* :mod:`~sim.cli.program`: :func:`main` and the parser, which registers every command family
  (plain imports, in ``--help`` order);
* :mod:`~sim.cli.status`: :class:`ExitStatus` (0 done, 1 findings: lint errors, a missed
  expectation, a failed sweep run; 2 bad input; 130 interrupted; 141 closed pipe) and
  :func:`~sim.cli.status.failure_status`, the one place exceptions become exit statuses;
* :mod:`~sim.cli.common`: the one usage-error class, the parser, shared types;
* the command families: :mod:`~sim.cli.rules` (``explain``, ``lint``, ``config``; with
  :mod:`~sim.cli.agent`), :mod:`~sim.cli.plan` (``plan``), :mod:`~sim.cli.catalogue`
  (``catalogue``), :mod:`~sim.cli.scenarios` (``run``, ``validate``, ``check``, ``list``,
  ``schema``), :mod:`~sim.cli.analysis` (``activity-log``, ``report``, ``compare``),
  :mod:`~sim.cli.sweep` (``sweep``), :mod:`~sim.cli.inventory` (``import``).

Every :class:`~sim.errors.ArcsimError` becomes a message (``arcsim: error: ...``, or a
scenario's located lines), never a traceback. This package's ``__init__`` imports nothing else
until :func:`main` runs, so that a Ctrl-C while ``arcsim`` is still starting (importing its
modules takes a second) is an exit status 130 too, not a traceback.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.cli.program import build_parser
    from sim.cli.status import ExitStatus

_INTERRUPTED = 130
""":attr:`ExitStatus.INTERRUPTED`, before :mod:`~sim.cli.status` can be imported."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``arcsim`` (:func:`sim.cli.program.main`); a Ctrl-C while it starts, or a second one
    while it reports the first, exits with status 130 and one line. Run as the program
    (``argv`` None) and interrupted, it then ignores Ctrl-C while Python shuts down, which
    would otherwise end the process by SIGINT instead of with status 130."""
    try:
        from sim.cli import program

        status = program.main(argv)
    except KeyboardInterrupt:
        print("arcsim: interrupted", file=sys.stderr)
        status = _INTERRUPTED
    if status == _INTERRUPTED and argv is None:
        with contextlib.suppress(ValueError):  # not the main thread: nothing to protect
            signal.signal(signal.SIGINT, signal.SIG_IGN)
    return status


def __getattr__(name: str) -> Any:
    if name == "build_parser":
        from sim.cli import program

        return program.build_parser
    if name == "ExitStatus":
        from sim.cli import status

        return status.ExitStatus
    raise AttributeError(f"module 'sim.cli' has no attribute {name!r}")


__all__ = ["ExitStatus", "build_parser", "main"]
