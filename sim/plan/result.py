"""A plan's result: pandas frames, and the JSON and CSV that tools read.

See :class:`Plan` for the frames. :meth:`Plan.to_json` gives one JSON document (summaries
first, then the per-machine tables); :meth:`Plan.write_csv` writes the per machine and
extension verdicts, the table a spreadsheet user filters.
"""

from __future__ import annotations

import io
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.plan.fleet import PlanError


@dataclass(frozen=True)
class RunbookUse:
    """A runbook of the lockdown: where it came from, the groups that run it, and the lines
    that are not agent commands (listed, never run)."""

    source: str
    groups: tuple[str, ...]
    commands: int
    skipped: tuple[int, ...] = ()


@dataclass(frozen=True, eq=False)
class Plan:
    """What a candidate lockdown does to a fleet, exactly (no randomness, no simulation).

    Per machine (``machine`` is the id a simulation of the same fleet gives it; ``name`` is
    the export's name, else ``machine-<id>``):

    * ``verdicts``: one row per machine and installed or requested extension: ``status``
      (installed, removed_locally, requested), then for ``running`` (R24) and each request
      (``install``, ``update``, ``upgrade``, ``auto_upgrade``, ``reinstall``, ``delete``) the
      outcome, ``<action>_reason`` and ``<action>_rule``; missing where the question does not
      apply (only ``install`` is asked of a requested extension).
    * ``machines``: one row per machine: the runbook it gets, whether the agent took every
      line (``reached``), how many it refused, the configuration after the lockdown, whether
      the extension service runs, its open override paths.
    * ``refusals``: one row per machine and refused runbook line, with the agent's reason.
    * ``open_paths``: one row per machine and open override path, with who could use it.

    Summaries: ``summary`` (machines by extension, action, outcome, reason and rule),
    ``unreachable`` (refused lines by group and agent version: machines the lockdown does not
    fully reach) and ``paths`` (open override paths: machines, extensions, who).
    """

    fleet: str
    """What the fleet was read from."""
    machine_count: int
    lockdown: tuple[RunbookUse, ...]
    summary: pd.DataFrame
    unreachable: pd.DataFrame
    paths: pd.DataFrame
    verdicts: pd.DataFrame
    machines: pd.DataFrame
    refusals: pd.DataFrame
    open_paths: pd.DataFrame
    unlocked_groups: tuple[str, ...] = ()
    """Groups that get no runbook (their machines keep their configuration)."""
    notes: tuple[str, ...] = field(default=())
    """Assumptions the plan rests on, in words (e.g. the monitor-mode list)."""

    @property
    def reached(self) -> int:
        """Machines whose agent took every line of their runbook."""
        return int(self.machines["reached"].sum())

    def to_json(self) -> dict[str, Any]:
        """The whole plan as JSON-ready data: summaries first, then per-machine tables."""
        return {
            "fleet": self.fleet, "machines": self.machine_count, "reached": self.reached,
            "lockdown": [{"source": r.source, "groups": list(r.groups), "commands": r.commands,
                          "skipped_lines": list(r.skipped)} for r in self.lockdown],
            "unlocked_groups": list(self.unlocked_groups), "notes": list(self.notes),
            "summary": _records(self.summary), "unreachable": _records(self.unreachable),
            "paths": _records(self.paths),
            "per_machine": {name: _records(getattr(self, name)) for name in
                            ("machines", "verdicts", "refusals", "open_paths")},
        }

    def json_text(self) -> str:
        """:meth:`to_json` as indented JSON text (ends with a new line)."""
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"

    def write_csv(self, target: str | os.PathLike[str]) -> None:
        """Write ``verdicts`` as CSV to ``target`` (``-``: standard output), atomically.

        Raises:
            PlanError: the file cannot be written (the message names it).
        """
        if os.fspath(target) == "-":
            self.verdicts.to_csv(sys.stdout, index=False)
            return
        path = Path(target)
        temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        try:
            buffer = io.StringIO()
            self.verdicts.to_csv(buffer, index=False)
            temporary.write_text(buffer.getvalue(), encoding="utf-8")
            os.replace(temporary, path)
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise PlanError(f"{path}: cannot write: {exc.strerror or exc}") from None


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts of plain JSON values (missing cells as None)."""
    data: list[dict[str, Any]] = json.loads(frame.to_json(orient="records"))
    return data


__all__ = ["Plan", "RunbookUse"]
