"""A scenario's ``catalogue:`` entries: what it assumes about an extension (R2, R7, R24, R25).

The catalogue (:mod:`sim.rules.catalogue`) informs a run; it never allows or blocks. A
scenario can change any fact of a known extension, or describe one arcsim does not know.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from sim.rules.catalogue import Hosting, OsType
from sim.scenario.units import Size
from sim.scenario.values import Model


def _os_name(value: Any) -> Any:
    """``Windows``, ``ANY`` -> ``windows``, ``any`` (as Azure writes the OS)."""
    return value.strip().lower() if isinstance(value, str) else value


class CatalogueModel(Model):
    """Facts about one extension for this scenario: a field given replaces the known
    extension's; a new extension's other facts are those assumed for any unknown one (any OS,
    hosted by the manager, no scripts, no automatic upgrade, 10 MB)."""

    hosting: Literal["manager", "service"] | None = Field(
        None, description="hosted by the extension manager, or its own service (R24)")
    auto_upgrade: bool | None = Field(
        None, description="its publisher supports automatic upgrade (R25)")
    runs_scripts: bool | None = Field(
        None, description="runs arbitrary scripts with full privileges (R7)")
    size: Size | None = Field(None, gt=0, description="package size, downloaded (R2)")
    os: Annotated[Literal["windows", "linux", "any"], BeforeValidator(_os_name)] | None = Field(
        None, description="windows, linux or any, in any letter case")
    description: str | None = None

    def changes(self) -> dict[str, Any]:
        """The given facts as :class:`sim.rules.catalogue.CatalogueEntry` field values."""
        given = {k: v for k, v in self.model_dump().items() if v is not None}
        if "size" in given:
            given["size_bytes"] = int(given.pop("size"))
        if "hosting" in given:
            given["hosting"] = Hosting(given["hosting"])
        if "os" in given:
            given["os"] = OsType(given["os"])
        return given


__all__ = ["CatalogueModel"]
