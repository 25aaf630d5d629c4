"""A sweep's run index (``sweep.parquet``) and the validation of its points.

:func:`parameter_values` checks every point against the scenario before anything runs (the
same loading as ``--set``, so an error names the ``--grid`` or ``--lhs`` value) and returns
each point's parameter values as the scenario reads them. :class:`Index` holds one
:class:`RunOutcome` per run and writes the index atomically, sorted by run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.results.folder import replace_parquet
from sim.runs.sweep_plan import Run, SweepError, SweepSpec, Variant
from sim.scenario import library
from sim.scenario.loading import parse_key, resolve_names, scenario_from_document
from sim.scenario.schema import Scenario
from sim.scenario.source import LocatedDocument, ScenarioError, load_yaml_file
from sim.scenario.variants import chosen, declared, overrides_of

VariantsChoice = bool | str | Sequence[str] | Mapping[str, Mapping[str, Any]] | None
"""Which variants a sweep runs: None or False (none), True (every variant the scenario
declares), a name or names of declared variants, or variants defined here
(name -> {``--set`` key: value})."""


@dataclass(frozen=True)
class RunOutcome:
    """How a run ended: ``ok`` (with its metrics and folder), ``failed`` (with the error) or
    ``pending`` (not run yet)."""

    status: str
    error: str | None = None
    values: Mapping[str, float] = field(default_factory=dict)
    expect_ok: bool | None = None
    result: str | None = None


PENDING = RunOutcome("pending")


def _document(source: str | Scenario) -> LocatedDocument:
    if isinstance(source, Scenario):
        data = source.model_dump(mode="json", exclude_unset=True)
        return LocatedDocument(data, f"<scenario {source.name}>")
    return load_yaml_file(library.resolve(source))


def variants_of(source: str | Scenario, choice: VariantsChoice) -> tuple[Variant, ...]:
    """The variants ``choice`` picks (see :data:`VariantsChoice`), as ``--set`` texts.

    Raises:
        VariantError: a name the scenario does not declare, or no variants declared.
        ScenarioError: the scenario file cannot be read.
    """
    if choice is None or choice is False:
        return ()
    if isinstance(choice, Mapping):
        return tuple(Variant(str(name), overrides_of(settings))
                     for name, settings in choice.items())
    found = declared(source if isinstance(source, Scenario) else _document(source))
    names = (None if choice is True else [choice] if isinstance(choice, str)
             else [str(name) for name in choice])
    return tuple(Variant(name, overrides_of(found[name]))
                 for name in chosen(found, names, "--variants"))


def parameter_values(source: str | Scenario, spec: SweepSpec) -> dict[str, list[Any]]:
    """Each key's value at each point: a float where the scenario reads a number (durations
    in seconds, sizes in bytes), else the text given.

    Raises:
        ScenarioError: the scenario itself is invalid.
        SweepError: a point the scenario rejects, naming its ``--grid``/``--lhs`` value.
    """
    doc = _document(source)
    flags = {a.key: "--grid" for a in spec.grid} | {a.key: "--lhs" for a in spec.lhs}
    values: dict[str, list[Any]] = {key: [] for key in spec.keys}
    texts: dict[str, list[str]] = {key: [] for key in spec.keys}
    for point in spec.points():
        try:
            scenario = scenario_from_document(doc, overrides=(*spec.overrides,
                                                              *point.overrides))
        except ScenarioError as exc:
            text = str(exc)
            for key, value in point.settings:
                text = text.replace(f"--set {key}={value}", f"{flags[key]} {key}={value}")
            if point.variant is not None:
                for override in point.variant.overrides:
                    text = text.replace(f"--set {override}",
                                        f"variant {point.variant.name}: {override}")
            raise SweepError(f"sweep point {point.index}: {text}") from None
        data = scenario.model_dump(mode="json")
        for key, value in point.settings:
            values[key].append(_number_at(data, key, value))
            texts[key].append(value)
    return {key: texts[key] if any(isinstance(v, str) for v in column) else column
            for key, column in values.items()}


def _number_at(data: Any, key: str, text: str) -> float | str:
    node = data
    for part in resolve_names(data, parse_key(key, key), key):
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return text
    if isinstance(node, bool) or not isinstance(node, int | float):
        return text
    return float(node)


class Index:
    """The runs of a sweep and how each ended; :meth:`write` saves ``sweep.parquet``."""

    def __init__(self, path: Path, runs: Sequence[Run], keys: Sequence[str],
                 params: Mapping[str, Sequence[Any]], metrics: Sequence[str]) -> None:
        self.path, self.runs, self.keys, self.metrics = path, list(runs), list(keys), metrics
        self.params = params
        self.outcomes: list[RunOutcome] = [PENDING] * len(self.runs)
        self._position = {run.index: i for i, run in enumerate(self.runs)}

    def record(self, run: int, outcome: RunOutcome) -> None:
        """Run ``run`` ended with ``outcome``."""
        self.outcomes[self._position[run]] = outcome

    @property
    def finished(self) -> int:
        """How many runs ended ``ok``."""
        return sum(o.status == "ok" for o in self.outcomes)

    def frame(self) -> pd.DataFrame:
        """One row per run, in run order (module :mod:`sim.runs.sweep` lists the columns)."""
        runs, outcomes = self.runs, self.outcomes
        columns: dict[str, Any] = {
            "run": np.array([r.index for r in runs], dtype=np.int64),
            "point": np.array([r.point.index for r in runs], dtype=np.int64),
            "replication": np.array([r.replication for r in runs], dtype=np.int64),
            "seed": np.array([r.seed for r in runs], dtype=np.int64),
        }
        if any(r.point.variant is not None for r in runs):
            columns["variant"] = pd.array([r.point.variant.name if r.point.variant else None
                                           for r in runs], dtype="string")
            columns["setting"] = np.array([r.point.setting for r in runs], dtype=np.int64)
        for key in self.keys:
            column = [self.params[key][r.point.index] for r in runs]
            columns[key] = (np.array(column, dtype=np.float64)
                            if not any(isinstance(v, str) for v in column)
                            else pd.array(column, dtype="string"))
        columns["status"] = pd.array([o.status for o in outcomes], dtype="string")
        columns["error"] = pd.array([o.error for o in outcomes], dtype="string")
        columns["expect_ok"] = pd.array([o.expect_ok for o in outcomes], dtype="boolean")
        for metric in self.metrics:
            columns[metric] = np.array([o.values.get(metric, np.nan) for o in outcomes],
                                       dtype=np.float64)
        columns["result"] = pd.array([o.result for o in outcomes], dtype="string")
        return pd.DataFrame(columns)

    def write(self) -> None:
        """Write ``sweep.parquet`` atomically (whole or not at all).

        Raises:
            ResultError: it cannot be written.
        """
        replace_parquet(self.frame(), self.path)


__all__ = ["PENDING", "Index", "RunOutcome", "VariantsChoice", "parameter_values",
           "variants_of"]
