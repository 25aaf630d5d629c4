"""Durations and sizes as a person reads them: ``2d 4h``, ``1.5 GB`` (one place for every
output: terminal tables, sweep summaries, figure axes, reports, error messages).

The simulator counts seconds (float) and bytes (int); files and outputs say ``90s``, ``5m``,
``2h``, ``3d``, ``45 MB``. :func:`format_duration` writes a duration exactly (it reads back
with :func:`sim.scenario.units.parse_duration`) or, with ``parts``, rounded to its largest
units; :func:`time_unit` picks hours or days for a time axis. :func:`short_names` shortens
extension names for tables and figures. No other arcsim import.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

_EXACT_UNITS: tuple[tuple[str, int], ...] = (("w", 604_800), ("d", 86_400), ("h", 3_600),
                                             ("m", 60))
_SHOWN_UNITS: tuple[tuple[str, int], ...] = (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1))
_DECIMAL_STEPS = (("B", 1), ("KB", 10**3), ("MB", 10**6), ("GB", 10**9), ("TB", 10**12))
_BINARY_STEPS = (("B", 1), ("KiB", 2**10), ("MiB", 2**20), ("GiB", 2**30), ("TiB", 2**40))
HOUR = 3_600.0
DAY = 86_400.0


def format_duration(seconds: float, *, parts: int | None = None) -> str:
    """Human text for a duration in seconds.

    Without ``parts``: exact to the millisecond, every unit from weeks down (``"2h"``,
    ``"1d 3h"``, ``"1m 30.5s"``, ``"0s"``); it reads back as the same duration. With
    ``parts``: the ``parts`` largest units from days down, the last one rounded (``"2d 4h"``
    for 187 230 s with ``parts=2``); under a minute, seconds with up to two decimals
    (``"45.7s"``, ``"0.25s"``). Negative values get a leading ``-``; infinite or NaN ones print
    as Python does.
    """
    if not math.isfinite(seconds):
        return str(seconds)
    sign = "-" if seconds < 0 else ""
    text = _exact(abs(seconds)) if parts is None else _rounded(abs(seconds), parts)
    return (sign if text != "0s" else "") + text


def _exact(seconds: float) -> str:
    millis = round(seconds * 1000)
    out: list[str] = []
    for unit, factor in _EXACT_UNITS:
        count, millis = divmod(millis, factor * 1000)
        out.extend([f"{count}{unit}"] if count else [])
    if millis or not out:
        out.append(f"{_trim(millis / 1000, 3)}s")
    return " ".join(out)


def _rounded(seconds: float, parts: int) -> str:
    if round(seconds, 2) < 60:
        return f"{_trim(seconds, 2 if seconds < 10 else 1)}s"
    first = next(i for i, (_, factor) in enumerate(_SHOWN_UNITS) if seconds >= factor)
    last = min(first + max(parts, 1) - 1, len(_SHOWN_UNITS) - 1)
    rest = round(seconds / _SHOWN_UNITS[last][1]) * _SHOWN_UNITS[last][1]
    out = []
    for unit, factor in _SHOWN_UNITS[:last + 1]:
        count, rest = divmod(rest, factor)
        if count:
            out.append(f"{count}{unit}")
    return " ".join(out[:parts])


def _trim(value: float, decimals: int) -> str:
    """``value`` with at most ``decimals`` decimals and no trailing zeros (``1.50`` -> ``1.5``)."""
    return f"{value:.{decimals}f}".rstrip("0").rstrip(".")


def in_seconds(path: str) -> bool:
    """Whether the metric (or parameter) at dotted ``path`` counts seconds (its name ends in
    ``_s``, as ``churn.max_queue_wait_s``): shown with :func:`format_duration`."""
    return path.rsplit(".", 1)[-1].endswith("_s")


def time_unit(largest: float) -> tuple[str, float]:
    """``("hours", 3600)`` for spans up to two days, else ``("days", 86400)``: the unit a time
    axis reaching ``largest`` seconds is drawn in."""
    return ("hours", HOUR) if largest <= 2 * DAY else ("days", DAY)


def format_size(num_bytes: int, *, binary: bool = False) -> str:
    """Human text for a size in bytes: ``"45 MB"``, ``"1.5 GB"``, ``"512 B"``.

    Uses decimal units (powers of 1000), or binary ones (``KiB``, powers of 1024) when
    ``binary`` is set; at most two decimals.
    """
    steps = _BINARY_STEPS if binary else _DECIMAL_STEPS
    magnitude = abs(num_bytes)
    index = max((i for i, (_, factor) in enumerate(steps) if factor <= magnitude), default=0)
    value = round(magnitude / steps[index][1], 2)
    if index + 1 < len(steps) and value * steps[index][1] >= steps[index + 1][1]:
        index += 1
        value = round(magnitude / steps[index][1], 2)
    sign = "-" if num_bytes < 0 else ""
    return f"{sign}{_trim(value, 2)} {steps[index][0]}"


def short_names(names: Iterable[str]) -> dict[str, str]:
    """Each extension name (``Publisher/Type``) shortened to its type
    (``AzureMonitorWindowsAgent``), or kept whole where two of ``names`` share that type (so
    shortening never merges two extensions); a name without a publisher stays as it is."""
    listed = list(dict.fromkeys(names))
    types = [name.split("/", 1)[-1] for name in listed]
    return {name: kind if types.count(kind) == 1 else name
            for name, kind in zip(listed, types, strict=True)}
