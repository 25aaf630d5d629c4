"""Assembling an inventory from export files: machines with their extensions matched.

:func:`load_inventory` reads files (any mix of formats: machines, extensions, pages of one
list), :func:`build_inventory` matches each extension to its machine and collects warnings.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sim.scenario.inventory.documents import parse_data, parse_document, read_document
from sim.scenario.inventory.located import (
    InventoryError,
    InventoryFormat,
    InventoryNote,
    Item,
    Notes,
    Page,
    SourceDocument,
)
from sim.scenario.inventory.machines import ConfigCache, read_machine
from sim.scenario.inventory.resources import (
    ExtensionCache,
    ImportedExtension,
    Kind,
    Machine,
    classify,
    read_extension,
)
from sim.scenario.source import format_path


@dataclass(frozen=True, slots=True)
class Source:
    """One input file: its detected format and what it held."""

    file: str
    format: InventoryFormat
    machines: int
    extensions: int
    pages: int


@dataclass(frozen=True)
class Inventory:
    """Machines read from one or more exports, with their extensions matched to them."""

    machines: tuple[Machine, ...]
    sources: tuple[Source, ...]
    warnings: tuple[InventoryNote, ...] = ()

    @property
    def format(self) -> str:
        """The detected format(s), e.g. ``arm-rest`` or ``arm-rest + az-cli-list``."""
        return " + ".join(dict.fromkeys(s.format.value for s in self.sources))


def load_inventory(*paths: str | os.PathLike[str], expected_format: str | None = None
                   ) -> Inventory:
    """Read export files (any mix of formats: machines, extensions, pages of one list, in
    order) into an :class:`Inventory`; ``expected_format`` (``cli``, ``arm``, ``arg-json``,
    ``arg-csv``; None or ``auto``: detect) is the format every file must have.

    Raises:
        InventoryError: a file cannot be read or parsed, a machine or extension is malformed
            (file and JSON path in the message), a file is not of ``expected_format``, or no
            machine was found.
    """
    if not paths:
        raise InventoryError("no inventory file given")
    return build_inventory(read_document(path, expected_format) for path in paths)


def inventory_from_text(text: str, filename: str = "<string>") -> Inventory:
    """An :class:`Inventory` from one export given as text (JSON or CSV); errors as
    :func:`load_inventory`, labelled with ``filename``."""
    return build_inventory([parse_document(text, filename)])


def inventory_from_data(*documents: Any, filename: str = "<data>") -> Inventory:
    """An :class:`Inventory` from already-decoded JSON documents (each as it would be in a
    file); errors as :func:`load_inventory`, labelled ``filename[i]`` when there are several."""
    names = [filename] if len(documents) == 1 else [f"{filename}[{i}]"
                                                    for i in range(len(documents))]
    return build_inventory(parse_data(doc, name) for doc, name in zip(documents, names,
                                                                      strict=True))


def build_inventory(documents: Iterable[SourceDocument]) -> Inventory:
    """Assemble machines and extensions from located documents, matching each extension to its
    machine by the id prefix before ``/extensions/`` (case-insensitive; a machine exported
    without an id is matched by its name). Duplicates keep the first; extensions of machines
    not in the inventory are ignored; both with a warning.

    Raises:
        InventoryError: as :func:`load_inventory`.
    """
    notes, assembly, sources, firsts = Notes(), _Assembly(), [], []
    for doc in documents:
        source, kinds = assembly.add_document(doc, notes)
        sources.append(source)
        firsts.append(_first_kinds(doc.pages, kinds))
    _check_pages(firsts, notes)
    machines = assembly.machines_with_extensions(notes)
    if not machines:
        files = ", ".join(s.file for s in sources)
        if any(s.machines for s in sources):
            raise InventoryError(f"no machine in {files} reports its OS (osType and osName "
                                 "absent or null: pre-registered or still onboarding): "
                                 "nothing to simulate")
        raise InventoryError(f"no Arc-enabled machines found in {files} (an extensions list "
                             "needs the machines export too)")
    return Inventory(machines, tuple(sources), notes.notes())


class _Assembly:
    """Machines by key and extensions by machine key, as documents are added."""

    def __init__(self) -> None:
        self.machines: dict[str, Machine] = {}
        self.extensions: dict[str, dict[str, ImportedExtension]] = {}
        self.ext_names: dict[str, str] = {}
        self.configs: ConfigCache = {}
        self.ext_cache: ExtensionCache = {}

    def add_document(self, doc: SourceDocument, notes: Notes) -> tuple[Source, bytearray]:
        """Add every resource of ``doc`` (reading it); returns what it held and the kind of
        each item (:data:`_KINDS`, one byte each: the page checks need the first of each
        page)."""
        machines = extensions = 0
        others: Counter[str] = Counter()
        kinds = bytearray()
        for item in doc.items:
            kind, type_ = classify(item)
            kinds.append(_KINDS.index(kind))
            if kind is Kind.MACHINE:
                machines += 1
                self._add_machine(item, notes)
            elif kind is Kind.EXTENSION:
                extensions += 1
                self._add_extension(*read_extension(item, self.ext_cache), notes)
            else:
                others[type_.lower()] += 1
        _note_others(doc, machines + extensions, others, notes)
        return Source(doc.file, doc.format, machines, extensions, len(doc.pages)), kinds

    def _add_machine(self, item: Item, notes: Notes) -> None:
        machine = read_machine(item, notes, self.configs)
        if machine is None:
            return
        if self.machines.setdefault(machine.key, machine) is not machine:
            notes.add(f"{item.file}: machine listed more than once; the first is kept",
                      "machine", machine.name)
        for j, child in enumerate(_embedded(item)):
            _, _, ext = read_extension(Item(item.file, (*item.path, "resources", j), child,
                                            item.line))
            self._add_extension(machine.key, machine.name, ext, notes)

    def _add_extension(self, key: str, name: str, ext: ImportedExtension, notes: Notes) -> None:
        if not key:
            notes.add("extension without a machine id (…/machines/<name>/extensions/<ext>); "
                      "ignored", "extension")
            return
        per_machine = self.extensions.setdefault(key, {})
        self.ext_names.setdefault(key, name)
        if per_machine.setdefault(ext.extension.key, ext) is not ext:
            notes.add(f"extension {ext.extension} listed more than once for a machine; the first "
                      "is kept", "machine", name)

    def machines_with_extensions(self, notes: Notes) -> tuple[Machine, ...]:
        """The machines with their extensions; unmatched and not-Succeeded ones noted."""
        by_name = {f"name:{m.name.lower()}": k for k, m in self.machines.items() if not m.id}
        for key, exts in self.extensions.items():
            name = self.ext_names[key]
            target = key if key in self.machines else by_name.get(f"name:{name.lower()}")
            if target is None:
                for _ in exts:
                    notes.add("extensions of machines that are not in the inventory; ignored",
                              "extension", name)
                continue
            machine = self.machines[target]
            self.machines[target] = machine.with_extensions(tuple(exts.values()))
            for ext in exts.values():
                if not ext.is_installed:
                    state = ext.provisioning_state or "no provisioningState"
                    notes.add(f"extensions in state {state} are not counted as installed (only "
                              "Succeeded and Failed ones are, R6c)", "extension", machine.name)
        return tuple(self.machines.values())


def _embedded(item: Item) -> list[Mapping[str, Any]]:
    """Extension resources embedded in a machine resource (``resources``, with $expand)."""
    resources = item.data.get("resources")
    if not isinstance(resources, list):
        return []
    return [r for r in resources if isinstance(r, dict)]


def _note_others(doc: SourceDocument, arc_resources: int, others: Counter[str],
                 notes: Notes) -> None:
    """Other resource types are ignored with a note; a file of only those is no inventory."""
    if not others:
        return
    types = ", ".join(f"{t} ({n})" for t, n in sorted(others.items()))
    if not arc_resources:
        raise InventoryError("unknown inventory format: no Arc-enabled machines "
                             f"(microsoft.hybridcompute/machines) or extensions, only {types}",
                             file=doc.file)
    notes.add(f"{doc.file}: resources of other types ignored: {types}")


_KINDS = tuple(Kind)


def _first_kinds(pages: list[Page], kinds: bytearray) -> list[tuple[Page, Kind]]:
    """Each non-empty page with the kind of its first item."""
    found, offset = [], 0
    for page in pages:
        if page.items:
            found.append((page, _KINDS[kinds[offset]]))
        offset += page.items
    return found


def _check_pages(documents: list[list[tuple[Page, Kind]]], notes: Notes) -> None:
    """Warn when the last page of machines (or of extensions) links to more results: the
    export is incomplete."""
    last: dict[Kind, Page] = {}
    for pages in documents:
        for page, kind in pages:
            last[kind] = page
    for page in last.values():
        if page.next_link:
            where = format_path(page.path) or "top level"
            notes.add(f"{page.file}: {where}: the last page links to more results "
                      "(nextLink or skip token); the export is incomplete: give every page "
                      "(several files or a JSON list of pages)")
