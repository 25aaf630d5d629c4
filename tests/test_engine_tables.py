"""The run's name tables (:mod:`sim.engine.tables`): interning and the per-configuration
caches behind every decision."""

from __future__ import annotations

import pytest
from helpers import AMA, CSE, MMA, allowlist, blocklist
from hypothesis import given, settings
from strategies import CATALOGUE_NAMES, agent_configs

from sim.engine.tables import Tables
from sim.rules.commands import config_after, parse
from sim.rules.config import AgentConfig
from sim.rules.decision import Operation, compile_controls, decide

INSTALL = 0


def test_decisions_of_many_extensions_never_share_a_cache_entry() -> None:
    """A fleet may know more than a thousand extensions (a scenario's catalogue, an inventory
    import): the decision of one configuration on extension 1,024 + k is not the cached
    decision of the next configuration on extension k."""
    tables = Tables(["g"], ["direct"])
    for n in range(1100):
        tables.extension(f"Contoso.Tools/Tool{n}")
    fresh = AgentConfig.fresh("1.40")
    allow_first = config_after(parse('azcmagent config set extensions.allowlist '
                                     '"Contoso.Tools/Tool5"'), fresh)
    open_config, locked = tables.intern(fresh), tables.intern(allow_first)
    assert locked == open_config + 1
    assert tables.decision(locked, 5, INSTALL)[0] is True
    assert tables.decision(locked, 6, INSTALL)[0] is False  # not on the allowlist
    x = 1024 + 6
    expected = compile_controls(fresh).decide(Operation.INSTALL, tables.ext_ids[x].key)
    assert tables.decision(open_config, x, INSTALL)[0] is expected.allowed is True


# --- R17: which configuration changes lower a protection --------------------------------------

_MONITOR = "azcmagent config set config.mode monitor"


def _config(*lines: str, version: str = "1.45") -> AgentConfig:
    config = AgentConfig.fresh(version)
    for line in lines:
        config = config_after(parse(line), config)
    return config


def _lowers(before: AgentConfig, after: AgentConfig) -> bool:
    tables = Tables(["g"], ["direct"])
    return tables.lowers(tables.intern(before), tables.intern(after))


@pytest.mark.parametrize(("before", "after", "lowers"), [
    ((), (allowlist(AMA, MMA),), False),                        # a first allowlist
    ((allowlist(AMA, MMA),), (allowlist(AMA),), False),         # narrowed
    ((allowlist(AMA),), (allowlist(AMA, MMA),), True),          # widened
    ((allowlist(AMA),), ("azcmagent config clear extensions.allowlist",), True),
    ((blocklist(CSE),), (allowlist(AMA),), False),              # blocklist -> allowlist
    ((allowlist(AMA),), (blocklist(CSE),), True),               # allowlist -> blocklist
    ((blocklist(CSE, MMA),), (blocklist(CSE),), True),          # a blocked one let in
    ((blocklist(CSE),), (blocklist(CSE, MMA),), False),
    ((allowlist(AMA),), (allowlist("Allow/None"),), False),     # Allow/None (R15)
    ((allowlist("Allow/None"),), (allowlist(AMA),), True),
    ((), ("azcmagent config set extensions.enabled false",), False),
    (("azcmagent config set extensions.enabled false", allowlist("Allow/None")),
     ("azcmagent config set extensions.enabled true", allowlist("Allow/None")), True),
    ((_MONITOR,), ("azcmagent config set config.mode full",
                   "azcmagent config set guestconfiguration.enabled false"), True),
    (("azcmagent config set guestconfiguration.enabled false",),
     ("azcmagent config set guestconfiguration.enabled true",), True),
    (("azcmagent config set guestconfiguration.enabled true",),
     ("azcmagent config set guestconfiguration.enabled false",), False),
    ((allowlist(AMA),), (allowlist(AMA),), False),              # nothing changed
], ids=["first-allowlist", "allowlist-narrowed", "allowlist-widened", "allowlist-cleared",
        "blocklist-to-allowlist", "allowlist-to-blocklist", "blocked-one-let-in",
        "blocklist-grown", "allow-none-set", "allow-none-lifted", "manager-disabled",
        "manager-enabled", "monitor-mode-left", "guest-configuration-on",
        "guest-configuration-off", "unchanged"])
def test_r17_a_change_lowers_a_protection_only_when_it_lets_more_in_or_opens_a_path(
        before: tuple[str, ...], after: tuple[str, ...], lowers: bool) -> None:
    assert _lowers(_config(*before), _config(*after)) is lowers


_UNIVERSE = tuple(dict.fromkeys((AMA, MMA, CSE, "Contoso/InventoryAgent", *CATALOGUE_NAMES)))


@settings(max_examples=150, deadline=None)
@given(agent_configs(), agent_configs())
def test_r17_a_change_that_lets_in_an_extension_refused_before_lowers_a_protection(
        before: AgentConfig, after: AgentConfig) -> None:
    """Law: if ``after`` allows an install that ``before`` refused, the change lowers a
    protection; a change that lowers none allows nothing ``before`` refused."""
    names = {e.name for e in (*before.allowlist, *before.blocklist, *before.monitor_allowlist,
                              *after.allowlist, *after.blocklist, *after.monitor_allowlist)}
    let_in = [name for name in (*_UNIVERSE, *sorted(names))
              if decide(Operation.INSTALL, name, after).allowed
              and not decide(Operation.INSTALL, name, before).allowed]
    if let_in:
        assert _lowers(before, after)
    assert not _lowers(before, before)
