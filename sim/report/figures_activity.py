"""Figures of what happened: blocked operations, reinstall churn, proxy queues.

Each function takes a :class:`~sim.report.view.RunView` and returns a
:class:`~matplotlib.figure.Figure`; with nothing of its kind in the run it returns an
:func:`~sim.report.plotting.empty` figure that says so.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.engine.codes import Op
from sim.quantities import short_names
from sim.report import plotting as p
from sim.report.derive import counts_per_bucket, proxy_downloads, queue_lengths, shared_paths
from sim.report.palette import reason_colour, series_colours
from sim.report.view import DAY, HOUR, RunView, TimeAxis
from sim.results.selections import blocked, reinstalled

BLOCKED_TITLE = "Blocked operations over time, by reason"
BY_EXTENSION_TITLE = "Blocked operations by extension and reason"
CHURN_TITLE = "Reinstall churn over time"
PROXY_TITLE = "Download queues on shared paths (private-endpoint proxies)"


def _bars(view: RunView) -> tuple[npt.NDArray[np.float64], float]:
    """Bar centres and width (axis units) of the run's time buckets."""
    starts = np.arange(view.n_buckets) * view.bucket
    return view.axis.scale(starts + view.bucket / 2), view.bucket / view.axis.unit * 0.9


def blocked_over_time(view: RunView) -> Figure:
    """Blocked operations per time bucket, stacked by reason (one colour per reason)."""
    ts = view.timeseries
    reasons = [c.removeprefix("blocked.") for c in ts.columns if c.startswith("blocked.")]
    total = int(ts["blocked"].sum()) if "blocked" in ts else 0
    if total == 0 or not reasons:
        return p.empty(BLOCKED_TITLE, "Nothing was blocked: no install, update, upgrade or "
                                      "reinstall was refused by a local control or by Azure.")
    series = {r: ts[f"blocked.{r}"].to_numpy(np.float64) for r in
              sorted(reasons, key=lambda r: -ts[f"blocked.{r}"].sum())}
    fig, (ax,) = p.figure(4.0)
    x, width = _bars(view)
    p.stacked_bars(ax, x[:len(ts)], width, series, {r: reason_colour(r) for r in series})
    p.time_axis(ax, view.axis)
    p.count_axis(ax, f"blocked operations per {view.bucket_name}")
    p.legend(ax)
    p.title(fig, f"{BLOCKED_TITLE} ({total:,} in all)")
    return fig


def blocked_by_extension(view: RunView) -> Figure:
    """Horizontal bars: blocked operations per extension, split by reason."""
    r = view.records
    refused = r[blocked(view.codes) & r["extension"].notna()]
    if refused.empty:
        return p.empty(BY_EXTENSION_TITLE, "Nothing was blocked: no extension was refused.")
    table = (refused.groupby(["extension", "reason"], observed=True).size()
             .unstack(fill_value=0))
    table = table.loc[table.sum(axis=1).sort_values().index]
    reasons = list(table.sum().sort_values(ascending=False).index)
    names = short_names([str(e) for e in table.index])
    fig, (ax,) = p.figure(1.6 + 0.45 * len(table))
    y = np.arange(len(table))
    left = np.zeros(len(table))
    for reason in reasons:
        values = table[reason].to_numpy(np.float64)
        ax.barh(y, values, left=left, color=reason_colour(str(reason)), label=str(reason),
                height=0.7)
        left += values
    for yi, total in zip(y, left, strict=True):
        ax.text(float(total), float(yi), f" {int(total):,}", va="center", fontsize=8.5)
    ax.set_yticks(y, [names[str(e)] for e in table.index])
    ax.set_xlabel("blocked operations (whole run)")
    ax.set_xlim(0, left.max() * 1.12)
    ax.grid(axis="y", visible=False)
    p.legend(ax)
    p.title(fig, BY_EXTENSION_TITLE)
    return fig


def reinstall_churn(view: RunView) -> Figure:
    """Three panels per time bucket: reinstall cycles (and blocked reinstalls), absent
    machine-hours ended by the reinstalls, and bytes downloaded again by path."""
    r = view.records
    done = reinstalled(view.codes)
    refused = blocked(view.codes) & (view.codes["operation"] == Op.REINSTALL)
    if not (done.any() or refused.any()):
        return p.empty(CHURN_TITLE, "No reinstall churn: no extension removed locally came "
                                    "back by resync (R6).")
    fig, axes = p.figure(6.8, rows=3)
    x, width = _bars(view)
    counts = {"reinstalled": counts_per_bucket(view, done)}
    for reason in sorted({str(v) for v in r["reason"][refused].dropna()}):
        counts[f"blocked: {reason}"] = counts_per_bucket(
            view, refused & (r["reason"] == reason).to_numpy())
    colours = {name: ("#1f77b4" if name == "reinstalled" else
                      reason_colour(name.removeprefix("blocked: "))) for name in counts}
    p.stacked_bars(axes[0], x, width, counts, colours)
    p.count_axis(axes[0], f"reinstalls per {view.bucket_name}")
    p.legend(axes[0])
    absent = counts_per_bucket(view, done, r["value"].to_numpy(np.float64) / HOUR)
    axes[1].bar(x, absent, width=width, color="#ff7f0e", linewidth=0)
    axes[1].set_ylabel("machine-hours absent")
    axes[1].set_ylim(bottom=0)
    _bytes_by_path(axes[2], view, done, x, width)
    for ax in axes:
        p.time_axis(ax, view.axis, label=ax is axes[-1])
    cycles, hours = int(done.sum()), float(absent.sum())
    p.title(fig, CHURN_TITLE, f"{cycles:,} reinstalls, {hours:,.1f} machine-hours absent "
                              f"(counted when the reinstall ends), per {view.bucket_name}")
    return fig


