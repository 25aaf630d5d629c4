"""Control plane intake and the extension manager's processing (R2, R3, R5, R6, R6a, R6c,
R10, R13, R14, R23, R24).

Semantics, shared with the naive polling reference model (``tests/reference_polling.py``):

* A request accepted by Azure at ``t`` sets the desired state and ``provisioningState``
  (Creating, Updating or Deleting) and is *pending* for the machine. It is delivered at
  ``t + push_latency`` when push works (agent 1.13+, channel reachable, connected, service
  running) unless a check comes first, else at the machine's first check at or after ``t`` when
  it is connected and its service runs. A newer request for the same extension replaces a
  pending one. A check at instant ``t`` comes after the machine's other events at ``t``.
* At a check the manager processes (in extension-name order) every pending request and
  reinstalls every extension that Azure records as ``Succeeded`` but that is missing locally
  (resync after a local removal, R6). A reinstall is never pushed.
* A disabled extension manager takes no operation from Azure and does not resync (R23): it
  reinstalls nothing while disabled, and its first check once enabled again resyncs. A
  request that reaches it fails at once (``Failed``, blocked ``manager_disabled``), or with
  ``disabled_manager_requests: wait`` stays pending until the manager is enabled again.
* The rules layer decides (:meth:`sim.rules.decision.Controls.decide`); a refusal marks the
  resource ``Failed`` (R10) and is not retried unless Azure asks again (or ``retry_refused_s``).
  A delete is always allowed (R13); with the manager disabled it only removes Azure's record and
  the extension stays on the machine (R24: remove extensions before disabling the manager).
* An allowed install, upgrade or reinstall downloads the package through the machine's path
  (a shared proxy queues, R2), checks it against the catalog (abort, R3), installs (may fail),
  and reports: ``Succeeded`` or ``Failed`` (R6c). One operation per extension at a time; a
  request that arrives meanwhile runs right after.
* A script extension that succeeds runs the ``azcmagent`` lines of its settings on the machine
  (R7, :func:`run_script`), as local commands (:mod:`sim.engine.local`); a change that lowers
  a protection is an override by whoever sent the script (R17). The record of a
  script-capable extension's success carries the lockdown code in force and the change in
  exposure (:mod:`sim.engine.exposure`).

Functions take the world's :class:`~sim.engine.state.FleetState` first; a
:class:`~sim.engine.World` has them as methods (``request``, ``wake``). :func:`wake` is the one
operation the modules below ask of this one (through ``FleetState.wake``).
"""

from __future__ import annotations

from sim.engine.checks import has_work, next_check, takes_requests
from sim.engine.clock import Kind, machine_priority
from sim.engine.codes import REASON_CODE, RULE_CODE, Op, Outcome, Prov
from sim.engine.exposure import recount
from sim.engine.local import record_refusal, run_command
from sim.engine.rng import uniform
from sim.engine.state import FleetState
from sim.rules.commands import CommandError, parse
from sim.rules.scripts import command_lines

_START_PROV = (Prov.CREATING, Prov.UPDATING, Prov.UPDATING, Prov.DELETING, Prov.CREATING)
_R = RULE_CODE
# Plain-int codes for the hot paths (an IntEnum member lookup and comparison costs ~7x an int's)
_INSTALL, _UPDATE, _UPGRADE, _DELETE, _REINSTALL = (
    int(Op.INSTALL), int(Op.UPDATE), int(Op.UPGRADE), int(Op.DELETE), int(Op.REINSTALL))
_REQUESTED, _DENIED, _BLOCKED, _SUCCEEDED, _ORPHANED, _OVERRIDDEN = (
    int(Outcome.REQUESTED), int(Outcome.DENIED), int(Outcome.BLOCKED), int(Outcome.SUCCEEDED),
    int(Outcome.ORPHANED), int(Outcome.OVERRIDDEN))
_P_NONE, _P_SUCCEEDED, _P_FAILED = int(Prov.NONE), int(Prov.SUCCEEDED), int(Prov.FAILED)
_R5, _R6C, _R24 = _R["R5"], _R["R6c"], _R["R24"]
_OVERRIDE = REASON_CODE["override"]


# --- Azure side -----------------------------------------------------------------------------

