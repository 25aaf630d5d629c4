"""Import a fleet from an inventory export (issue 8): machines, extensions, local configuration.

Reading: :mod:`~sim.scenario.inventory.documents` detects the format of each file and locates
its resources (:mod:`~sim.scenario.inventory.located`); :mod:`~sim.scenario.inventory.resources`
and :mod:`~sim.scenario.inventory.machines` read machines and extensions;
:mod:`~sim.scenario.inventory.assembly` assembles an :class:`Inventory` from one or more files.
Converting: :mod:`~sim.scenario.inventory.grouping` turns it into a
:class:`~sim.engine.FleetSpec` (:func:`inventory_to_fleet`, :func:`convert_inventory`), with the
local configuration Azure reports (R8) as the commands that produce it
(:mod:`~sim.scenario.inventory.local_config`) and names optionally pseudonymised
(:mod:`~sim.scenario.inventory.anonymise`). Writing: :func:`write_fleet_yaml` writes an editable
``fleet:`` list, :func:`summary` describes what was imported. A scenario's
``fleet: {from: ...}`` goes through :mod:`~sim.scenario.inventory.scenario_fleet`::

    inventory = load_inventory("machines.json", "extensions.json")
    result = convert_inventory(inventory, group_by=("resource_group",), anonymise=True)
    write_fleet_yaml(result.fleet, "fleet.yaml")
    print(summary(inventory, result))
"""

from sim.scenario.inventory.anonymise import DEFAULT_TAG_KEYS, anonymised, pseudonym
from sim.scenario.inventory.assembly import (
    Inventory,
    Source,
    build_inventory,
    inventory_from_data,
    inventory_from_text,
    load_inventory,
)
from sim.scenario.inventory.fleet_file import fleet_to_data, write_fleet_yaml
from sim.scenario.inventory.grouping import (
    EXPIRED_OUTAGE_S,
    GROUP_KEYS,
    FleetImport,
    convert_inventory,
    inventory_to_fleet,
)
from sim.scenario.inventory.local_config import command_lines, config_commands, intended_config
from sim.scenario.inventory.located import InventoryError, InventoryFormat, InventoryNote
from sim.scenario.inventory.resources import ImportedExtension, Machine, ReportedConfig, Status
from sim.scenario.inventory.summary import summary

__all__ = [
    "DEFAULT_TAG_KEYS", "EXPIRED_OUTAGE_S", "GROUP_KEYS", "FleetImport", "ImportedExtension",
    "Inventory", "InventoryError", "InventoryFormat", "InventoryNote", "Machine",
    "ReportedConfig", "Source", "Status", "anonymised", "build_inventory", "command_lines",
    "config_commands", "convert_inventory", "fleet_to_data", "intended_config",
    "inventory_from_data", "inventory_from_text", "inventory_to_fleet", "load_inventory",
    "pseudonym", "summary", "write_fleet_yaml",
]
