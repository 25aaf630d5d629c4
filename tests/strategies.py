"""Hypothesis strategies shared by the tests: extension ids, agent versions, agent
configurations reachable through commands, and command lines (valid and garbage)."""

from __future__ import annotations

import contextlib
import functools
import string

from hypothesis import strategies as st

from sim.rules import BUILTIN, AgentConfig, AgentVersion, CommandError, ExtensionId, apply
from sim.rules.config import KEYS, KeyKind

NAME_CHARS = string.ascii_letters + string.digits + "._-"
"""Characters of a well-formed publisher or type name."""

CATALOGUE_NAMES = sorted(e.id.name for e in BUILTIN)
LIST_KEY_NAMES = ("extensions.allowlist", "extensions.blocklist")
BOOL_KEY_NAMES = tuple(k.name for k in KEYS if k.kind is KeyKind.BOOL)
ALL_KEY_NAMES = tuple(k.name for k in KEYS)
TYPOGRAPHIC = "“”‘’„«»"


def random_case(text: str) -> st.SearchStrategy[str]:
    """``text`` with each letter's case drawn at random (one bit per character)."""
    def flip(mask: int) -> str:
        return "".join(c.swapcase() if mask >> i & 1 else c for i, c in enumerate(text))
    return st.integers(0, 2 ** len(text) - 1).map(flip)


@functools.cache
def name_parts() -> st.SearchStrategy[str]:
    """A publisher or type: letters, digits, dots, dashes, underscores (no leading dash, which
    a command line would take for a flag)."""
    return st.text(NAME_CHARS, min_size=1, max_size=24).filter(lambda s: not s.startswith("-"))


@functools.cache
def random_names() -> st.SearchStrategy[str]:
    """A well-formed ``Publisher/Type`` that is usually not in the catalogue."""
    return st.builds(lambda p, t: f"{p}/{t}", name_parts(), name_parts())


@functools.cache
def catalogue_names() -> st.SearchStrategy[str]:
    """A catalogue extension's name, in random letter case."""
    return st.sampled_from(CATALOGUE_NAMES).flatmap(random_case)


@functools.cache
def extension_names() -> st.SearchStrategy[str]:
    """Catalogue or random well-formed names, random case, sometimes padded with spaces."""
    name = st.one_of(catalogue_names(), random_names())
    return st.builds(lambda n, pad: f"{' ' * pad}{n}{' ' * pad}", name, st.integers(0, 2))


@functools.cache
def extension_ids() -> st.SearchStrategy[ExtensionId]:
    """Parsed extension ids (catalogue and random)."""
    return extension_names().map(ExtensionId.parse)


@functools.cache
def agent_versions() -> st.SearchStrategy[AgentVersion]:
    """Agent versions 1.10 to 1.60."""
    return st.integers(10, 60).map(lambda minor: AgentVersion(1, minor))


@functools.cache
def list_values() -> st.SearchStrategy[str]:
    """A list value as typed: comma-separated names, or ``Allow/None``, or empty."""
    names = st.lists(extension_names(), min_size=1, max_size=4).map(",".join)
    return st.one_of(names, names, names, st.just("Allow/None"), st.just(""))


@functools.cache
def _prefix() -> st.SearchStrategy[str]:
    return st.sampled_from(["azcmagent", "sudo azcmagent", "azcmagent.exe"])


@functools.cache
def list_commands() -> st.SearchStrategy[str]:
    """``config set`` on a list key: replace, ``--add``/``-a`` or ``--remove``/``-r``."""
    flag = st.sampled_from(["", "--add ", "-a ", "--remove ", "-r "])
    return st.builds(lambda p, f, k, val: f'{p} config set {f}{k} "{val}"',
                     _prefix(), flag, st.sampled_from(LIST_KEY_NAMES), list_values())


@functools.cache
def setting_commands() -> st.SearchStrategy[str]:
    """``config set`` on a bool key or ``config.mode``, and ``config clear``."""
    boolean = st.builds(lambda p, k, val: f"{p} config set {k} {val}",
                        _prefix(), st.sampled_from(BOOL_KEY_NAMES),
                        st.sampled_from(["true", "false", "TRUE", "False"]))
    mode = st.builds(lambda p, m: f"{p} config set config.mode {m}",
                     _prefix(), st.sampled_from(["full", "monitor"]))
    clear = st.builds(lambda p, k: f"{p} config clear {k}", _prefix(),
                      st.sampled_from(ALL_KEY_NAMES))
    return st.one_of(boolean, mode, clear)


@functools.cache
def read_commands() -> st.SearchStrategy[str]:
    """Commands that change nothing: list, info, get."""
    get = st.builds(lambda p, k: f"{p} config get {k}", _prefix(), st.sampled_from(ALL_KEY_NAMES))
    return st.one_of(st.just("azcmagent config list"), st.just("azcmagent config info"), get)


