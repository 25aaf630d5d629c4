"""Inventory exports and fleet files: any export imports or gives a located error; a fleet file
is written whole or not at all, wherever it is asked for."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from fuzzing import (
    INVENTORY_FILES,
    byte_mutations,
    documents,
    fuzz_settings,
    leftovers,
    mutated,
    outcome,
    time_bound,
)
from hypothesis import given
from hypothesis import strategies as st

from sim.engine import FleetSpec, GroupSpec
from sim.scenario.inventory import (
    InventoryError,
    convert_inventory,
    load_inventory,
    text_stream,
    write_fleet_yaml,
)

pytestmark = [pytest.mark.fuzz, pytest.mark.filterwarnings("ignore::sim.errors.ArcsimWarning")]

MACHINE = {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.HybridCompute/machines/m",
           "name": "m", "type": "Microsoft.HybridCompute/machines", "location": "westeurope",
           "properties": {"osType": "windows", "agentVersion": "1.40", "status": "Connected"}}


def import_error(folder: Path, name: str, text: str) -> str:
    """The located error of importing a file holding ``text``."""
    (folder / name).write_text(text, encoding="utf-8")
    with time_bound(), pytest.raises(InventoryError) as caught:
        convert_inventory(load_inventory(folder / name))
    return str(caught.value)


@pytest.mark.parametrize(("text", "message"), [
    pytest.param("[" * 5000 + "]" * 5000, "e.json:1:2: nested more than 64 levels deep",
                 id="deep-array"),
    pytest.param(f'[{{"a": {"[" * 3000}{"]" * 3000}}}]', "nested more than 64 levels deep",
                 id="deep-resource"),
    pytest.param(f'[{{"a": {"1" * 5000}}}]', "e.json:1:2: a number of more than 100 digits",
                 id="5000-digit-number"),
    pytest.param(json.dumps([{**MACHINE, "properties": {**MACHINE["properties"],
                                                          "agentVersion": "1." + "4" * 5000}}]),
                 'agentVersion: expected a version like "1.58.03228.700", got "1.44',
                 id="5000-digit-version"),
])
def test_an_export_past_the_readers_limits_is_a_located_error(
        tmp_path: Path, text: str, message: str) -> None:
    assert message in import_error(tmp_path, "e.json", text)


def test_a_value_longer_than_the_limit_is_a_located_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text_stream, "CHUNK", 64)
    monkeypatch.setattr(text_stream, "MAX_VALUE_CHARS", 1_000)
    text = json.dumps([MACHINE, {**MACHINE, "name": "x" * 5_000}])
    assert "e.json:1:" in import_error(tmp_path, "e.json", text)
    assert "a JSON value longer than 1,000 characters: not read" in \
        import_error(tmp_path, "e.json", text)


def test_a_csv_cell_past_the_readers_limits_is_a_located_error(tmp_path: Path) -> None:
    rows = io.StringIO()
    writer = csv.writer(rows)
    writer.writerow(["id", "name", "type", "properties"])
    writer.writerow([MACHINE["id"], "m", MACHINE["type"], "[" * 3000 + "]" * 3000])
    message = import_error(tmp_path, "e.csv", rows.getvalue())
    assert message == (f"{tmp_path / 'e.csv'}:2: [0].properties: JSON in the cell nested more "
                       "than 64 levels deep")


FLEET = FleetSpec((GroupSpec("web", 3),))


@pytest.mark.parametrize("target", [".", "", "missing/fleet.yaml", "a\x00b.yaml",
                                    "a" * 300 + ".yaml", "folder"])
def test_a_fleet_file_written_where_it_cannot_be_is_a_located_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder").mkdir()
    with time_bound(), pytest.raises(InventoryError, match="cannot write"):
        write_fleet_yaml(FLEET, target)
    assert leftovers(tmp_path) == []


# --- properties -----------------------------------------------------------------------------

def _parsed(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError:  # the shipped examples of broken exports
        return None


SHIPPED_JSON = {p.name: _parsed(p) for p in INVENTORY_FILES
                if p.suffix == ".json" and _parsed(p) is not None}
SHIPPED_RAW = {p.name: p.read_bytes() for p in INVENTORY_FILES}
EXPORT_WORDS = ["id", "name", "type", "properties", "osType", "agentVersion", "status",
                "agentConfiguration", "extensionsAllowList", "extensionsBlockList", "publisher",
                "provisioningState", "typeHandlerVersion", "value", "nextLink", "tags",
                "resources", "data", "location", "mssqlDiscovered", "configMode"]


def _import(path: Path) -> Any:
    return convert_inventory(load_inventory(path))


@st.composite
def exports(draw: st.DrawFn) -> tuple[str, bytes]:
    """An export: a shipped one with values changed, byte-mutated, or made up."""
    kind = draw(st.sampled_from(["edited", "bytes", "made-up"]))
    if kind == "edited":
        name = draw(st.sampled_from(sorted(SHIPPED_JSON)))
        data = draw(mutated(SHIPPED_JSON[name], documents(EXPORT_WORDS)))
        return name, json.dumps(data).encode()
    if kind == "bytes":
        name = draw(st.sampled_from(sorted(SHIPPED_RAW)))
        return name, draw(byte_mutations(SHIPPED_RAW[name]))
    return "made-up.json", json.dumps(draw(documents(EXPORT_WORDS))).encode()


@fuzz_settings(200)
@given(exports())
def test_any_export_imports_or_gives_a_located_error(
        tmp_path_factory: pytest.TempPathFactory, export: tuple[str, bytes]) -> None:
    name, raw = export
    path = tmp_path_factory.mktemp("export") / name
    path.write_bytes(raw)
    outcome(lambda: _import(path))


@fuzz_settings(60)
@given(st.sampled_from([".", "", "sub/x.yaml", "x.yaml", "folder", "x" * 260,
                        "folder/../x.yaml", "\udcff.yaml"]))
def test_a_fleet_file_is_whole_or_absent(tmp_path_factory: pytest.TempPathFactory,
                                         target: str) -> None:
    folder = tmp_path_factory.mktemp("fleet")
    (folder / "folder").mkdir()
    path = folder / target

    def write() -> None:
        write_fleet_yaml(FLEET, path)
        assert path.read_text(encoding="utf-8").endswith("outages: []\n")

    outcome(write)
    assert leftovers(folder) == []
