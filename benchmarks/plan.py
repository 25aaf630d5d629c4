"""``sim.plan`` on 10^5 machines: seconds to plan, and to write the JSON and the CSV.

Two fleets of 100,000 machines: ``benchmarks/fleet-month.yaml`` at a tenth (4 groups on three
agent versions each, 4 extensions on average), and a fleet shaped like an imported export
(2,000 groups of 50 machines, each with its own agent version, extensions and configuration).
The lockdown is an allowlist of the monitoring agents and guest configuration disabled.

Run: ``.venv/bin/python benchmarks/plan.py [MACHINES] [REPEATS]``. Prints seconds; asserts
nothing.
"""

from __future__ import annotations

import io
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sim
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parent.parent
LOCKDOWN = [
    'azcmagent config set extensions.allowlist "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent,'
    'Microsoft.Azure.Monitor/AzureMonitorLinuxAgent,'
    'Microsoft.Azure.AzureDefenderForServers/MDE.Windows,'
    'Microsoft.Azure.AzureDefenderForServers/MDE.Linux"',
    "azcmagent config set guestconfiguration.enabled false",
]
_EXTENSIONS = {
    "windows": ["Microsoft.Azure.Monitor/AzureMonitorWindowsAgent",
                "Microsoft.Azure.Monitoring.DependencyAgent/DependencyAgentWindows",
                "Microsoft.Azure.AzureDefenderForServers/MDE.Windows",
                "Microsoft.EnterpriseCloud.Monitoring/MicrosoftMonitoringAgent",
                "Microsoft.Compute/CustomScriptExtension"],
    "linux": ["Microsoft.Azure.Monitor/AzureMonitorLinuxAgent",
              "Microsoft.Azure.Monitoring.DependencyAgent/DependencyAgentLinux",
              "Microsoft.Azure.AzureDefenderForServers/MDE.Linux",
              "Microsoft.Azure.Extensions/CustomScript"],
}
_CONFIGS = ([], ['azcmagent config set extensions.blocklist "Microsoft.Compute/'
                 'CustomScriptExtension"'], ["azcmagent config set config.mode monitor"])


def fleet_month(machines: int) -> Scenario:
    """The benchmark month's fleet, scaled to ``machines``."""
    return load_scenario(ROOT / "benchmarks" / "fleet-month.yaml", scale=machines / 1_000_000)


def imported_like(machines: int, per_group: int = 50, seed: int = 1) -> Scenario:
    """Groups of ``per_group`` alike machines, as ``arcsim import`` collapses an export."""
    draw = random.Random(seed)
    groups: list[dict[str, Any]] = []
    for i in range(max(1, machines // per_group)):
        os = draw.choice(["windows", "linux"])
        groups.append({
            "group": f"rg-{i:04d}-{os}", "count": per_group, "os": os,
            "agent_version": draw.choice(["1.12", "1.30", "1.39", "1.45", "1.58"]),
            "region": draw.choice(["westeurope", "eastus"]),
            "extensions": draw.sample(_EXTENSIONS[os], draw.randint(1, 4)),
            "commands": draw.choice(_CONFIGS)})
    return Scenario.model_validate({"name": "imported-like", "duration": "1d",
                                    "fleet": groups})


def timed(label: str, fleet: Scenario, repeats: int) -> None:
    """Plan ``fleet`` ``repeats`` times; print the median seconds of each phase."""
    phases: dict[str, list[float]] = {"plan": [], "json": [], "csv": []}
    for _ in range(repeats):
        start = time.perf_counter()
        made = sim.plan(fleet, LOCKDOWN)
        planned = time.perf_counter()
        made.write_json(io.StringIO())
        written = time.perf_counter()
        with tempfile.TemporaryDirectory() as folder:
            made.write_csv(Path(folder) / "plan.csv")
        done = time.perf_counter()
        phases["plan"].append(planned - start)
        phases["json"].append(written - planned)
        phases["csv"].append(done - written)
    medians = "  ".join(f"{k} {statistics.median(v):.2f} s" for k, v in phases.items())
    print(f"{label:<44} {made.machine_count:>9,} machines  {len(made.verdicts):>9,} rows  "
          f"{medians}  (median of {repeats}; plan each: "
          + ", ".join(f"{t:.2f}" for t in phases["plan"]) + ")")


def main(machines: int = 100_000, repeats: int = 3) -> None:
    timed("fleet-month (4 groups x 3 agent versions)", fleet_month(machines), repeats)
    timed("imported-like (groups of 50)", imported_like(machines), repeats)


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
