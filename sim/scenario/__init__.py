"""Scenario files: the schema, loading with located errors, building a world.

:mod:`sim.scenario.units` reads durations, sizes and versions; :mod:`sim.scenario.source` loads
YAML while remembering where every key and item was written, so that any error, from the YAML
parser, from pydantic or from a later check, is reported as ``file:line: field.path: message``.
"""
