"""Single runs: a scenario to its result folder (``sim.run``, ``arcsim run``)::

    import sim
    result = sim.run("scenarios/ama-only-lockdown.yaml", seed=3, overrides=["duration=2d"])
    result.metric("blocked.install.not_on_allowlist")
    again = sim.load(result.path)

A run is a function of (resolved scenario, seed, arcsim version): the phases are load and
validate (:func:`resolve`), build the world and run it to ``duration`` (whole, in blocks or in
shards: :func:`sim.runs.execute.run_world`), summarise the records into metrics, check
``expect:``, and write the result folder atomically (:func:`sim.results.result.save`).
"""

from __future__ import annotations

import os
import platform
import subprocess
import time
import warnings
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from sim import __version__
from sim.results.folder import scenario_hash
from sim.results.inventory_export import inventory_lines_writer, inventory_writer
from sim.results.records import records_frame
from sim.results.result import Result, save, write_activity_log_file, write_csv
from sim.results.timeseries import timeseries_frame
from sim.runs.execute import Execution, run_world
from sim.runs.shards import BLOCK_MACHINES, ShardWarning
from sim.scenario import library
from sim.scenario.expect import evaluate
from sim.scenario.loading import load_scenario, scenario_from_document
from sim.scenario.schema import Scenario
from sim.scenario.source import LocatedDocument
from sim.scenario.variants import chosen, declared, overrides_of

DEFAULT_OUT = "results"
"""The folder that receives result folders when ``out`` is not given."""

ScenarioSource = Scenario | str | os.PathLike[str]
"""A scenario file, a shipped scenario's name, or a :class:`Scenario` built in code."""


def resolve(source: ScenarioSource, *, seed: int | None = None, overrides: Sequence[str] = (),
            scale: float | None = None, replay: str | os.PathLike[str] | None = None,
            variant: str | None = None) -> tuple[Scenario, Path | None]:
    """The validated scenario (with its ``variant``'s values, then ``seed``, ``overrides`` and
    ``scale`` applied, and a timeline entry replaying the activity log ``replay``) and its file
    (None for a :class:`Scenario` given in code). A string that is not a file names a shipped
    scenario (``"default"``).

    Raises:
        ScenarioError: every problem, located (a :class:`VariantError` for a variant the
            scenario does not declare).
    """
    if variant is not None:
        found = declared(source if isinstance(source, Scenario) else library.resolve(source))
        chosen(found, [variant], "--variant")
        overrides = (*overrides_of(found[variant]), *overrides)
    extra = (*overrides, f"seed={seed}") if seed is not None else tuple(overrides)
    if isinstance(source, Scenario):
        if not extra and scale is None and replay is None:
            return source, None
        data = source.model_dump(mode="json", exclude_unset=True)
        doc = LocatedDocument(data, f"<scenario {source.name}>")
        return scenario_from_document(doc, overrides=extra, scale=scale, replay=replay), None
    path = library.resolve(source)
    return load_scenario(path, overrides=extra, scale=scale, replay=replay), path


