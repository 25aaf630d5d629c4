"""Extension names in a scenario that look like typos of known ones.

arcsim simulates any ``Publisher/Type`` (R1): an extension its catalogue does not know is
allowed or blocked by the same rules, with default facts. So a misspelt name is not an error,
and it would otherwise pass silently, though it changes the answer (an installed
``AzureMonitorWindowAgent`` is not the Azure Monitor agent an allowlist names). When a name is
not in the catalogue but close to a name that is (:meth:`~sim.rules.catalogue.Catalogue.
closest`), and the scenario's ``catalogue:`` does not describe it, loading the scenario warns
with an :class:`ExtensionNameWarning`, located at the name, saying what it probably meant.
Names with ``*`` (policy wildcards) are not checked.
"""

from __future__ import annotations

from collections.abc import Iterator

from sim.errors import ArcsimWarning
from sim.rules.catalogue import BUILTIN, Catalogue
from sim.rules.identity import ExtensionId, ExtensionIdError
from sim.scenario.schema import Scenario
from sim.scenario.source import FieldPath

_REQUESTS = ("install", "update", "upgrade", "delete", "remove_locally")
_POLICY_LISTS = ("deny", "audit", "allow_only")


class ExtensionNameWarning(ArcsimWarning):
    """A scenario names an extension arcsim does not know that is close to one it does."""


def names_in(scenario: Scenario) -> Iterator[tuple[FieldPath, str]]:
    """Every extension name written in ``scenario``, with where it is, in the order a file
    usually has them: the catalog-mismatch list, installed extensions, policy lists and
    deployments, timeline requests and automatic upgrades."""
    for i, name in enumerate(scenario.params.catalog_mismatch_extensions):
        yield ("params", "catalog_mismatch_extensions", i), name
    for i, group in enumerate(scenario.fleet):
        for j, installed in enumerate(group.extensions):
            yield ("fleet", i, "extensions", j), installed.name
    for i, policy in enumerate(scenario.policies):
        for key in _POLICY_LISTS:
            for j, name in enumerate(getattr(policy, key) or ()):
                yield ("policies", i, key, j), name
        if policy.deploy is not None:
            for os in ("windows", "linux"):
                name = getattr(policy.deploy, os)
                if name is not None:
                    yield ("policies", i, "deploy", os), name
    for i, entry in enumerate(scenario.timeline):
        for key in _REQUESTS:
            value = getattr(entry, key)
            if value is not None and value != "all":
                yield ("timeline", i, key), value
        if entry.auto_upgrade is not None:
            yield ("timeline", i, "auto_upgrade", "extension"), entry.auto_upgrade.extension


def typos(scenario: Scenario, catalogue: Catalogue = BUILTIN) -> Iterator[tuple[FieldPath, str]]:
    """``(where, message)`` for each name in ``scenario`` that ``catalogue`` does not know,
    that the scenario's own ``catalogue:`` does not describe, but that is close to one
    ``catalogue`` knows (each distinct name once, at its first place)."""
    seen: set[str] = {name.strip().lower() for name in scenario.catalogue}
    for path, name in names_in(scenario):
        key = name.strip().lower()
        if "*" in name or key in seen:
            continue
        seen.add(key)
        try:
            ext = ExtensionId.parse(name)
        except ExtensionIdError:
            continue
        if ext in catalogue:
            continue
        close = catalogue.closest(name)
        if close:
            yield path, (f'"{name}" is not an extension arcsim knows; did you mean '
                         f"{close[0].name}? (an unknown name is simulated as written, with "
                         "default facts; arcsim catalogue lists the known ones)")


__all__ = ["ExtensionNameWarning", "names_in", "typos"]
