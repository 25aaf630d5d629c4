"""arcsim: a discrete-event simulator of extension security on Azure Arc-enabled server fleets.

What users type, as Mesa's ``__init__`` re-exports it: ``sim.plan(fleet, lockdown)`` (what a
lockdown does, exactly, before simulating), ``sim.run(scenario, seed=...)``,
``sim.sweep(scenario, grid=...)``, ``sim.load(path)``, ``sim.compare(run_a, run_b, ...)``,
``sim.Result`` and ``sim.Scenario`` (see :mod:`sim.api`). They are imported on first use, so
``import sim`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from sim.api import Result, Scenario, compare, load, plan, run, sweep

_FACADE = frozenset({"Result", "Scenario", "compare", "load", "plan", "run", "sweep"})

__all__ = ["Result", "Scenario", "__version__", "compare", "load", "plan", "run", "sweep"]


def __getattr__(name: str) -> Any:
    if name in _FACADE:
        from sim import api

        return getattr(api, name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
