"""Agent versions and the features each brings (spec R30; R8, R15, R6, R19, R22)."""

from __future__ import annotations

import pytest

from sim.errors import ArcsimError
from sim.rules import (
    AgentConfig,
    AgentVersion,
    CommandError,
    ErrorCode,
    Feature,
    LocalState,
    apply,
    apply_all,
    has,
)
from sim.rules.catalogue import default_monitor_list
from sim.rules.versions import VersionError

AMA = "Microsoft.Azure.Monitor/AzureMonitorLinuxAgent"


def outcome(lines: list[str], version: str) -> ErrorCode | None:
    """None when every line is accepted on an agent of ``version``, else the refusal code."""
    state = LocalState(AgentConfig.fresh(version), service_running=False)
    try:
        apply_all(lines, state)
    except CommandError as exc:
        return exc.code
    return None


# --- parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("1.58.03228.700", AgentVersion(1, 58)),
    ("1.35", AgentVersion(1, 35)),
    (" 1.16 ", AgentVersion(1, 16)),
    ("1.10", AgentVersion(1, 10)),
    ("2.0.1", AgentVersion(2, 0)),
])
def test_r30_version_parsing(text: str, expected: AgentVersion) -> None:
    assert AgentVersion.parse(text) == expected


@pytest.mark.parametrize("text", ["", "1", "v1.35", "1.x", "one.two", "1..3", "1.35-beta"])
def test_r30_bad_version_is_refused_with_the_value(text: str) -> None:
    with pytest.raises(VersionError, match=r'expected an agent version like "1\.35"') as caught:
        AgentVersion.parse(text)
    assert isinstance(caught.value, ArcsimError)
    assert f'got "{text}"' in str(caught.value)


def test_r30_versions_order_numerically() -> None:
    assert AgentVersion.parse("1.9") < AgentVersion.parse("1.10") < AgentVersion.parse("1.100")
    assert str(AgentVersion.parse("1.58.03228.700")) == "1.58"
    assert AgentVersion.parse(AgentVersion(1, 2)) == AgentVersion(1, 2)


@pytest.mark.parametrize(("feature", "since"), [
    (Feature.PUSH_NOTIFICATIONS, "1.13"), (Feature.LOCAL_CONTROLS, "1.16"),
    (Feature.EXTENSIONS_SWITCH, "1.17"), (Feature.MONITOR_MODE, "1.18"),
    (Feature.KEEP_LISTS_ON_FULL, "1.22"), (Feature.ALLOW_NONE, "1.35"),
    (Feature.EXTENSION_CLI, "1.39"),
])
def test_r30_feature_versions(feature: Feature, since: str) -> None:
    first = AgentVersion.parse(since)
    assert feature.since == first
    assert has(first, feature)
    assert not has(AgentVersion(first.major, first.minor - 1), feature)


# --- gates, one version below and at the version that brings the feature ---------------------

GATES = [
    pytest.param([f"azcmagent config set extensions.allowlist {AMA}"], "1.15", "1.16",
                 ErrorCode.KEY_UNAVAILABLE, id="allowlist-1.16"),
    pytest.param([f"azcmagent config set extensions.blocklist {AMA}"], "1.15", "1.16",
                 ErrorCode.KEY_UNAVAILABLE, id="blocklist-1.16"),
    pytest.param(["azcmagent config set guestconfiguration.enabled false"], "1.15", "1.16",
                 ErrorCode.KEY_UNAVAILABLE, id="guestconfiguration-1.16"),
    pytest.param(["azcmagent config set extensions.enabled false"], "1.16", "1.17",
                 ErrorCode.KEY_UNAVAILABLE, id="extensions.enabled-1.17"),
    pytest.param(["azcmagent config set config.mode monitor"], "1.17", "1.18",
                 ErrorCode.KEY_UNAVAILABLE, id="config.mode-1.18"),
    pytest.param(['azcmagent config set extensions.allowlist "Allow/None"'], "1.34", "1.35",
                 ErrorCode.ALLOW_NONE_UNSUPPORTED, id="allow-none-1.35"),
    pytest.param(["azcmagent extension list"], "1.38", "1.39",
                 ErrorCode.UNKNOWN_COMMAND, id="extension-list-1.39"),
    pytest.param(["azcmagent extension remove --all"], "1.38", "1.39",
                 ErrorCode.UNKNOWN_COMMAND, id="extension-remove-1.39"),
]


@pytest.mark.parametrize(("lines", "before", "since", "refusal"), GATES)
def test_r30_version_gate(lines: list[str], before: str, since: str,
                          refusal: ErrorCode) -> None:
    assert outcome(lines, before) is refusal
    assert outcome(lines, since) is None


def test_r30_gate_messages_name_the_needed_version() -> None:
    with pytest.raises(CommandError, match=r"requires agent 1\.17 or later") as caught:
        apply("azcmagent config set extensions.enabled false", AgentConfig.fresh("1.16"))
    assert caught.value.rule == "R30"


@pytest.mark.parametrize(("version", "kept"), [("1.21", False), ("1.22", True)])
def test_r30_mode_switch_retention_1_21_vs_1_22(version: str, kept: bool) -> None:
    config = apply_all(["azcmagent config set config.mode monitor",
                        "azcmagent config set config.mode full"],
                       AgentConfig.fresh(version)).config
    expected = default_monitor_list(config.version) if kept else ()
    assert config.allowlist == expected
    assert config.blocklist == ()


def test_r30_monitor_list_exists_from_1_18_and_grows() -> None:
    assert default_monitor_list(AgentVersion.parse("1.17")) == ()
    at_18 = default_monitor_list(AgentVersion.parse("1.18"))
    at_24 = default_monitor_list(AgentVersion.parse("1.24"))
    assert at_18
    assert set(at_18) < set(at_24)


def test_r30_agent_update_keeps_local_configuration() -> None:
    config = apply(f"azcmagent config set extensions.allowlist {AMA}",
                   AgentConfig.fresh("1.20")).state.config
    updated = config.with_version(AgentVersion.parse("1.40"))
    assert updated.allowlist == config.allowlist
    assert updated.version == AgentVersion(1, 40)
