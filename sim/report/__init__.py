"""Figures, one-page reports and run comparisons (design: Outputs).

:func:`write_report` draws a run's standard figures (:data:`~sim.report.figures.FIGURES`) into
``figures/`` and writes ``report.md`` and a self-contained ``report.html``; runs call it while
writing their result folder. :func:`regenerate` redraws them for a finished folder
(``arcsim report``). :func:`compare` puts the headline metrics of several runs side by side
(``sim.compare``, ``arcsim compare``) and can draw overlay figures.
"""

from sim.report.writer import regenerate, write_report

__all__ = ["regenerate", "write_report"]
