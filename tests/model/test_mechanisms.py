"""Mechanisms behind patterns P1, P2, P4 and P7: each changes outcomes through the model's dynamics."""

import numpy as np

from mandosim.model.conflict import predation, rival_fights
from mandosim.model.groups import membership_flows
from mandosim.model.metrics import ZONE_METRICS
from mandosim.model.model import BorderSecurityModel
from mandosim.model.params import DynamicsParams
from mandosim.model.rng import Streams
from mandosim.model.routes import Routes
from tests.conftest import short

ZONE_HOMICIDES = ZONE_METRICS.index("homicides")


def homicides(model: BorderSecurityModel, zone: str | None = None) -> float:
    series = model.horizon_zone_series()[:, :, ZONE_HOMICIDES]
    return float(series.sum() if zone is None else series[:, model.region.zone_code(zone)].sum())


# --- P1: succession crises raise killings -------------------------------------------------------
def test_predation_killings_scale_with_each_cells_violence():
    n = 4000
    args = (np.full(n, 20), np.zeros(n, dtype=np.int64), np.zeros(n), np.ones(1), np.zeros(n), np.zeros(1))
    rates = (0.0, 0.0, 0.0, 1e-3, 0.6, 10.0, 0.0, 0.0)
    calm = predation(np.random.default_rng(0), *args, np.ones(n), *rates)[2].sum()
    crisis = predation(np.random.default_rng(0), *args, np.full(n, 2.0), *rates)[2].sum()
    assert abs(crisis / calm - 2.0) < 0.1


def test_a_leader_strike_raises_homicides_where_the_group_operates():
    def run(crisis_violence: float) -> float:
        loaded = short(
            "baseline",
            events=[{"type": "leader_strike", "day": 0, "group": "valley"}],
            leadership={"crisis_violence": crisis_violence, "capture_prob": 0.0},
            time={"burn_in_days": 10, "horizon_days": 90},
        )
        model = BorderSecurityModel(loaded, seed=3)
        model.run()
        return homicides(model, "mexicali_valley")

    assert run(1.0) > 1.4 * run(0.0)


def test_operations_that_take_a_lieutenant_start_a_local_succession():
    model = BorderSecurityModel(short("baseline"), seed=1)
    t = model.cells
    live = t.live()[:3].copy()
    days = model.params.leadership.local_succession_days
    model.leadership.lieutenants(live, np.array([10, 10, 10]), np.array([10, 0, 0]))  # all of cell 0 taken, none of the others
    assert t.succession[live].tolist() == [days, 0, 0]
    model.leadership.lieutenants(live, np.array([10, 10, 10]), np.array([0, 0, 0]))
    assert t.succession[live].tolist() == [days - 1, 0, 0]
    assert np.all(model.leadership.cell_violence(live, t.group[live]) == [1.0 + model.params.leadership.crisis_violence, 1.0, 1.0])


def test_local_successions_make_arrests_raise_violence():
    """Without successions more arrests lower homicides less than with none; with them they raise them."""

    def run(succession_days: int, arrest_fraction: float) -> float:
        loaded = short(
            "baseline",
            operations={"arrest_fraction": arrest_fraction},
            leadership={"local_succession_days": succession_days, "capture_prob": 0.0},
            time={"burn_in_days": 30, "horizon_days": 200},
        )
        total = 0.0
        for seed in range(3):
            model = BorderSecurityModel(loaded, seed=seed)
            model.run()
            total += homicides(model)
        return total

    assert run(180, 0.3) > run(0, 0.3)


