"""Importing a large Arc inventory export: seconds and peak memory per format (issue 8).

Generates an export of N machines (default 100 000) with their extensions in each format
arcsim reads, then times, in a fresh subprocess per format (so each peak memory is its own),
what ``arcsim import FILES --out fleet.yaml`` does: read and assemble the inventory
(``load_inventory``), collapse it into groups (``convert_inventory``), write the fleet file,
and the summary. Prints a table (wall seconds per phase, CPU seconds in all, peak memory, the
1-minute load average: on a busy machine CPU seconds are the steadier figure); asserts
nothing.

Run: ``.venv/bin/python benchmarks/inventory_import.py [--machines 100000] [--formats arm cli
arg-json arg-csv] [--keep DIR] [--json FILE]``; a smoke run: ``--machines 2000``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SUB = "00000000-1111-2222-3333-{:012d}"
MACHINE = "Microsoft.HybridCompute/machines"
EXTENSION = f"{MACHINE}/extensions"
FORMATS = ("arm", "cli", "arg-json", "arg-csv")
VERSIONS = ("1.30.02313.864", "1.40.02664.1629", "1.45.02800.1", "1.58.03228.700")
REGIONS = ("westeurope", "eastus", "southeastasia")
CONFIGS: tuple[dict[str, Any] | None, ...] = (
    None,
    {"configMode": "full", "extensionsAllowList": [
        {"publisher": "Microsoft.Azure.Monitor", "type": "AzureMonitorWindowsAgent"}],
     "extensionsEnabled": "true", "guestConfigurationEnabled": "false"},
    {"configMode": "full", "extensionsBlockList": [
        {"publisher": "Microsoft.Compute", "type": "CustomScriptExtension"}],
     "extensionsEnabled": "true", "guestConfigurationEnabled": "true"},
    {"configMode": "monitor", "extensionsEnabled": "true", "guestConfigurationEnabled": "true"},
)
EXTENSIONS = {
    "Windows": (("Microsoft.Azure.Monitor", "AzureMonitorWindowsAgent", "1.22.0.0"),
                ("Microsoft.Azure.AzureDefenderForServers", "MDE.Windows", "1.0.9.5"),
                ("Microsoft.SoftwareUpdateManagement", "WindowsOsUpdateExtension", "1.0.20.0"),
                ("Microsoft.Azure.ChangeTrackingAndInventory", "ChangeTracking-Windows",
                 "2.20.0.0")),
    "Linux": (("Microsoft.Azure.Monitor", "AzureMonitorLinuxAgent", "1.29.7"),
              ("Microsoft.Azure.AzureDefenderForServers", "MDE.Linux", "1.0.5.0"),
              ("Microsoft.SoftwareUpdateManagement", "LinuxOsUpdateExtension", "1.0.9.0"),
              ("Microsoft.Azure.ChangeTrackingAndInventory", "ChangeTracking-Linux", "2.20.0.0")),
}
RESOURCE_GROUPS = 40


# --- generating an export ------------------------------------------------------------------


def resources(machines: int, seed: int = 1) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """ARM-shaped machine and extension resources. As in a real estate, machines of one
    resource group share a set-up (OS, region, local configuration, extensions, mostly one
    agent version); 15 % run another agent version, 10 % are not Connected, 2 % of the
    extensions Failed, 5 % of the machines run SQL Server."""
    rng = random.Random(seed)
    setups = [(rng.choice(("Windows", "Windows", "Linux")), rng.choice(REGIONS),
               rng.choice(CONFIGS), rng.randint(0, 4), rng.choice(VERSIONS))
              for _ in range(RESOURCE_GROUPS)]
    found, extensions = [], []
    for i in range(machines):
        os_type, region, config, n_ext, version = setups[i % RESOURCE_GROUPS]
        rid = (f"/subscriptions/{SUB.format(i % 4)}/resourceGroups/rg-{i % RESOURCE_GROUPS:02d}/"
               f"providers/{MACHINE}/srv{i:06d}")
        found.append({
            "id": rid, "name": f"srv{i:06d}", "location": region, "type": MACHINE,
            "tags": {"owner": f"team{i % 13}"} if rng.random() < 0.5 else None,
            "properties": {
                "osType": os_type, "osName": os_type.lower(), "provisioningState": "Succeeded",
                "status": rng.choices(("Connected", "Disconnected", "Expired"), (90, 7, 3))[0],
                "agentVersion": version if rng.random() < 0.85 else rng.choice(VERSIONS),
                "agentConfiguration": config,
                "detectedProperties": {"mssqldiscovered": str(rng.random() < 0.05).lower()}}})
        for publisher, type_, ext_version in EXTENSIONS[os_type][:n_ext]:
            extensions.append({
                "id": f"{rid}/extensions/{type_}", "name": type_, "type": EXTENSION,
                "location": region, "properties": {
                    "publisher": publisher, "type": type_, "typeHandlerVersion": ext_version,
                    "provisioningState": "Succeeded" if rng.random() < 0.98 else "Failed",
                    "enableAutomaticUpgrade": True}})
    return found, extensions


def write_export(fmt: str, machines: int, folder: Path) -> list[Path]:
    """The export files of ``fmt`` for ``machines`` machines, in ``folder``."""
    found, extensions = resources(machines)
    if fmt == "arm":
        pages = [{"value": found[i:i + 1000], "nextLink": f"https://next/{i}"}
                 for i in range(0, len(found), 1000)]
        pages[-1]["nextLink"] = None
        return [_dump(folder / "machines.json", pages),
                _dump(folder / "extensions.json", {"value": extensions})]
    if fmt == "cli":
        flat = [{**{k: v for k, v in r.items() if k != "properties"}, **r["properties"]}
                for r in found]
        flat_ext = [{**{k: v for k, v in r.items() if k not in ("properties", "type")},
                     "type": EXTENSION, **{("typePropertiesType" if k == "type" else k): v
                                           for k, v in r["properties"].items()}}
                    for r in extensions]
        return [_dump(folder / "machines.json", flat), _dump(folder / "extensions.json", flat_ext)]
    rows = [{**r, "type": r["type"].lower()} for r in (*found, *extensions)]
    if fmt == "arg-json":
        return [_dump(folder / "resources.json", {"data": rows, "count": len(rows)})]
    path = folder / "resources.csv"
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["id", "name", "type", "location", "tags", "properties"])
        for r in rows:
            writer.writerow([r["id"], r["name"], r["type"], r.get("location", ""),
                             json.dumps(r["tags"]) if r.get("tags") else "",
                             json.dumps(r["properties"])])
    return [path]


def _dump(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# --- timing one format (in a subprocess) --------------------------------------------------------


def measure(files: list[Path], out: Path) -> dict[str, Any]:
    """Seconds of each phase of ``arcsim import FILES --out OUT``, and peak memory."""
    from sim.scenario.inventory import convert_inventory, load_inventory, write_fleet_yaml
    from sim.scenario.inventory.summary import describe

    cpu, clock = time.process_time(), [time.perf_counter()]
    inventory = load_inventory(*files)
    clock.append(time.perf_counter())
    conversion = convert_inventory(inventory)
    clock.append(time.perf_counter())
    write_fleet_yaml(conversion.fleet, out)
    describe(inventory, conversion)
    clock.append(time.perf_counter())
    return {"machines": len(inventory.machines),
            "extensions": sum(len(m.extensions) for m in inventory.machines),
            "groups": len(conversion.fleet.groups),
            "megabytes": round(sum(f.stat().st_size for f in files) / 1e6, 1),
            "read_s": clock[1] - clock[0], "group_s": clock[2] - clock[1],
            "write_s": clock[3] - clock[2], "total_s": clock[3] - clock[0],
            "cpu_s": time.process_time() - cpu, "load_avg": os.getloadavg()[0],
            "peak_mib": peak_mib()}


def peak_mib() -> float:
    """This process's peak resident memory, MiB: ``VmHWM`` on Linux (``ru_maxrss`` there
    would include the parent's memory at the fork: it survives ``exec``)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    line = next(x for x in status.splitlines() if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def one(fmt: str, machines: int, folder: Path) -> dict[str, Any]:
    """Generate ``fmt``'s export in ``folder`` and measure its import in a fresh process."""
    files = write_export(fmt, machines, folder)
    code = ("import json, sys; from pathlib import Path; sys.path.insert(0, 'benchmarks');"
            "from inventory_import import measure;"
            f"print(json.dumps(measure([Path(p) for p in {[str(f) for f in files]!r}], "
            f"Path({str(folder / 'fleet.yaml')!r}))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=Path(__file__).resolve().parents[1])
    return {"format": fmt, **json.loads(done.stdout)}


def main() -> None:
    """Parse the options, run each format, print the table (and JSON with ``--json``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--machines", type=int, default=100_000)
    parser.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS))
    parser.add_argument("--keep", type=Path, help="keep the generated exports in this folder")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as temporary:
        root = args.keep or Path(temporary)
        print(f"{'format':<9} {'machines':>9} {'exts':>8} {'MB':>6} {'groups':>6} {'read s':>7} "
              f"{'group s':>7} {'write s':>7} {'total s':>7} {'CPU s':>6} {'machines/s':>10} "
              f"{'peak MiB':>8} {'load':>5}")
        for fmt in args.formats:
            folder = root / fmt
            folder.mkdir(parents=True, exist_ok=True)
            row = one(fmt, args.machines, folder)
            rows.append(row)
            print(f"{fmt:<9} {row['machines']:>9} {row['extensions']:>8} {row['megabytes']:>6} "
                  f"{row['groups']:>6} {row['read_s']:>7.2f} {row['group_s']:>7.2f} "
                  f"{row['write_s']:>7.2f} {row['total_s']:>7.2f} {row['cpu_s']:>6.2f} "
                  f"{row['machines'] / row['total_s']:>10.0f} {row['peak_mib']:>8.0f} "
                  f"{row['load_avg']:>5.1f}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
