"""The house keeps its plan: no module of ``sim/`` over 400 lines, and every test file named
after the layer it exercises (``tests/test_<layer>_<concern>.py``), so a reader finds a layer's
tests by their prefix.

(The engine's own rooms are checked in ``test_engine_layout.py``; import directions by
``lint-imports`` with the contracts in ``pyproject.toml``.)
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PREFIXES = ("rules", "engine", "scenario", "results", "report", "planning", "runs", "cli",
            "fuzz", "real")
"""The layers of ``pyproject.toml``'s contract, bottom up, then the cross-layer families: the
fuzz suite and the real-material corpus."""


def test_no_module_of_sim_is_over_400_lines() -> None:
    lines = {path.relative_to(ROOT).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
             for path in sorted((ROOT / "sim").rglob("*.py"))}
    assert {name: n for name, n in lines.items() if n > 400} == {}
    assert "sim/engine/world.py" in lines


def test_every_test_file_names_its_layer() -> None:
    names = [path.name for path in sorted((ROOT / "tests").glob("test_*.py"))]
    assert [name for name in names if name.split("_")[1] not in PREFIXES] == []
    assert "test_engine_layout.py" in names