def run(source: ScenarioSource, *, seed: int | None = None, overrides: Sequence[str] = (),
        scale: float | None = None, out: str | os.PathLike[str] | None = None,
        progress: bool = False, report: bool = True, shards: int = 1,
        scheduler: str | None = None, csv: bool = False,
        activity_log: bool = False, inventory: bool = False,
        block: int | None = BLOCK_MACHINES,
        replay: str | os.PathLike[str] | None = None, variant: str | None = None) -> Result:
    """Run a scenario (a file, a shipped scenario's name, or a :class:`Scenario`) and write its
    result folder under ``out`` (default ``results/``).

    ``variant`` runs one of the scenario's named variants (its ``variants:``); ``seed``
    replaces the scenario's seed; ``overrides`` are ``KEY=VALUE`` texts like the CLI's
    ``--set``, applied after the variant's; ``scale`` multiplies every group's count (at
    least 1 machine each).
    ``report=False`` skips the figures and ``report.md|html`` (about a second; sweeps skip
    them), which ``arcsim report`` can draw later. ``shards`` > 1 splits the fleet into that
    many independent parts run in parallel (local processes, or the Dask ``scheduler``) with the
    same records and metrics (:mod:`sim.runs.shards`; a :class:`ShardWarning` when the fleet
    splits into fewer). A fleet (or shard) of more than ``block`` machines runs as blocks of
    that size one after another, in this process when ``shards`` is 1: the same records, in
    less time (cache blocking; None runs it whole). Records are in canonical order
    (:mod:`sim.runs.merge`).
    ``csv`` adds ``records.csv`` and ``timeseries.csv``; ``activity_log`` adds
    ``activity_log.json``, the run's Azure activity log as the Azure CLI prints it;
    ``inventory`` adds ``inventory/machines.json`` and ``inventory/extensions.json``, the final
    fleet as Azure's inventory export (:mod:`sim.results.inventory_export`; the same bytes
    with ``shards``, whose workers send their lines back). ``replay`` names an Azure activity
    log whose extension operations the run sends again (a ``replay:`` timeline entry,
    :mod:`sim.scenario.replay`).

    Raises:
        ScenarioError: the scenario is invalid (nothing runs).
        ShardError: a bad shard count or block size, or a shard that failed.
        BackendError: the backend cannot be used.
        ResultError: the result folder cannot be written.
    """
    clock = {"start": time.perf_counter()}
    scenario, path = resolve(source, seed=seed, overrides=overrides, scale=scale,
                             replay=replay, variant=variant)
    ran = run_world(scenario, path.parent if path else None, shards=shards, block=block,
                    scheduler=scheduler, progress=progress, inventory=inventory)
    plan, output = ran.plan, ran.output
    if plan is not None and plan.notice:
        warnings.warn(plan.notice, ShardWarning, stacklevel=2)
    clock["built"], clock["ran"] = ran.built, time.perf_counter()
    metrics = output.metrics
    expectations = evaluate(scenario.expect, metrics)
    records = records_frame(output.columns, output.tables, scenario.start)
    timeseries = timeseries_frame(records, scenario.duration, scenario.start,
                                  metrics["exposure"]["machines_at_start"])
    clock["summarised"] = time.perf_counter()
    manifest = _manifest(scenario, path, output.events, clock, len(records))
    if plan is not None:
        manifest["shards"] = {"asked": shards, "machines": [list(r) for r in plan.ranges],
                              "block": block}
    return save(out if out is not None else DEFAULT_OUT, manifest=manifest, metrics=metrics,
                expectations=expectations, records=records, timeseries=timeseries,
                writers=[*_report_writers(report), *_extra_writers(csv, activity_log),
                         *_inventory_writers(ran)])


def _inventory_writers(ran: Execution) -> list[Callable[[Result], None]]:
    """The inventory export's writer: from the end state of a run in this process, or from a
    split run's lines."""
    if ran.final is not None:
        return [inventory_writer(ran.final)]
    lines = ran.output.inventory
    return [inventory_lines_writer(lines)] if lines is not None else []


def _report_writers(report: bool) -> list[Callable[[Result], None]]:
    """The report writer when asked for (imported only then: it loads matplotlib)."""
    if not report:
        return []
    from sim.report.writer import write_report

    return [write_report]


def _extra_writers(csv: bool, activity_log: bool) -> list[Callable[[Result], None]]:
    """Writers of the files a run adds on request (inside the atomic write)."""
    writers: list[Callable[[Result], None]] = []
    if csv:
        writers.append(write_csv)
    if activity_log:
        writers.append(write_activity_log_file)
    return writers


def _manifest(scenario: Scenario, path: Path | None, events: int | None,
              clock: dict[str, float], n_records: int) -> dict[str, Any]:
    resolved = scenario.model_dump(mode="json")
    now = time.perf_counter()
    return {
        "scenario": resolved,
        "scenario_file": str(path) if path else None,
        "seed": scenario.seed,
        "hash": scenario_hash(resolved, scenario.seed, __version__),
        "arcsim_version": __version__,
        "git_revision": git_revision(),
        "versions": _versions(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "timings_s": {"build": clock["built"] - clock["start"],
                      "run": clock["ran"] - clock["built"],
                      "summarise": clock["summarised"] - clock["ran"],
                      "total_before_write": now - clock["start"]},
        "counts": {"machines": scenario.machines, "records": n_records,
                   "events": events},
    }


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in ("simpy", "numpy", "pandas", "pyarrow", "pydantic"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "unknown"
    return found


def git_revision() -> str | None:
    """The git commit of the arcsim source tree, or None (no git, not a checkout)."""
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent,
                              capture_output=True, text=True, timeout=5, check=False,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    text = done.stdout.strip()
    return text if done.returncode == 0 and text else None


__all__ = ["DEFAULT_OUT", "ScenarioSource", "git_revision", "resolve", "run"]
