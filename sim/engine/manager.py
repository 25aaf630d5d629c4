"""Control plane intake and the extension manager's processing (R2, R3, R5, R6, R6a, R6c,
R10, R13, R14, R23, R24).

Semantics, shared with the naive polling reference model (``tests/reference_polling.py``):

* A request accepted by Azure at ``t`` sets the desired state and ``provisioningState``
  (Creating, Updating or Deleting) and is *pending* for the machine. It is delivered at
  ``t + push_latency`` when push works (agent 1.13+, channel reachable, connected, service
  running), else at the machine's first check at or after ``t`` when it is connected and its
  service runs. A newer request for the same extension replaces a pending one.
* At a check the manager processes every pending request and reinstalls every extension that
  Azure records as ``Succeeded`` but that is missing locally (resync after a local removal, R6).
  A reinstall is never pushed.
* The rules layer decides (:meth:`sim.rules.decision.Controls.decide`); a refusal marks the
  resource ``Failed`` (R10) and is not retried unless Azure asks again (or ``retry_refused_s``).
  A delete is always allowed (R13); with the manager disabled it only removes Azure's record and
  the extension stays on the machine (R24: remove extensions before disabling the manager).
* An allowed install, upgrade or reinstall downloads the package through the machine's path
  (a shared proxy queues, R2), checks it against the catalog (abort, R3), installs (may fail),
  and reports: ``Succeeded`` or ``Failed`` (R6c). One operation per extension at a time; a
  request that arrives meanwhile runs right after.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sim.engine.codes import REASON_CODE, RULE_CODE, Op, Outcome, Prov
from sim.engine.rng import uniform
from sim.rules.decision import Operation

if TYPE_CHECKING:
    from sim.engine.world import World

_OPERATIONS = (Operation.INSTALL, Operation.UPDATE, Operation.UPGRADE, Operation.DELETE,
               Operation.INSTALL)
"""Rules operation for each request Op code (a reinstall is decided as an install)."""
_START_PROV = (Prov.CREATING, Prov.UPDATING, Prov.UPDATING, Prov.DELETING, Prov.CREATING)
_R = RULE_CODE


class ManagerMixin:
    """Request intake and processing; mixed into :class:`sim.engine.world.World`."""

    cloud_gate: Any = None
    """Optional ``(world, m, x, op, actor) -> (reason, rule) | None``: refusal in Azure before the
    machine sees a request (Azure Policy deny R26, authorization R27). Set by policy actors."""
    settings_hook: Any = None
    """Optional ``(world, m, x, settings, actor)`` called when an update's settings are applied on
    the machine (script extensions that run commands, R7, R17)."""
    _decisions: dict[int, tuple[bool, int, int]]

    def reason_code(self, name: str) -> int:
        """The code of reason ``name`` in the record table."""
        return REASON_CODE[name]

    # --- Azure side -----------------------------------------------------------------------------

    def request(self: World, m: int, x: int, op: Op, actor: int, version: str | None = None,
                settings: str | None = None) -> bool:
        """An extension request for machine ``m`` reaches Azure now (R5). Returns True if
        accepted. ``op`` is INSTALL, UPDATE, UPGRADE or DELETE; ``version`` defaults to the
        newest known; ``settings`` are the public settings of an install or update (R4)."""
        now, s, mid, group = self.env.now, m * self.n_ext + x, m + self.offset, self.m_group[m]
        if self.cloud_gate is not None:
            refusal = self.cloud_gate(self, m, x, op, actor)
            if refusal is not None:
                reason, rule = refusal
                self.log.add(now, mid, group, x, op, Outcome.DENIED, REASON_CODE[reason],
                             _R[rule], actor)
                return False
        self.log.add(now, mid, group, x, op, Outcome.REQUESTED, 0, _R["R5"], actor)
        if op is Op.INSTALL or op is Op.UPGRADE:
            self.s_want[s] = self.version_code(x, version)
        elif op is Op.DELETE and self.s_want[s] < 0 and self.s_inst[s] < 0:
            self.s_prov[s] = Prov.NONE
            return True
        if settings is not None:
            self.s_settings[s] = settings
        self.s_prov[s] = _START_PROV[op]
        self.s_pend[s] = op + 1
        self._pend_actor[s] = actor
        self._deliver(m, s)
        return True

    def _deliver(self: World, m: int, s: int) -> None:
        if self.m_push[m] and self.m_conn[m] == 1 and self.m_service[m]:
            self.at(self.params.push_latency_s, 8 + 8 * m + 1,
                    lambda _e: self._on_push(m, s))
        else:
            self.wake(m)

    def _on_push(self: World, m: int, s: int) -> None:
        if self.s_pend[s] and self.m_conn[m] == 1 and self.m_service[m]:
            self._process(m, s, self.s_pend[s] - 1, self._pend_actor[s])
        else:
            self.wake(m)

    # --- machine side ---------------------------------------------------------------------------

    def has_work(self: World, m: int) -> bool:
        """True when a check of machine ``m`` would do something (pending request or resync)."""
        base = m * self.n_ext
        for s in range(base, base + self.n_ext):
            if self.s_pend[s] and not self.s_busy[s]:
                return True
            if (self.s_inst[s] < 0 and self.s_want[s] >= 0 and self.s_prov[s] == Prov.SUCCEEDED
                    and not self.s_busy[s]):
                return True
        return False

    def on_check(self: World, m: int) -> None:
        """Machine ``m``'s extension manager checks with Azure (R6a)."""
        if self.m_next[m] != self.env.now:
            return
        self.m_next[m] = float("inf")
        if not (self.m_conn[m] == 1 and self.m_service[m]):
            return
        base = m * self.n_ext
        for s in range(base, base + self.n_ext):
            if self.s_busy[s]:
                continue
            if self.s_pend[s]:
                self._process(m, s, self.s_pend[s] - 1, self._pend_actor[s])
            elif self.s_inst[s] < 0 and self.s_want[s] >= 0 and self.s_prov[s] == Prov.SUCCEEDED:
                self._process(m, s, Op.REINSTALL, 1)

    def decision(self: World, m: int, x: int, op: int) -> tuple[bool, int, int]:
        """(allowed, reason code, rule code) of ``op`` on extension ``x`` for machine ``m``."""
        cid = self.m_cfg[m]
        key = (cid * 1024 + x) * 8 + op
        cached = self._decisions.get(key)
        if cached is None:
            d = self.controls[cid].decide(_OPERATIONS[op], self.ext_ids[x].key)
            cached = self._decisions[key] = (d.allowed, REASON_CODE[d.reason.value], _R[d.rule])
        return cached

    def _process(self: World, m: int, s: int, op: int, actor: int) -> None:
        if self.s_busy[s]:
            if op != Op.REINSTALL:
                self.s_pend[s] = op + 1
            return
        self.s_pend[s] = 0
        x = s - m * self.n_ext
        allowed, reason, rule = self.decision(m, x, op)
        now, mid, group = self.env.now, m + self.offset, self.m_group[m]
        if op == Op.DELETE and not self.controls[self.m_cfg[m]].manager_enabled:
            self.s_want[s], self.s_prov[s] = -1, Prov.NONE
            self.log.add(now, mid, group, x, op, Outcome.ORPHANED, REASON_CODE["manager_disabled"],
                         _R["R24"], actor)
            return
        if not allowed:
            self.s_prov[s] = Prov.FAILED
            self.log.add(now, mid, group, x, op, Outcome.BLOCKED, reason, rule, actor)
            if self.params.retry_refused_s > 0:
                self.at(self.params.retry_refused_s, 8 + 8 * m + 3,
                        lambda _e: self._retry(m, s, op, actor))
            return
        self.s_busy[s] = 1
        if op == Op.UPDATE or op == Op.DELETE:
            duration = self.params.update_s if op == Op.UPDATE else self.params.delete_s
            self.at(duration, 8 + 8 * m + 3, lambda _e: self._finish(m, s, op, actor, 0, 0.0))
        else:
            self._download(m, s, op, actor)

    def _retry(self: World, m: int, s: int, op: int, actor: int) -> None:
        if not self.s_pend[s] and self.s_prov[s] == Prov.FAILED:
            self.s_pend[s] = op + 1
            self._pend_actor[s] = actor
            self.wake(m)

    def _download(self: World, m: int, s: int, op: int, actor: int) -> None:
        """Download (R2) and verify (R3); then install. One event unless the path is shared."""
        x = s - m * self.n_ext
        path = self.params.paths[self.m_path[m]]
        seconds = path.latency_s + self.x_size[x] / path.bandwidth_bps
        mismatch = self._draw_mismatch(m, s, x)
        resource = self.resources[self.m_path[m]]
        if resource is None:
            total = seconds if mismatch else seconds + self.params.install_s
            self.at(total, 8 + 8 * m + 3,
                    lambda _e: self._finish(m, s, op, actor, self.x_size[x], 0.0, mismatch))
            return
        asked = self.env.now
        req = resource.request()

        def granted(_e: object) -> None:
            wait = self.env.now - asked
            self.at(seconds, 8 + 8 * m + 3, lambda _e2: downloaded(wait))

        def downloaded(wait: float) -> None:
            resource.release(req)
            if mismatch:
                self._finish(m, s, op, actor, self.x_size[x], wait, True)
            else:
                self.at(self.params.install_s, 8 + 8 * m + 3,
                        lambda _e3: self._finish(m, s, op, actor, self.x_size[x], wait))

        req.callbacks.append(granted)

    def _draw_mismatch(self: World, m: int, s: int, x: int) -> bool:
        if self.x_forced_mismatch[x]:
            return True
        p = self.params.catalog_mismatch_p
        return p > 0.0 and uniform(self.keys["catalog"], m + self.offset,
                                   self.s_nops[s] * 64 + x) < p

    def _draw_failure(self: World, m: int, s: int, x: int) -> bool:
        p = self.params.install_failure_p
        return p > 0.0 and uniform(self.keys["failure"], m + self.offset,
                                   self.s_nops[s] * 64 + x) < p

    def _finish(self: World, m: int, s: int, op: int, actor: int, nbytes: int, wait: float,
                mismatch: bool = False) -> None:
        """An operation completes: report the result to Azure (R6c, R10)."""
        x = s - m * self.n_ext
        now, mid, group = self.env.now, m + self.offset, self.m_group[m]
        self.s_busy[s] = 0
        failed = not mismatch and op != Op.DELETE and self._draw_failure(m, s, x)
        self.s_nops[s] += 1
        path = self.m_path[m] if nbytes else -1
        if mismatch or failed:
            self.s_prov[s] = Prov.FAILED
            outcome, reason = ((Outcome.ABORTED, "catalog_mismatch") if mismatch
                               else (Outcome.FAILED, "install_failure"))
            self.log.add(now, mid, group, x, op, outcome, REASON_CODE[reason],
                         _R["R3"] if mismatch else _R["R6c"], actor, nbytes, path, 0.0, wait)
        else:
            self._succeed(m, s, x, op, actor, nbytes, path, wait)
        if self.s_pend[s]:
            self._process(m, s, self.s_pend[s] - 1, self._pend_actor[s])

    def _succeed(self: World, m: int, s: int, x: int, op: int, actor: int, nbytes: int,
                 path: int, wait: float) -> None:
        now, mid, group = self.env.now, m + self.offset, self.m_group[m]
        absent = 0.0
        if op == Op.DELETE:
            self.s_inst[s] = self.s_want[s] = -1
            self.s_prov[s] = Prov.NONE
            self.s_removed.pop(s, None)
        else:
            if op != Op.UPDATE:
                self.s_inst[s] = self.s_want[s]
                removed = self.s_removed.pop(s, None)
                if removed is not None:
                    absent = now - removed
            self.s_prov[s] = Prov.SUCCEEDED
        self.log.add(now, mid, group, x, op, Outcome.SUCCEEDED, 0, _R["R6c"], actor, nbytes,
                     path, absent, wait)
        settings = self.s_settings.get(s)
        if op != Op.DELETE and settings is not None and self.s_local_settings.get(s) != settings:
            self.s_local_settings[s] = settings
            if self.settings_hook is not None:
                self.settings_hook(self, m, x, settings, actor)
