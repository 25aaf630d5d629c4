"""Timeline actions on target machines: local commands, local removals, agent and monitor-list
updates, and extension requests from Azure (one :class:`~sim.scenario.action.Action` row each).

Each runs at a time, over a window, at a daily rate or at each occurrence of ``every``, on a
target group or share (:func:`~sim.scenario.action.on_machines`).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field

from sim.engine import CloudRequest, LocalCommands, LocalRemoval
from sim.engine.actors import GuestConfigTamper, Reonboard
from sim.engine.upgrades import AgentUpdate, MonitorListUpdate
from sim.scenario.action import ON_MACHINES, Action, Build, EntryBase, on_machines
from sim.scenario.units import Version
from sim.scenario.values import ExtensionName, Model, extension_name


class MonitorListModel(Model):
    """Microsoft's update of the monitor-mode allowlist (R19)."""

    add: tuple[ExtensionName, ...] = ()
    remove: tuple[ExtensionName, ...] = ()


def _removal(value: str) -> str:
    return "all" if value.strip().lower() == "all" else extension_name(value)


def _run(entry: EntryBase, build: Build, actor: str) -> list[Any]:
    return [LocalCommands(**on_machines(entry, build, actor), commands=entry.value,
                          override=bool(entry.override))]


def _guest_config(entry: EntryBase, build: Build, actor: str) -> list[Any]:
    return [GuestConfigTamper(**on_machines(entry, build, actor), commands=entry.value,
                              override=entry.override is not False)]


def _remove_locally(entry: EntryBase, build: Build, actor: str) -> list[Any]:
    removed = None if entry.value == "all" else entry.value
    return [LocalRemoval(**on_machines(entry, build, actor), extension=removed)]


def _agent_update(entry: EntryBase, build: Build, actor: str) -> list[Any]:
    return [AgentUpdate(**on_machines(entry, build, actor), version=str(entry.value))]


def _monitor_list(entry: EntryBase, build: Build, actor: str) -> list[Any]:
    change: MonitorListModel = entry.value
    return [MonitorListUpdate(**on_machines(entry, build, actor), add_extensions=change.add,
                              remove_extensions=change.remove)]


def _request(entry: EntryBase, build: Build, actor: str) -> list[Any]:
    # override None: a script's config change is an override (R7, R17); False: trusted
    return [CloudRequest(**on_machines(entry, build, actor), operation=entry.action,
                         extension=entry.value, version=entry.version, settings=entry.settings,
                         protected_settings=entry.protected_settings,
                         role=entry.role or "Owner", override=entry.override)]


class ReonboardModel(Model):
    """A server administrator onboards Expired machines again (R28)."""

    keep_config: bool = Field(True, description="keep the agent's local configuration")


def _reonboard_value(value: Any) -> Any:
    return {} if value is True else value


def _reonboard(entry: EntryBase, build: Build, actor: str) -> list[Any]:
    change: ReonboardModel = entry.value
    return [Reonboard(**on_machines(entry, build, actor), keep_config=change.keep_config)]


def _named(entry: EntryBase, _build: Build) -> list[str]:
    return [entry.value]


def _removed(entry: EntryBase, _build: Build) -> list[str]:
    return [] if entry.value == "all" else [entry.value]


def _listed(entry: EntryBase, _build: Build) -> list[str]:
    change: MonitorListModel = entry.value
    return [*change.add, *change.remove]


_REQUEST = ON_MACHINES | {"role", "override"}

MACHINE_ACTIONS = (
    Action("run", tuple[str, ...], ON_MACHINES | {"override"}, "local_admin", _run,
           "azcmagent command lines a local admin runs on each target machine (R8)"),
    Action("guest_config", tuple[str, ...], ON_MACHINES | {"override"}, "guest_config",
           _guest_config, "azcmagent lines a custom guest configuration policy runs (R17)"),
    Action("remove_locally", Annotated[str, AfterValidator(_removal)], ON_MACHINES,
           "local_admin", _remove_locally,
           'an extension (or "all") removed on the machine, Azure untouched (R6)',
           extensions=_removed),
    Action("agent_update", Version, ON_MACHINES, "agent_update", _agent_update,
           "the agent version machines move to (R30)"),
    Action("monitor_list", MonitorListModel, ON_MACHINES, "Microsoft", _monitor_list,
           "Microsoft's update of the monitor-mode allowlist (R19)", extensions=_listed),
    Action("install", ExtensionName, _REQUEST | {"version", "settings", "protected_settings"},
           "cloud_admin", _request, "an extension install asked for in Azure (R5)",
           role=True, extensions=_named),
    Action("update", ExtensionName, _REQUEST | {"settings", "protected_settings"},
           "cloud_admin", _request, "a reconfiguration asked for in Azure (R5)", role=True,
           extensions=_named),
    Action("upgrade", ExtensionName, _REQUEST | {"version"}, "cloud_admin", _request,
           "a manual upgrade asked for in Azure (R5, R25)", role=True, extensions=_named),
    Action("delete", ExtensionName, ON_MACHINES | {"role"}, "cloud_admin", _request,
           "an extension delete asked for in Azure (R5, R14)", role=True, extensions=_named),
    Action("reonboard", Annotated[ReonboardModel, BeforeValidator(_reonboard_value)],
           ON_MACHINES, "local_admin", _reonboard,
           "true, or {keep_config}: onboard the target machines that are Expired again (R28)"),
)
"""The rows of the actions carried out on target machines."""
