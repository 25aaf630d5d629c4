"""Metrics as queries over records (and, for coverage and exposure at the end, over the
final state): the one place that says what each metric counts.

Names follow the spec's "What the simulator measures": blocked operations by operation,
extension, group and reason (:func:`blocked_operations`); reinstall churn
(:func:`reinstalls_done`); failures and aborts (apart from blocks); overrides
(:func:`overridden`); coverage and drift; and exposure, what got in
(:func:`exposure_operations`, :func:`exposure_metrics`). ``docs/metrics.md`` says what each
one counts. The masks take the records' code columns (:mod:`sim.engine.records`), so the time
series and the report select the same rows as the metrics
(:func:`sim.results.records.code_columns` gives them for a records frame).

Counts of operations count every operation, again at each retry or re-request (a refused
automatic upgrade retried hourly is blocked once an hour; a remediation that asks every day
for an extension the allowlist refuses is blocked once a day). Beside them, ``distinct``
counts the (machine, extension) pairs they touched and ``machines_with`` the machines.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from sim.engine.codes import REASON_CODE, REASONS, RULE_CODE, RULES, Op, Outcome, Prov
from sim.engine.endstate import EndCounts, exposure_at_end
from sim.engine.records import Records
from sim.engine.world import World
from sim.rules.exposure import OverridePath
from sim.rules.identity import ExtensionId
from sim.rules.lockdown import LOCKING
from sim.rules.versions import Feature

Array = npt.NDArray[Any]
_LISTS = Feature.LOCAL_CONTROLS.since

_REQUEST_OPS = (Op.INSTALL, Op.UPDATE, Op.UPGRADE, Op.REINSTALL)
"""Operations that can be blocked (delete never is, R13)."""
EXPOSURE_OPS: Mapping[str, tuple[Op, ...]] = {"installed": (Op.INSTALL, Op.REINSTALL),
                                              "updated": (Op.UPDATE,)}
"""The exposure operations: a script-capable extension got onto a machine (an install, or
resync putting it back, R6) or ran new settings (an update: a new script, R7)."""


def blocked_operations(op: Array, out: Array, reason: Array) -> npt.NDArray[np.bool_]:
    """Rows that are the spec's blocked operations: an install, update or upgrade (or a resync
    reinstall) that a control stopped, on the machine (outcome BLOCKED) or by an Azure Policy
    deny. A refused role (R27) is counted under policy, a blocked guest configuration command
    under ``commands_blocked``."""
    return np.asarray(np.isin(op, _REQUEST_OPS) & (
        (out == Outcome.BLOCKED)
        | ((out == Outcome.DENIED) & (reason == REASON_CODE["policy_deny"]))))


def reinstalls_done(op: Array, out: Array) -> npt.NDArray[np.bool_]:
    """Rows that are reinstalls done by resync after a local removal (R6): reinstall churn."""
    return np.asarray((op == Op.REINSTALL) & (out == Outcome.SUCCEEDED))


def overridden(out: Array) -> npt.NDArray[np.bool_]:
    """Rows that are operations that succeeded only because a protection was lifted (R16,
    R17); their actor is the one who lifted it."""
    return np.asarray(out == Outcome.OVERRIDDEN)


def policy_override_actions(op: Array, out: Array, reason: Array) -> npt.NDArray[np.bool_]:
    """Rows that are Azure Policy override actions: a deny assignment removed or exempted
    (R16), the ``overrides.policy_actions`` metric."""
    return np.asarray((op == Op.POLICY) & (out == Outcome.APPLIED)
                      & (reason == REASON_CODE["override"]))


def config_overrides(op: Array, out: Array, rule: Array) -> npt.NDArray[np.bool_]:
    """Rows that are configuration changes by an actor whose changes count as overrides of a
    lockdown (R17): the engine records them under rule R17 (others under R8); one per machine
    changed, the ``overrides.local_actions`` metric."""
    return np.asarray((op == Op.CONFIG) & (out == Outcome.APPLIED) & (rule == RULE_CODE["R17"]))


def exposure_operations(op: Array, out: Array, lockdown: Array,
                        kind: str | None = None) -> npt.NDArray[np.bool_]:
    """Rows that are exposure operations (:data:`EXPOSURE_OPS`; ``kind`` ``installed`` or
    ``updated``, None both): succeeded, of a script-capable extension, whose records carry
    the lockdown code in force (R7). Nothing blocked, denied or failed is among them."""
    ops = EXPOSURE_OPS[kind] if kind is not None else (*EXPOSURE_OPS["installed"],
                                                       *EXPOSURE_OPS["updated"])
    return np.asarray(np.isin(op, ops) & (out == Outcome.SUCCEEDED) & (lockdown >= 0))


def locked_down(lockdown: Array) -> npt.NDArray[np.bool_]:
    """Rows whose lockdown code restricts extensions (:data:`sim.rules.lockdown.LOCKING`)."""
    return np.asarray((lockdown >= 0) & ((lockdown & int(LOCKING)) != 0))


def _names(codes: np.ndarray[Any, Any], table: Sequence[str]) -> list[str]:
    return [table[c] if c >= 0 else "" for c in codes.tolist()]


class NameTables(Protocol):
    """What the metrics read of a run besides its records: the names its codes index (a
    :class:`~sim.engine.World` has them)."""

    @property
    def group_names(self) -> Sequence[str]: ...
    @property
    def ext_ids(self) -> Sequence[ExtensionId]: ...
    @property
    def actor_names(self) -> Sequence[str]: ...
    @property
    def path_names(self) -> Sequence[str]: ...


def summarise(world: World) -> dict[str, Any]:
    """The summary metrics of a run of ``world`` (so far): a JSON-ready nested dict."""
    return metrics_of(world.records, world, coverage(world), exposure_at_end(world),
                      float(world.env.now))


def metrics_of(r: Records, world: NameTables, covered: Mapping[str, int],
               at_end: EndCounts | None = None, until: float = 0.0) -> dict[str, Any]:
    """The summary metrics of records ``r`` (whose codes index ``world``'s name tables), with
    ``covered`` as the coverage (the state at the end, :func:`coverage`), ``at_end`` as the
    exposure at the end (:func:`sim.engine.endstate.exposure_at_end`) and ``until`` the
    seconds the run lasted."""
    op, out, reason = r["operation"], r["outcome"], r["reason"]
    blocked = blocked_operations(op, out, reason)
    done = {o: (op == o) & (out == Outcome.SUCCEEDED)
            for o in (Op.INSTALL, Op.UPGRADE, Op.LOCAL_REMOVE)}
    done[Op.REINSTALL] = reinstalls_done(op, out)
    touched = (("installs", done[Op.INSTALL]), ("upgrades", done[Op.UPGRADE]),
               ("reinstalls", done[Op.REINSTALL]), ("local_removals", done[Op.LOCAL_REMOVE]),
               ("blocked", blocked))
    return {
        "records": len(r),
        "requests": int(np.count_nonzero(out == Outcome.REQUESTED)),
        "blocked": _blocked(world, blocked, op, reason, r),
        "failures": {
            "aborted": int(np.count_nonzero(out == Outcome.ABORTED)),
            "failed": int(np.count_nonzero(out == Outcome.FAILED)),
        },
        "installs": int(np.count_nonzero(done[Op.INSTALL])),
        "upgrades": int(np.count_nonzero(done[Op.UPGRADE])),
        "reinstalls": int(np.count_nonzero(done[Op.REINSTALL])),
        "churn": _reinstalls(world, op, out, r),
        "local_removals": int(np.count_nonzero(done[Op.LOCAL_REMOVE])),
        "distinct": {name: _pairs(r, mask, len(world.ext_ids)) for name, mask in touched},
        "machines_with": {name: _machines(r, mask) for name, mask in touched},
        "orphaned": int(np.count_nonzero(out == Outcome.ORPHANED)),
        "commands_refused": _counts(_names(reason[(op == Op.CONFIG) & (out == Outcome.REFUSED)],
                                           REASONS)),
        "commands_blocked": _counts(_names(reason[(op == Op.CONFIG) & (out == Outcome.BLOCKED)],
                                           REASONS)),
        "overrides": _overrides(world, op, out, r),
        "policy": {
            "denied": int(np.count_nonzero((out == Outcome.DENIED) &
                                           (reason == REASON_CODE["policy_deny"]))),
            "audited": int(np.count_nonzero(out == Outcome.AUDITED)),
            "authorization_failed": int(np.count_nonzero(
                reason[out == Outcome.DENIED] == REASON_CODE["authorization_failed"])),
        },
        "coverage": dict(covered),
        "exposure": exposure_metrics(r, world, at_end or {}, until),
    }


def _overrides(world: NameTables, op: np.ndarray[Any, Any], out: np.ndarray[Any, Any],
               r: Any) -> dict[str, Any]:
    """Operations that succeeded only because a protection was lifted (R16, R17), by actor;
    and the override actions themselves: in Azure Policy (a deny assignment removed or
    exempted) and local (a machine's configuration changed by a script extension, a guest
    configuration policy or a local admin whose changes count as overrides), and their sum."""
    done = overridden(out)
    policy = int(np.count_nonzero(policy_override_actions(op, out, r["reason"])))
    local = int(np.count_nonzero(config_overrides(op, out, r["rule"])))
    return {
        "total": int(np.count_nonzero(done)),
        "by_actor": _counts(_names(r["actor"][done], world.actor_names)),
        "by_rule": _counts(_names(r["rule"][done], RULES)),
        "actions": policy + local,
        "policy_actions": policy,
        "local_actions": local,
    }


def _pairs(r: Records, mask: np.ndarray[Any, Any], n_ext: int) -> int:
    """Distinct (machine, extension) pairs among the records ``mask`` selects (records about
    no machine or no extension left out)."""
    machine, ext = r["machine"][mask].astype(np.int64), r["extension"][mask].astype(np.int64)
    keep = (machine >= 0) & (ext >= 0)
    return len(np.unique(machine[keep] * max(n_ext, 1) + ext[keep]))


def _machines(r: Records, mask: np.ndarray[Any, Any]) -> int:
    """Distinct machines among the records ``mask`` selects."""
    machine = r["machine"][mask]
    return len(np.unique(machine[machine >= 0]))


def _counts(values: list[str]) -> dict[str, int]:
    return dict(sorted(Counter(values).items()))


def _blocked(world: NameTables, mask: np.ndarray[Any, Any], op: np.ndarray[Any, Any],
             reason: np.ndarray[Any, Any], r: Any) -> dict[str, Any]:
    ops = [Op(o).name.lower() for o in op[mask].tolist()]
    reasons = _names(reason[mask], REASONS)
    by_op: dict[str, dict[str, int]] = {}
    for o, why in zip(ops, reasons, strict=True):
        by_op.setdefault(o, {}).setdefault(why, 0)
        by_op[o][why] += 1
    # records about no extension (-1: a blocked guest configuration command) name none
    exts = [world.ext_ids[x].name for x in r["extension"][mask].tolist() if x >= 0]
    groups = _names(r["group"][mask], world.group_names)
    summary: dict[str, Any] = {
        "total": int(np.count_nonzero(mask)),
        "by_reason": _counts(reasons),
        "by_extension": _counts(exts),
        "by_group": _counts(groups),
    }
    for name in ("install", "update", "upgrade", "reinstall"):
        summary[name] = dict(sorted(by_op.get(name, {}).items()))
    return summary


def _reinstalls(world: NameTables, op: np.ndarray[Any, Any], out: np.ndarray[Any, Any],
                r: Any) -> dict[str, Any]:
    done = reinstalls_done(op, out)
    tried = op == Op.REINSTALL
    paths = _names(r["path"][done], world.path_names)
    by_path: dict[str, int] = {}
    for p, b in zip(paths, r["bytes"][done].tolist(), strict=True):
        by_path[p] = by_path.get(p, 0) + int(b)
    return {
        "cycles": int(np.count_nonzero(done)),
        "blocked": int(np.count_nonzero(tried & (out == Outcome.BLOCKED))),
        "absent_hours": float(r["value"][done].sum() / 3600.0),
        "bytes": int(r["bytes"][done].sum()),
        "bytes_by_path": dict(sorted(by_path.items())),
        "max_queue_wait_s": float(r["wait"][done].max()) if done.any() else 0.0,
    }


def exposure_metrics(r: Records, world: NameTables, at_end: Mapping[tuple[str, ...], int],
                     until: float) -> dict[str, Any]:
    """What got in (the spec's exposure), from records ``r``, the end counts ``at_end``
    (:func:`sim.engine.endstate.exposure_at_end`) and the run's length ``until`` (seconds).

    ``installed`` and ``updated`` count :func:`exposure_operations` by extension, in all and
    split by whether the machine was locked down when it happened (``_through_lockdown``: a
    lockdown let it in; ``_without_lockdown``: a machine not covered); ``total``,
    ``through_lockdown`` and ``without_lockdown`` add both kinds up. ``machine_hours`` is the
    time machines spent with a script-capable extension installed and runnable (R24),
    ``machines_at_start`` and ``machines_at_end`` how many were so; ``present_at_end`` the
    machines with each script-capable extension installed at the end; ``open_paths_at_end``
    the machines with each open override path (``any``: at least one); ``machines_open_to``
    the machines where each actor holding an Azure role could use an open path, and
    ``open_path_holders`` who those actors are, per path (R17, R27).
    """
    op, out, lockdown = r["operation"], r["outcome"], r["lockdown"]
    locked = locked_down(lockdown)
    found: dict[str, Any] = {"total": 0, "through_lockdown": 0, "without_lockdown": 0}
    for kind in EXPOSURE_OPS:
        done = exposure_operations(op, out, lockdown, kind)
        for suffix, mask in (("", done), ("_through_lockdown", done & locked),
                             ("_without_lockdown", done & ~locked)):
            found[kind + suffix] = _counts([world.ext_ids[x].name
                                            for x in r["extension"][mask].tolist()])
            found[suffix.lstrip("_") or "total"] += int(np.count_nonzero(mask))
    return {**found, **_exposure_time(r, at_end, until), **_exposure_at_end(at_end)}


def _exposure_time(r: Records, at_end: Mapping[tuple[str, ...], int],
                   until: float) -> dict[str, Any]:
    """Machines exposed at the start and the end, and the machine-hours in between: each
    record's ``exposed`` change, counted back from the machines exposed at the end (the sum is
    exactly rounded, so it does not depend on how a run was split)."""
    exposed = r["exposed"]
    changed = exposed != 0
    deltas = exposed[changed].astype(np.float64)
    end = int(at_end.get(("machines",), 0))
    seconds = math.fsum([end * until, *(-(deltas * r["time"][changed])).tolist()])
    return {"machine_hours": seconds / 3600.0, "machines_at_start": end - int(deltas.sum()),
            "machines_at_end": end}


def _exposure_at_end(at_end: Mapping[tuple[str, ...], int]) -> dict[str, Any]:
    present = {key[1]: n for key, n in at_end.items() if key[0] == "present" and n}
    holders: dict[str, list[str]] = {p.value: [] for p in OverridePath}
    for key, n in at_end.items():
        if key[0] == "holder" and n:
            holders[key[1]].append(f"{key[2]} ({_role_name(key[3])})")
    return {
        "present_at_end": dict(sorted(present.items())),
        "open_paths_at_end": {path: int(at_end.get(("open", path), 0))
                              for path in (*(p.value for p in OverridePath), "any")},
        "machines_open_to": dict(sorted((key[1], n) for key, n in at_end.items()
                                        if key[0] == "open_to")),
        "open_path_holders": holders,
    }


def _role_name(role: str) -> str:
    """A lower-case role as Azure writes it (``resource policy contributor`` -> ``Resource
    Policy Contributor``)."""
    return " ".join(word.capitalize() for word in role.split())


def coverage(world: World) -> dict[str, int]:
    """State at the end: drift between machines and Azure, stopped extensions, old agents."""
    if not world.started:
        return {}
    n, e = world.n_machines, world.n_ext
    inst = np.frombuffer(world.s_inst, dtype=np.int16).reshape(n, e)
    want = np.frombuffer(world.s_want, dtype=np.int16).reshape(n, e)
    prov = np.frombuffer(world.s_prov, dtype=np.int8).reshape(n, e)
    enabled = np.array([c.manager_enabled for c in world.controls])[
        np.frombuffer(world.m_cfg, dtype=np.int32)]
    manager_hosted = ~np.array(world.x_service_hosted[:e] + [False] * (e - len(
        world.x_service_hosted)))
    stopped = (inst >= 0) & manager_hosted[None, :] & ~enabled[:, None]
    drift = ((prov == Prov.SUCCEEDED) & (inst != want)) | ((inst >= 0) & (prov == Prov.NONE))
    locked = np.array([c.has_lockdown for c in world.configs])[
        np.frombuffer(world.m_cfg, dtype=np.int32)]
    too_old = np.array([c.version < _LISTS for c in world.configs])[
        np.frombuffer(world.m_cfg, dtype=np.int32)]
    return {
        "machines": n,
        "machines_locked_down": int(locked.sum()),
        "machines_too_old_for_controls": int(too_old.sum()),
        "machines_with_drift": int(drift.any(axis=1).sum()),
        "extensions_not_running": int(stopped.sum()),
        "extensions_failed": int((prov == Prov.FAILED).sum()),
        "stale_versions": int(((inst >= 0) & (want >= 0) & (inst != want)).sum()),
    }

