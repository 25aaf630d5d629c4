"""Pseudonymised inventories, so that results can be shared (``--anonymise``)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import replace

from sim.scenario.inventory.assembly import Inventory
from sim.scenario.inventory.resources import Machine

DEFAULT_TAG_KEYS = ("ArcSQLServerExtensionDeployment",)
"""Tags kept on groups: the ones the simulation reads (R6b SQL Server opt-out)."""


def pseudonym(kind: str, name: str, seed: int = 0) -> str:
    """A stable pseudonym ``<kind>-<12 hex>``: a keyed hash (HMAC-SHA256, key from ``seed``) of
    the lower-cased name. The same name and seed always give the same pseudonym; anyone who
    knows the seed can test guesses, so share results, not the seed."""
    return _keyed_hash(kind, name.lower(), seed)


def _keyed_hash(kind: str, text: str, seed: int) -> str:
    key = f"arcsim-anonymise:{seed}".encode()
    digest = hmac.new(key, f"{kind}:{text}".encode(), hashlib.sha256).hexdigest()
    return f"{kind}-{digest[:12]}"


def anonymised(inventory: Inventory, seed: int = 0,
               keep_tags: Sequence[str] = DEFAULT_TAG_KEYS) -> Inventory:
    """``inventory`` with machine names, resource groups and subscriptions replaced by
    :func:`pseudonym`\\ s (ids rebuilt from them), tags other than ``keep_tags`` dropped,
    extension settings replaced by a keyed hash of them (alike settings stay alike), and
    warning examples pseudonymised. File names (in sources and warnings) are kept."""
    keep = {k.lower() for k in keep_tags}
    machines = tuple(_anonymise_machine(m, seed, keep) for m in inventory.machines)
    notes = tuple(replace(n, examples=tuple(pseudonym("m", e, seed) for e in n.examples))
                  for n in inventory.warnings)
    return replace(inventory, machines=machines, warnings=notes)


def _anonymise_machine(machine: Machine, seed: int, keep: set[str]) -> Machine:
    name = pseudonym("m", machine.name, seed)
    sub = pseudonym("sub", machine.subscription, seed) if machine.subscription else ""
    group = pseudonym("rg", machine.resource_group, seed) if machine.resource_group else ""
    rid = (f"/subscriptions/{sub}/resourceGroups/{group}/providers/Microsoft.HybridCompute/"
           f"machines/{name}")
    extensions = tuple(replace(e, settings=_keyed_hash("settings", e.settings, seed))
                       if e.settings else e for e in machine.extensions)
    tags = {k: v for k, v in machine.tags.items() if k.lower() in keep}
    return replace(machine, name=name, id=rid, subscription=sub, resource_group=group,
                   tags=tags, extensions=extensions)
