"""Sweeps: one scenario over parameter points × replications (``sim.sweep``, ``arcsim sweep``).

A sweep folder (default ``results/sweeps/<scenario>-<hash>``, the hash of its definition)::

    sweep.json        the definition (:class:`~sim.runs.sweep_plan.SweepSpec`)
    sweep.parquet     one row per run, in run order: run, point, replication, seed, with
                      variants the variant and its setting (the grid and hypercube point,
                      shared by the variants), the parameters (numbers where the scenario
                      reads them as numbers: seconds for durations), status (ok, failed,
                      pending), error, expect_ok, the headline metrics, result (the run's
                      folder, relative to the sweep's)
    summary.parquet   mean and 95 % interval per point and metric, with notes
                      (:mod:`sim.runs.sweep_summary`)
    differences.parquet  with variants: paired differences from the baseline variant per
                      setting and metric (:mod:`sim.runs.sweep_paired`)
    figures/*.png     each metric's runs, means and intervals; figures/differences/*.png the
                      paired differences (:mod:`sim.runs.sweep_figures`)
    runs/p0000-r000/<scenario>-<seed>-<hash>/   each run's own result folder

Every point is validated before anything runs. Runs go to a backend
(:mod:`sim.runs.backends`); each writes its result folder when it finishes (nothing is held
for the whole sweep but the index), and ``sweep.parquet`` is rewritten (atomically, sorted by
run, with nothing that depends on timing or workers) as runs finish (at most once a second,
and at the end). A run that raises is recorded ``failed`` with its error and the sweep goes on.

**Resume.** A run is finished when its folder holds a complete result folder (they are written
atomically): ``resume=True`` adopts those (reading their metrics) and runs the others, failed
ones included. The definition must match ``sweep.json`` except ``replications`` and
``metrics``; more replications add runs and keep the existing ones (their seeds do not change).
The interval method and the baseline are not part of the definition: they only change the
summary.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import math
import os
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console

from sim.results.folder import ResultError, replace_parquet, write_json
from sim.results.result import load
from sim.runs import single
from sim.runs.backends import Backend, make_backend
from sim.runs.progress import task_progress
from sim.runs.sweep_figures import write_figures
from sim.runs.sweep_index import Index, RunOutcome, VariantsChoice, parameter_values, variants_of
from sim.runs.sweep_paired import differences_frame, differences_table
from sim.runs.sweep_plan import Run, SweepError, SweepSpec, spec_of
from sim.runs.sweep_stats import METHODS
from sim.runs.sweep_summary import notes_lines, print_notes, summary_frame, summary_table
from sim.scenario.expect import ExpectError, check_path, lookup
from sim.scenario.schema import Scenario

DEFAULT_METRICS = ("blocked.total", "reinstalls", "churn.absent_hours", "churn.bytes",
                   "overrides.total", "failures.failed")
"""Headline metrics of ``sweep.parquet`` when none are named."""
SPEC, INDEX, SUMMARY = "sweep.json", "sweep.parquet", "summary.parquet"
DIFFERENCES = "differences.parquet"
WRITE_EVERY_S = 1.0
"""``sweep.parquet`` is rewritten at most this often while runs finish (and at the end). A
run that finished after the last write is not lost: resume finds its folder."""

Runner = Callable[..., Any]
"""Runs one scenario and writes its result folder: called like :func:`sim.runs.single.run` as
``runner(source, seed=..., overrides=[...], out=...)``; returns a :class:`~sim.results.Result`
(a module-level function: it travels to worker processes)."""


class SweepInterrupted(KeyboardInterrupt):
    """The sweep was interrupted; its message says how far it got and how to go on."""


@dataclass(frozen=True)
class RunTask:
    """One run for a worker (picklable; the runner is a module-level function)."""

    source: str | Scenario
    overrides: tuple[str, ...]
    seed: int
    out: str
    base: str
    metrics: tuple[str, ...]
    runner: Runner
    options: Mapping[str, Any] = field(default_factory=dict)


def run_task(task: RunTask) -> RunOutcome:
    """Run one point's replication (an exception propagates: the backend records it as the
    task's error, and :func:`_run` makes that a ``failed`` outcome)."""
    result = task.runner(task.source, seed=task.seed, overrides=list(task.overrides),
                         out=task.out, **task.options)
    return outcome_of(Path(result.path), result.metrics, result.ok, task.metrics,
                      Path(task.base))


