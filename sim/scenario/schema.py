"""The scenario schema: what a scenario file may say, validated before anything runs.

Pydantic models, frozen, with ``extra="forbid"`` everywhere (an unknown key is an error that
suggests the closest allowed one). Durations, sizes and versions use the readable types of
:mod:`sim.scenario.units`; extension names must parse as ``Publisher/Type`` (R1). Checks that
need the whole document (names that refer to groups, paths, assignments; expect paths) are in
:mod:`sim.scenario.checks`; the timeline entry's action keys in :mod:`sim.scenario.timeline`.

Every ``params`` field mirrors a field of :class:`sim.engine.EngineParams` without its ``_s``
suffix; its default is the engine's.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field
from pydantic import model_validator as _model_validator

from sim.engine.params import DAY, EngineParams
from sim.scenario.expect import ExpectValue
from sim.scenario.inventory.scenario_fleet import FleetFrom, imported_fleet
from sim.scenario.timeline import ACTIONS, entry_problems
from sim.scenario.units import Duration, Size, Version
from sim.scenario.values import (
    ExtensionName,
    Label,
    Model,
    Name,
    PositiveDuration,
    Rate,
    Role,
    SchemaValueError,
    Share,
    extension_name,
)

_ENGINE = EngineParams()


def _some_groups(groups: tuple[Group, ...]) -> tuple[Group, ...]:
    if not groups:
        raise SchemaValueError("expected at least one group of machines, got none")
    return groups


def _name_only(value: Any) -> Any:
    return {"name": value} if isinstance(value, str) else value


# --- params -------------------------------------------------------------------------------


class PathModel(Model):
    """A download path (R2); machines name one with ``path:``."""

    name: Label
    capacity: int = Field(0, ge=0, description="concurrent downloads; 0 = unlimited (R2)")
    bandwidth: Size = Field(int(_ENGINE.paths[0].bandwidth_bps), gt=0,
                            description="bytes per second of one download, as a size (R2)")
    latency: Duration = Field(_ENGINE.paths[0].latency_s,
                              description="time to the first byte (R2)")


class Params(Model):
    """Overrides of the engine's parameters (:class:`sim.engine.EngineParams`)."""

    check_period: PositiveDuration = Field(
        _ENGINE.check_period_s, description="extension manager check period, default 5m (R6a)")
    check_jitter: Duration = Field(_ENGINE.check_jitter_s,
                                   description="each check up to this late (R6a)")
    push_latency: Duration = Field(_ENGINE.push_latency_s,
                                   description="delay of a pushed request (R6a)")
    push_reachable: Share = Field(_ENGINE.push_reachable,
                                  description="share of machines whose push channel works (R6a)")
    service_stop: Duration = Field(_ENGINE.service_stop_s,
                                   description="extension service stopped for a removal (R6)")
    install: Duration = Field(_ENGINE.install_s, description="install duration after download")
    update: Duration = Field(_ENGINE.update_s, description="reconfigure duration")
    delete: Duration = Field(_ENGINE.delete_s, description="uninstall duration")
    install_failure_p: Share = Field(_ENGINE.install_failure_p,
                                     description="chance an install or upgrade fails")
    catalog_mismatch_p: Share = Field(_ENGINE.catalog_mismatch_p,
                                      description="chance a download fails the catalog (R3)")
    catalog_mismatch_extensions: tuple[ExtensionName, ...] = Field(
        (), description="extensions whose download always fails the catalog check (R3)")
    retry_refused: Duration = Field(_ENGINE.retry_refused_s,
                                    description="agent retries a refused operation; 0 = no (R10)")
    disconnected_after: Duration = Field(_ENGINE.disconnected_after_s,
                                         description="missed heartbeats until Disconnected (R28)")
    expire_after: PositiveDuration = Field(_ENGINE.expire_after_s,
                                           description="disconnected this long: Expired (R28)")
    paths: tuple[PathModel, ...] = Field(
        (), description='download paths (R2); "direct" (unlimited) exists unless redefined')

    @_model_validator(mode="after")
    def _jitter_below_period(self) -> Params:
        if self.check_jitter >= self.check_period:
            raise SchemaValueError(f"check_jitter ({self.check_jitter:g}s) must be shorter than "
                                   f"check_period ({self.check_period:g}s)")
        return self


