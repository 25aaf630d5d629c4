"""Series the figures need that the time series frame does not hold, derived from the records.

Every function reads a :class:`~sim.report.view.RunView` (records and the resolved scenario)
and returns plain pandas frames; nothing here draws.

- :func:`provisioning_states`: extension resources per ``provisioningState`` (R6c) over time.
  A resource present at the start is ``Succeeded``; a request makes it ``Creating``
  (install), ``Updating`` (update, upgrade) or ``Deleting``; a block, failure or abort makes
  it ``Failed`` (R10); success makes it ``Succeeded`` (a delete removes it); a delete while
  the manager is disabled removes the resource too (R24). Denied requests change nothing.
- :func:`lockdown_coverage`: the fleet's machines by lockdown state over time, from the
  lockdown codes configuration records carry (see its docstring for the states).
- :func:`proxy_queues`: downloads waiting for and using each shared download path (R2).
- :func:`counts_per_bucket`: any record selection counted per time bucket.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.engine.codes import REASON_CODE, Outcome
from sim.engine.metrics import locked_down
from sim.report.view import RunView
from sim.results.records import category_codes, category_names
from sim.scenario.schema import Scenario

PROVISIONING = ("Succeeded", "Creating", "Updating", "Deleting", "Failed")
_START = {"install": 1, "update": 2, "upgrade": 2, "delete": 3}
_FAILED_OUTCOMES = ("blocked", "failed", "aborted")
_CHANGING = ("requested", *_FAILED_OUTCOMES, "succeeded", "orphaned")
"""Outcomes that change a resource's state (denied and overridden records do not)."""
_REQUEST_OPS = ("install", "update", "upgrade", "delete", "reinstall")

COVERAGE = ("locked down", "refused (agent too old)", "lockdown lifted", "not locked down")


def counts_per_bucket(view: RunView, mask: npt.ArrayLike,
                      weights: npt.ArrayLike | None = None) -> npt.NDArray[np.float64]:
    """Rows selected by ``mask`` counted (or ``weights`` summed) per time bucket."""
    selected = np.asarray(mask, dtype=bool)
    index = view.buckets(view.records["time"].to_numpy()[selected])
    w = None if weights is None else np.asarray(weights, dtype=np.float64)[selected]
    return np.bincount(index, weights=w, minlength=view.n_buckets).astype(np.float64)


def step_counts(grid: npt.NDArray[np.float64], times: npt.NDArray[np.float64],
                deltas: npt.NDArray[np.int64], initial: int = 0, *,
                order: npt.NDArray[np.intp] | None = None) -> npt.NDArray[np.int64]:
    """A count that starts at ``initial`` and changes by ``deltas`` at ``times``, sampled at
    each instant of ``grid`` (changes at an instant are included). ``order`` is
    ``np.argsort(times, kind="stable")`` when the caller has it already."""
    if order is None:
        order = np.argsort(times, kind="stable")
    running = np.concatenate([[0], np.cumsum(deltas[order])])
    return initial + running[np.searchsorted(times[order], grid, side="right")]


# --- provisioning states (R6c) -----------------------------------------------------------


def provisioning_states(view: RunView) -> pd.DataFrame:
    """Extension resources per ``provisioningState`` at each grid instant (index: seconds).

    Works on the categorical columns' codes (a million-machine month has millions of rows:
    no per-row Python and no string copies of the columns)."""
    r = view.records
    machine = r["machine"].to_numpy(np.int64)
    ext = category_codes(r["extension"])
    outcome = _lookup(r["outcome"], {"requested": 1, **dict.fromkeys(_FAILED_OUTCOMES, 2),
                                     "succeeded": 3, "orphaned": 4})
    selected = (_lookup(r["operation"], dict.fromkeys(_REQUEST_OPS, 1)) == 1) & \
        (outcome > 0) & (machine >= 0) & (ext >= 0)
    key = machine[selected] * 4096 + ext[selected]
    order = np.argsort(key, kind="stable")
    key = key[order]
    outcome = outcome[selected][order]
    start_state = _lookup(r["operation"], {name: code + 1 for name, code in _START.items()})
    deleting = _lookup(r["operation"], {"delete": 1})[selected][order] == 1
    new = np.zeros(len(key), dtype=np.int64)
    requested = outcome == 1
    new[requested] = start_state[selected][order][requested]
    new[outcome == 2] = 5
    new[(outcome == 3) & ~deleting] = 1
    first = np.concatenate([[True], key[1:] != key[:-1]]) if len(key) else np.array([], bool)
    initial = _initially_installed(view.scenario, r)[selected][order]
    previous = _previous(first, initial, new)
    new = np.where((new == 4) & (previous == 0), 0, new)  # a delete of nothing: no resource
    previous = _previous(first, initial, new)
    times, grid = r["time"].to_numpy(np.float64)[selected][order], view.grid()
    start = sum(g.count * len(g.extensions) for g in view.scenario.fleet)
    by_time = np.argsort(times, kind="stable")
    frame: dict[str, npt.NDArray[np.int64]] = {}
    for code, state in enumerate(PROVISIONING, start=1):
        deltas = (new == code).astype(np.int64) - (previous == code).astype(np.int64)
        frame[state] = step_counts(grid, times, deltas, start if code == 1 else 0,
                                   order=by_time)
    return pd.DataFrame(frame, index=pd.Index(grid, name="time"))


