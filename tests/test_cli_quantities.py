"""Durations in human units wherever a person reads them: terminal tables, sweep summaries and
figures, comparisons; one function (:func:`sim.quantities.format_duration`) for all."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from sim.cli.scenarios import expectation_table
from sim.quantities import format_duration, in_seconds, time_unit
from sim.report.compare import format_cell
from sim.runs.sweep_figures import plot_metric
from sim.runs.sweep_summary import summary_table
from sim.scenario.expect import ExpectationResult
from sim.scenario.loading import is_duration_key
from sim.scenario.units import parse_duration

DAY = 86_400.0


@pytest.mark.parametrize(("seconds", "text"), [
    (187_230.0, "2d 4h"), (9.36e4, "1d 2h"), (3_725.5, "1h 2m"), (45.7, "45.7s"),
    (0.25, "0.25s"), (59.999, "1m"), (14 * DAY, "14d"), (0.0, "0s"), (-3_600.0, "-1h"),
    (89.6, "1m 30s"), (DAY - 1, "1d"),
])
def test_durations_are_shown_in_their_largest_units(seconds: float, text: str) -> None:
    assert format_duration(seconds, parts=2) == text


@given(st.floats(0.0, 400 * DAY), st.integers(1, 4))
def test_a_shown_duration_is_close_to_the_duration(seconds: float, parts: int) -> None:
    text = format_duration(seconds, parts=parts)
    assert len(text.split()) <= parts
    last = {"d": DAY, "h": 3_600.0, "m": 60.0, "s": 1.0}[text.split()[-1][-1]]
    tolerance = (0.0051 if seconds < 10 else 0.051) if seconds < 60 else last / 2
    assert abs(parse_duration(text.replace(" ", "")) - seconds) <= tolerance + 1e-9


@pytest.mark.parametrize(("key", "duration"), [
    ("params.check_period", True), ("duration", True), ("timeline[cleanup].from", True),
    ("timeline[2].auto_upgrade.window", True), ("fleet[web].outages[0].duration", True),
    ("params.install_failure_p", False), ("fleet[0].count", False), ("timeline[0].rate", False),
    ("seed", False), ("no.such.key", False),
])
def test_which_set_keys_are_durations(key: str, duration: bool) -> None:
    assert is_duration_key(key) is duration


def summary() -> pd.DataFrame:
    rows = []
    for point, period in enumerate([300.0, 93_600.0]):
        for metric, mean in (("churn.max_queue_wait_s", 187_230.0), ("reinstalls", 3.0)):
            rows.append({"point": point, "params.check_period": period, "metric": metric,
                         "n": 3, "failed": 0, "mean": mean, "sd": 1.0,
                         "ci_low": mean - 30.0, "ci_high": mean + 30.0})
    return pd.DataFrame(rows)


def test_sweep_summaries_show_durations_in_human_units() -> None:
    console = Console(width=200, record=True)
    console.print(summary_table(summary(), ["params.check_period"],
                                ["churn.max_queue_wait_s", "reinstalls"]))
    text = console.export_text()
    assert "5m" in text and "1d 2h" in text and "2d 4h ± 30s" in text and "3 ± 30" in text
    assert "9.36e" not in text and "93600" not in text


def test_sweep_figures_draw_durations_in_hours_or_days() -> None:
    from matplotlib.figure import Figure

    ax = Figure().add_subplot()
    plot_metric(ax, summary()[summary()["metric"] == "churn.max_queue_wait_s"],
                pd.DataFrame({"point": []}), ["params.check_period"], "churn.max_queue_wait_s")
    assert ax.get_xlabel() == "params.check_period (hours)"
    assert ax.get_ylabel() == "churn.max_queue_wait_s (days)"
    assert ax.get_lines()[0].get_xdata().tolist() == [300.0 / 3_600.0, 26.0]


def test_terminal_and_comparison_tables_show_seconds_metrics_in_human_units() -> None:
    console = Console(width=200, record=True)
    console.print(expectation_table([ExpectationResult("churn.max_queue_wait_s", "> 0",
                                                       4_000.0, True)]))
    assert "4000 (1h 7m)" in console.export_text()
    assert format_cell("churn.max_queue_wait_s", 93_600.0, False) == "1d 2h"
    assert format_cell("churn.max_queue_wait_s", 60.0, True) == "+1m"
    assert format_cell("reinstalls", 1234.0, False) == "1,234"
    assert in_seconds("churn.max_queue_wait_s") and not in_seconds("churn.absent_hours")
    assert time_unit(DAY) == ("hours", 3_600.0) and time_unit(3 * DAY) == ("days", DAY)
