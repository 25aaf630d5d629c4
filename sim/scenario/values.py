"""Value types of scenario files: names, extension names, shares, rates, roles.

Each is an annotated type a pydantic model field can use; a rejected value raises
:class:`SchemaValueError`, whose message names the value (the located error adds no
``(got ...)``). Durations, sizes and versions are in :mod:`sim.scenario.units`.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from sim.errors import ArcsimError
from sim.rules.identity import ExtensionId, ExtensionIdError
from sim.scenario.units import Duration, format_duration, show_value

_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")
_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_RATE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(%?)\s*(?:/\s*(?:day|d))?\s*")

MAX_MACHINES = 10_000_000
"""The most machines a group, and a whole fleet, may have: a 1,000,000-machine month takes about
1.2 GiB and a minute; ten times that is the most a large server runs."""
MAX_GROUPS = 32_767
"""The most groups a fleet may have (the engine numbers them in 16 bits)."""
MAX_NAME_CHARS = 100
"""The longest scenario or policy name: a result folder is named ``<name>-<seed>-<hash>``, and
a file name has at most 255 bytes."""
TIMESTAMP_RANGE = (datetime(1677, 9, 22, tzinfo=UTC), datetime(2262, 4, 11, tzinfo=UTC))
"""The instants a run's timestamps may take (what pandas represents, in nanoseconds)."""

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
    if len(value) > MAX_NAME_CHARS:
        raise SchemaValueError(f"a name has at most {MAX_NAME_CHARS} characters, got "
                               f"{show_value(value)} ({len(value)} characters)")
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


def scaled_count(count: int, factor: float) -> int:
    """``count`` machines multiplied by ``factor``, rounded, at least 1.

    Raises:
        SchemaValueError: the product is more than :data:`MAX_MACHINES` (or not a number).
    """
    if not isinstance(count, int) or isinstance(count, bool):
        raise SchemaValueError(f"expected a number of machines, got {show_value(count)}")
    product = count * factor
    if not (math.isfinite(product) and product <= MAX_MACHINES):
        raise SchemaValueError(f"{count:,} machines × {factor:g} is more than the "
                               f"{MAX_MACHINES:,} machines a group may have")
    return max(1, round(product))


def check_fleet_size(counts: list[int]) -> None:
    """Raise :class:`SchemaValueError` when a fleet of groups of ``counts`` machines has more
    than :data:`MAX_GROUPS` groups or :data:`MAX_MACHINES` machines."""
    if len(counts) > MAX_GROUPS:
        raise SchemaValueError(f"a fleet has at most {MAX_GROUPS:,} groups, got {len(counts):,}")
    if sum(counts) > MAX_MACHINES:
        raise SchemaValueError(f"a fleet has at most {MAX_MACHINES:,} machines, got "
                               f"{sum(counts):,}")


def check_time_range(start: datetime, duration_s: float) -> None:
    """Raise :class:`SchemaValueError` unless a run from ``start`` (no time zone: UTC) for
    ``duration_s`` seconds stays within :data:`TIMESTAMP_RANGE`."""
    first, last = TIMESTAMP_RANGE
    moment = start if start.tzinfo else start.replace(tzinfo=UTC)
    if moment < first:
        raise SchemaValueError(f"{start.isoformat()} is before {first.date()}, the first "
                               "timestamp a run can write")
    if moment > last - timedelta(seconds=duration_s):
        raise SchemaValueError(
            f"{start.isoformat()} plus the duration ({format_duration(duration_s)}) ends after "
            f"{last.date()}, the last timestamp a run can write")


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
Count = Annotated[int, Field(ge=1, le=MAX_MACHINES)]
"""A number of machines: 1 to :data:`MAX_MACHINES`."""
Share = Annotated[float, Field(ge=0.0, le=1.0)]
"""A share or a probability, in [0, 1]."""
PositiveDuration = Annotated[Duration, Field(gt=0.0)]
MIN_PERIOD_S = 60.0
"""The shortest period of an action repeated through a run (a remediation round): each round
is simulated, and one every millisecond would be billions of rounds."""
Period = Annotated[Duration, Field(ge=MIN_PERIOD_S)]
"""How often a repeated action runs: at least :data:`MIN_PERIOD_S` (1 minute)."""
Rate = Annotated[float, BeforeValidator(parse_rate), WithJsonSchema(
    {"anyOf": [{"type": "number", "minimum": 0, "maximum": 1}, {"type": "string"}],
     "description": 'chance per machine per day, e.g. 0.01 or "1%/day"'})]
Role = Annotated[str, BeforeValidator(_role), WithJsonSchema(
    {"type": "string", "enum": list(ROLES), "description": "an Azure role (R27)"})]
