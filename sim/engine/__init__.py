"""The SimPy world: machines, extension manager, control plane, actors, records.

A :class:`World` is what users build and run. The engine's rooms, one module each; imports go
down this list only (an import-linter contract in ``pyproject.toml``):

* :mod:`~sim.engine.snapshot`: the read-only view of a world that runs and exports read;
* :mod:`~sim.engine.metrics`: summary metrics as queries over records, the one place that
  says which records each counts (blocked, reinstalls, overrides, exposure);
  :mod:`~sim.engine.policy`, :mod:`~sim.engine.upgrades`: actors of Azure Policy (R6b, R16,
  R26, R27), automatic upgrades, agent updates, monitor-list updates (R19, R25, R30);
* :mod:`~sim.engine.actors`: timeline actors, their targets and timing;
  :mod:`~sim.engine.endstate`: exposure at the end (script-capable extensions left, open
  override paths and who could use them, R7, R17, R27);
* :mod:`~sim.engine.world`: the world, its build and run phases and its public methods;
* :mod:`~sim.engine.manager`: the control plane's intake and the extension manager (R2-R6c,
  R10, R13, R14, R23, R24); :mod:`~sim.engine.gate`: Azure's gate on requests, Azure Policy
  and roles (R16, R26, R27), given when a world is made;
* :mod:`~sim.engine.connectivity` (R28), :mod:`~sim.engine.initial` (the state before the
  first event);
* :mod:`~sim.engine.local`: local commands (R6, R8, R17, R23, R24);
* :mod:`~sim.engine.checks`: when a machine checks with Azure (R6a);
  :mod:`~sim.engine.exposure`: machines with a script-capable extension installed and
  runnable, kept as the run goes (R7, R24);
* :mod:`~sim.engine.state`: :class:`~sim.engine.state.FleetState`, every state array declared
  once with its type, unit and sentinel;
* :mod:`~sim.engine.tables`: the names behind the codes, interned configurations;
* :mod:`~sim.engine.clock` (the only code touching SimPy's internals; the equal-time order),
  :mod:`~sim.engine.codes`, :mod:`~sim.engine.fleet`, :mod:`~sim.engine.params`,
  :mod:`~sim.engine.records`, :mod:`~sim.engine.rng`.
"""

from sim.engine.actors import Actor, CloudRequest, LocalCommands, LocalRemoval, Target, Timing
from sim.engine.codes import Op, Outcome, Prov
from sim.engine.fleet import FleetSpec, GroupSpec, InstalledExtension, Outage
from sim.engine.params import DAY, EngineParams, PathSpec
from sim.engine.records import Records
from sim.engine.world import World

__all__ = [
    "DAY", "Actor", "CloudRequest", "EngineParams", "FleetSpec", "GroupSpec",
    "InstalledExtension", "LocalCommands", "LocalRemoval", "Op", "Outage", "Outcome", "PathSpec",
    "Prov", "Records", "Target", "Timing", "World",
]
