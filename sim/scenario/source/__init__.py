"""Load YAML files while remembering where each value was written; report located errors.

:func:`load_yaml_file` and :func:`load_yaml_text` (:mod:`~sim.scenario.source.yaml_loading`)
read a YAML mapping with PyYAML's safe loader into plain dicts and lists, and keep a side table
from each field path (``("fleet", 2, "agent_version")``: string keys, integer indices) to the
line and column where it was written. Every error, from the YAML parser, from pydantic
(:func:`format_pydantic_errors`, :mod:`~sim.scenario.source.pydantic_errors`) or from a later
check (:meth:`LocatedDocument.error`, :mod:`~sim.scenario.source.problems`), becomes a
:class:`ScenarioError` whose lines read::

    scenario.yaml:14: fleet[2].agent_version: expected a version string like "1.35", got 1.2 ...
"""

from sim.scenario.source.problems import (
    FieldPath,
    LocatedDocument,
    Position,
    Problem,
    ScenarioError,
    file_error,
    format_path,
)
from sim.scenario.source.pydantic_errors import (
    KeysAt,
    fields_at,
    format_pydantic_errors,
    model_keys,
    validate_document,
)
from sim.scenario.source.yaml_loading import (
    YAMLSyntaxError,
    load_yaml_file,
    load_yaml_text,
    load_yaml_value,
)

__all__ = [
    "FieldPath", "KeysAt", "LocatedDocument", "Position", "Problem", "ScenarioError",
    "YAMLSyntaxError", "fields_at", "file_error", "format_path", "format_pydantic_errors",
    "load_yaml_file", "load_yaml_text", "load_yaml_value", "model_keys", "validate_document",
]
