"""Open override paths: how a machine's protections could still be rewritten (spec R7, R8,
R12, R16-R19, R27, R30).

A lockdown lives in the agent's local configuration, and anything that runs privileged on the
machine can rewrite it (R17). :func:`open_paths` lists, for a machine's state, the ways left to
do that from Azure:

* ``script_extension`` (R7, R17, R18): the local controls let an extension that runs
  arbitrary scripts as root or Local System (:func:`~sim.rules.impact.runs_scripts`) be
  installed, or reconfigured where it is installed (new settings carry a new script).
  Whoever can install or update extensions (R27) can send it a script that rewrites the
  configuration; where a ``Deny`` assignment refuses the request, they must
  also be able to change policy assignments (R16).
* ``guest_configuration`` (R17, R18, R19): guest configuration is enabled and the agent is not
  in monitor mode; whoever can assign policies can deploy a custom machine-configuration
  policy that runs privileged.
* ``no_lockdown`` (R12, R18): the agent has local controls but none is set (no list, full
  mode, manager enabled): every extension, script-capable ones included, may be installed.
* ``agent_too_old`` (R8, R30): the agent predates local controls (1.16): nothing can be
  locked down on it.

Each :class:`OpenPath` says which Azure permissions (:class:`Permission`) its use needs, so a
caller can name who holds them. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from sim.rules.catalogue import Catalogue, OsType
from sim.rules.commands import LocalState
from sim.rules.decision import Operation, decide
from sim.rules.identity import ExtensionId
from sim.rules.impact import runs_scripts
from sim.rules.roles import EXTENSION_ROLES, POLICY_ROLES, ROLES
from sim.rules.versions import Feature, has


class OverridePath(StrEnum):
    """A way left to rewrite a machine's protections (see the module docstring)."""

    SCRIPT_EXTENSION = "script_extension"
    GUEST_CONFIGURATION = "guest_configuration"
    NO_LOCKDOWN = "no_lockdown"
    AGENT_TOO_OLD = "agent_too_old"


class Permission(StrEnum):
    """What an Azure role lets its holder do, as far as override paths go (R27)."""

    EXTENSIONS = "extensions"
    """Install, update, upgrade and delete extensions."""
    POLICY = "policy"
    """Change policy assignments and exemptions."""


@dataclass(frozen=True, slots=True)
class OpenPath:
    """One open override path of a machine."""

    path: OverridePath
    rule: str
    needs: frozenset[Permission]
    """The permissions one needs to use the path (all of them)."""
    extensions: tuple[ExtensionId, ...] = ()
    """For ``script_extension``: the script-capable extensions that make it open."""
    detail: str = ""
    """A sentence saying why the path is open."""


_EXTENSIONS = frozenset({Permission.EXTENSIONS})
_EXTENSIONS_AND_POLICY = frozenset({Permission.EXTENSIONS, Permission.POLICY})
_POLICY = frozenset({Permission.POLICY})


def permissions(role: str) -> frozenset[Permission]:
    """What an Azure role (any letter case) lets its holder do, as far as paths go (R27)."""
    lowered = role.strip().lower()
    found = set()
    if lowered in EXTENSION_ROLES:
        found.add(Permission.EXTENSIONS)
    if lowered in POLICY_ROLES:
        found.add(Permission.POLICY)
    return frozenset(found)


def roles_with(needs: frozenset[Permission]) -> tuple[str, ...]:
    """The roles arcsim knows (lower case, sorted) that have every permission in ``needs``."""
    return tuple(sorted(r for r in ROLES if needs <= permissions(r)))


def script_capable(catalogue: Catalogue, os: OsType | str | None = None) -> tuple[ExtensionId, ...]:
    """The catalogue's script-capable extensions (R7) for machines of ``os`` (None: all), in
    name order."""
    wanted = None if os is None else OsType(os)
    found = [e.id for e in catalogue if e.runs_scripts
             and (wanted is None or e.os in (wanted, OsType.ANY))]
    return tuple(sorted(found, key=lambda e: e.key))


def open_paths(state: LocalState, catalogue: Catalogue, *, os: OsType | str | None = None,
               policy_denies: Callable[[ExtensionId], bool] | None = None,
               candidates: Iterable[ExtensionId] = ()) -> tuple[OpenPath, ...]:
    """The open override paths of a machine in ``state`` (see the module docstring), in the
    order of :class:`OverridePath`.

    The script-capable extensions considered are the catalogue's for ``os``, those installed,
    and ``candidates`` that run scripts. ``policy_denies`` says whether a ``Deny`` assignment
    refuses a write of an extension on this machine (default: none does).
    """
    config = state.config
    found: list[OpenPath] = []
    script = _script_path(state, catalogue, os, policy_denies, candidates)
    if script is not None:
        found.append(script)
    if config.effective_guest_configuration:
        found.append(OpenPath(
            OverridePath.GUEST_CONFIGURATION, "R17", _POLICY,
            detail="guest configuration is enabled outside monitor mode: a custom "
                   "machine-configuration policy runs privileged and could rewrite the "
                   "configuration"))
    if not has(config.version, Feature.LOCAL_CONTROLS):
        found.append(OpenPath(
            OverridePath.AGENT_TOO_OLD, "R30", _EXTENSIONS,
            detail=f"agent {config.version} has no local controls (they need "
                   f"{Feature.LOCAL_CONTROLS.since}): any extension may be installed"))
    elif not config.has_lockdown:
        found.append(OpenPath(
            OverridePath.NO_LOCKDOWN, "R12", _EXTENSIONS,
            detail="no allowlist, blocklist, monitor mode or disabled manager: any "
                   "extension may be installed"))
    return tuple(found)


def _script_path(state: LocalState, catalogue: Catalogue, os: OsType | str | None,
                 policy_denies: Callable[[ExtensionId], bool] | None,
                 candidates: Iterable[ExtensionId]) -> OpenPath | None:
    """The ``script_extension`` path, or None when the local controls refuse every
    script-capable extension (an install, or an update of one installed)."""
    denies = policy_denies or (lambda _e: False)
    pool = {e: None for e in script_capable(catalogue, os)}
    pool.update((e, None) for e in (*state.installed, *candidates) if runs_scripts(catalogue, e))
    usable = [ext for ext in sorted(pool, key=lambda e: e.key)
              if decide(Operation.UPDATE if ext in state.installed else Operation.INSTALL,
                        ext, state.config).allowed]
    if not usable:
        return None
    needs = _EXTENSIONS_AND_POLICY if all(denies(e) for e in usable) else _EXTENSIONS
    return OpenPath(OverridePath.SCRIPT_EXTENSION, "R7", needs, tuple(usable),
                    detail="script-capable extensions the local controls allow: "
                           + ", ".join(e.name for e in usable))


__all__ = ["OpenPath", "OverridePath", "Permission", "open_paths", "permissions", "roles_with",
           "script_capable"]
