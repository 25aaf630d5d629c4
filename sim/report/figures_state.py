"""Figures of how things stood: lockdown coverage, overrides, provisioning states.

Each function takes a :class:`~sim.report.view.RunView` and returns a
:class:`~matplotlib.figure.Figure`; with nothing of its kind in the run it returns an
:func:`~sim.report.plotting.empty` figure that says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.report import plotting as p
from sim.report.derive import COVERAGE, PROVISIONING, lockdown_coverage, provisioning_states
from sim.report.palette import COVERAGE_COLOURS, PROVISIONING_COLOURS, series_colours
from sim.report.view import RunView
from sim.results.selections import overridden, override_actions

COVERAGE_TITLE = "Lockdown coverage over time"
OVERRIDES_TITLE = "Overrides over time, by actor"
PROVISIONING_TITLE = "Extension resources by provisioning state over time"


def lockdown_coverage_figure(view: RunView) -> Figure:
    """The fleet's machines, stacked by lockdown state: locked down, refused (agent too old),
    lockdown lifted, not locked down."""
    frame = lockdown_coverage(view)
    if frame.empty:
        return p.empty(COVERAGE_TITLE, "No lockdown in this run: no machine had an allowlist, "
                                       "a blocklist, monitor mode or a disabled extension "
                                       "manager.")
    end = frame.iloc[-1]
    series = {f"{state} ({int(end[state]):,} at the end)": frame[state].to_numpy(np.float64)
              for state in COVERAGE}
    colours = {label: COVERAGE_COLOURS[state] for label, state in zip(series, COVERAGE,
                                                                      strict=True)}
    fig, (ax,) = p.figure(3.8)
    p.stacked_steps(ax, view.axis.scale(frame.index), series, colours)
    p.time_axis(ax, view.axis)
    p.count_axis(ax, "machines")
    ax.set_ylim(0, int(end.sum()) * 1.02)
    p.legend(ax)
    share = end[COVERAGE[0]] / max(1, int(end.sum()))
    p.title(fig, f"{COVERAGE_TITLE}: the fleet's {int(end.sum()):,} machines",
            f"{share:.0%} locked down at the end")
    return fig


def overrides_figure(view: RunView) -> Figure:
    """Operations let through by an override, cumulative per actor who lifted the protection
    (R16, R17), above the override actions themselves."""
    r = view.records
    through = r[overridden(view.codes)]
    actions = r[override_actions(view.codes)]
    if through.empty and actions.empty:
        return p.empty(OVERRIDES_TITLE, "No override: no protection was lifted or bypassed "
                                        "(R16, R17).")
    actors = sorted({str(a) for a in pd.concat([through["actor"], actions["actor"]]).dropna()})
    colours = series_colours(actors)
    fig, axes = p.figure(4.8, rows=2, heights=(3, 1))
    for actor in actors:
        times = view.axis.scale(through.loc[through["actor"] == actor, "time"])
        if len(times):
            steps = np.concatenate([[0.0], times, [view.axis.end]])
            counts = np.concatenate([[0], np.arange(1, len(times) + 1), [len(times)]])
            axes[0].step(steps, counts, where="post", color=colours[actor],
                         label=f"{actor} ({len(times):,})")
    p.count_axis(axes[0], "operations let through (cumulative)")
    p.legend(axes[0])
    _actions_panel(axes[1], view, actions, actors, colours)
    for ax in axes:
        p.time_axis(ax, view.axis, label=ax is axes[-1])
    p.title(fig, OVERRIDES_TITLE, f"{len(through):,} operations succeeded only because a "
                                  f"protection was lifted; {len(actions):,} override actions")
    return fig


def _actions_panel(ax: Axes, view: RunView, actions: pd.DataFrame, actors: list[str],
                   colours: dict[str, str]) -> None:
    """One row per actor, a marker at each override action (policy removed, exempted)."""
    for row, actor in enumerate(actors):
        times = view.axis.scale(actions.loc[actions["actor"] == actor, "time"])
        ax.scatter(times, np.full(len(times), row), marker="D", s=36, color=colours[actor])
    ax.set_yticks(range(len(actors)), actors)
    ax.set_ylim(-0.6, len(actors) - 0.4)
    ax.set_title("override actions (policy assignment removed or exempted, local configuration "
                 "rewritten)", loc="left", fontsize=9)
    ax.grid(axis="y", visible=False)


def provisioning_figure(view: RunView) -> Figure:
    """Resources ``Succeeded`` (top) and those in progress or ``Failed`` (bottom, stacked)
    over time (R6c)."""
    frame = provisioning_states(view)
    if int(frame.to_numpy().sum()) == 0:
        return p.empty(PROVISIONING_TITLE, "No extension resource existed during this run.")
    fig, axes = p.figure(5.0, rows=2, heights=(1, 1.4))
    t = view.axis.scale(frame.index)
    axes[0].step(t, frame["Succeeded"], where="post", color=PROVISIONING_COLOURS["Succeeded"],
                 label="Succeeded")
    p.count_axis(axes[0], "resources")
    axes[0].set_ylim(0, max(1, int(frame["Succeeded"].max())) * 1.1)
    p.legend(axes[0])
    others = [s for s in PROVISIONING if s != "Succeeded"]
    series = {s: frame[s].to_numpy(np.float64) for s in others}
    p.stacked_steps(axes[1], t, series, PROVISIONING_COLOURS)
    p.count_axis(axes[1], "resources")
    axes[1].set_ylim(0, max(1.0, float(np.vstack(list(series.values())).sum(axis=0).max()) * 1.1))
    p.legend(axes[1])
    for ax in axes:
        p.time_axis(ax, view.axis, label=ax is axes[-1])
    end = frame.iloc[-1]
    p.title(fig, PROVISIONING_TITLE, f"at the end: {int(end['Succeeded']):,} Succeeded, "
                                     f"{int(end['Failed']):,} Failed (sampled "
                                     f"{len(frame) - 1} times over the run)")
    return fig


__all__ = ["COVERAGE_TITLE", "OVERRIDES_TITLE", "PROVISIONING_TITLE",
           "lockdown_coverage_figure", "overrides_figure", "provisioning_figure"]
