"""The ``field`` names of Azure Policy and how arcsim reads them (spec R16, R26, R6b).

A field is a top-level property (``type``, ``name``, ``location``, ``kind``, ``id``, ``tags``,
``tags['x']``, ``identity.type``, ``fullName``) or an *alias*: ``<resource type>/<property
path>`` (``Microsoft.HybridCompute/machines/osSku``,
``Microsoft.HybridCompute/machines/licenseProfile.esuProfile.esuEligibility``). As in Azure:

* an alias applies only to resources of its own type: on any other resource it is absent
  (``Microsoft.Compute/imagePublisher`` on an Arc machine, ``.../licenseProfiles/...`` on the
  machine itself);
* a namespace alias (``Microsoft.HybridCompute/imageOffer``) applies to the types of its
  namespace; arcsim knows the HybridCompute ones (:data:`NAMESPACE_ALIASES`).

:func:`resolve_field` turns a name into a :class:`FieldRead`: a constant (the type of the
resource evaluated, or absent), a reader of the resource view, or *unknown* when a
:class:`Profile` says the simulated resource does not carry that field. Without a profile every
field is read from the view, its type checked when the resource is evaluated.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from sim.rules.azure_policy_expressions import MISSING

MACHINE_TYPE: Final = "Microsoft.HybridCompute/machines"
EXTENSION_TYPE: Final = "Microsoft.HybridCompute/machines/extensions"
PUBLISHER_FIELD: Final = f"{EXTENSION_TYPE}/publisher"
TYPE_FIELD: Final = f"{EXTENSION_TYPE}/type"
PROVISIONING_STATE_FIELD: Final = f"{EXTENSION_TYPE}/provisioningState"
OS_TYPE_FIELD: Final = f"{MACHINE_TYPE}/osType"
TOP_LEVEL_FIELDS: Final = ("type", "name", "location", "kind", "id", "tags", "fullname",
                           "identity.type")
NAMESPACE_ALIASES: Final[Mapping[str, tuple[str, str]]] = {
    "microsoft.hybridcompute/imageoffer": (MACHINE_TYPE.lower(), "imageOffer"),
}
"""Namespace aliases of HybridCompute -> (the type they apply to, the view property read)."""
_TAG = re.compile(
    r"^tags(?:\[\s*'(?P<quoted>[^']*)'\s*\]|\[(?P<bare>[^\]']*)\]|\.(?P<dot>.+))$", re.IGNORECASE
)

Resource = Mapping[str, object]
Reader = Callable[[Resource], object]


def lookup(node: object, key: str) -> object:
    """``node[key]``, exact then case-insensitive; :data:`MISSING` when absent or null."""
    if type(node) is not dict and not isinstance(node, Mapping):
        return MISSING
    value = node.get(key, MISSING)
    if value is MISSING:
        lowered = key.lower()
        value = next((v for k, v in node.items() if str(k).lower() == lowered), MISSING)
    return MISSING if value is None else value


def lookup_path(node: object, path: str) -> object:
    """A dotted property path (``licenseProfile.esuProfile.esuEligibility``) in ``node``."""
    for part in path.split("."):
        node = lookup(node, part)
        if node is MISSING:
            return MISSING
    return node


@dataclass(frozen=True)
class Profile:
    """What one kind of simulated resource supplies to conditions (see :func:`resolve_field`).

    ``supplied`` holds lower-case keys: top-level names (``location``, ``tags``,
    ``identity.type``) and alias property paths under ``properties.`` (``properties.ossku``);
    ``absent`` the keys this kind never has (read as absent, not unknown)."""

    resource_type: str
    what: str
    supplied: frozenset[str]
    absent: frozenset[str] = frozenset()
    shown: str = ""
    """The supplied fields as a user reads them, for messages."""


@dataclass(frozen=True)
class FieldRead:
    """How a field is read: ``constant`` (when ``reader`` and ``unknown`` are None), a
    ``reader`` of the resource view, or ``unknown`` (why it cannot be read)."""

    name: str
    constant: object = MISSING
    reader: Reader | None = None
    unknown: str = ""


def tag_name(name: str) -> str | None:
    """The tag a ``tags['x']``/``tags[x]``/``tags.x`` field names; None for other fields."""
    match = _TAG.match(name.strip())
    if match is None:
        return None
    return match.group("quoted") if match.group("quoted") is not None else (
        match.group("bare") if match.group("bare") is not None else match.group("dot"))


def split_alias(name: str) -> tuple[str, str] | None:
    """(owner type or namespace in lower case, property path) of an alias; None otherwise."""
    stripped = name.strip()
    if "/" not in stripped:
        return None
    owner, _, prop = stripped.rpartition("/")
    return (owner.lower(), prop) if owner and prop else None


def resolve_field(name: str, profile: Profile | None) -> FieldRead:
    """How field ``name`` is read from the resources ``profile`` describes (any resource view,
    type checked when evaluated, when ``profile`` is None)."""
    stripped = name.strip()
    lowered = stripped.lower()
    tag = tag_name(stripped)
    if tag is not None:
        return _top(name, "tags", profile, lambda r: lookup(lookup(r, "tags"), tag))
    if lowered in TOP_LEVEL_FIELDS:
        if lowered == "type" and profile is not None:
            return FieldRead(name, constant=profile.resource_type)
        path = lowered
        return _top(name, path, profile, lambda r: lookup_path(r, path))
    alias = split_alias(stripped)
    if alias is None:
        return FieldRead(name, unknown=f'"{name}" is neither a resource property nor an alias')
    return _alias(name, *NAMESPACE_ALIASES.get(lowered, alias), profile)


def _top(name: str, key: str, profile: Profile | None, reader: Reader) -> FieldRead:
    if profile is None or key in profile.supplied:
        return FieldRead(name, reader=reader)
    if key in profile.absent:
        return FieldRead(name)
    return _unknown(name, profile)


def _alias(name: str, owner: str, prop: str, profile: Profile | None) -> FieldRead:
    if "[*]" in prop and (profile is None or owner == profile.resource_type.lower()):
        return FieldRead(name, unknown=f'"{name}": array aliases ([*]) are read only inside '
                                       "a count")
    if profile is None:
        return FieldRead(name, reader=_typed_reader(owner, prop))
    rtype = profile.resource_type.lower()
    if owner != rtype:
        if "/" not in owner and rtype.startswith(owner + "/"):
            return _unknown(name, profile)  # a namespace alias arcsim does not know
        return FieldRead(name)  # an alias of another type: absent on this resource
    key = "properties." + prop.lower()
    if key in profile.supplied:
        return FieldRead(name, reader=lambda r: lookup_path(lookup(r, "properties"), prop))
    if key in profile.absent:
        return FieldRead(name)
    return _unknown(name, profile)


def _typed_reader(owner: str, prop: str) -> Reader:
    def read(resource: Resource) -> object:
        rtype = resource.get("type")
        if not isinstance(rtype, str) or rtype.lower() != owner:
            return MISSING
        return lookup_path(lookup(resource, "properties"), prop)

    return read


def _unknown(name: str, profile: Profile) -> FieldRead:
    shown = f"; carried: {profile.shown}" if profile.shown else ""
    return FieldRead(name, unknown=f'"{name}": the simulated fleet does not carry this field '
                                   f"of {profile.what}{shown}")


__all__ = [
    "EXTENSION_TYPE",
    "MACHINE_TYPE",
    "NAMESPACE_ALIASES",
    "OS_TYPE_FIELD",
    "PROVISIONING_STATE_FIELD",
    "PUBLISHER_FIELD",
    "TOP_LEVEL_FIELDS",
    "TYPE_FIELD",
    "FieldRead",
    "Profile",
    "lookup",
    "lookup_path",
    "resolve_field",
    "split_alias",
    "tag_name",
]
