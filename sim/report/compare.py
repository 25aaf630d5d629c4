"""Runs side by side: ``sim.compare(a, b, ...)`` and ``arcsim compare``.

:func:`compare` returns a pandas frame with one row per headline metric (dotted metric paths,
as in ``expect:``), one column per run, and one ``Δ <run>`` column per run after the first
holding its difference from the first (the baseline)::

    table = sim.compare("results/allowlist-7-1a2b3c4d", "results/monitor-7-5e6f7a8b")
    table.loc["blocked.total"]

With ``out`` it also writes a comparison folder, atomically: ``comparison.csv``,
``settings.csv`` (the settings that differ between the runs,
:func:`~sim.report.compare_settings.settings_table`), ``comparison.md``, a self-contained
``comparison.html`` and overlay figures in ``figures/``
(:data:`~sim.report.compare_figures.OVERLAYS`). The folder's path is in ``table.attrs["path"]``.
"""

from __future__ import annotations

import hashlib
import os
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import ArcsimError
from sim.files import os_reason
from sim.quantities import format_duration, in_seconds
from sim.report import plotting
from sim.report.compare_figures import OVERLAYS, Compared
from sim.report.compare_settings import settings_table
from sim.report.content import Block, Content, Image, Section, Table
from sim.report.render import to_html, to_markdown
from sim.report.view import RunView
from sim.results.folder import write_atomically
from sim.results.result import Result, load
from sim.scenario.expect import OPEN_PATHS, ExpectError

MARKER = "comparison.csv"
"""The file that marks a folder as a comparison folder (which a new comparison may replace)."""

HEADLINE: tuple[str, ...] = (
    "machines", "blocked.total", "distinct.blocked", "machines_with.blocked", "requests",
    "installs", "upgrades", "churn.cycles", "churn.blocked", "churn.absent_hours",
    "churn.bytes", "churn.max_queue_wait_s", "local_removals", "machines_with.local_removals",
    "overrides.total", "overrides.actions", "policy.denied", "policy.audited",
    "policy.authorization_failed", "failures.failed", "failures.aborted",
    "coverage.machines_locked_down", "coverage.machines_too_old_for_controls",
    "coverage.machines_with_drift", "coverage.stale_versions",
    "exposure.total", "exposure.through_lockdown", "exposure.without_lockdown",
    "exposure.machine_hours", "exposure.machines_at_end", "exposure.open_paths_at_end.any",
    *(f"exposure.open_paths_at_end.{path}" for path in OPEN_PATHS if path != "any"),
    "expectations.missed",
)
"""The metrics compared, in order; the rows of :data:`EXPANSIONS` follow their metric."""


def _table_rows(table: str) -> Callable[[Sequence[Result]], list[str]]:
    """The rows ``<table>.<key>`` for every key of the metrics table ``table`` (a dotted
    path such as ``blocked.by_reason``) in any run, sorted."""
    def rows(results: Sequence[Result]) -> list[str]:
        keys: set[str] = set()
        for result in results:
            node: Any = result.metrics
            for part in table.split("."):
                node = node.get(part, {}) if isinstance(node, Mapping) else {}
            keys |= {str(k) for k in node}
        return [f"{table}.{key}" for key in sorted(keys)]
    return rows


EXPANSIONS: dict[str, tuple[Callable[[Sequence[Result]], list[str]], ...]] = {
    "machines_with.blocked": (_table_rows("blocked.by_reason"),
                              _table_rows("blocked.by_extension")),
    "exposure.without_lockdown": (_table_rows("exposure.installed"),
                                  _table_rows("exposure.updated"),
                                  _table_rows("exposure.present_at_end")),
}
"""Rows that follow a headline metric, each family made from the runs compared: after the
blocked totals, one row per reason and one per extension that anything was blocked for in
any run; after the exposure totals, one row per script-capable extension that got in (or was
left at the end) in any run. A new family of rows (per extension, per group...) is one entry
here."""

RunSource = Result | str | os.PathLike[str]


class CompareError(ArcsimError):
    """Runs that cannot be compared, or a comparison folder that cannot be written."""


