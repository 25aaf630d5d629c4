"""What the readers of arcsim's input files accept: sizes, nesting, numbers, problems listed.

A file that goes past a limit is a located error (file, line, what the limit is), never a
crash, a hang or memory exhausted: a YAML alias bomb, a document nested thousands of levels
deep, a number of thousands of digits. :data:`LIMITS` holds the defaults every reader uses;
each field says its unit and why.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """Bounds on one input document."""

    max_bytes: int = 16 * 2**20
    """Bytes of a scenario or fleet YAML file, or of a policy definition (16 MiB). A
    thousand-group fleet file is about 1 MiB; reading 16 MiB of YAML takes half a minute."""
    max_depth: int = 64
    """Levels of nested mappings and lists (a scenario needs about 8; the readers and checks
    that walk a document recurse once per level)."""
    max_alias_values: int = 100_000
    """Values that aliases add to a document by repeating the collections they refer to: an
    alias bomb of a few hundred bytes would otherwise expand to billions. (A document without
    aliases is bounded by its size.)"""
    max_digits: int = 100
    """Decimal digits of an integer (YAML's hexadecimal and sexagesimal integers have no limit
    of their own; Python refuses to convert more than 4,300 digits)."""
    max_problems: int = 50
    """Problems listed in one error; the rest are counted in a last line."""


LIMITS = ReadLimits()
"""The limits every reader of arcsim uses."""


def too_many_digits(value: int, limits: ReadLimits = LIMITS) -> bool:
    """Whether ``value`` has more than ``limits.max_digits`` decimal digits (compared as a
    number: converting a huge one to text is what Python refuses)."""
    return bool(abs(value) >= 10**limits.max_digits)


def value_problem(value: Any, limits: ReadLimits = LIMITS) -> str | None:
    """What in ``value`` (plain data) is past ``limits``: lists and dicts nested more than
    ``max_depth`` levels (a scalar is 0 levels, ``[1]`` 1), or an integer of more than
    ``max_digits`` digits; None when nothing is. Walks without recursion, stopping at the
    first problem."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, int) and too_many_digits(item, limits):
            return f"a number of more than {limits.max_digits} digits"
        children = item.values() if isinstance(item, dict) else item if isinstance(
            item, list) else None
        if children is None:
            continue
        if level >= limits.max_depth:
            return f"nested more than {limits.max_depth} levels deep"
        stack.extend((child, level + 1) for child in children)
    return None


def json_problem(exc: ValueError | RecursionError, limits: ReadLimits = LIMITS) -> str:
    """What is wrong with JSON text that the standard library refused for a reason other than
    its syntax (a :class:`json.JSONDecodeError` says that itself)."""
    if isinstance(exc, RecursionError):
        return f"nested more than {limits.max_depth} levels deep"
    if "digits" in str(exc):
        return f"a number of more than {limits.max_digits} digits"
    return str(exc)


def load_json(text: str, limits: ReadLimits = LIMITS) -> Any:
    """``json.loads(text)`` within ``limits`` (nesting, digits).

    Raises:
        json.JSONDecodeError: the text is not JSON.
        ValueError: JSON past the limits; the message says which (:func:`value_problem`).
    """
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        raise
    except (ValueError, RecursionError) as exc:
        raise ValueError(json_problem(exc, limits)) from None
    problem = value_problem(value, limits)
    if problem is not None:
        raise ValueError(problem)
    return value
