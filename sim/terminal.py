"""The terminal every ``arcsim`` subcommand prints to (rich, no other arcsim import)."""

from __future__ import annotations

import os
import sys
from typing import TextIO

from rich.console import Console


def make_console(stream: TextIO | None = None) -> Console:
    """A rich console on ``stream`` (stdout); colour only on a terminal and without NO_COLOR.

    Off a terminal the width is $COLUMNS or 120, so piped tables stay readable.
    """
    out = stream if stream is not None else sys.stdout
    width = None if out.isatty() or "COLUMNS" in os.environ else 120
    return Console(file=out, width=width, highlight=False, soft_wrap=True)