def _bytes_by_path(ax: Axes, view: RunView, done: npt.NDArray[np.bool_],
                   x: npt.NDArray[np.float64], width: float) -> None:
    r = view.records
    weights = r["bytes"].to_numpy(np.float64)
    paths = sorted({str(v) for v in r["path"][done].dropna()})
    series = {path: counts_per_bucket(view, done & (r["path"] == path).to_numpy(), weights)
              for path in paths}
    largest = max((float(v.sum()) for v in series.values()), default=0.0)
    unit, factor = p.size_unit(largest)
    p.stacked_bars(ax, x, width, {k: v / factor for k, v in series.items()},
                   series_colours(paths))
    ax.set_ylabel(f"{unit} downloaded again")
    ax.set_ylim(bottom=0)
    p.legend(ax)


def proxy_queue(view: RunView) -> Figure:
    """Per shared path: downloads waiting and in progress over time, and each download's
    wait. Zoomed to the span with downloads when that is short."""
    paths = shared_paths(view.scenario)
    if not paths:
        return p.empty(PROXY_TITLE, "No shared download path: every machine downloads "
                                    "straight from Azure Storage (R2).")
    downloads = {path: proxy_downloads(view, path) for path in paths}
    used = {path: d for path, d in downloads.items() if not d.empty}
    if not used:
        return p.empty(PROXY_TITLE, f"Nothing was downloaded through {', '.join(paths)}.")
    fig, axes = p.figure(2.2 + 2.6 * len(used), rows=2 * len(used))
    capacity = {q.name: q.capacity for q in view.scenario.params.paths}
    axis, span = _zoom(view, pd.concat(list(used.values())))
    for i, (path, frame) in enumerate(used.items()):
        _queue_panel(axes[2 * i], axis, frame, path, capacity[path])
        _wait_panel(axes[2 * i + 1], axis, frame, path)
    for ax in axes:
        p.time_axis(ax, axis, label=ax is axes[-1], span=span)
    p.title(fig, PROXY_TITLE, _zoom_note(view.axis, axis, span))
    return fig


def _zoom(view: RunView, frame: pd.DataFrame) -> tuple[TimeAxis, tuple[float, float]]:
    """The time axis and span to show: the whole run, or the downloads' busy span."""
    first, last = float(frame["asked"].min()), float(frame["done"].max())
    if last - first > 0.25 * view.scenario.duration:
        return view.axis, (0.0, view.axis.end)
    margin = max(0.05 * (last - first), 60.0)
    low, high = max(0.0, first - margin), min(view.scenario.duration, last + margin)
    unit = HOUR if high <= 2 * DAY else DAY
    axis = TimeAxis(view.axis.duration, unit, view.axis.start)
    return axis, (low / unit, high / unit)


def _zoom_note(whole: TimeAxis, shown: TimeAxis, span: tuple[float, float]) -> str:
    hours = (span[1] - span[0]) * shown.unit / HOUR
    if span == (0.0, whole.end):
        return "whole run"
    return f"zoomed to the {hours:.1f} hours with downloads"


def _queue_panel(ax: Axes, axis: TimeAxis, frame: pd.DataFrame, path: str,
                 capacity: int) -> None:
    steps = queue_lengths(frame)
    t = axis.scale(steps["time"])
    ax.fill_between(t, 0, steps["waiting"], step="post", color="#d62728", alpha=0.6,
                    label="waiting for a slot", linewidth=0)
    ax.step(t, steps["downloading"], where="post", color="#1f77b4", label="downloading")
    ax.axhline(capacity, color="#333333", linestyle="--", linewidth=1,
               label=f"capacity ({capacity})")
    p.count_axis(ax, "downloads")
    ax.set_title(f"{path}: {len(frame):,} downloads, at most {int(steps['waiting'].max()):,} "
                 "waiting at once", loc="left", fontsize=10)
    p.legend(ax)


def _wait_panel(ax: Axes, axis: TimeAxis, frame: pd.DataFrame, path: str) -> None:
    minutes = frame["wait"].to_numpy(np.float64) / 60.0
    ax.scatter(axis.scale(frame["asked"]), minutes, s=6, color="#9467bd", alpha=0.6,
               label="one download", linewidths=0)
    ax.set_ylabel("wait (minutes)")
    ax.set_ylim(bottom=0, top=max(1.0, float(minutes.max()) * 1.1))
    ax.set_title(f"{path}: wait for a slot, by when the download was asked for "
                 f"(longest {minutes.max():.1f} min, median {np.median(minutes):.1f} min)",
                 loc="left", fontsize=10)
    p.legend(ax)


__all__ = ["BLOCKED_TITLE", "BY_EXTENSION_TITLE", "CHURN_TITLE", "PROXY_TITLE",
           "blocked_by_extension", "blocked_over_time", "proxy_queue", "reinstall_churn"]
