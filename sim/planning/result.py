"""A plan's result: pandas frames, and the JSON and CSV that tools read.

See :class:`Plan` for the frames. :meth:`Plan.write_json` writes one JSON document (summaries
first, then the per-machine tables); :meth:`Plan.write_csv` writes the per machine and
extension verdicts, the table a spreadsheet user filters.
"""

from __future__ import annotations

import io
import json
import os
import sys
from dataclasses import dataclass, field
from typing import IO, Any, TextIO

import pandas as pd

from sim.files import FileError, atomic_file
from sim.planning.fleet import PlanError


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
      line (``reached``; false where the machine has no runbook or one without commands),
      how many it refused, the configuration after the lockdown, whether the extension
      service runs, its open override paths.
    * ``refusals``: one row per machine and refused runbook line, with the agent's reason.
    * ``open_paths``: one row per machine and open override path, with who could use it.

    Summaries: ``summary`` (machines by extension, action, outcome, reason and rule),
    ``unreachable`` (refused lines by group and agent version: machines the lockdown does not
    fully reach) and ``paths`` (open override paths: machines, extensions, who, and the Azure
    roles that could use them).
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
    def locked(self) -> int:
        """Machines whose runbook has at least one agent command."""
        groups = [g for use in self.lockdown if use.commands for g in use.groups]
        return int(self.machines["group"].isin(groups).sum())

    @property
    def reached(self) -> int:
        """Machines whose runbook has at least one agent command and whose agent took every
        line of it (machines without a runbook are not counted)."""
        return int(self.machines["reached"].sum())

    @property
    def missed(self) -> int:
        """Machines whose agent refused at least one line of their runbook."""
        return int((self.machines["refused"] > 0).sum())

    def json_text(self) -> str:
        """:meth:`write_json` as a string."""
        buffer = io.StringIO()
        self.write_json(buffer)
        return buffer.getvalue()

    def write_json(self, stream: TextIO) -> None:
        """Write the plan as one JSON object to ``stream``: the fleet, the lockdown, notes and
        summaries, then ``per_machine`` (``machines``, ``verdicts``, ``refusals``,
        ``open_paths``: one object per row, missing cells null), written
        :data:`JSON_CHUNK` rows at a time so memory stays flat."""
        head = {
            "fleet": self.fleet, "machines": self.machine_count, "locked": self.locked,
            "reached": self.reached,
            "lockdown": [{"source": r.source, "groups": list(r.groups), "commands": r.commands,
                          "skipped_lines": list(r.skipped)} for r in self.lockdown],
            "unlocked_groups": list(self.unlocked_groups), "notes": list(self.notes),
            "summary": _records(self.summary), "unreachable": _records(self.unreachable),
            "paths": _records(self.paths)}
        stream.write(json.dumps(head, indent=1, ensure_ascii=False)[:-2])
        stream.write(',\n "per_machine": {')
        for i, name in enumerate(("machines", "verdicts", "refusals", "open_paths")):
            stream.write(f'{"," if i else ""}\n  "{name}": [')
            _write_rows(getattr(self, name), stream)
            stream.write("]")
        stream.write("\n }\n}\n")

    def write_csv(self, target: str | os.PathLike[str]) -> None:
        """Write ``verdicts`` as CSV to ``target`` (``-``: standard output), atomically:
        a header line, then one line per machine and extension; empty cells where a question
        does not apply; text quoted only where it must be.

        Raises:
            PlanError: the file cannot be written (the message names it).
        """
        if os.fspath(target) == "-":
            _write_csv(self.verdicts, sys.stdout.buffer)
            sys.stdout.flush()
            return
        try:
            with atomic_file(target, "wb") as stream:
                _write_csv(self.verdicts, stream)
        except FileError as exc:
            raise PlanError(f"{exc.path}: cannot write: {exc.reason}") from None


def _write_csv(frame: pd.DataFrame, stream: IO[bytes]) -> None:
    """``frame`` as CSV by Arrow's writer (several times pandas' speed on categoricals)."""
    import pyarrow as pa
    import pyarrow.csv as arrow_csv

    table = pa.Table.from_pandas(frame, preserve_index=False)
    arrow_csv.write_csv(table, stream, arrow_csv.WriteOptions(quoting_style="needed"))


JSON_CHUNK = 50_000
"""Rows of a per-machine table turned into JSON text at a time."""


def _write_rows(frame: pd.DataFrame, stream: TextIO) -> None:
    """``frame``'s rows as JSON objects separated by commas (no brackets)."""
    for start in range(0, len(frame), JSON_CHUNK):
        text = frame.iloc[start:start + JSON_CHUNK].to_json(orient="records", force_ascii=False)
        stream.write(("," if start else "") + text[1:-1])


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts of plain JSON values (missing cells as None)."""
    data: list[dict[str, Any]] = json.loads(frame.to_json(orient="records"))
    return data


__all__ = ["Plan", "RunbookUse"]
