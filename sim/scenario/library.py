"""The shipped scenarios: finding them by name.

Scenarios live in the repository's ``scenarios/`` folder (``*.yaml``, sub-folders too: the name
is the path without ``.yaml``, e.g. ``default`` or ``article/ama-only-windows``). An installed
package without the repository still has the built-in ``default`` scenario, in the
``sim/scenarios_builtin/`` package folder (a copy of ``scenarios/default.yaml``, kept in sync
by a test).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sim.scenario.source import Problem, ScenarioError, load_yaml_file

PACKAGE = Path(__file__).resolve().parent.parent
REPO_SCENARIOS = PACKAGE.parent / "scenarios"
BUILTIN_SCENARIOS = PACKAGE / "scenarios_builtin"
DEFAULT = "default"
SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class Shipped:
    """A shipped scenario: its name, file and one-line description."""

    name: str
    path: Path

    @property
    def summary(self) -> str:
        """The first line of the scenario's ``description`` ("" if unreadable)."""
        try:
            description = load_yaml_file(self.path).data.get("description", "")
        except ScenarioError:
            return ""
        lines = str(description).strip().splitlines()
        return lines[0].strip() if lines else ""


def scenario_dirs() -> list[Path]:
    """Where shipped scenarios are looked for, in order: the repository's, the built-in."""
    return [d for d in (REPO_SCENARIOS, BUILTIN_SCENARIOS) if d.is_dir()]


def scenario_files(folder: Path) -> list[Path]:
    """The scenario files under ``folder`` (recursively, hidden folders skipped), sorted."""
    found = [p for p in folder.rglob("*") if p.suffix in SUFFIXES and p.is_file()
             and not any(part.startswith(".") for part in p.relative_to(folder).parts)]
    return sorted(found)


def shipped() -> list[Shipped]:
    """Every shipped scenario, by name (the repository's copy wins over the built-in one)."""
    found: dict[str, Shipped] = {}
    for folder in scenario_dirs():
        for path in scenario_files(folder):
            name = path.relative_to(folder).with_suffix("").as_posix()
            found.setdefault(name, Shipped(name, path))
    return sorted(found.values(), key=lambda s: s.name)


def find(name: str) -> Path:
    """The file of the shipped scenario ``name``.

    Raises:
        ScenarioError: no shipped scenario has that name (the known names are listed).
    """
    for scenario in shipped():
        if scenario.name == name:
            return scenario.path
    known = ", ".join(s.name for s in shipped()) or "none"
    raise ScenarioError([Problem(name, None, (), f"no such file, and no shipped scenario of "
                                                 f"that name (shipped: {known})")])


def resolve(name_or_path: str | os.PathLike[str]) -> Path:
    """A scenario file: an existing path as given, else the shipped scenario of that name."""
    path = Path(name_or_path)
    text = os.fspath(name_or_path)
    if os.path.exists(path) or path.suffix in SUFFIXES or "/" in text or os.sep in text:
        return path
    return find(text)
