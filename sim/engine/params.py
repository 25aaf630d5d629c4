"""Engine parameters: every **[param]** of the spec with its unit, default and rule.

Defaults are the documented values where the spec gives one, otherwise stated assumptions.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from sim.errors import ArcsimError
from sim.rules.readings import (
    AllowNoneOnOldAgents,
    DisabledManagerRequests,
    MalformedListEntry,
    Readings,
)

DAY = 86_400.0


class ParamError(ArcsimError, ValueError):
    """A parameter value out of range."""


@dataclass(frozen=True, slots=True)
class PathSpec:
    """A download path (R2): straight from Azure Storage or through a private-endpoint proxy."""

    name: str = "direct"
    latency_s: float = 1.0
    """Seconds before the first byte (R2) **[param]**."""
    bandwidth_bps: float = 50e6
    """Bytes per second of one download (R2) **[param]**."""
    capacity: int = 0
    """Concurrent downloads the path serves; 0 = unlimited (direct storage) (R2) **[param]**."""

    @property
    def is_shared(self) -> bool:
        """True for a proxy with limited capacity (downloads queue on it)."""
        return self.capacity > 0


@dataclass(frozen=True, slots=True)
class EngineParams:
    """Timing and failure parameters of the simulated fleet. Seconds and probabilities."""

    push_latency_s: float = 5.0
    """Delay of a pushed request, agent 1.13+ (R6a) **[param]**, default seconds."""
    push_reachable: float = 1.0
    """Share of machines whose notification channel is reachable (R6a) **[param]**."""
    check_period_s: float = 300.0
    """Period of the extension manager's check with Azure (R6a) **[param]**, default 5 min."""
    check_jitter_s: float = 0.0
    """Each check comes up to this many seconds late, uniformly (R6a) **[param]**."""
    service_stop_s: float = 600.0
    """How long the extension service stays stopped for a local removal (R6) **[param]**."""
    install_s: float = 60.0
    """Install duration after download (R2) **[param]**."""
    update_s: float = 20.0
    """Reconfigure (update) duration; no download **[param]**."""
    delete_s: float = 15.0
    """Uninstall duration **[param]**."""
    install_failure_p: float = 0.0
    """Chance that an install or upgrade fails after download **[param]**."""
    catalog_mismatch_p: float = 0.0
    """Chance that a downloaded package does not match the signed catalog (R3) **[param]**."""
    catalog_mismatch_extensions: tuple[str, ...] = ()
    """Extensions whose download always fails the catalog check (R3, forced)."""
    retry_refused_s: float = 0.0
    """If > 0 the agent retries a locally refused operation after this many seconds; 0 = not
    until Azure asks again (R10) **[param]**."""
    heartbeat_period_s: float = 300.0
    """A connected agent's heartbeat period, 5 min (R28 [doc]); each machine's heartbeats
    fall at its check phase modulo this period."""
    disconnected_after_s: float = 900.0
    """Seconds after its last heartbeat until Azure shows a machine Disconnected (R28)
    **[param]**: the documented 15-30 minutes, default its lower end. Processing stops as
    soon as the connection is lost."""
    expire_after_s: float = 45 * DAY
    """Seconds after its last heartbeat until a machine is Expired and must be onboarded
    again (R28)."""
    disabled_manager_requests: str = DisabledManagerRequests.FAIL.value
    """A request that reaches a machine whose extension manager is disabled (R23)
    **[param]**: ``fail`` (default: it fails at once, ``Failed``, and is not queued; the
    manager takes no operation and Azure times the request out) or ``wait`` (it stays
    pending until the manager is enabled again, then runs at the first check)."""
    deny_refuses_automatic_upgrades: bool = False
    """Whether an Azure Policy Deny refuses automatic upgrades (R25, R26) **[param]**. Default
    no: an upgrade is a POST action (``upgradeExtensions/action``), not a write of the
    extension resource, which is what a Deny evaluates."""
    allow_none_before_1_35: str = AllowNoneOnOldAgents.REFUSED.value
    """``Allow/None`` on agents older than 1.35 (R15) **[param]**: ``refused`` or
    ``ordinary_entry`` (:class:`sim.rules.readings.AllowNoneOnOldAgents`)."""
    malformed_list_entry: str = MalformedListEntry.COMMAND_FAILS.value
    """A list command with one malformed entry (R8a) **[param]**: ``command_fails`` or
    ``valid_entries_apply`` (:class:`sim.rules.readings.MalformedListEntry`)."""
    paths: tuple[PathSpec, ...] = field(default_factory=lambda: (PathSpec(),))
    """Download paths by name; a machine names one (R2)."""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float) and value < 0:
                raise ParamError(f"params.{f.name}: expected a value >= 0, got {value}")
        for name in ("push_reachable", "install_failure_p", "catalog_mismatch_p"):
            if getattr(self, name) > 1:
                raise ParamError(f"params.{name}: expected a probability in [0, 1]")
        if self.check_period_s <= 0:
            raise ParamError("params.check_period_s: expected a period > 0")
        if self.check_jitter_s >= self.check_period_s:
            raise ParamError("params.check_jitter_s: must be shorter than check_period_s")
        if self.heartbeat_period_s <= 0:
            raise ParamError("params.heartbeat_period_s: expected a period > 0")
        _one_of("disabled_manager_requests", self.disabled_manager_requests,
                tuple(r.value for r in DisabledManagerRequests))
        _one_of("allow_none_before_1_35", self.allow_none_before_1_35,
                tuple(r.value for r in AllowNoneOnOldAgents))
        _one_of("malformed_list_entry", self.malformed_list_entry,
                tuple(r.value for r in MalformedListEntry))

    @property
    def readings(self) -> Readings:
        """How the rules read what the documentation leaves open (:mod:`sim.rules.readings`)."""
        return Readings(AllowNoneOnOldAgents(self.allow_none_before_1_35),
                        MalformedListEntry(self.malformed_list_entry),
                        self.deny_refuses_automatic_upgrades,
                        DisabledManagerRequests(self.disabled_manager_requests))

    @property
    def requests_wait_for_manager(self) -> bool:
        """True when requests to a disabled extension manager wait for it (R23)."""
        return self.disabled_manager_requests == "wait"

    def path(self, name: str) -> PathSpec:
        """The path called ``name``; raise :class:`ParamError` naming the known ones."""
        for p in self.paths:
            if p.name == name:
                return p
        known = ", ".join(p.name for p in self.paths)
        raise ParamError(f'unknown download path "{name}"; known paths: {known}')


def _one_of(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ParamError(f'params.{name}: expected one of {", ".join(allowed)}, got "{value}"')
