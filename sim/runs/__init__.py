"""Running scenarios: single runs, split runs and sweeps, kept together (as desmod's
``simulation.py`` keeps its single runs, multi-runs and factor sweeps).

* :mod:`~sim.runs.single`: a scenario to its result folder (``sim.run``): resolve, run,
  summarise, check ``expect:``, write;
* :mod:`~sim.runs.execute`: the one way a world runs, whole in this process or split;
  :mod:`~sim.runs.shards` plans a fleet into blocks and shards and runs them,
  :mod:`~sim.runs.merge` merges their records into the canonical order;
* :mod:`~sim.runs.sweep`: a scenario over parameter points × replications (``sim.sweep``),
  with :mod:`~sim.runs.sweep_plan` (points, runs), :mod:`~sim.runs.seeds` (replication seeds,
  Latin hypercubes), :mod:`~sim.runs.sweep_index` (``sweep.parquet``) and
  :mod:`~sim.runs.sweep_summary` (confidence intervals, figures);
* :mod:`~sim.runs.backends` (this process, local processes, Dask) and
  :mod:`~sim.runs.progress` (progress bars) serve both.

Runs read the engine through :mod:`sim.engine.snapshot` and write through :mod:`sim.results`.
"""
