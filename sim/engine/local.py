"""Local commands on a machine (R6, R8, R17, R23, R24).

What a local admin, a script extension or a guest configuration policy does on the machine
itself, without Azure: ``azcmagent config`` changes (the rules layer works out the new
configuration, :meth:`sim.engine.tables.Tables.config_after`), stopping and starting the
extension service, and ``azcmagent extension remove``. Local commands work while the machine
is disconnected (R28). The agent's refusals are recorded (outcome REFUSED, the command's error
code as reason), never raised. A change that lets the extension manager work again (service
started, manager switched back on) wakes the machine's check.
"""

from __future__ import annotations

from sim.engine.codes import REASON_CODE, RULE_CODE, Op, Outcome
from sim.engine.exposure import recount
from sim.engine.state import FleetState
from sim.rules.commands import Command, CommandError, LocalState, Verb

# Plain-int record codes for the hot paths (an IntEnum member costs ~7x an int to look up)
_CONFIG, _SERVICE, _LOCAL_REMOVE = int(Op.CONFIG), int(Op.SERVICE), int(Op.LOCAL_REMOVE)
_APPLIED, _SUCCEEDED = int(Outcome.APPLIED), int(Outcome.SUCCEEDED)
_STARTED, _STOPPED = int(Outcome.STARTED), int(Outcome.STOPPED)
_COMMAND, _LOCAL_REMOVAL = REASON_CODE["command"], REASON_CODE["local_removal"]
_R6, _R8, _R17 = RULE_CODE["R6"], RULE_CODE["R8"], RULE_CODE["R17"]
_ORDINARY, _SCRIPT, _OVERRIDE = 0, 1, 2
"""How a configuration change counts (:func:`run_command`): an ordinary change (R8), a
script's (R7: an override only when it lowers a protection), an override actor's (R17)."""


def run_command(w: FleetState, m: int, command: Command, actor: int, *,
                script: bool = False) -> bool:
    """Run a parsed ``azcmagent`` (or service) command on machine ``m`` now, as ``actor``.

    Returns True when the agent took it; a refusal is recorded (outcome REFUSED, the command's
    error code as reason), never raised. Commands that change nothing are taken silently. A
    configuration change by an actor of ``tables.actor_overrides`` overrides the lockdown in
    force (R17), whatever it changes. With ``script`` (a script extension's script, R7) a
    change overrides it only when it lowers a protection (:meth:`Tables.lowers
    <sim.engine.tables.Tables.lowers>`), by whoever sent the script; one that only tightens it
    is an ordinary change (R8) that leaves an earlier override's baseline in place.
    """
    if command.changes_config:
        mode = (_OVERRIDE if actor in w.tables.actor_overrides
                else _SCRIPT if script else _ORDINARY)
        return _change_config(w, m, command, actor, mode)
    if command.verb in (Verb.SERVICE_STOP, Verb.SERVICE_START):
        set_service(w, m, command.verb is Verb.SERVICE_START, actor)
        return True
    if command.verb is Verb.EXTENSION_REMOVE:
        return remove_locally(w, m, command, actor)
    return True


def _change_config(w: FleetState, m: int, command: Command, actor: int, mode: int) -> bool:
    """``azcmagent config set|add|remove|clear`` (R8); an overriding change keeps the
    configuration before the first such change as the baseline of later overrides (R17), an
    ordinary one clears that baseline (the admin's new configuration is the lockdown), and a
    script's change that lowers no protection leaves it as it is.

    The record carries the lockdown codes before and after (:mod:`sim.rules.lockdown`), rule
    R17 for an overriding change (else R8), and the change in exposure when the extension
    manager was switched (R24)."""
    before = w.m_cfg[m]
    after = w.tables.config_after(before, command)
    if isinstance(after, CommandError):
        record_refusal(w, m, after, actor)
        return False
    w.m_cfg[m] = after
    override = mode == _OVERRIDE or (mode == _SCRIPT and w.tables.lowers(before, after))
    if override:
        w.m_baseline.setdefault(m, (before, actor))
    elif mode == _ORDINARY:
        w.m_baseline.pop(m, None)
    controls = w.tables.controls
    now_enabled = controls[after].manager_enabled
    switched = controls[before].manager_enabled != now_enabled
    codes = w.tables.lockdown
    w.log.add(w.env.now, m + w.offset, w.m_group[m], -1, _CONFIG, _APPLIED, _COMMAND,
              _R17 if override else _R8, actor, 0, -1, 0.0, 0.0, codes[after], codes[before],
              recount(w, m) if switched else 0)
    if switched:
        _manager_switched(w, m, now_enabled, actor)
    return True


