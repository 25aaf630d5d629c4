"""A sweep's figures: every replication as a point beside its point's mean and interval.

* ``figures/<metric>.png``: the metric against the first parameter (or the variant, when the
  sweep varies nothing else), one series per combination of the other axes; each point's
  replications are drawn as dots just left of its mean and interval, so a spread that an
  interval hides (two groups of runs, one outlier) shows.
* ``figures/differences/<metric>.png`` (sweeps with variants): each variant's paired
  differences from the baseline, one dot per replication, beside their mean and interval, with
  the line of no difference.

File names are the metric paths with every character other than letters, digits, ``.``,
``_`` and ``-`` replaced by ``_`` (:func:`figure_file`): per-extension metrics hold a ``/``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.colors import to_hex

from sim.quantities import in_seconds, time_unit
from sim.results.folder import write_atomically
from sim.runs.sweep_paired import paired
from sim.runs.sweep_stats import LEVEL
from sim.runs.sweep_summary import cell
from sim.scenario.loading import is_duration_key

if TYPE_CHECKING:
    from matplotlib.axes import Axes

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
DIFFERENCES = "differences"
"""The sub-folder of ``figures/`` holding the paired-difference figures."""


def figure_file(metric: str, taken: set[str] | None = None) -> str:
    """``<metric>.png`` with unsafe characters replaced (``blocked.by_extension.Microsoft.
    Compute_CustomScriptExtension.png``); a name already in ``taken`` gets ``-2``, ``-3``..."""
    stem = _UNSAFE.sub("_", metric)
    name, n = f"{stem}.png", 1
    while taken is not None and name in taken:
        n += 1
        name = f"{stem}-{n}.png"
    if taken is not None:
        taken.add(name)
    return name


def figure_files(metrics: Sequence[str]) -> dict[str, str]:
    """Each metric's file name, told apart when two would be the same."""
    taken: set[str] = set()
    return {metric: figure_file(metric, taken) for metric in metrics}


