"""Command regimes change the mechanisms they should, shown on the mechanisms' own quantities."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.command import KINDS, greedy_counts
from model.model import BorderSecurityModel
from tests.conftest import short

AREA = ["mexicali_valley", "san_luis_rio_colorado"]


def unified(**extra):
    return short("baseline", command={"regime": "unified", "area": AREA, "ramp_up_days": 5}, **extra)


def fragmented(**extra):
    return short("baseline", **extra)


def run_days(loaded, days=30, seed=4):
    model = BorderSecurityModel(loaded, seed=seed)
    for _ in range(model.burn_in + days):
        model.step()
    return model


def multi_agency_targets(model) -> int:
    """Cells in the area where units of two or more agencies (or commands) stand."""
    units, region = model.units, model.region
    in_area = np.isin(region.zone[units.pos], [region.zone_code(z) for z in AREA])
    pairs = np.unique(np.column_stack([units.pos[in_area], units.agency[in_area]]), axis=0)
    _, agencies_per_cell = np.unique(pairs[:, 0], return_counts=True)
    return int((agencies_per_cell > 1).sum())


def area_agencies(model) -> np.ndarray:
    units, region = model.units, model.region
    in_area = np.isin(region.zone[units.home_zone], [region.zone_code(z) for z in AREA])
    return np.unique(units.agency[in_area])


def test_unified_never_puts_two_agencies_on_one_target_and_fragmented_does():
    uni, frag = run_days(unified()), run_days(fragmented())
    assert uni.units.pooled.sum() > 0
    assert multi_agency_targets(uni) == 0
    assert multi_agency_targets(frag) > 0


def test_unified_pools_intelligence_and_fragmented_does_not():
    uni, frag = run_days(unified()), run_days(fragmented())
    cells = np.flatnonzero(uni.command.area_mask)
    members = uni.command.members
    assert len(members) >= 4  # municipal, state and federal agencies of both sides
    beliefs = uni.intel.belief[np.ix_(members, cells)]
    assert np.array_equal(beliefs, np.broadcast_to(beliefs[0], beliefs.shape))
    area = np.isin(frag.region.zone, [frag.region.zone_code(z) for z in AREA])
    agencies = area_agencies(frag)
    spread = np.ptp(frag.intel.belief[np.ix_(agencies, np.flatnonzero(area))], axis=0)
    assert spread.max() > 0


def test_coordinated_sharing_pulls_beliefs_together():
    coordinated = run_days(short("baseline", command={"regime": "coordinated", "coordinated_sharing": 0.8}))
    frag = run_days(fragmented())
    tijuana = np.flatnonzero(frag.region.zone == frag.region.zone_code("tijuana"))
    agencies = [frag.agency_names.index(a) for a in ("mun_tijuana", "state_bc", "guardia_nacional")]

    def disagreement(model):
        b = model.intel.belief[np.ix_(agencies, tijuana)]
        return float(np.abs(b - b.mean(axis=0)).sum())

    assert disagreement(coordinated) < 0.7 * disagreement(frag)


def pursuit_setup(loaded):
    model = BorderSecurityModel(loaded, seed=1)
    model.command.set_regime(model.params.command.regime, model.params.command.area, 0)
    model.command.update_pool(model.command.state.start_day + 100)
    region = model.region
    son = region.state_names.index("SON")
    slrc = np.flatnonzero(region.state == son)
    edge = next(c for c in slrc if any(n >= 0 and region.state[n] != son for n in region.neighbours[c]))
    across = next(int(n) for n in region.neighbours[edge] if n >= 0 and region.state[n] != son)
    sonora_units = np.flatnonzero((model.units.home_state == son) & (model.units.kind != KINDS.index("federal")))
    return model, sonora_units, int(edge), across


def test_pursuit_crosses_the_state_line_only_under_unified():
    frag_model, frag_units, _, across = pursuit_setup(fragmented())
    assert not frag_model._can_pursue(frag_units, across)
    uni_model, uni_units, _, across = pursuit_setup(short("baseline", command={"regime": "unified", "area": AREA, "ramp_up_days": 0}))
    assert uni_model.units.pooled[uni_units].all()
    assert uni_model._can_pursue(uni_units, across)


def test_pursuits_across_the_line_happen_under_unified_and_never_under_fragmented():
    busy = {"operations": {"encounter_rate": 0.6, "flee_prob": 1.0}, "command": {"pursuit_capture_prob": 1.0}}
    uni = run_days(
        short("baseline", operations=busy["operations"], command={**busy["command"], "regime": "unified", "area": AREA, "ramp_up_days": 0}),
        days=40,
    )
    frag = run_days(short("baseline", **busy), days=40)
    count = lambda m, metric: m.recorder.zone_frame()[lambda f: f.day >= 0][metric].sum()  # noqa: E731
    assert count(uni, "cross_line_pursuits") > 0
    assert count(frag, "cross_line_pursuits") == 0
    assert count(frag, "cross_line_escapes") > 0  # the line is a refuge when nobody may follow


def test_personnel_ceiling_and_ramp_limit_the_pool():
    model = BorderSecurityModel(
        short("baseline", command={"regime": "unified", "area": AREA, "ramp_up_days": 10, "personnel_ceiling": 600}), seed=1
    )
    model.command.set_regime("unified", AREA, 0)
    for day, ramp in ((0, 0.1), (4, 0.5), (20, 1.0)):
        model.command.update_pool(day)
        assert model.command.ramp(day) == pytest.approx(ramp)
        assert model.units.officers[model.units.pooled].sum() <= 600 * ramp + 1e-9
    pooled_kinds = set(model.units.kind[model.units.pooled])
    assert KINDS.index("municipal") not in pooled_kinds  # federal and state first; municipal sidelined at a low ceiling


def test_set_regime_event_switches_and_reverts():
    loaded = short(
        "baseline",
        events=[{"type": "set_regime", "day": 3, "regime": "unified", "area": AREA, "end": 8}],
        time={"burn_in_days": 2, "horizon_days": 12},
    )
    model = BorderSecurityModel(loaded, seed=1)
    regimes = []
    while model.running:
        model.step()
        regimes.append((model.day - 1, model.command.regime))
    assert dict(regimes)[2] == "fragmented"
    assert dict(regimes)[3] == "unified"
    assert dict(regimes)[7] == "unified"
    assert dict(regimes)[8] == "fragmented"


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.floats(0, 100, allow_nan=False), min_size=1, max_size=30), k=st.integers(1, 40), factor=st.floats(0.05, 0.95))
def test_greedy_allocation_is_optimal_for_diminishing_returns(values, k, factor):
    values = np.array(values)
    top, counts = greedy_counts(values, k, factor)
    assert counts.sum() == k
    # optimal: the k largest marginal values over all (cell, level) pairs
    marginals = np.sort((values[:, None] * factor ** np.arange(k)[None, :]).ravel())[::-1][:k]
    achieved = sum(values[c] * factor**j for c, n in zip(top, counts, strict=True) for j in range(n))
    assert achieved == pytest.approx(marginals.sum(), rel=1e-9, abs=1e-9)
