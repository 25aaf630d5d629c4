"""Scenario files: whatever a file holds, loading it gives a scenario or located errors.

Each defect class a fuzzer once found has an explicit test (they all failed before the reader
and the value walker were fixed at their root); the property tests below keep looking.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from fuzzing import (
    SCENARIOS,
    byte_mutations,
    documents,
    fuzz_settings,
    mutated,
    outcome,
    scalars,
    time_bound,
    to_yaml,
)
from hypothesis import example, given
from hypothesis import strategies as st

from sim.rules.versions import AgentVersion, VersionError
from sim.scenario.build import build_world
from sim.scenario.loading import load_scenario, scenario_from_text
from sim.scenario.source import ScenarioError, load_yaml_file, load_yaml_text
from sim.scenario.units import show_value

pytestmark = [pytest.mark.fuzz, pytest.mark.filterwarnings("ignore::sim.errors.ArcsimWarning")]

SMALL = """\
name: small
duration: 2d
seed: 1
start: 2026-01-05T00:00:00Z
fleet:
  - group: web
    count: 3
    agent_version: "1.45"
    extensions: [Microsoft.Azure.Monitor/AzureMonitorWindowsAgent]
timeline:
  - at: 1d
    install: Microsoft.Compute/CustomScriptExtension
"""


def error_of(text: str, **options: Any) -> str:
    """The located error of loading ``text`` (the test fails if it loads or crashes)."""
    with time_bound(), pytest.raises(ScenarioError) as caught:
        scenario_from_text(text, "s.yaml", **options)
    return str(caught.value)


# --- the reader: bytes and characters ------------------------------------------------------


@pytest.mark.parametrize(("character", "kind"), [
    ("\x00", "a NUL character (U+0000)"),
    ("\x07", "a control character (U+0007)"),
    ("\x9b", "a control character (U+009B)"),
    ("\ud800", "a lone surrogate (U+D800)"),
])
def test_a_character_yaml_refuses_is_located(character: str, kind: str) -> None:
    text = SMALL.replace("name: small", f"name: sm{character}all")
    assert error_of(text) == f"s.yaml:1: {kind} that YAML does not allow (column 9)"


def test_a_lone_surrogate_escape_is_a_located_error() -> None:
    text = SMALL.replace("name: small", 'name: "sm\\ud800all"')
    assert error_of(text).startswith("s.yaml:1: name: a text with a lone surrogate")


def test_a_file_of_refused_bytes_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_bytes(SMALL.encode().replace(b"small", b"sm\x00all", 1))
    with pytest.raises(ScenarioError, match=r"s\.yaml:1: a NUL character"):
        load_scenario(path)


# --- the reader: nesting, aliases, size, numbers -------------------------------------------


@pytest.mark.parametrize("text", [
    pytest.param("name: x\nx: " + "[" * 5000 + "]" * 5000 + "\n", id="flow"),
    pytest.param("name: x\n" + "".join("  " * i + "x:\n" for i in range(2000)), id="block"),
])
def test_deep_nesting_is_a_located_error(text: str) -> None:
    assert re.fullmatch(r"s\.yaml:\d+: nested more than 64 levels deep", error_of(text))


def test_aliases_nesting_deeper_than_the_text_are_a_located_error() -> None:
    lines = ["a: &a0 [1]"] + [f"a{i}: &a{i} [*a{i - 1}]" for i in range(1, 80)]
    assert "nested more than 64 levels deep (with its aliases)" in error_of("\n".join(lines))


def test_an_alias_bomb_stops_early_with_a_located_error() -> None:
    levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        name, inner = "abcdefghij"[i], "abcdefghij"[i - 1]
        levels.append(f"{name}: &{name} [" + ",".join([f"*{inner}"] * 9) + "]")
    text = "\n".join(levels) + "\n"
    assert len(text.encode()) < 600
    assert "aliases repeat more than 100,000 values: not read" in error_of(text)


def test_a_file_larger_than_the_limit_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"name: x\n" + b"#" * 16 * 2**20)
    with pytest.raises(ScenarioError, match=r"big\.yaml: larger than 16,777,216 bytes"):
        load_yaml_file(path)


@pytest.mark.parametrize("number", [
    pytest.param("9" * 5000, id="5000-digits"),
    pytest.param("9" * 101, id="101-digits"),
    pytest.param("0x" + "f" * 5000, id="hexadecimal"),
    pytest.param(":".join(["59"] * 200), id="sexagesimal"),
])
def test_a_number_of_too_many_digits_is_a_located_error(number: str) -> None:
    text = SMALL.replace("count: 3", f"count: {number}")
    assert error_of(text) == "s.yaml:7: fleet[0].count: a number of more than 100 digits"


def test_show_value_never_fails() -> None:
    assert show_value(10**8000) == "a number of about 8001 digits"
    assert show_value("\udcff") == '"\\udcff"'
    deep: list[Any] = []
    for _ in range(3000):
        deep = [deep]
    assert show_value(deep) == "a list JSON cannot show"


def test_fifty_thousand_unknown_keys_list_fifty_problems() -> None:
    text = SMALL + "".join(f"k{i}: 1\n" for i in range(50_000))
    with pytest.raises(ScenarioError) as caught:
        scenario_from_text(text, "s.yaml")
    assert len(caught.value.problems) == 50
    assert caught.value.omitted == 50_000 - 50
    assert str(caught.value).endswith("... and 49,950 more problems")


# --- what validation accepts is what a run can handle --------------------------------------


@pytest.mark.parametrize(("old", "new", "message"), [
    ('agent_version: "1.45"', f'agent_version: "1.{"4" * 5000}"',
     "s.yaml:8: fleet[0].agent_version: a version has at most 64 characters"),
    ("start: 2026-01-05T00:00:00Z", "start: 2262-04-10T00:00:00Z",
     "s.yaml:4: start: 2262-04-10T00:00:00+00:00 plus the duration (2d) ends after 2262-04-11"),
    ("start: 2026-01-05T00:00:00Z", "start: 0001-01-01T00:00:00Z",
     "s.yaml:4: start: 0001-01-01T00:00:00+00:00 is before 1677-09-22"),
    ("duration: 2d", f'duration: "{"9" * 400}"',
     "s.yaml:2: duration: a duration must be a finite number"),
    ("duration: 2d", f'duration: "{"9" * 30}d"',
     "s.yaml:2: duration: a duration must be at most 73000d (200 years)"),
    ("count: 3", "count: 100000000000000000000",
     "s.yaml:7: fleet[0].count: input should be less than or equal to 10000000"),
    ("seed: 1", f"seed: {2**63}", "s.yaml:3: seed: input should be less than 9223372036854775808"),
    ("name: small", f"name: {'a' * 300}", "s.yaml:1: name: a name has at most 100 characters"),
])
def test_validation_rejects_what_a_run_cannot_handle(old: str, new: str, message: str) -> None:
    assert error_of(SMALL.replace(old, new)).startswith(message)


def test_a_remediation_every_millisecond_is_rejected_not_run_for_ever() -> None:
    text = SMALL + ("policies:\n  - {name: dine, deploy: {windows: Microsoft.Azure.Monitor/"
                    "AzureMonitorWindowsAgent}, remediation: {every: 0.001}}\n")
    assert error_of(text) == ("s.yaml:14: policies[0].remediation.every: input should be greater "
                              "than or equal to 60 (got 0.001)")


def test_an_agent_version_of_thousands_of_digits_is_a_version_error() -> None:
    with pytest.raises(VersionError):
        AgentVersion.parse("1." + "4" * 5000)


def test_scale_past_the_largest_fleet_is_a_located_error() -> None:
    message = error_of(SMALL, scale=1e308)
    assert message == ("--scale 1e+308: fleet[0].count: 3 machines × 1e+308 is more than the "
                       "10,000,000 machines a group may have")


def test_an_imported_fleet_scaled_past_the_largest_fleet_is_a_located_error(
        tmp_path: Path) -> None:
    (tmp_path / "fleet.yaml").write_text('fleet: [{group: web, count: 5, agent_version: "1.40"}]')
    (tmp_path / "s.yaml").write_text("name: s\nduration: 1d\nfleet: {from: fleet.yaml, "
                                     "scale: 1.0e+300}\n")
    with pytest.raises(ScenarioError, match=r"fleet\.scale: 5 machines × 1e\+300 is more"):
        load_scenario(tmp_path / "s.yaml")


def test_an_imported_fleet_files_count_given_as_text_is_scaled_as_a_number(
        tmp_path: Path) -> None:
    (tmp_path / "fleet.yaml").write_text('fleet: [{group: web, count: "5", '
                                         'agent_version: "1.40"}]')
    (tmp_path / "s.yaml").write_text("name: s\nduration: 1d\nfleet: {from: fleet.yaml, "
                                     "scale: 2}\n")
    assert load_scenario(tmp_path / "s.yaml").fleet[0].count == 10


# --- properties -----------------------------------------------------------------------------

KEYS = ["name", "duration", "seed", "start", "fleet", "params", "policies", "timeline",
        "expect", "group", "count", "agent_version", "agent_versions", "extensions", "at",
        "install", "run", "assign", "deny", "from", "scale", "window", "rate"]
BASES = {path.name: yaml.safe_load(path.read_text(encoding="utf-8")) for path in SCENARIOS}


@fuzz_settings(150)
@given(st.one_of(documents(KEYS), st.dictionaries(st.sampled_from(KEYS), documents(KEYS))))
@example({"name": "x", "fleet": [{"count": 10**101}]})
@example({"name": "x", "duration": "9" * 400, "fleet": [{"group": "g", "count": 1,
                                                         "agent_version": "1.40"}]})
def test_any_document_loads_or_gives_located_errors(document: Any) -> None:
    try:
        text = to_yaml(document)
    except (yaml.YAMLError, ValueError):
        return
    outcome(lambda: scenario_from_text(text, "fuzz.yaml"))


@fuzz_settings(150)
@given(st.text(max_size=300))
@example("a: \ud800")
@example("a: " + "[" * 2000)
@example("a: !!python/object:os.system x")
def test_any_text_loads_or_gives_located_errors(text: str) -> None:
    outcome(lambda: load_yaml_text(text, "fuzz.yaml"))


@st.composite
def scenario_edits(draw: st.DrawFn) -> tuple[str, Any]:
    name = draw(st.sampled_from(sorted(BASES)))
    return name, draw(mutated(BASES[name], st.one_of(scalars(), documents(KEYS))))


@fuzz_settings(120)
@given(scenario_edits())
def test_shipped_scenarios_edited_load_and_small_ones_run(edit: tuple[str, Any]) -> None:
    """A shipped scenario with one to three values changed: loads or gives located errors; if
    it loads and is small, it builds and runs its first simulated day."""
    name, data = edit
    text = to_yaml(data)
    folder = SCENARIOS[0].parent
    found: list[Any] = []
    outcome(lambda: found.append(scenario_from_text(text, str(folder / name))))
    if not found or found[0].machines > 2_000 or found[0].duration > 30 * 86_400:
        return
    scenario = found[0]

    def run() -> None:
        world = build_world(scenario, base=folder)
        world.run(min(scenario.duration, 86_400.0))

    started = time.perf_counter()
    outcome(run)
    assert time.perf_counter() - started < 60


def _read_with(loader: type, text: str) -> Any:
    from sim.scenario.limits import LIMITS
    from sim.scenario.source import yaml_loading

    try:
        made = loader(text, "f.yaml", LIMITS)
        node = made.get_single_node()
        builder = yaml_loading._Builder(made, "f.yaml", LIMITS)
        return builder.build(node, ()) if node is not None else None, builder.positions
    except (yaml.YAMLError, ScenarioError):
        return "error"


@fuzz_settings(100)
@given(st.sampled_from(SCENARIOS).flatmap(lambda p: byte_mutations(p.read_bytes())))
@example(raw=b"!")
@example(raw=b"name: !\nfleet: [!, ! x]\n")
def test_libyaml_reads_what_the_python_parser_reads_the_same_way(raw: bytes) -> None:
    """The reader parses with libyaml (five times as fast) and falls back on PyYAML's own
    parser, whose messages it shows, on any error: where both read a text, they agree on every
    value and every position."""
    from sim.scenario.source import yaml_loading

    if not yaml_loading._LIBYAML:
        pytest.skip("PyYAML without libyaml")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return
    with time_bound():
        fast, python = (_read_with(yaml_loading._FastLoader, text),
                        _read_with(yaml_loading._Loader, text))
    if fast != "error" and python != "error":
        assert _bare_tags_as_text(fast, python, "!" in text) == python


def _bare_tags_as_text(fast: Any, python: Any, tagged: bool) -> Any:
    """``fast`` with each empty text that PyYAML's parser reads as null put back as null where
    the text has a ``!``: an empty value with the bare tag ``!`` (``key: !``) is a string in YAML
    (libyaml reads ``""``), PyYAML's own parser reads it null. The one known difference."""
    if not tagged:
        return fast
    if fast == "" and python is None:
        return None
    if isinstance(fast, tuple) and isinstance(python, tuple) and len(fast) == len(python):
        return tuple(_bare_tags_as_text(f, p, tagged) for f, p in zip(fast, python, strict=True))
    if isinstance(fast, list) and isinstance(python, list) and len(fast) == len(python):
        return [_bare_tags_as_text(f, p, tagged) for f, p in zip(fast, python, strict=True)]
    if isinstance(fast, dict) and isinstance(python, dict) and fast.keys() == python.keys():
        return {k: _bare_tags_as_text(v, python[k], tagged) for k, v in fast.items()}
    return fast
