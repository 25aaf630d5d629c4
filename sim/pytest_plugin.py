"""pytest plugin: scenario files with an ``expect:`` block are tests (design: Interfaces).

Installed with arcsim (entry point ``pytest11``: ``arcsim``), so ``pytest scenarios/`` runs
every ``*.yaml`` / ``*.yml`` file that has a top-level ``expect:`` key as one test item named
after the file; the item fails with a table of expected against actual values when an
expectation misses, and with the located errors (no traceback) when the file is invalid. A
``*.yaml`` / ``*.yml`` file that cannot be read is collected too, as an item that fails naming
the file and the OS error: a regression suite never shrinks silently.

Options: ``--arcsim-scale F`` multiplies every group's machine count (default 1.0: as written);
``--arcsim-out DIR`` keeps the result folders (default: a temporary folder, removed). A folder
given explicitly on the command line in which nothing at all is collected is an error that
says so, rather than a quiet "no tests ran".

This module imports only pytest and the standard library at import time: pytest loads it in
every session.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SUFFIXES = (".yaml", ".yml")
_EXPECT = re.compile(rb"^expect[ \t]*:", re.MULTILINE)


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--arcsim-scale`` and ``--arcsim-out``."""
    group = parser.getgroup("arcsim", "arcsim scenario files")
    group.addoption("--arcsim-scale", type=float, default=1.0, metavar="F",
                    help="multiply every scenario group's machine count by F (default 1.0)")
    group.addoption("--arcsim-out", default=None, metavar="DIR",
                    help="keep scenario result folders in DIR (default: a temporary folder)")


def pytest_configure(config: pytest.Config) -> None:
    """Reject a scale that is not a number > 0."""
    scale = config.getoption("arcsim_scale", 1.0)
    if not (isinstance(scale, float) and 0.0 < scale < float("inf")):
        raise pytest.UsageError(f"--arcsim-scale: expected a number > 0, got {scale}")


def is_scenario(path: Path) -> bool:
    """True for a YAML file with a top-level ``expect:`` key.

    Raises:
        OSError: a YAML file that cannot be read.
    """
    return path.suffix in SUFFIXES and _EXPECT.search(path.read_bytes()) is not None


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> ScenarioFile | None:
    """Collect scenario files, and YAML files that cannot be read (their item fails)."""
    try:
        if not is_scenario(file_path):
            return None
        error = None
    except OSError as exc:
        error = exc
    node: ScenarioFile = ScenarioFile.from_parent(parent, path=file_path)
    node.read_error = error
    return node


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    """A folder named on the command line in which nothing was collected is an error."""
    root = config.invocation_params.dir
    for arg in config.args:
        folder = (root / arg.split("::")[0]).resolve()
        if folder.is_dir() and not any(folder in item.path.resolve().parents for item in items):
            raise pytest.UsageError(f"{arg}: no scenario found (no *.yaml file with an expect: "
                                    "block, and no other test)")


class ScenarioFile(pytest.File):
    """A scenario file: one item."""

    read_error: OSError | None = None
    """Why the file could not be read when it was collected (its item fails with it)."""

    def collect(self) -> Iterator[ScenarioItem]:
        yield ScenarioItem.from_parent(self, name=self.path.stem)


class ScenarioMiss(Exception):
    """Expectations that did not hold (the item's failure)."""

    def __init__(self, result: Any, scale: float) -> None:
        super().__init__(f"{len(result.misses)} expectations missed")
        self.result, self.scale = result, scale


class UnreadableScenario(Exception):
    """A YAML file that could not be read (the item's failure): ``FILE: cannot read: ...``."""

    def __init__(self, path: str, error: OSError) -> None:
        reason = (f"[Errno {error.errno}] {error.strerror}" if error.errno and error.strerror
                  else str(error))
        super().__init__(f"{path}: cannot read: {reason}")


class ScenarioItem(pytest.Item):
    """Run the scenario; fail when an expectation misses."""

    def runtest(self) -> None:
        from sim.runs.single import run

        error = self.parent.read_error if isinstance(self.parent, ScenarioFile) else None
        if error is not None:
            raise UnreadableScenario(self.shown_path(), error)
        scale: float = self.config.getoption("arcsim_scale")
        kept: str | None = self.config.getoption("arcsim_out")
        with tempfile.TemporaryDirectory(prefix="arcsim-") as tmp:
            result = run(self.path, scale=None if scale == 1.0 else scale,
                         out=kept if kept is not None else tmp,
                         report=kept is not None)  # nobody reads a discarded report
        if not result.ok:
            raise ScenarioMiss(result, scale)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        """The expected-vs-actual table, the located scenario errors, or why the file could
        not be read."""
        from sim.errors import ArcsimError

        if isinstance(excinfo.value, ScenarioMiss):
            return miss_table(excinfo.value.result, excinfo.value.scale)
        if isinstance(excinfo.value, ArcsimError | UnreadableScenario):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"scenario {self.name}"

    def shown_path(self) -> str:
        """The file's path relative to where pytest was started (absolute if outside it)."""
        try:
            return str(self.path.relative_to(self.config.invocation_params.dir))
        except ValueError:
            return str(self.path)


def miss_table(result: Any, scale: float) -> str:
    """A plain-text table of every expectation, misses marked."""
    from sim.scenario.expect import format_number

    rows = [("metric", "expected", "actual", "")]
    for e in result.expectations:
        actual = "missing" if e.actual is None else format_number(e.actual)
        rows.append((e.path, e.expected, actual, "ok" if e.ok else "MISS"))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [f"scenario {result.name}: {len(result.misses)} of {len(result.expectations)} "
             f"expectations missed (seed {result.seed}, scale {scale:g})"]
    lines += ["  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False))
              + f"  {row[3]}" for row in rows]
    return "\n".join(line.rstrip() for line in lines)
