"""Drawing helpers shared by every figure: figures without pyplot, empty-data figures, time
axes, stacked bars and areas, PNG output.

Figures are :class:`matplotlib.figure.Figure` objects drawn on the Agg canvas: no display, no
pyplot state, nothing left open between runs. PNG files carry no timestamp or software
metadata, so the same data gives the same bytes.
"""

from __future__ import annotations

import io
import textwrap
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from sim.report.view import TimeAxis

DPI = 100
WIDTH = 9.0
"""Figure width in inches (900 px at :data:`DPI`)."""
LEGEND_WIDTH = 2.1
"""Inches kept right of the plots for their legends."""
LEGEND_CHARS = 26
"""Legend labels longer than this wrap."""
TITLE_SIZE = 12
_STYLE: dict[Any, Any] = {"font.size": 9.5, "axes.titlesize": TITLE_SIZE, "axes.spines.top": False,
          "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3,
          "legend.frameon": False, "figure.facecolor": "white"}


_LEGEND_SLOTS: weakref.WeakKeyDictionary[Axes, Axes] = weakref.WeakKeyDictionary()
"""Plot axes -> the axes beside it that holds its legend."""


def house_style() -> Any:
    """A context in which figures are drawn and saved in the house style (fonts, grid,
    spines); rcParams are read when artists are made, so draw and save inside it."""
    return matplotlib.rc_context(_STYLE)


def figure(height: float = 4.0, rows: int = 1, *,
           heights: Sequence[float] | None = None) -> tuple[Figure, list[Axes]]:
    """A new figure of :data:`WIDTH` x ``height`` inches with ``rows`` axes sharing x, and a
    column of :data:`LEGEND_WIDTH` inches on the right for their legends (:func:`legend`), so
    the time axes of every figure line up in a report."""
    fig = Figure(figsize=(WIDTH, height), dpi=DPI, layout="constrained")
    grid = fig.add_gridspec(rows, 2, width_ratios=[WIDTH - LEGEND_WIDTH, LEGEND_WIDTH],
                            height_ratios=list(heights) if heights is not None else None)
    axes: list[Axes] = []
    for row in range(rows):
        ax = fig.add_subplot(grid[row, 0], sharex=axes[0] if axes else None)
        if row < rows - 1:
            ax.tick_params(labelbottom=False)
        slot = fig.add_subplot(grid[row, 1])
        slot.set_axis_off()
        _LEGEND_SLOTS[ax] = slot
        axes.append(ax)
    return fig, axes


def empty(title: str, message: str) -> Figure:
    """A figure that says plainly that nothing of this kind happened."""
    fig = Figure(figsize=(WIDTH, 2.2), dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.set_title(title, fontsize=TITLE_SIZE, loc="left", fontweight="bold")
    ax.text(0.5, 0.45, message, ha="center", va="center", fontsize=11, color="#555555",
            wrap=True, transform=ax.transAxes)
    return fig


def title(fig: Figure, text: str, subtitle: str = "") -> None:
    """The figure's title (what is shown) and an optional line under it, wrapped to the
    figure's width (long counts at fleet scale would run off its right edge)."""
    columns = max(20, int(fig.get_figwidth() * 72 / (0.62 * TITLE_SIZE)))
    lines = [text, *textwrap.wrap(subtitle, columns)] if subtitle else [text]
    fig.suptitle("\n".join(lines), x=0.01, ha="left", fontsize=TITLE_SIZE,
                 fontweight="bold")


def time_axis(ax: Axes, axis: TimeAxis, *, label: bool = True,
              span: tuple[float, float] | None = None) -> None:
    """x limits (the run, or ``span`` in axis units) and the time label."""
    low, high = span if span is not None else (0.0, axis.end)
    ax.set_xlim(low, high)
    if label:
        ax.set_xlabel(axis.label)


def count_axis(ax: Axes, label: str) -> None:
    """A y axis of counts: integer ticks from 0, written out with thousands separators (no
    "1e6" offset above the axis at fleet scale)."""
    ax.set_ylabel(label)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:,.0f}"))
    ax.set_ylim(bottom=0)


def stacked_bars(ax: Axes, x: npt.NDArray[np.float64], width: float,
                 series: Mapping[str, npt.NDArray[np.float64]],
                 colours: Mapping[str, str]) -> None:
    """Bars at ``x`` (centres) stacked in the order of ``series``; labels for the legend."""
    bottom = np.zeros(len(x))
    for name, values in series.items():
        ax.bar(x, values, width=width, bottom=bottom, color=colours[name], label=name,
               linewidth=0)
        bottom = bottom + values


def stacked_steps(ax: Axes, x: npt.NDArray[np.float64],
                  series: Mapping[str, npt.NDArray[np.float64]],
                  colours: Mapping[str, str]) -> None:
    """Areas that hold their value until the next instant, stacked in order."""
    bottom = np.zeros(len(x))
    for name, values in series.items():
        top = bottom + values
        ax.fill_between(x, bottom, top, step="post", color=colours[name], label=name,
                        linewidth=0)
        bottom = top


def legend(ax: Axes) -> None:
    """The legend of ``ax`` in its slot right of it (when anything is labelled); long labels
    are wrapped to fit."""
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return
    wrapped = [textwrap.fill(label, LEGEND_CHARS) for label in labels]
    slot = _LEGEND_SLOTS.get(ax)
    if slot is None:
        ax.legend(handles, wrapped, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8.5)
        return
    slot.legend(handles, wrapped, loc="upper left", borderaxespad=0.0, fontsize=8.5)


SIZE_UNITS = (("GB", 1e9), ("MB", 1e6), ("kB", 1e3), ("bytes", 1.0))


def size_unit(largest: float) -> tuple[str, float]:
    """The decimal unit that shows ``largest`` bytes as a number from 1 up."""
    return next(((name, factor) for name, factor in SIZE_UNITS if largest >= factor),
                SIZE_UNITS[-1])


def save_png(fig: Figure, path: Path) -> None:
    """Write ``fig`` as a PNG file without metadata that changes between runs."""
    fig.savefig(path, format="png", dpi=DPI, metadata={"Software": None})


def png_bytes(fig: Figure) -> bytes:
    """``fig`` as PNG bytes (as :func:`save_png` writes them)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


__all__ = [
    "DPI",
    "WIDTH",
    "count_axis",
    "empty",
    "figure",
    "house_style",
    "legend",
    "png_bytes",
    "save_png",
    "size_unit",
    "stacked_bars",
    "stacked_steps",
    "time_axis",
    "title",
]
