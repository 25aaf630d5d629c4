"""How fast ``arcsim lint`` reads a long script: a runbook of N lines (agent calls, comments,
other commands), a PowerShell script and a bash script of the same size, on one agent version
and on a range of six.

Run: ``.venv/bin/python benchmarks/lint.py [LINES]`` (default 9,000). Prints seconds; asserts
nothing.
"""

from __future__ import annotations

import sys
import time

from sim.rules.lint import lint

AMA = "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent"
BLOCKS = {
    "runbook.txt": [
        "# lock the server down",
        f'azcmagent config set extensions.allowlist "{AMA}"',
        "azcmagent config set guestconfiguration.enabled false",
        "azcmagent show -j",
        "azcmagent config set extensions.blocklist --add Microsoft.Compute/CustomScriptExtension",
        "azcmagent config list",
    ],
    "hardening.ps1": [
        '$agent = "$env:ProgramW6432\\AzureConnectedMachineAgent\\azcmagent.exe"',
        f'& $agent config set extensions.allowlist "{AMA}" # AMA only',
        'Write-Host "guest configuration off"',
        "& $agent config set `",
        "    guestconfiguration.enabled false",
        "<# checked below #> & $agent config list -j | ConvertFrom-Json | Out-Null",
    ],
    "hardening.sh": [
        "set -euo pipefail",
        f"sudo azcmagent config set extensions.allowlist '{AMA}'",
        'echo "guest configuration off"',
        "sudo azcmagent config set \\",
        "    guestconfiguration.enabled false",
        "if sudo azcmagent config get config.mode | grep -q full; then echo ok; fi",
    ],
}


def seconds(text: str, name: str, versions: list[str]) -> float:
    """Best of three: seconds to lint ``text`` on ``versions``."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        lint(text, name=name, agent_versions=versions)
        best = min(best, time.perf_counter() - start)
    return best


def main(lines: int = 9_000) -> None:
    for name, block in BLOCKS.items():
        text = "\n".join(block * (lines // len(block)))
        one = seconds(text, name, ["1.58"])
        six = seconds(text, name, ["1.30", "1.31", "1.35", "1.39", "1.43", "1.58"])
        print(f"{name:<14} {lines:>7,} lines  one version {one:6.2f} s   six versions {six:6.2f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 9_000)
