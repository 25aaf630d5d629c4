"""The report opening's listings of extensions: types where they tell extensions apart,
whole names where two extensions share a type (one shortening for report, figures and plan)."""

from __future__ import annotations

from sim.quantities import short_names
from sim.report.opening import listing


def test_listing_names_extensions_by_type() -> None:
    table = {"Microsoft.Azure.Monitor/AzureMonitorWindowsAgent": 3,
             "Microsoft.Compute/CustomScriptExtension": 5}
    assert listing(table, names=True) == "CustomScriptExtension 5, AzureMonitorWindowsAgent 3"


def test_listing_keeps_whole_names_of_two_extensions_of_one_type() -> None:
    table = {"Microsoft.Compute/CustomScriptExtension": 2,
             "Contoso.Tools/CustomScriptExtension": 1,
             "Microsoft.Azure.Monitor/AzureMonitorWindowsAgent": 1}
    assert listing(table, names=True) == (
        "Microsoft.Compute/CustomScriptExtension 2, "
        "Contoso.Tools/CustomScriptExtension 1, AzureMonitorWindowsAgent 1")


def test_listing_without_names_keeps_the_keys() -> None:
    assert listing({"not_on_allowlist": 4, "policy_denied": 4}) == (
        "not_on_allowlist 4, policy_denied 4")


def test_short_names_never_merge_two_extensions() -> None:
    names = ["A.X/Agent", "B.Y/Agent", "C.Z/Other", "Plain"]
    short = short_names(names)
    assert short == {"A.X/Agent": "A.X/Agent", "B.Y/Agent": "B.Y/Agent", "C.Z/Other": "Other",
                     "Plain": "Plain"}
    assert len(set(short.values())) == len(names)
    assert short_names(["A.X/Agent", "A.X/Agent"]) == {"A.X/Agent": "Agent"}