def outcome_of(path: Path, metrics: Mapping[str, Any], ok: bool, wanted: Sequence[str],
               base: Path) -> RunOutcome:
    """The ``ok`` outcome of a run whose result folder is ``path`` (``base``: the sweep's)."""
    values = {}
    for metric in wanted:
        try:
            values[metric] = lookup(metrics, metric)
        except ExpectError:
            values[metric] = math.nan
    return RunOutcome("ok", values=values, expect_ok=ok,
                      result=path.resolve().relative_to(base.resolve()).as_posix())


@dataclass(frozen=True)
class SweepResult:
    """A finished sweep: its folder, the run index, the summary and, with variants, the
    paired differences from the ``baseline`` variant (an empty frame without variants).
    ``keys`` are the grid and hypercube keys, ``axes`` the columns that tell points apart
    (``variant`` first, with variants)."""

    path: Path
    runs: pd.DataFrame
    summary: pd.DataFrame
    keys: tuple[str, ...]
    metrics: tuple[str, ...]
    differences: pd.DataFrame = field(default_factory=pd.DataFrame)
    axes: tuple[str, ...] = ()
    baseline: str | None = None

    def table(self) -> Any:
        """The summary as a rich table (mean and interval per point)."""
        return summary_table(self.summary, self.axes or self.keys, self.metrics)

    def differences_table(self) -> Any:
        """The paired differences as a rich table (None without variants)."""
        if self.baseline is None:
            return None
        return differences_table(self.differences, self.keys, self.metrics)

    def __repr__(self) -> str:
        ok = int((self.runs["status"] == "ok").sum())
        return f"SweepResult({str(self.path)!r}, {ok}/{len(self.runs)} runs ok)"


def sweep(source: str | os.PathLike[str] | Scenario, *,
          grid: Mapping[str, Sequence[Any]] | Sequence[str] = (),
          lhs: Mapping[str, tuple[float, float]] | Sequence[str] = (), samples: int = 0,
          replications: int = 5, seed: int = 0, overrides: Sequence[str] = (),
          metrics: Sequence[str] = DEFAULT_METRICS, workers: int | None = None,
          scheduler: str | None = None, out: str | os.PathLike[str] | None = None,
          resume: bool = False, progress: bool = False, figures: bool = True,
          variants: VariantsChoice = None, baseline: str | None = None,
          interval: str = "t", runner: Runner = single.run) -> SweepResult:
    """Run ``source`` (a scenario file, a shipped scenario's name, or a :class:`Scenario`) at
    every parameter point × ``replications`` and summarise (module docstring).

    ``variants`` adds the scenario's named variants as the slowest axis: True for every
    variant it declares, names for some, or a mapping name -> {``--set`` key: value} defined
    here; replication r of every variant has the same seed, and the summary adds the paired
    differences of each variant from ``baseline`` (default: the first variant). ``interval``
    is ``t`` (Student's t, default) or ``bootstrap`` (:mod:`sim.runs.sweep_stats`).

    ``grid`` maps keys to values (or is ``["key=v1,v2"]`` texts); ``lhs`` maps keys to
    ``(low, high)`` (or ``["key=lo:hi"]``) for a Latin hypercube of ``samples`` points;
    ``seed`` is the base seed; ``overrides`` are ``KEY=VALUE`` texts applied to every run;
    ``metrics`` are the dotted metric paths to index and summarise. ``workers`` local
    processes (default: one per CPU; 1 runs here), or the Dask ``scheduler`` address.
    ``figures=False`` skips the figures (a second or so). ``runner`` runs each run
    (default: :func:`sim.runs.single.run`, without its report when it can skip one).

    Raises:
        SweepError: a bad axis, metric, interval method or baseline, a point the scenario
            rejects (named), or ``out`` holding another sweep.
        VariantError: a variant the scenario does not declare.
        BackendError: the backend cannot be used.
        SweepInterrupted: on KeyboardInterrupt (what is finished stays; resume later).
    """
    text = source if isinstance(source, Scenario) else str(source)
    spec = spec_of(_identity(text), grid, lhs, samples=samples, replications=replications,
                   seed=seed, overrides=tuple(overrides), metrics=tuple(metrics),
                   variants=variants_of(text, variants))
    _check_options(spec, interval, baseline)
    base = baseline or (spec.variants[0].name if spec.variants else None)
    runs = spec.runs()
    params = parameter_values(text, spec)
    folder = Path(out) if out is not None else default_folder(spec)
    with make_backend(workers, scheduler) as backend:
        _prepare(folder, spec, resume)
        index = Index(folder / INDEX, runs, spec.keys, params, spec.metrics)
        todo = [run for run in runs if not _adopt(folder, run, spec.metrics, index)]
        index.write()
        _run(folder, text, spec, todo, index, runner, backend, progress)
    frame = index.frame()
    summary = summary_frame(frame, spec.axes, spec.metrics, interval, spec.seed)
    differences = (differences_frame(frame, spec.keys, spec.metrics, base, interval, spec.seed)
                   if base is not None else pd.DataFrame())
    _write_summary(folder, summary, differences, frame, spec, figures)
    return SweepResult(folder, frame, summary, tuple(spec.keys), spec.metrics, differences,
                       tuple(spec.axes), base)


