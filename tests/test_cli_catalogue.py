"""``arcsim catalogue``: every known extension with every fact the catalogue holds about it,
read from the entries themselves, and docs/catalogue.md holding the same table."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

from helpers import Arcsim

from sim.cli.catalogue import entries, entry_row, markdown
from sim.rules.catalogue import BUILTIN, CatalogueEntry, OsType

DOC = Path(__file__).resolve().parents[1] / "docs" / "catalogue.md"
FIELDS = [f.name for f in dataclasses.fields(CatalogueEntry) if f.name != "id"]


def test_catalogue_lists_every_extension_with_every_field(arcsim: Arcsim) -> None:
    status, out, _ = arcsim("catalogue", "--json")
    assert status == 0
    data = json.loads(out)
    rows = {row["extension"]: row for row in data["entries"]}
    assert set(rows) == {e.id.name for e in BUILTIN}
    for entry in BUILTIN:
        row = rows[entry.id.name]
        assert (row["publisher"], row["type"]) == (entry.id.publisher, entry.id.type)
        assert set(FIELDS) <= set(row)
        assert row["runs_scripts"] is entry.runs_scripts
        assert row["auto_upgrade"] is entry.auto_upgrade
        assert row["size_bytes"] == entry.size_bytes
    assert data["explained_in"] == "docs/catalogue.md"


def test_catalogue_table_shows_each_fact(arcsim: Arcsim) -> None:
    status, out, _ = arcsim("catalogue")
    assert status == 0
    header = next(line for line in out.splitlines() if "extension" in line and "hosting" in line)
    for name in ("extension", "os", "runs_scripts", "hosting", "auto_upgrade", "size_bytes"):
        assert name in header
    assert "Where each fact comes from: docs/catalogue.md" in out


def test_catalogue_filters_by_os_in_any_case(arcsim: Arcsim) -> None:
    _, out, _ = arcsim("catalogue", "--os", "Linux", "--json")
    oses = {row["os"] for row in json.loads(out)["entries"]}
    assert oses <= {"linux", "any"} and "linux" in oses
    assert len(entries("linux")) < len(BUILTIN)


def test_catalogue_shows_fields_it_does_not_know_about_such_as_sources() -> None:
    @dataclasses.dataclass(frozen=True)
    class Source:
        title: str
        url: str

    @dataclasses.dataclass(frozen=True)
    class Sourced(CatalogueEntry):
        sources: tuple[Source, ...] = ()

    base = next(iter(BUILTIN))
    entry = Sourced(**{f.name: getattr(base, f.name) for f in dataclasses.fields(base)},
                    sources=(Source("A page", "https://example.org/a"),))
    row = entry_row(entry)
    assert row["sources"] == [{"title": "A page", "url": "https://example.org/a"}]
    assert row["os"] == OsType(base.os).value
    assert "| A page https://example.org/a |" in markdown([row])


def test_docs_catalogue_holds_the_generated_table() -> None:
    text = DOC.read_text(encoding="utf-8")
    found = re.search(r"<!-- catalogue:.*?-->\n(.*?)\n<!-- end catalogue -->", text, re.S)
    assert found, "docs/catalogue.md has no generated table"
    expected = markdown([entry_row(e) for e in entries()])
    assert found.group(1) == expected, "regenerate it with: arcsim catalogue --markdown"
