"""Running scenarios: the shipped ones hold their expectations; ``sim.run`` and the CLI."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import Arcsim

import sim
from sim.engine.metrics import summarise
from sim.runs.execute import advance
from sim.scenario import library
from sim.scenario.build import build_world
from sim.scenario.expect import (
    METRICS,
    Listing,
    Table,
    check_path,
    evaluate,
    lookup,
    parse_expected,
)
from sim.scenario.loading import load_scenario, scenario_from_text

SCALE = 0.1
"""Shipped scenarios' expectations must hold from this scale up (CI runs them small)."""
SHIPPED = library.shipped()
SMALL = """\
name: small
description: |
  A small test scenario.
duration: 2d
seed: 5
start: 2026-01-05T00:00:00Z
fleet:
  - group: win
    count: 20
    agent_versions: {"1.30": 0.5, "1.45": 0.5}
    extensions: [Microsoft.Azure.Monitor/AzureMonitorWindowsAgent]
    commands:
      - >-
        azcmagent config set extensions.allowlist
        "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent"
timeline:
  - at: 1h
    window: 2h
    install: Microsoft.Compute/CustomScriptExtension
  - rate: 20%/day
    actor: cleanup
    remove_locally: Microsoft.Azure.Monitor/AzureMonitorWindowsAgent
expect:
  blocked.install.not_on_allowlist: 20
  reinstalls: "> 0"
  overrides.total: 0
"""


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL)
    return path


def test_discovery_finds_the_shipped_scenarios() -> None:
    names = {s.name for s in SHIPPED}
    assert {"default", "ama-only-lockdown", "reinstall-storm-private-endpoint",
            "policy-deny-override"} <= names


@pytest.mark.parametrize("shipped", SHIPPED, ids=[s.name for s in SHIPPED])
def test_shipped_scenario_holds_its_expectations_at_small_scale(
        shipped: library.Shipped, tmp_path: Path) -> None:
    result = sim.run(shipped.path, scale=SCALE, out=tmp_path)
    assert result.expectations, "a shipped scenario encodes its answer in expect:"
    assert [(e.path, e.expected, e.actual) for e in result.misses] == []


def test_the_default_scenario_runs_in_a_few_seconds_at_full_scale(tmp_path: Path) -> None:
    result = sim.run("default", out=tmp_path)
    assert result.ok and result.manifest["counts"]["machines"] >= 2_000
    assert result.manifest["timings_s"]["run"] < 5.0


def _shape(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _shape(v) for k, v in value.items()}
    return None


def _fixed(shape: Any) -> Any:
    if isinstance(shape, Table | Listing):
        return "table"
    if isinstance(shape, Mapping):
        return {k: _fixed(v) for k, v in shape.items()}
    return None


def test_the_expect_shape_is_the_shape_of_summarise(tmp_path: Path) -> None:
    world = build_world(scenario_from_text(SMALL))
    world.run(2 * 86_400.0)
    metrics = _shape(summarise(world))

    def compare(fixed: Any, actual: Any, where: str) -> None:
        if fixed == "table":
            assert isinstance(actual, dict), where
            return
        if fixed is None:
            assert actual is None, where
            return
        assert set(fixed) == set(actual), where
        for key in fixed:
            compare(fixed[key], actual[key], f"{where}.{key}")

    compare(_fixed(METRICS), metrics, "metrics")


def test_every_metric_number_can_be_expected() -> None:
    for path in ("records", "blocked.total", "blocked.by_reason.policy_deny",
                 "churn.bytes_by_path.direct", "coverage.stale_versions",
                 "overrides.by_rule.R16", "blocked.by_extension.Microsoft.Compute/X"):
        check_path(path)


def test_lookup_counts_absent_table_entries_as_zero() -> None:
    metrics = {"blocked": {"by_extension": {"Microsoft.Compute/CustomScriptExtension": 3}},
               "reinstalls": 2}
    assert lookup(metrics, "blocked.by_extension.microsoft.compute/customscriptextension") == 3
    assert lookup(metrics, "blocked.by_extension.Microsoft.A/B") == 0
    results = evaluate({"reinstalls": parse_expected("> 2"), "nope": parse_expected(1)}, metrics)
    assert [(r.actual, r.ok) for r in results] == [(2.0, False), (None, False)]


def test_steps_do_not_change_the_records() -> None:
    scenario = scenario_from_text(SMALL)
    one, many = build_world(scenario), build_world(scenario)
    one.run(scenario.duration)
    advance(many, scenario.duration)
    for name, column in one.records.columns.items():
        assert np.array_equal(column, many.records[name]), name


