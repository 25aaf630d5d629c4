"""The agent's local configuration (spec R8, R8a, R19-R23, R30).

:class:`AgentConfig` is an immutable value: every ``azcmagent config`` key that matters for
extension security, with its default, plus the agent version. A key that the agent version does
not have does not exist on that agent (:func:`key_available`). Commands that change it live in
:mod:`sim.rules.commands`; decisions over it in :mod:`sim.rules.decision`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from types import MappingProxyType

from sim.rules.catalogue import default_monitor_list
from sim.rules.identity import ALLOW_NONE, ExtensionId
from sim.rules.versions import AgentVersion, Feature, has


class Mode(StrEnum):
    """``config.mode`` (R19)."""

    FULL = "full"
    MONITOR = "monitor"


class KeyKind(StrEnum):
    """The value type of a configuration key."""

    LIST = "list"
    """A list of extensions ``Publisher/Type`` (R8a)."""
    BOOL = "bool"
    MODE = "mode"
    TEXT = "text"
    """Any text (``proxy.url``)."""
    WORDS = "words"
    """A comma-separated list of words from ``choices`` (``proxy.bypass``)."""
    PORTS = "ports"
    """A comma-separated list of TCP ports, 1-65535."""
    CHOICE = "choice"
    """One word from ``choices``."""
    PERCENT = "percent"
    """A whole percentage, 1-100."""


@dataclass(frozen=True, slots=True)
class ConfigKey:
    """One ``azcmagent config`` property."""

    name: str
    kind: KeyKind
    since: Feature
    default: str
    description: str
    choices: tuple[str, ...] = ()
    """For WORDS and CHOICE keys: the values accepted (compared case-insensitively)."""

    @property
    def is_list(self) -> bool:
        """True for keys whose value is a list (``set --add``/``--remove`` apply)."""
        return self.kind in (KeyKind.LIST, KeyKind.WORDS, KeyKind.PORTS)


KEYS: tuple[ConfigKey, ...] = (
    ConfigKey("extensions.allowlist", KeyKind.LIST, Feature.LOCAL_CONTROLS, "[]",
              "Only these extensions (Publisher/Type, comma separated) may be installed"),
    ConfigKey("extensions.blocklist", KeyKind.LIST, Feature.LOCAL_CONTROLS, "[]",
              "These extensions (Publisher/Type, comma separated) may not be installed"),
    ConfigKey("extensions.enabled", KeyKind.BOOL, Feature.EXTENSIONS_SWITCH, "true",
              "Enable or disable the extension manager"),
    ConfigKey("guestconfiguration.enabled", KeyKind.BOOL, Feature.LOCAL_CONTROLS, "true",
              "Enable or disable guest configuration (Azure Policy machine configuration)"),
    ConfigKey("config.mode", KeyKind.MODE, Feature.MONITOR_MODE, "full",
              "Agent mode: full (every feature) or monitor (monitoring and security only)"),
    ConfigKey("incomingconnections.enabled", KeyKind.BOOL, Feature.MONITOR_MODE, "true",
              "Allow incoming connections (SSH, Windows Admin Center); off in monitor mode"),
    ConfigKey("incomingconnections.ports", KeyKind.PORTS, Feature.INCOMING_PORTS, "[]",
              "Ports open to connections through the agent (SSH 22, Windows Admin Center 6516)"),
    ConfigKey("connection.type", KeyKind.CHOICE, Feature.GATEWAY, "default",
              "How the agent reaches Azure: default (direct or proxy) or gateway",
              ("default", "direct", "gateway")),
    ConfigKey("proxy.url", KeyKind.TEXT, Feature.PROXY_URL, "",
              "Proxy server the agent uses (http://host:port)"),
    ConfigKey("proxy.bypass", KeyKind.WORDS, Feature.PROXY_BYPASS, "[]",
              "Traffic that does not use the proxy: AAD, ARM, Arc", ("AAD", "ARM", "Arc")),
    # agent 1.39, the release that also brought "azcmagent extension" [doc: agent overview,
    # "Custom resource limits"]
    ConfigKey("guestconfiguration.agent.cpulimit", KeyKind.PERCENT, Feature.CPU_LIMITS, "5",
              "CPU limit of the machine configuration service, percent"),
    ConfigKey("extensions.agent.cpulimit", KeyKind.PERCENT, Feature.CPU_LIMITS, "5",
              "CPU limit of the extension manager service, percent"),
)
"""Every documented key with the agent version that brought it (azcmagent config reference,
the proxy, SSH, gateway and CPU-limit pages): ``proxy.url`` 1.13, ``proxy.bypass`` 1.15,
``incomingconnections.ports`` 1.31, ``extensions/guestconfiguration.agent.cpulimit`` 1.39,
``connection.type`` 1.43. Only the extension keys change what the simulation decides; the
others are kept and shown (``config list``, ``get``) and their values validated."""
SECURITY_KEYS: Mapping[str, str] = MappingProxyType({
    "extensions.allowlist": "allowlist",
    "extensions.blocklist": "blocklist",
    "extensions.enabled": "extensions_enabled",
    "guestconfiguration.enabled": "guest_configuration_enabled",
    "config.mode": "mode",
    "incomingconnections.enabled": "incoming_connections_enabled",
})
"""The keys held in :class:`AgentConfig`'s own fields, each with its field's name; the other
keys are in its ``settings``."""
KEYS_BY_NAME: dict[str, ConfigKey] = {k.name: k for k in KEYS}
LIST_KEYS = frozenset({"extensions.allowlist", "extensions.blocklist"})
KEY_WIDTH = max(len(key.name) for key in KEYS)
"""The width ``config list`` pads every key to (R20): the longest key's, on every agent
version, so that every separator lines up."""


def key_available(name: str, version: AgentVersion) -> bool:
    """True when ``name`` is a configuration key on an agent of ``version`` (R8, R30)."""
    key = KEYS_BY_NAME.get(name)
    return key is not None and has(version, key.since)


@dataclass(frozen=True, slots=True)
class AgentConfig:
    """One machine's local agent configuration: stored values plus the agent version.

    The stored lists are the ones a user set; in monitor mode the *effective* lists are the
    Microsoft-managed monitor list and no blocklist (R19), see :attr:`effective_allowlist`.
    """

    version: AgentVersion
    allowlist: tuple[ExtensionId, ...] = ()
    blocklist: tuple[ExtensionId, ...] = ()
    extensions_enabled: bool = True
    guest_configuration_enabled: bool = True
    mode: Mode = Mode.FULL
    incoming_connections_enabled: bool = True
    monitor_list: tuple[ExtensionId, ...] | None = None
    """The Microsoft-managed monitor-mode allowlist; None means the default for the version."""
    settings: tuple[tuple[str, str], ...] = ()
    """Values set on the other keys (proxy, ports, connection type, CPU limits), by key name,
    sorted; a key not listed has its default."""

    @classmethod
    def fresh(cls, version: AgentVersion | str) -> AgentConfig:
        """The configuration of a newly installed agent of ``version``: every key at default."""
        return cls(AgentVersion.parse(version))

    @property
    def is_monitor_mode(self) -> bool:
        """True when the agent runs in monitor mode (R19)."""
        return self.mode is Mode.MONITOR

    @property
    def monitor_allowlist(self) -> tuple[ExtensionId, ...]:
        """The monitor-mode allowlist in force on this agent (R19)."""
        if self.monitor_list is not None:
            return self.monitor_list
        return default_monitor_list(self.version)

    @property
    def effective_allowlist(self) -> tuple[ExtensionId, ...]:
        """The allowlist that decisions use: the monitor list in monitor mode (R19)."""
        return self.monitor_allowlist if self.is_monitor_mode else self.allowlist

    @property
    def effective_blocklist(self) -> tuple[ExtensionId, ...]:
        """The blocklist that decisions use: none in monitor mode (R19, assumption)."""
        return () if self.is_monitor_mode else self.blocklist

    @property
    def effective_guest_configuration(self) -> bool:
        """Guest configuration runs when enabled and not in monitor mode (R8, R19)."""
        return self.guest_configuration_enabled and not self.is_monitor_mode

    @property
    def effective_incoming_connections(self) -> bool:
        """Incoming connections are off in monitor mode (R19 [doc])."""
        return self.incoming_connections_enabled and not self.is_monitor_mode

    @property
    def is_allow_none(self) -> bool:
        """True when the allowlist is the special ``Allow/None`` in force (R15): the entry on an
        agent of 1.35 or later. Decisions, lockdown codes and lint all ask this."""
        return ALLOW_NONE in self.allowlist and has(self.version, Feature.ALLOW_NONE)

    @property
    def allow_none_as_entry(self) -> bool:
        """True when an agent older than 1.35 holds ``Allow/None`` (R15, R30): only under the
        ``ordinary_entry`` reading (:mod:`sim.rules.readings`; by default such an agent refuses
        the value), where it is an ordinary entry that names no extension, not the special
        value."""
        return ALLOW_NONE in self.allowlist and not has(self.version, Feature.ALLOW_NONE)

    @property
    def has_lockdown(self) -> bool:
        """True when any local control restricts extensions (lists, mode or manager switch)."""
        return bool(
            self.allowlist or self.blocklist or self.is_monitor_mode or not self.extensions_enabled
        )

    def with_version(self, version: AgentVersion) -> AgentConfig:
        """The same configuration on an upgraded agent (an agent update keeps local config)."""
        return replace(self, version=version)

    def value_text(self, name: str) -> str:
        """The effective value of key ``name`` as ``azcmagent config get`` prints it (R20)."""
        if name == "extensions.allowlist":
            return _list_text(self.effective_allowlist)
        if name == "extensions.blocklist":
            return _list_text(self.effective_blocklist)
        if name == "extensions.enabled":
            return _bool_text(self.extensions_enabled)
        if name == "guestconfiguration.enabled":
            return _bool_text(self.guest_configuration_enabled and not self.is_monitor_mode)
        if name == "config.mode":
            return self.mode.value
        if name == "incomingconnections.enabled":
            return _bool_text(self.effective_incoming_connections)
        key = KEYS_BY_NAME[name]
        stored = dict(self.settings).get(name)
        if key.is_list:
            return "[" + " ".join((stored or "").split(",") if stored else []) + "]"
        return stored if stored is not None else key.default

    def with_setting(self, name: str, text: str | None) -> AgentConfig:
        """This configuration with key ``name`` (not a security key) set to ``text``, or back
        to its default when None."""
        kept = tuple((k, v) for k, v in self.settings if k != name)
        if text is not None:
            kept = tuple(sorted((*kept, (name, text))))
        return replace(self, settings=kept)


def _list_text(items: tuple[ExtensionId, ...]) -> str:
    return "[" + " ".join(i.name for i in items) + "]"


def _bool_text(value: bool) -> str:
    return "true" if value else "false"


def render_config_list(config: AgentConfig) -> str:
    """``azcmagent config list`` output (R20): a header, then ``  key<pad> : value`` rows.

    Only keys the agent version has are listed. Every key is padded to one fixed width,
    :data:`KEY_WIDTH` (the longest key), so the separators line up on every row and version.
    """
    rows = [
        f"  {key.name:<{KEY_WIDTH}} : {config.value_text(key.name)}"
        for key in KEYS
        if key_available(key.name, config.version)
    ]
    return "\n".join(["Local Configuration Settings", *rows])


def render_config_info(version: AgentVersion, name: str = "") -> str:
    """``azcmagent config info [KEY]`` output: each available key (or ``name`` only), its
    default and what it does."""
    rows = [
        f"  {key.name:<{KEY_WIDTH}} default {key.default:<6} {key.description}"
        for key in KEYS
        if has(version, key.since) and name in ("", key.name)
    ]
    return "\n".join([f"Configuration properties of agent {version}", *rows])
