"""Where a rule id (R1-R30) is explained: ``docs/rules.md`` in arcsim's repository.

Every output that names a rule (a decision of ``arcsim explain``, a lint finding, the report's
headline numbers) can point at the rule's section with :func:`rule_link`: ``docs/rules.md#r13``.
Each section there says the rule in words, its sources, the parameters that stand for what
the sources leave open, and the modules and tests that carry it out.
"""

from __future__ import annotations

import re
from typing import Final

RULES_DOC: Final = "docs/rules.md"
"""The rules reference, relative to the repository's root."""

RULE_IDS: Final = (
    "R1", "R2", "R3", "R4", "R5", "R6", "R6a", "R6b", "R6c", "R7", "R8", "R8a", "R9", "R10",
    "R11", "R12", "R13", "R14", "R15", "R16", "R17", "R18", "R19", "R20", "R21", "R22", "R23",
    "R24", "R25", "R26", "R27", "R28", "R29", "R30",
)
"""Every rule id, in the order of the rules reference."""

REASON_RULES: Final = {
    "not_on_allowlist": "R13", "on_blocklist": "R13", "allow_none": "R15",
    "monitor_mode": "R19", "manager_disabled": "R23", "policy_deny": "R26",
}
"""The rule behind each reason a blocked operation can have (the spec's reason names)."""

_RULE = re.compile(r"R\d+[a-c]?")


def rule_link(rule: str) -> str:
    """``docs/rules.md#r13`` for ``"R13"``; the reference itself for a text that is not one
    rule id (``""``, ``"R9-R15"``)."""
    rule = rule.strip()
    return f"{RULES_DOC}#{rule.lower()}" if rule in RULE_IDS else RULES_DOC


def rules_in(text: str) -> list[str]:
    """The rule ids named in ``text``, in order, each once (``"R9-R15, R19"`` -> R9, R15,
    R19)."""
    found = [r for r in _RULE.findall(text) if r in RULE_IDS]
    return list(dict.fromkeys(found))


__all__ = ["REASON_RULES", "RULES_DOC", "RULE_IDS", "rule_link", "rules_in"]