def compare(*runs: RunSource | Sequence[RunSource], labels: Sequence[str] | None = None,
            out: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """The headline metrics of ``runs`` (results or result folders; a list works too) side
    by side, with differences from the first run; with ``out``, also write the comparison
    folder there (see the module docstring).

    Raises:
        CompareError: fewer than two runs, labels that do not match the runs, or ``out`` an
            existing folder that is not a comparison folder.
        ResultError: a path that is not a result folder.
    """
    results = load_runs(runs)
    names = run_labels(results, labels)
    table = metric_table(results, names)
    if out is not None:
        table.attrs["path"] = str(write_comparison(results, names, table, Path(out)))
    return table


def load_runs(runs: Sequence[RunSource | Sequence[RunSource]], *,
              noun: str = "runs") -> list[Result]:
    """The results of ``runs`` (results, result folders, or lists of them), loaded; two at
    least (checked before anything is loaded; ``noun`` names them in the message).

    Raises:
        CompareError: fewer than two runs.
        ResultError: a path that is not a result folder.
    """
    flat: list[RunSource] = []
    for run in runs:
        if isinstance(run, (list, tuple)):
            flat.extend(run)
        else:
            flat.append(run)  # type: ignore[arg-type]
    if len(flat) < 2:
        raise CompareError(f"compare needs at least two {noun}, got {len(flat)}")
    return [r if isinstance(r, Result) else load(r) for r in flat]


def run_labels(results: Sequence[Result], labels: Sequence[str] | None) -> list[str]:
    """The name of each run in the table's columns and the figures: ``labels`` as given, or
    each run's scenario name (with its seed, then its folder's name, where two share one).

    Raises:
        CompareError: ``labels`` not one per run, not all different, or one that would be the
            name of another run's difference column (``Δ <label>``).
    """
    if labels is not None:
        if len(labels) != len(results) or len(set(labels)) != len(labels):
            raise CompareError(f"expected {len(results)} different labels, one per run, got "
                               f"{list(labels)}")
        taken = next((label for label in labels[1:] if f"Δ {label}" in labels), None)
        if taken is not None:
            raise CompareError(f'label "Δ {taken}" is the name of the column of differences '
                               f'of run "{taken}": choose another label')
        return list(labels)
    names = [r.name for r in results]
    for make in (lambda r: f"{r.name}-{r.seed}", lambda r: r.path.name):
        names = [make(r) if names.count(n) > 1 else n for r, n in zip(results, names,
                                                                      strict=True)]
    if len(set(names)) == len(names):
        return names
    return [f"{i + 1}: {n}" for i, n in enumerate(names)]


def _value(result: Result, path: str) -> float:
    if path == "machines":
        return float(result.manifest.get("counts", {}).get("machines", np.nan))
    if path == "expectations.missed":
        return float(len(result.misses))
    try:
        return result.metric(path)
    except ExpectError:
        return float("nan")


def metric_paths(results: Sequence[Result]) -> list[str]:
    """:data:`HEADLINE`, each metric followed by the rows of its :data:`EXPANSIONS`."""
    paths: list[str] = []
    for path in HEADLINE:
        paths.append(path)
        for family in EXPANSIONS.get(path, ()):
            paths += family(results)
    return paths


def metric_table(results: Sequence[Result], labels: Sequence[str]) -> pd.DataFrame:
    """One row per metric path, a column per run, then a ``Δ <label>`` column per run after
    the first (its value minus the first run's)."""
    paths = metric_paths(results)
    data = {label: [_value(r, p) for p in paths] for label, r in zip(labels, results,
                                                                       strict=True)}
    table = pd.DataFrame(data, index=pd.Index(paths, name="metric"))
    base = labels[0]
    for label in labels[1:]:
        table[f"Δ {label}"] = table[label] - table[base]
    return table


def delta_columns(table: pd.DataFrame, labels: Sequence[str]) -> list[bool]:
    """For each column of a :func:`metric_table` of runs ``labels``: True for a column of
    differences (every column after the runs' own, whatever the labels are named)."""
    return [i >= len(labels) for i in range(len(table.columns))]


def default_folder(labels: Sequence[str], results: Sequence[Result]) -> Path:
    """``results/compare-<labels>-<hash>``: the same runs give the same folder."""
    text = "\n".join(f"{label}={r.path.resolve()}" for label, r in zip(labels, results,
                                                                          strict=True))
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    readable = re.sub(r"[^A-Za-z0-9_.-]+", "_", "-vs-".join(labels))[:60]
    return Path("results") / f"compare-{readable}-{digest}"


def write_comparison(results: Sequence[Result], labels: Sequence[str], table: pd.DataFrame,
                     folder: Path, settings: pd.DataFrame | None = None) -> Path:
    """Write the comparison folder atomically; an existing comparison folder is replaced.
    ``settings`` is :func:`~sim.report.compare_settings.settings_table` of the runs (made here
    when not given).

    Raises:
        CompareError: ``folder`` exists and is not a comparison folder, or cannot be read
            (nothing is replaced).
        ResultError: the folder cannot be written.
    """
    _check_folder(folder)
    if settings is None:
        settings = settings_table(results, labels)
    runs = Compared([RunView.of(r) for r in results], labels)

    def write(tmp: Path) -> None:
        (tmp / "figures").mkdir()
        images = []
        for name, title, draw in OVERLAYS:
            with plotting.house_style(), warnings.catch_warnings():
                warnings.simplefilter("error")
                png = plotting.png_bytes(draw(runs))
            (tmp / "figures" / f"{name}.png").write_bytes(png)
            images.append(Image(f"figures/{name}.png", title, "", png))
        table.to_csv(tmp / MARKER)
        settings.to_csv(tmp / "settings.csv")
        content = _content(results, labels, table, images, settings)
        (tmp / "comparison.md").write_text(to_markdown(content), encoding="utf-8")
        (tmp / "comparison.html").write_text(to_html(content), encoding="utf-8")

    return write_atomically(folder, write)


def _check_folder(folder: Path) -> None:
    """Raise :class:`CompareError` unless ``folder`` is absent, empty or a comparison
    folder (one that cannot be read, too)."""
    try:
        taken = folder.is_file() or (folder.is_dir() and any(folder.iterdir())
                                     and not (folder / MARKER).is_file())
    except (OSError, ValueError) as exc:
        raise CompareError(f"{folder}: cannot read it to see whether it is a comparison "
                           f"folder: {os_reason(exc)}; give another folder with --out") from None
    if taken:
        raise CompareError(f"{folder}: exists and is not a comparison folder (no {MARKER} in "
                           "it); give a new folder with --out")


def _settings_blocks(settings: pd.DataFrame) -> list[Block]:
    if settings.empty:
        return ["The runs' scenarios set the same values (the same seed too)."]
    rows = [(str(key), *(str(v) for v in row)) for key, row in zip(
        settings.index, settings.to_numpy(), strict=True)]
    return ["Settings of the resolved scenarios whose values are not the same in every run "
            "(arcsim run --set keys):", Table(("setting", *settings.columns), rows)]


def format_value(value: float) -> str:
    """A table cell: integers with thousands separators, others with one decimal."""
    if np.isnan(value):
        return "-"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def format_delta(value: float) -> str:
    """A difference: signed, as :func:`format_value` otherwise."""
    return ("+" if value > 0 else "") + format_value(value)


def format_cell(path: str, value: float, delta: bool) -> str:
    """A value or difference of the metric at ``path``; seconds in human units."""
    if in_seconds(path) and not np.isnan(value):
        return ("+" if delta and value > 0 else "") + format_duration(value, parts=2)
    return format_delta(value) if delta else format_value(value)


def _and(labels: Sequence[str]) -> str:
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"


def _question(result: Result) -> str:
    text = str(result.manifest.get("scenario", {}).get("description", "")).strip()
    return text.splitlines()[0] if text else result.name


def _content(results: Sequence[Result], labels: Sequence[str], table: pd.DataFrame,
             images: list[Image], settings: pd.DataFrame) -> Content:
    deltas = delta_columns(table, labels)
    rows = [(str(path), *(format_cell(str(path), float(v), d) for v, d in zip(row, deltas,
                                                                        strict=True)))
            for path, row in zip(table.index, table.to_numpy(), strict=True)]
    changed = ["changed" if any(d and float(v) != 0 for v, d in zip(row, deltas, strict=True))
               else "" for row in table.to_numpy()]
    runs = [(label, f"{r.path.name}: {_question(r)}") for label, r in zip(labels, results,
                                                                         strict=True)]
    return Content(
        title=f"Comparison: {' vs '.join(labels)}",
        question=f"How do {_and(labels)} differ? Differences (Δ) are against {labels[0]}.",
        description="",
        facts=runs,
        sections=[Section("Settings that differ", _settings_blocks(settings)),
                  Section("Headline metrics", [Table(("metric", *table.columns), rows, changed,
                                                     kind="numbers")]),
                  Section("Figures", images)],
    )


__all__ = ["HEADLINE", "MARKER", "CompareError", "compare", "default_folder", "delta_columns",
           "format_cell", "format_delta", "format_value", "load_runs", "metric_paths",
           "metric_table", "run_labels", "write_comparison"]
