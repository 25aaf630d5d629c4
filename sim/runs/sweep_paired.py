"""Paired differences between a sweep's variants (``differences.parquet``).

Replication ``r`` of every variant runs with the same seed, so its random draws (which
machines a clean-up reaches, when each check happens, which install fails) are the same in
every variant: the difference ``variant_r - baseline_r`` is the effect of the variant on that
replication, with the spread the variants share taken out. The mean of those differences and
its interval (Student t or bootstrap, :mod:`sim.runs.sweep_stats`) answer "how much does
this variant change the metric?" far more sharply than two means with their own intervals.

Pairs are formed within the same grid and hypercube values (the point's ``setting``), by
replication; a replication that failed in either variant is left out of that pair.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd
from rich.table import Table

from sim.quantities import in_seconds
from sim.runs.sweep_stats import LEVEL, estimate
from sim.runs.sweep_summary import NOTE_SEPARATOR, axis_cells, with_interval

COLUMNS = ("setting", "variant", "baseline", "metric", "n", "mean", "sd", "ci_low", "ci_high",
           "method", "notes")
"""The columns of the differences frame, after ``setting`` come the grid and hypercube keys."""


def differences_frame(index: pd.DataFrame, keys: Sequence[str], metrics: Sequence[str],
                      baseline: str, method: str = "t", seed: int = 0) -> pd.DataFrame:
    """One row per (setting, variant other than ``baseline``, metric): the ``setting``'s grid
    and hypercube values (``keys``), ``n`` pairs, the ``mean`` difference ``variant -
    baseline``, its ``sd``, ``ci_low`` and ``ci_high`` by ``method``, and ``notes``. Empty
    when ``index`` has no ``variant`` column."""
    columns = [COLUMNS[0], *keys, *COLUMNS[1:]]
    if "variant" not in index.columns:
        return pd.DataFrame(columns=columns)
    rows = []
    for setting in sorted(set(index["setting"].tolist())):
        params = {key: index.loc[index["setting"] == setting, key].iloc[0] for key in keys}
        for variant in variants_besides(index, baseline):
            for metric in metrics:
                d = paired(index, setting, variant, baseline, metric)
                e = estimate(d, method, f"{setting}|{variant}|{baseline}|{metric}", seed)
                rows.append({"setting": int(str(setting)), **params, "variant": variant,
                             "baseline": baseline, "metric": metric, "n": e.n, "mean": e.mean,
                             "sd": e.sd, "ci_low": e.low, "ci_high": e.high, "method": method,
                             "notes": NOTE_SEPARATOR.join(e.notes)})
    return pd.DataFrame(rows, columns=columns)


def variants_besides(index: pd.DataFrame, baseline: str) -> list[str]:
    """The variants of ``index`` other than ``baseline``, in sweep order."""
    seen = list(dict.fromkeys(index["variant"].astype(str)))
    return [v for v in seen if v != baseline]


def paired(index: pd.DataFrame, setting: int, variant: str, baseline: str,
           metric: str) -> npt.NDArray[np.float64]:
    """``variant - baseline`` of ``metric`` per replication at ``setting``, in replication
    order, for the replications that ended ok in both."""
    runs = index[(index["status"] == "ok") & (index["setting"] == setting)]
    base = runs[runs["variant"] == baseline].set_index("replication")[metric]
    other = runs[runs["variant"] == variant].set_index("replication")[metric]
    shared = base.index.intersection(other.index).sort_values()
    return (other.loc[shared] - base.loc[shared]).to_numpy(dtype=np.float64)


def differences_table(differences: pd.DataFrame, keys: Sequence[str],
                      metrics: Sequence[str]) -> Table:
    """One row per (setting, variant): each metric's mean paired difference from the baseline
    with its interval (``*``: the row has notes)."""
    method = str(differences["method"].iloc[0]) if len(differences) else "t"
    baseline = str(differences["baseline"].iloc[0]) if len(differences) else "?"
    kind = "± half-width" if method == "t" else "[interval]"
    table = Table(title=f"Paired differences from {baseline} (variant - {baseline}, same "
                        f"replications): mean {kind}, {LEVEL:.0%} confidence",
                  title_justify="left")
    for column in (*keys, "variant", "pairs"):
        table.add_column(column, overflow="fold")
    for metric in metrics:
        table.add_column(metric, justify="right", overflow="fold")
    for _, rows in differences.groupby(["setting", "variant"], sort=False):
        first = rows.iloc[0]
        cells = [*axis_cells(first, keys), str(first["variant"]), str(first["n"])]
        for metric in metrics:
            row = rows[rows["metric"] == metric].iloc[0]
            text = with_interval(row["mean"], row["ci_low"], row["ci_high"], method,
                                 in_seconds(metric))
            cells.append(("+" if row["mean"] > 0 else "") + text + (" *" if row["notes"]
                                                                    else ""))
        table.add_row(*cells)
    return table


__all__ = ["COLUMNS", "differences_frame", "differences_table", "paired", "variants_besides"]
