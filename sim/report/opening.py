"""The rows of the report's opening: what was blocked, beside what got in.

Both read only the run's metrics (:mod:`sim.engine.metrics` says what each counts), as
``(label, number, details)`` rows for a headline table (:mod:`sim.report.content` lays them
out side by side). What got in is the spec's exposure: operations on script-capable
extensions (R7) that succeeded, split by whether a lockdown let them in; the machine-hours a
script-capable extension was installed and runnable (R24); what is present at the end; and
the override paths left open, with who could use them (R17, R27).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sim.quantities import short_names

Row = tuple[str, str, str]

PATH_NAMES = {"script_extension": "a script-capable extension allowed",
              "guest_configuration": "guest configuration on",
              "no_lockdown": "no lockdown", "agent_too_old": "agent too old for controls"}
"""Each open override path, as the report names it."""


def get(metrics: Mapping[str, Any], path: str, default: Any = 0) -> Any:
    """The value at dotted ``path`` in ``metrics`` (``default`` where absent)."""
    value: Any = metrics
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return default
        value = value[part]
    return value


def number(value: Any) -> str:
    """``1,234`` for an integer, ``1,234.5`` for a float."""
    return f"{value:,}" if isinstance(value, int) else f"{float(value):,.1f}"


def listing(table: Mapping[str, Any], *, names: bool = False, most: int = 6) -> str:
    """``a 3, b 2`` from a table of counts, largest first; "none" when empty; ``+ N more``
    past ``most`` entries. ``names``: the keys are extension names, shown as their types
    (whole where two share a type, :func:`sim.quantities.short_names`)."""
    items = sorted(table.items(), key=lambda kv: (-float(kv[1]), kv[0]))
    shown_as = short_names(table) if names else {k: k for k in table}
    shown = [f"{shown_as[k]} {number(v)}" for k, v in items[:most]]
    if len(items) > most:
        shown.append(f"+ {len(items) - most} more")
    return ", ".join(shown) or "none"


def blocked_rows(metrics: Mapping[str, Any]) -> list[Row]:
    """What was blocked: operations a control stopped, by reason, operation and extension."""
    def g(path: str) -> Any:
        return get(metrics, path)

    by_op = {op: sum((g(f"blocked.{op}") or {}).values())
             for op in ("install", "update", "upgrade", "reinstall")}
    refused = sum((g("commands_refused") or {}).values())
    return [
        ("Blocked operations", number(g("blocked.total")),
         f"by reason: {listing(g('blocked.by_reason') or {})}"),
        ("By operation", number(sum(by_op.values())),
         ", ".join(f"{op} {number(n)}" for op, n in by_op.items() if n) or "none"),
        ("Extensions blocked", number(len(g("blocked.by_extension") or {})),
         listing(g("blocked.by_extension") or {}, names=True)),
        ("Denied by Azure Policy", number(g("policy.denied")),
         f"{number(g('policy.authorization_failed'))} refused for lack of a role (R27)"),
        ("Commands refused", number(refused),
         f"by reason: {listing(g('commands_refused') or {})}"),
    ]


def exposure_rows(metrics: Mapping[str, Any]) -> list[Row]:
    """What got in: script-capable extensions that succeeded, time exposed, what is left."""
    def g(path: str) -> Any:
        return get(metrics, f"exposure.{path}")

    installed, updated = g("installed") or {}, g("updated") or {}
    machines = get(metrics, "coverage.machines")
    return [
        ("Script-capable operations that succeeded", number(g("total")),
         f"{number(g('through_lockdown'))} through a lockdown that let them in, "
         f"{number(g('without_lockdown'))} on machines without one"),
        ("Installed (or put back by resync)", number(sum(installed.values())),
         listing(installed, names=True)),
        ("Updated (new settings, a new script)", number(sum(updated.values())),
         listing(updated, names=True)),
        ("Machine-hours exposed", number(float(g("machine_hours"))),
         f"a script-capable extension installed and runnable (R24): "
         f"{number(g('machines_at_start'))} machines at the start, "
         f"{number(g('machines_at_end'))} at the end"),
        ("Script-capable extensions left", number(len(g("present_at_end") or {})),
         "machines with each installed at the end: "
         + listing(g("present_at_end") or {}, names=True)),
        ("Open override paths at the end",
         f"{number(g('open_paths_at_end.any'))} of {number(machines)}",
         _paths(g("open_paths_at_end") or {})),
        ("Actors who could use them",
         number(sum(1 for n in (g("machines_open_to") or {}).values() if n)),
         _holders(metrics)),
    ]


def _paths(paths: Mapping[str, Any]) -> str:
    shown = [f"{PATH_NAMES.get(k, k)} {number(v)}" for k, v in paths.items()
             if k != "any" and v]
    return ", ".join(shown) or "none: every machine is locked down with no way left to "\
                               "rewrite it from Azure"


def _holders(metrics: Mapping[str, Any]) -> str:
    holders = get(metrics, "exposure.open_path_holders", {}) or {}
    shown = [f"{PATH_NAMES.get(path, path)}: {', '.join(who)}"
             for path, who in holders.items() if who]
    return "; ".join(shown) or "no actor of the scenario holds a role that could (R27)"


__all__ = ["PATH_NAMES", "Row", "blocked_rows", "exposure_rows", "get", "listing", "number"]
