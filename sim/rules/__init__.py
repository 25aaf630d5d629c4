"""The fidelity core: pure rules of extension security on Arc-enabled servers.

No SimPy, no files, no randomness. Everything that allows or blocks goes through here.
"""

from sim.rules.catalogue import BUILTIN, Catalogue, CatalogueEntry, Category, Hosting, OsType
from sim.rules.commands import (
    Applied,
    Command,
    CommandError,
    ErrorCode,
    LocalState,
    Verb,
    apply,
    apply_all,
    config_after,
    execute,
    parse,
)
from sim.rules.config import AgentConfig, Mode, render_config_list
from sim.rules.decision import Controls, Decision, Operation, Reason, compile_controls, decide
from sim.rules.identity import ALLOW_NONE, ExtensionId, ExtensionIdError
from sim.rules.versions import AgentVersion, Feature, has

__all__ = [
    "ALLOW_NONE", "BUILTIN", "AgentConfig", "AgentVersion", "Applied", "Catalogue",
    "CatalogueEntry", "Category", "Command", "CommandError", "Controls", "Decision", "ErrorCode",
    "ExtensionId", "ExtensionIdError", "Feature", "Hosting", "LocalState", "Mode", "Operation",
    "OsType", "Reason", "Verb", "apply", "apply_all", "compile_controls", "config_after", "decide",
    "execute", "has", "parse", "render_config_list",
]
