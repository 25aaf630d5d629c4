"""Readable durations, sizes and versions in scenario files.

Files say ``90s``, ``5m``, ``2h``, ``3d``, ``1w`` (or combined, ``1h30m``) for durations and
``45MB``, ``1.5GB``, ``2GiB`` for sizes; the simulator works in seconds (float) and bytes (int).
Size units are decimal (``KB`` = 10^3, ``MB`` = 10^6, ``GB`` = 10^9, ``TB`` = 10^12 bytes) or
binary (``KiB`` = 2^10, ``MiB`` = 2^20, ``GiB`` = 2^30, ``TiB`` = 2^40 bytes).

Versions stay strings: YAML reads ``1.20`` as the float 1.2, so an unquoted version is an error
rather than a silent corruption.

The annotated types :data:`Duration`, :data:`Size` and :data:`Version` let a pydantic model
accept these texts; their errors carry the :class:`UnitError` message unchanged.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from fractions import Fraction
from types import UnionType
from typing import Annotated, Any, TypeGuard, Union, get_args, get_origin

from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from sim.errors import ArcsimError
from sim.quantities import format_duration, format_size

__all__ = ["UNIT_ERROR_TYPE", "Duration", "Size", "UnitError", "Version", "format_duration",
           "format_size", "is_duration", "parse_duration", "parse_size", "parse_version",
           "show_value"]

UNIT_ERROR_TYPE = "arcsim_unit"
"""The pydantic error type of a rejected duration, size or version; its message names the value."""

_DURATION_EXAMPLES = '"90s", "5m", "2h", "3d" or "1w"'
_SIZE_EXAMPLES = '"45MB", "1.5GB", "512KiB" or "10B"'
_VERSION_EXAMPLE = '"1.35"'

MAX_SECONDS = 200 * 365 * 86_400
"""The longest duration a scenario may give (200 years, 73000d): outputs carry timestamps (from
2026 when a scenario gives no ``start``) up to 2262, the last year pandas represents; a run's time
series has a row per day. A scenario with a ``start`` must also end before 2262."""
MAX_BYTES = 10**15
"""The largest size (1000TB): sizes and byte counts are 64-bit integers in records and metrics."""
MAX_VERSION_CHARS = 64
"""The longest version text (the longest real ones have about 20 characters)."""

_SECONDS_PER_UNIT: dict[str, int] = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}
_BYTES_PER_UNIT: dict[str, int] = {
    "B": 1,
    "KB": 10**3,
    "MB": 10**6,
    "GB": 10**9,
    "TB": 10**12,
    "KIB": 2**10,
    "MIB": 2**20,
    "GIB": 2**30,
    "TIB": 2**40,
}

_NUMBER = re.compile(r"\d+(?:\.\d+)?", re.ASCII)
_DURATION_PART = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([wdhms])", re.ASCII)
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([A-Za-z]+)", re.ASCII)
_VERSION = re.compile(r"\d+(?:\.\d+)+", re.ASCII)


class UnitError(ArcsimError, ValueError):
    """A value that does not read as a duration, a size or a version.

    Also a :class:`ValueError`, so a pydantic validator that calls the parsers here turns it
    into a validation error instead of crashing.
    """


_SURROGATE = re.compile("[\ud800-\udfff]")


def show_value(value: object, limit: int = 40) -> str:
    """Render ``value`` roughly as it reads in YAML (``"text"``, ``1.2``, ``true``, ``null``).

    Texts longer than ``limit`` characters are cut and end with ``...``. Never fails: a value
    JSON cannot show (an integer of thousands of digits, a value nested thousands of levels
    deep) is described instead; a lone surrogate is shown as its escape (``\\udc80``).
    """
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (ValueError, RecursionError):
        text = _described(value)
    text = _SURROGATE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _described(value: object) -> str:
    """What ``value`` is, for a value JSON cannot write."""
    if isinstance(value, int):
        return f"a number of about {int(abs(value).bit_length() * 0.30103) + 1} digits"
    return f"a {type(value).__name__} JSON cannot show"


def _is_number(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _reject_negative(value: float, kind: str) -> None:
    if value < 0:
        raise UnitError(f"a {kind} cannot be negative, got {show_value(value)}")


def _finite_seconds(value: float | str) -> float:
    """``value`` (a number, or a text of digits) as float seconds.

    Raises:
        UnitError: negative, infinite, NaN, or longer than :data:`MAX_SECONDS`.
    """
    if not isinstance(value, str):
        _reject_negative(value, "duration")
    try:
        seconds = float(value)
    except OverflowError:
        seconds = math.inf
    if not math.isfinite(seconds):
        raise UnitError(f"a duration must be a finite number, got {show_value(value)}")
    return _bounded(seconds, value)


def _bounded(seconds: float, value: object) -> float:
    if seconds > MAX_SECONDS:
        raise UnitError(f"a duration must be at most {MAX_SECONDS // 86_400}d (200 years), got "
                        f"{show_value(value)}")
    return seconds


def _negative(value: object) -> bool:
    return isinstance(value, str) and value.strip().startswith("-")


# --- durations --------------------------------------------------------------------------


def parse_duration(value: str | float) -> float:
    """Seconds in a duration: ``"90s"``, ``"5m"``, ``"1.5h"``, ``"1h30m"``, ``"1d 3h"``, ``90``.

    Units are ``w``, ``d``, ``h``, ``m``, ``s``; combined parts go from the largest unit to the
    smallest, each at most once. A bare number (or a text of digits) counts as seconds.

    Raises:
        UnitError: the value is not a duration, or is negative, not finite or longer than
            :data:`MAX_SECONDS` (200 years).
    """
    if _is_number(value):
        return _finite_seconds(value)
    if _negative(value):
        raise UnitError(f"a duration cannot be negative, got {show_value(value)}")
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        return _finite_seconds(value.strip())
    parts = _duration_parts(value)
    if parts is None:
        raise UnitError(f"expected a duration like {_DURATION_EXAMPLES}, got {show_value(value)}")
    seconds = sum(float(amount) * _SECONDS_PER_UNIT[unit] for amount, unit in parts)
    return _bounded(seconds, value)


def _duration_parts(value: object) -> list[tuple[str, str]] | None:
    """The ``(amount, unit)`` parts of a combined duration, or None if it is not one.

    Raises:
        UnitError: the units are repeated or out of order.
    """
    if not isinstance(value, str) or not re.fullmatch(f"(?:{_DURATION_PART.pattern})+\\s*", value):
        return None
    parts: list[tuple[str, str]] = _DURATION_PART.findall(value)
    order = [list(_SECONDS_PER_UNIT).index(unit) for _, unit in parts]
    if order != sorted(set(order)):
        raise UnitError(
            f"expected a duration like {_DURATION_EXAMPLES}, got {show_value(value)}"
            ' (combine units from largest to smallest, each once: "1h30m")'
        )
    return parts


# --- sizes -------------------------------------------------------------------------------


def parse_size(value: str | int) -> int:
    """Bytes in a size: ``"45MB"``, ``"1.5GB"``, ``"512KB"``, ``"2GiB"``, ``"10B"``, ``1024``.

    Units are case-insensitive: ``B``, ``KB``, ``MB``, ``GB``, ``TB`` (powers of 1000) and
    ``KiB``, ``MiB``, ``GiB``, ``TiB`` (powers of 1024); a space may separate number and unit.
    A bare integer (or a text of digits) counts as bytes. Fractions of a byte are rounded to the
    nearest byte (``"1.1KiB"`` -> 1126).

    Raises:
        UnitError: the value is not a size, or is negative or larger than :data:`MAX_BYTES`.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        _reject_negative(value, "size")
        return _bounded_size(value, value)
    if _negative(value):
        raise UnitError(f"a size cannot be negative, got {show_value(value)}")
    text = value.strip() if isinstance(value, str) else ""
    match = _SIZE.fullmatch(text)
    if text.isascii() and text.isdigit():
        amount, unit = text, "B"
    elif match is None or match.group(2).upper() not in _BYTES_PER_UNIT:
        raise UnitError(f"expected a size like {_SIZE_EXAMPLES}, got {show_value(value)}")
    else:
        amount, unit = match.group(1), match.group(2).upper()
    if len(amount) > 30:  # far past the bound, and Fraction would refuse thousands of digits
        return _bounded_size(MAX_BYTES + 1, value)
    return _bounded_size(round(Fraction(amount) * _BYTES_PER_UNIT[unit]), value)


