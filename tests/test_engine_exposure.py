"""What got in (issue 15, the spec's exposure): script-capable extensions that succeeded, split
by whether a lockdown let them in; machine-hours a script-capable extension was installed and
runnable; what is left and who could still undo a lockdown (R7, R13, R16, R17, R24, R27, R30);
and the lockdown codes configuration records carry (R8)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import AMA, CSE, MMA, allowlist
from hypothesis import HealthCheck, given, settings
from strategies import agent_configs, exposure_scenarios

import sim
from sim.engine.codes import RULES, Op, Outcome
from sim.engine.metrics import blocked_operations, exposure_operations, summarise
from sim.engine.records import Records
from sim.results import selections
from sim.rules.config import AgentConfig
from sim.rules.lockdown import LockdownFlag, is_locked, lockdown_code
from sim.rules.versions import v
from sim.runs.execute import run_world
from sim.scenario import library
from sim.scenario.build import build_world
from sim.scenario.expect import ExpectError, check_path
from sim.scenario.loading import load_scenario, scenario_from_document, scenario_from_text
from sim.scenario.source import LocatedDocument

HOURS = 24.0
GUEST_OFF = "azcmagent config set guestconfiguration.enabled false"


def run(fleet: str, timeline: str = "", *, days: int = 4, policies: str = "") -> Any:
    """The world of a scenario of ``fleet`` and ``timeline`` (YAML lists), run ``days``."""
    text = (f"name: t\ndescription: |\n  What gets in?\nduration: {days}d\nseed: 5\n"
            f"fleet:\n{fleet}\n" + (f"policies:\n{policies}\n" if policies else "")
            + (f"timeline:\n{timeline}\n" if timeline else ""))
    scenario = scenario_from_text(text)
    world = build_world(scenario)
    world.run(scenario.duration)
    return world


def group(name: str = "g", count: int = 3, *, version: str = "1.40", os: str = "windows",
          installed: tuple[str, ...] = (), commands: tuple[str, ...] = ()) -> str:
    lines = [f"  - group: {name}", f"    count: {count}", f"    os: {os}",
             f'    agent_version: "{version}"']
    if installed:
        lines.append(f"    extensions: [{', '.join(installed)}]")
    if commands:
        lines.append("    commands:")
        lines += [f"      - '{c}'" for c in commands]
    return "\n".join(lines)


def install(name: str, at: str = "1d", *, actor: str = "ops", role: str = "Owner",
            settings: str = "", override: bool = False) -> str:
    lines = [f"  - at: {at}", f"    actor: {actor}", f"    role: {role}",
             f"    install: {name}"]
    if settings:
        lines.append(f"    settings: '{settings}'")
    if override:
        lines.append("    override: true")
    return "\n".join(lines)


def command(line: str, at: str, *, target: str = "") -> str:
    text = f"  - at: {at}\n    run: ['{line}']"
    return text + (f"\n    target: {{group: {target}}}" if target else "")


def exposure(world: Any) -> dict[str, Any]:
    found: dict[str, Any] = summarise(world)["exposure"]
    return found


# --- R7: script-capable operations that succeeded ---------------------------------------------


def test_r7_a_script_extension_that_gets_onto_an_open_machine_is_exposure() -> None:
    world = run(group(), "\n".join([install(CSE), install(AMA)]))
    found = exposure(world)
    assert found["installed"] == {CSE: 3}  # the Azure Monitor agent runs no scripts
    assert found["installed_without_lockdown"] == {CSE: 3}
    assert (found["total"], found["through_lockdown"], found["without_lockdown"]) == (3, 0, 3)
    assert found["machines_at_start"] == 0 and found["machines_at_end"] == 3
    assert found["present_at_end"] == {CSE: 3}


def test_r7_a_lockdown_that_allows_a_script_extension_lets_it_in_through_the_lockdown() -> None:
    world = run(group(commands=(allowlist(AMA, CSE),)), install(CSE))
    found = exposure(world)
    assert found["installed_through_lockdown"] == {CSE: 3}
    assert found["through_lockdown"] == 3 and found["without_lockdown"] == 0


def test_r7_new_settings_for_a_script_extension_are_an_update_that_got_in() -> None:
    world = run(group(installed=(CSE,)), "  - at: 1d\n    actor: ops\n    settings: echo\n"
                f"    update: {CSE}")
    found = exposure(world)
    assert found["updated"] == {CSE: 3} and found["installed"] == {}
    assert found["machines_at_start"] == found["machines_at_end"] == 3


def test_r7_a_scenario_can_mark_its_own_extension_script_capable() -> None:
    """A ``catalogue:`` entry with ``runs_scripts: true`` makes an extension script-capable:
    its installs are exposure, and an allowlist that names it leaves the script path open."""
    text = (f"name: t\ndescription: |\n  What gets in?\nduration: 2d\nseed: 5\n"
            f"catalogue:\n  Contoso/Runner: {{runs_scripts: true, hosting: service}}\n"
            f"fleet:\n{group(commands=(allowlist(AMA, 'Contoso/Runner'), GUEST_OFF))}\n"
            f"timeline:\n{install('Contoso/Runner')}\n")
    scenario = scenario_from_text(text)
    world = build_world(scenario)
    world.run(scenario.duration)
    found = exposure(world)
    assert found["installed_through_lockdown"] == {"Contoso/Runner": 3}
    assert found["open_paths_at_end"]["script_extension"] == 3


def test_r13_nothing_blocked_is_exposure() -> None:
    world = run(group(commands=(allowlist(AMA),)), install(CSE))
    found = exposure(world)
    assert summarise(world)["blocked"]["by_extension"] == {CSE: 3}
    assert found["total"] == 0 and found["installed"] == {}
    assert found["machine_hours"] == 0.0 and found["machines_at_end"] == 0


# --- R24: runnable while installed ------------------------------------------------------------


@pytest.mark.parametrize(("installed", "hours"), [
    (CSE, 3 * 2 * HOURS),   # hosted by the extension manager: stops while it is disabled
    (MMA, 3 * 4 * HOURS),   # its own service: keeps running
])
def test_r24_a_disabled_manager_stops_exposure_only_from_manager_hosted_extensions(
        installed: str, hours: float) -> None:
    world = run(group(installed=(installed,)), "\n".join([
        command("azcmagent config set extensions.enabled false", "1d"),
        command("azcmagent config set extensions.enabled true", "3d")]))
    found = exposure(world)
    assert found["machine_hours"] == pytest.approx(hours)
    assert found["machines_at_start"] == found["machines_at_end"] == 3
    assert found["present_at_end"] == {installed: 3}


def test_r24_an_extension_deleted_while_the_manager_is_disabled_stays_exposed() -> None:
    world = run(group(installed=(MMA,)), "\n".join([
        command("azcmagent config set extensions.enabled false", "1d"),
        f"  - at: 2d\n    actor: ops\n    delete: {MMA}"]))
    found = exposure(world)
    assert summarise(world)["orphaned"] == 3
    assert found["machine_hours"] == pytest.approx(3 * 4 * HOURS)
    assert found["present_at_end"] == {MMA: 3}


def test_r6_a_local_removal_ends_exposure_until_resync_puts_it_back() -> None:
    world = run(group(installed=(CSE,)), f"  - at: 1d\n    remove_locally: {CSE}")
    found = exposure(world)
    metrics = summarise(world)
    assert metrics["reinstalls"] == 3 and found["installed"] == {CSE: 3}
    assert found["machine_hours"] == pytest.approx(3 * 4 * HOURS - metrics["churn"][
        "absent_hours"])


# --- R17, R27, R16, R30: what is left open at the end, and who could use it -------------------


def test_r17_open_paths_at_the_end_by_path() -> None:
    world = run("\n".join([
        group("best", commands=(allowlist(AMA), GUEST_OFF)),
        group("scripts", commands=(allowlist(AMA, CSE), GUEST_OFF)),
        group("guest", commands=(allowlist(AMA),)),
        group("open"), group("old", version="1.15")]))
    paths = exposure(world)["open_paths_at_end"]
    assert paths == {"script_extension": 3 + 3 + 3, "guest_configuration": 3 + 3 + 3,
                     "no_lockdown": 3, "agent_too_old": 3, "any": 12}


def test_r27_who_could_use_each_open_path() -> None:
    """Writing extensions opens the script path; changing policy, the guest configuration
    path (a custom machine-configuration policy); a Reader neither."""
    world = run(group(commands=(allowlist(AMA, CSE),)), "\n".join([
        install(AMA, actor="dev", role="Contributor"),
        install(AMA, actor="reader", role="Reader"),
        "  - at: 2d\n    actor: governance\n    role: Resource Policy Contributor\n"
        "    exempt: {assignment: no-inventory, category: Waiver}"]),
        policies="  - name: no-inventory\n    deny: [Contoso/InventoryAgent]")
    found = exposure(world)
    assert found["open_path_holders"]["script_extension"] == [
        "policy_admin (Owner)", "dev (Contributor)"]
    assert found["open_path_holders"]["guest_configuration"] == [
        "policy_admin (Owner)", "governance (Resource Policy Contributor)"]
    assert found["machines_open_to"] == {"dev": 3, "governance": 3, "policy_admin": 3,
                                         "reader": 0}


def test_r16_a_deny_on_every_allowed_script_extension_needs_policy_rights_too() -> None:
    world = run(group(commands=(allowlist(AMA, CSE), GUEST_OFF)),
                install(AMA, actor="dev", role="Contributor"),
                policies=f"  - name: no-scripts\n    deny: [{CSE}]")
    found = exposure(world)
    assert found["open_paths_at_end"]["script_extension"] == 3
    assert found["open_path_holders"]["script_extension"] == ["policy_admin (Owner)"]
    assert found["machines_open_to"]["dev"] == 0


def test_r30_an_agent_updated_past_1_16_leaves_the_too_old_path() -> None:
    world = run(group(version="1.15"), '  - at: 1d\n    agent_update: "1.40"')
    assert exposure(world)["open_paths_at_end"]["agent_too_old"] == 0
    assert exposure(world)["open_paths_at_end"]["no_lockdown"] == 3


# --- R8: configuration records carry the lockdown state they produce -------------------------


def test_r8_configuration_records_carry_the_lockdown_before_and_after() -> None:
    world = run(group(count=1), "\n".join([
        command(allowlist(AMA), "1d"), command("azcmagent config set config.mode monitor", "2d"),
        command("azcmagent config clear extensions.allowlist", "3d")]))
    r = world.records
    config = np.flatnonzero(r["operation"] == Op.CONFIG)
    codes = [(int(r["lockdown_before"][i]), int(r["lockdown"][i])) for i in config]
    guest = LockdownFlag.GUEST_CONFIGURATION
    assert codes == [(guest, guest | LockdownFlag.ALLOWLIST),
                     (guest | LockdownFlag.ALLOWLIST, LockdownFlag.ALLOWLIST
                      | LockdownFlag.MONITOR_MODE),
                     # lists are frozen in monitor mode (R21): refused, unchanged
                     (LockdownFlag.ALLOWLIST | LockdownFlag.MONITOR_MODE,
                      LockdownFlag.ALLOWLIST | LockdownFlag.MONITOR_MODE)]
    assert int(r["lockdown"][config[-1]]) == lockdown_code(world.config(0))
    others = np.setdiff1d(np.arange(len(r)), config)
    assert (r["lockdown"][others] == -1).all() and (r["lockdown_before"][others] == -1).all()


def test_r17_a_change_by_an_override_actor_is_recorded_under_r17() -> None:
    """A script that clears the allowlist (R7) is an override (R17): its configuration record
    says so, and that it lifted the lockdown; a local admin's own change is R8."""
    world = run(group(count=1, commands=(allowlist(AMA, CSE),)), "\n".join([
        install(CSE, settings="azcmagent config clear extensions.allowlist", override=True),
        command(allowlist(AMA), "2d")]))
    r = world.records
    applied = np.flatnonzero((r["operation"] == Op.CONFIG) & (r["outcome"] == Outcome.APPLIED))
    assert [RULES[int(x)] for x in r["rule"][applied]] == ["R17", "R8"]
    first = applied[0]
    assert is_locked(int(r["lockdown_before"][first])) and not is_locked(int(r["lockdown"][first]))


