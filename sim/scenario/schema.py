"""The scenario schema: what a scenario file may say, validated before anything runs.

Pydantic models, frozen, with ``extra="forbid"`` everywhere (an unknown key is an error that
suggests the closest allowed one). Durations, sizes and versions use the readable types of
:mod:`sim.scenario.units`; extension names must parse as ``Publisher/Type`` (R1). Checks that
need the whole document (names that refer to groups, paths, assignments; expect paths) are in
:mod:`sim.scenario.checks`; the timeline entry's action keys in :mod:`sim.scenario.timeline`.

``params`` is :class:`sim.scenario.schema_params.Params`: each field mirrors a field of
:class:`sim.engine.EngineParams` without its ``_s`` suffix; its default is the engine's.
``catalogue`` is :class:`sim.scenario.catalogue_model.CatalogueModel` per extension.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    ValidationInfo,
    create_model,
    field_validator,
)
from pydantic import model_validator as _model_validator

from sim.scenario.action import EntryBase, TargetModel
from sim.scenario.actions_azure import (
    AutoUpgradeModel,
    ExemptModel,
    SqlAutoDeployModel,
    UnexemptModel,
)
from sim.scenario.actions_machine import MonitorListModel
from sim.scenario.catalogue_model import CatalogueModel
from sim.scenario.expect import ExpectValue
from sim.scenario.fleet_model import Group, InstalledModel, OutageModel
from sim.scenario.inventory.scenario_fleet import FleetFrom
from sim.scenario.policy_model import POLICY_KINDS, DeployModel, Policy, RemediationModel
from sim.scenario.schema_params import Params, PathModel
from sim.scenario.timeline import ACTIONS, entry_problems
from sim.scenario.values import (
    ExtensionName,
    Model,
    Name,
    PositiveDuration,
    SchemaValueError,
    check_fleet_size,
    check_time_range,
)

__all__ = ["POLICY_KINDS", "AutoUpgradeModel", "CatalogueModel", "DeployModel", "ExemptModel",
           "Group", "InstalledModel", "MonitorListModel", "OutageModel", "Params", "PathModel",
           "Policy", "RemediationModel", "Scenario", "SqlAutoDeployModel", "TargetModel",
           "TimelineEntry", "UnexemptModel"]


def _some_groups(groups: tuple[Group, ...]) -> tuple[Group, ...]:
    if not groups:
        raise SchemaValueError("expected at least one group of machines, got none")
    check_fleet_size([g.count for g in groups])
    return groups


def _not_imported(value: Any) -> Any:
    if isinstance(value, Mapping) and "from" in value:
        raise SchemaValueError("fleet: {from: ...} is read when a scenario file is loaded "
                               "(sim.scenario.load_scenario, scenario_from_text), not by the "
                               "model: load the file, or give the groups")
    return value


# --- timeline -----------------------------------------------------------------------------


class _Entry(EntryBase):
    """The modifiers, and the check that an entry has exactly one action that takes them."""

    @_model_validator(mode="after")
    def _one_action(self) -> _Entry:
        problems = entry_problems(self.given)
        if problems:
            raise SchemaValueError(problems[0][1])
        return self


if TYPE_CHECKING:
    class TimelineEntry(_Entry):
        """One action (exactly one action key), when, by whom, on which machines."""

        def __getattr__(self, name: str) -> Any: ...
else:
    TimelineEntry = create_model(
        "TimelineEntry", __base__=_Entry, __module__=__name__,
        __doc__="One action (exactly one action key), when, by whom, on which machines: the "
                "modifiers of EntryBase and one optional field per timeline action "
                "(sim.scenario.timeline.ACTIONS).",
        **{key: (a.value | None, Field(None, description=a.description))
           for key, a in ACTIONS.items()})
    TimelineEntry.action_keys = tuple(ACTIONS)


# --- the scenario -------------------------------------------------------------------------


class Scenario(Model):
    """A scenario: a fleet, parameters, policies, a timeline of actions, and expectations."""

    name: Name
    description: str = Field("", description="the question the scenario answers")
    duration: PositiveDuration
    seed: int = Field(0, ge=0, lt=2**63)
    start: datetime | None = Field(None, description="ISO start; outputs then carry timestamps")
    params: Params = Field(default_factory=lambda: Params.model_validate({}))
    fleet: Annotated[tuple[Group, ...],
                     BeforeValidator(_not_imported, json_schema_input_type=tuple[Group, ...]
                                     | FleetFrom),
                     AfterValidator(_some_groups)] = Field(
        description="groups of machines, or {from: inventory exports or a fleet file, ...}")
    catalogue: dict[ExtensionName, CatalogueModel] = Field(
        default_factory=dict, description="what the scenario assumes about extensions, by "
                                          "name: changes to known ones, or new ones")
    policies: tuple[Policy, ...] = ()
    timeline: tuple[TimelineEntry, ...] = ()
    expect: dict[str, ExpectValue] = Field(
        {}, description='metric path -> number, or "OP number" with OP in == != >= <= > <')
    variants: dict[Name, dict[str, Any]] = Field(
        {}, description="named alternatives to compare: name -> {--set KEY: value} "
                        "(arcsim sweep --variants; sim.scenario.variants)")

    @field_validator("start")
    @classmethod
    def _ends_in_time(cls, start: datetime | None, info: ValidationInfo) -> datetime | None:
        duration = info.data.get("duration")
        if start is not None and isinstance(duration, float):
            check_time_range(start, duration)
        return start

    @property
    def summary(self) -> str:
        """The first line of the description."""
        return next((line.strip() for line in self.description.splitlines() if line.strip()),
                    "")

    @property
    def machines(self) -> int:
        """Fleet size."""
        return sum(g.count for g in self.fleet)