def _bounded_size(num_bytes: int, value: object) -> int:
    if num_bytes > MAX_BYTES:
        raise UnitError(f"a size must be at most 1000TB, got {show_value(value)}")
    return num_bytes


# --- versions ----------------------------------------------------------------------------


def parse_version(value: str) -> str:
    """A version text such as ``"1.35"`` or ``"1.58.03228.700"``, stripped of spaces.

    Raises:
        UnitError: the value is a number (YAML read an unquoted version; ``1.20`` became 1.2),
            a text that is not dot-separated digits, or one longer than
            :data:`MAX_VERSION_CHARS`.
    """
    if _is_number(value):
        raise UnitError(
            f"expected a version string like {_VERSION_EXAMPLE}, got {show_value(value)}"
            " (a number: quote it)"
        )
    if not isinstance(value, str) or not _VERSION.fullmatch(value.strip()):
        raise UnitError(
            f"expected a version string like {_VERSION_EXAMPLE}, got {show_value(value)}"
        )
    if len(value.strip()) > MAX_VERSION_CHARS:
        raise UnitError(f"a version has at most {MAX_VERSION_CHARS} characters, got "
                        f"{show_value(value)} ({len(value.strip())} characters)")
    return value.strip()


# --- pydantic types ----------------------------------------------------------------------


