"""Actors: schedulers of timed actions over targets (a group, a share of it, machines).

An actor resolves its targets and per-machine times once (vectorised, keyed randomness) and
then runs them as one *chain* (:func:`sim.engine.clock.schedule_each`): a single pending SimPy
event at a time, so a rollout to a million machines keeps the event heap small. Each step has
the stable equal-time key of its machine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from sim.engine.clock import Kind, machine_priority, schedule_each
from sim.engine.codes import RULE_CODE, Op, Outcome
from sim.engine.connectivity import reonboard
from sim.engine.params import DAY, ParamError
from sim.engine.rng import stream_key, uniforms
from sim.engine.world import World
from sim.rules.commands import Command, CommandError, parse
from sim.rules.roles import check_role


@dataclass(frozen=True)
class Target:
    """Which machines an action is for: a group (or the fleet), a share of it, or machines."""

    group: str | None = None
    share: float = 1.0
    machines: tuple[int, ...] = ()

    def resolve(self, world: World, key: int) -> npt.NDArray[np.int64]:
        """Local machine indices; a share is drawn per machine from stream ``key``."""
        if self.machines:
            ids = np.asarray(self.machines, dtype=np.int64) - world.offset
            ids = ids[(ids >= 0) & (ids < world.fleet.size)]
        else:
            ids = np.asarray(world.machine_ids(self.group), dtype=np.int64)
        if self.share < 1.0:
            ids = ids[uniforms(key, ids + world.offset) < self.share]
        return ids


@dataclass(frozen=True)
class Timing:
    """When: once at ``at`` seconds, spread uniformly over ``window`` seconds; at a daily
    ``rate``; or at each of ``occurrences``.

    With ``rate`` (and no occurrences) each target machine acts on each day from ``at`` with
    probability ``rate``, at a uniform time within that day (within ``window`` from the day's
    start when ``window`` > 0), until ``until`` (default: 30 days after ``at``); the target is
    drawn once. With ``occurrences`` (start instants, seconds) each occurrence draws its own
    machines (target share, coverage, and ``rate`` as the chance a machine takes part), each
    acting up to ``window`` after the start.
    """

    at: float = 0.0
    window: float = 0.0
    rate: float = 0.0
    until: float | None = None
    occurrences: tuple[float, ...] = ()

    def plan(self, world: World, key: int, target: Target,
             coverage: float) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
        """(times, local machines) of the action in ``world``: ``target``'s machines, the
        ``coverage`` share of them reached, and their times (stream ``key``)."""
        if not self.occurrences:
            return self.times(key, _reached(world, key, target, coverage), world.offset)
        times, machines = [], []
        for k, start in enumerate(self.occurrences):
            drawn = stream_key(key, f"occurrence:{k}")
            ids = _reached(world, drawn, target, coverage)
            if self.rate > 0.0:
                ids = ids[uniforms(drawn, ids + world.offset, 2) < self.rate]
            spread = uniforms(drawn, ids + world.offset, 1) * self.window \
                if self.window > 0 else 0.0
            times.append(np.full(ids.shape, start) + spread)
            machines.append(ids)
        return _joined(times, machines)

    def times(self, key: int, ids: npt.NDArray[np.int64],
              offset: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
        """(times, machines) of the action: one per machine, or several with a rate."""
        gid = ids + offset
        if self.rate <= 0.0:
            spread = uniforms(key, gid, 1) * self.window if self.window > 0 else 0.0
            return np.full(ids.shape, self.at) + spread, ids
        end = self.until if self.until is not None else self.at + 30 * DAY
        times, machines = [], []
        for day in range(int(np.ceil((end - self.at) / DAY))):
            hit = uniforms(key, gid, 2 + 2 * day) < self.rate
            u = uniforms(key, gid[hit], 3 + 2 * day)
            when = (self.at + day * DAY + u * self.window if self.window > 0
                    else self.at + (day + u) * DAY)
            keep = when < end
            times.append(when[keep])
            machines.append(ids[hit][keep])
        return _joined(times, machines)


def _reached(world: World, key: int, target: Target,
             coverage: float) -> npt.NDArray[np.int64]:
    """``target``'s machines in ``world`` and, below full ``coverage``, the share reached."""
    ids = target.resolve(world, key)
    if coverage < 1.0:
        ids = ids[uniforms(key, ids + world.offset, 7) < coverage]
    return ids


