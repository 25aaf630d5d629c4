"""Series the figures derive from records (issue 6): they agree with the metrics and keep
their invariants (a proxy never serves more than its capacity; every targeted machine is in
exactly one coverage state; provisioning states account for every resource); one colour per
reason everywhere."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.engine.codes import REASONS
from sim.report import derive
from sim.report.palette import REASON_COLOURS, reason_colour
from sim.report.view import RunView


@pytest.fixture(scope="module")
def storm(tmp_path_factory: pytest.TempPathFactory) -> RunView:
    out = tmp_path_factory.mktemp("storm")
    return RunView.of(sim.run("reinstall-storm-private-endpoint", scale=0.1, out=out,
                              report=False))


@pytest.fixture(scope="module")
def rollout(tmp_path_factory: pytest.TempPathFactory) -> RunView:
    out = tmp_path_factory.mktemp("rollout")
    return RunView.of(sim.run("default", scale=0.05, out=out, report=False))


def test_r2_proxy_serves_at_most_its_capacity(storm: RunView) -> None:
    (path,) = derive.shared_paths(storm.scenario)
    downloads = derive.proxy_downloads(storm, path)
    steps = derive.queue_lengths(downloads)
    assert len(downloads) > 0
    assert steps["downloading"].max() == 2 and steps["downloading"].min() >= 0
    assert steps["waiting"].min() == 0 and steps["waiting"].max() > 0
    assert steps.iloc[-1][["waiting", "downloading"]].tolist() == [0, 0]
    assert downloads["wait"].max() == pytest.approx(storm.metrics["churn"]["max_queue_wait_s"])


def test_r6c_provisioning_states_account_for_every_resource(storm: RunView) -> None:
    states = derive.provisioning_states(storm)
    start = sum(g.count * len(g.extensions) for g in storm.scenario.fleet)
    assert states.iloc[0].sum() == start
    assert (states.to_numpy() >= 0).all()
    deleted = int(((storm.records["operation"] == "delete")
                   & (storm.records["outcome"] == "succeeded")).sum())
    assert states.iloc[-1].sum() == start - deleted
    blocked = int(((storm.records["operation"] == "reinstall")
                   & (storm.records["outcome"] == "blocked")).sum())
    assert states.iloc[-1]["Failed"] == blocked


def test_coverage_states_partition_the_fleet(rollout: RunView) -> None:
    frame = derive.lockdown_coverage(rollout)
    machines = rollout.scenario.machines
    assert (frame.sum(axis=1) == machines).all()
    assert frame.iloc[0]["not locked down"] == machines  # the roll-out starts on day 1
    end = frame.iloc[-1]
    assert end["locked down"] == rollout.metrics["coverage"]["machines_locked_down"]
    assert end["refused (agent too old)"] == rollout.metrics["coverage"][
        "machines_too_old_for_controls"]


def test_r8_coverage_is_read_from_the_records_not_the_scenario_commands(
        rollout: RunView) -> None:
    """The lockdown state comes from the codes configuration records carry: a view whose
    scenario lost every command line draws the same coverage."""
    bare = rollout.scenario.model_copy(update={
        "fleet": [g.model_copy(update={"commands": []}) for g in rollout.scenario.fleet],
        "timeline": []})
    assert derive.lockdown_coverage(replace(rollout, scenario=bare)).equals(
        derive.lockdown_coverage(rollout))


def test_r30_machines_updated_and_locked_leave_the_refused_state(tmp_path: Path) -> None:
    """Agents too old for Allow/None refuse it, are updated, take it the next time: refused,
    then locked down (R15, R30)."""
    view = RunView.of(sim.run("esu-allow-none", scale=0.2, out=tmp_path, report=False))
    old = next(g.count for g in view.scenario.fleet if g.group == "esu-old-agent")
    assert _coverage_at(view, 4)["refused (agent too old)"] == old
    assert _coverage_at(view, 9)["refused (agent too old)"] == 0
    assert _coverage_at(view, 9)["locked down"] == view.scenario.machines


def test_counts_per_bucket_sum_to_the_metric(rollout: RunView) -> None:
    r = rollout.records
    done = ((r["operation"] == "reinstall") & (r["outcome"] == "succeeded")).to_numpy()
    per_bucket = derive.counts_per_bucket(rollout, done)
    assert len(per_bucket) == rollout.n_buckets == 14
    assert per_bucket.sum() == rollout.metrics["churn"]["cycles"]
    hours = derive.counts_per_bucket(rollout, done, r["value"].to_numpy() / 3600.0)
    assert hours.sum() == pytest.approx(rollout.metrics["churn"]["absent_hours"])


def test_step_counts_include_changes_at_the_instant() -> None:
    grid = np.array([0.0, 1.0, 2.0, 3.0])
    counts = derive.step_counts(grid, np.array([1.0, 2.5, 1.0]), np.array([1, -1, 1]), 5)
    assert counts.tolist() == [5, 7, 7, 6]


def test_one_colour_per_reason() -> None:
    blocking = ("not_on_allowlist", "on_blocklist", "allow_none", "monitor_mode",
                "manager_disabled", "policy_deny")
    assert len({REASON_COLOURS[r] for r in blocking}) == len(blocking)
    for reason in REASONS[1:]:
        assert reason_colour(reason) == reason_colour(reason)  # stable, listed or not
        assert reason_colour(reason).startswith("#")


def _coverage_at(view: RunView, day: float) -> dict[str, int]:
    frame = derive.lockdown_coverage(view)
    return {k: int(v) for k, v in frame[frame.index <= day * 86_400.0].iloc[-1].items()}


def test_r22_r17_monitor_mode_switched_back_keeps_the_lists_from_agent_1_22(
        tmp_path: Path) -> None:
    view = RunView.of(sim.run("monitor-mode", scale=0.1, out=tmp_path, report=False))
    count = {g.group: g.count for g in view.scenario.fleet}
    # day 8: back in full mode; agent 1.40 keeps the lists in effect (R22), 1.20 does not
    assert _coverage_at(view, 8)["locked down"] == count["monitor"]
    assert _coverage_at(view, 8)["lockdown lifted"] == count["monitor-old-agent"]
    # day 10: the allowlist cleared on the 1.40 servers too
    assert _coverage_at(view, 10)["lockdown lifted"] == sum(count.values())


def test_r17_tampering_reverts_only_where_the_lockdown_lets_it_in(tmp_path: Path) -> None:
    view = RunView.of(sim.run("script-and-guest-config-tamper", scale=0.1, out=tmp_path,
                              report=False))
    count = {g.group: g.count for g in view.scenario.fleet}
    end = _coverage_at(view, 7)
    assert end["locked down"] == count["best-practice"]
    assert end["lockdown lifted"] == count["scripts-allowed"] + count["guest-config-on"]


def _plain(view: RunView) -> RunView:
    plain = view.records.copy()
    for column in plain.columns:
        if isinstance(plain[column].dtype, pd.CategoricalDtype):
            plain[column] = plain[column].astype(object)
    assert not any(isinstance(t, pd.CategoricalDtype) for t in plain.dtypes)
    return replace(view, records=plain)


def test_r6c_provisioning_states_read_plain_string_columns_as_categorical_ones(
        storm: RunView, rollout: RunView) -> None:
    """The derivations work on category codes; a frame with plain string columns (built by
    hand, or read from CSV) gives the same states."""
    by_codes = derive.provisioning_states(storm)
    assert int(by_codes["Failed"].sum()) > 0
    assert by_codes.equals(derive.provisioning_states(_plain(storm)))
    coverage = derive.lockdown_coverage(rollout)
    assert int(coverage["locked down"].iloc[-1]) > 0
    assert coverage.equals(derive.lockdown_coverage(_plain(rollout)))
