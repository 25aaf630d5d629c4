"""What a report states besides the results: the lint findings of the configurations a
scenario uses, and the **[param]** values in force.

Configurations used are the ``azcmagent`` command lines of a scenario: each group's
``commands`` (run before the start) and each timeline ``run`` or ``guest_config`` entry.
Each is linted (:func:`sim.rules.lint`) on every agent version of the machines it reaches, and
findings that are the same on several versions are given once, with those versions.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable
from dataclasses import dataclass

from sim.rules.catalogue import default_monitor_list
from sim.rules.command_parse import CommandError, Verb, parse
from sim.rules.config import Mode
from sim.rules.lint import Finding, lint
from sim.rules.versions import AgentVersion, Feature, has
from sim.scenario.build import catalogue_of, readings_of
from sim.scenario.schema import Params, PathModel, Scenario
from sim.scenario.units import Duration, format_duration, format_size


@dataclass(frozen=True)
class ConfigUse:
    """Command lines a scenario runs somewhere, and the agent versions they meet."""

    where: str
    lines: tuple[str, ...]
    versions: tuple[str, ...]


@dataclass(frozen=True)
class ConfigFinding:
    """A lint finding about one configuration use, on the agent versions listed."""

    use: ConfigUse
    finding: Finding
    versions: tuple[str, ...]

    @property
    def command(self) -> str:
        """The command line the finding is about ("" for the configuration as a whole)."""
        line = self.finding.line
        return self.use.lines[line - 1] if line is not None and line <= len(self.use.lines) \
            else ""


def _versions(groups: Iterable[str], scenario: Scenario) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for g in scenario.fleet:
        if g.group in groups:
            found.update(dict.fromkeys(g.versions))
    return tuple(found)


def config_uses(scenario: Scenario) -> list[ConfigUse]:
    """Every place the scenario runs ``azcmagent`` command lines, in file order."""
    uses = [ConfigUse(f'fleet group "{g.group}": commands before the start', g.commands,
                      tuple(g.versions)) for g in scenario.fleet if g.commands]
    everyone = [g.group for g in scenario.fleet]
    for i, entry in enumerate(scenario.timeline):
        lines = entry.run if entry.run is not None else entry.guest_config
        if not lines:
            continue
        group = entry.target.group if entry.target is not None else None
        kind = "run" if entry.run is not None else "guest_config"
        actor = f" by {entry.actor}" if entry.actor else ""
        on = f'group "{group}"' if group else "the fleet"
        uses.append(ConfigUse(f"timeline[{i}] {kind}{actor} on {on}", tuple(lines),
                              _versions([group] if group else everyone, scenario)))
    return uses


def lint_findings(scenario: Scenario) -> list[ConfigFinding]:
    """The lint findings of every configuration the scenario uses (see the module), with the
    scenario's catalogue and readings."""
    found: list[ConfigFinding] = []
    catalogue, readings = catalogue_of(scenario), readings_of(scenario.params)
    for use in config_uses(scenario):
        merged: dict[Finding, list[str]] = {}
        for version in use.versions:
            for finding in lint(list(use.lines), catalogue, agent_version=version,
                                readings=readings):
                merged.setdefault(finding, []).append(version)
        found += [ConfigFinding(use, f, tuple(v)) for f, v in merged.items()]
    return found


def uses_monitor_mode(scenario: Scenario) -> bool:
    """True when the scenario puts machines in monitor mode or changes its list (R19)."""
    lines = (line for use in config_uses(scenario) for line in use.lines)
    return (any(sets_monitor_mode(line) for line in lines)
            or any(entry.monitor_list is not None for entry in scenario.timeline))


def sets_monitor_mode(line: str) -> bool:
    """True when ``line`` is ``azcmagent config set config.mode monitor``, read as the agent
    reads it (:func:`sim.rules.command_parse.parse`; the value in any case, R19); a comment, a
    line the agent refuses or any other command is not."""
    try:
        command = parse(line)
    except CommandError:
        return False
    return (command.verb is Verb.CONFIG_SET and command.key == "config.mode"
            and command.value.strip().lower() == Mode.MONITOR)


def assumption_notes(scenario: Scenario) -> list[str]:
    """Sentences on what the run assumes where the sources are silent: the monitor-mode list
    where monitor mode is used (R19), and the scenario's own catalogue entries."""
    notes = []
    if uses_monitor_mode(scenario):
        versions = sorted({AgentVersion.parse(v) for g in scenario.fleet for v in g.versions
                           if has(AgentVersion.parse(v), Feature.MONITOR_MODE)})
        sizes = ", ".join(f"{len(default_monitor_list(v))} on agent {v}" for v in versions)
        notes.append(
            "Assumption: the monitor-mode allowlist (R19). Monitor mode is an allowlist that "
            "Microsoft maintains, not an audit mode, and Microsoft does not publish it; this "
            "run uses arcsim's list per agent version (the monitoring and security extensions "
            f"of its catalogue: {sizes or 'no agent here has monitor mode'}), changed only by "
            "the scenario's monitor_list entries. Blocks and installs in monitor mode depend "
            "on it.")
    if scenario.catalogue:
        facts = "; ".join(f"{name}: " + ", ".join(f"{k} {v}" for k, v in
                                                 model.model_dump(exclude_none=True).items())
                          for name, model in scenario.catalogue.items())
        notes.append(f"The scenario's own catalogue entries (R2, R7, R24, R25): {facts}.")
    return notes


# --- parameters --------------------------------------------------------------------------


@dataclass(frozen=True)
class ParamValue:
    """One parameter: its value in force, its default and what it means."""

    name: str
    value: str
    default: str
    meaning: str

    @property
    def is_set(self) -> bool:
        """True when the scenario changed it from the default."""
        return self.value != self.default


_DURATION_MARK = typing.get_args(Duration)[1]


def _format(value: object, is_duration: bool) -> str:
    if isinstance(value, tuple):
        return ", ".join(_format(v, False) for v in value) or "none"
    if isinstance(value, PathModel):
        slots = f"{value.capacity} at a time" if value.capacity else "unlimited"
        return (f"{value.name}: {slots}, {format_size(value.bandwidth)}/s each, "
                f"latency {format_duration(value.latency)}")
    if is_duration and isinstance(value, float):
        return format_duration(value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _paths(paths: tuple[PathModel, ...]) -> str:
    """The download paths, with "direct" (unlimited) unless a scenario redefines it."""
    direct = () if any(p.name == "direct" for p in paths) else ("direct: unlimited",)
    return "; ".join((*direct, *(_format(p, False) for p in paths)))


def params_in_force(scenario: Scenario) -> list[ParamValue]:
    """Every engine parameter the run used, with its default and meaning (schema order)."""
    defaults = Params.model_validate({})
    rows = []
    for name, field in Params.model_fields.items():
        is_duration = _DURATION_MARK in field.metadata
        value = _format(getattr(scenario.params, name), is_duration)
        default = _format(getattr(defaults, name), is_duration)
        if name == "paths":
            value, default = _paths(scenario.params.paths), _paths(defaults.paths)
        rows.append(ParamValue(name, value, default, field.description or ""))
    return rows


__all__ = ["ConfigFinding", "ConfigUse", "ParamValue", "assumption_notes", "config_uses",
           "lint_findings", "params_in_force", "sets_monitor_mode", "uses_monitor_mode"]
