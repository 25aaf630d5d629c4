"""Value types of scenario files: names, extension names, shares, rates, roles.

Each is an annotated type a pydantic model field can use; a rejected value raises
:class:`SchemaValueError`, whose message names the value (the located error adds no
``(got ...)``). Durations, sizes and versions are in :mod:`sim.scenario.units`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from sim.errors import ArcsimError
from sim.rules.identity import ExtensionId, ExtensionIdError
from sim.scenario.units import Duration, show_value

_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")
_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_RATE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(%?)\s*(?:/\s*(?:day|d))?\s*")

ROLES = ("Owner", "Contributor", "Azure Connected Machine Resource Administrator",
         "Azure Connected Machine Onboarding", "Resource Policy Contributor", "Reader")
"""Azure roles a timeline entry may act with (R27), as Azure spells them."""


class SchemaValueError(ArcsimError, ValueError):
    """A value the schema rejects; the message names the value (no ``(got ...)`` is added)."""


class Model(BaseModel):
    """Base of every scenario model: frozen, unknown keys forbidden."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --- value types --------------------------------------------------------------------------


def _name(value: str) -> str:
    if not _NAME.fullmatch(value):
        raise SchemaValueError(f'expected a name of lower-case letters, digits and "-" like '
                               f'"ama-only-lockdown", got {show_value(value)}')
    return value


def _label(value: str) -> str:
    if not _LABEL.fullmatch(value):
        raise SchemaValueError(f'expected a name of letters, digits, "-", "_" or "." like '
                               f'"web-win", got {show_value(value)}')
    return value


def extension_name(value: str) -> str:
    """``value`` as a ``Publisher/Type`` name (R1), trimmed.

    Raises:
        SchemaValueError: not such a name (the rules layer says why).
    """
    try:
        return ExtensionId.parse(value).name
    except ExtensionIdError as exc:
        raise SchemaValueError(str(exc)) from None


def parse_rate(value: Any) -> float:
    """A per-day probability: ``0.01``, ``"1%/day"``, ``"1%"``, ``"0.01/day"``.

    Raises:
        SchemaValueError: not such a rate, or outside [0, 1] per day.
    """
    rate: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        rate = float(value)
    elif isinstance(value, str) and (match := _RATE.fullmatch(value)):
        rate = float(match.group(1)) / (100.0 if match.group(2) else 1.0)
    if rate is None or not 0.0 <= rate <= 1.0:
        raise SchemaValueError(f'expected a rate per day in [0, 1] like 0.01 or "1%/day", got '
                               f"{show_value(value)}")
    return rate


def _os_name(value: Any) -> Any:
    """``Windows``, ``LINUX``, `` linux `` -> ``windows``/``linux`` (Azure's exports write
    ``Windows``); anything else is left for the literal check to refuse."""
    return value.strip().lower() if isinstance(value, str) else value


def _role(value: Any) -> str:
    for role in ROLES:
        if isinstance(value, str) and value.strip().lower() == role.lower():
            return role
    raise SchemaValueError(f"expected one of the roles {', '.join(ROLES)}; got "
                           f"{show_value(value)}")


Name = Annotated[str, AfterValidator(_name)]
"""A scenario or policy name: lower-case letters, digits and ``-``."""
Label = Annotated[str, AfterValidator(_label)]
"""A group, path or actor name: letters, digits, ``-``, ``_``, ``.``."""
ExtensionName = Annotated[str, AfterValidator(extension_name)]
"""``Publisher/Type`` (R1); in policy lists ``*`` wildcards match like Azure's ``like``."""
OsName = Annotated[Literal["windows", "linux"], BeforeValidator(_os_name), WithJsonSchema(
    {"type": "string", "examples": ["windows", "linux"],
     "description": "windows or linux, in any letter case (Azure writes Windows, Linux)"})]
"""A machine's operating system, in any letter case (``Windows`` as Azure writes it)."""
Share = Annotated[float, Field(ge=0.0, le=1.0)]
"""A share or a probability, in [0, 1]."""
PositiveDuration = Annotated[Duration, Field(gt=0.0)]
Rate = Annotated[float, BeforeValidator(parse_rate), WithJsonSchema(
    {"anyOf": [{"type": "number", "minimum": 0, "maximum": 1}, {"type": "string"}],
     "description": 'chance per machine per day, e.g. 0.01 or "1%/day"'})]
Role = Annotated[str, BeforeValidator(_role), WithJsonSchema(
    {"type": "string", "enum": list(ROLES), "description": "an Azure role (R27)"})]
