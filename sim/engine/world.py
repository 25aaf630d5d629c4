"""The world: a fleet, Azure's view of it and the actors that act on it, on one clock (design:
Scale, Determinism).

A :class:`World` is built in two phases. Made, it holds its clock, record log, parameters,
name tables and Azure's gate (:mod:`sim.engine.gate`), and actors are added (each registers
its names: extensions, actors). When its run
starts (the first :meth:`World.run`), the extension table is closed, the state arrays are
filled (:mod:`sim.engine.initial`), outages and the actors' schedules are set up, and the clock
runs. There is no SimPy process per machine and no polling that finds nothing to do: a machine's
next check is scheduled only when its desired and actual state differ
(:func:`sim.engine.manager.wake`).

Most of :class:`World`'s methods are the functions of the modules below it (see
:mod:`sim.engine`), which take the world's :class:`~sim.engine.state.FleetState` first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sim.engine import checks, connectivity, initial, local, manager
from sim.engine.clock import Clock
from sim.engine.codes import REASON_CODE, Prov
from sim.engine.fleet import FleetSpec
from sim.engine.gate import PolicyBook
from sim.engine.params import EngineParams, ParamError
from sim.engine.records import RecordLog, Records
from sim.engine.rng import stream_key
from sim.engine.state import CloudGate, FleetState
from sim.engine.tables import Tables
from sim.rules.catalogue import BUILTIN, Catalogue
from sim.rules.commands import Command, CommandError
from sim.rules.config import AgentConfig
from sim.rules.decision import Controls
from sim.rules.identity import ExtensionId

STREAMS = ("phase", "push", "jitter", "version", "outage")
"""Purposes of the world's keyed random streams (:attr:`FleetState.keys`)."""


