"""Intervals that mean something at a sweep's few replications: Student t (not the normal
interval), the percentile bootstrap, and notes when n is small or the runs split in two."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.runs.sweep_stats import (
    BOOTSTRAP_RESAMPLES,
    MIN_RUNS,
    bootstrap,
    estimate,
    notes,
    two_groups,
)
from sim.runs.sweep_summary import summary_frame


def test_t_interval_at_four_replications_is_wider_than_the_normal_one() -> None:
    values = [10.0, 12.0, 9.0, 13.0]
    e = estimate(values)
    sd = float(np.std(values, ddof=1))
    half = (e.high - e.low) / 2.0
    assert half == pytest.approx(3.182446305 * sd / 2.0)  # t(0.975, 3)
    assert half > 1.96 * sd / 2.0 * 1.6


def test_bootstrap_interval_is_reproducible_and_within_the_values() -> None:
    x = np.array([3.1, 7.7, 4.2, 9.9, 5.3, 6.05])
    low, high = bootstrap(x, "p0|blocked.total", seed=4)
    assert (low, high) == bootstrap(x, "p0|blocked.total", seed=4)
    assert (low, high) != bootstrap(x, "p1|blocked.total", seed=4)
    assert x.min() <= low < x.mean() < high <= x.max()
    e = estimate(x, "bootstrap", "p0|blocked.total", 4)
    assert (e.low, e.high, e.method) == (low, high, "bootstrap")
    assert BOOTSTRAP_RESAMPLES >= 1000


def test_estimate_of_too_few_values_is_undefined_not_invented() -> None:
    assert estimate([]).n == 0 and math.isnan(estimate([]).mean)
    one = estimate([4.0, math.nan])
    assert (one.n, one.mean) == (1, 4.0) and math.isnan(one.low) and math.isnan(one.high)
    with pytest.raises(ValueError, match='unknown interval method "normal"'):
        estimate([1.0, 2.0], "normal")


def test_a_metric_that_is_either_0_or_300_is_said_to_split() -> None:
    x = np.array([0.0, 300.0, 0.0, 300.0, 300.0, 0.0])
    split = two_groups(x)
    assert split is not None
    assert split[0].tolist() == [0.0] * 3 and split[1].tolist() == [300.0] * 3
    (note,) = notes(x)
    assert note.startswith("two separated groups of runs (3 at 0; 3 at 300)")


def test_few_runs_are_said_to_be_few() -> None:
    found = notes(np.array([1.0, 2.0, 4.0]))
    assert found == ("only 3 runs: its interval is wide and assumes a mean near normal (add "
                     "replications)",)
    assert "too narrow" in notes(np.array([1.0, 2.0]), "bootstrap")[0]
    assert notes(np.arange(MIN_RUNS, dtype=float)) == ()


@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=MIN_RUNS, max_size=30),
       st.floats(0.1, 100.0))
def test_evenly_spread_runs_never_split(start: list[float], step: float) -> None:
    x = start[0] + step * np.arange(len(start), dtype=float)
    assert two_groups(x) is None
    assert two_groups(np.full(len(start), start[0])) is None  # all alike


def test_summary_rows_carry_their_method_and_notes() -> None:
    index = pd.DataFrame({"point": [0] * 4 + [1] * 4, "status": ["ok"] * 8,
                          "m": [0.0, 300.0, 0.0, 300.0, 1.0, 2.0, 3.0, 4.0]})
    summary = summary_frame(index, [], ["m"], method="bootstrap", seed=1)
    assert list(summary["method"]) == ["bootstrap", "bootstrap"]
    assert "two separated groups" in summary.loc[0, "notes"]
    assert "only 4 runs" in summary.loc[0, "notes"]
    assert summary.loc[1, "notes"].startswith("only 4 runs")
