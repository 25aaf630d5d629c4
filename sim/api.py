"""The Python face of arcsim: what ``import sim`` gives (design: Interfaces, Python)::

    import sim
    result = sim.run("scenarios/ama-only-lockdown.yaml", seed=3, overrides=["duration=2d"])
    result.metric("blocked.install.not_on_allowlist")
    again = sim.load(result.path)
    table = sim.compare(result, again)
    swept = sim.sweep("default", grid=["params.check_period=5m,1h"], replications=3)
    planned = sim.plan("default", ["azcmagent config set extensions.enabled false"])

A thin façade: plans live in :mod:`sim.planning` (:func:`sim.planning.plan`), runs in
:mod:`sim.runs` (:func:`sim.runs.single.run`, :func:`sim.runs.sweep.sweep`), result folders
in :mod:`sim.results` (:class:`~sim.results.Result`, :func:`~sim.results.load`), comparisons in
:mod:`sim.report.compare` (imported on first use: it loads matplotlib), scenarios in
:mod:`sim.scenario` (:class:`~sim.scenario.schema.Scenario`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sim.planning import Plan, plan
from sim.results.result import Result, load
from sim.runs.single import run
from sim.runs.sweep import SweepResult, sweep
from sim.scenario.schema import Scenario

if TYPE_CHECKING:
    from sim.report.compare import compare


def __getattr__(name: str) -> Any:
    if name == "compare":
        from sim.report.compare import compare

        return compare
    raise AttributeError(f"module 'sim.api' has no attribute {name!r}")


__all__ = ["Plan", "Result", "Scenario", "SweepResult", "compare", "load", "plan", "run",
           "sweep"]
