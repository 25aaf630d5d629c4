"""The engine's clock: SimPy's environment, with the engine's equal-time order and cheap pushes.

:class:`Clock` is the only code in arcsim that touches SimPy's private fields (the event queue
``_queue``, the event id counter ``_eid`` and the time ``_now``), the way SimPy's own
``core.py`` keeps them behind ``now``, ``schedule`` and ``step``, and desmod's
``SimEnvironment`` subclasses ``simpy.Environment``. Everything else reads :attr:`Clock.now`
and schedules with :meth:`Clock.at`, :meth:`Clock.at_instant`, :meth:`Clock.at_fleet`,
:meth:`Clock.schedule_at`, :meth:`Clock.timeout_at` or :func:`schedule_each`.

Equal-time order: events at one instant run by their key (then by scheduling order):

* 0, SimPy's URGENT: the stop event of ``run(until)``, so an event at exactly ``until`` waits
  for the next call, however a run is stepped;
* 0.5, :data:`GLOBAL_PRIORITY`: fleet-wide events (:meth:`Clock.at_fleet`);
* 1, SimPy's NORMAL: resource grants (a shared download path, R2);
* ``8 + 8 * machine + kind`` (:func:`machine_priority`, :class:`Kind`): one machine's events,
  plus a fraction for the rank of the actor whose chain it is (:func:`schedule_each`). The key
  depends only on the machine's local index and the kind, so the order does not depend on
  insertion accidents; a shard keeps the whole fleet's order since its machines keep their
  relative order.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappush
from typing import Any

import numpy as np
import numpy.typing as npt
import simpy

GLOBAL_PRIORITY = 0.5
"""The equal-time key of fleet-wide events: after SimPy's URGENT (0), before SimPy's NORMAL
(1: resource grants) and every machine's events (>= 8)."""


class Kind:
    """Sub-keys of the equal-time order of one machine's events.

    A check comes last: at an instant it sees every other change to its machine at that
    instant, so "the first check at or after t" does not depend on what else happens at t (and
    equals the naive polling model's check, ``tests/reference_polling.py``).
    """

    EFFECT = 0
    PUSH = 1
    COMPLETE = 3
    SERVICE = 4
    CONNECTIVITY = 5
    SYNC = 7


def machine_priority(machine: int, kind: int) -> int:
    """The stable equal-time order key of an event about ``machine`` (a local index)."""
    return 8 + 8 * machine + kind


class Triggered:
    """An event that is already triggered (ok, no value) and only carries ``callbacks``.

    What SimPy's ``step`` reads of an event: ``callbacks``, ``_ok`` and, for a failed event,
    ``_value`` and ``_defused`` (class attributes and an unset slot here). Cheaper than a
    ``simpy.Event``: one slotted object and no ``schedule`` call.
    """

    __slots__ = ("_defused", "callbacks")
    _ok = True
    _value = None


class _Call(Triggered):
    """A pending call of one callback (:meth:`Clock.at`)."""

    __slots__ = ()

    def __init__(self, callback: Callable[[Any], None]) -> None:
        self.callbacks: list[Callable[[Any], None]] | None = [callback]


