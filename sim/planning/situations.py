"""Machines and their situations: which machine is in which :class:`Situation`.

Machines are numbered group by group in fleet order, and a mixed group's machines get their
agent versions exactly as a run gives them (:func:`sim.engine.initial.agent_version_choice`), so
machine 17 of a plan is machine 17 of a simulation of the same fleet and seed. A group's
machines differ only by agent version: each (group, version) pair is one situation, and pairs
with equal content share one evaluation.
"""

from __future__ import annotations

import fnmatch
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sim.engine.fleet import GroupSpec
from sim.engine.initial import agent_version_choice
from sim.engine.rng import stream_key
from sim.planning.evaluate import Situation
from sim.planning.fleet import PlanError, PlanFleet
from sim.rules.catalogue import Catalogue
from sim.rules.exposure import script_capable
from sim.rules.identity import ExtensionId
from sim.rules.runbook import Runbook
from sim.rules.versions import AgentVersion


@dataclass(frozen=True)
class Lockdown:
    """The candidate lockdown: one runbook for every machine, and runbooks for some groups.

    A group takes the runbook of the first ``groups`` pattern (``*`` and ``?`` wildcards) that
    matches its name, else ``fleet``; with neither, its machines keep their configuration.
    """

    fleet: Runbook | None = None
    groups: tuple[tuple[str, Runbook], ...] = ()

    def runbooks(self, groups: Sequence[GroupSpec]) -> list[Runbook | None]:
        """Each group's runbook. Raises :class:`PlanError` for a pattern matching no group."""
        names = [g.name for g in groups]
        for pattern, runbook in self.groups:
            if not fnmatch.filter(names, pattern):
                shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
                raise PlanError(f'{runbook.source}: group "{pattern}" matches no group of the '
                                f"fleet (groups: {shown})")
        return [next((r for p, r in self.groups if fnmatch.fnmatchcase(name, p)), self.fleet)
                for name in names]


@dataclass(frozen=True)
class Placement:
    """Every machine's group and situation, and what each situation is."""

    group: npt.NDArray[np.intp]
    """Per machine: its group's index."""
    situation: npt.NDArray[np.intp]
    """Per machine: its situation's index."""
    situations: tuple[Situation, ...]
    situation_group: tuple[int, ...]
    """Per situation: its group's index."""
    situation_version: tuple[str, ...]
    """Per situation: the agent version as the fleet gives it (before any update)."""


def place(fleet: PlanFleet, lockdown: Lockdown, catalogue: Catalogue, *,
          requests: Sequence[ExtensionId] = (), update_to: AgentVersion | None = None
          ) -> Placement:
    """The machines of ``fleet`` and their situations under ``lockdown``.

    ``requests`` are asked for on every machine of their OS (catalogue; an extension arcsim
    does not know: every machine), besides what the fleet's scenario requests.
    """
    runbooks = lockdown.runbooks(fleet.groups)
    scripts = {os: script_capable(catalogue, os) for os in ("windows", "linux")}
    keys: dict[tuple[int, str], int] = {}
    situations: list[Situation] = []
    groups, situation_of = [], []
    first, key = 0, stream_key(fleet.seed, "version")
    for gi, group in enumerate(fleet.groups):
        ids = np.arange(first, first + group.count, dtype=np.uint64)
        texts, choice = agent_version_choice(group, ids, key)
        codes = np.empty(len(texts), dtype=np.intp)
        for vi, text in enumerate(texts):
            codes[vi] = keys.setdefault((gi, text), len(keys))
            if codes[vi] == len(situations):
                situations.append(_situation(fleet, group, text, runbooks[gi], catalogue,
                                             requests, update_to, scripts))
        groups.append(np.full(group.count, gi, dtype=np.intp))
        situation_of.append(codes[choice])
        first += group.count
    pairs = list(keys)
    return Placement(_joined(groups), _joined(situation_of), tuple(situations),
                     tuple(g for g, _ in pairs), tuple(v for _, v in pairs))


def _joined(parts: list[npt.NDArray[np.intp]]) -> npt.NDArray[np.intp]:
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.intp)


def _situation(fleet: PlanFleet, group: GroupSpec, version: str, runbook: Runbook | None,
               catalogue: Catalogue, requests: Sequence[ExtensionId],
               update_to: AgentVersion | None,
               scripts: Mapping[str, tuple[ExtensionId, ...]]) -> Situation:
    installed = _unique(_extension(e.name) for e in group.extensions)
    requested = _unique([*fleet.requests.get(group.name, ()),
                         *(e for e in requests if _fits(e, group, catalogue))])
    requested = tuple(e for e in requested if e not in installed)
    denied: frozenset[ExtensionId] = frozenset()
    if fleet.policies:
        candidates = {*installed, *requested, *scripts.get(group.os.lower(), ())}
        denied = frozenset(e for e in candidates
                           if any(p.denies(e, group) for p in fleet.policies))
    return Situation(AgentVersion.parse(version), tuple(group.commands), runbook, installed,
                     requested, group.os.lower(), denied, update_to)


@functools.lru_cache(maxsize=1024)
def _extension(name: str) -> ExtensionId:
    return ExtensionId.parse(name)


def _fits(extension: ExtensionId, group: GroupSpec, catalogue: Catalogue) -> bool:
    """Whether an extension asked for fleet-wide is for ``group``'s OS."""
    entry = catalogue.get(extension)
    return entry is None or entry.os.value in ("any", group.os.lower())


def _unique(items: Iterable[ExtensionId]) -> tuple[ExtensionId, ...]:
    """``items`` without repeats, in first-seen order."""
    return tuple(dict.fromkeys(items))


def machine_counts(placement: Placement) -> Mapping[int, int]:
    """Machines per situation index (situations without machines left out)."""
    counts = np.bincount(placement.situation, minlength=len(placement.situations))
    return {i: int(n) for i, n in enumerate(counts.tolist()) if n}


__all__ = ["Lockdown", "Placement", "machine_counts", "place"]
