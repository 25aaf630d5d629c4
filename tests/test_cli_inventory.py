"""``arcsim import``: the summary, the fleet file, formats, anonymising, errors (issue 8)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from helpers import Arcsim

from sim.scenario.inventory import convert_inventory, fleet_to_data, load_inventory

DATA = Path(__file__).parent / "data" / "inventory"
CLI_FILES = [str(DATA / n) for n in ("cli-list.json", "cli-show.json", "cli-extensions.json")]


def test_import_prints_the_summary_and_writes_the_fleet_file(
        arcsim: Arcsim, tmp_path: Path) -> None:
    out_file = tmp_path / "fleet.yaml"
    status, out, err = arcsim("import", *CLI_FILES, "--out", str(out_file))
    assert (status, err) == (0, "")
    assert out.startswith("Imported 6 machines (az-cli-list + az-cli-show)")
    for cell in ("│ windows │        5 │", "│ Disconnected │        1 │",
                 "│ Microsoft.Azure.Monitor/AzureMonitorWindowsAgent │          1 │",
                 "│ Microsoft.Compute/CustomScriptExtension          │          1 │",
                 "│ rg-web-windows-3 │        1 │"):
        assert cell in out
    assert "Warnings (1):" in out
    assert out.rstrip().endswith(f"6 groups (6 machines) written to {out_file}")
    expected = convert_inventory(load_inventory(*CLI_FILES)).fleet
    assert yaml.safe_load(out_file.read_text()) == fleet_to_data(expected)
    assert out_file.read_text().startswith("# Fleet imported by arcsim import from ")
    assert [p.name for p in tmp_path.iterdir()] == ["fleet.yaml"]


def test_json_summary_and_anonymised_names(arcsim: Arcsim) -> None:
    status, out, err = arcsim("import", *CLI_FILES, "--json", "--anonymise", "--seed", "5",
                                "--group-by", "location")
    assert (status, err) == (0, "")
    data = json.loads(out)
    assert data["machines"] == 6 and data["by_os"] == {"windows": 5, "linux": 1}
    assert data["group_by"] == ["location"]
    assert set(data["groups"]) >= {"westeurope-windows-1", "eastus-windows-1"}
    assert "web01" not in out and "rg-web" not in out and data["written"] is None


def test_group_by_none_puts_every_machine_under_one_key(arcsim: Arcsim) -> None:
    status, out, _ = arcsim("import", *CLI_FILES, "--json", "--group-by", "none")
    assert status == 0 and all(g.startswith("fleet-") for g in json.loads(out)["groups"])


@pytest.mark.parametrize(("argv", "message"), [
    pytest.param(["--format", "arm"], "cli-list.json: expected ARM REST list "
                 '({"value": [...], "nextLink": ...}) (--format arm), found az connectedmachine '
                 "list / extension list output (a JSON list)", id="format-mismatch"),
    pytest.param(["--group-by", "rack"], "argument --group-by: expected resource_group, "
                 'subscription, location or none (comma-separated), got "rack"', id="group-by"),
])
def test_bad_input_is_one_line_without_a_traceback(arcsim: Arcsim,
                                                   argv: list[str], message: str) -> None:
    status, out, err = arcsim("import", CLI_FILES[0], *argv)
    assert status == 2 and out == ""
    assert err.startswith("arcsim: error: ") and message in err and len(err.splitlines()) == 1


def test_a_malformed_export_names_the_json_path(arcsim: Arcsim) -> None:
    status, out, err = arcsim("import", str(DATA / "agentversion-number.json"))
    assert status == 2 and out == ""
    assert err == (f"arcsim: error: {DATA / 'agentversion-number.json'}: value[3].properties."
                   'agentVersion: expected a version like "1.58.03228.700", got 7\n')


def test_format_relabels_a_plain_list_and_reads_csv(arcsim: Arcsim) -> None:
    status, out, _ = arcsim("import", CLI_FILES[0], "--format", "arg-json", "--json")
    assert status == 0 and json.loads(out)["format"] == "resource-graph-json"
    status, out, _ = arcsim("import", str(DATA / "arg.csv"), "--format", "arg-csv", "--quiet")
    assert (status, out) == (0, "")


def test_a_failed_write_leaves_no_file(arcsim: Arcsim,
                                       tmp_path: Path) -> None:
    target = tmp_path / "absent" / "fleet.yaml"
    status, _, err = arcsim("import", *CLI_FILES, "--out", str(target), "--quiet")
    assert status == 2 and err == (f"arcsim: error: {target}: cannot write: No such file or "
                                   "directory\n")
    assert not target.parent.exists()
