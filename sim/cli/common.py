"""What every ``arcsim`` command family shares: the subparsers type, the handler type, the one
usage-error class, the parser that raises it, and JSON output."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
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


__all__ = ["Handler", "Parser", "Subparsers", "UsageError", "print_json"]