def test_run_accepts_a_path_a_name_or_a_scenario(small: Path, tmp_path: Path) -> None:
    by_path = sim.run(small, out=tmp_path / "a")
    by_object = sim.run(load_scenario(small), out=tmp_path / "b")
    assert by_path.path.name == by_object.path.name
    assert by_path.metrics == by_object.metrics and by_path.ok
    assert sim.run("default", scale=0.01, out=tmp_path).name == "default"


def test_seed_and_overrides_change_the_run_and_its_folder(small: Path, tmp_path: Path) -> None:
    base = sim.run(small, out=tmp_path)
    reseeded = sim.run(small, seed=6, out=tmp_path)
    assert base.path.name.startswith("small-5-") and reseeded.path.name.startswith("small-6-")
    smaller = sim.run(small, overrides=["fleet[0].count=10"], out=tmp_path)
    assert smaller.metrics["coverage"]["machines"] == 10
    assert smaller.path != base.path
    scenario = load_scenario(small)
    assert sim.run(scenario, seed=6, out=tmp_path).path == reseeded.path


def test_progress_shows_on_simulated_time_without_changing_the_result(
        small: Path, tmp_path: Path) -> None:
    quiet = sim.run(small, out=tmp_path / "q")
    shown = sim.run(small, out=tmp_path / "p", progress=True)
    assert shown.metrics == quiet.metrics


# --- the CLI ------------------------------------------------------------------------------


def test_r17_cli_run_counts_local_configuration_overrides_as_override_actions(
        tmp_path: Path, arcsim: Arcsim) -> None:
    status, out, _ = arcsim("run", "script-and-guest-config-tamper", "--scale", "0.01",
                            "--no-report", "--out", tmp_path)
    assert status == 0
    assert ("Overrides: 4 operations let through by 4 override actions (0 in Azure Policy, 4 "
            "local configuration changes); by who lifted the protection: custom-guest-policy "
            "2, script-runner 2") in " ".join(out.split())  # 2 servers a group: the script's
    # clear on scripts-allowed, the guest configuration policy's on guest-config-on (R17)


def test_cli_run_prints_a_summary_and_the_folder(small: Path, tmp_path: Path,
                                                 arcsim: Arcsim) -> None:
    status, out, _ = arcsim("run", small, "--out", tmp_path)
    assert status == 0
    assert "small (seed 5): 20 machines, 2d, " in out
    assert "not_on_allowlist" in out and "Reinstall churn:" in out and "Overrides: 0" in out
    assert "blocked.install.not_on_allowlist" in out
    folder = out.strip().splitlines()[-1].removeprefix("Result: ")
    assert Path(folder).is_dir() and Path(folder).parent == tmp_path


def test_cli_run_json_and_quiet(small: Path, tmp_path: Path, arcsim: Arcsim) -> None:
    status, out, _ = arcsim("run", small, "--json", "--seed", "8", "--out", tmp_path)
    assert status == 0
    assert json.loads(out)["blocked"]["install"]["not_on_allowlist"] == 20
    status, out, _ = arcsim("run", small, "--quiet", "--set", "duration=1d", "--scale", "0.5",
                            "--out", tmp_path)
    folder = Path(out.strip())
    assert status == 0
    assert folder.is_dir() and sim.load(folder).manifest["counts"]["machines"] == 10


def test_cli_check_exit_1_on_a_miss_with_a_table(small: Path, tmp_path: Path,
                                                 arcsim: Arcsim) -> None:
    out = ["--out", tmp_path / "results"]
    assert arcsim("check", small, *out).status == 0
    missing = tmp_path / "miss.yaml"
    missing.write_text(SMALL.replace("overrides.total: 0", "overrides.total: 3"))
    status, text, _ = arcsim("check", small, missing, *out)
    assert status == 1
    assert "expected vs actual" in text and "overrides.total" in text and "MISS" in text
    assert arcsim("check", tmp_path, *out).status == 1  # the folder: both files


def test_cli_check_invalid_file_is_exit_2(small: Path, tmp_path: Path, arcsim: Arcsim) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(SMALL.replace("duration: 2d", "duration: 2 days"))
    status, _, err = arcsim("check", small, bad, "--out", tmp_path / "r")
    assert status == 2
    assert f"{bad}:4: duration: expected a duration" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    status, _, err = arcsim("check", empty)
    assert status == 2
    assert "no scenario files (*.yaml) in this folder" in err


def test_cli_list_and_schema(tmp_path: Path, arcsim: Arcsim) -> None:
    status, out, _ = arcsim("list")
    assert status == 0
    assert "default" in out and "policy-deny-override" in out
    status, out, _ = arcsim("list", "--json")
    assert status == 0
    assert all(entry["description"] for entry in json.loads(out))
    status, out, _ = arcsim("schema")
    assert status == 0
    assert json.loads(out)["title"] == "Scenario"
    target = tmp_path / "schema.json"
    assert arcsim("schema", "--out", target).status == 0
    assert "timeline" in json.loads(target.read_text())["properties"]