def _per_machine_swing(r: Records) -> int:
    """The largest swing of any machine's running sum of ``exposed`` changes."""
    changed = r["exposed"] != 0
    machine, delta = r["machine"][changed], r["exposed"][changed].astype(np.int64)
    worst = 0
    for m in np.unique(machine):
        running = np.concatenate([[0], np.cumsum(delta[machine == m])])
        worst = max(worst, int(running.max() - running.min()))
    return worst


def test_r7_each_machine_is_exposed_or_not_never_twice() -> None:
    world = run(group(installed=(CSE, MMA)), "\n".join([
        command("azcmagent config set extensions.enabled false", "1d"),
        f"  - at: 1d 6h\n    remove_locally: {MMA}",
        command("azcmagent config set extensions.enabled true", "2d")]))
    assert _per_machine_swing(world.records) == 1


# --- laws, on random small scenarios (Hypothesis) --------------------------------------------


def _world(document: dict[str, object], until: float | None = None) -> Any:
    scenario = scenario_from_document(LocatedDocument(document, "<exposure>"))
    world = build_world(scenario)
    world.run(scenario.duration if until is None else until)
    return world


def _exposed_now(world: Any) -> int:
    """Machines with a script-capable extension installed and running, from the world's own
    state (``World.is_running``, R24), counted independently of the exposure bookkeeping."""
    scripts = [e.id.name for e in world.catalogue if e.runs_scripts
               and e.id.key in world.ext_index]
    return sum(any(world.is_running(m, name) for name in scripts)
               for m in range(world.n_machines))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exposure_scenarios())
