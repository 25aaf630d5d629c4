"""Files a run adds on request: records and time series as CSV, the activity log (R29)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from helpers import Arcsim

import sim


def test_csv_and_activity_log_on_request(tmp_path: Path) -> None:
    plain = sim.run("default", scale=0.02, out=tmp_path / "plain", report=False)
    assert not (plain.path / "records.csv").exists()
    extra = sim.run("default", scale=0.02, out=tmp_path / "extra", report=False, csv=True,
                    activity_log=True)
    records = pd.read_csv(extra.path / "records.csv")
    assert len(records) == len(extra.records) > 0
    assert list(records.columns) == list(extra.records.columns)
    assert (records["machine"].to_numpy() == extra.records["machine"].to_numpy()).all()
    assert len(pd.read_csv(extra.path / "timeseries.csv")) == len(extra.timeseries)
    events = json.loads((extra.path / "activity_log.json").read_text())
    assert len(events) == len(extra.activity_log()) > 0
    assert (extra.path / "records.parquet").read_bytes() == \
        (plain.path / "records.parquet").read_bytes()


def test_r29_run_activity_log_flag_is_deterministic(tmp_path: Path, arcsim: Arcsim) -> None:
    texts = []
    for name in ("a", "b"):
        done = arcsim("run", "default", "--scale", "0.02", "--no-report", "--quiet",
                      "--activity-log", "--csv", "--out", tmp_path / name)
        assert done.status == 0
        folder = Path(done.out.strip())
        texts.append(((folder / "activity_log.json").read_bytes(),
                      (folder / "records.csv").read_bytes()))
    assert texts[0] == texts[1]


@pytest.mark.parametrize("name", ["script-and-guest-config-tamper", "policy-deny-override",
                                  "default"])
def test_timeseries_blocked_counts_what_the_metrics_count(tmp_path: Path, name: str) -> None:
    """Blocked guest configuration commands and refused roles (R27) are not blocked
    operations, in the metrics and in the time series alike."""
    result = sim.run(name, scale=0.1, report=False, out=tmp_path)
    series = result.timeseries
    assert int(series["blocked"].sum()) == result.metric("blocked.total")
    for reason, count in result.metrics["blocked"]["by_reason"].items():
        assert int(series[f"blocked.{reason}"].sum()) == count
    assert "blocked.authorization_failed" not in series.columns