@functools.cache
def valid_command_lines() -> st.SearchStrategy[str]:
    """Well-formed ``azcmagent config`` lines (an agent may still refuse them: version, mode)."""
    weighted = [list_commands()] * 5 + [setting_commands()] * 2 + [read_commands()]
    return st.sampled_from(weighted).flatmap(lambda strategy: strategy)


@st.composite
def _mangled(draw: st.DrawFn) -> str:
    """A valid line with typographic quotes, an unbalanced quote, a stray flag or a cut."""
    line = draw(valid_command_lines())
    how = draw(st.sampled_from(["typographic", "unbalanced", "flag", "cut", "insert"]))
    if how == "typographic":
        left, right = draw(st.sampled_from(TYPOGRAPHIC)), draw(st.sampled_from(TYPOGRAPHIC))
        return line.replace('"', left, 1).replace('"', right, 1)
    if how == "unbalanced":
        return line + draw(st.sampled_from(['"', "'", ' "x', " 'y"]))
    if how == "flag":
        flag = draw(st.sampled_from(["--frob", "-x", "--add", "-r", "--name", "-", "--"]))
        return f"{line} {flag}"
    if how == "cut":
        return line[: draw(st.integers(0, len(line)))]
    at = draw(st.integers(0, len(line)))
    return line[:at] + draw(st.text(max_size=5)) + line[at:]


@functools.cache
def garbage_command_lines() -> st.SearchStrategy[str]:
    """Lines an agent should refuse, or at least not crash on."""
    words = st.lists(st.sampled_from(["azcmagent", "config", "extension", "set", "get", "list",
                                      "clear", "info", "remove", "--name", "--all", "-a", "sudo",
                                      "systemctl", "stop", "extd", "Stop-Service", "net",
                                      "extensions.allowlist", "config.mode", '"', "“", "#"]),
                     max_size=6).map(" ".join)
    return st.one_of(st.text(max_size=60), words, _mangled())


@functools.cache
def command_lines() -> st.SearchStrategy[str]:
    """Valid and garbage command lines, including extension and service commands."""
    extension = st.sampled_from([
        "azcmagent extension list", "azcmagent extension remove --all",
        "azcmagent extension remove --name CustomScript", "systemctl stop extd",
        "systemctl start extd", "Stop-Service ExtensionService",
    ])
    return st.one_of(valid_command_lines(), garbage_command_lines(), extension)


@functools.cache
def _command_runs() -> st.SearchStrategy[list[str]]:
    return st.lists(valid_command_lines(), max_size=6)


@st.composite
def agent_configs(draw: st.DrawFn, versions: st.SearchStrategy[AgentVersion] | None = None
                  ) -> AgentConfig:
    """A configuration reachable from a fresh agent by valid commands (refused ones skipped)."""
    config = AgentConfig.fresh(draw(versions or agent_versions()))
    for line in draw(_command_runs()):
        with contextlib.suppress(CommandError):
            config = apply(line, config).state.config
    return config


# --- fleets and lockdowns for plans (sim.plan) ---------------------------------------------

PLAN_EXTENSIONS = (
    "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent",
    "Microsoft.Azure.Monitor/AzureMonitorLinuxAgent",
    "Microsoft.EnterpriseCloud.Monitoring/MicrosoftMonitoringAgent",
    "Microsoft.Azure.Monitoring.DependencyAgent/DependencyAgentWindows",
    "Microsoft.Compute/CustomScriptExtension",
    "Contoso/InventoryAgent",
)
"""Extensions of plan fleets: manager-hosted and own-service, script-capable, with and without
automatic upgrade, and one arcsim does not know."""
PLAN_VERSIONS = ("1.12", "1.16", "1.17", "1.18", "1.21", "1.30", "1.35", "1.39", "1.45")
"""Agent versions around every feature gate (R30)."""


@functools.cache
def lockdown_lines() -> st.SearchStrategy[str]:
    """One line of a candidate lockdown: lists of plan extensions (sometimes with the article's
    malformed entry, R8a), or ``Allow/None``, the switches, modes, clears, service stop/start,
    local removals, and a line the agent refuses."""
    malformed = "Microsoft.Azure.Automation.HybridWorkerForLinux"  # no "/": the article's typo
    entries = (*PLAN_EXTENSIONS, malformed, malformed)
    names = st.lists(st.sampled_from(entries).flatmap(random_case), min_size=1,
                     max_size=3).map(",".join)
    value = st.one_of(names, names, st.just("Allow/None"))
    flag = st.sampled_from(["", "--add ", "--remove "])
    lists = st.builds(lambda f, k, val: f'azcmagent config set {f}{k} "{val}"', flag,
                      st.sampled_from(LIST_KEY_NAMES), value)
    kinds = [p.partition("/")[2] for p in PLAN_EXTENSIONS]
    other = st.sampled_from([
        "azcmagent config set extensions.enabled false",
        "azcmagent config set extensions.enabled true",
        "azcmagent config set guestconfiguration.enabled false",
        "azcmagent config set config.mode monitor", "azcmagent config set config.mode full",
        "azcmagent config clear extensions.allowlist", "sudo azcmagent config list",
        "systemctl stop extd", "systemctl start extd", "azcmagent extension remove --all",
        *(f"azcmagent extension remove --name {k}" for k in kinds),
        "azcmagent config set extensions.allowlist “Contoso/InventoryAgent”",
    ])
    return st.one_of(lists, lists, other)


