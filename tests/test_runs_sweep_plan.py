"""What a sweep runs: axes, points, seeds, Latin hypercube samples; the t quantile of its
confidence intervals."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.runs.seeds import latin_hypercube, replication_seed
from sim.runs.sweep_plan import SweepError, SweepSpec, parse_grid, parse_lhs, spec_of
from sim.runs.sweep_summary import interval, t_quantile


def test_sweep_seeds_are_seedsequence_children_and_do_not_move_when_replications_grow() -> None:
    children = np.random.SeedSequence(42).spawn(5)
    assert [replication_seed(42, r) for r in range(5)] == [
        int(c.generate_state(1, np.uint32)[0]) for c in children]
    few = spec_of("s", {"params.check_period": ["5m", "1h"]}, replications=2, seed=42).runs()
    many = spec_of("s", {"params.check_period": ["5m", "1h"]}, replications=5, seed=42).runs()
    assert [(r.point.index, r.replication, r.seed, r.folder) for r in few] == [
        (r.point.index, r.replication, r.seed, r.folder) for r in many if r.replication < 2]
    assert [r.seed for r in many[:5]] == [r.seed for r in many[5:]]  # common random numbers
    assert len({r.seed for r in many}) == 5


def test_sweep_grid_points_are_the_product_in_order() -> None:
    spec = spec_of("s", ["params.check_period=5m,1h", "duration=1d,2d,3d"], replications=1)
    points = spec.points()
    assert len(points) == 6
    assert points[1].overrides == ["params.check_period=5m", "duration=2d"]
    assert points[3].overrides == ["params.check_period=1h", "duration=1d"]
    assert [r.index for r in spec.runs()] == list(range(6))


def test_sweep_grid_values_split_outside_quotes_and_brackets() -> None:
    axis = parse_grid('fleet[0].agent_versions={"1.30": 0.4, "1.45": 0.6},{"1.45": 1}')
    assert axis.values == ('{"1.30": 0.4, "1.45": 0.6}', '{"1.45": 1}')
    assert parse_grid('timeline[0].run=["a, b"],[c]').values == ('["a, b"]', "[c]")


def test_sweep_latin_hypercube_fills_every_stratum_once() -> None:
    unit = latin_hypercube(10, 3, base=7)
    assert unit.shape == (10, 3)
    for j in range(3):
        assert sorted((unit[:, j] * 10).astype(int).tolist()) == list(range(10))
    assert np.array_equal(unit, latin_hypercube(10, 3, base=7))
    assert not np.array_equal(unit, latin_hypercube(10, 3, base=8))


def test_sweep_lhs_ranges_give_numbers_and_integers_within_bounds() -> None:
    spec = SweepSpec("s", lhs=(parse_lhs("params.install_failure_p=0:0.2"),
                               parse_lhs("fleet[0].count=10:20")), samples=8)
    points = spec.points()
    assert len(points) == 8
    rates = [float(p.settings[0][1]) for p in points]
    counts = [p.settings[1][1] for p in points]
    assert all(0.0 <= r < 0.2 for r in rates)
    assert all(c.isdigit() and 10 <= int(c) <= 20 for c in counts)


def test_sweep_axes_keys_must_not_repeat() -> None:
    with pytest.raises(SweepError, match="given more than once"):
        spec_of("s", ["duration=1d,2d"], ["duration=1:2"], samples=2)


@pytest.mark.parametrize(("df", "expected"), [
    (1, 12.706204736), (2, 4.302652730), (5, 2.570581836), (10, 2.228138852),
    (30, 2.042272456), (1000, 1.962339081)])
def test_sweep_t_quantile_matches_the_tables(df: int, expected: float) -> None:
    assert t_quantile(0.975, df) == pytest.approx(expected, abs=1e-8)
    assert t_quantile(0.025, df) == pytest.approx(-expected, abs=1e-8)


def test_sweep_interval_of_few_values() -> None:
    n, mean, sd, low, high = interval([1.0, 2.0, 3.0, math.nan])
    assert (n, mean, sd) == (3, 2.0, 1.0)
    half = 4.302652730 / math.sqrt(3)
    assert (low, high) == pytest.approx((2.0 - half, 2.0 + half))
    assert interval([5.0])[:2] == (1, 5.0) and math.isnan(interval([5.0])[3])
    assert interval([])[0] == 0
