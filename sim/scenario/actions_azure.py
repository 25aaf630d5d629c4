"""Timeline actions done once, in Azure, for the whole fleet: policy changes, automatic
upgrades and SQL Server auto-deployment (one :class:`~sim.scenario.action.Action` row each).

A recurring one (``every``) is one engine actor per occurrence
(:func:`~sim.scenario.action.occurrences`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from sim.engine.params import DAY
from sim.engine.policy import SQL_EXTENSIONS, PolicyAdmin, SqlAutoDeploy
from sim.engine.upgrades import AutoUpgrade
from sim.rules.activity import AUTO_UPGRADE_CALLER
from sim.scenario.action import IN_AZURE, Action, Build, EntryBase, occurrences
from sim.scenario.policies import policy_actors
from sim.scenario.policy_model import Policy
from sim.scenario.policy_views import property_paths
from sim.scenario.source import FieldPath
from sim.scenario.units import Duration, Version
from sim.scenario.values import ExtensionName, Label, Model, Period, PositiveDuration, Share


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
    batches: int = Field(8, ge=1, le=10_000, description="slots of the window (each one event; "
                                                        "at most 10,000)")
    batch_spread: Duration | None = Field(
        None, description="each machine's time within its batch; default the whole batch")
    retry: Period = 3_600.0
    max_retries: int | None = Field(
        None, ge=0, description="bound on the retries; default none: hourly until it "
                                "succeeds, a newer release arrives or the window ends")
    restore_failure_p: Share = 0.0


class SqlAutoDeployModel(Model):
    """Azure deploys the SQL Server extension where SQL Server runs (R6b)."""

    every: Period = DAY
    first: Duration = 3_600.0


def _assign(entry: EntryBase, build: Build, actor: str) -> list[Any]:
    paths = property_paths(g.properties for g in build.scenario.fleet) if build.scenario else ()
    return [a for at in occurrences(entry, build, actor)
            for a in policy_actors(entry.value, at, actor, entry.role or "Owner", build.base,
                                   paths)]


def _unassign(entry: EntryBase, build: Build, actor: str) -> list[Any]:
    return [PolicyAdmin(actor, "unassign", entry.value, at=at, role=entry.role or "Owner")
            for at in occurrences(entry, build, actor)]


def _exempt(entry: EntryBase, build: Build, actor: str) -> list[Any]:
    e: ExemptModel = entry.value
    return [PolicyAdmin(actor, "exempt", e.assignment, at=at, role=entry.role or "Owner",
                        scope=e.scope, category=e.category, expires_after=e.expires_after)
            for at in occurrences(entry, build, actor)]


def _unexempt(entry: EntryBase, build: Build, actor: str) -> list[Any]:
    e: UnexemptModel = entry.value
    return [PolicyAdmin(actor, "unexempt", e.assignment, at=at, role=entry.role or "Owner",
                        scope=e.scope) for at in occurrences(entry, build, actor)]


def _auto_upgrade(entry: EntryBase, build: Build, actor: str) -> list[Any]:
    u: AutoUpgradeModel = entry.value
    return [AutoUpgrade(u.extension, u.version, at=at, critical=u.critical, window=u.window,
                        batches=u.batches, batch_spread=u.batch_spread, retry_s=u.retry,
                        max_retries=u.max_retries, restore_failure_p=u.restore_failure_p,
                        name=actor) for at in occurrences(entry, build, actor)]


def _sql_auto_deploy(entry: EntryBase, _build: Build, actor: str) -> list[Any]:
    s: SqlAutoDeployModel = entry.value
    return [SqlAutoDeploy(actor, period=s.every, first=s.first)]


def _assigned(value: Policy) -> Policy:
    return value


def _names_assignment(value: str) -> list[tuple[FieldPath, str, str | None]]:
    return [((), "assignment", value)]


def _exemption_names(value: ExemptModel | UnexemptModel) -> list[tuple[FieldPath, str,
                                                                         str | None]]:
    return [(("assignment",), "assignment", value.assignment), (("scope",), "group", value.scope)]


def _upgraded(entry: EntryBase, _build: Build) -> list[str]:
    upgrade: AutoUpgradeModel = entry.value
    return [upgrade.extension]


def _sql(_entry: EntryBase, _build: Build) -> list[str]:
    return list(SQL_EXTENSIONS.values())


_WHEN_ONLY = frozenset({"name", "at", "actor", "every", "from", "until", "jitter"})

AZURE_ACTIONS = (
    Action("assign", Policy, IN_AZURE, "policy_admin", _assign,
           "an Azure Policy assignment (R16, R26)", role=True, assigns=_assigned),
    Action("unassign", str, IN_AZURE, "policy_admin", _unassign,
           "removal of a policy assignment, by name (R16)", role=True,
           refers=_names_assignment),
    Action("exempt", ExemptModel, IN_AZURE, "policy_admin", _exempt,
           "an exemption of an assignment (R26)", role=True, refers=_exemption_names),
    Action("unexempt", UnexemptModel, IN_AZURE, "policy_admin", _unexempt,
           "removal of an exemption (R26)", role=True, refers=_exemption_names),
    Action("auto_upgrade", AutoUpgradeModel, _WHEN_ONLY, AUTO_UPGRADE_CALLER, _auto_upgrade,
           "a new version rolled out by automatic extension upgrade (R25)",
           extensions=_upgraded),
    Action("sql_auto_deploy", SqlAutoDeployModel, frozenset({"name", "actor"}),
           "sql_auto_deploy", _sql_auto_deploy,
           "Azure deploys the SQL Server extension where SQL Server runs (R6b)",
           extensions=_sql),
)
"""The rows of the actions done in Azure for the whole fleet."""
