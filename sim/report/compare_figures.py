"""Overlay figures of several runs: one line (or bar) per run, in the run's colour.

Runs may differ in length and start date, so the time axis counts from each run's own start.
Colours here tell runs apart (in the order given); reasons, where shown, are named on the
axis rather than coloured, so the reason colours of the single-run figures keep one meaning.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.report import plotting as p
from sim.report.derive import COVERAGE, lockdown_coverage
from sim.report.palette import series_colours
from sim.report.view import RunView, TimeAxis
from sim.results.selections import Codes, blocked, overridden, reinstalled


@dataclass(frozen=True)
class Compared:
    """The runs of a comparison, labelled, with a shared time axis and a colour each."""

    views: Sequence[RunView]
    labels: Sequence[str]

    @property
    def axis(self) -> TimeAxis:
        longest = max(v.scenario.duration for v in self.views)
        return TimeAxis.of(longest, None)

    @property
    def colours(self) -> dict[str, str]:
        return series_colours(self.labels)

    def style(self, label: str) -> dict[str, Any]:
        """Colour and dash of a run's line (dashes show runs whose lines coincide)."""
        dash = _DASHES[self.labels.index(label) % len(_DASHES)]
        return {"color": self.colours[label], "linestyle": dash, "linewidth": 1.6}

    def pairs(self) -> list[tuple[str, RunView]]:
        return list(zip(self.labels, self.views, strict=True))


Selector = Callable[[Codes], npt.NDArray[np.bool_]]
"""A mask of :mod:`sim.results.selections`, read from a run's :attr:`RunView.codes`."""
_DASHES = ("-", "--", ":", "-.")


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _cumulative(ax: Axes, runs: Compared, select: Selector,
                weights: Callable[[pd.DataFrame], npt.NDArray[np.float64]] | None = None,
                scale: float = 1.0) -> float:
    """One cumulative step line per run; returns the largest final value."""
    axis, top = runs.axis, 0.0
    for label, view in runs.pairs():
        r = view.records
        mask = select(view.codes)
        times = axis.scale(r["time"].to_numpy(np.float64)[mask])
        w = (np.ones(len(times)) if weights is None else weights(r)[mask]) / scale
        values = np.concatenate([[0.0], np.cumsum(w), [float(w.sum())]])
        steps = np.concatenate([[0.0], times, [view.scenario.duration / axis.unit]])
        ax.step(steps, values, where="post", **runs.style(label),
                label=f"{label} ({_number(values[-1])})")
        top = max(top, float(values[-1]))
    return top


def _bytes(r: pd.DataFrame) -> npt.NDArray[np.float64]:
    return r["bytes"].to_numpy(np.float64)


def _total(runs: Compared, select: Selector) -> int:
    return sum(int(select(v.codes).sum()) for v in runs.views)


def cumulative_figure(runs: Compared, title: str, ylabel: str, select: Selector,
                      nothing: str) -> Figure:
    """Cumulative count of the selected records over time, one line per run."""
    if _total(runs, select) == 0:
        return p.empty(title, nothing)
    fig, (ax,) = p.figure(3.8)
    _cumulative(ax, runs, select)
    p.time_axis(ax, runs.axis)
    p.count_axis(ax, ylabel)
    p.legend(ax)
    p.title(fig, title)
    return fig


def blocked_by_reason(runs: Compared) -> Figure:
    """Grouped bars: blocked operations per reason, one bar per run."""
    title = "Blocked operations by reason, per run"
    tables = {label: view.records[blocked(view.codes)]["reason"].astype(str)
              .value_counts() for label, view in runs.pairs()}
    reasons = sorted({str(k) for t in tables.values() for k in t.index})
    if not reasons:
        return p.empty(title, "None of the runs blocked anything.")
    fig, (ax,) = p.figure(3.2 + 0.15 * len(reasons) * len(runs.labels))
    width = 0.8 / len(runs.labels)
    x = np.arange(len(reasons))
    for i, label in enumerate(runs.labels):
        counts = np.array([tables[label].get(r, 0) for r in reasons], dtype=np.float64)
        ax.bar(x + (i - (len(runs.labels) - 1) / 2) * width, counts, width=width,
               color=runs.colours[label], label=label)
    ax.set_xticks(x, reasons)
    p.count_axis(ax, "blocked operations (whole run)")
    ax.grid(axis="x", visible=False)
    p.legend(ax)
    p.title(fig, title)
    return fig


def churn(runs: Compared) -> Figure:
    """Cumulative reinstalls and bytes downloaded again, one line per run."""
    title = "Reinstall churn, cumulative, per run"
    if _total(runs, reinstalled) == 0:
        return p.empty(title, "None of the runs had reinstall churn (R6).")
    fig, axes = p.figure(5.6, rows=2)
    _cumulative(axes[0], runs, reinstalled)
    p.count_axis(axes[0], "reinstalls")
    largest = max(float(_bytes(v.records)[reinstalled(v.codes)].sum()) for v in runs.views)
    unit, factor = p.size_unit(largest)
    _cumulative(axes[1], runs, reinstalled, _bytes, factor)
    axes[1].set_ylabel(f"{unit} downloaded again")
    axes[1].set_ylim(bottom=0)
    for ax in axes:
        p.time_axis(ax, runs.axis, label=ax is axes[-1])
        p.legend(ax)
    p.title(fig, title)
    return fig


def coverage(runs: Compared) -> Figure:
    """Share of the fleet's machines locked down over time, one line per run."""
    title = "Lockdown coverage: share of machines locked down, per run"
    frames = {label: lockdown_coverage(view) for label, view in runs.pairs()}
    if all(f.empty for f in frames.values()):
        return p.empty(title, "None of the runs has a lockdown.")
    fig, (ax,) = p.figure(3.8)
    for label, frame in frames.items():
        if frame.empty:
            continue
        share = frame[COVERAGE[0]] / frame.sum(axis=1).clip(lower=1)
        ax.step(runs.axis.scale(frame.index), 100 * share, where="post", **runs.style(label),
                label=f"{label} ({share.iloc[-1]:.0%} at the end)")
    p.time_axis(ax, runs.axis)
    ax.set_ylabel("% of machines locked down")
    ax.set_ylim(0, 102)
    p.legend(ax)
    p.title(fig, title)
    return fig


BLOCKED_TITLE = "Blocked operations, cumulative, per run"
OVERRIDES_TITLE = "Operations let through by an override, cumulative, per run"
OVERLAYS: tuple[tuple[str, str, Callable[[Compared], Figure]], ...] = (
    ("compare-blocked", BLOCKED_TITLE, lambda runs: cumulative_figure(
        runs, BLOCKED_TITLE, "blocked operations", blocked,
        "None of the runs blocked anything.")),
    ("compare-blocked-by-reason", "Blocked operations by reason, per run", blocked_by_reason),
    ("compare-churn", "Reinstall churn, cumulative, per run", churn),
    ("compare-overrides", OVERRIDES_TITLE, lambda runs: cumulative_figure(
        runs, OVERRIDES_TITLE, "operations let through", overridden,
        "None of the runs had an override.")),
    ("compare-coverage", "Lockdown coverage: share of machines locked down, per run",
     coverage),
)
"""The overlay figures: file stem, title and drawing function."""


__all__ = ["OVERLAYS", "Compared", "blocked_by_reason", "churn", "coverage",
           "cumulative_figure"]
