"""Run comparison (issue 6): ``sim.compare`` gives the metrics side by side with the right
differences; ``arcsim compare`` prints them and writes a comparison folder atomically, never
over a folder that is not one."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from helpers import Arcsim

import sim
from sim.report.compare import (
    HEADLINE,
    MARKER,
    CompareError,
    compare,
    metric_table,
    run_labels,
    write_comparison,
)
from sim.report.compare_figures import OVERLAYS

LOCKED = "timeline[0].coverage=0.5"
"""The default scenario with its Windows web servers' lockdown reaching only half of them."""


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    out = tmp_path_factory.mktemp("runs")
    full = sim.run("default", scale=0.05, out=out, report=False)
    half = sim.run("default", scale=0.05, overrides=[LOCKED], out=out, report=False)
    return full, half


def test_sim_compare_is_exported_lazily() -> None:
    assert sim.compare is compare


def test_differences_are_against_the_first_run(runs: tuple[Any, Any]) -> None:
    full, half = runs
    table = sim.compare(full, half, labels=["full", "half"])
    assert list(table.columns) == ["full", "half", "Δ half"]
    for path in ("blocked.total", "installs", "churn.cycles", "coverage.machines_locked_down",
                 "blocked.by_reason.not_on_allowlist"):
        assert table.loc[path, "full"] == full.metric(path)
        assert table.loc[path, "half"] == half.metric(path)
        assert table.loc[path, "Δ half"] == half.metric(path) - full.metric(path)
    assert table.loc["machines", "Δ half"] == 0
    # the half-covered lockdown locks fewer machines and blocks less
    assert table.loc["coverage.machines_locked_down", "Δ half"] < 0
    assert table.loc["blocked.total", "Δ half"] < 0
    assert "path" not in table.attrs


def test_rows_are_the_headline_metrics_and_each_blocking_reason(runs: tuple[Any, Any]) -> None:
    table = compare(list(runs))
    reasons = sorted(set(runs[0].metrics["blocked"]["by_reason"]) |
                     set(runs[1].metrics["blocked"]["by_reason"]))
    extensions = sorted(set(runs[0].metrics["blocked"]["by_extension"]) |
                        set(runs[1].metrics["blocked"]["by_extension"]))
    exposure = {f"exposure.{t}.{e}" for t in ("installed", "updated", "present_at_end")
                for r in runs for e in r.metrics["exposure"][t]}
    assert exposure, "the default scenario lets script-capable extensions in"
    assert set(table.index) == set(HEADLINE) | {f"blocked.by_reason.{r}" for r in reasons} | {
        f"blocked.by_extension.{e}" for e in extensions} | exposure
    assert table.index[1] == "blocked.total"
    assert not table.isna().any().any()


def test_exposure_rows_compare_what_got_in(runs: tuple[Any, Any]) -> None:
    """compare shows the exposure rows: what got in, through a lockdown or not, the
    machine-hours exposed and the open paths left, with differences."""
    full, half = runs
    table = compare(full, half, labels=["full", "half"])
    for path in ("exposure.total", "exposure.through_lockdown", "exposure.machine_hours",
                 "exposure.open_paths_at_end.any", "exposure.open_paths_at_end.no_lockdown"):
        assert table.loc[path, "Δ half"] == half.metric(path) - full.metric(path), path
    # a lockdown that reaches half the web servers leaves more of them open
    assert table.loc["exposure.open_paths_at_end.no_lockdown", "Δ half"] > 0


def test_same_names_get_told_apart(runs: tuple[Any, Any]) -> None:
    full, half = runs
    table = compare(full.path, half.path)
    assert list(table.columns) == [full.path.name, half.path.name, f"Δ {half.path.name}"]


@pytest.mark.parametrize(("given", "message"), [
    ((), "compare needs at least two runs, got 0"),
    (("one",), "compare needs at least two runs, got 1"),
])
def test_fewer_than_two_runs_is_an_error(given: tuple[str, ...], message: str) -> None:
    with pytest.raises(CompareError, match=message):
        compare(*given)


def test_labels_must_match_the_runs(runs: tuple[Any, Any]) -> None:
    with pytest.raises(CompareError, match="expected 2 different labels, one per run"):
        compare(*runs, labels=["same", "same"])


