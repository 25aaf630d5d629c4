"""The run's name tables (:mod:`sim.engine.tables`): interning and the per-configuration
caches behind every decision."""

from __future__ import annotations

from sim.engine.tables import Tables
from sim.rules.commands import config_after, parse
from sim.rules.config import AgentConfig
from sim.rules.decision import Operation, compile_controls

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
