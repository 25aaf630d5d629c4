"""The shipped scenarios: found by name, described, in sync with the package's built-in copy."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.scenario import library
from sim.scenario.loading import load_scenario
from sim.scenario.source import ScenarioError

SHIPPED = library.shipped()


def test_the_repository_scenarios_are_found() -> None:
    assert library.REPO_SCENARIOS.is_dir()
    assert library.scenario_dirs() == [library.REPO_SCENARIOS, library.BUILTIN_SCENARIOS]
    assert {"default", "ama-only-lockdown", "reinstall-storm-private-endpoint",
            "policy-deny-override"} <= {s.name for s in SHIPPED}


def test_the_built_in_default_is_the_repository_default() -> None:
    builtin = library.BUILTIN_SCENARIOS / "default.yaml"
    assert builtin.read_bytes() == (library.REPO_SCENARIOS / "default.yaml").read_bytes(), (
        "copy scenarios/default.yaml to sim/scenarios_builtin/default.yaml")
    assert sorted(p.name for p in library.BUILTIN_SCENARIOS.iterdir()) == ["default.yaml"]


@pytest.mark.parametrize("shipped", SHIPPED, ids=[s.name for s in SHIPPED])
def test_each_shipped_scenario_is_named_after_its_file_and_asks_a_question(
        shipped: library.Shipped) -> None:
    scenario = load_scenario(shipped.path)
    assert scenario.name == shipped.path.stem
    assert shipped.summary and shipped.summary == scenario.summary
    assert shipped.summary.endswith("?"), "the first line of the description is the question"
    assert scenario.expect, "the answer is encoded in expect:"


def test_find_and_resolve() -> None:
    assert library.find("default") == library.REPO_SCENARIOS / "default.yaml"
    assert library.resolve("default") == library.REPO_SCENARIOS / "default.yaml"
    assert library.resolve("some/file.yaml") == Path("some/file.yaml")
    with pytest.raises(ScenarioError) as caught:
        library.resolve("defualt")
    assert str(caught.value).startswith(
        "defualt: no such file, and no shipped scenario of that name (shipped: ama-only-lockdown,")


def test_without_the_repository_the_built_in_default_remains(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(library, "REPO_SCENARIOS", tmp_path / "absent")
    assert [s.name for s in library.shipped()] == ["default"]
    assert library.find("default") == library.BUILTIN_SCENARIOS / "default.yaml"


def test_scenario_files_skip_hidden_folders_and_other_files(tmp_path: Path) -> None:
    for name in ("a.yaml", "sub/b.yml", ".hidden/c.yaml", "notes.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x: 1\n")
    assert [p.relative_to(tmp_path).as_posix() for p in library.scenario_files(tmp_path)] == [
        "a.yaml", "sub/b.yml"]


def test_the_package_data_ships_the_built_in_scenarios() -> None:
    pyproject = (library.PACKAGE.parent / "pyproject.toml").read_text()
    assert '"scenarios_builtin/*.yaml"' in pyproject
