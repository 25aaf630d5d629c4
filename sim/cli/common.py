"""What every ``arcsim`` command family shares: the subparsers type, the handler type, the one
usage-error class, the parser that raises it, JSON output, and how a command that writes a
folder reports it (``--quiet``, ``--json``, a progress bar only at a terminal)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeAlias

from sim.errors import ArcsimError

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
"""What a command family's ``register(sub)`` adds its subcommands to."""
Handler: TypeAlias = Callable[[argparse.Namespace], int]
"""Runs a parsed subcommand (set as ``handler`` by its parser); returns the exit status
(:class:`sim.cli.status.ExitStatus`)."""


class UsageError(ArcsimError):
    """Bad input on the command line: a flag value, a file that cannot be read or written, a
    folder without scenarios (printed as one ``arcsim: error: ...`` line, exit status 2)."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors become :class:`UsageError` (its subcommands'
    parsers are of this class too)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def print_json(value: Any) -> None:
    """Print ``value`` as indented JSON on stdout."""
    print(json.dumps(value, indent=2, ensure_ascii=False))


def add_output_options(parser: argparse.ArgumentParser, *, folder: str, as_json: str) -> None:
    """``--quiet`` (print only the ``folder`` written) or ``--json`` (print ``as_json`` as
    JSON only), one or the other."""
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument("--quiet", action="store_true", help=f"print only the {folder}")
    choice.add_argument("--json", action="store_true", help=f"print {as_json} as JSON only")


def shows_progress(args: argparse.Namespace) -> bool:
    """Whether to draw a progress bar: only on a terminal, and not with --quiet or --json."""
    return not (args.quiet or args.json) and sys.stderr.isatty()


def print_outcome(args: argparse.Namespace, folder: Path, as_json: Callable[[], Any],
                  summary: Callable[[], None]) -> None:
    """What a command that wrote ``folder`` prints: with --json the value ``as_json()`` gives,
    with --quiet the folder, else its ``summary()``."""
    if args.json:
        print_json(as_json())
    elif args.quiet:
        print(folder)
    else:
        summary()


__all__ = ["Handler", "Parser", "Subparsers", "UsageError", "add_output_options",
           "print_json", "print_outcome", "shows_progress"]
