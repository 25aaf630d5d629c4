"""Invariants of the rules layer, checked with Hypothesis (spec R8a, R13, R15, R19)."""

from __future__ import annotations

from dataclasses import replace

import strategies as s
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.errors import ArcsimError
from sim.rules import (
    ALLOW_NONE,
    AgentConfig,
    AgentVersion,
    CommandError,
    ExtensionId,
    LocalState,
    Mode,
    Operation,
    apply,
    compile_controls,
    decide,
    parse,
)
from sim.rules.config import KEYS

CHANGES = [Operation.INSTALL, Operation.UPDATE, Operation.UPGRADE]
FIELD = {
    "extensions.allowlist": "allowlist", "extensions.blocklist": "blocklist",
    "extensions.enabled": "extensions_enabled",
    "guestconfiguration.enabled": "guest_configuration_enabled", "config.mode": "mode",
    "incomingconnections.enabled": "incoming_connections_enabled",
}
"""The keys held in AgentConfig's own fields; the others (proxy, ports, CPU limits...) are in
its ``settings`` and compared by the value ``config get`` prints."""
MANY = settings(max_examples=200)


@given(s.agent_configs(), s.extension_ids())
def test_r13_delete_always_allowed(config: AgentConfig, ext: ExtensionId) -> None:
    assert decide(Operation.DELETE, ext, config).allowed


@given(s.agent_configs(), s.extension_ids(), st.sampled_from(CHANGES))
def test_r13_nothing_on_the_effective_blocklist_is_allowed(
    config: AgentConfig, ext: ExtensionId, operation: Operation
) -> None:
    blocking = replace(config, blocklist=(*config.blocklist, ext))
    if ext in blocking.effective_blocklist:
        assert not decide(operation, ext, blocking).allowed
    for listed in config.effective_blocklist:
        assert not decide(operation, listed, config).allowed


@given(s.agent_configs(), s.extension_ids(), st.sampled_from(CHANGES))
def test_r13_with_an_allowlist_nothing_off_it_is_allowed(
    config: AgentConfig, ext: ExtensionId, operation: Operation
) -> None:
    if config.effective_allowlist and ext not in config.effective_allowlist:
        assert not decide(operation, ext, config).allowed


@given(s.agent_configs(), s.extension_ids(), st.sampled_from(CHANGES))
def test_r15_allow_none_allows_no_install_update_upgrade(
    config: AgentConfig, ext: ExtensionId, operation: Operation
) -> None:
    locked = replace(config, allowlist=(ALLOW_NONE,), mode=Mode.FULL)
    assert not decide(operation, ext, locked).allowed


@given(s.agent_configs(), s.extension_ids(), st.sampled_from(list(Operation)))
def test_r13_compiled_controls_agree_with_decide(
    config: AgentConfig, ext: ExtensionId, operation: Operation
) -> None:
    assert compile_controls(config).decide(operation, ext.key) == decide(operation, ext, config)


@given(s.agent_configs())
def test_r15_reachable_allow_none_is_alone_and_recent(config: AgentConfig) -> None:
    if config.is_allow_none:
        assert config.allowlist == (ALLOW_NONE,)
        assert config.version >= AgentVersion.parse("1.35")


@MANY
@given(st.integers(18, 60), st.sampled_from(s.LIST_KEY_NAMES),
       st.lists(s.extension_names(), min_size=1, max_size=5))
def test_r8a_set_then_get_round_trips_a_list(minor: int, key: str, names: list[str]) -> None:
    config = AgentConfig.fresh(AgentVersion(1, minor))
    after = apply(f'azcmagent config set {key} "{",".join(names)}"', config).state
    got = apply(f"azcmagent config get {key}", after).output
    expected = list(dict.fromkeys(ExtensionId.parse(n) for n in names))
    assert got == "[" + " ".join(e.name for e in expected) + "]"


@given(st.integers(18, 60), st.sampled_from(s.BOOL_KEY_NAMES), st.booleans())
def test_r8a_set_then_get_round_trips_a_bool(minor: int, key: str, value: bool) -> None:
    config = AgentConfig.fresh(AgentVersion(1, minor))
    text = "true" if value else "false"
    after = apply(f"azcmagent config set {key} {text}", config).state
    assert apply(f"azcmagent config get {key}", after).output == text


@MANY
@given(s.agent_configs(), st.sampled_from([k.name for k in KEYS]))
def test_r8a_clear_restores_the_default(config: AgentConfig, key: str) -> None:
    try:
        cleared = apply(f"azcmagent config clear {key}", config).state.config
    except CommandError:
        return
    fresh = AgentConfig.fresh(config.version)
    if key in FIELD:
        assert getattr(cleared, FIELD[key]) == getattr(fresh, FIELD[key])
    else:
        assert cleared.value_text(key) == fresh.value_text(key)


@MANY
@given(s.command_lines(), s.agent_configs(), st.lists(s.extension_ids(), max_size=3),
       st.booleans())
def test_r8a_random_command_lines_raise_only_command_error(
    line: str, config: AgentConfig, installed: list[ExtensionId], running: bool
) -> None:
    state = LocalState(config, tuple(installed), running)
    try:
        applied = apply(line, state)
    except CommandError as exc:
        assert isinstance(exc, ArcsimError)
        assert exc.message
        return
    assert isinstance(applied.output, str)


@MANY
@given(s.command_lines())
def test_r8a_parse_raises_only_command_error(line: str) -> None:
    try:
        parse(line)
    except CommandError as exc:
        assert str(exc).startswith("Error: ")