def _as_pydantic_error(exc: UnitError) -> PydanticCustomError:
    return PydanticCustomError(UNIT_ERROR_TYPE, "{reason}", {"reason": str(exc)})


def _validate_duration(value: Any) -> float:
    try:
        return parse_duration(value)
    except UnitError as exc:
        raise _as_pydantic_error(exc) from exc


def _validate_size(value: Any) -> int:
    try:
        return parse_size(value)
    except UnitError as exc:
        raise _as_pydantic_error(exc) from exc


def _validate_version(value: Any) -> str:
    try:
        return parse_version(value)
    except UnitError as exc:
        raise _as_pydantic_error(exc) from exc


def is_duration(annotation: Any, metadata: Sequence[Any] = ()) -> bool:
    """Whether a field of type ``annotation`` (with pydantic ``metadata``) is a
    :data:`Duration` (or an optional one)."""
    marks = [*metadata]
    if get_origin(annotation) is Annotated:
        marks += get_args(annotation)[1:]
    elif get_origin(annotation) in (Union, UnionType):
        return any(is_duration(a) for a in get_args(annotation) if a is not type(None))
    return any(isinstance(m, BeforeValidator) and m.func is _validate_duration for m in marks)


Duration = Annotated[
    float,
    BeforeValidator(_validate_duration),
    WithJsonSchema(
        {
            "anyOf": [{"type": "string"}, {"type": "number", "minimum": 0}],
            "description": f"a duration like {_DURATION_EXAMPLES}, or seconds",
        }
    ),
]
"""Seconds (float), written in a file as ``"90s"``, ``"1h30m"`` or a bare number of seconds."""

Size = Annotated[
    int,
    BeforeValidator(_validate_size),
    WithJsonSchema(
        {
            "anyOf": [{"type": "string"}, {"type": "integer", "minimum": 0}],
            "description": f"a size like {_SIZE_EXAMPLES}, or bytes",
        }
    ),
]
"""Bytes (int), written in a file as ``"45MB"``, ``"2GiB"`` or a bare number of bytes."""

Version = Annotated[
    str,
    BeforeValidator(_validate_version),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\s*\d+(\.\d+)+\s*$",
            "description": f"a version string like {_VERSION_EXAMPLE} (quoted in YAML)",
        }
    ),
]
"""A version text such as ``"1.35"``; a YAML number is rejected with a hint to quote it."""
