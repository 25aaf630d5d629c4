"""``sim.plan``: what a candidate lockdown does to a fleet, exactly, before any simulation.

Like ``terraform plan`` or Azure Policy's what-if, for the agent's local controls::

    import sim
    p = sim.plan("scenarios/default.yaml", lockdown="lockdown.sh")
    p.summary        # machines by extension, action (running, install, update, upgrade,
                     # auto_upgrade, reinstall, delete), outcome, reason and rule
    p.unreachable    # refused runbook lines by group and agent version
    p.paths          # open override paths left, and who could use them (R7, R17, R18, R27)
    p.verdicts       # one row per machine and installed or requested extension

Every verdict comes from the rules layer (:mod:`sim.rules.runbook`, :mod:`sim.rules.impact`,
:mod:`sim.rules.exposure`), the same rules the simulation's engine applies, and a test checks
that the engine does what the plan says. ``sim.plan`` is this package and can be called as
the function :func:`~sim.plan.planner.plan`.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

from sim.plan.fleet import PlanError
from sim.plan.planner import plan
from sim.plan.result import Plan, RunbookUse


class _CallablePackage(ModuleType):
    """``sim.plan(...)`` calls :func:`plan`: the package and the function share one name."""

    def __call__(self, *args: Any, **kwargs: Any) -> Plan:
        return plan(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage

__all__ = ["Plan", "PlanError", "RunbookUse", "plan"]
