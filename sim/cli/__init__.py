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
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.cli.program import build_parser
    from sim.cli.status import ExitStatus

_INTERRUPTED = 130
""":attr:`ExitStatus.INTERRUPTED`, before :mod:`~sim.cli.status` can be imported."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``arcsim`` (:func:`sim.cli.program.main`). A Ctrl-C while its modules are imported
    takes effect once they are (an interrupt inside a compiled module's import can make
    Python end the process by SIGINT however it is handled), then exits with status 130 and
    one line, as does a second Ctrl-C while the first is reported. Run as the program
    (``argv`` None), it ignores Ctrl-C once the command is done, while Python shuts down."""
    caught: list[int] = []
    with _interrupts_recorded(caught):
        from sim.cli import program
    if caught:
        status = _interrupted()
    else:
        try:
            status = program.main(argv)
        except KeyboardInterrupt:  # a second one while the first was reported
            status = _interrupted()
    if argv is None:
        with contextlib.suppress(ValueError):  # not the main thread: nothing to protect
            signal.signal(signal.SIGINT, signal.SIG_IGN)
    return status


def _interrupted() -> int:
    print("arcsim: interrupted", file=sys.stderr)
    return _INTERRUPTED


@contextlib.contextmanager
def _interrupts_recorded(caught: list[int]) -> Iterator[None]:
    """In the block, a SIGINT is noted in ``caught`` instead of raising KeyboardInterrupt
    (in the main thread; elsewhere nothing changes)."""
    try:
        previous = signal.signal(signal.SIGINT, lambda signum, _frame: caught.append(signum))
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def __getattr__(name: str) -> Any:
    if name == "build_parser":
        from sim.cli import program

        return program.build_parser
    if name == "ExitStatus":
        from sim.cli import status

        return status.ExitStatus
    raise AttributeError(f"module 'sim.cli' has no attribute {name!r}")


__all__ = ["ExitStatus", "build_parser", "main"]
