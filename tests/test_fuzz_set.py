"""``--set KEY=VALUE`` and ``--scale``: any argument gives a scenario or a located error.

A value is read as the scenario file is (the same reader, the same limits), so whatever a file
cannot hold, a ``--set`` cannot bring in either.
"""

from __future__ import annotations

from typing import Any

import pytest
from fuzzing import AWKWARD_TEXTS, SCENARIOS, fuzz_settings, outcome, paths_in, time_bound
from hypothesis import given
from hypothesis import strategies as st

from sim.scenario.loading import load_scenario, scenario_from_text
from sim.scenario.source import ScenarioError, format_path

pytestmark = [pytest.mark.fuzz, pytest.mark.filterwarnings("ignore::sim.errors.ArcsimWarning")]

SMALL = """\
name: small
duration: 2d
fleet:
  - group: web
    count: 3
    agent_version: "1.45"
timeline:
  - at: 1d
    install: Microsoft.Compute/CustomScriptExtension
"""


def set_error(*overrides: str, scale: float | None = None) -> str:
    with time_bound(), pytest.raises(ScenarioError) as caught:
        scenario_from_text(SMALL, "s.yaml", overrides=overrides, scale=scale)
    return str(caught.value)


@pytest.mark.parametrize(("argument", "message"), [
    pytest.param(f"fleet[0].os=0x{'f' * 5000}", "--set fleet[0].os=0xffffffffffffffffffffffff",
                 id="hexadecimal-number"),
    pytest.param(f"description={'9' * 5000}", "a number of more than 100 digits",
                 id="5000-digit-number"),
    pytest.param(f'expect["installs"]=0x{"f" * 400}', "a number of more than 100 digits",
                 id="number-too-big-for-a-float"),
    pytest.param("timeline[0].window=\udcff", "a lone surrogate (U+DCFF) that YAML does not "
                 "allow", id="undecodable-argument"),
    pytest.param("timeline[0].window=\x07", "a control character (U+0007)", id="control"),
    pytest.param("timeline[0]={1: 2}", "keys must be strings, got 1", id="number-key"),
    pytest.param("timeline[0]={[a]: 2}", "keys must be plain strings, got a sequence",
                 id="sequence-key"),
    pytest.param("fleet[0].tags=" + "[" * 100 + "]" * 100, "nested more than 64 levels deep",
                 id="deep-value"),
    pytest.param("fleet[0].tags=&a [*a]", "an alias refers to the collection that contains it",
                 id="self-alias"),
    pytest.param("fleet[99999999999999999999]=1", 'fleet has no entry named "9999',
                 id="huge-index"),
    pytest.param(".".join(["a"] * 200) + "=1", "a key of more than 64 parts", id="long-key"),
    pytest.param("fleet[0].count=!!python/object:os.system x", "could not determine a constructor",
                 id="python-tag"),
])
def test_a_set_that_cannot_be_taken_is_a_located_error(argument: str, message: str) -> None:
    text = set_error(argument)
    assert text.startswith(f"--set {argument[:20]}")
    assert message in text


def test_a_value_that_is_not_yaml_is_the_text_it_is() -> None:
    with time_bound():
        scenario = scenario_from_text(SMALL, "s.yaml", overrides=["description=>= 1: {["])
    assert scenario.description == ">= 1: {["


@pytest.mark.parametrize("scale", [1e308, 5e6])
def test_a_scale_past_the_largest_fleet_is_a_located_error(scale: float) -> None:
    assert set_error(scale=scale).startswith(f"--scale {scale:g}: fleet[0].count: 3 machines")


# --- properties -----------------------------------------------------------------------------

KEY_TEXTS = ["", ".", "a..b", "[0]", "fleet[-1]", "fleet['x']", 'a["', "ü", "\udcff",
             "fleet.groups.x.count", "fleet.scale", "fleet.from", "timeline[0]", "expect.x",
             "params.paths[0]", "seed", "start", "duration"]


@st.composite
def arguments(draw: st.DrawFn, document: Any) -> str:
    """A ``--set`` argument: a key of the document (or an odd one) and any value text."""
    places = [format_path(p) for p in paths_in(document) if p]
    key = draw(st.one_of(st.sampled_from(places), st.sampled_from(KEY_TEXTS),
                         st.text(max_size=20)))
    value = draw(st.one_of(st.sampled_from(AWKWARD_TEXTS), st.text(max_size=40),
                           st.sampled_from(["[1]", "{a: 1}", "{count: [1]}", "[[[[]]]]", "~",
                                            "'1.40'", "1.0e+308", "-1", "true"])))
    separator = draw(st.sampled_from(["=", "=", "=", "", "==", " = "]))
    return f"{key}{separator}{value}"


def _scenario_data(index: int) -> Any:
    import yaml

    return yaml.safe_load(SCENARIOS[index].read_text(encoding="utf-8"))


@fuzz_settings(150)
@given(st.data())
def test_any_set_and_scale_give_a_scenario_or_located_errors(data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(SCENARIOS) - 1))
    overrides = data.draw(st.lists(arguments(_scenario_data(index)), min_size=1, max_size=3))
    scale = data.draw(st.one_of(st.none(), st.sampled_from([0.5, 3.0, 1e308, 1e-308]),
                                st.floats(min_value=1e-9, max_value=1e9)))
    outcome(lambda: load_scenario(SCENARIOS[index], overrides=overrides, scale=scale))
