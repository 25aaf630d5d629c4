"""One colour per meaning, the same in every figure and report.

A reason (``not_on_allowlist``...) has one fixed colour wherever it appears: blocked operations
over time, the extension x reason heat map, run comparisons. The tables below are keyed by the
names records carry (:data:`sim.engine.codes.REASONS`); a name not listed gets a colour from
:data:`SPARE`, chosen by a stable hash of the name, so it is the same in every run and on every
machine. Provisioning states (R6c), lockdown coverage states, download paths and actors have
their own tables.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

REASON_COLOURS: dict[str, str] = {
    # local controls (R9-R15, R19, R23)
    "not_on_allowlist": "#d62728",
    "on_blocklist": "#1f77b4",
    "allow_none": "#7f3c8d",
    "monitor_mode": "#ff7f0e",
    "manager_disabled": "#8c564b",
    # Azure (R26, R27)
    "policy_deny": "#2ca02c",
    "authorization_failed": "#17becf",
    # failures apart from blocks (R3, R6c)
    "catalog_mismatch": "#e377c2",
    "install_failure": "#7f7f7f",
}
"""Reason name -> colour (hex)."""

SPARE: tuple[str, ...] = ("#bcbd22", "#9edae5", "#c49c94", "#f7b6d2", "#aec7e8", "#ffbb78",
                          "#98df8a", "#c5b0d5", "#dbdb8d", "#393b79")
"""Colours for names no table lists (chosen by a stable hash of the name)."""

PROVISIONING_COLOURS: dict[str, str] = {
    "Succeeded": "#2ca02c",
    "Creating": "#aec7e8",
    "Updating": "#1f77b4",
    "Deleting": "#9467bd",
    "Failed": "#d62728",
}
"""``provisioningState`` of extension resources in Azure (R6c) -> colour."""

COVERAGE_COLOURS: dict[str, str] = {
    "locked down": "#2ca02c",
    "refused (agent too old)": "#ff7f0e",
    "lockdown lifted": "#d62728",
    "not locked down": "#c7c7c7",
}
"""Lockdown coverage state of a machine -> colour (see :mod:`sim.report.derive`)."""

SERIES: tuple[str, ...] = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                           "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
"""Colours for series named by the scenario (paths, actors, runs), in order given."""


def reason_colour(reason: str) -> str:
    """The colour of ``reason`` (a listed one, or a stable spare)."""
    return REASON_COLOURS.get(reason) or _spare(reason)


def _spare(name: str) -> str:
    return SPARE[zlib.crc32(name.encode()) % len(SPARE)]


def series_colours(names: Iterable[str]) -> dict[str, str]:
    """Colours for scenario-named series in the order given (cycling past ten)."""
    return {name: SERIES[i % len(SERIES)] for i, name in enumerate(names)}


__all__ = ["COVERAGE_COLOURS", "PROVISIONING_COLOURS", "REASON_COLOURS", "SERIES",
           "reason_colour", "series_colours"]
