"""``expect:`` blocks: assertions on a run's metrics.

A scenario's ``expect:`` maps a dotted metric path (``blocked.install.not_on_allowlist``,
``overrides.by_actor.custom-script``) to a number (equality) or ``"OP number"`` with OP one of
``== != >= <= > <``. Paths are checked before the run against the shape of
:func:`sim.engine.metrics.summarise` (:data:`METRICS`), so a typo is an error, not a silent 0.
In a table of counts (``by_reason``, ``by_actor``...) an entry that is absent counts 0.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, NoReturn

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema

from sim.engine.codes import REASONS, RULES
from sim.errors import ArcsimError
from sim.rules.exposure import OverridePath
from sim.scenario.units import show_value

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "==": lambda a, b: math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9),
    "!=": lambda a, b: not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9),
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
}
_EXPECTED = re.compile(r"\s*(==|!=|>=|<=|>|<)?\s*(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*")


class ExpectError(ArcsimError, ValueError):
    """An expectation that cannot be read, or a metric path that does not exist."""


@dataclass(frozen=True, slots=True)
class Expected:
    """``op value``: what a metric must be."""

    op: str
    value: float

    def holds(self, actual: float) -> bool:
        """True when ``actual op value``."""
        return OPERATORS[self.op](actual, self.value)

    def __str__(self) -> str:
        return f"{self.op} {format_number(self.value)}"


def format_number(value: float) -> str:
    """``3`` for 3.0, ``0.25`` for 0.25: a number as a person writes it."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def parse_expected(value: Any) -> Expected:
    """``3`` -> ``== 3``; ``">= 1"`` -> ``>= 1``.

    Raises:
        ExpectError: not a number nor ``"OP number"``.
    """
    if isinstance(value, Expected):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Expected("==", float(value))
    match = _EXPECTED.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ExpectError(f'expected a number or "OP number" with OP one of '
                          f"{' '.join(OPERATORS)} (e.g. \">= 1\"), got {show_value(value)}")
    return Expected(match.group(1) or "==", float(match.group(2)))


ExpectValue = Annotated[Expected, PlainValidator(parse_expected), PlainSerializer(str),
                        WithJsonSchema({"anyOf": [{"type": "number"}, {"type": "string"}],
                                        "description": 'a number, or "OP number" with OP in '
                                                       "== != >= <= > <"})]


# --- the shape of the metrics ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Table:
    """A table of counts whose keys are names of ``kind`` (reason, rule, group, actor...)."""

    kind: str


@dataclass(frozen=True, slots=True)
class Listing:
    """A mapping from names of ``kind`` to lists of names: text to read, not a number."""

    kind: str


NUMBER = None
Shape = Table | Listing | Mapping[str, Any] | None
OPEN_PATHS = (*(p.value for p in OverridePath), "any")
"""The keys of ``exposure.open_paths_at_end``: each open override path, and ``any``."""
_COUNTS = {"install": Table("reason"), "update": Table("reason"), "upgrade": Table("reason"),
           "reinstall": Table("reason")}
_TOUCHED = ("installs", "upgrades", "reinstalls", "local_removals", "blocked")
"""Operation counts with distinct (machine, extension) pairs and machines beside them."""
METRICS: Mapping[str, Shape] = {
    "records": NUMBER, "requests": NUMBER,
    "blocked": {"total": NUMBER, "by_reason": Table("reason"),
                "by_extension": Table("extension"), "by_group": Table("group"), **_COUNTS},
    "failures": {"aborted": NUMBER, "failed": NUMBER},
    "installs": NUMBER, "upgrades": NUMBER, "reinstalls": NUMBER,
    "churn": {"cycles": NUMBER, "blocked": NUMBER, "absent_hours": NUMBER, "bytes": NUMBER,
              "bytes_by_path": Table("path"), "max_queue_wait_s": NUMBER},
    "local_removals": NUMBER, "orphaned": NUMBER,
    "distinct": {name: NUMBER for name in _TOUCHED},
    "machines_with": {name: NUMBER for name in _TOUCHED},
    "commands_refused": Table("reason"),
    "commands_blocked": Table("reason"),
    "overrides": {"total": NUMBER, "by_actor": Table("actor"), "by_rule": Table("rule"),
                  "actions": NUMBER, "policy_actions": NUMBER, "local_actions": NUMBER},
    "policy": {"denied": NUMBER, "audited": NUMBER, "authorization_failed": NUMBER},
    "coverage": {"machines": NUMBER, "machines_locked_down": NUMBER,
                 "machines_too_old_for_controls": NUMBER, "machines_with_drift": NUMBER,
                 "extensions_not_running": NUMBER, "extensions_failed": NUMBER,
                 "stale_versions": NUMBER},
    "exposure": {
        "total": NUMBER, "through_lockdown": NUMBER, "without_lockdown": NUMBER,
        **{f"{kind}{split}": Table("extension") for kind in ("installed", "updated")
           for split in ("", "_through_lockdown", "_without_lockdown")},
        "machine_hours": NUMBER, "machines_at_start": NUMBER, "machines_at_end": NUMBER,
        "present_at_end": Table("extension"),
        "open_paths_at_end": dict.fromkeys(OPEN_PATHS, NUMBER),
        "machines_open_to": Table("actor"),
        "open_path_holders": Listing("override path"),
    },
}
"""The shape of :func:`sim.engine.metrics.summarise`: a number (None), a fixed mapping, or a
table of counts. ``tests/test_scenario_run.py`` checks it against a real run."""

