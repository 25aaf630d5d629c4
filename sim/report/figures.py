"""The standard figures of a run, and writing them to ``figures/`` (design: Outputs).

:data:`FIGURES` lists them in report order; :func:`draw` makes one, :func:`write_figures`
writes all of them as PNG files into a folder (a result folder's ``figures/``). Every figure
exists for every run: one with nothing of its kind says so instead of being left out, so
reports of different runs line up.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from matplotlib.figure import Figure

from sim.report import figures_activity as activity
from sim.report import figures_exposure as exposure
from sim.report import figures_state as state
from sim.report import plotting
from sim.report.view import RunView

FIGURES_DIR = "figures"


@dataclass(frozen=True)
class FigureSpec:
    """One standard figure: its file stem, what it shows, and how to draw it."""

    name: str
    title: str
    caption: str
    draw: Callable[[RunView], Figure]

    @property
    def file(self) -> str:
        """Its path inside a result folder (``figures/<name>.png``)."""
        return f"{FIGURES_DIR}/{self.name}.png"


FIGURES: tuple[FigureSpec, ...] = (
    FigureSpec("exposure-over-time", exposure.EXPOSURE_TITLE,
               "Machines with a script-capable extension (R7: it runs arbitrary scripts as "
               "root or Local System) installed and runnable (R24), and the script-capable "
               "installs and updates that succeeded, by whether a lockdown let them in.",
               exposure.exposure_over_time),
    FigureSpec("blocked-over-time", activity.BLOCKED_TITLE,
               "Installs, updates, upgrades and reinstalls refused by a machine's local "
               "controls (R9-R15, R19, R23) or denied by Azure Policy (R26), per time bucket.",
               activity.blocked_over_time),
    FigureSpec("blocked-by-extension", activity.BY_EXTENSION_TITLE,
               "Which extensions were refused, and by which control, over the whole run.",
               activity.blocked_by_extension),
    FigureSpec("reinstall-churn", activity.CHURN_TITLE,
               "Extensions removed locally while Azure still wanted them, put back by resync "
               "(R6): cycles, how long they were absent, and what was downloaded again by "
               "which path (R2).", activity.reinstall_churn),
    FigureSpec("proxy-queue", activity.PROXY_TITLE,
               "Downloads queueing for a private-endpoint proxy that serves a few at a time "
               "(R2).", activity.proxy_queue),
    FigureSpec("lockdown-coverage", state.COVERAGE_TITLE,
               "The fleet's machines: locked down, refused a control because the agent is too "
               "old (R8, R30), lockdown lifted by a later change (tampering, R17), or not "
               "locked down.",
               state.lockdown_coverage_figure),
    FigureSpec("overrides", state.OVERRIDES_TITLE,
               "Operations that succeeded only because someone lifted a protection (R16, R17), "
               "counted against that actor.", state.overrides_figure),
    FigureSpec("provisioning-states", state.PROVISIONING_TITLE,
               "Extension resources in Azure by provisioningState (R6c): refused operations "
               "leave them Failed (R10).", state.provisioning_figure),
)
"""The standard figures, in report order."""
OPENING_FIGURE = "exposure-over-time"
"""The figure the report opens with, beside what was blocked and what got in."""


def draw(spec: FigureSpec, view: RunView) -> Figure:
    """Draw one figure in the house style; a matplotlib warning is an error (a figure that
    warns is a figure that is wrong)."""
    with plotting.house_style(), warnings.catch_warnings():
        warnings.simplefilter("error")
        return spec.draw(view)


def render(spec: FigureSpec, view: RunView) -> bytes:
    """One figure as PNG bytes."""
    fig = draw(spec, view)
    with plotting.house_style(), warnings.catch_warnings():
        warnings.simplefilter("error")
        return plotting.png_bytes(fig)


def write_figures(view: RunView, directory: Path) -> dict[str, bytes]:
    """Write every standard figure as ``<name>.png`` into ``directory`` (a result folder's
    ``figures/``, or the temporary folder that replaces it; created if absent); return name
    -> PNG bytes.

    Raises:
        OSError: a file cannot be written.
    """
    directory.mkdir(exist_ok=True)
    images: dict[str, bytes] = {}
    for spec in FIGURES:
        png = render(spec, view)
        (directory / f"{spec.name}.png").write_bytes(png)
        images[spec.name] = png
    return images


__all__ = ["FIGURES", "FIGURES_DIR", "OPENING_FIGURE", "FigureSpec", "draw", "render",
           "write_figures"]