# --- fleet --------------------------------------------------------------------------------


class InstalledModel(Model):
    """An extension present when the run starts (a bare name means version "1.0")."""

    name: ExtensionName
    version: Version = "1.0"
    settings: str = ""


class OutageModel(Model):
    """A share of a group's machines loses connectivity (R28)."""

    at: Duration
    duration: Duration
    share: Share = 1.0


class Group(Model):
    """A group of alike machines."""

    group: Label
    count: int = Field(ge=1)
    os: Literal["windows", "linux"] = "windows"
    agent_version: Version | None = None
    agent_versions: dict[Version, Annotated[float, Field(ge=0.0)]] | None = None
    region: str = "westeurope"
    path: Label = "direct"
    extensions: tuple[Annotated[InstalledModel, BeforeValidator(_name_only)], ...] = ()
    tags: dict[str, str] = Field(default_factory=dict)
    sql_server: bool = False
    commands: tuple[str, ...] = Field((), description="azcmagent lines run before the start")
    outages: tuple[OutageModel, ...] = ()

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


# --- policies -----------------------------------------------------------------------------


class DeployModel(Model):
    """The extension a DeployIfNotExists policy deploys, per OS (R6b)."""

    windows: ExtensionName | None = None
    linux: ExtensionName | None = None

    @_model_validator(mode="after")
    def _some_os(self) -> DeployModel:
        if self.windows is None and self.linux is None:
            raise SchemaValueError("name the extension to deploy for windows, linux or both")
        return self


class RemediationModel(Model):
    """How often a DeployIfNotExists remediation task runs (R6b)."""

    every: PositiveDuration = DAY
    first: Duration = Field(DAY, description="first round, after the assignment")


POLICY_KINDS = ("deny", "audit", "allow_only", "deploy", "definition")


class Policy(Model):
    """An Azure Policy assignment (R16, R26): exactly one of ``deny``, ``audit``,
    ``allow_only`` (deny everything not listed), ``deploy`` (DeployIfNotExists) or
    ``definition`` (a policy definition JSON file, relative to the scenario file, with
    ``parameters``; see :mod:`sim.scenario.policy_definitions`)."""

    name: Name
    deny: tuple[ExtensionName, ...] | None = None
    audit: tuple[ExtensionName, ...] | None = None
    allow_only: tuple[ExtensionName, ...] | None = None
    deploy: DeployModel | None = None
    definition: str | None = None
    parameters: dict[str, Any] | None = None
    scope: Label | None = Field(None, description="a fleet group; default the whole fleet")
    remediation: RemediationModel | None = None

    @_model_validator(mode="after")
    def _one_kind(self) -> Policy:
        kinds = [k for k in POLICY_KINDS if getattr(self, k) is not None]
        if len(kinds) != 1:
            found = ", ".join(kinds) if kinds else "none"
            raise SchemaValueError(f"give exactly one of {', '.join(POLICY_KINDS)}; found "
                                   f"{found}")
        if self.remediation is not None and self.deploy is None and self.definition is None:
            raise SchemaValueError("remediation applies only to a deploy or definition policy")
        if self.parameters is not None and self.definition is None:
            raise SchemaValueError("parameters apply only to a definition policy")
        return self

    @property
    def kind(self) -> str:
        """``deny``, ``audit``, ``allow_only``, ``deploy`` or ``definition``."""
        return next(k for k in POLICY_KINDS if getattr(self, k) is not None)


# --- timeline -----------------------------------------------------------------------------


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


class ExemptModel(Model):
    """An exemption of an assignment (R26)."""

    assignment: str
    category: Literal["Waiver", "Mitigated"] = "Waiver"
    expires_after: Duration | None = None
    scope: Label | None = None


class UnexemptModel(Model):
    """Removal of an exemption (R26)."""

    assignment: str
    scope: Label | None = None


