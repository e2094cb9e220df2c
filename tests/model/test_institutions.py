"""Institutions: trust, collusion and community trust move the way the mechanisms say."""

import numpy as np
import pytest

from mandosim.model.institutions import Institutions
from mandosim.model.params import InstitutionParams


def institutions(**params):
    trust = np.full((3, 3), 0.5)
    np.fill_diagonal(trust, 1.0)
    return Institutions(InstitutionParams(**params), trust, np.array([0.1, 0.2, 0.0]), np.full(2, 0.5))


def test_joint_successes_raise_trust_and_incidents_lower_it():
    inst = institutions(trust_recovery=0.0)
    joint = np.zeros((3, 3))
    joint[0, 1] = joint[1, 0] = 50
    incidents = np.zeros((3, 3))
    incidents[1, 2] = incidents[2, 1] = 3
    inst.update_trust(joint, incidents)
    assert inst.trust[0, 1] > 0.5
    assert inst.trust[1, 2] == pytest.approx(0.5 * 0.9**3)
    assert inst.trust[0, 2] == 0.5
    assert np.allclose(inst.trust, inst.trust.T)


def test_trust_recovers_toward_baseline_after_a_shock():
    inst = institutions(trust_recovery=0.1)
    inst.shock(0, 1, 0.0)
    for _ in range(50):
        inst.update_trust(np.zeros((3, 3)), np.zeros((3, 3)))
    assert 0.45 < inst.trust[0, 1] < 0.5


def test_initial_collusion_is_the_baseline_equilibrium():
    inst = institutions(collusion_turnover=0.05)
    rng = np.random.default_rng(0)
    agency = np.repeat([0, 1, 2], 4000)
    colluding = np.zeros(agency.size, dtype=bool)
    control, bribes = np.full(agency.size, 0.6), np.ones(agency.size)
    for _ in range(300):
        colluding = inst.update_collusion(rng, colluding, agency, control, bribes)
    shares = [colluding[agency == a].mean() for a in range(3)]
    assert shares[0] == pytest.approx(0.1, abs=0.02)
    assert shares[1] == pytest.approx(0.2, abs=0.02)
    assert shares[2] == 0.0


def test_collusion_grows_with_control_and_bribes_and_falls_with_vetting():
    def run(control_level, bribe_level, vetting):
        inst = institutions(collusion_turnover=0.05)
        inst.vetting_rate[:] = vetting
        rng = np.random.default_rng(1)
        agency = np.zeros(5000, dtype=int)
        colluding = np.zeros(5000, dtype=bool)
        inst.update_collusion(rng, colluding, agency, np.full(5000, 0.5), np.ones(5000))  # sets the reference
        for _ in range(300):
            colluding = inst.update_collusion(rng, colluding, agency, np.full(5000, control_level), np.full(5000, bribe_level))
        return colluding.mean()

    base = run(0.5, 1.0, 0.0)
    assert run(1.0, 1.0, 0.0) > base * 1.5
    assert run(0.5, 4.0, 0.0) > base * 1.5
    assert run(0.5, 1.0, 0.2) < base * 0.4


def test_community_trust_falls_with_abuses_and_violence_and_rises_with_success():
    def after(today):
        inst = institutions(community_adjust_rate=0.2)
        base = np.array([[1.0, 2.0, 2.0], [1.0, 2.0, 2.0]])
        for _ in range(200):
            inst.update_community(base, horizon=False)
        inst.update_community(base, horizon=True)
        for _ in range(200):
            inst.update_community(today, horizon=True)
        return inst.community_trust[0]

    assert after(np.array([[1.0, 2.0, 2.0]] * 2)) == pytest.approx(0.5, abs=1e-3)  # unchanged rates: no drift
    assert after(np.array([[5.0, 2.0, 2.0]] * 2)) < 0.45
    assert after(np.array([[1.0, 8.0, 2.0]] * 2)) < 0.45
    assert after(np.array([[1.0, 2.0, 8.0]] * 2)) > 0.55


def test_burn_in_holds_community_trust():
    inst = institutions()
    for _ in range(50):
        inst.update_community(np.array([[9.0, 9.0, 0.0]] * 2), horizon=False)
    assert np.all(inst.community_trust == 0.5)
