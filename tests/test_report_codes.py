"""A report or a comparison codes each run's records once (:attr:`RunView.codes`), and the
masks read the same rows from the codes as from the frame."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import sim
from sim.report import compare as comparing
from sim.report import view as view_module
from sim.report.view import RunView
from sim.report.writer import regenerate
from sim.results import records, selections


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    out = tmp_path_factory.mktemp("runs")
    tamper = sim.run("script-and-guest-config-tamper", scale=0.1, out=out, report=False)
    storm = sim.run("reinstall-storm-private-endpoint", scale=0.1, out=out, report=False)
    return tamper, storm


@pytest.fixture
def coded(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many frames were coded (every way into ``code_columns`` from the report)."""
    calls: list[int] = []

    def counting(frame: pd.DataFrame) -> Any:
        calls.append(len(frame))
        return records.code_columns(frame)

    monkeypatch.setattr(view_module, "code_columns", counting)
    monkeypatch.setattr(selections, "code_columns", counting)
    return calls


def test_a_report_codes_the_records_once(runs: tuple[Any, Any], coded: list[int]) -> None:
    tamper, _ = runs
    regenerate(tamper.path)
    assert coded == [len(tamper.records)]


def test_a_comparison_codes_each_runs_records_once(runs: tuple[Any, Any], tmp_path: Path,
                                                   coded: list[int]) -> None:
    comparing.compare(*runs, out=tmp_path / "cmp")
    assert sorted(coded) == sorted(len(r.records) for r in runs)


MASKS: list[Callable[[selections.Rows], selections.Mask]] = [
    selections.blocked, selections.reinstalled, selections.overridden,
    selections.exposure_operations, selections.locked_down, selections.override_actions]


@pytest.mark.parametrize("mask", MASKS, ids=lambda m: m.__name__)
def test_masks_select_the_same_rows_from_the_codes(runs: tuple[Any, Any],
                                                   mask: Callable[[selections.Rows],
                                                                  selections.Mask]) -> None:
    for result in runs:
        view = RunView.of(result)
        assert np.array_equal(mask(view.records), mask(view.codes))
