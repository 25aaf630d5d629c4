"""Write a run's figures and one-page report into its result folder.

:func:`write_report` is what a run calls while its result folder is still being written (it
is passed to :func:`sim.results.result.save` as a writer, so the report is part of the atomic
write: a run that fails while drawing leaves no folder). :func:`regenerate` (``arcsim report
RESULT_DIR``) redraws them for a finished folder: everything is drawn into a hidden
temporary folder first and only then moved into place, so a failure leaves the old report.
"""

from __future__ import annotations

import os
from pathlib import Path

from sim.files import FileError, atomic_folder, write_file
from sim.report.content import build
from sim.report.figures import FIGURES_DIR, write_figures
from sim.report.render import to_html, to_markdown
from sim.report.view import RunView
from sim.results.folder import ResultError
from sim.results.result import Result, load

REPORT_MD, REPORT_HTML = "report.md", "report.html"


def write_report(result: Result, folder: Path | None = None) -> None:
    """Write ``figures/*.png``, ``report.md`` and ``report.html`` of ``result`` into
    ``folder`` (default: the result's own folder).

    Raises:
        ResultError: the result's manifest holds no valid scenario.
        OSError: a file cannot be written.
    """
    target = folder if folder is not None else result.path
    view = RunView.of(result)
    images = write_figures(view, target / FIGURES_DIR)
    content = build(view, images)
    (target / REPORT_MD).write_text(to_markdown(content), encoding="utf-8")
    (target / REPORT_HTML).write_text(to_html(content), encoding="utf-8")


def regenerate(path: str | os.PathLike[str]) -> Path:
    """Redraw the figures and report of the result folder ``path``; return the HTML file.
    The new ``figures/`` replaces the old one whole, then each report file is replaced
    (:mod:`sim.files`): a failure while drawing leaves the old report.

    Raises:
        ResultError: ``path`` is not a result folder, or cannot be written.
    """
    result = load(path)
    folder = result.path
    view = RunView.of(result)
    images: dict[str, bytes] = {}
    try:
        atomic_folder(folder / FIGURES_DIR, lambda tmp: images.update(write_figures(view, tmp)))
        content = build(view, images)
        write_file(folder / REPORT_MD, to_markdown(content))
        write_file(folder / REPORT_HTML, to_html(content))
    except FileError as exc:
        raise ResultError(f"cannot write the report in {folder}: {exc.reason}") from None
    return folder / REPORT_HTML


__all__ = ["REPORT_HTML", "REPORT_MD", "regenerate", "write_report"]
