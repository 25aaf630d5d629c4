"""The SimPy world: machines, extension manager, control plane, actors, records."""

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
