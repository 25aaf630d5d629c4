"""Protected settings exist only on the machine (R4), and what that means for resync (R6)."""

from __future__ import annotations

import pytest

from sim.engine import (
    DAY,
    CloudRequest,
    FleetSpec,
    GroupSpec,
    InstalledExtension,
    LocalCommands,
    LocalRemoval,
    Timing,
    World,
)
from sim.engine.metrics import summarise

AMA = "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent"
CSE = "Microsoft.Compute/CustomScriptExtension"
MMA = "Microsoft.EnterpriseCloud.Monitoring/MicrosoftMonitoringAgent"
LOCKDOWN = f'azcmagent config set extensions.allowlist "{AMA},{CSE}"'
WIDEN = f'azcmagent config set extensions.allowlist "{AMA},{CSE},{MMA}"'
SECRET = "storageAccountKey=s3cr3t"


def world(count: int = 3) -> World:
    fleet = FleetSpec((GroupSpec("win", count, agent_versions={"1.40": 1.0},
                                 extensions=(InstalledExtension(AMA),), commands=(LOCKDOWN,)),))
    return World(fleet, seed=4)


def test_r4_protected_settings_reach_the_machine_but_are_not_kept_in_azure() -> None:
    w = world()
    w.add(CloudRequest("ops", operation="install", extension=CSE, settings="fileUris=a.ps1",
                       protected_settings=SECRET, timing=Timing(at=60)))
    w.run(DAY)
    x = w.ext_index[w.ext_ids[w.extension(CSE)].key]
    slots = [m * w.n_ext + x for m in range(3)]
    assert [w.s_settings[s] for s in slots] == ["fileUris=a.ps1"] * 3      # desired state
    assert [w.s_local_protected[s] for s in slots] == [SECRET] * 3         # machine only
    assert SECRET not in set(w.s_settings.values()) and not w.s_transit_protected
    assert summarise(w)["installs"] == 3


@pytest.mark.parametrize(("public", "replayed"), [(True, True), (False, False)])
def test_r4_a_resync_reinstall_goes_without_protected_settings(public: bool,
                                                               replayed: bool) -> None:
    """A Custom Script's command in protected settings runs at install; after a local removal
    the resync (R6) reinstalls the extension from Azure's desired state, which never had the
    protected settings, so the command does not run again. In public settings it does."""
    w = world()
    script = {"settings": WIDEN} if public else {"protected_settings": WIDEN}
    w.add(CloudRequest("ops", operation="install", extension=CSE, timing=Timing(at=60),
                       **script))  # type: ignore[arg-type]
    w.add(LocalCommands("admin", commands=(LOCKDOWN,), timing=Timing(at=3_600)))
    w.add(LocalRemoval("cleanup", extension=CSE, timing=Timing(at=7_200)))
    w.run(DAY)
    assert summarise(w)["reinstalls"] == 3
    widened = [w.config(m).allowlist[-1].name == MMA for m in range(3)]
    assert widened == [replayed] * 3
    x = w.extension(CSE)
    assert all((m * w.n_ext + x in w.s_local_protected) is False for m in range(3))