def request(w: FleetState, m: int, x: int, op: Op, actor: int, version: str | int | None = None,
            settings: str | None = None, protected: str | None = None) -> bool:
    """An extension request for machine ``m`` reaches Azure now (R5). Returns True if
    accepted. ``op`` is INSTALL, UPDATE, UPGRADE or DELETE; ``version`` defaults to the
    newest known; ``settings`` are the public settings of an install or update, which Azure
    keeps as desired state; ``protected`` are protected settings, which Azure does not keep
    (R4): they travel with this one request to the machine and exist only there (encrypted at
    rest), so a reinstall by resync (R6) or a remediation goes out without them."""
    now, s, mid, group = w.env.now, m * w.n_ext + x, m + w.offset, w.m_group[m]
    log = w.log
    gate = w.gate
    refusal = gate.refusal(w, m, x, op, actor)
    if refusal is not None:
        reason, rule = refusal
        log.add(now, mid, group, x, op, _DENIED, REASON_CODE[reason], _R[rule], actor)
        return False
    log.add(now, mid, group, x, op, _REQUESTED, 0, _R5, actor)
    overrider = gate.overrider(w, m, x, op, actor)
    if overrider is not None:
        w.s_override[s] = overrider
    if op in (_INSTALL, _UPGRADE):
        w.s_want[s] = version if isinstance(version, int) else w.tables.version_code(x, version)
    elif op == _DELETE and w.s_want[s] < 0 and w.s_inst[s] < 0:
        w.s_prov[s] = _P_NONE
        return True
    if settings is not None:
        w.s_settings[s] = settings
        w.s_settings_by[s] = actor
    if protected is not None:
        w.s_transit_protected[s] = protected
    elif w.s_transit_protected:
        w.s_transit_protected.pop(s, None)
    w.s_prov[s] = _START_PROV[op]
    w.s_pend[s] = op + 1
    w.s_pend_actor[s] = actor
    _deliver(w, m, s)
    return True

def _deliver(w: FleetState, m: int, s: int) -> None:
    if w.m_push[m] and w.m_conn[m] == 1 and w.m_service[m]:
        latency = w.params.push_latency_s
        w.env.at(latency, 8 + 8 * m + 1, lambda _e: _on_push(w, m, s))
        now = w.env.now
        if next_check(w, m, now) <= now + latency:
            w.wake(m)  # a check comes before the push: it takes the request
    else:
        w.wake(m)

def _on_push(w: FleetState, m: int, s: int) -> None:
    if w.s_pend[s] and w.m_conn[m] == 1 and w.m_service[m] and takes_requests(w, m):
        _process(w, m, s, w.s_pend[s] - 1, w.s_pend_actor[s])
    else:
        w.wake(m)

# --- machine side ---------------------------------------------------------------------------

def wake(w: FleetState, m: int) -> None:
    """Schedule machine ``m``'s next check if it has work and can do it (connected, service
    running), at the first instant of its check schedule from now (R6a); an earlier pending
    check is kept."""
    if not (w.m_conn[m] == 1 and w.m_service[m] and has_work(w, m)):
        return
    t = next_check(w, m, w.env.now)
    if t < w.m_next[m]:
        w.m_next[m] = t
        w.env.at_instant(t, machine_priority(m, Kind.SYNC), lambda _e: on_check(w, m))

def on_check(w: FleetState, m: int) -> None:
    """Machine ``m``'s extension manager checks with Azure (R6a)."""
    if w.m_next[m] != w.env.now:
        return
    w.m_next[m] = float("inf")
    if not (w.m_conn[m] == 1 and w.m_service[m]):
        return
    if not takes_requests(w, m):
        return
    enabled = w.tables.controls[w.m_cfg[m]].manager_enabled
    base = m * w.n_ext
    for x in w.x_order:
        s = base + x
        if w.s_busy[s]:
            continue
        if w.s_pend[s]:
            _process(w, m, s, w.s_pend[s] - 1, w.s_pend_actor[s])
        elif (enabled and w.s_inst[s] < 0 and w.s_want[s] >= 0
              and w.s_prov[s] == _P_SUCCEEDED):  # a disabled manager does not resync (R23)
            _process(w, m, s, _REINSTALL, 1)

