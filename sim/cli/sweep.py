"""``arcsim sweep``: a scenario over parameter grids or Latin hypercube samples × replications,
and over its named variants.

:func:`register` adds the subcommand to the ``arcsim`` parser. It prints the summary table
(mean and 95 % interval per point and metric, with notes on too few or split runs), with
``--variants`` the paired differences from the baseline variant, the failed runs and the sweep
folder (``--quiet``: the folder only; ``--json``: the summary rows, or with ``--variants`` an
object with ``summary`` and ``differences`` rows). Exit status
(:class:`~sim.cli.status.ExitStatus`): 0 every run ok, 1 some run failed (the sweep went on;
``--resume`` reruns them), 2 bad input, 130 interrupted (finished runs stay; ``--resume`` goes
on).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from sim.cli.common import Subparsers, add_output_options, print_outcome, shows_progress
from sim.cli.status import ExitStatus
from sim.terminal import make_console

_EPILOG = """\
examples:
  arcsim sweep scenarios/default.yaml --grid params.check_period=5m,15m,1h --replications 10
  arcsim sweep default --lhs params.install_failure_p=0:0.2 --samples 20 --workers 2
  arcsim sweep default --grid 'fleet[0].count=100,1000' --scheduler tcp://10.0.0.5:8786
  arcsim sweep default --grid params.check_period=5m,1h --replications 20 --resume
  arcsim sweep scenarios/monitor-or-enforce.yaml --variants --replications 8
  arcsim sweep scenarios/monitor-or-enforce.yaml --variant enforce-now \\
      --variant audit-first --baseline enforce-now --interval bootstrap
"""


def register(sub: Subparsers) -> None:
    """Add ``sweep`` to ``sub``."""
    from sim.runs.sweep import DEFAULT_METRICS
    from sim.runs.sweep_stats import METHODS

    parser = sub.add_parser(
        "sweep", help="run a scenario over parameter points x replications, with CIs",
        description="Run a scenario at every point of --grid values (their product) and "
                    "--lhs samples, for each of its --variants, --replications times each "
                    "(seeds from --seed, the same in every variant), on local processes or a "
                    "Dask cluster; write each run's result folder, an index (sweep.parquet), "
                    "a summary with 95% intervals (summary.parquet), the paired differences "
                    "between variants (differences.parquet) and figures.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", nargs="?", default="default", metavar="SCENARIO",
                        help="a scenario file or a shipped scenario's name (default: default)")
    parser.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2,...",
                        help="values of a --set key, e.g. params.check_period=5m,15m "
                             "(repeatable: the product of all grids)")
    parser.add_argument("--lhs", action="append", default=[], metavar="KEY=LO:HI",
                        help="a numeric range sampled by a Latin hypercube, e.g. "
                             "params.install_failure_p=0:0.2 (repeatable; needs --samples)")
    parser.add_argument("--samples", type=int, default=0, metavar="N",
                        help="Latin hypercube points over the --lhs ranges")
    parser.add_argument("--variants", action="store_true",
                        help="run every variant of the scenario's variants: block against the "
                             "same replications, and summarise their paired differences")
    parser.add_argument("--variant", action="append", default=None, metavar="NAME",
                        help="run this variant (repeatable; implies --variants for the ones "
                             "named)")
    parser.add_argument("--baseline", metavar="NAME",
                        help="the variant the others are compared with (default: the first)")
    parser.add_argument("--interval", choices=METHODS, default="t",
                        help="t: Student t interval of the mean (default); bootstrap: the "
                             "percentile bootstrap")
    parser.add_argument("--replications", type=int, default=5, metavar="R",
                        help="runs per point, with seeds derived from --seed (default: 5)")
    parser.add_argument("--seed", type=int, default=0, metavar="N",
                        help="base seed of the replications (default: 0)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a value for every run, like arcsim run --set (repeatable)")
    parser.add_argument("--metric", action="append", default=None, metavar="PATH",
                        help="a metric to index and summarise (repeatable; default: "
                             f"{', '.join(DEFAULT_METRICS)})")
    parser.add_argument("--workers", type=int, metavar="W",
                        help="local processes (default: one per CPU; 1 runs in this process)")
    parser.add_argument("--scheduler", metavar="URL",
                        help="run on the Dask scheduler at URL (tcp://host:8786) instead")
    parser.add_argument("--out", metavar="DIR",
                        help="the sweep folder (default: results/sweeps/<scenario>-<hash>)")
    parser.add_argument("--resume", action="store_true",
                        help="continue the sweep in the folder: keep finished runs, run the "
                             "others (failed ones too); --replications may grow")
    parser.add_argument("--no-figures", dest="figures", action="store_false",
                        help="skip the figures of metric vs parameter")
    add_output_options(parser, folder="sweep folder", as_json="the summary rows")
    parser.set_defaults(handler=run_sweep)


def run_sweep(args: argparse.Namespace) -> int:
    """``arcsim sweep``: run the sweep, then print its summary (interrupted: a
    :class:`~sim.runs.sweep.SweepInterrupted`, whose message says how far it got)."""
    from sim.runs.sweep import DEFAULT_METRICS, print_summary, sweep

    progress = shows_progress(args)
    result = sweep(args.scenario, grid=args.grid, lhs=args.lhs, samples=args.samples,
                   replications=args.replications, seed=args.seed, overrides=args.set,
                   metrics=args.metric or DEFAULT_METRICS, workers=args.workers,
                   scheduler=args.scheduler, out=args.out, resume=args.resume,
                   progress=progress, figures=args.figures, variants=args.variant or args.variants,
                   baseline=args.baseline, interval=args.interval)
    failed = int((result.runs["status"] != "ok").sum())
    print_outcome(args, result.path, lambda: _as_json(result),
                  lambda: print_summary(result, make_console()))
    return ExitStatus.FINDINGS if failed else ExitStatus.OK


def _as_json(result: Any) -> Any:
    """The summary rows; with variants, ``{"summary": rows, "differences": rows}``."""
    summary = json.loads(result.summary.to_json(orient="records"))
    if result.baseline is None:
        return summary
    return {"summary": summary,
            "differences": json.loads(result.differences.to_json(orient="records"))}


__all__ = ["register", "run_sweep"]
