"""What every timeline action shares: the registry row, the entry's modifiers, recurrence.

A timeline action is one :class:`Action` row (style point 14: a new kind of thing is one new
entry): its key in a timeline entry, the type of its value, the modifiers it takes, the actor
its records carry when the entry names none, and the builder that turns an entry into engine
actors. The rows are in :mod:`sim.scenario.actions_machine` and
:mod:`sim.scenario.actions_azure`, collected in :data:`sim.scenario.timeline.ACTIONS`; the
schema's ``TimelineEntry`` (:mod:`sim.scenario.schema`) gets one optional field per row.

An entry's *modifiers* (:class:`EntryBase`) say when (``at``, ``window``, ``rate``, ``until``;
``every`` with ``from`` and ``jitter``), by whom (``actor``, ``role``), on which machines
(``target``, ``coverage``) and how (``version``, ``settings``, ``override``). Recurrence
(:func:`occurrences`) is worked out here, the same for every action.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from pydantic import ConfigDict, Field
from pydantic import model_validator as _model_validator

from sim.engine import DAY, Target, Timing
from sim.engine.rng import stream_key, uniform
from sim.scenario.source import FieldPath
from sim.scenario.units import Duration, Version, format_duration
from sim.scenario.values import (
    Label,
    Model,
    PositiveDuration,
    Rate,
    Role,
    SchemaValueError,
    Share,
)

if TYPE_CHECKING:
    from sim.scenario.schema import Scenario

WHEN = frozenset({"at", "window", "rate", "until", "every", "from", "jitter"})
"""Modifiers that say when an action on machines happens."""
ON_MACHINES = WHEN | {"name", "actor", "target", "coverage"}
"""Modifiers of an action carried out on target machines."""
IN_AZURE = frozenset({"name", "at", "actor", "role", "every", "from", "until", "jitter"})
"""Modifiers of an action done once, in Azure (a policy change)."""
MAX_OCCURRENCES = 100_000
"""The most occurrences one recurring entry may have in a run (``every: 1s`` over 90 days
would make 7.8 million)."""


class TargetModel(Model):
    """Whom an action is for: a group (default the fleet), a share, or machine ids."""

    group: Label | None = None
    share: Share = 1.0
    machines: tuple[Annotated[int, Field(ge=0)], ...] = ()

    @_model_validator(mode="after")
    def _group_or_machines(self) -> TargetModel:
        if self.machines and self.group is not None:
            raise SchemaValueError("give a group or machines, not both")
        return self


class EntryBase(Model):
    """The modifiers of a timeline entry (its action's field is added per registry row)."""

    model_config = ConfigDict(extra="forbid", frozen=True, serialize_by_alias=True,
                              validate_by_name=True, validate_by_alias=True)
    action_keys: ClassVar[tuple[str, ...]] = ()
    """The registry's action keys, in order (set on the schema's ``TimelineEntry``)."""

    name: Label | None = Field(None, description="names the entry: --set timeline[NAME].at")
    at: Duration = 0.0
    window: Duration = Field(0.0, description="spread the action uniformly over this long")
    rate: Rate | None = None
    until: Duration | None = Field(
        None, description="with rate or every: the end, exclusive (default: end of the run)")
    every: PositiveDuration | None = Field(
        None, description="repeat the action this often, from `from` until `until`")
    from_: Duration = Field(0.0, alias="from",
                            description="with every: the first occurrence")
    jitter: Duration = Field(0.0, description="with every: each occurrence starts up to this "
                                              "late (one draw per occurrence)")
    actor: Label | None = None
    role: Role | None = None
    target: TargetModel | None = None
    coverage: Share = Field(1.0, description="share of target machines actually reached")
    override: bool | None = Field(None, description="config changes count as overrides (R17)")
    version: Version | None = None
    settings: str | None = None
    protected_settings: str | None = Field(
        None, description="protected settings: sent to the machine with this request only, "
                          "never kept in Azure (R4)")

    @_model_validator(mode="after")
    def _recurrence(self) -> EntryBase:
        if self.every is not None and self.jitter >= self.every:
            raise SchemaValueError(f"jitter ({format_duration(self.jitter)}) must be shorter "
                                   f"than every ({format_duration(self.every)})")
        if self.rate is not None and self.every is None and self.window > DAY:
            raise SchemaValueError(
                f"with a daily rate, window is the part of each day the action happens in: at "
                f"most 1d, got {format_duration(self.window)} (use every: for other periods)")
        return self

    @classmethod
    def given_in(cls, values: Mapping[str, Any]) -> frozenset[str]:
        """The keys of ``values`` that say something: not None, not the field's default."""
        defaults = {(info.alias or name): info.default for name, info in cls.model_fields.items()}
        return frozenset(k for k, v in values.items() if v is not None and
                         (k not in defaults or v != defaults[k]))

    @property
    def given(self) -> frozenset[str]:
        """The keys written in the entry that say something (see :meth:`given_in`)."""
        fields = type(self).model_fields
        return self.given_in({(fields[k].alias or k): getattr(self, k)
                              for k in self.model_fields_set})

    @property
    def action(self) -> str:
        """The entry's action key."""
        given = self.given
        return next(k for k in self.action_keys if k in given)

    @property
    def start(self) -> float:
        """The first instant the entry acts (its first occurrence, with ``every``), seconds."""
        return self.from_ if self.every is not None else self.at

    @property
    def value(self) -> Any:
        """The value of the entry's action key."""
        return getattr(self, self.action)


@dataclass(frozen=True)
class Build:
    """What a builder may read besides its entry: the run's length, seed, the directory the
    scenario's files are relative to, and the scenario itself (None for an entry built
    alone)."""

    duration: float
    seed: int = 0
    base: Path | None = None
    scenario: Scenario | None = None

    def path(self, name: str) -> Path:
        """``name`` relative to :attr:`base` (default: the working directory)."""
        return (self.base or Path.cwd()) / name


Builder = Callable[[EntryBase, Build, str], list[Any]]
"""Makes the engine actors that carry out one timeline entry, given the entry, the build and
the entry's actor name."""
Refers = Callable[[Any], Iterable[tuple[FieldPath, str, str | None]]]
"""``(path under the action key, kind, name)`` of each name an action's value refers to:
kind ``"group"`` (a fleet group) or ``"assignment"`` (a policy assignment)."""


def _nothing(_value: Any) -> list[Any]:
    return []


def _no_extensions(_entry: EntryBase, _build: Build) -> list[str]:
    return []


def _no_policy(_value: Any) -> Any:
    return None


@dataclass(frozen=True)
class Action:
    """One timeline action: the registry row (see the module docstring)."""

    key: str
    """The action's key in a timeline entry (``install``)."""
    value: Any
    """The type of its value (a pydantic annotation)."""
    takes: frozenset[str]
    """The modifier keys it takes."""
    actor: str
    """The actor name its records carry when the entry names none."""
    build: Builder
    """Makes its engine actors."""
    description: str = ""
    """What it does, for the JSON Schema."""
    role: bool = False
    """Done with an Azure role (R27): one actor keeps one role across the timeline."""
    extensions: Callable[[EntryBase, Build], Iterable[str]] = field(default=_no_extensions)
    """The extensions a run can record because of it."""
    refers: Refers = field(default=_nothing)
    """The names its value refers to, checked against the scenario."""
    assigns: Callable[[Any], Any] = field(default=_no_policy)
    """The policy its value assigns (a :class:`~sim.scenario.policy_model.Policy`), or None."""
    actors: Callable[[EntryBase, Build], Iterable[str]] | None = None
    """The actor names a run can record because of it; None: the entry's actor."""
    problems: Callable[[EntryBase, Build], Iterable[tuple[FieldPath, str]]] = field(
        default=lambda _entry, _build: ())
    """Problems only the whole scenario shows (a file it names ...), located under the
    entry."""


# --- recurrence -------------------------------------------------------------------------------


def occurrences(entry: EntryBase, build: Build, actor: str) -> tuple[float, ...]:
    """When a recurring entry (``every``) occurs, in seconds: ``from + k * every`` while before
    ``until`` (default: the run's end), each up to ``jitter`` later, drawn from the stream of
    (seed, ``actor``, action) with the occurrence as entity. One start, ``at``, without
    ``every``."""
    if entry.every is None:
        return (entry.at,)
    end = entry.until if entry.until is not None else build.duration
    count = count_occurrences(entry, build.duration)
    key = stream_key(build.seed, f"every:{actor}:{entry.action}")
    starts = []
    for k in range(count):
        start = entry.from_ + k * entry.every
        if start >= end:
            break
        starts.append(start + (uniform(key, k) * entry.jitter if entry.jitter > 0 else 0.0))
    return tuple(starts)


def count_occurrences(entry: EntryBase, duration: float) -> int:
    """How many occurrences a recurring entry has in a run of ``duration`` seconds (1 without
    ``every``)."""
    if entry.every is None:
        return 1
    end = entry.until if entry.until is not None else duration
    if end <= entry.from_:
        return 0
    return int(-(-(end - entry.from_) // entry.every))


# --- actions on machines ------------------------------------------------------------------------


def target_of(entry: EntryBase) -> Target:
    """The engine target of an entry (the whole fleet when it names none)."""
    t = entry.target
    return Target() if t is None else Target(t.group, t.share, tuple(t.machines))


def timing_of(entry: EntryBase, build: Build, actor: str) -> Timing:
    """The engine timing of an entry: once (``at``, spread over ``window``), at a daily
    ``rate`` from ``at`` until ``until`` (each day within ``window`` when given), or at each
    occurrence of ``every`` (each drawing its own machines; ``rate`` then is the chance a
    machine takes part in one occurrence)."""
    rate = entry.rate or 0.0
    if entry.every is not None:
        return Timing(window=entry.window, rate=rate,
                      occurrences=occurrences(entry, build, actor))
    if entry.rate is not None:
        until = entry.until if entry.until is not None else build.duration
        return Timing(at=entry.at, window=entry.window, rate=rate, until=until)
    return Timing(at=entry.at, window=entry.window)


def on_machines(entry: EntryBase, build: Build, actor: str) -> dict[str, Any]:
    """The keyword arguments every :class:`~sim.engine.actors.Actor` takes: name, target,
    timing, coverage."""
    return {"name": actor, "target": target_of(entry), "timing": timing_of(entry, build, actor),
            "coverage": entry.coverage}
