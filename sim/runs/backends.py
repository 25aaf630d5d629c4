"""Where independent tasks run: in this process, in local processes, or on a Dask cluster.

A backend maps a picklable module-level function over picklable tasks and yields a
:class:`Done` for each as it finishes (completion order; callers that need an order sort by
``index``). A task that raises is a :class:`Done` with its ``error`` text; the other tasks go
on. Nothing here decides anything about results, so every backend gives the same outcomes.

* :class:`LocalBackend` with one worker runs tasks here, one after another (cheapest); with
  more it uses a :class:`~concurrent.futures.ProcessPoolExecutor` whose workers carry no state
  of the caller: forked from a fork server that imported ``sim`` once (Linux, macOS), or
  spawned (Windows). As with any spawn-safe code, a script that starts a pool must guard its
  entry point with ``if __name__ == "__main__":``.
* :class:`DaskBackend` submits tasks to a Dask ``distributed`` scheduler (``tcp://host:8786``):
  every worker needs the same arcsim installed. It needs the ``dask`` extra
  (``pip install 'arcsim[dask]'``).

Ctrl-C is the caller's alone: the fork server starts with SIGINT ignored, and so do the
workers it forks, so a terminal's Ctrl-C, which reaches every process of the group, prints
nothing from them. On KeyboardInterrupt the caller cancels the tasks not started, stops the
workers at once (a shard or sweep run in progress is abandoned, not waited for) and the
interrupt propagates.
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import os
import re
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from functools import partial
from typing import Any, Generic, TypeVar

from sim.errors import ArcsimError

T = TypeVar("T")
R = TypeVar("R")


class BackendError(ArcsimError):
    """A backend that cannot be used (a bad worker count, an unreachable scheduler)."""


@dataclass(frozen=True, slots=True)
class Done(Generic[R]):
    """One finished task: its position in the task list, and its value or error."""

    index: int
    value: R | None
    error: str | None = None


def describe(exc: BaseException) -> str:
    """An exception as one line: ``TypeName: message``."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Backend:
    """Base: use as a context manager; :meth:`map` yields tasks' results as they finish."""

    workers: int = 1
    """How many tasks can run at once."""

    def map(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[Done[R]]:
        """Run ``fn(task)`` for every task; yield each result as it finishes."""
        raise NotImplementedError

    def close(self) -> None:
        """Release workers and connections."""

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LocalBackend(Backend):
    """Tasks in this process (1 worker) or in ``workers`` spawned local processes."""

    def __init__(self, workers: int | None = None) -> None:
        count = workers if workers is not None else (os.cpu_count() or 1)
        if count < 1:
            raise BackendError(f"--workers: expected a number of processes >= 1, got {count}")
        self.workers = count
        self._pool: ProcessPoolExecutor | None = None

    def map(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[Done[R]]:
        if self.workers == 1 or len(tasks) <= 1:
            yield from _inline(fn, tasks)
            return
        futures: dict[Future[R], int] = {}
        try:
            with _interrupts_deferred():  # no worker left half started
                if self._pool is None:
                    self._pool = ProcessPoolExecutor(max_workers=min(self.workers, len(tasks)),
                                                     mp_context=_context(),
                                                     initializer=_ignore_interrupts)
                futures = {self._pool.submit(fn, t): i for i, t in enumerate(tasks)}
            for future in as_completed(futures):
                yield _settled(futures[future], future.result)
        except BaseException:
            for future in futures:
                future.cancel()
            self._stop()
            raise

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _stop(self) -> None:
        """Stop the workers now (a task in progress is abandoned; each is gone before the
        pool's shared objects are), and release the pool."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        with _interrupts_deferred():
            processes = list((getattr(pool, "_processes", None) or {}).values())  # no API
            for process in processes:
                with contextlib.suppress(OSError, ValueError, AttributeError):
                    process.terminate()
            for process in processes:
                with contextlib.suppress(OSError, ValueError, AttributeError, AssertionError):
                    process.join(_STOP_WAIT_S)
            pool.shutdown(wait=True, cancel_futures=True)


_STOP_WAIT_S = 10.0
"""How long a stopped worker may take to exit."""


def _ignore_interrupts() -> None:
    """A worker's initializer: Ctrl-C is for the process that started it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextlib.contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """A Ctrl-C (SIGINT) during the block takes effect when it ends, as the handler it
    replaced would have had it (KeyboardInterrupt), not in the middle of starting a process.
    Only in the main thread (elsewhere the block runs as it is)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, _frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught and callable(previous):
        previous(signal.SIGINT, None)


PRELOAD = ("sim.runs.single",)
"""Modules the fork server imports once, so that each worker starts without importing them."""


def _context() -> multiprocessing.context.BaseContext:
    """Fresh workers without state forked from the caller: a fork server that preloaded
    :data:`PRELOAD` where there is one (Linux, macOS), else spawned interpreters."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(PRELOAD))
    _start_fork_server()
    return context


def _start_fork_server() -> None:
    """Start the fork server (if it is not running) with SIGINT ignored, which it keeps from
    its first instruction (while it imports :data:`PRELOAD`) and gives to every worker. The
    caller ignores SIGINT only for the instant the process is created."""
    from multiprocessing import forkserver

    if threading.current_thread() is not threading.main_thread():
        forkserver.ensure_running()
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        forkserver.ensure_running()
    finally:
        signal.signal(signal.SIGINT, previous)


def _inline(fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[Done[R]]:
    for i, task in enumerate(tasks):
        yield _settled(i, partial(fn, task))


def _settled(index: int, result: Callable[[], R]) -> Done[R]:
    """``result()`` as a :class:`Done`; an Exception becomes its error text."""
    try:
        return Done(index, result())
    except Exception as exc:
        return Done(index, None, describe(exc))


_ADDRESS = re.compile(r"[a-z]+://\S+|[\w.\-]+:\d+")


class DaskBackend(Backend):
    """Tasks on the Dask ``distributed`` scheduler at ``address`` (``tcp://host:8786``)."""

    def __init__(self, address: str, timeout_s: float = 30.0) -> None:
        if not _ADDRESS.fullmatch(address):
            raise BackendError(f"--scheduler {address}: expected a Dask scheduler address like "
                               "tcp://10.0.0.5:8786")
        distributed = _distributed()
        try:
            self._client: Any = distributed.Client(address, timeout=timeout_s,
                                                   set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise BackendError(f"--scheduler {address}: cannot connect to a Dask scheduler "
                               f"({describe(exc)})") from None
        self._as_completed = distributed.as_completed
        workers = len(self._client.scheduler_info().get("workers", {}))
        self.workers = max(1, workers)

    def map(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[Done[R]]:
        futures = [self._client.submit(fn, task, pure=False) for task in tasks]
        index = {future.key: i for i, future in enumerate(futures)}
        try:
            for future in self._as_completed(futures, loop=self._client.loop):
                yield _settled(index[future.key], future.result)
        except BaseException:
            self._client.cancel(futures)
            raise

    def close(self) -> None:
        self._client.close()


def _distributed() -> Any:
    try:
        return importlib.import_module("distributed")
    except ImportError:
        raise BackendError("--scheduler needs Dask: pip install 'arcsim[dask]' (the "
                           "dask[distributed] package)") from None


def make_backend(workers: int | None = None, scheduler: str | None = None) -> Backend:
    """Dask when ``scheduler`` is given, else local processes (``workers``, default: one per
    CPU).

    Raises:
        BackendError: a worker count < 1, Dask missing, or the scheduler unreachable.
    """
    if scheduler:
        return DaskBackend(scheduler)
    return LocalBackend(workers)


__all__ = ["Backend", "BackendError", "DaskBackend", "Done", "LocalBackend", "describe",
           "make_backend"]
