"""Progress bars on stderr with rich: across tasks (runs of a sweep, parts of a split run) and
across simulated time (a run in this process)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

Tick = Callable[[bool], None]
"""Called once per finished task, with True when it failed."""
Step = Callable[[float], None]
"""Called with the simulated seconds reached."""


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


@contextmanager
def time_progress(duration: float, label: str, shown: bool) -> Iterator[Step]:
    """A bar of simulated days, to ``duration`` seconds, while the block runs; nothing when
    ``shown`` is False."""
    if not shown:
        yield lambda _t: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    days = duration / 86_400.0
    columns = (TextColumn("{task.description}"), BarColumn(),
               TextColumn("day {task.completed:.1f} of " + f"{days:.1f}"), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label or "running", total=days)
        yield lambda t: bar.update(task, completed=t / 86_400.0)


__all__ = ["Step", "Tick", "task_progress", "time_progress"]
