"""What each count counts: installs apart from upgrades, local removals per extension with the
machines beside them, blocked operations with every retry and the distinct (machine,
extension) pairs beside them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import sim
from sim.scenario.expect import METRICS, check_path

AMA = "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent"
DEP = "Microsoft.Azure.Monitoring.DependencyAgent/DependencyAgentWindows"
MDE = "Microsoft.Azure.AzureDefenderForServers/MDE.Windows"
SCENARIO = f"""\
name: counts
duration: 3d
seed: 1
fleet:
  - group: open
    count: 1
    os: windows
    agent_version: "1.45"
    extensions: [{AMA}, {MDE}, {{name: {DEP}, version: "9.10"}}]
  - group: locked
    count: 2
    os: windows
    agent_version: "1.45"
    extensions: [{AMA}, {{name: {DEP}, version: "9.10"}}]
    commands:
      - azcmagent config set extensions.allowlist "{AMA}"
timeline:
  - at: 1h
    target: {{group: open}}
    remove_locally: all
  - at: 3h
    target: {{group: open}}
    install: Microsoft.Compute/CustomScriptExtension
  - at: 2h
    auto_upgrade: {{extension: {DEP}, version: "9.11", window: 1d, batches: 1, batch_spread: 1h,
                   retry: 1h, max_retries: 3}}
"""


@pytest.fixture(scope="module")
def metrics(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("counts")
    path = folder / "counts.yaml"
    path.write_text(SCENARIO)
    return sim.run(path, out=folder, report=False).metrics


def test_installs_count_installs_only_and_upgrades_apart(metrics: dict[str, Any]) -> None:
    assert metrics["installs"] == 1  # the Custom Script extension on the open machine
    assert metrics["upgrades"] == 1  # the Dependency agent where it is allowed
    assert metrics["distinct"]["installs"] == metrics["machines_with"]["installs"] == 1


def test_r6_local_removals_count_extensions_with_machines_beside(
        metrics: dict[str, Any]) -> None:
    assert metrics["local_removals"] == 3  # "remove all" on one machine: three extensions
    assert metrics["distinct"]["local_removals"] == 3
    assert metrics["machines_with"]["local_removals"] == 1
    assert metrics["reinstalls"] == metrics["distinct"]["reinstalls"] == 3


def test_r25_blocked_counts_every_retry_with_distinct_pairs_beside(
        metrics: dict[str, Any]) -> None:
    blocked = metrics["blocked"]
    assert blocked["total"] == blocked["upgrade"]["not_on_allowlist"]
    assert blocked["total"] == 2 * (1 + 3)  # each locked machine: the first try and 3 retries
    assert metrics["distinct"]["blocked"] == 2
    assert metrics["machines_with"]["blocked"] == 2


def test_distinct_and_machine_counts_are_known_metric_paths() -> None:
    assert set(METRICS["distinct"]) == set(METRICS["machines_with"])  # type: ignore[arg-type]
    for path in ("upgrades", "distinct.blocked", "machines_with.local_removals"):
        check_path(path)


def test_metrics_doc_names_every_metric() -> None:
    text = (Path(__file__).parents[1] / "docs" / "metrics.md").read_text(encoding="utf-8")
    for name, shape in METRICS.items():
        assert f"`{name}" in text, name
        if isinstance(shape, dict):
            for key in shape:
                assert f"{name}.{key}" in text or f"`{key}`" in text, f"{name}.{key}"