def record_refusal(w: FleetState, m: int, error: CommandError, actor: int) -> None:
    """Record a local command the agent refused (outcome REFUSED, its error code and rule; the
    lockdown code it leaves, unchanged, before and after)."""
    code = w.tables.lockdown[w.m_cfg[m]]
    w.log.add(w.env.now, m + w.offset, w.m_group[m], -1, Op.CONFIG, Outcome.REFUSED,
              REASON_CODE[error.code.value], RULE_CODE.get(error.rule, 0), actor, 0, -1, 0.0,
              0.0, code, code)


def _manager_switched(w: FleetState, m: int, enabled: bool, actor: int) -> None:
    """R23, R24: manager-hosted extensions stop (or start again) with the manager."""
    base = m * w.n_ext
    outcome = Outcome.STARTED if enabled else Outcome.STOPPED
    for x in w.x_order:
        if w.s_inst[base + x] >= 0 and not w.x_service_hosted[x]:
            w.log.add(w.env.now, m + w.offset, w.m_group[m], x, Op.RUNNING, outcome,
                      REASON_CODE["manager_switch"], RULE_CODE["R24"], actor)
    if enabled:
        w.wake(m)


def set_service(w: FleetState, m: int, running: bool, actor: int) -> None:
    """Stop or start the extension service of machine ``m`` (R6); no change, no record."""
    if bool(w.m_service[m]) == running:
        return
    w.m_service[m] = running
    w.log.add(w.env.now, m + w.offset, w.m_group[m], -1, _SERVICE,
              _STARTED if running else _STOPPED, 0, _R6, actor)
    if running:
        w.wake(m)


def local_state(w: FleetState, m: int) -> LocalState:
    """What local commands see on machine ``m``: its configuration, installed extensions (in
    name order) and whether its service runs."""
    base = m * w.n_ext
    tables = w.tables
    installed = tuple(tables.ext_ids[x] for x in w.x_order if w.s_inst[base + x] >= 0)
    return LocalState(tables.configs[w.m_cfg[m]], installed, bool(w.m_service[m]))


def remove_locally(w: FleetState, m: int, command: Command, actor: int) -> bool:
    """``azcmagent extension remove`` on machine ``m`` (R6); a refusal is recorded.

    What the command removes (or why it is refused) depends only on the command, the
    machine's configuration, its installed extensions and whether its service runs: it is
    worked out once per distinct combination (:meth:`~sim.engine.tables.Tables.removal`).
    Azure still records the removed extensions as Succeeded: a later check reinstalls them
    (resync, R6) unless the local controls block it.
    """
    base, inst = m * w.n_ext, w.s_inst
    present = 0
    for x in range(w.n_ext):
        if inst[base + x] >= 0:
            present |= 1 << x
    removed = w.tables.removal(command, w.m_cfg[m], present, bool(w.m_service[m]), w.x_order)
    if isinstance(removed, CommandError):
        record_refusal(w, m, removed, actor)
        return False
    now = w.env.now
    for x in removed:
        s = base + x
        inst[s] = -1
        w.s_removed[s] = now
        w.s_local_settings.pop(s, None)
        w.s_local_protected.pop(s, None)
        w.log.add(now, m + w.offset, w.m_group[m], x, _LOCAL_REMOVE, _SUCCEEDED, _LOCAL_REMOVAL,
                  _R6, actor, 0, -1, 0.0, 0.0, -1, -1,
                  recount(w, m) if w.x_runs_scripts[x] else 0)
    return True
