"""Activity logs (the files a replay reads): any log, however broken, replays or gives one
located error; on the command line, exit status 2 and no traceback."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from fuzzing import ROOT, byte_mutations, documents, fuzz_settings, mutated, outcome, run_cli
from hypothesis import given
from hypothesis import strategies as st

from sim.scenario.activity_reader import ActivityLogError
from sim.scenario.replay_log import read_operations

pytestmark = [pytest.mark.fuzz, pytest.mark.filterwarnings("ignore::sim.errors.ArcsimWarning")]

SHIPPED_LOG = ROOT / "scenarios" / "logs" / "history-30d.json"
EVENTS: list[dict[str, Any]] = json.loads(SHIPPED_LOG.read_text(encoding="utf-8"))[:8]
"""A few events of the shipped log (what ``arcsim activity-log`` writes)."""
EVENT_WORDS = ["eventTimestamp", "operationName", "status", "subStatus", "caller", "value",
               "localizedValue", "resourceId", "resourceType", "correlationId", "properties",
               "statusCode", "requestbody"]
ARCSIM_CSV = ["eventTimestamp", "operationName", "status", "subStatus", "caller", "resourceId",
              "correlationId"]


def log_error(path: Path, text: str) -> str:
    """The located error of reading a log holding ``text``."""
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ActivityLogError) as caught:
        read_operations(path)
    return str(caught.value)


def csv_text(events: list[dict[str, Any]]) -> str:
    """``events`` as ``arcsim activity-log --format csv`` writes them."""
    rows = io.StringIO()
    writer = csv.writer(rows)
    writer.writerow(ARCSIM_CSV)
    for event in events:
        writer.writerow([_cell(event.get(column)) for column in ARCSIM_CSV])
    return rows.getvalue()


def _cell(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("value")
    return value if isinstance(value, str) else json.dumps(value)


@pytest.mark.parametrize(("text", "message"), [
    pytest.param("[" * 100_000 + "]" * 100_000, "log.json:1:2: nested more than 64 levels deep",
                 id="deep-list"),
    pytest.param(f'[{{"properties": {"[" * 3000}{"]" * 3000}}}]',
                 "log.json:1:2: nested more than 64 levels deep", id="deep-event"),
    pytest.param(f'[{{"properties": {"[" * 70}{"]" * 70}}}]',
                 "log.json:1:2: nested more than 64 levels deep", id="70-levels"),
    pytest.param(f'[{{"a": {"1" * 5000}}}]', "log.json:1:2: a number of more than 100 digits",
                 id="5000-digit-number"),
    pytest.param(f'{{"value": [{{"a": -{"1" * 200}}}]}}',
                 "log.json:1:12: a number of more than 100 digits", id="200-digit-number"),
    pytest.param(json.dumps(EVENTS[:2]) + "\n]", "log.json:2:1: invalid JSON: Extra data",
                 id="text-after-the-list"),
    pytest.param(json.dumps({"value": EVENTS[:2]}) + " {}", "invalid JSON: Extra data",
                 id="text-after-the-page"),
    pytest.param(json.dumps(EVENTS[:2])[:-1], "log.json:1:", id="cut"),
])
def test_a_log_past_the_readers_limits_is_a_located_error(
        tmp_path: Path, text: str, message: str) -> None:
    assert message in log_error(tmp_path / "log.json", text)


def test_a_csv_cell_longer_than_the_csv_reader_takes_is_a_located_error(tmp_path: Path) -> None:
    text = csv_text([*EVENTS[:2], {**EVENTS[2], "caller": "x" * 200_000}])
    assert log_error(tmp_path / "log.csv", text) == (
        f"{tmp_path / 'log.csv'}:4: invalid CSV: field larger than field limit (131072)")


@pytest.mark.parametrize(("name", "reason"), [
    ("a\x00b.json", "the path contains a NUL byte"),
    ("a" * 300 + ".json", "the file name is too long"),
    ("missing.json", "No such file or directory"),
    (".", "Is a directory"),
])
def test_a_log_that_cannot_be_opened_says_why(tmp_path: Path, name: str, reason: str) -> None:
    with pytest.raises(ActivityLogError, match=f"cannot read: {reason}$"):
        read_operations(tmp_path / name)


@pytest.mark.parametrize(("entry", "reason"), [
    ('timeline: [{replay: {file: "a\\0b.json"}}]', "the path contains a NUL byte"),
    (f"timeline: [{{replay: {{file: {'a' * 300}.json}}}}]", "the file name is too long"),
    ('fleet: {from: "a\\0b.json"}', "the path contains a NUL byte"),
])
def test_a_path_in_a_scenario_that_cannot_be_opened_exits_2(
        tmp_path: Path, entry: str, reason: str) -> None:
    fleet = "" if entry.startswith("fleet") else (
        'fleet: [{group: web, count: 2, agent_version: "1.45"}]\n')
    (tmp_path / "s.yaml").write_text(f"name: s\nduration: 1d\n{fleet}{entry}\n")
    status, _, err = run_cli(["validate", str(tmp_path / "s.yaml")])
    assert status == 2
    assert f"cannot read: {reason}" in err


def test_a_deeply_nested_log_given_with_replay_exits_2(tmp_path: Path) -> None:
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    status, _, err = run_cli(["run", "default", "--replay", str(tmp_path / "deep.json"),
                              "--quiet", "--no-report", "--out", str(tmp_path / "runs")])
    assert status == 2
    assert f"{tmp_path / 'deep.json'}:1:2: nested more than 64 levels deep" in err
    assert not (tmp_path / "runs").exists()


# --- properties -----------------------------------------------------------------------------

@st.composite
def logs(draw: st.DrawFn) -> tuple[str, bytes]:
    """A log: a few shipped events with values changed (as a list, a REST page, a list of
    pages or CSV), byte-mutated, or made up."""
    kind = draw(st.sampled_from(["edited", "bytes", "made-up"]))
    events = draw(mutated(EVENTS, documents(EVENT_WORDS))) if kind == "edited" else EVENTS
    shape = draw(st.sampled_from(["list", "page", "pages", "csv"]))
    if kind == "made-up":
        return "made-up.json", json.dumps(draw(documents(EVENT_WORDS))).encode()
    if shape == "csv":
        text = csv_text([e if isinstance(e, dict) else {} for e in events])
    else:
        data: Any = {"list": events, "page": {"value": events},
                     "pages": [{"value": events[:3]}, {"value": events[3:]}]}[shape]
        text = json.dumps(data, indent=draw(st.sampled_from([None, 2])))
    raw = text.encode()
    if kind == "bytes":
        raw = draw(byte_mutations(raw))
    return "log.csv" if shape == "csv" else "log.json", raw


@fuzz_settings(200)
@given(logs())
def test_any_log_replays_or_gives_a_located_error(
        tmp_path_factory: pytest.TempPathFactory, log: tuple[str, bytes]) -> None:
    name, raw = log
    path = tmp_path_factory.mktemp("log") / name
    path.write_bytes(raw)
    outcome(lambda: read_operations(path))
