"""The ``arcsim`` command line (``arcsim = "sim.cli:main"``, ``python -m sim``).

* :mod:`~sim.cli.program`: :func:`main` and the parser, which registers every command family
  (plain imports, in ``--help`` order);
* :mod:`~sim.cli.status`: :class:`ExitStatus` (0 done, 1 findings: lint errors, a missed
  expectation, a failed sweep run; 2 bad input; 130 interrupted; 141 closed pipe) and
  :func:`~sim.cli.status.failure_status`, the one place exceptions become exit statuses;
* :mod:`~sim.cli.common`: the one usage-error class, the parser, shared types;
* the command families: :mod:`~sim.cli.rules` (``explain``, ``lint``, ``config``; with
  :mod:`~sim.cli.agent`), :mod:`~sim.cli.plan` (``plan``), :mod:`~sim.cli.catalogue`
  (``catalogue``), :mod:`~sim.cli.scenarios` (``run``, ``validate``, ``check``, ``list``,
  ``schema``), :mod:`~sim.cli.analysis` (``activity-log``, ``report``, ``compare``),
  :mod:`~sim.cli.sweep` (``sweep``), :mod:`~sim.cli.inventory` (``import``).

Every :class:`~sim.errors.ArcsimError` becomes a message (``arcsim: error: ...``, or a
scenario's located lines), never a traceback.
"""

from sim.cli.program import build_parser, main
from sim.cli.status import ExitStatus

__all__ = ["ExitStatus", "build_parser", "main"]