def _lookup(column: pd.Series, table: dict[str, int]) -> npt.NDArray[np.int64]:
    """``table[value]`` of each row of a categorical column (0 for other values and missing)."""
    mapped = np.array([table.get(c, 0) for c in category_names(column)] + [0], dtype=np.int64)
    return mapped[category_codes(column)]  # code -1 (missing) takes the last entry


def _previous(first: npt.NDArray[np.bool_], initial: npt.NDArray[np.int64],
              new: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Each row's state before it: the initial one at a key's first row, else the row
    before's."""
    before = np.concatenate([np.zeros(1, dtype=np.int64), new[:-1]])
    return np.where(first, initial, before[:len(new)])


def _initially_installed(scenario: Scenario, records: pd.DataFrame) -> npt.NDArray[np.int64]:
    """1 (Succeeded) where the row's group had the row's extension at the start, else 0."""
    present = {(g.group, e.name.lower()) for g in scenario.fleet for e in g.extensions}
    groups, exts = category_names(records["group"]), category_names(records["extension"])
    table = np.zeros((len(groups) + 1, len(exts) + 1), dtype=np.int64)  # last: missing
    for i, group in enumerate(groups):
        for j, ext in enumerate(exts):
            table[i, j] = int((group, ext.lower()) in present)
    return table[category_codes(records["group"]), category_codes(records["extension"])]


# --- lockdown coverage -------------------------------------------------------------------

_NOT_LOCKED, _LOCKED, _REFUSED, _LIFTED = 0, 1, 2, 3
_TOO_OLD = ("key_unavailable", "allow_none_unsupported")
"""Refusals that mean the agent is too old for a control (R30, R15)."""


def lockdown_coverage(view: RunView) -> pd.DataFrame:
    """The fleet's machines per lockdown state at each grid instant (index: seconds), read
    from the lockdown codes of the configuration records (:mod:`sim.rules.lockdown`); empty
    columns when no machine was ever locked down or refused a control.

    States (:data:`COVERAGE`): *locked down* (its configuration restricts extensions: a list,
    ``Allow/None``, monitor mode or the manager disabled); *refused (agent too old)* (not
    locked down, and it refused a configuration line because its agent lacks the key or
    ``Allow/None``, R30, R15); *lockdown lifted* (a change took its lockdown away: tampering
    by a script or a guest configuration policy, R17, or anyone clearing it); *not locked
    down* (every other machine: never reached, or never targeted). The machines locked down at
    the start are the metric ``coverage.machines_locked_down`` less the net changes.
    """
    grid = view.grid()
    times, deltas = _coverage_changes(view)
    total = int(view.metrics.get("coverage", {}).get("machines", view.scenario.machines))
    locked_end = int(view.metrics.get("coverage", {}).get("machines_locked_down", 0))
    initial = np.zeros(4, dtype=np.int64)
    initial[_LOCKED] = locked_end - int(deltas[:, _LOCKED].sum())
    initial[_NOT_LOCKED] = total - initial[_LOCKED]
    if initial[_LOCKED] == 0 and len(deltas) == 0:
        return pd.DataFrame({s: pd.Series(dtype=np.int64) for s in COVERAGE})
    order = np.argsort(times, kind="stable")
    counts = {state: step_counts(grid, times, deltas[:, code], int(initial[code]), order=order)
              for code, state in zip(_ORDER, COVERAGE, strict=True)}
    return pd.DataFrame(counts, index=pd.Index(grid, name="time"))


_ORDER = (_LOCKED, _REFUSED, _LIFTED, _NOT_LOCKED)
"""The state codes in the order of :data:`COVERAGE`."""


def _coverage_changes(view: RunView) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """(time, per-state delta rows) of every machine's coverage state change: each record
    that carries lockdown codes before and after sets the machine's state (locked after:
    locked; else locked before: lifted; else a too-old refusal: refused; else unchanged)."""
    c = view.codes
    rows = np.flatnonzero((c["lockdown"] >= 0) & (c["lockdown_before"] >= 0)
                          & (c["machine"] >= 0))
    rows = rows[np.argsort(c["machine"][rows], kind="stable")]  # by machine, then time
    machine, after, before = c["machine"][rows], c["lockdown"][rows], c["lockdown_before"][rows]
    refused = np.isin(c["reason"][rows], [REASON_CODE[r] for r in _TOO_OLD]) \
        & (c["outcome"][rows] == Outcome.REFUSED)
    state = np.where(locked_down(after), _LOCKED, np.where(
        locked_down(before), _LIFTED, np.where(refused, _REFUSED, -1)))
    first = np.concatenate([[True], machine[1:] != machine[:-1]]) if len(rows) else \
        np.zeros(0, dtype=bool)
    initial = np.where(locked_down(before), _LOCKED, _NOT_LOCKED)
    state[first & (state < 0)] = initial[first & (state < 0)]
    state = state[np.maximum.accumulate(np.where(state >= 0, np.arange(len(state)), 0))]
    previous = np.where(first, initial, np.concatenate([[0], state[:-1]])[:len(state)])
    moved = state != previous
    deltas = np.zeros((int(moved.sum()), 4), dtype=np.int64)
    index = np.arange(len(deltas))
    np.add.at(deltas, (index, previous[moved]), -1)
    np.add.at(deltas, (index, state[moved]), 1)
    return c["time"][rows][moved].astype(np.float64), deltas


# --- shared download paths (R2) ----------------------------------------------------------


def shared_paths(scenario: Scenario) -> list[str]:
    """Download paths that serve a limited number of downloads at a time (proxies)."""
    return [p.name for p in scenario.params.paths if p.capacity > 0]


def proxy_downloads(view: RunView, path: str) -> pd.DataFrame:
    """One row per download through ``path``: ``asked`` (queued), ``granted`` (started),
    ``done`` (downloaded), ``wait`` (seconds queued), ``operation``. Times are seconds,
    reconstructed from each record's completion time, bytes and the path's parameters."""
    spec = next(p for p in view.scenario.params.paths if p.name == path)
    r = view.records
    rows = r[(r["path"] == path) & (r["bytes"] > 0) &
             r["outcome"].isin(("succeeded", "failed", "aborted"))]
    seconds = spec.latency + rows["bytes"].to_numpy(np.float64) / spec.bandwidth
    install = np.where(rows["outcome"] == "aborted", 0.0, view.scenario.params.install)
    done = rows["time"].to_numpy(np.float64) - install
    wait = rows["wait"].to_numpy(np.float64)
    granted = done - seconds
    return pd.DataFrame({"asked": granted - wait, "granted": granted, "done": done,
                         "wait": wait, "operation": rows["operation"].astype(str).to_numpy()})


def queue_lengths(downloads: pd.DataFrame) -> pd.DataFrame:
    """The exact step functions ``waiting`` and ``downloading`` (one row per change)."""
    queued = np.asarray(downloads["wait"].to_numpy() > 0, dtype=np.float64)
    ends = [downloads["granted"], downloads["done"]]  # first: a slot freed at an instant
    starts = [downloads["asked"], downloads["granted"]]  # is taken at that instant
    times = np.concatenate([*ends, *starts]).astype(np.float64)
    none = np.zeros(len(downloads))
    waiting = np.concatenate([-queued, none, queued, none])
    busy = np.concatenate([none, none - 1, none, none + 1])
    order = np.argsort(times, kind="stable")
    return pd.DataFrame({"time": times[order],
                         "waiting": np.cumsum(waiting[order]).round().astype(np.int64),
                         "downloading": np.cumsum(busy[order]).round().astype(np.int64)})


__all__ = ["COVERAGE", "PROVISIONING", "counts_per_bucket", "lockdown_coverage",
           "provisioning_states", "proxy_downloads", "queue_lengths", "shared_paths",
           "step_counts"]