def test_r7_exposure_laws(document: dict[str, object]) -> None:
    """Exposure operations are succeeded operations (nothing blocked, denied or failed is among
    them); the splits add up; machine-hours lie between 0 and machines x duration; each
    machine is exposed or not (its changes alternate); the machines exposed at the start and
    at the end are those the world's own state shows (R24)."""
    world = _world(document)
    r, found = world.records, exposure(world)
    mask = exposure_operations(r["operation"], r["outcome"], r["lockdown"])
    assert (r["outcome"][mask] == Outcome.SUCCEEDED).all()
    assert not (mask & blocked_operations(r["operation"], r["outcome"], r["reason"])).any()
    assert np.isin(r["operation"][mask], (Op.INSTALL, Op.REINSTALL, Op.UPDATE)).all()
    assert found["total"] == int(mask.sum()) == (
        sum(found["installed"].values()) + sum(found["updated"].values()))
    assert found["through_lockdown"] + found["without_lockdown"] == found["total"]
    machines, hours = world.n_machines, 3 * HOURS
    assert 0.0 <= found["machine_hours"] <= machines * hours + 1e-6
    assert _per_machine_swing(r) <= 1
    assert found["machines_at_end"] == _exposed_now(world)
    assert found["machines_at_start"] == _exposed_now(_world(document, until=0.0))
    present = {e.id.name: sum(world.installed_version(m, e.id.name) is not None
                              for m in range(machines))
               for e in world.catalogue if e.runs_scripts and e.id.key in world.ext_index}
    assert found["present_at_end"] == {k: v for k, v in sorted(present.items()) if v}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exposure_scenarios())
