"""What changes versions over time: automatic extension upgrades (R25), agent updates (R30) and
Microsoft's updates of the monitor-mode list (R19)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np
import numpy.typing as npt

from sim.engine import manager
from sim.engine.actors import Actor
from sim.engine.clock import Kind, machine_priority, schedule_each
from sim.engine.codes import REASON_CODE, RULE_CODE, Op, Outcome
from sim.engine.params import DAY
from sim.engine.rng import stream_key, uniform, uniforms
from sim.engine.world import World
from sim.rules.activity import AUTO_UPGRADE_CALLER
from sim.rules.identity import ExtensionId
from sim.rules.versions import AgentVersion, Feature, has

WEEK = 7 * DAY
_UPGRADE = Op.UPGRADE  # looked up once (an Enum class attribute lookup is slow)


@dataclass
class AutoUpgrade:
    """A publisher releases ``version`` of ``extension`` at ``at``; automatic extension upgrade
    rolls it out (R25) in ``batches`` across regions and groups over ``window`` (default 8
    weeks, 3 for a ``critical`` security fix). A blocked or failed upgrade keeps the last good
    version and is retried after ``retry_s`` (default 1 h), at most ``max_retries`` times
    (**[param]**, an assumption: the docs do not bound retries); a failed restore
    (``restore_failure_p``) leaves the extension ``Failed`` with no more retries.

    Only machines that have the extension when their batch starts, on an extension whose
    publisher supports automatic upgrade (catalogue; unknown extensions: yes), are upgraded.
    The actor is "Azure Regional Service Manager" (R29).
    """

    extension: str
    version: str
    at: float = 0.0
    critical: bool = False
    window: float | None = None
    batches: int = 8
    batch_spread: float = DAY
    retry_s: float = 3_600.0
    max_retries: int = 3
    restore_failure_p: float = 0.0
    name: str = AUTO_UPGRADE_CALLER
    attempts: dict[int, int] = field(default_factory=dict)

    def attach(self, world: World) -> None:
        """Register the actor and the new version; hook the retries."""
        self.actor_id = world.actor(self.name)
        self.x = world.extension(self.extension, self.version)
        world.result_hooks[(self.actor_id, self.x)] = partial(self._on_result, world)

    def start(self, world: World) -> None:
        """Schedule the batches (global events; each picks its machines when it starts)."""
        entry = world.catalogue.get(ExtensionId.parse(self.extension))
        if entry is not None and not entry.auto_upgrade:
            return
        self.target = world.version_code(self.x, self.version)
        window = self.window if self.window is not None else (3 if self.critical else 8) * WEEK
        for b in range(self.batches):
            delay = max(0.0, self.at + b * window / self.batches - world.env.now)
            world.at_fleet(delay, self._batch_starter(world, b))

    def _batch_starter(self, world: World, b: int) -> Callable[[object], None]:
        return lambda _e: self._batch(world, b)

    def _batch_of(self, world: World) -> npt.NDArray[np.int64]:
        """Each (region, group) pair's batch, drawn once per run from a keyed stream."""
        key = stream_key(world.seed, f"upgrade:{self.extension}:{self.version}")
        batch = [int(uniform(key, zlib_id(f"{g.region}/{g.name}")) * self.batches)
                 for g in world.fleet.groups]
        return np.array(batch, dtype=np.int64)

    def _batch(self, world: World, b: int) -> None:
        target = world.version_code(self.x, self.version)
        groups = np.nonzero(self._batch_of(world) == b)[0]
        n, e = world.n_machines, world.n_ext
        inst = np.frombuffer(world.s_inst, dtype=np.int16).reshape(n, e)[:, self.x]
        member = np.isin(np.frombuffer(world.m_group, dtype=np.int16), groups)
        ids = np.nonzero(member & (inst >= 0) & (inst != target))[0]
        key = stream_key(world.seed, f"upgrade-spread:{self.extension}:{self.version}")
        times = world.env.now + uniforms(key, ids + world.offset) * self.batch_spread
        schedule_each(world.env, times, ids, lambda m: self._request(world, m))

    def _request(self, world: World, m: int) -> None:
        inst = world.s_inst[m * world.n_ext + self.x]
        if inst >= 0 and inst != self.target:
            manager.request(world, m, self.x, _UPGRADE, self.actor_id, self.target)

    def _on_result(self, world: World, m: int, x: int, op: int, outcome: int, actor: int) -> None:
        if op != Op.UPGRADE:
            return
        s = m * world.n_ext + x
        if outcome == Outcome.FAILED and self.restore_failure_p > 0.0:
            key = stream_key(world.seed, f"restore:{self.extension}")
            if uniform(key, m + world.offset, self.attempts.get(s, 0)) < self.restore_failure_p:
                world.log.add(world.env.now, m + world.offset, world.m_group[m], x, op,
                              Outcome.FAILED, REASON_CODE["restore_failure"], RULE_CODE["R25"],
                              actor)
                self.attempts[s] = self.max_retries
                return
        tries = self.attempts.get(s, 0)
        if tries < self.max_retries:
            self.attempts[s] = tries + 1
            world.at(self.retry_s, machine_priority(m, Kind.EFFECT),
                     lambda _e: self._request(world, m))