def _check_options(spec: SweepSpec, interval: str, baseline: str | None) -> None:
    """Raise :class:`SweepError` for a bad metric, interval method or baseline."""
    for metric in spec.metrics:
        try:
            check_path(metric)
        except ExpectError as exc:
            raise SweepError(f"--metric {metric}: {exc}") from None
    if interval not in METHODS:
        raise SweepError(f'--interval {interval}: expected one of {", ".join(METHODS)}')
    names = [v.name for v in spec.variants]
    if baseline is not None and baseline not in names:
        raise SweepError(f"--baseline {baseline}: expected one of the variants swept "
                         f"({', '.join(names) or 'none: add --variants'})")


def _identity(source: str | Scenario) -> str:
    if isinstance(source, str):
        return source
    text = json.dumps(source.model_dump(mode="json"), sort_keys=True, default=str)
    return f"<scenario {source.name} {hashlib.sha256(text.encode()).hexdigest()[:8]}>"


def _stable(spec: SweepSpec) -> dict[str, Any]:
    """What must not change between a sweep and its resumption."""
    definition = spec.as_json()
    del definition["replications"], definition["metrics"]
    return definition


def default_folder(spec: SweepSpec, parent: str = "results/sweeps") -> Path:
    """``results/sweeps/<scenario>-<hash of the definition>``."""
    digest = hashlib.sha256(json.dumps(_stable(spec), sort_keys=True).encode()).hexdigest()
    name = Path(spec.scenario).stem if not spec.scenario.startswith("<") else "scenario"
    return Path(parent) / f"{name}-{digest[:8]}"