def test_r8_lockdown_codes_chain_from_record_to_record(document: dict[str, object]) -> None:
    """Each machine's configuration records carry the code before and after; one record's
    after is the next one's before, and the last one's after is the configuration's at the
    end (nothing changes a configuration without a record)."""
    world = _world(document)
    r = world.records
    carried = np.flatnonzero(r["lockdown_before"] >= 0)
    for m in range(world.n_machines):
        mine = carried[r["machine"][carried] == m]
        before, after = r["lockdown_before"][mine], r["lockdown"][mine]
        assert (before[1:] == after[:-1]).all()
        if len(mine):
            assert int(after[-1]) == lockdown_code(world.config(m))


@settings(max_examples=200, deadline=None)
@given(agent_configs())
def test_r8_a_lockdown_code_is_locked_exactly_when_the_configuration_has_a_lockdown(
        config: AgentConfig) -> None:
    code = lockdown_code(config)
    assert 0 <= code < 128
    assert is_locked(code) == config.has_lockdown
    assert bool(code & LockdownFlag.GUEST_CONFIGURATION) == config.effective_guest_configuration
    assert bool(code & LockdownFlag.NO_CONTROLS) == (config.version < v("1.16"))
    assert bool(code & LockdownFlag.ALLOW_NONE) == config.is_allow_none


# --- the same whole, in blocks and in shards -----------------------------------------------

CARRIED = ("lockdown", "lockdown_before", "exposed")


@pytest.mark.parametrize("name", ["monitor-mode", "extension-manager-disabled",
                                  "article-blocklist", "script-and-guest-config-tamper"])
