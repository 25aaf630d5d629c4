"""arcsim: a discrete-event simulator of extension security on Azure Arc-enabled server fleets.

``sim.run(scenario, seed=...)``, ``sim.sweep(scenario, grid=...)``, ``sim.load(path)`` (see
:mod:`sim.api`) and ``sim.compare(run_a, run_b, ...)`` (see :mod:`sim.report.compare`) are
imported on first use, so ``import sim`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from sim.api import load, run, sweep
    from sim.report.compare import compare

__all__ = ["__version__", "compare", "load", "run", "sweep"]


def __getattr__(name: str) -> Any:
    if name in ("run", "load", "sweep"):
        from sim import api

        return getattr(api, name)
    if name == "compare":
        from sim.report.compare import compare

        return compare
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