def write_figures(summary: pd.DataFrame, index: pd.DataFrame, axes: Sequence[str],
                  metrics: Sequence[str], folder: Path,
                  differences: pd.DataFrame | None = None) -> list[Path]:
    """Write ``folder/figures/`` (atomically): a figure per metric of ``summary`` with the
    runs of ``index``, and a paired-difference figure per metric of ``differences`` (a
    :func:`sim.runs.sweep_paired.differences_frame`) when it has rows. Returns the metric
    figures' paths."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    files = figure_files(metrics)
    ok = index[index["status"] == "ok"]

    def write(tmp: Path) -> None:
        for metric in metrics:
            figure = Figure(figsize=(6.4, 4.0))
            figure.subplots_adjust(left=0.14, right=0.97, bottom=0.13, top=0.91)
            FigureCanvasAgg(figure)
            plot_metric(figure.add_subplot(), summary[summary["metric"] == metric], ok, axes,
                        metric)
            figure.savefig(tmp / files[metric], dpi=100)
        if differences is None or not len(differences):
            return
        (tmp / DIFFERENCES).mkdir()
        keys = [a for a in axes if a != "variant"]
        for metric in metrics:
            figure = Figure(figsize=(6.4, 4.0))
            figure.subplots_adjust(left=0.14, right=0.97, bottom=0.18, top=0.91)
            FigureCanvasAgg(figure)
            _plot_differences(figure.add_subplot(), ok,
                              differences[differences["metric"] == metric], keys, metric)
            figure.savefig(tmp / DIFFERENCES / files[metric], dpi=100)

    final = write_atomically(folder / "figures", write)
    return [final / files[metric] for metric in metrics]


def _x_axis(axes: Sequence[str]) -> tuple[str | None, list[str]]:
    """The x axis (the first parameter, else the variant) and the axes that make series."""
    keys = [a for a in axes if a != "variant"]
    if keys:
        return keys[0], [a for a in axes if a != keys[0]]
    return ("variant", []) if "variant" in axes else (None, [])


def plot_metric(ax: Axes, rows: pd.DataFrame, runs: pd.DataFrame, axes: Sequence[str],
                metric: str) -> None:
    """Draw ``metric``'s summary ``rows`` (mean and interval per point) on ``ax``, with one
    dot per run of ``runs`` (the index's ok runs) beside its point. A duration axis is drawn
    in minutes, hours or days, as is a metric of seconds (``_s``)."""
    x_key, others = _x_axis(axes)
    numeric = x_key is not None and pd.api.types.is_numeric_dtype(rows[x_key])
    x_unit = axis_unit(rows[x_key]) if numeric and x_key and is_duration_key(x_key) else None
    y_unit = axis_unit(rows["ci_high"]) if in_seconds(metric) else None
    y_scale = y_unit[1] if y_unit else 1.0
    series = list(rows.groupby(others, sort=False)) if others else [((), rows)]
    for j, (label, line) in enumerate(series):
        line = line.sort_values(x_key) if numeric and x_key else line
        x = (line[x_key].to_numpy(dtype=float) if numeric and x_key
             else np.arange(len(line), dtype=float)) / (x_unit[1] if x_unit else 1.0)
        step = _step(x, numeric)
        shift = (j - (len(series) - 1) / 2.0) * 3.0 * step
        name = ", ".join(f"{k}={cell(v, is_duration_key(k))}"
                         for k, v in zip(others, _tuple(label), strict=True))
        mean, low, high = (line[c].to_numpy(dtype=float) / y_scale
                           for c in ("mean", "ci_low", "ci_high"))
        drawn = ax.errorbar(x + shift, mean, yerr=_yerr(mean, low, high), fmt="o-" if numeric
                            else "o", capsize=4, label=name or None)
        colour = to_hex(drawn.lines[0].get_color())
        if numeric:
            ax.fill_between(x + shift, low, high, alpha=0.12, color=colour)
        for xi, point in zip(x, line["point"].tolist(), strict=True):
            if metric in runs:
                values = runs.loc[runs["point"] == point, metric].to_numpy(dtype=float)
                _dots(ax, xi + shift - step, values / y_scale, step, colour)
        if not numeric:
            ax.set_xticks(x, [str(v) for v in line[x_key]] if x_key else ["all runs"])
    ax.set_xlabel((x_key or "") + (f" ({x_unit[0]})" if x_unit else ""))
    ax.set_ylabel(metric + (f" ({y_unit[0]})" if y_unit else ""))
    ax.set_title(f"{metric}: runs (dots), mean and {LEVEL:.0%} interval", fontsize="medium")
    if others:
        ax.legend(fontsize="small")


def _plot_differences(ax: Axes, runs: pd.DataFrame, rows: pd.DataFrame, keys: Sequence[str],
                      metric: str) -> None:
    """Per (setting, variant) row of ``rows``: the paired differences of ``runs`` as dots
    beside their mean and interval."""
    labels: list[str] = []
    baseline = str(rows["baseline"].iloc[0]) if len(rows) else "baseline"
    y_unit = axis_unit(rows["ci_high"].abs()) if in_seconds(metric) and len(rows) else None
    y_scale = y_unit[1] if y_unit else 1.0
    for x, (_, row) in enumerate(rows.iterrows()):
        d = paired(runs, int(row["setting"]), str(row["variant"]), baseline, metric) / y_scale
        mean, low, high = (np.array([float(row[c]) / y_scale])
                           for c in ("mean", "ci_low", "ci_high"))
        ax.errorbar([float(x)], mean, yerr=_yerr(mean, low, high), fmt="o", capsize=4,
                    color="C0")
        _dots(ax, x - 0.12, d, 0.12, "C0")
        where = ", ".join(f"{k}={cell(row[k], is_duration_key(k))}" for k in keys)
        labels.append(f"{row['variant']}\n{where}" if where else str(row["variant"]))
    ax.axhline(0.0, color="0.4", linewidth=0.8, linestyle="--")
    ax.set_xticks(np.arange(len(labels), dtype=float), labels, fontsize="small")
    ax.set_ylabel(f"{metric} difference" + (f" ({y_unit[0]})" if y_unit else ""))
    ax.set_title(f"{metric}: variant - {baseline}, paired by replication", fontsize="medium")


def axis_unit(values: pd.Series) -> tuple[str, float]:
    """Seconds on an axis: in minutes up to two hours, hours up to two days, else days."""
    largest = float(np.nanmax(np.abs(values.to_numpy(dtype=float)))) if len(values) else 0.0
    if largest <= 2 * 3_600.0:
        return "minutes", 60.0
    return time_unit(largest)


def _step(x: npt.NDArray[np.float64], numeric: bool) -> float:
    """How far beside its mean a point's dots go: a little, in the x axis's units."""
    if not numeric:
        return 0.08
    unique = np.unique(x)
    if len(unique) < 2:
        return max(abs(float(unique[0])) * 0.02, 0.02) if len(unique) else 0.02
    return 0.06 * float(np.min(np.diff(unique)))


def _yerr(mean: npt.NDArray[np.float64], low: npt.NDArray[np.float64],
          high: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Error bar lengths below and above (0 where the interval is undefined)."""
    below, above = np.nan_to_num(mean - low), np.nan_to_num(high - mean)
    return np.vstack([np.maximum(below, 0.0), np.maximum(above, 0.0)])


def _dots(ax: Axes, x: float, values: npt.NDArray[np.float64], step: float,
          colour: str) -> None:
    """One dot per run at ``x``, spread sideways over a third of ``step`` (in run order)."""
    if len(values) == 0:
        return
    spread = np.linspace(-step / 3.0, step / 3.0, len(values)) if len(values) > 1 else [0.0]
    ax.scatter(x + np.asarray(spread), values, s=12, color=colour, alpha=0.55,
               edgecolors="none")


def _tuple(label: object) -> tuple[object, ...]:
    return label if isinstance(label, tuple) else (label,)


__all__ = ["DIFFERENCES", "axis_unit", "figure_file", "figure_files", "plot_metric",
           "write_figures"]