# --- P4: replacement of lost members --------------------------------------------------------------
def test_replacement_refills_vacancies_where_they_are_and_never_more():
    streams = Streams(5)
    n = 3
    members = np.array([10, 10, 10])
    vacancies = np.array([200, 0, 3], dtype=np.int64)
    params = DynamicsParams(recruitment_rate=0.0, replacement_rate=0.5, revenue_elasticity=0.0)
    recruited, _, _ = membership_flows(
        streams.compiled("recruitment"), streams.compiled("exit"), params, members, np.arange(n), np.ones(n), np.ones(n),
        np.ones(n), np.full(n, 1e9), vacancies, 0.0, (1.0, 1.0),
    )  # fmt: skip
    assert 70 <= recruited[0] <= 130 and recruited[1] == 0 and recruited[2] <= 3
    assert vacancies[0] == 200 - recruited[0] and vacancies[2] == 3 - recruited[2]
    prevented = np.array([200, 0, 3], dtype=np.int64)
    recruited, _, _ = membership_flows(
        streams.compiled("recruitment"), streams.compiled("exit"), params, members, np.arange(n), np.ones(n), np.ones(n),
        np.ones(n), np.full(n, 1e9), prevented, 1.0, (1.0, 1.0),
    )  # fmt: skip
    assert recruited.sum() == 0 and prevented.tolist() == [200, 0, 3]  # full prevention stops refills too


def test_replacement_keeps_groups_up_under_arrests():
    def members_at_end(rate: float) -> float:
        loaded = short(
            "baseline",
            operations={"arrest_fraction": 0.5},
            dynamics={"replacement_rate": rate},
            time={"burn_in_days": 0, "horizon_days": 120},
        )
        model = BorderSecurityModel(loaded, seed=2)
        model.run()
        return float(model.cells.members[model.cells.alive].sum())

    assert members_at_end(0.5) > 1.02 * members_at_end(0.0)


# --- P2: trafficking diverts between ports; plazas are worth what crosses them ----------------------
def test_ports_divert_when_their_approach_gets_dearer():
    model = BorderSecurityModel(short("baseline"), seed=1)
    routes: Routes = model.routes
    weights = model.region.port_weights
    quiet = np.zeros(model.region.n_cells)
    routes.recompute(quiet)
    assert np.allclose(routes.shares, weights)  # no reference yet: the weights
    routes.freeze_reference()
    routes.recompute(quiet)
    assert np.allclose(routes.shares, weights)  # nothing changed: the weights
    crackdown = np.zeros(model.region.n_cells)
    tijuana = model.region.zone == model.region.zone_code("tijuana")
    crackdown[tijuana] = 200.0
    routes.recompute(crackdown)
    names = model.region.port_names
    san_ysidro, calexico = names.index("San Ysidro"), names.index("Calexico West")
    assert routes.shares[san_ysidro] < weights[san_ysidro] and routes.shares[calexico] > weights[calexico]
    assert np.isclose(routes.shares.sum(), weights.sum())  # diverted, not lost
    routes.params = routes.params.model_copy(update={"port_elasticity": 0.0})
    routes.recompute(crackdown)
    assert np.allclose(routes.shares, weights)


def test_plaza_value_is_the_largest_flow_through_the_zone():
    model = BorderSecurityModel(short("baseline"), seed=1)
    r, routes = model.region, model.routes
    for z in range(len(r.zone_names)):
        cells = r.zone == z
        assert np.allclose(routes.plaza[cells], routes.flow[cells].max())


def test_fights_scale_with_the_stakes():
    n = 2000
    members = np.full(n, 20)
    pos = np.zeros(n, dtype=np.int64)
    group = np.repeat([0, 1], n // 2)
    nearby = np.array([[20.0 * n / 2], [20.0 * n / 2]]) / 100.0
    rivalry = np.array([[0.0, 1.0], [1.0, 0.0]])
    low = rival_fights(np.random.default_rng(0), members, pos, group, nearby, rivalry, np.zeros(1), np.ones(n), 1e-4, 0.0)[0].sum()
    high = rival_fights(np.random.default_rng(0), members, pos, group, nearby, rivalry, np.zeros(1), np.full(n, 2.0), 1e-4, 0.0)[0].sum()
    none = rival_fights(np.random.default_rng(0), members, pos, group, nearby, rivalry, np.zeros(1), np.zeros(n), 1e-4, 0.0)[0].sum()
    assert none == 0 and 1.7 < high / low < 2.1
