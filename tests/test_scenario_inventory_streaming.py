"""Inventory import read a chunk at a time (issue 8: large exports, streaming): the same
inventory whatever the chunk size, errors deep in a large export still located (JSON path,
line and column, CSV line), pages across files and within one file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sim.scenario.inventory import (
    Inventory,
    InventoryError,
    load_inventory,
    summary,
    text_stream,
)
from sim.scenario.inventory.documents import read_document

DATA = Path(__file__).parent / "data" / "inventory"
SHARED = Path(__file__).parent / "data" / "formats" / "arm"
SUB = "11111111-2222-3333-4444-555555555555"
EXPORTS = [("arm-page1.json", "arm-page2.json"), ("cli-list.json", "cli-show.json",
                                                  "cli-extensions.json"),
           ("arg.json",), ("arg.csv",), ("bad-cell.csv",), ("bad.json",),
           ("missing-ostype.json",), ("agentversion-number.json",), ("unknown-format.json",)]


def machine(i: int, **props: Any) -> dict[str, Any]:
    return {"id": f"/subscriptions/{SUB}/resourceGroups/rg-{i % 3}/providers/"
                  f"Microsoft.HybridCompute/machines/m{i:05d}",
            "name": f"m{i:05d}", "type": "Microsoft.HybridCompute/machines",
            "properties": {"osType": "Linux", "status": "Connected",
                           "agentVersion": "1.58.03228.700", **props}}


def outcome(*paths: Path) -> str:
    """What an import gives (machines, their extensions, sources, warnings) or its error."""
    try:
        inventory: Inventory = load_inventory(*paths)
    except InventoryError as exc:
        return f"error: {exc}"
    return repr(inventory.machines) + summary(inventory)


@pytest.mark.parametrize("names", EXPORTS, ids=lambda names: names[0])
def test_any_chunk_size_reads_the_same_inventory_or_error(
        names: tuple[str, ...], monkeypatch: pytest.MonkeyPatch) -> None:
    paths = [DATA / name for name in names]
    whole = outcome(*paths)
    for chunk in (1, 7, 64):
        monkeypatch.setattr(text_stream, "CHUNK", chunk)
        assert outcome(*paths) == whole


def test_shared_arm_samples_read_the_same_in_small_chunks(
        monkeypatch: pytest.MonkeyPatch) -> None:
    paths = [SHARED / "machines-list.json", SHARED / "extensions-list.json"]
    whole = outcome(*paths)
    monkeypatch.setattr(text_stream, "CHUNK", 5)
    assert outcome(*paths) == whole and not whole.startswith("error")


def write_big(tmp_path: Path, machines: list[dict[str, Any]], **top: Any) -> Path:
    """A pretty-printed ARM page bigger than a few chunks (one element per few lines)."""
    path = tmp_path / "machines.json"
    path.write_text(json.dumps({"value": machines, **top}, indent=1), encoding="utf-8")
    return path


def test_a_malformed_element_deep_in_a_big_array_is_reported_with_its_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text_stream, "CHUNK", 4096)
    machines = [machine(i) for i in range(3000)]
    machines[2718]["properties"]["agentVersion"] = 7
    path = write_big(tmp_path, machines)
    assert path.stat().st_size > 100 * text_stream.CHUNK
    with pytest.raises(InventoryError) as info:
        load_inventory(path)
    assert str(info.value) == (f'{path}: value[2718].properties.agentVersion: expected a version '
                               'like "1.58.03228.700", got 7')


def test_malformed_json_deep_in_a_big_file_gives_the_line_and_column_of_the_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text_stream, "CHUNK", 4096)
    text = json.dumps({"value": [machine(i) for i in range(3000)]}, indent=1)
    cut = text.index('"m02718"')
    broken = text[:cut] + "'" + text[cut + 1:]  # a single-quoted name
    path = tmp_path / "machines.json"
    path.write_text(broken, encoding="utf-8")
    line = broken.count("\n", 0, cut) + 1
    column = cut - broken.rfind("\n", 0, cut)
    with pytest.raises(InventoryError) as info:
        load_inventory(path)
    assert str(info.value) == f"{path}:{line}:{column}: invalid JSON: Expecting value"
    with pytest.raises(json.JSONDecodeError) as plain:
        json.loads(broken)
    assert (plain.value.lineno, plain.value.colno, plain.value.msg) == (line, column,
                                                                        "Expecting value")


@pytest.mark.parametrize("text", [
    '{"value": [] "nextLink": null}', '{"value": []} []', '{"value": [], }', '{"value" []}',
    '[{"name": "m"},', '{"value": [1, 2', '{"data": [', '[\n  {"name": "m"}\n  {"name": "n"}]',
])
def test_malformed_json_around_the_streamed_list_is_located_as_json_loads_does(
        tmp_path: Path, text: str) -> None:
    path = tmp_path / "m.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(json.JSONDecodeError) as plain:
        json.loads(text)
    with pytest.raises(InventoryError) as info:
        load_inventory(path)
    assert str(info.value) == (f"{path}:{plain.value.lineno}:{plain.value.colno}: invalid JSON: "
                               f"{plain.value.msg}")


def test_a_byte_that_is_not_utf8_far_into_a_file_gives_its_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text_stream, "CHUNK", 1000)
    text = json.dumps({"value": [machine(i) for i in range(500)]}, indent=1)
    cut = text.index('"m00400"') + 3
    path = tmp_path / "m.json"
    path.write_bytes(text[:cut].encode() + b"\xe9" + text[cut:].encode())
    with pytest.raises(InventoryError) as info:
        load_inventory(path)
    line = text.count("\n", 0, cut) + 1
    assert str(info.value) == f"{path}:{line}: not UTF-8 text (byte 0xe9)"


def test_a_csv_row_far_into_a_file_is_located_by_its_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text_stream, "CHUNK", 256)
    rows = [f'/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.HybridCompute/machines/'
            f'm{i},m{i},microsoft.hybridcompute/machines,"{{""osType"":""Linux""}}"'
            for i in range(400)]
    rows[300] = rows[300].replace('""Linux""', '""Solaris""')
    path = tmp_path / "m.csv"
    path.write_text("\n\nid,name,type,properties\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(InventoryError) as info:
        load_inventory(path)
    assert str(info.value) == (f'{path}:304: [300].properties.osType: expected "Windows" or '
                               '"Linux", got "Solaris"')


def test_pages_across_files_and_within_one_file_are_concatenated(tmp_path: Path) -> None:
    machines = [machine(i) for i in range(30)]
    pages = [{"value": machines[i:i + 10], "nextLink": f"https://next/{i}"}
             for i in range(0, 30, 10)]
    pages[-1]["nextLink"] = None
    files = []
    for n, page in enumerate(pages):
        files.append(tmp_path / f"page{n}.json")
        files[-1].write_text(json.dumps(page), encoding="utf-8")
    (tmp_path / "pages.json").write_text(json.dumps(pages), encoding="utf-8")
    as_files, as_list = load_inventory(*files), load_inventory(tmp_path / "pages.json")
    assert [m.name for m in as_files.machines] == [f"m{i:05d}" for i in range(30)]
    assert as_list.machines == as_files.machines and as_list.warnings == as_files.warnings == ()
    assert [s.pages for s in as_list.sources] == [3]
    missing_last = load_inventory(*files[:2])
    assert [str(w) for w in missing_last.warnings] == [
        f"{files[1]}: top level: the last page links to more results (nextLink or skip "
        "token); the export is incomplete: give every page (several files or a JSON list of "
        "pages)"]


def test_a_list_of_pages_holding_something_else_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "pages.json"
    path.write_text(json.dumps([{"value": [machine(1)]}, machine(2)]), encoding="utf-8")
    with pytest.raises(InventoryError, match=r"pages\.json: \[1\]: expected a page "
                                             r'\{"value": \[\.\.\.\]\} as the first element is'):
        load_inventory(path)


def test_a_document_is_read_as_its_items_are_taken(tmp_path: Path) -> None:
    path = write_big(tmp_path, [machine(i) for i in range(2)], nextLink="https://next")
    doc = read_document(path)
    assert doc.pages == []
    assert [item.path for item in doc.items] == [("value", 0), ("value", 1)]
    assert [(p.next_link, p.items) for p in doc.pages] == [("https://next", 2)]
