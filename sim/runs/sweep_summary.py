"""A sweep's summary: the mean and its interval per point and metric (``summary.parquet``),
and the printed tables of the summary and of the paired differences.

Intervals are Student's t by default or the percentile bootstrap, with notes on too few runs
or runs in two separated groups (:mod:`sim.runs.sweep_stats`). Figures are drawn by
:mod:`sim.runs.sweep_figures`; paired differences between variants are computed by
:mod:`sim.runs.sweep_paired`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
from rich.console import Console
from rich.table import Table

from sim.quantities import format_duration, in_seconds
from sim.runs.sweep_stats import LEVEL, estimate, interval, t_quantile
from sim.scenario.loading import is_duration_key

NOTE_SEPARATOR = " | "
"""Between the notes of one row, in the ``notes`` column."""


def summary_frame(index: pd.DataFrame, axes: Sequence[str], metrics: Sequence[str],
                  method: str = "t", seed: int = 0) -> pd.DataFrame:
    """One row per (point, metric): the point's axis values (``variant`` and the parameters),
    ``n`` successful runs, ``failed`` runs, ``mean``, ``sd``, ``ci_low``, ``ci_high`` (by
    ``method``: ``t`` or ``bootstrap``, whose stream ``seed`` keys), ``method`` and ``notes``
    (:func:`sim.runs.sweep_stats.notes`, joined by ``" | "``)."""
    rows = []
    for point, runs in index.groupby("point", sort=True):
        ok = runs[runs["status"] == "ok"]
        failed = int((runs["status"] == "failed").sum())
        params = {key: runs[key].iloc[0] for key in axes}
        for metric in metrics:
            e = estimate(ok[metric].to_numpy(dtype=float), method, f"{point}|{metric}", seed)
            rows.append({"point": int(str(point)), **params, "metric": metric, "n": e.n,
                         "failed": failed, "mean": e.mean, "sd": e.sd, "ci_low": e.low,
                         "ci_high": e.high, "method": method,
                         "notes": NOTE_SEPARATOR.join(e.notes)})
    columns = ["point", *axes, "metric", "n", "failed", "mean", "sd", "ci_low", "ci_high",
               "method", "notes"]
    return pd.DataFrame(rows, columns=columns)


def number(value: float) -> str:
    """A cell: 4 significant digits, or scientific from 10^5; ``-`` for NaN."""
    if math.isnan(value):
        return "-"
    return f"{value:.4g}" if abs(value) < 1e5 else f"{value:.3e}"


def cell(value: object, seconds: bool = False) -> str:
    """A parameter's value as a cell; ``seconds``: a duration, in human units."""
    if seconds and isinstance(value, int | float) and not math.isnan(value):
        return format_duration(float(value), parts=2)
    return number(value) if isinstance(value, float) else str(value)


def _shown(value: float, seconds: bool) -> str:
    return cell(value, True) if seconds else number(value)


def with_interval(mean: float, low: float, high: float, method: str,
                  seconds: bool = False) -> str:
    """``mean ± half-width`` (t: symmetric) or ``mean [low, high]`` (bootstrap); ``seconds``:
    values in human units of time."""
    if math.isnan(low) or math.isnan(high):
        return _shown(mean, seconds)
    if method == "t":
        return f"{_shown(mean, seconds)} ± {_shown((high - low) / 2.0, seconds)}"
    return f"{_shown(mean, seconds)} [{_shown(low, seconds)}, {_shown(high, seconds)}]"


def axis_cells(row: pd.Series, axes: Sequence[str]) -> list[str]:
    """The axis values of a summary or differences row as cells (durations in human units)."""
    return [cell(row[key], is_duration_key(key)) for key in axes]


def _title(method: str) -> str:
    if method == "t":
        return f"Sweep: mean ± {LEVEL:.0%} confidence half-width per point (Student t)"
    return f"Sweep: mean [{LEVEL:.0%} bootstrap interval] per point"


def summary_table(summary: pd.DataFrame, axes: Sequence[str], metrics: Sequence[str]) -> Table:
    """A table with one row per point: its axis values, runs, and each metric's mean with its
    interval (a row marked ``*`` has notes: :func:`notes_lines`)."""
    method = str(summary["method"].iloc[0]) if len(summary) and "method" in summary else "t"
    table = Table(title=_title(method), title_justify="left")
    for column in (*axes, "runs"):
        table.add_column(column, overflow="fold")
    for metric in metrics:
        table.add_column(metric, justify="right", overflow="fold")
    for _, rows in summary.groupby("point", sort=True):
        first = rows.iloc[0]
        runs = f"{first['n']}" + (f" ({first['failed']} failed)" if first["failed"] else "")
        cells = [*axis_cells(first, axes), runs]
        for metric in metrics:
            row = rows[rows["metric"] == metric].iloc[0]
            mark = " *" if row.get("notes") else ""
            cells.append(with_interval(row["mean"], row["ci_low"], row["ci_high"], method,
                                       in_seconds(metric)) + mark)
        table.add_row(*cells)
    return table


def notes_lines(frame: pd.DataFrame, axes: Sequence[str], what: str = "") -> list[str]:
    """The notes of ``frame``'s rows: a note every row has, once; then one line per row with
    other notes (where: axis values and metric). ``what`` prefixes the metric (``"difference
    of "``)."""
    if "notes" not in frame or not len(frame):
        return []
    split = [[n for n in str(text).split(NOTE_SEPARATOR) if n] for text in frame["notes"]]
    common = [n for n in split[0] if all(n in notes for notes in split)]
    lines = [f"* every {'difference' if what else 'point'}: {note}" for note in common]
    for (_, row), notes in zip(frame.iterrows(), split, strict=True):
        own = [n for n in notes if n not in common]
        if own:
            where = ", ".join(f"{key}={text}" for key, text in
                              zip(axes, axis_cells(row, axes), strict=True))
            lines.append(f"* {what}{row['metric']}{' at ' + where if where else ''}: "
                         f"{NOTE_SEPARATOR.join(own)}")
    return lines


def print_notes(console: Console, lines: Sequence[str], limit: int = 20) -> None:
    """Print ``lines`` (at most ``limit``, then how many more)."""
    for line in lines[:limit]:
        console.print(line, markup=False, highlight=False)
    if len(lines) > limit:
        console.print(f"* ... and {len(lines) - limit} more rows with notes (the notes "
                      "column of summary.parquet)", markup=False, highlight=False)


__all__ = ["LEVEL", "NOTE_SEPARATOR", "axis_cells", "cell", "interval", "notes_lines",
           "number", "print_notes", "summary_frame", "summary_table", "t_quantile",
           "with_interval"]
