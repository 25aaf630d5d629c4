"""The ``arcsim`` program: the parser of every command family, and :func:`main`.

Each command family is a module with a ``register(sub)`` function that adds its subcommands
(each sets ``handler``, which runs it and returns the exit status); :data:`FAMILIES` lists them
in the order ``--help`` shows them. :func:`main` parses, runs the handler, and lets
:func:`sim.cli.status.failure_status` turn what a user can cause into a message and an exit
status, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from sim.cli import analysis, catalogue, inventory, plan, rules, scenarios, sweep
from sim.cli.common import Handler, Parser, Subparsers
from sim.cli.status import FAILURES, failure_status
from sim.errors import ArcsimWarning

FAMILIES: tuple[Callable[[Subparsers], None], ...] = (
    rules.register,  # explain, lint, config
    plan.register,  # plan
    catalogue.register,  # catalogue
    scenarios.register,  # run, validate, check, list, schema
    analysis.register,  # activity-log, report, compare
    sweep.register,  # sweep
    inventory.register,  # import
)
"""The command families' registration functions, in the order ``--help`` lists them."""


def build_parser() -> argparse.ArgumentParser:
    """The ``arcsim`` parser (a :class:`~sim.cli.common.Parser`) with the subcommands of every
    family in :data:`FAMILIES`."""
    parser: argparse.ArgumentParser = Parser(
        prog="arcsim", description="Simulate extension security on Azure Arc-enabled servers.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in FAMILIES:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``arcsim`` with ``argv`` (default: the process arguments); return the exit status
    (:class:`~sim.cli.status.ExitStatus`). arcsim's own warnings (an imported fleet's
    problems, fewer shards than asked) print as ``arcsim: notice: ...`` lines."""
    with warnings.catch_warnings():
        warnings.simplefilter("always", ArcsimWarning)
        shown = warnings.showwarning

        def notice(message: Warning | str, category: type[Warning], filename: str,
                   lineno: int, file: Any = None, line: str | None = None) -> None:
            if issubclass(category, ArcsimWarning):
                print(f"arcsim: notice: {message}", file=sys.stderr)
            else:
                shown(message, category, filename, lineno, file, line)

        warnings.showwarning = notice
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    args = None
    try:
        args = build_parser().parse_args(argv)
        handler: Handler = args.handler
        return handler(args)
    except FAILURES as exc:
        return failure_status(exc, as_json=bool(getattr(args, "json", False)))


__all__ = ["FAMILIES", "build_parser", "main"]