def _process(w: FleetState, m: int, s: int, op: int, actor: int) -> None:
    """The manager takes request ``op`` (or a reinstall) of slot ``s`` now; the caller has
    checked that machine ``m`` takes requests (:func:`takes_requests`). A busy slot keeps
    the request pending."""
    if w.s_busy[s]:
        if op != _REINSTALL:
            w.s_pend[s] = op + 1
        return
    w.s_pend[s] = 0
    x = s - m * w.n_ext
    cid = w.m_cfg[m]
    allowed, reason, rule = w.tables.decision(cid, x, op)
    if op == _DELETE and not w.tables.controls[cid].manager_enabled:
        w.s_want[s], w.s_prov[s] = -1, _P_NONE
        w.log.add(w.env.now, m + w.offset, w.m_group[m], x, op, _ORPHANED,
                  REASON_CODE["manager_disabled"], _R24, actor)
        return
    if not allowed:
        w.s_prov[s] = _P_FAILED
        w.log.add(w.env.now, m + w.offset, w.m_group[m], x, op, _BLOCKED, reason, rule, actor)
        hook = w.result_hooks.get((actor, x))
        if hook is not None:
            hook(m, x, op, Outcome.BLOCKED, actor)
        if w.params.retry_refused_s > 0:
            w.env.at(w.params.retry_refused_s, 8 + 8 * m + 3,
                    lambda _e: _retry(w, m, s, op, actor))
        return
    w.s_busy[s] = 1
    if op in (_UPDATE, _DELETE):
        duration = w.params.update_s if op == _UPDATE else w.params.delete_s
        w.env.at(duration, 8 + 8 * m + 3, lambda _e: _finish(w, m, s, op, actor, 0, 0.0))
    else:
        _download(w, m, s, op, actor)

def _retry(w: FleetState, m: int, s: int, op: int, actor: int) -> None:
    if not w.s_pend[s] and w.s_prov[s] == Prov.FAILED:
        w.s_pend[s] = op + 1
        w.s_pend_actor[s] = actor
        w.wake(m)

def _download(w: FleetState, m: int, s: int, op: int, actor: int) -> None:
    """Download (R2) and verify (R3); then install. One event unless the path is shared."""
    x = s - m * w.n_ext
    pi = w.m_path[m]
    path = w.params.paths[pi]
    seconds = path.latency_s + w.x_size[x] / path.bandwidth_bps
    mismatch = w.x_forced_mismatch[x] or (w.params.catalog_mismatch_p > 0.0
                                          and _draw_mismatch(w, m, s, x))
    resource = w.resources[pi]
    if resource is None:
        total = seconds if mismatch else seconds + w.params.install_s
        w.env.at(total, 8 + 8 * m + 3,
                lambda _e: _finish(w, m, s, op, actor, w.x_size[x], 0.0, mismatch))
        return
    asked = w.env.now
    req = resource.request()

    def granted(_e: object) -> None:
        wait = w.env.now - asked
        w.env.at(seconds, 8 + 8 * m + 3, lambda _e2: downloaded(wait))

    def downloaded(wait: float) -> None:
        resource.release(req)
        if mismatch:
            _finish(w, m, s, op, actor, w.x_size[x], wait, True)
        else:
            w.env.at(w.params.install_s, 8 + 8 * m + 3,
                    lambda _e3: _finish(w, m, s, op, actor, w.x_size[x], wait))

    req.callbacks.append(granted)

def _draw_mismatch(w: FleetState, m: int, s: int, x: int) -> bool:
    """A chance catalog mismatch (R3); the caller handles forced ones and ``p == 0``."""
    return uniform(w.x_catalog_key[x], m + w.offset, w.s_nops[s]) < w.params.catalog_mismatch_p

def _draw_failure(w: FleetState, m: int, s: int, x: int) -> bool:
    """A chance install failure; the caller handles ``p == 0``."""
    return uniform(w.x_failure_key[x], m + w.offset, w.s_nops[s]) < w.params.install_failure_p

