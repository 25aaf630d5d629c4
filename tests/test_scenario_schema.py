"""The scenario schema: round trips, value types, timeline rules, and what each entry builds."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sim.engine import CloudRequest, LocalCommands, LocalRemoval, Target, Timing
from sim.engine.actors import GuestConfigTamper
from sim.engine.params import DAY
from sim.engine.policy import PolicyAdmin, Remediation, SqlAutoDeploy, book_of
from sim.engine.upgrades import AgentUpdate, AutoUpgrade, MonitorListUpdate
from sim.scenario import library
from sim.scenario.build import actors_of, build_world, params_of
from sim.scenario.expect import Expected, parse_expected
from sim.scenario.loading import load_scenario, scenario_from_text
from sim.scenario.schema import Scenario, TimelineEntry
from sim.scenario.timeline import ACTIONS, entry_problems
from sim.scenario.values import SchemaValueError, parse_rate

AMA = "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent"
CSE = "Microsoft.Compute/CustomScriptExtension"
SHIPPED = library.shipped()


def test_shipped_scenarios_are_found() -> None:
    assert len(SHIPPED) >= 4


@pytest.mark.parametrize("shipped", SHIPPED, ids=[s.name for s in SHIPPED])
def test_round_trip_through_json(shipped: library.Shipped) -> None:
    scenario = load_scenario(shipped.path)
    resolved = json.loads(json.dumps(scenario.model_dump(mode="json")))
    assert Scenario.model_validate(resolved) == scenario
    written = scenario.model_dump(mode="json", exclude_unset=True)
    assert Scenario.model_validate(written) == scenario


def test_defaults_are_the_engine_defaults() -> None:
    scenario = scenario_from_text(MINIMAL, "m.yaml")
    params = params_of(scenario.params)
    from sim.engine import EngineParams

    assert params == EngineParams()


MINIMAL = """\
name: minimal
duration: 1d
fleet:
  - {group: g, count: 2, agent_version: "1.40"}
"""


def test_params_map_onto_engine_params_and_direct_stays() -> None:
    text = MINIMAL + """\
params:
  check_period: 10m
  check_jitter: 30s
  install: 2m
  retry_refused: 1h
  catalog_mismatch_extensions: [Microsoft.Compute/CustomScriptExtension]
  paths:
    - {name: pe, capacity: 3, bandwidth: 10MB, latency: 0.5s}
