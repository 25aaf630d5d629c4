"""``arcsim run`` prints arcsim's own warnings as ``arcsim: notice:`` lines when they happen,
also when the run then fails; other warnings go where Python sends them (here: pytest)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
from helpers import Arcsim

from sim.errors import ArcsimWarning
from sim.results.folder import ResultError
from sim.runs import single


def _warning_first(monkeypatch: pytest.MonkeyPatch, warning: Warning,
                   then_fail: bool = False) -> None:
    """Make ``arcsim run`` warn ``warning`` before running (and then fail, if told)."""
    real = single.run

    def run(*args: Any, **kwargs: Any) -> Any:
        warnings.warn(warning, stacklevel=1)
        if then_fail:
            raise ResultError("results/x: cannot write the result folder: disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(single, "run", run)


def test_a_notice_before_a_failed_run_is_still_printed(
        tmp_path: Path, arcsim: Arcsim, monkeypatch: pytest.MonkeyPatch) -> None:
    _warning_first(monkeypatch, ArcsimWarning("fleet.from x.json: 2 machines skipped"),
                   then_fail=True)
    done = arcsim("run", "policy-deny-override", "--out", tmp_path, "--quiet")
    assert done.status == 2
    assert done.err.splitlines() == [
        "arcsim: notice: fleet.from x.json: 2 machines skipped",
        "arcsim: error: results/x: cannot write the result folder: disk full"]
    assert list(tmp_path.iterdir()) == []


def test_a_warning_of_another_library_is_not_an_arcsim_notice(
        tmp_path: Path, arcsim: Arcsim, monkeypatch: pytest.MonkeyPatch) -> None:
    _warning_first(monkeypatch, DeprecationWarning("some library's old call"))
    with pytest.warns(DeprecationWarning, match="some library's old call"):
        done = arcsim("run", "policy-deny-override", "--scale", "0.05", "--out", tmp_path,
                      "--quiet", "--no-report")
    assert done.status == 0
    assert "arcsim: notice" not in done.err


def test_an_arcsim_notice_is_printed_once(tmp_path: Path, arcsim: Arcsim,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    _warning_first(monkeypatch, ArcsimWarning("--shards 3: running 1 shard"))
    done = arcsim("run", "policy-deny-override", "--scale", "0.05", "--out", tmp_path,
                  "--quiet", "--no-report")
    assert done.status == 0
    assert done.err == "arcsim: notice: --shards 3: running 1 shard\n"
