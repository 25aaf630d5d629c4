"""The scenario's ``params``: overrides of the engine's parameters, validated.

Every field mirrors a field of :class:`sim.engine.EngineParams` without its ``_s`` suffix; its
default is the engine's, and its description gives its unit and spec rule (``arcsim schema``
and the report's "parameters in force" show them). The open questions of the spec's "Where the
sources are silent" are fields here too, each with its default reading.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic import model_validator as _model_validator

from sim.engine.params import EngineParams
from sim.scenario.units import Duration, Size, format_duration
from sim.scenario.values import (
    MIN_PERIOD_S,
    ExtensionName,
    Label,
    Model,
    PositiveDuration,
    SchemaValueError,
    Share,
)

_ENGINE = EngineParams()


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
    heartbeat_period: PositiveDuration = Field(_ENGINE.heartbeat_period_s,
                                               description="a connected agent's heartbeat (R28)")
    disconnected_after: Duration = Field(
        _ENGINE.disconnected_after_s,
        description="after the last heartbeat, Azure shows Disconnected (R28; docs: 15-30 min)")
    expire_after: PositiveDuration = Field(
        _ENGINE.expire_after_s, description="after the last heartbeat, Expired (R28)")
    disabled_manager_requests: Literal["fail", "wait"] = Field(
        "fail", description="a request to a disabled extension manager fails at once, or "
                            "waits until it is enabled again (R23)")
    deny_refuses_automatic_upgrades: bool = Field(
        _ENGINE.deny_refuses_automatic_upgrades,
        description="an Azure Policy Deny also refuses automatic upgrades, POST actions "
                    "(R25, R26)")
    allow_none_before_1_35: Literal["refused", "ordinary_entry"] = Field(
        "refused", description="Allow/None on agents before 1.35: the command is refused, or "
                               "kept as an entry that blocks every install (R15)")
    malformed_list_entry: Literal["command_fails", "valid_entries_apply"] = Field(
        "command_fails", description="a list command with a malformed entry fails whole, or "
                                     "its valid entries apply (R1, R8a)")
    paths: tuple[PathModel, ...] = Field(
        (), description='download paths (R2); "direct" (unlimited) exists unless redefined')

    @_model_validator(mode="after")
    def _periods_make_sense(self) -> Params:
        if self.check_jitter >= self.check_period:
            raise SchemaValueError(f"check_jitter ({format_duration(self.check_jitter)}) must be "
                                   "shorter than check_period "
                                   f"({format_duration(self.check_period)})")
        if 0 < self.retry_refused < MIN_PERIOD_S:
            raise SchemaValueError(
                f"retry_refused ({format_duration(self.retry_refused)}) must be 0 (no retry) or "
                f"at least {format_duration(MIN_PERIOD_S)}: each retry of each refused operation "
                "is simulated")
        return self


__all__ = ["Params", "PathModel"]
