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
that the engine does what the plan says. ``sim.plan`` is :func:`~sim.planning.planner.plan`.
"""

from __future__ import annotations

from sim.planning.fleet import PlanError
from sim.planning.planner import plan
from sim.planning.result import Plan, RunbookUse

__all__ = ["Plan", "PlanError", "RunbookUse", "plan"]
