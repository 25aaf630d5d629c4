"""Names in scenario files as users write them: the OS as Azure's exports spell it (``Windows``),
and extension names that look like typos of known ones (warned, located, with a suggestion)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from helpers import Arcsim

from sim.scenario.extension_names import ExtensionNameWarning
from sim.scenario.loading import scenario_from_text

BASE = """\
name: names
duration: 1d
fleet:
  - group: a
    count: 2
    os: {os}
    agent_version: "1.40"
    extensions: [{ext}]
"""
AMA = "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent"


def _load(os: str = "windows", ext: str = AMA, extra: str = "") -> tuple[object, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scenario = scenario_from_text(BASE.format(os=os, ext=ext) + extra, "s.yaml")
    return scenario, [str(w.message) for w in caught if w.category is ExtensionNameWarning]


@pytest.mark.parametrize("written", ["Windows", "WINDOWS", " windows ", "Linux", "linux"])
def test_os_is_read_in_any_letter_case(written: str) -> None:
    scenario, _ = _load(os=written)
    assert scenario.fleet[0].os == written.strip().lower()  # type: ignore[attr-defined]


def test_os_still_refuses_what_is_not_an_os(arcsim: Arcsim, tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(BASE.format(os="macos", ext=AMA))
    status, _, err = arcsim("validate", path)
    assert status == 2
    assert f"{path}:6: fleet[0].os: input should be 'windows' or 'linux'" in err


def test_deploy_policy_takes_os_keys_in_any_case() -> None:
    scenario, _ = _load(extra=f"policies:\n  - name: dine\n    deploy: {{Windows: {AMA}}}\n")
    assert scenario.policies[0].deploy.windows == AMA  # type: ignore[attr-defined]


def test_a_typo_in_an_installed_extension_is_warned_with_did_you_mean(
        arcsim: Arcsim, tmp_path: Path) -> None:
    _, found = _load(ext="Microsoft.Azure.Monitor/AzureMonitorWindowAgent")
    assert found == ['s.yaml:8: fleet[0].extensions[0]: "Microsoft.Azure.Monitor/'
                     'AzureMonitorWindowAgent" is not an extension arcsim knows; did you mean '
                     f"{AMA}? (an unknown name is simulated as written, with default facts; "
                     "arcsim catalogue lists the known ones)"]
    path = tmp_path / "s.yaml"
    typo = "Microsoft.Azure.Monitor/AzureMonitorWindowAgent"
    path.write_text(BASE.format(os="windows", ext=typo))
    status, out, err = arcsim("validate", path)
    assert status == 0 and "ok" in out
    assert f"arcsim: notice: {path}:8: fleet[0].extensions[0]:" in err
    assert f"did you mean {AMA}?" in err


def test_known_names_in_any_case_and_unrelated_names_are_not_warned() -> None:
    assert _load(ext=AMA.lower())[1] == []
    assert _load(ext="Contoso.Tools/InventoryAgent")[1] == []


def test_a_name_the_scenario_describes_in_its_catalogue_is_not_warned() -> None:
    own = "Microsoft.Azure.Monitor/AzureMonitorWindowAgent"
    assert _load(ext=own)[1] != []
    described = f"catalogue:\n  {own}: {{hosting: service}}\n"
    assert _load(ext=own, extra=described)[1] == []


def test_typos_in_timeline_requests_and_policies_are_warned_once_each() -> None:
    typo = "Microsoft.Compute/CustomScriptExtensio"
    extra = (f"policies:\n  - name: no-scripts\n    deny: [{typo}, Microsoft.Compute/*]\n"
             f"timeline:\n  - at: 1h\n    install: {typo}\n")
    _, found = _load(extra=extra)
    assert len(found) == 1
    assert found[0].startswith("s.yaml:11: policies[0].deny[0]:")
    assert "did you mean Microsoft.Compute/CustomScriptExtension?" in found[0]
