"""The engine's rooms stay as documented: one door to SimPy, state declared once, small modules.

(Import directions are checked by ``lint-imports``, with the contracts in ``pyproject.toml``.)
"""

from __future__ import annotations

import ast
from pathlib import Path

from sim.engine.state import FleetState

SIM = Path(__file__).resolve().parent.parent / "sim"
ENGINE = sorted((SIM / "engine").glob("*.py"))
SIMPY_PRIVATE = {"_queue", "_eid", "_now", "_ok", "_value", "_defused"}


def private_simpy_uses(path: Path) -> list[str]:
    """``name:line`` of every attribute access to a SimPy private field in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [f"{node.attr}:{node.lineno}" for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and node.attr in SIMPY_PRIVATE]


def test_only_the_clock_touches_simpys_private_fields() -> None:
    uses = {str(path.relative_to(SIM)): found for path in sorted(SIM.rglob("*.py"))
            if (found := private_simpy_uses(path))}
    assert list(uses) == ["engine/clock.py"]


def test_engine_modules_are_at_most_400_lines() -> None:
    lines = {path.name: len(path.read_text(encoding="utf-8").splitlines()) for path in ENGINE}
    assert {name: n for name, n in lines.items() if n > 400} == {}
    assert "world.py" in lines


def test_every_field_of_the_fleet_state_is_declared_with_its_type_and_meaning() -> None:
    source = (SIM / "engine" / "state.py").read_text(encoding="utf-8")
    (cls,) = [node for node in ast.parse(source).body
              if isinstance(node, ast.ClassDef) and node.name == "FleetState"]
    documented = {}
    for field, after in zip(cls.body, [*cls.body[1:], None], strict=True):
        if isinstance(field, ast.AnnAssign) and isinstance(field.target, ast.Name):
            doc = (after.value.value if isinstance(after, ast.Expr)
                   and isinstance(after.value, ast.Constant) else "")
            documented[field.target.id] = doc
    assert set(documented) == set(FleetState.__slots__)
    assert [name for name, doc in documented.items() if not doc] == []