"""
    params = params_of(scenario_from_text(text).params)
    assert (params.check_period_s, params.check_jitter_s, params.install_s) == (600, 30, 120)
    assert params.retry_refused_s == 3_600
    assert params.catalog_mismatch_extensions == (CSE,)
    assert [(p.name, p.capacity, p.bandwidth_bps, p.latency_s) for p in params.paths] == [
        ("direct", 0, 50e6, 1.0), ("pe", 3, 10e6, 0.5)]


def test_json_schema_describes_the_format() -> None:
    schema = Scenario.model_json_schema()
    assert set(schema["required"]) == {"name", "duration", "fleet"}
    assert schema["additionalProperties"] is False
    params = schema["$defs"]["Params"]["properties"]
    assert "R6a" in params["check_period"]["description"]
    assert {"type": "string"} in params["check_period"]["anyOf"]  # "5m" or seconds


@pytest.mark.parametrize(("text", "rate"), [
    (0.01, 0.01), ("1%/day", 0.01), ("1%", 0.01), ("0.5/day", 0.5), ("2.5 % / d", 0.025)])
def test_rates_per_day(text: Any, rate: float) -> None:
    assert parse_rate(text) == pytest.approx(rate)


@pytest.mark.parametrize("text", ["150%", -0.1, "often", True])
def test_bad_rates(text: Any) -> None:
    with pytest.raises(SchemaValueError, match="expected a rate per day in"):
        parse_rate(text)


@pytest.mark.parametrize(("value", "op", "number"), [
    (3, "==", 3.0), (">= 1", ">=", 1.0), ("<0.5", "<", 0.5), ("!= 0", "!=", 0.0),
    ("== -2", "==", -2.0), (" > 1e3 ", ">", 1000.0)])
def test_expected_values(value: Any, op: str, number: float) -> None:
    assert parse_expected(value) == Expected(op, number)


def test_expected_holds() -> None:
    assert Expected(">=", 1).holds(1) and not Expected(">", 1).holds(1)
    assert Expected("==", 0.3).holds(0.1 + 0.2) and Expected("!=", 0).holds(1)
    assert str(Expected(">=", 1.0)) == ">= 1" and str(Expected("<", 0.25)) == "< 0.25"


@pytest.mark.parametrize(("keys", "problems"), [
    ({"install", "role", "at", "window"}, []),
    ({"at"}, [None]),
    ({"install", "delete"}, ["delete"]),
    ({"assign", "target"}, ["target"]),
    ({"auto_upgrade", "window"}, ["window"]),
    ({"remove_locally", "rate", "window"}, []),
    ({"remove_locally", "until"}, ["until"]),
    ({"run", "every", "from", "until", "jitter"}, []),
    ({"run", "every", "at"}, ["at"]),
    ({"run", "from"}, ["from"]),
    ({"unassign", "every", "until"}, []),
    ({"sql_auto_deploy", "every"}, ["every"]),
    ({"sql_auto_deploy", "at"}, ["at"]),
])
def test_entry_keys(keys: set[str], problems: list[str | None]) -> None:
    assert [key for key, _ in entry_problems(keys)] == problems


def test_every_action_has_a_default_actor() -> None:
    from sim.scenario.timeline import DEFAULT_ACTORS

    assert set(DEFAULT_ACTORS) == set(ACTIONS) == {
        name for name in TimelineEntry.model_fields if name in ACTIONS}


def entry(**values: Any) -> TimelineEntry:
    return TimelineEntry.model_validate(values)


@pytest.mark.parametrize(("values", "kind", "checks"), [
    ({"run": ["azcmagent config set guestconfiguration.enabled false"], "at": "1d",
      "window": "2h", "coverage": 0.9, "target": {"group": "g", "share": 0.5}},
     LocalCommands, {"name": "local_admin", "coverage": 0.9, "target": Target("g", 0.5),
                     "timing": Timing(at=DAY, window=7_200.0), "override": False}),
    ({"install": CSE, "role": "contributor", "actor": "dev", "settings": "echo",
      "version": "1.10"},
     CloudRequest, {"name": "dev", "role": "Contributor", "operation": "install",
                    "extension": CSE, "settings": "echo", "version": "1.10"}),
    ({"delete": CSE}, CloudRequest, {"name": "cloud_admin", "operation": "delete",
                                     "role": "Owner"}),
    ({"remove_locally": "ALL", "rate": "1%/day"},
     LocalRemoval, {"extension": None, "timing": Timing(rate=0.01, until=10 * DAY)}),
    ({"remove_locally": AMA, "rate": 0.02, "at": "1d", "until": "3d"},
     LocalRemoval, {"extension": AMA, "timing": Timing(at=DAY, rate=0.02, until=3 * DAY)}),
    ({"guest_config": ["azcmagent config set extensions.allowlist \"A/B\""]},
     GuestConfigTamper, {"name": "guest_config", "override": True}),
    ({"agent_update": "1.45", "window": "1d"}, AgentUpdate, {"version": "1.45"}),
    ({"monitor_list": {"add": [AMA]}}, MonitorListUpdate,
     {"name": "Microsoft", "add_extensions": (AMA,)}),
    ({"auto_upgrade": {"extension": AMA, "version": "2.0", "critical": True, "retry": "2h"},
      "at": "3d"},
     AutoUpgrade, {"at": 3 * DAY, "critical": True, "retry_s": 7_200.0, "window": None,
                   "name": "Azure Regional Service Manager"}),
    ({"sql_auto_deploy": {"every": "12h"}}, SqlAutoDeploy,
     {"period": 43_200.0, "first": 3_600.0}),
    ({"unassign": "deny", "at": "2d", "role": "Reader"}, PolicyAdmin,
     {"name": "policy_admin", "action": "unassign", "assignment": "deny", "at": 2 * DAY,
      "role": "Reader"}),
    ({"exempt": {"assignment": "deny", "expires_after": "1d", "scope": "g",
                 "category": "Mitigated"}},
     PolicyAdmin, {"action": "exempt", "expires_after": DAY, "scope": "g",
                   "category": "Mitigated"}),
])
def test_each_entry_builds_its_engine_actor(values: dict[str, Any], kind: type,
                                            checks: dict[str, Any]) -> None:
    (actor,) = actors_of(entry(**values), duration=10 * DAY)
    assert type(actor) is kind
    for name, expected in checks.items():
        assert getattr(actor, name) == expected, name


def test_a_deploy_policy_assigned_later_gets_its_remediation_then() -> None:
    policy = {"name": "ama-dine", "deploy": {"windows": AMA},
              "remediation": {"every": "12h", "first": "1h"}}
    admin, remediation = actors_of(entry(assign=policy, at="2d", actor="secops"), 10 * DAY)
    assert isinstance(admin, PolicyAdmin) and admin.rule is not None
    assert (admin.name, admin.at, admin.rule.effect) == ("secops", 2 * DAY, "deployifnotexists")
    assert isinstance(remediation, Remediation)
    assert (remediation.name, remediation.period, remediation.first) == (
        "ama-dine-remediation", 43_200.0, 2 * DAY + 3_600.0)


@pytest.mark.parametrize(("policy", "effect", "denied"), [
    ({"deny": ["Microsoft.Cplat.Core/RunCommandHandler*"]}, "deny",
     {"Microsoft.Cplat.Core/RunCommandHandlerLinux": True, AMA: False}),
    ({"audit": [CSE]}, "audit", {CSE: True, AMA: False}),
    ({"allow_only": [AMA]}, "deny", {CSE: True, AMA: False}),
])
def test_r26_policies_map_onto_engine_rules(policy: dict[str, Any], effect: str,
                                            denied: dict[str, bool]) -> None:
    from sim.rules.identity import ExtensionId

    text = MINIMAL + "policies:\n  - " + json.dumps({"name": "p", **policy}) + "\n"
    world = build_world(scenario_from_text(text))
    world.run(1.0)
    (assignment,) = book_of(world, "test").assignments.values()
    assert assignment.rule.effect == effect
    assert {name: assignment.rule.matches(ExtensionId.parse(name)) for name in denied} == denied


def test_a_timeline_action_is_one_registry_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """Schema field, allowed modifiers, default actor and builder all come from the action's
    row in ACTIONS: nothing else lists the actions."""
    from dataclasses import replace

    from sim.scenario.timeline import DEFAULT_ACTORS

    schema = TimelineEntry.model_json_schema()["properties"]
    for key, row in ACTIONS.items():
        assert schema[key]["description"] == row.description
        assert DEFAULT_ACTORS[key] == row.actor
    built: list[str] = []

    def build(entry: Any, _build: Any, actor: str) -> list[Any]:
        built.append(f"{entry.action} by {actor}")
        return []

    monkeypatch.setitem(ACTIONS, "delete", replace(ACTIONS["delete"], build=build,
                                                   actor="janitor"))
    build_world(scenario_from_text(MINIMAL + f"timeline:\n  - {{at: 1h, delete: {CSE}}}\n"))
    assert built == ["delete by janitor"]
    monkeypatch.setitem(ACTIONS, "delete", replace(ACTIONS["delete"],
                                                   takes=frozenset({"at", "coverage"})))
    assert [k for k, _ in entry_problems({"delete", "at", "role"})] == ["role"]
