"""Result folders: what a run writes, and :func:`load` to read it back (design: Outputs).

:mod:`~sim.results.folder` writes folders atomically; :mod:`~sim.results.records` and
:mod:`~sim.results.timeseries` turn records into readable pandas frames;
:mod:`~sim.results.activity` writes a run's Azure activity log and
:mod:`~sim.results.inventory_export` the final fleet as Azure's inventory export (from a
:class:`~sim.engine.snapshot.Snapshot`); :mod:`~sim.results.result` holds :class:`Result` and
:func:`load`. Running scenarios is :mod:`sim.runs`.
"""

from sim.results.folder import ResultError
from sim.results.result import Result, load, save

__all__ = ["Result", "ResultError", "load", "save"]