@st.composite
def plan_groups(draw: st.DrawFn, index: int) -> dict[str, object]:
    """A scenario fleet group of 1-3 machines: one or two agent versions, some installed plan
    extensions, sometimes configuration commands of its own."""
    versions = draw(st.lists(st.sampled_from(PLAN_VERSIONS), min_size=1, max_size=2,
                             unique=True))
    group: dict[str, object] = {
        "group": f"g{index}", "count": draw(st.integers(1, 3)),
        "os": draw(st.sampled_from(["windows", "linux"])),
        "extensions": draw(st.lists(st.sampled_from(PLAN_EXTENSIONS), max_size=3, unique=True)),
        "commands": draw(st.lists(lockdown_lines().filter(lambda t: "config set" in t),
                                  max_size=2)),
    }
    if len(versions) == 1:
        group["agent_version"] = versions[0]
    else:
        group["agent_versions"] = {v: 0.5 for v in versions}
    return group


# --- small scenarios where script-capable extensions come and go (exposure) -----------------

EXPOSURE_EXTENSIONS = (
    "Microsoft.Compute/CustomScriptExtension",            # script-capable, manager-hosted
    "Microsoft.EnterpriseCloud.Monitoring/MicrosoftMonitoringAgent",  # script-capable, service
    "Microsoft.Cplat.Core/RunCommandHandlerWindows",      # script-capable, manager-hosted
    "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent",   # runs no scripts
)
"""Extensions of exposure scenarios: script-capable ones hosted either way (R7, R24), and one
that runs no scripts."""
_EXPOSURE_LINES = (
    "azcmagent config set extensions.enabled false",
    "azcmagent config set extensions.enabled true",
    "azcmagent config set config.mode monitor",
    "azcmagent config set config.mode full",
    "azcmagent config clear extensions.allowlist",
    "azcmagent config set guestconfiguration.enabled false",
    'azcmagent config set extensions.allowlist "Allow/None"',
    'azcmagent config set extensions.allowlist "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent"',
    'azcmagent config set extensions.allowlist "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent,'
    'Microsoft.Compute/CustomScriptExtension"',
    'azcmagent config set extensions.blocklist "Microsoft.Compute/CustomScriptExtension"',
)


@st.composite
def _exposure_entry(draw: st.DrawFn, groups: list[str]) -> dict[str, object]:
    """One timeline entry: an extension request, a local removal, local commands (some by an
    override actor) or an agent update, at a whole hour, on one group or all."""
    entry: dict[str, object] = {"at": f"{draw(st.integers(0, 70))}h"}
    kind = draw(st.sampled_from(["install", "install", "update", "delete", "remove_locally",
                                 "run", "run", "agent_update"]))
    if kind == "run":
        entry["run"] = draw(st.lists(st.sampled_from(_EXPOSURE_LINES), min_size=1, max_size=2))
        entry["override"] = draw(st.booleans())
    elif kind == "agent_update":
        entry["agent_update"] = "1.40"
    else:
        entry[kind] = draw(st.sampled_from(EXPOSURE_EXTENSIONS))
    if kind == "update":
        entry["settings"] = draw(st.sampled_from(["echo hi", _EXPOSURE_LINES[4]]))
    if draw(st.booleans()):
        entry["target"] = {"group": draw(st.sampled_from(groups))}
    return entry


@st.composite
def exposure_scenarios(draw: st.DrawFn) -> dict[str, object]:
    """A scenario document of 1-2 Windows groups of 1-3 machines (agents 1.15, 1.20, 1.40),
    some exposure extensions installed, some initial lockdown lines, and 0-6 timeline entries
    over 3 days."""
    groups = [f"g{i}" for i in range(draw(st.integers(1, 2)))]
    fleet = [{"group": name, "count": draw(st.integers(1, 3)), "os": "windows",
              "agent_version": draw(st.sampled_from(["1.15", "1.20", "1.40"])),
              "extensions": draw(st.lists(st.sampled_from(EXPOSURE_EXTENSIONS), max_size=3,
                                          unique=True)),
              "commands": draw(st.lists(st.sampled_from(_EXPOSURE_LINES), max_size=2))}
             for name in groups]
    timeline = draw(st.lists(_exposure_entry(groups), max_size=6))
    return {"name": "exposure", "description": "What gets in?\n", "duration": "3d",
            "seed": draw(st.integers(0, 2**16)), "fleet": fleet, "timeline": timeline}