class AutoUpgradeModel(Model):
    """A new version released and rolled out by automatic extension upgrade (R25)."""

    extension: ExtensionName
    version: Version
    critical: bool = False
    window: PositiveDuration | None = Field(None, description="default 8w, 3w if critical")
    batches: int = Field(8, ge=1)
    batch_spread: Duration = DAY
    retry: Duration = 3_600.0
    max_retries: int = Field(3, ge=0)
    restore_failure_p: Share = 0.0


class MonitorListModel(Model):
    """Microsoft's update of the monitor-mode allowlist (R19)."""

    add: tuple[ExtensionName, ...] = ()
    remove: tuple[ExtensionName, ...] = ()


class SqlAutoDeployModel(Model):
    """Azure deploys the SQL Server extension where SQL Server runs (R6b)."""

    every: PositiveDuration = DAY
    first: Duration = 3_600.0


def _removal(value: str) -> str:
    return "all" if value.strip().lower() == "all" else extension_name(value)


class TimelineEntry(Model):
    """One action (exactly one action key), when, by whom, on which machines."""

    at: Duration = 0.0
    window: Duration = Field(0.0, description="spread the action uniformly over this long")
    rate: Rate | None = None
    until: Duration | None = Field(None, description="with rate: last instant (default: end)")
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
    run: tuple[str, ...] | None = None
    install: ExtensionName | None = None
    update: ExtensionName | None = None
    upgrade: ExtensionName | None = None
    delete: ExtensionName | None = None
    remove_locally: Annotated[str, AfterValidator(_removal)] | None = None
    assign: Policy | None = None
    unassign: str | None = None
    exempt: ExemptModel | None = None
    unexempt: UnexemptModel | None = None
    auto_upgrade: AutoUpgradeModel | None = None
    guest_config: tuple[str, ...] | None = None
    agent_update: Version | None = None
    monitor_list: MonitorListModel | None = None
    sql_auto_deploy: SqlAutoDeployModel | None = None

    @_model_validator(mode="after")
    def _one_action(self) -> TimelineEntry:
        problems = entry_problems(self.given)
        if problems:
            raise SchemaValueError(problems[0][1])
        return self

    @classmethod
    def given_in(cls, values: Mapping[str, Any]) -> frozenset[str]:
        """The keys of ``values`` that say something: not None, not the field's default."""
        fields = cls.model_fields
        return frozenset(k for k, v in values.items() if v is not None and
                         (k not in fields or v != fields[k].default))

    @property
    def given(self) -> frozenset[str]:
        """The keys written in the entry that say something (see :meth:`given_in`)."""
        return self.given_in({k: getattr(self, k) for k in self.model_fields_set})

    @property
    def action(self) -> str:
        """The entry's action key."""
        return next(k for k in ACTIONS if k in self.given)


# --- the scenario -------------------------------------------------------------------------


class Scenario(Model):
    """A scenario: a fleet, parameters, policies, a timeline of actions, and expectations."""

    name: Name
    description: str = Field("", description="the question the scenario answers")
    duration: PositiveDuration
    seed: int = Field(0, ge=0)
    start: datetime | None = Field(None, description="ISO start; outputs then carry timestamps")
    params: Params = Field(default_factory=lambda: Params.model_validate({}))
    fleet: Annotated[tuple[Group, ...],
                     BeforeValidator(imported_fleet, json_schema_input_type=tuple[Group, ...]
                                     | FleetFrom),
                     AfterValidator(_some_groups)] = Field(
        description="groups of machines, or {from: inventory exports or a fleet file, ...}")
    policies: tuple[Policy, ...] = ()
    timeline: tuple[TimelineEntry, ...] = ()
    expect: dict[str, ExpectValue] = Field(
        {}, description='metric path -> number, or "OP number" with OP in == != >= <= > <')

    @property
    def summary(self) -> str:
        """The first line of the description."""
        return next((line.strip() for line in self.description.splitlines() if line.strip()),
                    "")

    @property
    def machines(self) -> int:
        """Fleet size."""
        return sum(g.count for g in self.fleet)
