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
from sim.engine.codes import REASON_CODE, RULE_CODE, Op, Outcome, Prov
from sim.engine.initial import push_share
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
    rolls it out (R25) over ``window`` (default 8 weeks, 3 for a ``critical`` security fix),
    cut into ``batches`` equal slots.

    Each machine gets its own time. The rollout moves region by region (Azure's phased,
    availability-first rollout): each region's phase starts at a batch drawn per region, and
    none of its machines is asked before that batch; its machines (their subscription
    batches, drawn per machine) spread evenly over the batches from there to the end of the
    window. Within its batch slot a machine's time is uniform over ``batch_spread`` (default
    the whole slot). Only machines that have the extension at their time, with
    ``enableAutomaticUpgrade`` on, are asked; and only if the extension's publisher supports
    automatic upgrade (the catalogue, R25: an extension it does not know never is).

    A refused (blocked, R10) or failed upgrade is retried ``retry_s`` later (default the next
    hour) until it succeeds, a newer release of the extension arrives or the window ends;
    ``max_retries`` bounds the retries (**[param]**, default None: no bound). An upgrade that
    failed while being installed first restores the last good version: the extension ends
    ``Succeeded`` on it, unless the restore fails (``restore_failure_p``), which leaves it
    ``Failed`` with no more retries. An upgrade aborted by the catalog check (R3) installed
    nothing and restores nothing: it stays ``Failed`` until the retry; so does one whose
    extension was removed locally meanwhile (no version left to restore, no retry).
    The actor is "Azure Regional Service Manager" (R29).
    """

    extension: str
    version: str
    at: float = 0.0
    critical: bool = False
    window: float | None = None
    batches: int = 8
    batch_spread: float | None = None
    retry_s: float = 3_600.0
    max_retries: int | None = None
    restore_failure_p: float = 0.0
    name: str = AUTO_UPGRADE_CALLER
    attempts: dict[int, int] = field(default_factory=dict)
    _batches: npt.NDArray[np.int64] | None = field(default=None, repr=False)

    def attach(self, world: World) -> None:
        """Register the actor and the new version; hook the retries."""
        self.actor_id = world.actor(self.name)
        self.x = world.extension(self.extension, self.version)
        world.result_hooks[(self.actor_id, self.x)] = partial(self._on_result, world)
        world.tables.upgrade_actors.add(self.actor_id)

    @property
    def window_s(self) -> float:
        """The rollout window in seconds."""
        return self.window if self.window is not None else (3 if self.critical else 8) * WEEK

    def start(self, world: World) -> None:
        """Schedule the release and the batches (fleet events; each picks its machines when it
        starts), unless the publisher does not support automatic upgrade."""
        entry = world.catalogue.get(ExtensionId.parse(self.extension))
        if entry is None or not entry.auto_upgrade:
            return
        self.target = world.version_code(self.x, self.version)
        self.end = self.at + self.window_s
        self.attempts, self._batches = {}, None
        slot = self.window_s / self.batches
        world.at_fleet(max(0.0, self.at - world.env.now), self._release_starter(world))
        for b in range(self.batches):
            delay = max(0.0, self.at + b * slot - world.env.now)
            world.at_fleet(delay, self._batch_starter(world, b))

    def _release_starter(self, world: World) -> Callable[[object], None]:
        def release(_e: object) -> None:
            world.latest_release[self.x] = self
        return release

    def _batch_starter(self, world: World, b: int) -> Callable[[object], None]:
        return lambda _e: self._batch(world, b)

    def _batch_of(self, world: World) -> npt.NDArray[np.int64]:
        """Each machine's batch, in ``[0, batches)``: its region's first batch ``r`` (a keyed
        draw per region name) plus its subscription batch, uniform over the ``batches - r``
        batches left (a keyed draw per machine, so a machine's batch does not depend on how
        the fleet is split). Computed once per run."""
        if self._batches is not None:
            return self._batches
        key = stream_key(world.seed, f"upgrade:{self.extension}:{self.version}")
        regions = np.array([int(uniform(key, zlib_id(g.region)) * self.batches)
                            for g in world.fleet.groups], dtype=np.int64)
        ids = np.arange(world.n_machines, dtype=np.uint64) + np.uint64(world.offset)
        first = regions[np.frombuffer(world.m_group, dtype=np.int16)]
        left = self.batches - first
        own = np.minimum((uniforms(key, ids, 1) * left).astype(np.int64), left - 1)
        self._batches = first + own
        return self._batches

    def _batch(self, world: World, b: int) -> None:
        n, e = world.n_machines, world.n_ext
        inst = np.frombuffer(world.s_inst, dtype=np.int16).reshape(n, e)[:, self.x]
        ids = np.nonzero((self._batch_of(world) == b) & (inst >= 0) & (inst != self.target))[0]
        spread = self.window_s / self.batches if self.batch_spread is None else self.batch_spread
        key = stream_key(world.seed, f"upgrade-spread:{self.extension}:{self.version}")
        times = world.env.now + uniforms(key, ids + world.offset) * spread
        schedule_each(world.env, times, ids, lambda m: self._request(world, m))

    def _request(self, world: World, m: int) -> None:
        s = m * world.n_ext + self.x
        inst = world.s_inst[s]
        if (inst >= 0 and inst != self.target and s not in world.s_no_auto
                and world.latest_release.get(self.x) is self):
            manager.request(world, m, self.x, _UPGRADE, self.actor_id, self.target)

    def _on_result(self, world: World, m: int, x: int, op: int, outcome: int, actor: int) -> None:
        if op != Op.UPGRADE:
            return
        s = m * world.n_ext + x
        tries = self.attempts.get(s, 0)
        if (outcome == Outcome.FAILED and world.s_inst[s] >= 0
                and not self._restore(world, m, s, tries)):
            return
        if self.max_retries is not None and tries >= self.max_retries:
            return
        if world.env.now + self.retry_s >= self.end:
            return
        self.attempts[s] = tries + 1
        world.at(self.retry_s, machine_priority(m, Kind.EFFECT),
                 lambda _e: self._request(world, m))

    def _restore(self, world: World, m: int, s: int, tries: int) -> bool:
        """After an upgrade that failed while being applied, with a version still installed,
        the agent reinstalls that last good version: True (the extension is Succeeded on it
        again) unless the restore fails (it stays Failed). Not called after a catalog
        mismatch (R3: nothing was opened or installed) nor when the extension was removed
        locally meanwhile (nothing to restore): those stay ``Failed`` as reported."""
        if self.restore_failure_p > 0.0:
            key = stream_key(world.seed, f"restore:{self.extension}")
            if uniform(key, m + world.offset, tries) < self.restore_failure_p:
                self._record(world, m, Outcome.FAILED, "restore_failure")
                return False
        world.s_want[s] = world.s_inst[s]
        world.s_prov[s] = Prov.SUCCEEDED
        self._record(world, m, Outcome.APPLIED, "restored")
        return True

    def _record(self, world: World, m: int, outcome: Outcome, reason: str) -> None:
        world.log.add(world.env.now, m + world.offset, world.m_group[m], self.x, Op.UPGRADE,
                      outcome, REASON_CODE[reason], RULE_CODE["R25"], self.actor_id)


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
            share = push_share(world, world.m_group[m])
            world.m_push[m] = uniform(key, m + world.offset) < share
        codes = world.tables.lockdown
        world.log.add(world.env.now, m + world.offset, world.m_group[m], -1, Op.AGENT_UPDATE,
                      Outcome.APPLIED, REASON_CODE["agent_update"], RULE_CODE["R30"],
                      self.actor_id, lockdown=codes[new], lockdown_before=codes[cid])


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
        codes = world.tables.lockdown
        world.log.add(world.env.now, m + world.offset, world.m_group[m], -1, Op.CONFIG,
                      Outcome.APPLIED, REASON_CODE["monitor_list_update"], RULE_CODE["R19"],
                      self.actor_id, lockdown=codes[new], lockdown_before=codes[cid])


__all__ = ["AgentUpdate", "AutoUpgrade", "MonitorListUpdate"]
