"""What a sweep writes and prints: figures for per-extension metrics (whose names hold a
``/``), every run drawn as a dot, and help texts without printf escapes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from helpers import Arcsim
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure

import sim
from sim.cli.program import build_parser
from sim.runs.sweep_figures import figure_file, figure_files, plot_metric

CSE_BLOCKED = "blocked.by_extension.Microsoft.Compute/CustomScriptExtension"
SCENARIO = """\
name: slash-metric
duration: 1d
seed: 2
fleet:
  - group: web
    count: 6
    os: windows
    agent_version: "1.45"
    commands:
      - azcmagent config set extensions.allowlist "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent"
timeline:
  - rate: 50%/day
    actor: dev
    install: Microsoft.Compute/CustomScriptExtension
"""


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "slash-metric.yaml"
    path.write_text(SCENARIO)
    return path


def test_sweep_of_a_per_extension_metric_writes_its_figure_and_prints_the_summary(
        arcsim: Arcsim, scenario: Path, tmp_path: Path) -> None:
    status, out, err = arcsim("sweep", scenario, "--grid", "params.check_period=5m,1h",
                              "--replications", "2", "--workers", "1", "--metric", CSE_BLOCKED,
                              "--out", tmp_path / "s")
    assert (status, err) == (0, "")
    assert "Sweep: mean ± 95% confidence half-width per point" in out
    figure = tmp_path / "s" / "figures" / \
        "blocked.by_extension.Microsoft.Compute_CustomScriptExtension.png"
    assert figure.read_bytes()[:4] == b"\x89PNG"
    assert f"Sweep: {tmp_path / 's'} (4 runs, 0 failed)" in out


def test_figure_file_names_are_safe_and_distinct() -> None:
    assert figure_file("churn.bytes") == "churn.bytes.png"
    assert figure_file("blocked.by_group.web win") == "blocked.by_group.web_win.png"
    files = figure_files(["a/b", "a_b", "a?b"])
    assert files == {"a/b": "a_b.png", "a_b": "a_b-2.png", "a?b": "a_b-3.png"}


def test_figures_draw_every_run_as_a_dot_beside_its_interval(scenario: Path,
                                                             tmp_path: Path) -> None:
    result = sim.sweep(scenario, grid={"params.check_period": ["5m", "1h"]}, replications=3,
                       metrics=["blocked.total"], workers=1, out=tmp_path / "s", figures=False)
    ax = Figure().add_subplot()
    plot_metric(ax, result.summary, result.runs, result.keys, "blocked.total")
    dots = [c for c in ax.collections if isinstance(c, PathCollection)]
    offsets = pd.concat([pd.DataFrame(c.get_offsets(), columns=["x", "y"]) for c in dots])
    assert len(offsets) == 6  # 2 points x 3 replications
    assert sorted(offsets["y"]) == sorted(result.runs["blocked.total"])
    means = result.summary["params.check_period"].tolist()
    assert not set(offsets["x"]) & set(means)  # beside the interval, not on it


def test_no_help_text_prints_a_doubled_percent_sign() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    texts = {name: p.format_help() for name, p in sub.choices.items()}  # type: ignore[attr-defined]
    assert "95%" in texts["sweep"]
    assert {name for name, text in texts.items() if "%%" in text} == set()
