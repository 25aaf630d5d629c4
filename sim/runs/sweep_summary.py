"""A sweep's summary: mean and 95 % confidence interval per parameter point and metric, as a
frame (``summary.parquet``), a printed table and figures of metric vs parameter with CI bands.

The interval is Student's t: ``mean ± t(0.975, n-1) * sd / sqrt(n)`` over the point's
successful runs (``sd`` with n-1 degrees of freedom); with fewer than 2 runs it is undefined
(NaN). The t quantile is computed here (regularised incomplete beta function by continued
fractions, inverted by bisection), so there is no SciPy dependency.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from rich.table import Table

from sim.quantities import format_duration, in_seconds, time_unit
from sim.results.folder import write_atomically
from sim.scenario.loading import is_duration_key

if TYPE_CHECKING:
    from matplotlib.axes import Axes

LEVEL = 0.95
"""Confidence level of the intervals."""


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz)."""
    tiny, c, d = 1e-300, 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 400):
        for numerator in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                          -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return h


def incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b), for a, b > 0 and x in [0, 1]."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x)
                 + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _beta_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_fraction(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with ``df`` degrees of freedom."""
    tail = 0.5 * incomplete_beta(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t > 0 else tail


@lru_cache(maxsize=512)
def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t with ``df`` > 0 degrees of freedom (p in (0, 1))."""
    if not (0.0 < p < 1.0 and df > 0):
        raise ValueError(f"expected 0 < p < 1 and df > 0, got p={p}, df={df}")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        low, high = high, high * 2.0
    for _ in range(200):
        mid = 0.5 * (low + high)
        if mid in (low, high):
            break
        low, high = (mid, high) if t_cdf(mid, df) < p else (low, mid)
    return 0.5 * (low + high)


def interval(values: Sequence[float]) -> tuple[int, float, float, float, float]:
    """``(n, mean, sd, ci_low, ci_high)`` of ``values`` (NaN where undefined)."""
    x = np.asarray(values, dtype=np.float64)
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return 0, math.nan, math.nan, math.nan, math.nan
    mean = float(x.mean())
    if n < 2:
        return n, mean, math.nan, math.nan, math.nan
    sd = float(x.std(ddof=1))
    half = t_quantile(0.5 + LEVEL / 2.0, n - 1) * sd / math.sqrt(n)
    return n, mean, sd, mean - half, mean + half


def summary_frame(index: pd.DataFrame, keys: Sequence[str],
                  metrics: Sequence[str]) -> pd.DataFrame:
    """One row per (point, metric): the point's parameters, ``n`` successful runs,
    ``failed`` runs, ``mean``, ``sd``, ``ci_low``, ``ci_high``."""
    rows = []
    for point, runs in index.groupby("point", sort=True):
        ok = runs[runs["status"] == "ok"]
        failed = int((runs["status"] == "failed").sum())
        params = {key: runs[key].iloc[0] for key in keys}
        for metric in metrics:
            n, mean, sd, low, high = interval(ok[metric].tolist())
            rows.append({"point": int(str(point)), **params, "metric": metric, "n": n,
                         "failed": failed, "mean": mean, "sd": sd, "ci_low": low,
                         "ci_high": high})
    columns = ["point", *keys, "metric", "n", "failed", "mean", "sd", "ci_low", "ci_high"]
    return pd.DataFrame(rows, columns=columns)


def _number(value: float) -> str:
    if math.isnan(value):
        return "-"
    return f"{value:.4g}" if abs(value) < 1e5 else f"{value:.3e}"


def _cell(value: object, seconds: bool = False) -> str:
    if seconds and isinstance(value, int | float) and not math.isnan(value):
        return format_duration(float(value), parts=2)
    return _number(value) if isinstance(value, float) else str(value)


def _seconds(values: float, seconds: bool) -> str:
    return _cell(values, True) if seconds else _number(values)


def summary_table(summary: pd.DataFrame, keys: Sequence[str],
                  metrics: Sequence[str]) -> Table:
    """A table with one row per point: its parameters, runs, and ``mean ± half-width`` of
    each metric."""
    table = Table(title=f"Sweep: mean ± {LEVEL:.0%} confidence half-width per point",
                  title_justify="left")
    for column in (*keys, "runs"):
        table.add_column(column, overflow="fold")
    for metric in metrics:
        table.add_column(metric, justify="right", overflow="fold")
    durations = {key for key in keys if is_duration_key(key)}
    for _, rows in summary.groupby("point", sort=True):
        first = rows.iloc[0]
        runs = f"{first['n']}" + (f" ({first['failed']} failed)" if first["failed"] else "")
        cells = [_cell(first[key], key in durations) for key in keys] + [runs]
        for metric in metrics:
            row = rows[rows["metric"] == metric].iloc[0]
            half = (row["ci_high"] - row["ci_low"]) / 2.0
            seconds = in_seconds(metric)
            cells.append(_seconds(row["mean"], seconds) + (
                "" if math.isnan(half) else f" ± {_seconds(half, seconds)}"))
        table.add_row(*cells)
    return table


def write_figures(summary: pd.DataFrame, keys: Sequence[str], metrics: Sequence[str],
                  folder: Path) -> list[Path]:
    """``folder/figures/<metric>.png`` for each metric: mean vs the first parameter with the
    confidence band, one line per combination of the other parameters (written atomically)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    def write(tmp: Path) -> None:
        for metric in metrics:
            figure = Figure(figsize=(6.4, 4.0))
            figure.subplots_adjust(left=0.14, right=0.97, bottom=0.13, top=0.91)
            FigureCanvasAgg(figure)
            _plot(figure.add_subplot(), summary[summary["metric"] == metric], keys, metric)
            figure.savefig(tmp / f"{metric}.png", dpi=100)

    final = write_atomically(folder / "figures", write)
    return [final / f"{metric}.png" for metric in metrics]


def _plot(ax: Axes, rows: pd.DataFrame, keys: Sequence[str], metric: str) -> None:
    """Mean and band of ``metric`` against the first key: a duration key in hours or days,
    seconds of a metric (``_s``) too."""
    x_key, others = (keys[0], list(keys[1:])) if keys else (None, [])
    numeric = x_key is not None and pd.api.types.is_numeric_dtype(rows[x_key])
    x_unit = _axis_unit(rows[x_key]) if numeric and x_key and is_duration_key(x_key) else None
    y_unit = _axis_unit(rows["ci_high"]) if in_seconds(metric) else None
    y_scale = y_unit[1] if y_unit else 1.0
    lines = rows.groupby(others, sort=True) if others else [((), rows)]
    for label, line in lines:
        line = line.sort_values(x_key) if numeric and x_key else line
        x = (line[x_key].to_numpy(dtype=float) if numeric and x_key
             else np.arange(len(line), dtype=float)) / (x_unit[1] if x_unit else 1.0)
        name = ", ".join(f"{k}={_legend(k, v)}" for k, v in zip(others, _tuple(label),
                                                                strict=True))
        ax.plot(x, line["mean"] / y_scale, marker="o", label=name or None)
        ax.fill_between(x, line["ci_low"] / y_scale, line["ci_high"] / y_scale, alpha=0.2)
        if not numeric:
            ax.set_xticks(x, [str(v) for v in line[x_key]] if x_key else ["all runs"])
    ax.set_xlabel((x_key or "") + (f" ({x_unit[0]})" if x_unit else ""))
    ax.set_ylabel(metric + (f" ({y_unit[0]})" if y_unit else ""))
    ax.set_title(f"{metric}: mean and {LEVEL:.0%} confidence interval")
    if others:
        ax.legend(fontsize="small")


def _axis_unit(values: pd.Series) -> tuple[str, float]:
    """Seconds on an axis: in minutes up to two hours, hours up to two days, else days."""
    largest = float(np.nanmax(np.abs(values.to_numpy(dtype=float)))) if len(values) else 0.0
    if largest <= 2 * 3_600.0:
        return "minutes", 60.0
    return time_unit(largest)


def _legend(key: str, value: object) -> str:
    return _cell(value, is_duration_key(key))


def _tuple(label: object) -> tuple[object, ...]:
    return label if isinstance(label, tuple) else (label,)


__all__ = ["LEVEL", "incomplete_beta", "interval", "summary_frame", "summary_table", "t_cdf",
           "t_quantile", "write_figures"]
