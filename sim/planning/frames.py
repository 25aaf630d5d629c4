"""The plan's pandas frames, from evaluated situations and the machines in each.

Per machine (:func:`per_machine`): ``verdicts`` (one row per machine and installed or requested
extension), ``machines``, ``refusals`` (one row per machine and refused runbook line),
``open_paths`` (one row per machine and open override path). Summaries, from the situations
weighted by their machine counts (:func:`summaries`): ``summary`` (extension x action x
outcome), ``unreachable`` (refused lines by group and agent version) and ``paths`` (per open
path: the permissions it needs, the actors who hold them, the Azure roles that have them, the
extensions behind it, machines).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.planning.broadcast import Row, broadcast, column
from sim.planning.evaluate import Evaluation
from sim.planning.situations import Placement, machine_counts
from sim.rules.config import AgentConfig, key_available
from sim.rules.exposure import OpenPath, Permission, permissions, roles_with
from sim.rules.impact import Action, Verdict

ACTIONS: tuple[str, ...] = ("running", *(a.value for a in Action))
"""The plan's questions about an extension, in column order: R24, then each request."""
_KEYS = ("config.mode", "extensions.allowlist", "extensions.blocklist", "extensions.enabled",
         "guestconfiguration.enabled")
CONFIG_COLUMNS = ("mode", "allowlist", "blocklist", "extensions_enabled", "guest_configuration")
"""The machines frame's configuration columns: ``azcmagent config get`` of :data:`_KEYS`
after the lockdown ("" where the agent has no such key)."""


def roles_for(needs: frozenset[Permission]) -> str:
    """The Azure roles that have every permission of ``needs`` (R27), as Azure names them."""
    return ", ".join(" ".join(w.capitalize() for w in n.split()) for n in roles_with(needs))


def holders(path: OpenPath, actors: Sequence[tuple[str, str]]) -> str:
    """``actor (role)`` of each actor whose role can use ``path``, comma-separated."""
    return ", ".join(f"{name} ({role})" for name, role in actors
                     if path.needs <= permissions(role))


def _verdict_cells(v: Verdict | None) -> Row:
    return (None, None, None) if v is None else (v.outcome.value, v.reason, v.rule)


def verdict_rows(evaluation: Evaluation) -> list[Row]:
    """One row per extension: extension, status, then outcome, reason, rule per action."""
    rows = []
    for r in evaluation.rows:
        cells: list[Any] = [r.extension.name, r.status, *_verdict_cells(r.running)]
        for action in Action:
            cells += _verdict_cells(r.verdicts.get(action))
        rows.append(tuple(cells))
    return rows


VERDICT_COLUMNS = ("extension", "status",
                   *(f"{a}{part}" for a in ACTIONS for part in ("", "_reason", "_rule")))


def _config_cells(config: AgentConfig) -> Row:
    return tuple(config.value_text(k) if key_available(k, config.version) else ""
                 for k in _KEYS)


def per_machine(placement: Placement, evaluations: Sequence[Evaluation], names: Any,
                group_names: Sequence[str], actors: Sequence[tuple[str, str]]
                ) -> dict[str, pd.DataFrame]:
    """The per-machine frames (see the module docstring); ``names`` are the machines'
    names, one per machine."""
    sit = placement.situation
    ident = {"machine": np.arange(sit.shape[0], dtype=np.int64), "name": names,
             "group": pd.Categorical.from_codes(placement.group,
                                                categories=pd.Index(list(group_names))),
             "agent_version": column(sit, list(placement.situation_version))}

    def frame(rows: list[list[Row]], columns: Sequence[str]) -> pd.DataFrame:
        index, out = broadcast(sit, rows, columns)
        front = {k: (v[index] if isinstance(v, np.ndarray) else v.take(index))
                 for k, v in ident.items()}
        return pd.DataFrame({**front, **out})

    refusal_rows = [[(r.line.number, r.line.text, r.code.value, r.rule, r.message)
                     for r in e.outcome.refusals] for e in evaluations]
    path_rows = [[(p.path.value, p.rule, ", ".join(x.name for x in p.extensions),
                   ", ".join(sorted(p.needs)), holders(p, actors)) for p in e.paths]
                 for e in evaluations]
    return {
        "verdicts": frame([verdict_rows(e) for e in evaluations], VERDICT_COLUMNS),
        "machines": pd.DataFrame({**ident, **_machine_columns(placement, evaluations)}),
        "refusals": frame(refusal_rows, ("line", "command", "code", "rule", "message")),
        "open_paths": frame(path_rows, ("path", "rule", "extensions", "needs", "who")),
    }