def test_out_writes_the_comparison_folder(runs: tuple[Any, Any], tmp_path: Path) -> None:
    folder = tmp_path / "cmp"
    table = compare(*runs, labels=["full", "half"], out=folder)
    assert table.attrs["path"] == str(folder)
    assert sorted(p.name for p in folder.iterdir()) == [
        "comparison.csv", "comparison.html", "comparison.md", "figures", "settings.csv"]
    assert sorted(p.name for p in (folder / "figures").iterdir()) == sorted(
        f"{name}.png" for name, _, _ in OVERLAYS)
    assert "| blocked.total |" in (folder / "comparison.md").read_text()
    html = (folder / "comparison.html").read_text()
    assert "http://" not in html and "https://" not in html
    assert html.count('src="data:image/png;base64,') == len(OVERLAYS)
    again = compare(*runs, labels=["a", "b"], out=folder)  # a comparison folder is replaced
    assert list(again.columns)[:2] == ["a", "b"]
    assert [p.name for p in tmp_path.iterdir()] == ["cmp"]


def test_out_never_replaces_a_folder_that_is_not_a_comparison(runs: tuple[Any, Any],
                                                              tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(CompareError, match="exists and is not a comparison folder"):
        compare(*runs, out=tmp_path)
    assert (tmp_path / "keep.txt").read_text() == "mine"
    assert not (tmp_path / MARKER).exists()


def test_cli_compare_prints_the_table_and_writes_the_folder(
        runs: tuple[Any, Any], tmp_path: Path, arcsim: Arcsim) -> None:
    full, half = runs
    folder = tmp_path / "cmp"
    status, out, _ = arcsim("compare", full.path, half.path, "--label", "full", "--label",
                            "half", "--out", folder)
    assert status == 0
    assert "Δ half" in out and "coverage.machines_locked_down" in out
    assert f"comparison.html): {folder}" in out
    assert (folder / MARKER).is_file()


def test_cli_compare_json_without_figures(runs: tuple[Any, Any], arcsim: Arcsim) -> None:
    full, half = runs
    done = arcsim("compare", full.path, half.path, "--json", "--no-figures")
    assert done.status == 0
    data = json.loads(done.out)
    assert data["folder"] is None
    row = data["metrics"]["blocked.total"]
    delta = row[f"Δ {half.path.name}"]
    assert not math.isnan(delta)
    assert delta == half.metric("blocked.total") - full.metric("blocked.total")


def test_cli_compare_errors_are_one_line(runs: tuple[Any, Any], tmp_path: Path,
                                         arcsim: Arcsim) -> None:
    done = arcsim("compare", runs[0].path)
    assert done.status == 2
    assert done.err == (
        "arcsim: error: compare needs at least two result folders, got 1\n")
    done = arcsim("compare", runs[0].path, tmp_path)
    assert done.status == 2
    assert done.err == (
        f"arcsim: error: {tmp_path}: not a result folder (no manifest.json in it)\n")


def test_cli_compare_takes_a_label_that_starts_with_delta(runs: tuple[Any, Any],
                                                         arcsim: Arcsim) -> None:
    full, half = runs
    done = arcsim("compare", full.path, half.path, "--label", "a", "--label", "Δ b",
                  "--json", "--no-figures")
    assert done.status == 0, done.err
    row = json.loads(done.out)["metrics"]["blocked.total"]
    assert list(row) == ["a", "Δ b", "Δ Δ b"]
    assert row["Δ b"] == half.metric("blocked.total")
    assert row["Δ Δ b"] == half.metric("blocked.total") - full.metric("blocked.total")


def test_a_label_that_names_another_runs_differences_is_refused(runs: tuple[Any, Any],
                                                                arcsim: Arcsim) -> None:
    full, half = runs
    done = arcsim("compare", full.path, half.path, "--label", "Δ b", "--label", "b",
                  "--no-figures")
    assert done.status == 2
    assert done.err == ('arcsim: error: label "Δ b" is the name of the column of differences '
                        'of run "b": choose another label\n')


def test_write_comparison_uses_the_settings_given(runs: tuple[Any, Any],
                                                  tmp_path: Path) -> None:
    labels = run_labels(runs, ["full", "half"])
    table = metric_table(runs, labels)
    given = pd.DataFrame({"full": ["x"], "half": ["y"]}, index=pd.Index(["given"]))
    write_comparison(runs, labels, table, tmp_path / "cmp", given)
    assert (tmp_path / "cmp" / "settings.csv").read_text() == given.to_csv()


def test_cli_compare_into_a_folder_it_cannot_read_is_one_line(
        runs: tuple[Any, Any], tmp_path: Path, arcsim: Arcsim,
        monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    listing = Path.iterdir

    def refuse(self: Path) -> Any:
        if self == folder:
            raise PermissionError(13, "Permission denied", str(self))
        return listing(self)

    monkeypatch.setattr(Path, "iterdir", refuse)
    done = arcsim("compare", runs[0].path, runs[1].path, "--out", folder)
    assert done.status == 2
    assert done.err == (f"arcsim: error: {folder}: cannot read it to see whether it is a "
                        "comparison folder: Permission denied; give another folder with --out\n")