def _finish(w: FleetState, m: int, s: int, op: int, actor: int, nbytes: int, wait: float,
            mismatch: bool = False) -> None:
    """An operation completes: report the result to Azure (R6c, R10)."""
    x = s - m * w.n_ext
    w.s_busy[s] = 0
    failed = (not mismatch and w.params.install_failure_p > 0.0 and op != _DELETE
              and _draw_failure(w, m, s, x))
    w.s_nops[s] += 1
    path = w.m_path[m] if nbytes else -1
    if mismatch or failed:
        now, mid, group = w.env.now, m + w.offset, w.m_group[m]
        w.s_prov[s] = _P_FAILED
        outcome, reason = ((Outcome.ABORTED, "catalog_mismatch") if mismatch
                           else (Outcome.FAILED, "install_failure"))
        w.log.add(now, mid, group, x, op, outcome, REASON_CODE[reason],
                     _R["R3"] if mismatch else _R["R6c"], actor, nbytes, path, 0.0, wait)
        w.s_override.pop(s, None)
        hook = w.result_hooks.get((actor, x))
        if hook is not None:
            hook(m, x, op, outcome, actor)
    else:
        _succeed(w, m, s, x, op, actor, nbytes, path, wait)
    if w.s_pend[s]:
        if takes_requests(w, m):  # else it waits for the manager (R23)
            _process(w, m, s, w.s_pend[s] - 1, w.s_pend_actor[s])
    elif w.s_inst[s] < 0 and w.s_want[s] >= 0 and w.s_prov[s] == _P_SUCCEEDED:
        w.wake(m)  # an update of an extension missing locally: the next check reinstalls it

def _succeed(w: FleetState, m: int, s: int, x: int, op: int, actor: int, nbytes: int,
             path: int, wait: float) -> None:
    now = w.env.now
    absent = 0.0
    if op == _DELETE:
        w.s_inst[s] = w.s_want[s] = -1
        w.s_prov[s] = _P_NONE
        w.s_removed.pop(s, None)
    else:
        if op != _UPDATE:
            w.s_inst[s] = w.s_want[s]
            if w.s_removed:
                removed = w.s_removed.pop(s, None)
                if removed is not None:
                    absent = now - removed
        w.s_prov[s] = _P_SUCCEEDED
    if w.x_runs_scripts[x]:  # exposure (R7): the lockdown in force, the change in exposure
        w.log.add(now, m + w.offset, w.m_group[m], x, op, _SUCCEEDED, 0, _R6C, actor, nbytes,
                  path, absent, wait, w.tables.lockdown[w.m_cfg[m]], -1,
                  0 if op == _UPDATE else recount(w, m))
    else:
        w.log.add(now, m + w.offset, w.m_group[m], x, op, _SUCCEEDED, 0, _R6C, actor, nbytes,
                  path, absent, wait)
    if op == _DELETE:
        w.s_local_protected.pop(s, None)
        return
    if w.s_override or w.m_baseline:
        _count_override(w, m, s, x, op)
    settings = w.s_settings.get(s) if w.s_settings else None
    if settings is not None and w.s_local_settings.get(s) != settings:
        w.s_local_settings[s] = settings
        if w.x_runs_scripts[x]:
            run_script(w, m, settings, w.s_settings_by.get(s, actor))
    if w.s_transit_protected:
        protected = w.s_transit_protected.pop(s, None)
        if protected is not None:
            w.s_local_protected[s] = protected
            if w.x_runs_scripts[x]:
                run_script(w, m, protected, actor)


def _count_override(w: FleetState, m: int, s: int, x: int, op: int) -> None:
    """An operation that succeeded only because a protection was lifted is an override (R16,
    R17): a removed or exempted Azure Policy deny, or local config rewritten by an override
    actor (script extension, guest configuration policy, mode switched back)."""
    overrider = w.s_override.pop(s, None)
    rule = "R16"
    if overrider is None:
        baseline = w.m_baseline.get(m)
        if baseline is None or w.tables.decision(baseline[0], x, op)[0]:
            return
        overrider, rule = baseline[1], "R17"
    w.log.add(w.env.now, m + w.offset, w.m_group[m], x, op, _OVERRIDDEN, _OVERRIDE, _R[rule],
              overrider)


def run_script(w: FleetState, m: int, script: str, actor: int) -> None:
    """A script extension runs its script as root / Local System (R7): every ``azcmagent`` (or
    extension service) command line in its settings (plain text, or the JSON fields that hold
    a script, see :mod:`sim.rules.scripts`) is run on the machine, as by a local admin (R17).
    Other lines are not simulated. ``actor`` is who sent the script: a configuration change it
    makes that lowers a protection is an override of the lockdown by that actor (R7, R17; one
    that only tightens it is not), unless the actor was marked ``override: false``
    (``tables.trusted_scripts``: an ordinary change) or ``override: true``
    (``tables.actor_overrides``: every change is an override)."""
    script_sent = actor not in w.tables.trusted_scripts
    for line in command_lines(script):
        try:
            command = parse(line)
        except CommandError as exc:
            record_refusal(w, m, exc, actor)
            continue
        run_command(w, m, command, actor, script=script_sent)
