"""Decisions per second: :meth:`Controls.decide` (compiled) and :func:`decide` (cached).

Run: ``.venv/bin/python benchmarks/decisions.py [ROUNDS]``. Prints rates; asserts nothing.
"""

from __future__ import annotations

import itertools
import sys
import time
from collections.abc import Callable

from sim.rules import (
    BUILTIN,
    AgentConfig,
    ExtensionId,
    Operation,
    apply_all,
    compile_controls,
    decide,
)

RUNBOOKS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("fresh", ()),
    ("ama-only", ('azcmagent config set extensions.allowlist '
                  '"Microsoft.Azure.Monitor/AzureMonitorLinuxAgent"',
                  "azcmagent config set guestconfiguration.enabled false")),
    ("blocklist", ('azcmagent config set extensions.blocklist "Microsoft.Compute/'
                   'CustomScriptExtension,Microsoft.Azure.Extensions/CustomScript"',)),
    ("allow-none", ('azcmagent config set extensions.allowlist "Allow/None"',)),
    ("monitor", ("azcmagent config set config.mode monitor",)),
    ("disabled", ("azcmagent config set extensions.enabled false",)),
)


def configs() -> list[AgentConfig]:
    """One configuration per runbook, on a recent agent."""
    return [apply_all(list(lines), AgentConfig.fresh("1.58")).config for _, lines in RUNBOOKS]


def extensions() -> list[ExtensionId]:
    """Every catalogue extension plus a few unknown ones."""
    unknown = [ExtensionId.parse(f"Contoso/Widget{i}") for i in range(4)]
    return [e.id for e in BUILTIN] + unknown


def rate(label: str, calls: int, body: Callable[[], None]) -> None:
    """Time ``body`` (which makes ``calls`` decisions) and print decisions per second."""
    start = time.perf_counter()
    body()
    elapsed = time.perf_counter() - start
    print(f"{label:<34} {calls:>10,} decisions  {calls / elapsed:>14,.0f} /s")


def main(rounds: int = 20) -> None:
    cases = list(itertools.product(configs(), list(Operation), extensions()))
    compiled = [(compile_controls(c), op, ext.key) for c, op, ext in cases]
    names = [(op.value, ext.name, c) for c, op, ext in cases]
    calls = rounds * len(cases)
    print(f"{len(RUNBOOKS)} configurations x {len(Operation)} operations x "
          f"{len(extensions())} extensions, {rounds} rounds")

    def run_controls() -> None:
        for _ in range(rounds):
            for controls, op, key in compiled:
                controls.decide(op, key)

    def run_decide() -> None:
        for _ in range(rounds):
            for c, op, ext in cases:
                decide(op, ext, c)

    def run_decide_text() -> None:
        for _ in range(rounds):
            for op_text, name, c in names:
                decide(op_text, name, c)

    rate("Controls.decide (compiled)", calls, run_controls)
    rate("decide (ExtensionId, cached)", calls, run_decide)
    rate("decide (text names, parsed)", calls, run_decide_text)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
