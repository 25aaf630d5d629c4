"""Variants of a scenario swept against the same replications: common random numbers (the
same draws in every variant), paired differences and their intervals, located errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from helpers import Arcsim

import sim
from sim.runs.sweep import SweepError
from sim.scenario.variants import VariantError, overrides_of, value_text

SCENARIO = """\
name: variants-small
description: |
  Lock down on day 1 or on day 3, while developers ask for Custom Script now and then?
duration: 4d
seed: 5
fleet:
  - group: web
    count: 30
    os: windows
    agent_version: "1.45"
    extensions: [Microsoft.Azure.Monitor/AzureMonitorWindowsAgent]
timeline:
  - at: 1d
    actor: secops
    run:
      - azcmagent config set extensions.allowlist "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent"
  - rate: 40%/day
    actor: dev
    install: Microsoft.Compute/CustomScriptExtension
  - rate: 20%/day
    actor: cleanup
    remove_locally: Microsoft.Azure.Monitor/AzureMonitorWindowsAgent
variants:
  early: {}
  late:
    timeline[0].at: 3d
  same:
    description: the same plan, described in other words
    params.expire_after: 400d
"""
METRICS = ("blocked.total", "installs", "reinstalls")


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "variants-small.yaml"
    path.write_text(SCENARIO)
    return path


def _sweep(scenario: Path, out: Path, **options: Any) -> Any:
    defaults: dict[str, Any] = {"variants": True, "replications": 4, "seed": 3,
                                "metrics": METRICS, "workers": 1, "out": out,
                                "figures": False}
    return sim.sweep(scenario, **{**defaults, **options})


def _records(result: Any, variant: str, replication: int) -> pd.DataFrame:
    runs = result.runs
    row = runs[(runs["variant"] == variant) & (runs["replication"] == replication)].iloc[0]
    return sim.load(result.path / row["result"]).records


def test_variants_run_every_variant_with_the_same_seeds(scenario: Path, tmp_path: Path) -> None:
    result = _sweep(scenario, tmp_path / "s")
    runs = result.runs
    assert list(runs["variant"]) == ["early"] * 4 + ["late"] * 4 + ["same"] * 4
    assert (runs["status"] == "ok").all()
    seeds = runs.pivot(index="replication", columns="variant", values="seed")
    assert (seeds.nunique(axis=1) == 1).all()  # common random numbers
    assert seeds["early"].nunique() == 4


def test_variants_that_change_nothing_give_identical_records(scenario: Path,
                                                             tmp_path: Path) -> None:
    result = _sweep(scenario, tmp_path / "s", variants=["early", "same"], replications=2)
    for replication in range(2):
        pd.testing.assert_frame_equal(_records(result, "early", replication),
                                      _records(result, "same", replication))
    differences = result.differences
    assert (differences["mean"] == 0).all() and (differences["sd"] == 0).all()


def test_variants_share_draws_so_their_results_are_correlated(scenario: Path,
                                                              tmp_path: Path) -> None:
    result = _sweep(scenario, tmp_path / "s", replications=8,
                    variants={"early": {}, "later": {"timeline[0].at": "1d6h"}})
    wide = result.runs.pivot(index="replication", columns="variant", values="blocked.total")
    assert wide["early"].std() > 0 and (wide["later"] < wide["early"]).any()
    assert np.corrcoef(wide["early"], wide["later"])[0, 1] > 0.7
    # the requests are the same draws in both: only the lockdown's time differs
    early, later = _records(result, "early", 0), _records(result, "later", 0)
    asked = [r[(r["operation"] == "install") & (r["outcome"] == "requested")]
             [["time", "machine"]].reset_index(drop=True) for r in (early, later)]
    pd.testing.assert_frame_equal(*asked)


def test_variants_paired_differences_are_the_mean_of_per_replication_differences(
        scenario: Path, tmp_path: Path) -> None:
    result = _sweep(scenario, tmp_path / "s", variants=["early", "late"], replications=6)
    assert result.baseline == "early"
    row = result.differences.set_index("metric").loc["blocked.total"]
    wide = result.runs.pivot(index="replication", columns="variant", values="blocked.total")
    d = (wide["late"] - wide["early"]).to_numpy()
    assert (row["variant"], row["baseline"], row["n"]) == ("late", "early", 6)
    assert row["mean"] == pytest.approx(d.mean())
    assert row["sd"] == pytest.approx(d.std(ddof=1))
    half = 2.570581836 * d.std(ddof=1) / np.sqrt(6)  # t(0.975, 5)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((d.mean() - half, d.mean() + half))
    # pairing takes out the spread the variants share: narrower than either mean's interval
    summary = result.summary[result.summary["metric"] == "blocked.total"]
    assert (row["ci_high"] - row["ci_low"]) < (summary["ci_high"] - summary["ci_low"]).min()
    saved = pd.read_parquet(result.path / "differences.parquet")
    pd.testing.assert_frame_equal(saved, result.differences)


def test_variants_baseline_and_variants_given_in_code(scenario: Path, tmp_path: Path) -> None:
    result = _sweep(scenario, tmp_path / "s", replications=2, baseline="late",
                    variants={"late": {"timeline[0].at": "3d"}, "none": {"timeline[0].run": []}})
    assert set(result.differences["variant"]) == {"none"}
    assert set(result.differences["baseline"]) == {"late"}


def test_variants_with_a_grid_pair_within_each_setting(scenario: Path, tmp_path: Path) -> None:
    result = _sweep(scenario, tmp_path / "s", variants=["early", "late"], replications=2,
                    grid={"params.check_period": ["5m", "1h"]}, figures=True)
    assert len(result.runs) == 8
    assert sorted(result.differences["params.check_period"].unique()) == [300.0, 3600.0]
    assert (result.path / "figures" / "differences" / "blocked.total.png").is_file()


@pytest.mark.parametrize(("options", "message"), [
    ({"variants": ["early", "nope"]}, 'no variant "nope": the scenario declares early, late'),
    ({"baseline": "nope"}, "--baseline nope: expected one of the variants swept"),
    ({"variants": None, "baseline": "early"}, "none: add --variants"),
    ({"interval": "normal"}, "--interval normal: expected one of t, bootstrap"),
])
def test_variants_bad_options_are_clear(scenario: Path, tmp_path: Path,
                                        options: dict[str, Any], message: str) -> None:
    with pytest.raises((SweepError, VariantError), match=message):
        _sweep(scenario, tmp_path / "s", **options)


def test_variants_a_bad_variant_value_names_the_variant(scenario: Path, tmp_path: Path) -> None:
    with pytest.raises(SweepError, match=r"variant bad: timeline\[0\]\.at=lots"):
        _sweep(scenario, tmp_path / "s", variants={"bad": {"timeline[0].at": "lots"}})


def test_variants_validate_locates_each_bad_variant(arcsim: Arcsim, tmp_path: Path) -> None:
    path = tmp_path / "v.yaml"
    path.write_text(SCENARIO + "  broken:\n    timeline[0].at: lots\n  reseeded:\n"
                    "    seed: 4\n  missing:\n    timeline[9].at: 1d\n")
    status, _, err = arcsim("validate", path)
    assert status == 2
    lines, n = err.splitlines(), SCENARIO.count("\n")
    assert lines[0] == (f'{path}:{n + 2}: variants.broken["timeline[0].at"]: timeline[0].at: '
                        'expected a duration like "90s", "5m", "2h", "3d" or "1w", got "lots"')
    assert lines[1] == (f"{path}:{n + 4}: variants.reseeded.seed: a variant cannot set seed: "
                        "replications of every variant share their seeds (common random "
                        "numbers)")
    assert lines[2] == (f'{path}:{n + 6}: variants.missing["timeline[9].at"]: timeline has 3 '
                        "entries (0 to 2): there is no [9]")


def test_variants_run_one_variant(arcsim: Arcsim, scenario: Path, tmp_path: Path) -> None:
    late = sim.run(scenario, variant="late", out=tmp_path, report=False)
    assert late.manifest["scenario"]["timeline"][0]["at"] == 3 * 86400.0
    status, out, _ = arcsim("run", scenario, "--variant", "late", "--no-report", "--quiet",
                            "--out", tmp_path)
    assert status == 0 and Path(out.strip()) == late.path
    status, _, err = arcsim("run", scenario, "--variant", "nope", "--no-report")
    assert status == 2
    assert err.strip() == '--variant: no variant "nope": the scenario declares early, late, same'


def test_variants_cli_prints_paired_differences(arcsim: Arcsim, scenario: Path,
                                                tmp_path: Path) -> None:
    status, out, _ = arcsim("sweep", scenario, "--variant", "early", "--variant", "late",
                            "--replications", "3", "--workers", "1", "--metric",
                            "blocked.total", "--no-figures", "--out", tmp_path / "s")
    assert status == 0
    assert "Paired differences from early (variant - early, same replications)" in out
    assert "only 3 runs" in out  # too few replications is said, not hidden


def test_variants_cli_json_and_quiet(arcsim: Arcsim, scenario: Path, tmp_path: Path) -> None:
    argv = ["sweep", scenario, "--variant", "early", "--variant", "late", "--replications", "2",
            "--workers", "1", "--metric", "blocked.total", "--no-figures"]
    status, out, _ = arcsim(*argv, "--json", "--out", tmp_path / "j")
    printed = json.loads(out)
    assert status == 0 and set(printed) == {"summary", "differences"}
    assert {row["variant"] for row in printed["summary"]} == {"early", "late"}
    status, out, _ = arcsim(*argv, "--quiet", "--out", tmp_path / "q")
    assert (status, out.strip()) == (0, str(tmp_path / "q"))
    status, _, err = arcsim(*argv, "--quiet", "--json")
    assert status == 2 and "not allowed with argument" in err


def test_variants_value_text_reads_back_as_the_same_value() -> None:
    import yaml

    for value in ("14d", "1.40", 3, 0.25, True, None, ["a, b", "c"], {"1.30": 0.4},
                  'say "hi"', "x: y"):
        assert yaml.safe_load(value_text(value)) == value
    assert overrides_of({"timeline[0].at": "3d", "fleet[0].agent_version": "1.40"}) == (
        "timeline[0].at=3d", "fleet[0].agent_version='1.40'")
