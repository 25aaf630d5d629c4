"""``compare`` says which settings differ between the runs it compares, and gives a row per
extension that anything was blocked for."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import Arcsim

import sim
from sim.report.compare_settings import MISSING, flatten, settings_table

CSE_ROW = "blocked.by_extension.Microsoft.Compute/CustomScriptExtension"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    out = tmp_path_factory.mktemp("runs")
    base = sim.run("default", scale=0.05, out=out, report=False)
    other = sim.run("default", scale=0.05, seed=7, out=out, report=False,
                    overrides=["timeline[0].coverage=0.5", "params.check_period=10m",
                               "description=another question"])
    return base, other


def test_settings_table_lists_exactly_what_differs(runs: tuple[Any, Any]) -> None:
    table = settings_table(runs, ["base", "other"])
    assert table.to_dict(orient="index") == {
        "seed": {"base": "42", "other": "7"},
        "params.check_period": {"base": "300", "other": "600"},
        "timeline[0].coverage": {"base": "0.95", "other": "0.5"},
    }
    assert settings_table([runs[0], runs[0]], ["a", "b"]).empty


def test_flatten_walks_mappings_and_lists_of_mappings_only() -> None:
    scenario = {"name": "x", "description": "ignored", "fleet": [{"count": 2, "commands":
                                                                   ["a", "b"]}]}
    assert dict(flatten(scenario)) == {"name": "x", "fleet[0].count": 2,
                                       "fleet[0].commands": ["a", "b"]}
    assert MISSING == "(not set)"


def test_compare_cli_prints_settings_and_per_extension_rows(arcsim: Arcsim,
                                                            runs: tuple[Any, Any]) -> None:
    base, other = runs
    status, out, _ = arcsim("compare", base.path, other.path, "--no-figures")
    assert status == 0
    assert out.index("Settings that differ") < out.index("Headline metrics")
    assert "timeline[0].coverage" in out and CSE_ROW in out
    status, out, _ = arcsim("compare", base.path, other.path, "--no-figures", "--json")
    data = json.loads(out)
    assert data["settings"]["params.check_period"] == {"default-42": "300", "default-7": "600"}
    assert CSE_ROW in data["metrics"]


def test_comparison_folder_holds_the_settings(runs: tuple[Any, Any], tmp_path: Path) -> None:
    folder = tmp_path / "cmp"
    sim.compare(*runs, labels=["a", "b"], out=folder)
    assert "timeline[0].coverage,0.95,0.5" in (folder / "settings.csv").read_text()
    assert "## Settings that differ" in (folder / "comparison.md").read_text()
