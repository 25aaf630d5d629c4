"""A timeline that says what people mean: ``every:`` with ``from``/``until``/``jitter`` on any
entry, ``rate`` within a daily ``window``, a fresh draw of machines at each occurrence, and
entries named for ``--set timeline[NAME]``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.engine import DAY, Op
from sim.engine.policy import PolicyAdmin
from sim.engine.snapshot import snapshot
from sim.runs.execute import run_world
from sim.runs.merge import output_of
from sim.scenario.action import Build, occurrences
from sim.scenario.build import build_world
from sim.scenario.loading import scenario_from_text
from sim.scenario.schema import Scenario, TimelineEntry
from sim.scenario.source import ScenarioError
from sim.scenario.timeline import actors_of

HOUR = 3_600.0
HEAD = """\
name: every
duration: 10d
seed: 5
fleet:
  - {group: win, count: 400, agent_version: "1.45"}
timeline:
"""
LOCK = "azcmagent config set guestconfiguration.enabled false"


def scenario(timeline: str, **options: Any) -> Scenario:
    return scenario_from_text(HEAD + timeline, "s.yaml", **options)


def config_records(s: Scenario) -> tuple[np.ndarray, np.ndarray]:
    records = build_world(s).run(s.duration)
    mask = records["operation"] == Op.CONFIG
    return records["time"][mask], records["machine"][mask]


def test_every_occurrence_draws_its_own_machines() -> None:
    s = scenario(f"  - {{every: 1d, from: 1h, target: {{share: 0.1}}, run: ['{LOCK}']}}\n")
    times, machines = config_records(s)
    days = (times // DAY).astype(int)
    drawn = [set(machines[days == d].tolist()) for d in range(10)]
    assert all(20 <= len(m) <= 60 for m in drawn)  # about 10 % of 400 each night
    assert len(set().union(*drawn)) > 2 * max(len(m) for m in drawn)  # not the same ones
    assert np.all(np.isclose(times % DAY, HOUR))


def test_rate_within_a_window_acts_each_night_between_one_and_three() -> None:
    s = scenario(f"  - {{rate: 5%/day, at: 1h, window: 2h, run: ['{LOCK}']}}\n")
    times, machines = config_records(s)
    hours = (times % DAY) / HOUR
    assert np.all((hours >= 1.0) & (hours < 3.0))
    per_day = np.bincount((times // DAY).astype(int), minlength=10)
    assert per_day.sum() == len(machines) and per_day.min() >= 5 and per_day.max() <= 40


def test_every_with_a_rate_is_a_share_of_machines_each_occurrence() -> None:
    s = scenario(f"  - {{every: 1d, from: 1h, window: 2h, rate: 0.05, until: 5d, "
                 f"run: ['{LOCK}']}}\n")
    times, _ = config_records(s)
    assert set((times // DAY).astype(int).tolist()) == {0, 1, 2, 3, 4}
    assert np.all(((times % DAY) >= HOUR) & ((times % DAY) < 3 * HOUR))
    assert 5 * 400 * 0.05 / 2 < len(times) < 5 * 400 * 0.05 * 2


def test_jitter_delays_each_occurrence_alike_for_its_machines() -> None:
    s = scenario(f"  - {{every: 2d, from: 1d, jitter: 6h, run: ['{LOCK}']}}\n")
    times, _ = config_records(s)
    starts = np.unique(times)
    assert len(starts) == 5 and np.all(np.diff(np.floor(starts / (2 * DAY))) == 1)
    offsets = starts - (DAY + 2 * DAY * np.arange(5))
    assert np.all((offsets >= 0) & (offsets < 6 * HOUR)) and len(set(offsets)) == 5


@given(every=st.floats(60.0, 5 * DAY), start=st.floats(0.0, 3 * DAY),
       until=st.floats(0.0, 12 * DAY), jitter=st.floats(0.0, 1.0), seed=st.integers(0, 99))
def test_occurrences_are_every_period_from_the_start_until_the_end(
        every: float, start: float, until: float, jitter: float, seed: int) -> None:
    entry = TimelineEntry.model_validate({"every": every, "from": start, "until": until,
                                          "jitter": jitter * every * 0.99, "run": [LOCK]})
    found = occurrences(entry, Build(10 * DAY, seed), "local_admin")
    nominal = start + every * np.arange(len(found))
    assert np.all(nominal < until)
    assert start + every * len(found) >= until
    assert np.all((np.array(found) >= nominal) & (np.array(found) < nominal + every))


def test_a_recurring_policy_change_is_one_change_per_occurrence() -> None:
    entry = TimelineEntry.model_validate({"every": "1d", "from": "12h", "until": "3d",
                                          "unassign": "deny"})
    admins = actors_of(entry, 10 * DAY)
    assert [type(a) for a in admins] == [PolicyAdmin] * 3
    assert [a.at for a in admins] == [12 * HOUR, 36 * HOUR, 60 * HOUR]


def test_recurring_entries_are_the_same_in_every_shard() -> None:
    s = scenario(f"  - {{every: 1d, jitter: 1h, window: 3h, rate: 0.2, run: ['{LOCK}']}}\n"
                 "  - {every: 12h, from: 6h, target: {share: 0.1}, "
                 "remove_locally: all, actor: cleanup}\n")
    whole = build_world(s)
    whole.run(s.duration)
    one = output_of(snapshot(whole))
    split = run_world(s, None, shards=3, workers=1)
    many, plan = split.output, split.plan
    assert plan is not None
    assert len(plan.ranges) == 3
    assert all(np.array_equal(one.columns[c], many.columns[c]) for c in one.columns)


@pytest.mark.parametrize(("entry", "message"), [
    ("{every: 1d, jitter: 1d, run: []}", "timeline[0]: jitter (1d) must be shorter than every "
                                        "(1d)"),
    ("{rate: 0.1, window: 2d, run: []}", "timeline[0]: with a daily rate, window is the part "
                                         "of each day the action happens in: at most 1d, got "
                                         "2d (use every: for other periods)"),
    ("{every: 1d, at: 2h, run: []}", 'timeline[0].at: with "every", the first occurrence is '
                                     '"from" (write from: instead of at:)'),
    ("{from: 2h, run: []}", 'timeline[0].from: "from" goes with "every": give "every" too, or '
                            'drop "from"'),
    ("{every: 1s, run: []}", "timeline[0].every: every 1s makes 864,000 occurrences in this "
                             "run; at most 100,000"),
])
def test_recurrence_mistakes_are_located(entry: str, message: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        scenario(f"  - {entry}\n")
    assert str(caught.value).split(": ", 1)[1] == message


def test_named_entries_are_addressed_by_name_in_set() -> None:
    text = (f"  - {{name: lockdown, at: 1d, run: ['{LOCK}']}}\n"
            "  - {name: cleanup, every: 1d, remove_locally: all}\n")
    s = scenario(text, overrides=["timeline[cleanup].from=6h", "timeline[lockdown].at=2d",
                                  "fleet[win].count=3"])
    assert (s.timeline[1].from_, s.timeline[0].at, s.fleet[0].count) == (6 * HOUR, 2 * DAY, 3)
    with pytest.raises(ScenarioError) as caught:
        scenario(text, overrides=["timeline[clean].at=1d"])
    assert str(caught.value) == ('--set timeline[clean].at=1d: timeline has no entry named '
                                 '"clean" (named entries: lockdown, cleanup)')
    with pytest.raises(ScenarioError) as caught:
        scenario(text, overrides=["timeline[cleanup].every=soon"])
    assert str(caught.value).startswith("--set timeline[cleanup].every=soon: timeline[1].every:")


def test_entry_names_are_unique() -> None:
    with pytest.raises(ScenarioError) as caught:
        scenario("  - {name: a, at: 1d, remove_locally: all}\n"
                 "  - {name: a, at: 2d, remove_locally: all}\n")
    assert str(caught.value) == ('s.yaml:8: timeline[1].name: timeline entry "a" is already '
                                 'defined (timeline[0])')


def test_sweeps_address_entries_by_name(tmp_path: Any) -> None:
    from sim.runs.sweep_index import parameter_values
    from sim.runs.sweep_plan import spec_of

    path = tmp_path / "s.yaml"
    path.write_text(HEAD + "  - {name: cleanup, every: 1d, remove_locally: all}\n")
    spec = spec_of(str(path), {"timeline[cleanup].from": ["1h", "6h"]}, replications=1)
    assert parameter_values(str(path), spec) == {"timeline[cleanup].from": [HOUR, 6 * HOUR]}
