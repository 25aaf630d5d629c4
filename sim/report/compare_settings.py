"""Which settings differ between compared runs: their resolved scenarios, key by key.

A run's ``manifest.json`` holds its resolved scenario (every default filled in, durations in
seconds). :func:`settings_table` flattens each into ``--set`` keys (``params.check_period``,
``fleet[0].count``, ``timeline[2].at``; a list of plain values, such as the command lines of
a ``run`` entry, stays one value) and keeps the keys whose values are not the same in every
run, plus the seed. What does not change behaviour is left out: the description, the
``expect:`` block and the ``variants:`` declarations.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pandas as pd

from sim.results.result import Result
from sim.scenario.source import format_path

IGNORED = ("description", "expect", "variants")
"""Top-level scenario keys that are not settings of a run."""
MISSING = "(not set)"
"""The cell of a key a run's scenario does not have (a shorter fleet or timeline)."""


def flatten(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str, Any]]:
    """``(key, value)`` for each setting of a resolved scenario ``value``: mappings and lists
    of mappings are walked; anything else is one value."""
    if isinstance(value, Mapping):
        if not value and path:
            yield format_path(path), "{}"
        for key, item in value.items():
            if not path and key in IGNORED:
                continue
            yield from flatten(item, (*path, str(key)))
    elif isinstance(value, list) and any(isinstance(v, Mapping | list) for v in value):
        for i, item in enumerate(value):
            yield from flatten(item, (*path, i))
    else:
        yield format_path(path), value


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return json.dumps(value, ensure_ascii=False)


def settings_table(results: Sequence[Result], labels: Sequence[str]) -> pd.DataFrame:
    """One row per setting whose value is not the same in every run (``seed`` first, then in
    the order of the first run's scenario), one column per run, values as text."""
    flat = [{"seed": r.seed, **dict(flatten(r.manifest.get("scenario", {})))}
            for r in results]
    keys = list(dict.fromkeys(k for settings in flat for k in settings))
    rows = {}
    for key in keys:
        values = [_text(settings[key]) if key in settings else MISSING for settings in flat]
        if len(set(values)) > 1:
            rows[key] = values
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(labels)).rename_axis(
        "setting")


__all__ = ["IGNORED", "MISSING", "flatten", "settings_table"]