FIXED_NAMES: Mapping[str, tuple[str, ...]] = {"reason": REASONS[1:], "rule": RULES[1:]}


def _closest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    if close:
        return f', did you mean "{close[0]}"?'
    return f"; known: {', '.join(choices)}" if len(choices) <= 12 else ""


def check_path(path: str, names: Mapping[str, list[str]] | None = None) -> None:
    """Raise :class:`ExpectError` unless ``path`` names a number in the metrics.

    ``names`` lists the names a table may hold beyond :data:`FIXED_NAMES` (groups, actors,
    extensions, paths of the scenario); a kind not listed accepts any name.
    """
    shape: Shape = METRICS
    parts = path.split(".")
    for i, part in enumerate(parts):
        if isinstance(shape, Table):
            _check_name(shape, ".".join(parts[i:]), names or {})
            return
        if isinstance(shape, Listing):
            _not_a_number(".".join(parts[:i]), shape)
        if not isinstance(shape, Mapping):
            raise ExpectError(f'"{".".join(parts[:i])}" is a number; "{path}" goes past it')
        if part not in shape:
            where = f" in {'.'.join(parts[:i])}" if i else ""
            raise ExpectError(f'unknown metric "{part}"{where}{_closest(part, sorted(shape))}')
        shape = shape[part]
    if isinstance(shape, Listing):
        _not_a_number(path, shape)
    if isinstance(shape, Table):
        raise ExpectError(f'"{path}" is a table of {shape.kind} counts: name one entry, e.g. '
                          f'"{path}.{_EXAMPLES.get(shape.kind, "name")}"')
    if shape is not NUMBER:
        raise ExpectError(f'"{path}" is a group: name one entry, e.g. '
                          f'"{path}.{sorted(shape)[0]}"')


_EXAMPLES = {"reason": "not_on_allowlist", "extension": "Microsoft.Compute/CustomScriptExtension",
             "rule": "R17", "actor": "cloud_admin", "group": "web", "path": "direct"}
"""An entry of each kind of table, for the message about a path that stops at a table."""


def _not_a_number(path: str, shape: Listing) -> NoReturn:
    raise ExpectError(f'"{path}" lists names by {shape.kind}, not a number: expect: needs a '
                      "number")


def _check_name(table: Table, name: str, names: Mapping[str, list[str]]) -> None:
    known = list(FIXED_NAMES.get(table.kind, ())) or names.get(table.kind)
    if known is None or name.lower() in {k.lower() for k in known}:
        return
    where = "" if table.kind in FIXED_NAMES else " in this scenario"
    raise ExpectError(f'unknown {table.kind} "{name}"{where}{_closest(name, known)}')


def lookup(metrics: Mapping[str, Any], path: str) -> float:
    """The number at ``path``; an entry absent from a table of counts is 0.

    Raises:
        ExpectError: the path is not a number in ``metrics``.
    """
    node: Any = metrics
    parts = path.split(".")
    for i, part in enumerate(parts):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, Mapping) and _is_table(parts[:i]):
            rest = ".".join(parts[i:]).lower()
            node = next((v for k, v in node.items() if str(k).lower() == rest), 0)
            break
        else:
            node = None
            break
    if isinstance(node, bool) or not isinstance(node, int | float):
        raise ExpectError(f'"{path}" is not a number in the metrics')
    return float(node)


def _is_table(parts: list[str]) -> bool:
    shape: Shape = METRICS
    for part in parts:
        if not isinstance(shape, Mapping) or part not in shape:
            return False
        shape = shape[part]
    return isinstance(shape, Table)


@dataclass(frozen=True, slots=True)
class ExpectationResult:
    """One expectation of a run: the metric path, what was expected, what came, whether ok."""

    path: str
    expected: str
    actual: float | None
    ok: bool

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready mapping (what ``expect.json`` holds)."""
        actual = self.actual
        if actual is not None and actual.is_integer():
            return {"path": self.path, "expected": self.expected, "actual": int(actual),
                    "ok": self.ok}
        return {"path": self.path, "expected": self.expected, "actual": actual, "ok": self.ok}


def evaluate(expect: Mapping[str, Expected],
             metrics: Mapping[str, Any]) -> list[ExpectationResult]:
    """Each expectation against ``metrics``, in the order written."""
    results = []
    for path, expected in expect.items():
        try:
            actual: float | None = lookup(metrics, path)
        except ExpectError:
            actual = None
        ok = actual is not None and expected.holds(actual)
        results.append(ExpectationResult(path, str(expected), actual, ok))
    return results