class World(FleetState):
    """A fleet, Azure's view of it, and the actors that act on it, on one clock.

    Its state is declared (and documented) in :class:`~sim.engine.state.FleetState`.
    """

    def __init__(self, fleet: FleetSpec, params: EngineParams | None = None, seed: int = 0, *,
                 catalogue: Catalogue = BUILTIN, extensions: Iterable[str] = (),
                 start_offset: int = 0, gate: CloudGate | None = None) -> None:
        """Make the world. ``extensions`` adds names to the run's extension table (actors
        register theirs before :meth:`run` through :meth:`extension`). ``start_offset`` is the
        id of this world's first machine when it is one shard of a larger fleet. ``gate`` is
        what Azure checks of a request before the machine sees it (roles, Azure Policy); by
        default a new, empty :class:`~sim.engine.gate.PolicyBook` (the policy actors change
        it). Give every world its own."""
        self.params = params or EngineParams()
        self.requests_wait = self.params.requests_wait_for_manager
        self.env = Clock()
        self.log = RecordLog()
        self.fleet = fleet
        self.offset = start_offset
        self.tables = Tables([g.name for g in fleet.groups], [p.name for p in self.params.paths],
                             self.params.readings)
        self.keys = {purpose: stream_key(seed, purpose) for purpose in STREAMS}
        self.gate = gate if gate is not None else PolicyBook()
        self.result_hooks = {}
        self.seed = seed
        self.catalogue = catalogue
        self.actors: list[Any] = []
        """The actors, in the order they were added (:meth:`add`)."""
        self._started = False
        for group in fleet.groups:
            for installed in group.extensions:
                self.extension(installed.name, installed.version)
        for name in extensions:
            self.extension(name)

    # --- names (sim.engine.tables) --------------------------------------------------------

    def extension(self, name: str, version: str | None = None) -> int:
        """The index of extension ``name`` in this run (registering it, and ``version``).

        Raises:
            ParamError: a new extension after the run started.
        """
        return self.tables.extension(name, version)

    def version_code(self, x: int, version: str | None) -> int:
        """The code of ``version`` of extension ``x``; None means its newest known version."""
        return self.tables.version_code(x, version)

    def actor(self, name: str) -> int:
        """The index of actor ``name`` in the record table (registering it)."""
        return self.tables.actor(name)

    def intern(self, config: AgentConfig) -> int:
        """The id of ``config`` in the table of distinct configurations."""
        return self.tables.intern(config)

    def config_after(self, cid: int, command: Command) -> int | CommandError:
        """The config id after ``command`` (cached per distinct config), or the refusal."""
        return self.tables.config_after(cid, command)

    def reason_code(self, name: str) -> int:
        """The code of reason ``name`` in the record table."""
        return REASON_CODE[name]

    @property
    def group_names(self) -> list[str]:
        """Group names by index (:attr:`Tables.group_names <sim.engine.tables.Tables>`)."""
        return self.tables.group_names

    @property
    def path_names(self) -> list[str]:
        """Download path names by index."""
        return self.tables.path_names

    @property
    def actor_names(self) -> list[str]:
        """Actor names by index."""
        return self.tables.actor_names

    @property
    def ext_ids(self) -> list[ExtensionId]:
        """Extensions by index."""
        return self.tables.ext_ids

    @property
    def ext_index(self) -> dict[str, int]:
        """Extension index by lower-case ``publisher/type``."""
        return self.tables.ext_index

    @property
    def ext_versions(self) -> list[list[str]]:
        """Known versions of each extension, by version code."""
        return self.tables.ext_versions

    @property
    def configs(self) -> list[AgentConfig]:
        """Distinct agent configurations by id."""
        return self.tables.configs

    @property
    def controls(self) -> list[Controls]:
        """Each configuration compiled for decisions, by id."""
        return self.tables.controls

    # --- actors and the run ---------------------------------------------------------------

    def add(self, actor: Any) -> Any:
        """Add an actor (an object with ``attach(world)``, called now, and ``start(world)``,
        called when the run starts). Returns the actor.

        Raises:
            ParamError: the run has started.
        """
        if self._started:
            raise ParamError("actors must be added before the run starts")
        actor.attach(self)
        self.actors.append(actor)
        return actor

    @property
    def started(self) -> bool:
        """True once the run has started (the state arrays exist from then on)."""
        return self._started

    def run(self, until: float) -> Records:
        """Build the state (first call only), start the actors and run to ``until`` seconds:
        events before ``until``; those at exactly ``until`` wait for the next call (their key
        sorts after the stop event's), so stepping a run changes nothing."""
        if not self._started:
            self._started = True
            self.tables.close()
            initial.build(self, self.catalogue, self.seed)
            connectivity.schedule_outages(self)
            for actor in self.actors:
                actor.start(self)
        if until > self.env.now:
            self.env.run(until=until)
        return self.records

    def events_processed(self) -> int:
        """SimPy events processed so far, exactly, not counting :meth:`run`'s own stop events
        (:meth:`Clock.events_processed <sim.engine.clock.Clock.events_processed>`)."""
        return self.env.events_processed()

    @property
    def fleet_events(self) -> int:
        """Fleet-wide events processed so far (:meth:`at_fleet`): every shard of a sharded run
        processes the same ones, which the merge counts once."""
        return self.env.fleet_events

    @property
    def records(self) -> Records:
        """The records so far as NumPy columns."""
        return self.log.freeze()

    # --- scheduling (sim.engine.clock, sim.engine.checks) ---------------------------------

    def at(self, delay: float, priority: float, callback: Callable[[Any], None]) -> None:
        """Call ``callback(event)`` after ``delay`` seconds with equal-time key ``priority``
        (:meth:`Clock.at <sim.engine.clock.Clock.at>`)."""
        self.env.at(delay, priority, callback)

    def at_fleet(self, delay: float, callback: Callable[[Any], None]) -> None:
        """Call ``callback(event)`` after ``delay`` seconds as a fleet-wide event
        (:meth:`Clock.at_fleet <sim.engine.clock.Clock.at_fleet>`)."""
        self.env.at_fleet(delay, callback)

    def at_instant(self, t: float, priority: float, callback: Callable[[Any], None]) -> None:
        """Call ``callback(event)`` at simulated time ``t``, not before now
        (:meth:`Clock.at_instant <sim.engine.clock.Clock.at_instant>`)."""
        self.env.at_instant(t, priority, callback)

    check_time = checks.check_time
    next_check = checks.next_check
    wake = manager.wake

    # --- what happens to machines (sim.engine.manager, local, connectivity) ---------------

    request = manager.request
    run_command = local.run_command
    record_refusal = local.record_refusal
    set_service = local.set_service
    local_state = local.local_state
    remove_locally = local.remove_locally
    set_connected = connectivity.set_connected
    expire = connectivity.expire

    # --- queries for tests, metrics and actors --------------------------------------------

    def machine_ids(self, group: str | None = None) -> Sequence[int]:
        """Local machine indices, of one group or of the whole fleet.

        Raises:
            ParamError: an unknown group (the message lists the known ones).
        """
        if group is None:
            return range(self.fleet.size)
        first = 0
        for g in self.fleet.groups:
            if g.name == group:
                return range(first, first + g.count)
            first += g.count
        known = ", ".join(self.group_names)
        raise ParamError(f'unknown group "{group}"; known groups: {known}')

    def config(self, m: int) -> AgentConfig:
        """Machine ``m``'s agent configuration now."""
        return self.configs[self.m_cfg[m]]

    def installed_version(self, m: int, name: str) -> str | None:
        """The version of ``name`` installed on machine ``m``, or None."""
        x = self.ext_index.get(ExtensionId.parse(name).key)
        if x is None or not self._started:
            return None
        code = self.s_inst[m * self.n_ext + x]
        return self.ext_versions[x][code] if code >= 0 else None

    def provisioning_state(self, m: int, name: str) -> str:
        """Azure's ``provisioningState`` of ``name`` on machine ``m`` ("" if no resource)."""
        x = self.ext_index[ExtensionId.parse(name).key]
        prov = Prov(self.s_prov[m * self.n_ext + x])
        return "" if prov is Prov.NONE else prov.name.capitalize()

    def is_running(self, m: int, name: str) -> bool:
        """True when ``name`` is installed and running on ``m`` (R24)."""
        x = self.ext_index[ExtensionId.parse(name).key]
        if self.s_inst[m * self.n_ext + x] < 0:
            return False
        return self.x_service_hosted[x] or self.controls[self.m_cfg[m]].manager_enabled