def _prepare(folder: Path, spec: SweepSpec, resume: bool) -> None:
    """Check ``folder`` against ``spec`` (resume) or that it holds no sweep; write the spec."""
    saved = folder / SPEC
    if os.path.isfile(saved):  # False too for a path the system cannot look up
        if not resume:
            raise SweepError(f"{folder}: a sweep is already there; add --resume to continue "
                             "it, or give another --out")
        try:
            before = json.loads(saved.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SweepError(f"{saved}: cannot read ({exc})") from None
        now, free = _stable(spec), {"replications", "metrics"}
        changed = sorted(k for k in (set(now) | set(before)) - free
                         if before.get(k) != now.get(k))
        if changed:
            raise SweepError(f"{folder}: the sweep there differs in {', '.join(changed)}; "
                             "resume it with the same definition (only --replications and "
                             "--metric may change), or give another --out")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_json(saved, spec.as_json())
    except OSError as exc:
        raise ResultError(f"cannot write {saved}: {exc.strerror or exc}") from None


def _adopt(folder: Path, run: Run, metrics: Sequence[str], index: Index) -> bool:
    """Record ``run`` as done if its folder holds its complete result folder."""
    here = folder / run.folder
    if not here.is_dir():
        return False
    for candidate in sorted(p for p in here.iterdir() if not p.name.startswith(".")):
        try:
            result = load(candidate)
        except ResultError:
            continue
        if result.seed == run.seed:
            index.record(run.index, outcome_of(candidate, result.metrics, result.ok, metrics,
                                               folder))
            return True
    return False


def _run(folder: Path, text: str | Scenario, spec: SweepSpec, todo: list[Run], index: Index,
         runner: Runner, backend: Backend, progress: bool) -> None:
    base = folder.resolve()
    options = {"report": False} if _takes(runner, "report") else {}
    tasks = [RunTask(text, (*spec.overrides, *run.point.overrides), run.seed,
                     str(base / run.folder), str(base), spec.metrics, runner, options)
             for run in todo]
    for run in todo:
        _clear_leftovers(folder / run.folder)
    total = len(index.runs)
    try:
        with task_progress(total, f"sweep {Path(spec.scenario).stem}", progress,
                           total - len(todo)) as tick:
            written = time.monotonic()
            for done in backend.map(run_task, tasks):
                outcome = done.value or RunOutcome("failed", error=done.error)
                index.record(todo[done.index].index, outcome)
                if time.monotonic() - written >= WRITE_EVERY_S:
                    index.write()
                    written = time.monotonic()
                tick(outcome.status != "ok")
        index.write()
    except KeyboardInterrupt:
        index.write()
        raise SweepInterrupted(f"interrupted: {index.finished} of {total} runs are finished "
                               f"in {folder}; run the same sweep with --resume to go on") from None


def _takes(runner: Runner, name: str) -> bool:
    """Whether ``runner`` takes keyword ``name`` (runs in a sweep skip their reports)."""
    parameters = inspect.signature(runner).parameters.values()
    return any(p.name == name or p.kind is p.VAR_KEYWORD for p in parameters)


def _clear_leftovers(here: Path) -> None:
    """Remove temporary folders a killed run left (``.<name>.tmp-<random>``, and
    ``.<name>.old-<random>``: a folder it was replacing)."""
    if here.is_dir():
        for leftover in [*here.glob(".*.tmp-*"), *here.glob(".*.old-*")]:
            shutil.rmtree(leftover, ignore_errors=True)


def _write_summary(folder: Path, summary: pd.DataFrame, differences: pd.DataFrame,
                   index: pd.DataFrame, spec: SweepSpec, figures: bool) -> None:
    frames = [(SUMMARY, summary)] + ([(DIFFERENCES, differences)] if spec.variants else [])
    for name, frame in frames:
        replace_parquet(frame, folder / name)
    if figures:
        write_figures(summary, index, spec.axes, spec.metrics, folder,
                      differences if spec.variants else None)


def print_summary(result: SweepResult, console: Console) -> None:
    """The summary table and its notes, the paired differences (with variants), failures,
    and where the sweep is."""
    axes = result.axes or result.keys
    console.print(result.table())
    print_notes(console, notes_lines(result.summary, axes))
    if result.baseline is not None:
        console.print(result.differences_table())
        print_notes(console, notes_lines(result.differences, ["variant", *result.keys],
                                         "difference of "))
    failed = result.runs[result.runs["status"] == "failed"]
    for _, row in failed.iterrows():
        console.print(f"run {row['run']} (point {row['point']}, seed {row['seed']}) failed: "
                      f"{row['error']}")
    console.print(f"Sweep: {result.path} ({len(result.runs)} runs, {len(failed)} failed)")


__all__ = ["DEFAULT_METRICS", "RunTask", "Runner", "SweepError", "SweepInterrupted",
           "SweepResult", "default_folder", "outcome_of", "print_summary", "run_task", "sweep"]