def _joined(times: list[npt.NDArray[np.float64]], machines: list[npt.NDArray[np.int64]]
            ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    if not times:
        return np.empty(0), np.empty(0, dtype=np.int64)
    return np.concatenate(times), np.concatenate(machines)


@dataclass
class Actor:
    """Base: a named actor acting on ``target`` at ``timing``; subclasses define :meth:`act`."""

    name: str
    target: Target = field(default_factory=Target)
    timing: Timing = field(default_factory=Timing)
    coverage: float = 1.0
    """Share of target machines the action actually reaches (a rollout misses some)."""

    def attach(self, world: World) -> None:
        """Register names (actor, extensions) before the run starts."""
        self.actor_id = world.actor(self.name)

    def start(self, world: World) -> None:
        """Resolve targets and times and schedule the chain."""
        key = stream_key(world.seed, f"actor:{self.name}:{type(self).__name__}")
        times, machines = self.timing.plan(world, key, self.target, self.coverage)
        rank = next(i for i, actor in enumerate(world.actors) if actor is self)
        schedule_each(world.env, times, machines, lambda m: self.act(world, m), rank=rank)

    def act(self, world: World, m: int) -> None:
        """Do the action on machine ``m`` now."""
        raise NotImplementedError


_REQUEST_OPS = {"install": Op.INSTALL, "update": Op.UPDATE, "upgrade": Op.UPGRADE,
                "delete": Op.DELETE}


@dataclass
class CloudRequest(Actor):
    """Someone in Azure asks for an extension operation (R5): install, update, upgrade, delete.

    ``role`` is checked in Azure (R27). ``settings`` are public settings, kept in Azure;
    ``protected_settings`` reach the machine with this request only (R4). For a script extension
    (Custom Script, Run Command) either holds the script, whose ``azcmagent`` lines run on the
    machine if the extension is allowed to run (R7). Such config changes count as overrides of
    the lockdown by this actor (R7, R17) when they lower a protection, unless ``override`` is
    False (a trusted sender); ``override=True`` also marks any other config change it makes.
    """

    operation: str = "install"
    extension: str = ""
    version: str | None = None
    settings: str | None = None
    protected_settings: str | None = None
    role: str = "owner"
    override: bool | None = None

    def attach(self, world: World) -> None:
        super().attach(world)
        world.tables.actor_roles[self.actor_id] = check_role(self.role, self.name)
        if self.override:
            world.tables.actor_overrides.add(self.actor_id)
        elif self.override is False:
            world.tables.trusted_scripts.add(self.actor_id)
        if self.operation not in _REQUEST_OPS:
            raise ParamError(f'{self.name}: unknown operation "{self.operation}"; expected one '
                             f"of {', '.join(_REQUEST_OPS)}")
        self.x = world.extension(self.extension, self.version)
        self.op = _REQUEST_OPS[self.operation]

    def act(self, world: World, m: int) -> None:
        world.request(m, self.x, self.op, self.actor_id, self.version, self.settings,
                      self.protected_settings)


@dataclass
class LocalCommands(Actor):
    """A local admin runs ``azcmagent`` command lines on each target machine, in order (R8).

    With ``override`` the changes count as overrides of the lockdown in force (R17), e.g. a
    local admin switching monitor mode back to full.
    """

    commands: Sequence[str] = ()
    override: bool = False

    def attach(self, world: World) -> None:
        super().attach(world)
        if self.override:
            world.tables.actor_overrides.add(self.actor_id)
        self.parsed: list[Command | CommandError] = []
        for line in self.commands:
            try:
                self.parsed.append(parse(line))
            except CommandError as exc:
                self.parsed.append(exc)

    def act(self, world: World, m: int) -> None:
        for command in self.parsed:
            if isinstance(command, CommandError):
                world.record_refusal(m, command, self.actor_id)
            else:
                world.run_command(m, command, self.actor_id)


@dataclass
class LocalRemoval(Actor):
    """Local clean-up (R6): stop the extension service, ``azcmagent extension remove``, and
    start the service again after ``params.service_stop_s``."""

    extension: str | None = None
    """The extension to remove; None removes all (``--all``)."""

    def attach(self, world: World) -> None:
        super().attach(world)
        what = f'--name "{self.extension}"' if self.extension else "--all"
        self.stop = parse("systemctl stop extd")
        self.remove = parse(f"azcmagent extension remove {what}")

    def act(self, world: World, m: int) -> None:
        if not world.m_service[m]:
            return
        world.run_command(m, self.stop, self.actor_id)
        world.run_command(m, self.remove, self.actor_id)
        world.at(world.params.service_stop_s, machine_priority(m, Kind.SERVICE),
                 lambda _e: world.set_service(m, True, self.actor_id))


@dataclass
class GuestConfigTamper(LocalCommands):
    """A custom guest configuration policy that runs ``azcmagent`` commands (R17): effective only
    where guest configuration is enabled and the agent is not in monitor mode (R8, R19)."""

    override: bool = True

    def act(self, world: World, m: int) -> None:
        if world.config(m).effective_guest_configuration:
            super().act(world, m)
        else:
            code = world.tables.lockdown[world.m_cfg[m]]
            world.log.add(world.env.now, m + world.offset, world.m_group[m], -1, Op.CONFIG,
                          Outcome.BLOCKED, world.reason_code("guest_configuration_disabled"),
                          RULE_CODE["R17"], self.actor_id, lockdown=code, lockdown_before=code)


@dataclass
class Reonboard(Actor):
    """A server administrator onboards each target machine that is Expired again (R28):
    ``azcmagent disconnect``, then ``azcmagent connect`` with an onboarding credential. Machines
    that are not Expired are left alone. See :func:`sim.engine.connectivity.reonboard` for what
    the new resource holds; ``keep_config`` keeps the agent's local configuration."""

    keep_config: bool = True

    def act(self, world: World, m: int) -> None:
        reonboard(world, m, self.actor_id, self.keep_config)
