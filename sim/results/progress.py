"""A progress bar across tasks (runs of a sweep, shards of a run), on stderr with rich."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

Tick = Callable[[bool], None]
"""Called once per finished task, with True when it failed."""


@contextmanager
def task_progress(total: int, label: str, shown: bool, done: int = 0) -> Iterator[Tick]:
    """A bar of ``total`` tasks (``done`` of them already finished) while the block runs;
    nothing when ``shown`` is False."""
    if not shown:
        yield lambda _failed: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[failed]} failed"), TimeElapsedColumn(),
               TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total, completed=done, failed=0)
        failures = 0

        def tick(failed: bool) -> None:
            nonlocal failures
            failures += failed
            bar.update(task, advance=1, failed=failures)

        yield tick


__all__ = ["Tick", "task_progress"]