def zlib_id(text: str) -> int:
    """A stable integer id of a name (for keyed draws per region or group)."""
    import zlib

    return zlib.crc32(text.encode())


@dataclass
class AgentUpdate(Actor):
    """Machines move to a newer agent ``version`` (R30): controls appear when it allows them.
    Local configuration is kept; machines already on that version or newer are left alone."""

    version: str = "1.58"

    def attach(self, world: World) -> None:
        super().attach(world)
        self.to = AgentVersion.parse(self.version)
        self._cache: dict[int, int] = {}

    def act(self, world: World, m: int) -> None:
        cid = world.m_cfg[m]
        if world.configs[cid].version >= self.to:
            return
        new = self._cache.get(cid)
        if new is None:
            new = self._cache[cid] = world.intern(world.configs[cid].with_version(self.to))
        world.m_cfg[m] = new
        if has(self.to, Feature.PUSH_NOTIFICATIONS) and not world.m_push[m]:
            key = world.keys["push"]
            world.m_push[m] = uniform(key, m + world.offset) < world.params.push_reachable
        world.log.add(world.env.now, m + world.offset, world.m_group[m], -1, Op.AGENT_UPDATE,
                      Outcome.APPLIED, REASON_CODE["agent_update"], RULE_CODE["R30"],
                      self.actor_id)


@dataclass
class MonitorListUpdate(Actor):
    """Microsoft updates the monitor-mode allowlist (R19): ``add`` and ``remove`` extensions on
    agents that have monitor mode (1.18+)."""

    add_extensions: Sequence[str] = ()
    remove_extensions: Sequence[str] = ()
    name: str = "Microsoft"

    def attach(self, world: World) -> None:
        super().attach(world)
        self.adding = tuple(ExtensionId.parse(n) for n in self.add_extensions)
        self.removing = {ExtensionId.parse(n) for n in self.remove_extensions}
        self._cache: dict[int, int] = {}

    def act(self, world: World, m: int) -> None:
        cid = world.m_cfg[m]
        config = world.configs[cid]
        if not has(config.version, Feature.MONITOR_MODE):
            return
        new = self._cache.get(cid)
        if new is None:
            current = config.monitor_allowlist
            listed = tuple(e for e in current if e not in self.removing)
            listed += tuple(e for e in self.adding if e not in listed)
            new = self._cache[cid] = world.intern(replace(config, monitor_list=listed))
        world.m_cfg[m] = new
        world.log.add(world.env.now, m + world.offset, world.m_group[m], -1, Op.CONFIG,
                      Outcome.APPLIED, REASON_CODE["monitor_list_update"], RULE_CODE["R19"],
                      self.actor_id)


__all__ = ["AgentUpdate", "AutoUpgrade", "MonitorListUpdate"]