def test_lockdown_and_exposure_columns_are_the_same_whole_in_blocks_and_in_shards(
        name: str) -> None:
    """The new record columns and every exposure metric (machine-hours to the last bit: an
    exactly rounded sum) do not depend on how the fleet is split."""
    path = library.resolve(name)
    scenario = load_scenario(path, scale=0.1)
    whole = run_world(scenario, path.parent, block=None).output
    for split in (run_world(scenario, path.parent, block=7).output,
                  run_world(scenario, path.parent, shards=3, block=None, workers=1).output):
        assert all(np.array_equal(whole.columns[c], split.columns[c]) for c in CARRIED)
        assert split.metrics["exposure"] == whole.metrics["exposure"]
    assert whole.metrics["exposure"]["machine_hours"] > 0


# --- the time series and records frames count what the metrics count --------------------------


def test_r7_time_series_and_frames_select_what_the_metrics_count(tmp_path: Path) -> None:
    result = sim.run("script-and-guest-config-tamper", scale=0.1, out=tmp_path, report=False)
    series, found = result.timeseries, result.metrics["exposure"]
    assert series["exposure.installed"].sum() == sum(found["installed"].values()) > 0
    assert series["exposure.updated"].sum() == sum(found["updated"].values())
    assert series["exposure.machine_hours"].sum() == pytest.approx(found["machine_hours"])
    records = result.records
    plain = records.astype({c: object for c in ("operation", "outcome", "reason", "rule")})
    for frame in (records, plain):  # categorical, or plain strings as read from CSV
        done = selections.exposure_operations(frame)
        assert int(done.sum()) == found["total"]
        assert int((done & selections.locked_down(frame)).sum()) == found["through_lockdown"]


def test_r19_monitor_mode_lets_the_script_capable_log_analytics_agent_in(
        tmp_path: Path) -> None:
    """The Log Analytics agent is on Microsoft's monitor list and runs scripts (R7, R19):
    asked for before Microsoft drops it from the list, it gets in through the lockdown and
    stays after the list changes (R14), as the monitor-mode scenario's comment says."""
    result = sim.run("monitor-mode", scale=0.1, overrides=["timeline[6].at=3d"], out=tmp_path,
                     report=False)
    found = result.metrics["exposure"]
    machines = result.manifest["counts"]["machines"]
    assert found["installed_through_lockdown"] == {MMA: machines}
    assert found["present_at_end"][MMA] == machines


# --- expect:, sweep --metric and compare name the exposure metrics ---------------------------


@pytest.mark.parametrize("path", [
    "exposure.total", "exposure.machine_hours", "exposure.open_paths_at_end.agent_too_old",
    f"exposure.installed_through_lockdown.{CSE}", f"exposure.present_at_end.{MMA}",
    "exposure.machines_open_to.dev"])
def test_exposure_paths_can_be_expected_and_swept(path: str) -> None:
    check_path(path)  # what expect: and sweep --metric check before anything runs


def test_who_could_use_a_path_is_text_not_a_number() -> None:
    with pytest.raises(ExpectError, match="lists names by override path, not a number"):
        check_path("exposure.open_path_holders.script_extension")


def test_r7_open_paths_are_counted_the_same_past_24_script_capable_extensions() -> None:
    """A scenario may mark many extensions script-capable (here 27 are in the run); the end
    counts do not depend on how the combinations are keyed."""
    names = [f"Contoso/Runner{i}" for i in range(26)]
    entries = "".join(f"  {n}: {{runs_scripts: true, os: windows}}\n" for n in names)
    text = (f"name: t\ndescription: |\n  What gets in?\nduration: 1d\nseed: 5\n"
            f"catalogue:\n{entries}"
            f"fleet:\n{group(installed=(names[25], CSE), commands=(allowlist(AMA),))}\n"
            f"{group('open', count=2, installed=tuple(names[:25]))}\n")
    scenario = scenario_from_text(text)
    world = build_world(scenario)
    world.run(scenario.duration)
    assert len(world.x_scripts) == 27
    found = exposure(world)
    assert found["present_at_end"] == {CSE: 3, names[25]: 3, **dict.fromkeys(names[:25], 2)}
    assert found["machines_at_end"] == 5  # each has one installed, its manager enabled
    assert found["open_paths_at_end"] == {"script_extension": 2, "guest_configuration": 5,
                                          "no_lockdown": 2, "agent_too_old": 0, "any": 5}
