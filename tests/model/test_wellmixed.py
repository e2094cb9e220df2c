"""Docking: the well-mixed mode follows the Prieto-Curiel equation, and the comparison can fail."""

import dataclasses

import numpy as np

from mandosim.experiments.validation import GROUP_TOLERANCE, TOTAL_TOLERANCE, dock
from mandosim.model.rng import replicate_seeds
from mandosim.model.scenario import find_scenario, load_scenario
from mandosim.model.wellmixed import WellMixedSetup, simulate, solve_ode


def setup(years: float = 2.0) -> WellMixedSetup:
    return WellMixedSetup.from_scenario(load_scenario(find_scenario("baseline")).scenario, 5e-8, 1.0, years)


def test_ensemble_mean_follows_the_equation():
    result = dock("baseline", reps=10, years=2.0, quiet=True)
    assert result.runs.shape == (10, 2 * 365 + 1, 4)
    assert result.total_gap < TOTAL_TOLERANCE
    assert (result.group_gaps < GROUP_TOLERANCE).all()
    assert result.passed


def test_a_mismatched_conflict_rate_is_caught():
    """The comparison has power: tripling θ in the simulation alone breaks the groups' tolerance."""
    base = setup(years=3.0)
    stronger = dataclasses.replace(base, conflict_rate=3 * base.conflict_rate)
    mean = np.mean([simulate(stronger, s) for s in replicate_seeds(1, 5)], axis=0)
    gaps = np.abs(mean / solve_ode(base) - 1).max(axis=0)
    assert gaps.max() > GROUP_TOLERANCE


def test_every_process_moves_the_equation():
    base = setup(years=1.0)
    end = solve_ode(base)[-1]
    for change in ({"conflict_rate": 0.0}, {"incapacitation": 0.0}, {"recruitment_rate": 0.0}):
        assert not np.allclose(solve_ode(dataclasses.replace(base, **change))[-1], end, rtol=1e-3)


def test_same_seed_same_run():
    base = setup(years=0.2)
    assert np.array_equal(simulate(base, 5), simulate(base, 5))
    assert not np.array_equal(simulate(base, 5), simulate(base, 6))
