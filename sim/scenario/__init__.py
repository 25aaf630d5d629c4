"""Scenario files: the schema, loading with located errors, building a world.

:mod:`sim.scenario.units` reads durations, sizes and versions; :mod:`sim.scenario.source` loads
YAML while remembering where every key and item was written, so that any error, from the YAML
parser, from pydantic or from a later check, is reported as ``file:line: field.path: message``.

:mod:`~sim.scenario.schema` is the scenario model (value types in :mod:`~sim.scenario.values`,
the fleet in :mod:`~sim.scenario.fleet_model`, policies in :mod:`~sim.scenario.policy_model`,
``expect:`` in :mod:`~sim.scenario.expect`); the timeline actions are one registry,
:data:`sim.scenario.timeline.ACTIONS` (rows in :mod:`~sim.scenario.actions_machine`,
:mod:`~sim.scenario.actions_azure` and :mod:`~sim.scenario.replay`, which replays an Azure
activity log). :mod:`~sim.scenario.loading` loads a file with ``--set`` overrides,
``--scale`` and an imported fleet, then :mod:`~sim.scenario.checks` checks names across the
file; :mod:`~sim.scenario.build` turns a scenario into an engine world;
:mod:`~sim.scenario.library` finds the shipped scenarios. The names below are imported on
first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.scenario.build import build_world
    from sim.scenario.loading import load_scenario, scenario_from_document, scenario_from_text
    from sim.scenario.schema import Scenario
    from sim.scenario.source import ScenarioError

_EXPORTS = {
    "Scenario": "sim.scenario.schema",
    "ScenarioError": "sim.scenario.source",
    "build_world": "sim.scenario.build",
    "load_scenario": "sim.scenario.loading",
    "scenario_from_document": "sim.scenario.loading",
    "scenario_from_text": "sim.scenario.loading",
}
__all__ = ["Scenario", "ScenarioError", "build_world", "load_scenario", "scenario_from_document",
           "scenario_from_text"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'sim.scenario' has no attribute {name!r}")