class Clock(simpy.Environment):
    """A SimPy environment that is the engine's only door to SimPy's internals.

    :attr:`now` is a plain attribute: SimPy writes its time as ``_now`` and the engine reads
    it as ``now``, one slot under two names (reading SimPy's ``now`` property costs about twice
    as much, and the engine reads the time several times an event). Treat it as read-only.
    """

    __slots__ = ("_id_reads", "_stops", "fleet_events", "now")
    now: float
    """Simulated seconds from the scenario start (SimPy's time)."""

    def __init__(self) -> None:
        super().__init__()
        self._stops = 0
        """``run(until)`` calls that scheduled a stop event."""
        self._id_reads = 0
        """Event ids taken by :meth:`events_processed` (not events)."""
        self.fleet_events = 0
        """Fleet-wide events processed so far (:meth:`at_fleet`)."""

    def at(self, delay: float, priority: float, callback: Callable[[Any], None]) -> None:
        """Call ``callback(event)`` after ``delay`` seconds with equal-time key ``priority``.

        The engine's hot path: a slotted, already-triggered event pushed straight onto SimPy's
        queue (what ``schedule`` does for an ``Event``), which SimPy processes like any other.
        """
        queue: list[Any] = self._queue  # SimPy's type: Event entries with int priorities
        heappush(queue, (self.now + delay, priority, next(self._eid), _Call(callback)))

    def at_instant(self, t: float, priority: float, callback: Callable[[Any], None]) -> None:
        """Call ``callback(event)`` at simulated time ``t`` (not before now), like :meth:`at`.

        For instants computed as absolute times (checks, actor schedules): ``now + (t - now)``
        is not always ``t`` in floating point, and a check must run exactly at its instant.
        """
        queue: list[Any] = self._queue
        heappush(queue, (t, priority, next(self._eid), _Call(callback)))

    def at_fleet(self, delay: float, callback: Callable[[Any], None]) -> None:
        """Call ``callback(event)`` after ``delay`` seconds as a fleet-wide event (about no one
        machine: a policy assigned, an upgrade batch started), first among equal-time events,
        counted in :attr:`fleet_events`. Whether one is scheduled must not depend on which
        machines a world holds, so that every shard of a run has the same fleet-wide events."""
        def fire(event: Any) -> None:
            self.fleet_events += 1
            callback(event)

        self.at(delay, GLOBAL_PRIORITY, fire)

    def schedule_at(self, event: simpy.Event | Triggered, t: float, priority: float) -> None:
        """Schedule an already-triggered ``event`` at simulated time ``t`` (not before now) with
        equal-time key ``priority``: SimPy's ``schedule`` with an absolute time."""
        queue: list[Any] = self._queue
        heappush(queue, (t, priority, next(self._eid), event))

    def timeout_at(self, t: float, priority: float) -> simpy.Event:
        """An event a process can yield: processed at simulated time ``t`` (not before now)
        with equal-time key ``priority``; SimPy's ``timeout`` with an absolute time and a key."""
        event = simpy.Event(self)
        event._ok, event._value = True, None
        self.schedule_at(event, t, priority)
        return event

    def run(self, until: simpy.core.SimTime | simpy.Event | None = None) -> Any:
        """SimPy's ``run``, counting the stop events it schedules (see
        :meth:`events_processed`)."""
        if until is not None and not isinstance(until, simpy.Event) and until > self.now:
            self._stops += 1
        return super().run(until)

    def events_queued(self) -> int:
        """Events scheduled and not processed yet (a stop event of :meth:`run` included)."""
        return len(self._queue)

    def events_processed(self) -> int:
        """Events processed so far, exactly, not counting :meth:`run`'s own stop events.

        Every event SimPy processes took one id when it was scheduled: processed = ids taken -
        events still queued. Each ``run(until)`` call's stop event takes two ids and is
        processed twice (SimPy schedules it again when it stops the run), except the last one,
        whose second turn has not come. The count is read by taking the next id, which changes
        no order (ids only break ties, and every later id stays above every earlier one); the
        ids taken this way are not counted.
        """
        taken = next(self._eid) - self._id_reads
        self._id_reads += 1
        return taken - len(self._queue) - max(2 * self._stops - 1, 0)


# SimPy's ``_now`` and the engine's ``now``: one slot (see Clock). Set after the class exists,
# as a slot's descriptor is made with the class.
setattr(Clock, "_now", Clock.__dict__["now"])  # noqa: B010


class _Chain(Triggered):
    """The pending step of a chain (:func:`schedule_each`): one object for the whole chain,
    pushed on the clock's queue as its own already-triggered event, one step at a time."""

    __slots__ = ("clock", "effect", "fire", "i", "machines", "priorities", "times")

    def __init__(self, clock: Clock, times: list[float], machines: list[int],
                 priorities: list[float], effect: Callable[[int], None]) -> None:
        self.clock, self.effect = clock, effect
        self.times, self.machines, self.priorities = times, machines, priorities
        self.fire = self._fire
        self.callbacks: list[Callable[[object], None]] | None = None
        self.i = 0

    def schedule(self, i: int) -> None:
        """Push step ``i`` at its instant (not before now: the times were clamped to the
        instant the chain was made, and steps come in time order)."""
        self.i = i
        self.callbacks = [self.fire]
        clock = self.clock
        queue: list[Any] = clock._queue
        heappush(queue, (self.times[i], self.priorities[i], next(clock._eid), self))

    def _fire(self, _event: object) -> None:
        i = self.i
        self.effect(self.machines[i])
        if i + 1 < len(self.times):
            self.schedule(i + 1)


def schedule_each(clock: Clock, times: npt.ArrayLike, machines: npt.ArrayLike,
                  effect: Callable[[int], None], kind: int = Kind.EFFECT, rank: int = 0) -> None:
    """Call ``effect(m)`` at ``times[i]`` for ``machines[i]`` (absolute seconds, exactly: not
    rounded through delays, so a shard's chain keeps the whole fleet's times), as one chain: a
    single pending event at a time, so a rollout to a million machines keeps the event heap
    small. Times before now mean now.

    ``rank`` (an actor's position in the world, < 2**20) orders the effects of several chains
    on one machine at one instant: lower rank first, whatever each chain did before.
    """
    t = np.asarray(times, dtype=np.float64)
    ms = np.asarray(machines, dtype=np.int64)
    if not t.size:
        return
    order = np.lexsort((ms, t))
    ms = ms[order]
    # the equal-time key of each step: machine_priority(m, kind) + the rank's fraction
    priorities = (8 + 8 * ms + kind).astype(np.float64) + rank * 2.0**-20
    _Chain(clock, np.maximum(t[order], clock.now).tolist(), ms.tolist(), priorities.tolist(),
           effect).schedule(0)
