"""``arcsim import`` on real export shapes (issue 18, spec R6c, R8): the OS from osType else
osName in any case, machines without OS left out by name, Failed extensions kept through a run
and back (round trip)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from helpers import Arcsim

from sim.scenario.build import build_world
from sim.scenario.loading import load_scenario

EXPORTS = Path(__file__).resolve().parent / "data" / "real" / "exports"
MMA = "Microsoft.EnterpriseCloud.Monitoring/MicrosoftMonitoringAgent"


def test_r6c_a_failed_extension_stays_installed_through_a_run_and_back(
        arcsim: Arcsim, tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.yaml"
    status, _, err = arcsim("import", EXPORTS / "arm-page-osname-only.json",
                            EXPORTS / "arm-extensions-failed.json", "--out", fleet, "--quiet")
    assert status == 0, err
    groups = yaml.safe_load(fleet.read_text())["fleet"]
    windows = next(g for g in groups if g["os"] == "windows")
    assert {"name": MMA, "version": "1.0.18067.0", "state": "Failed"} in windows["extensions"]
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(yaml.safe_dump({"name": "round-trip", "duration": "1d",
                                        "fleet": {"from": "fleet.yaml"}}))
    world = build_world(load_scenario(scenario), tmp_path)
    world.run(1.0)
    g = list(world.group_names).index(windows["group"])
    m = next(i for i in range(world.n_machines) if world.m_group[i] == g)
    assert world.provisioning_state(m, MMA) == "Failed"
    status, _, err = arcsim("run", scenario, "--out", tmp_path / "out", "--inventory",
                            "--no-report", "--quiet")
    assert status == 0, err
    (inventory,) = (tmp_path / "out").glob("*/inventory")
    again = tmp_path / "again.yaml"
    status, out, err = arcsim("import", inventory / "machines.json",
                              inventory / "extensions.json", "--out", again, "--json")
    assert status == 0, err
    assert json.loads(out)["installed_by_type"][MMA] == 1
    regroups = yaml.safe_load(again.read_text())["fleet"]
    assert any(e.get("state") == "Failed" and e["name"] == MMA
               for g in regroups for e in g["extensions"])


def test_r8_the_os_is_read_from_os_type_else_os_name_in_any_case(arcsim: Arcsim,
                                                                 tmp_path: Path) -> None:
    status, out, err = arcsim("import", EXPORTS / "cli-connectedmachine-list.json", "--json")
    assert status == 0, err
    summary = json.loads(out)
    assert summary["by_os"] == {"windows": 2, "linux": 1}
    assert any("left out: 1 machine (e.g. prereg-0042)" in w for w in summary["warnings"])


def test_r8_an_export_where_no_machine_reports_its_os_is_a_located_error(
        arcsim: Arcsim, tmp_path: Path) -> None:
    export = tmp_path / "prereg.json"
    export.write_text(json.dumps({"value": [{
        "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.HybridCompute/machines/p1",
        "name": "p1", "type": "Microsoft.HybridCompute/machines", "location": "westeurope",
        "properties": {"osType": None, "osName": None, "status": "Disconnected"}}]}))
    status, out, err = arcsim("import", export)
    assert status == 2 and out == ""
    assert err.startswith(f"arcsim: error: no machine in {export} reports its OS")
