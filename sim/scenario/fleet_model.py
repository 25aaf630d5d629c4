"""The fleet part of a scenario: groups of alike machines (``fleet:``).

Below the rest of the schema so that an imported fleet (``fleet: {from: ...}``,
:mod:`sim.scenario.inventory.scenario_fleet`) can be checked against it without importing the
whole scenario model.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field
from pydantic import model_validator as _model_validator

from sim.scenario.units import Duration, Version
from sim.scenario.values import (
    Count,
    ExtensionName,
    Label,
    Model,
    OsName,
    SchemaValueError,
    Share,
)


def _name_only(value: Any) -> Any:
    return {"name": value} if isinstance(value, str) else value


class InstalledModel(Model):
    """An extension present when the run starts (a bare name means version "1.0")."""

    name: ExtensionName
    version: Version = "1.0"
    settings: str = ""
    state: Literal["Succeeded", "Failed"] = Field(
        "Succeeded", description="provisioningState in Azure; Failed: on the machine, last "
                                 "operation failed (R6c)")
    auto_upgrade: bool = Field(True, description="the resource's enableAutomaticUpgrade (R25)")


class OutageModel(Model):
    """A share of a group's machines loses connectivity (R28)."""

    at: Duration
    duration: Duration
    share: Share = 1.0
    offline_before: Duration = Field(
        0.0, description="already without heartbeats this long when the outage starts")


class Group(Model):
    """A group of alike machines."""

    group: Label
    count: Count
    os: OsName = "windows"
    agent_version: Version | None = None
    agent_versions: dict[Version, Annotated[float, Field(ge=0.0)]] | None = None
    region: str = "westeurope"
    path: Label = "direct"
    extensions: tuple[Annotated[InstalledModel, BeforeValidator(_name_only)], ...] = ()
    tags: dict[str, str] = Field(default_factory=dict)
    sql_server: bool = False
    commands: tuple[str, ...] = Field((), description="azcmagent lines run before the start")
    outages: tuple[OutageModel, ...] = ()
    properties: dict[str, Any] = Field(
        default_factory=dict,
        description="machine properties as Azure reports them, ARM names (osSku, "
                    "licenseProfile...), read by Azure Policy conditions")
    push_reachable: Share | None = Field(
        None, description="share of the group's machines whose push channel works (R6a); "
                          "default params.push_reachable")
    machine_names: tuple[str, ...] = Field(
        (), description="the group's machines as resource-group/name, in id order (filled in "
                        "by an import): what a replayed activity log's resource ids match")

    @_model_validator(mode="after")
    def _one_agent_version(self) -> Group:
        if (self.agent_version is None) == (self.agent_versions is None):
            raise SchemaValueError("give exactly one of agent_version (\"1.40\") or "
                                   "agent_versions ({\"1.30\": 0.2, \"1.40\": 0.8})")
        if self.agent_versions is not None and sum(self.agent_versions.values()) <= 0:
            raise SchemaValueError("agent_versions: the shares must add up to more than 0")
        return self

    @property
    def versions(self) -> dict[str, float]:
        """Agent version -> share."""
        if self.agent_versions is not None:
            return dict(self.agent_versions)
        return {str(self.agent_version): 1.0}
