"""Encounter submodels on their own quantities."""

import numpy as np

from mandosim.model.conflict import BRANCHES, conceal_share, hidden_killings, operations, simple_forces
from mandosim.model.params import OperationParams, Scenario, VisibilityParams


def branch_table():
    branches = Scenario().branches
    return np.array([[b.lethality_index, b.kill_ratio, 1.0, b.effectiveness, b.abuse_rate] for b in (branches[n] for n in BRANCHES)])


def test_lethality_differs_by_branch_navy_army_police():
    """FACTS P5: killed per wounded Navy > Army > police, from the encounter submodel itself."""
    rng = np.random.default_rng(0)
    n = 20_000
    params = OperationParams(encounter_rate=50.0, casualty_fraction=0.5, arrest_fraction=0.0)
    ratios = {}
    for code, name in enumerate(BRANCHES):
        result = operations(
            rng, rng, params, branch_table(), np.full(n, 20), np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64),
            simple_forces(np.array([100.0]), np.array([code]), np.zeros((1, 1), dtype=bool), np.array([0.0])),
        )  # fmt: skip
        ratios[name] = result.killed.sum() / max(result.arrests.sum(), 1)
    assert ratios["navy"] > ratios["army"] > ratios["national_guard"] > ratios["police"]
    assert abs(ratios["navy"] / 17.3 - 1) < 0.1  # FACTS: Forces lethality index


def test_leaks_only_where_a_colluder_protects_the_group():
    rng = np.random.default_rng(1)
    params = OperationParams(encounter_rate=50.0, leak_prob=1.0)
    n = 1000
    group = np.repeat([0, 1], n // 2)
    leakers = np.array([[True, False]])
    result = operations(
        rng, rng, params, branch_table(), np.full(n, 10), np.zeros(n, dtype=np.int64), group,
        simple_forces(np.array([100.0]), np.array([0]), leakers, np.array([0.0])),
    )  # fmt: skip
    assert result.warned[group == 0].all()
    assert not result.warned[group == 1].any()
    assert not result.engaged[group == 0].any()


def test_concealment_rises_with_security_presence():
    """FACTS P8 comes from this: more officers nearby, more killings hidden as disappearances."""
    params = VisibilityParams()
    officers = np.array([0.0, 50.0, 500.0, 5000.0])
    share = conceal_share(params, officers)
    assert np.all(np.diff(share) > 0)
    assert share[0] == params.conceal_base
    # the compiled draw the model uses hides killings at that share
    killings = np.full(officers.size, 20_000)
    hidden = hidden_killings(
        np.random.default_rng(0), killings, officers, params.conceal_base, params.conceal_extra, params.conceal_half_officers
    )
    assert np.allclose(hidden / killings, share, atol=0.01)


def test_coefficients_travel_as_an_array_and_are_read_by_name():
    from mandosim.model.conflict import EncounterCoefficients, coefficients_record, encounter_coefficients

    named = encounter_coefficients(Scenario(), refuge_bonus=3.0)
    assert coefficients_record(np.array(named)) == named
    assert len(EncounterCoefficients._fields) == len(named)
