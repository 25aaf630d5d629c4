"""The local configuration Azure reports, as the commands that produce it (R8, R15, R19, R30).

Azure can read a machine's configuration, never write it (R8): an import turns it into the
``azcmagent config set`` lines that produce it on a fresh agent, checked with the rules layer;
what the agent version cannot express is dropped with a warning.
"""

from __future__ import annotations

from sim.rules.catalogue import default_monitor_list
from sim.rules.commands import CommandError, apply, apply_all
from sim.rules.config import AgentConfig, Mode
from sim.rules.versions import AgentVersion
from sim.scenario.inventory.resources import ReportedConfig


def command_lines(config: ReportedConfig) -> tuple[str, ...]:
    """The ``azcmagent config set`` lines that produce ``config`` on a fresh agent.

    Lists first (they are frozen in monitor mode, R21), the mode last. In monitor mode the
    reported lists are the Microsoft-managed ones (R19), so no list is set.
    """
    prefix = "azcmagent config set"
    lines = []
    if config.mode is Mode.FULL:
        for key, names in (("allowlist", config.allowlist), ("blocklist", config.blocklist)):
            if names:
                lines.append(f'{prefix} extensions.{key} "{",".join(e.name for e in names)}"')
        if not config.guest_configuration_enabled:
            lines.append(f"{prefix} guestconfiguration.enabled false")
    if not config.extensions_enabled:
        lines.append(f"{prefix} extensions.enabled false")
    if config.mode is Mode.MONITOR:
        lines.append(f"{prefix} config.mode monitor")
    return tuple(lines)


def intended_config(config: ReportedConfig, version: AgentVersion) -> AgentConfig:
    """The rules layer's configuration for what Azure reports, on an agent of ``version``."""
    if config.mode is Mode.MONITOR:
        return AgentConfig(version, extensions_enabled=config.extensions_enabled,
                           mode=Mode.MONITOR)
    return AgentConfig(version, config.allowlist, config.blocklist, config.extensions_enabled,
                       config.guest_configuration_enabled)


def config_commands(config: ReportedConfig,
                    version: AgentVersion) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``(command lines, problems)``: the lines of :func:`command_lines` that an agent of
    ``version`` accepts, checked by applying them to a fresh agent (``apply_all``) and
    comparing with :func:`intended_config`; each refused line or difference is a problem."""
    state, kept, problems = AgentConfig.fresh(version), [], []
    for line in command_lines(config):
        try:
            state = apply(line, state).state.config
            kept.append(line)
        except CommandError as exc:
            rule = f" ({exc.rule})" if exc.rule else ""
            problems.append(f"cannot run `{line}` on agent {version}: {exc.message}{rule}; "
                            "simulated without it")
    reproduced = apply_all(kept, AgentConfig.fresh(version)).config
    if reproduced != intended_config(config, version) and not problems:
        problems.append(f"the commands do not reproduce the reported configuration on "
                        f"agent {version}")
    problems.extend(_monitor_list_problems(config, version))
    return tuple(kept), tuple(problems)


def _monitor_list_problems(config: ReportedConfig, version: AgentVersion) -> list[str]:
    if config.mode is not Mode.MONITOR or not (config.allowlist or config.blocklist):
        return []
    assumed = {e.key for e in default_monitor_list(version)}
    if {e.key for e in config.allowlist} == assumed and not config.blocklist:
        return []
    return [f"monitor mode reports lists ({len(config.allowlist)} allowed, "
            f"{len(config.blocklist)} blocked) that differ from arcsim's assumed monitor list "
            f"for agent {version} (R19); the run uses arcsim's list"]
