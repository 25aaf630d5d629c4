"""Fixtures shared by the tests (as SimPy's ``conftest.py`` holds ``env`` and ``log``).

* ``world``: a small built :class:`~sim.engine.World` for engine tests: four machines on
  agent 1.40, nothing installed, seed 1; not run (add actors, then ``world.run(...)``).
* ``arcsim``: runs the ``arcsim`` command line in this process, as ``arcsim("explain",
  "--op", "install", ...)`` (arguments go through ``str``), and returns a
  :class:`~helpers.CliResult`: exit status, stdout, stderr. Output is plain text (``NO_COLOR``)
  200 columns wide, so tables do not wrap.

Hypothesis profiles: ``pytest -m fuzz --hypothesis-profile=long`` runs the fuzz suite
(``tests/test_fuzz_*.py``) with 15 times its CI budget, over 10,000 inputs (see
``tests/fuzzing.py``).
"""

from __future__ import annotations

import pytest
from helpers import Arcsim, CliResult, one_group
from hypothesis import settings

from sim.cli import main
from sim.engine import World

settings.register_profile("long", max_examples=1500, deadline=None)


@pytest.fixture
def world() -> World:
    """Four machines on agent 1.40 with no extension, seed 1; built, not run."""
    return World(one_group(4), seed=1)


@pytest.fixture
def arcsim(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Arcsim:
    """``arcsim(*argv)``: the exit status, stdout and stderr of ``arcsim argv...``."""
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")

    def run(*argv: object) -> CliResult:
        status = main([str(arg) for arg in argv])
        captured = capsys.readouterr()
        return CliResult(status, captured.out, captured.err)

    return run
