"""Giving each machine the rows of its situation, with NumPy (no loop over machines).

A plan evaluates each situation once (:mod:`sim.planning.evaluate`) into a few rows (one per
extension, refused line or open path). :func:`broadcast` repeats each situation's rows for every
machine in it: an index of machines and pandas columns, categorical for text (a 10^5-machine
fleet's frames are made in a fraction of a second).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

Row = tuple[Any, ...]


def broadcast(situation: npt.NDArray[np.intp], rows: Sequence[Sequence[Row]],
              columns: Sequence[str]) -> tuple[npt.NDArray[np.intp], dict[str, Any]]:
    """For machines whose situations are ``situation`` (an index into ``rows`` per machine),
    the machine index of every output row and the output columns named ``columns``.

    Output rows are machine by machine, each machine's in its situation's order. Text columns
    are categorical (None is missing); integer and boolean columns keep their type.
    """
    counts_per = np.fromiter((len(r) for r in rows), dtype=np.intp, count=len(rows))
    starts_per = np.cumsum(counts_per) - counts_per
    counts = counts_per[situation]
    total = int(counts.sum())
    machine = np.repeat(np.arange(situation.shape[0], dtype=np.intp), counts)
    within = np.arange(total, dtype=np.intp) - np.repeat(np.cumsum(counts) - counts, counts)
    row_id = np.repeat(starts_per[situation], counts) + within
    flat = [row for situation_rows in rows for row in situation_rows]
    out = {name: column(row_id, [row[k] for row in flat]) for k, name in enumerate(columns)}
    return machine, out


def column(index: npt.NDArray[np.intp], values: Sequence[Any]) -> Any:
    """``values`` taken at ``index``: a categorical for text, an array for numbers."""
    if values and all(isinstance(v, bool | np.bool_) for v in values):
        return np.asarray(values, dtype=bool)[index]
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return np.asarray(values, dtype=np.int64)[index]
    codes, categories = pd.factorize(pd.Series(values, dtype=object), sort=True)
    return pd.Categorical.from_codes(codes[index] if len(codes) else codes,
                                     categories=categories.astype(str))


__all__ = ["Row", "broadcast", "column"]