def _machine_columns(placement: Placement, evaluations: Sequence[Evaluation]
                     ) -> dict[str, Any]:
    sit = placement.situation
    runbooks = [s.runbook.source if s.runbook is not None else "" for s in placement.situations]
    cells: dict[AgentConfig, Row] = {}
    configs = [cells.get(c) or cells.setdefault(c, _config_cells(c))
               for c in (e.outcome.state.config for e in evaluations)]
    out: dict[str, Any] = {
        "os": column(sit, [s.os for s in placement.situations]),
        "lockdown": column(sit, runbooks),
        "reached": np.array([s.runbook is not None and bool(s.runbook.lines) and e.outcome.reached
                             for s, e in zip(placement.situations, evaluations, strict=True)],
                            dtype=bool)[sit],
        "refused": np.array([len(e.outcome.refusals) for e in evaluations], dtype=np.int64)[sit],
        "service_running": np.array([e.outcome.state.service_running for e in evaluations],
                                    dtype=bool)[sit],
        "open_paths": column(sit, [", ".join(p.path.value for p in e.paths)
                                   for e in evaluations]),
    }
    for k, name in enumerate(CONFIG_COLUMNS):
        out[name] = column(sit, [c[k] for c in configs])
    return out


def summaries(placement: Placement, evaluations: Sequence[Evaluation],
              group_names: Sequence[str], actors: Sequence[tuple[str, str]]
              ) -> dict[str, pd.DataFrame]:
    """``summary``, ``unreachable`` and ``paths`` (see the module docstring)."""
    counts = machine_counts(placement)
    verdicts: Counter[Row] = Counter()
    refused: Counter[Row] = Counter()
    paths: dict[Row, list[Any]] = {}
    for i, n in counts.items():
        e, s = evaluations[i], placement.situations[i]
        for row in e.rows:
            for action, v in (("running", row.running), *row.verdicts.items()):
                if v is not None:
                    verdicts[(row.extension.name, str(action), v.outcome.value, v.reason,
                              v.rule)] += n
        group = group_names[placement.situation_group[i]]
        source = s.runbook.source if s.runbook is not None else ""
        for r in e.outcome.refusals:
            refused[(group, placement.situation_version[i], source, r.line.number,
                     r.line.text, r.code.value, r.rule, r.message)] += n
        for p in e.paths:
            entry = paths.setdefault((p.path.value, p.rule, ", ".join(sorted(p.needs)),
                                      holders(p, actors), roles_for(p.needs)), [0, {}])
            entry[0] += n
            entry[1].update((x.name, None) for x in p.extensions)
    return {"summary": _summary_frame(verdicts), "unreachable": _counted(
        refused, ("group", "agent_version", "lockdown", "line", "command", "code", "rule",
                  "message")), "paths": _paths_frame(paths)}


def _summary_frame(counted: Mapping[Row, int]) -> pd.DataFrame:
    order = {a: i for i, a in enumerate(ACTIONS)}
    rows = sorted(counted.items(), key=lambda kv: (kv[0][0].lower(), order[kv[0][1]], kv[0][2:]))
    frame = pd.DataFrame([(*k, n) for k, n in rows],
                         columns=["extension", "action", "outcome", "reason", "rule",
                                  "machines"])
    return frame.astype({"machines": np.int64})


def _counted(counted: Mapping[Row, int], columns: Sequence[str]) -> pd.DataFrame:
    frame = pd.DataFrame([(*k, n) for k, n in counted.items()], columns=[*columns, "machines"])
    return frame.astype({"machines": np.int64})


def _paths_frame(paths: Mapping[Row, list[Any]]) -> pd.DataFrame:
    rows = [(*key, ", ".join(sorted(exts, key=str.lower)), n)
            for key, (n, exts) in paths.items()]
    frame = pd.DataFrame(rows, columns=["path", "rule", "needs", "who", "roles", "extensions",
                                        "machines"])
    return frame.astype({"machines": np.int64})


def machine_names(group_names: Sequence[str], counts: Sequence[int],
                  given: Mapping[str, Sequence[str]] | None) -> npt.NDArray[np.object_]:
    """Each machine's name: an export's, else ``machine-<7-digit id>`` as the activity log
    and inventory export of a run name it."""
    from sim.results.inventory_export import machine_name

    if given is None:
        return np.array([machine_name(m) for m in range(sum(counts))], dtype=object)
    names: list[str] = []
    for name, count in zip(group_names, counts, strict=True):
        own = list(given.get(name, ()))[:count]
        first = len(names)
        names += own + [machine_name(first + k) for k in range(len(own), count)]
    return np.array(names, dtype=object)


__all__ = ["ACTIONS", "CONFIG_COLUMNS", "VERDICT_COLUMNS", "holders", "machine_names",
           "per_machine", "roles_for", "summaries", "verdict_rows"]
