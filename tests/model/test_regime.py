"""Command regimes change the mechanisms they should, shown on the mechanisms' own quantities."""

import numpy as np
import pytest

from mandosim.model.model import BorderSecurityModel
from mandosim.model.regime import KINDS
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
    """Once ramped up, every member of the command allocates from the same map of its area.

    The map is checked where allocation reads it, right after pooling; later in the day each agency
    still hears of homicides in its own area and follows the cells its units chased.
    """
    model = BorderSecurityModel(unified(), seed=4)
    pooled_views = []
    pool = model.intel.pool

    def recording_pool(members, area, ramp):
        pool(members, area, ramp)
        if ramp == 1.0:
            pooled_views.append(model.intel.belief[np.ix_(members, np.flatnonzero(area))].copy())

    model.intel.pool = recording_pool
    for _ in range(model.burn_in + 30):
        model.step()
    frag = run_days(fragmented())
    assert len(model.regime.members) >= 4  # municipal, state and federal agencies of both sides
    assert len(pooled_views) >= 20
    for beliefs in pooled_views:
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
    model.regime.set(model.params.command.regime, model.params.command.area, 0)
    model.regime.update_pool(model.regime.state.start_day + 100)
    region = model.region
    son = region.state_names.index("SON")
    slrc = np.flatnonzero(region.state == son)
    edge = next(c for c in slrc if any(n >= 0 and region.state[n] != son for n in region.neighbours[c]))
    across = next(int(n) for n in region.neighbours[edge] if n >= 0 and region.state[n] != son)
    sonora_units = np.flatnonzero((model.units.home_state == son) & (model.units.kind != KINDS.index("federal")))
    return model, sonora_units, int(edge), across


def can_pursue(model, units, dest) -> bool:
    from mandosim.model.conflict import may_pursue

    regime = model.regime
    return may_pursue(
        np.asarray(units, dtype=np.int64), dest, regime.reach(), model.units.pooled, regime.pooled_reach(), model.region.jurisdiction
    )


def test_pursuit_crosses_the_state_line_only_under_unified():
    frag_model, frag_units, _, across = pursuit_setup(fragmented())
    assert not can_pursue(frag_model, frag_units, across)
    uni_model, uni_units, _, across = pursuit_setup(short("baseline", command={"regime": "unified", "area": AREA, "ramp_up_days": 0}))
    assert uni_model.units.pooled[uni_units].all()
    assert can_pursue(uni_model, uni_units, across)
    off = short("baseline", command={"regime": "unified", "area": AREA, "ramp_up_days": 0}, channels={"jurisdiction": False})
    off_model, off_units, _, across = pursuit_setup(off)
    assert not can_pursue(off_model, off_units, across)  # without the channel the command's area has its seams back


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
    model.regime.set("unified", AREA, 0)
    for day, ramp in ((0, 0.1), (4, 0.5), (20, 1.0)):
        model.regime.update_pool(day)
        assert model.regime.ramp(day) == pytest.approx(ramp)
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
        regimes.append((model.day - 1, model.regime.name))
    assert dict(regimes)[2] == "fragmented"
    assert dict(regimes)[3] == "unified"
    assert dict(regimes)[7] == "unified"
    assert dict(regimes)[8] == "fragmented"


# --- information: shared beliefs stay close to the truth --------------------------------------------
def test_sharing_keeps_own_observations_and_uses_only_partners_who_saw_the_cell():
    from mandosim.model.intel import _share

    belief = np.array([[10.0, 4.0], [0.0, 0.0], [30.0, 0.0]])
    observable = np.ones((3, 2), dtype=bool)
    detected = np.array([1 * 2 + 0, 2 * 2 + 0])  # agencies 1 and 2 saw cell 0 today
    observed = np.array([12.0, 30.0])
    weights = np.full((3, 3), 0.9)  # partners' weights sum above 1
    np.fill_diagonal(weights, 0.0)
    scratch = np.zeros((2, 3, 2))  # (cells, agencies, weights and weighted sums)
    _share(belief, observable, detected, observed, weights, scratch)
    assert belief[0, 0] == pytest.approx((10.0 + 0.9 * 12.0 + 0.9 * 30.0) / (1 + 1.8))  # own view kept with weight 1
    assert belief[0, 1] == 4.0  # nobody saw cell 1: nothing to adopt
    assert belief[1, 0] == pytest.approx((0.0 + 0.9 * 30.0) / 1.9)  # its own (already in its belief) is not counted again
    assert not scratch.any()


def belief_to_truth(model) -> float:
    """Believed over true members, summed over the cells holding criminals in each agency's area."""
    truth = np.bincount(model.cells.pos[model.cells.alive], weights=model.cells.members[model.cells.alive], minlength=model.region.n_cells)
    held = truth > 0
    ratios = [
        model.intel.belief[a, held & model.observe_mask[a]].sum() / truth[held & model.observe_mask[a]].sum()
        for a in range(len(model.agency_names))
    ]
    return float(np.median(ratios))


@pytest.mark.parametrize(
    "command", [{}, {"regime": "coordinated", "coordinated_sharing": 1.0}, {"regime": "unified", "area": AREA, "ramp_up_days": 0}]
)
def test_beliefs_track_the_truth_in_every_regime(command):
    """No regime collapses beliefs (sharing once made them 1–4 % of the truth)."""
    model = run_days(short("baseline", command=command), days=40)
    assert 0.3 < belief_to_truth(model) < 1.5


def test_trust_sets_sharing_in_every_regime_and_rifts_stop_it():
    model = BorderSecurityModel(fragmented(), seed=1)
    a, b = model.agency_names.index("mun_mexicali"), model.agency_names.index("state_bc")
    weights = model.regime.sharing_weights()
    assert weights[a, b] == pytest.approx(model.params.command.informal_sharing * model.trust[a, b])  # fragmented: informal, with trust
    model.institutions.shock(a, b, 0.05)
    assert model.regime.sharing_weights()[a, b] == 0.0  # a rift: withheld
    model.regime.channels = model.regime.channels.model_copy(update={"rifts": False})
    assert model.regime.sharing_weights()[a, b] > 0.0


# --- jurisdiction: who may act where ------------------------------------------------------------------
def test_coordinated_agencies_cross_only_into_jurisdictions_of_trusted_hosts():
    model = BorderSecurityModel(short("baseline", command={"regime": "coordinated"}), seed=1)
    model.regime.set("coordinated", (), 0)
    r, units = model.region, model.units
    tijuana_police = np.flatnonzero(units.agency == model.agency_names.index("mun_tijuana"))
    rosarito = r.jurisdiction_names.index("rosarito")
    host = model.agency_names.index("mun_rosarito")
    guest = model.agency_names.index("mun_tijuana")
    for value, allowed in ((0.9, True), (0.3, False)):
        model.institutions.trust[host, guest] = model.institutions.trust[guest, host] = value
        assert model.regime.reach()[tijuana_police, rosarito].all() == allowed
    model.regime.set("fragmented", (), 0)
    assert not model.regime.reach()[tijuana_police, rosarito].any()  # fragmented: never across the line


# --- collusion and rifts as behaviour -----------------------------------------------------------------
def rift_run(**channels):
    """coordination_failure with every rifted agency obstructing when it can (obstruction is rare), seeds 1–3."""
    import pandas as pd

    loaded = load_library_short("coordination_failure", channels=channels, command={"obstruction_prob": 1.0})
    frames = []
    for seed in (1, 2, 3):
        model = BorderSecurityModel(loaded, seed=seed)
        model.run()
        frames.append(model.recorder.zone_frame().query("day >= 0"))
    return pd.concat(frames)


def load_library_short(name, **extra):
    return short(name, time={"burn_in_days": 20, "horizon_days": 120}, **extra)


def test_rifted_agencies_obstruct_and_colluders_protect_only_with_their_channels():
    on = rift_run()
    assert on["obstructions"].sum() > 0
    assert on["protected_engagements_avoided"].sum() > 0
    assert on["leaks"].sum() > 0
    assert rift_run(rifts=False)["obstructions"].sum() == 0
    assert on["rival_tips"].sum() > 0
    off = rift_run(collusion=False)
    assert off["protected_engagements_avoided"].sum() == 0 and off["leaks"].sum() == 0 and off["rival_tips"].sum() == 0


def test_patrons_tip_their_protectors_off_about_rivals_only():
    """Selective enforcement: tips name cells of groups the patron fights, in the tipped agency's area."""
    import numpy as np

    from mandosim.model.intel import Intelligence, RivalTips
    from mandosim.model.params import IntelParams
    from mandosim.model.rng import Streams

    observe = np.ones((2, 4), dtype=bool)
    observe[1, 3] = False  # agency 1 cannot work cell 3
    intel = Intelligence(2, 4, IntelParams(), observe)
    fighting = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])  # 0 and 1 are rivals; 2 is at peace
    tips = RivalTips(
        pos=np.array([0, 1, 2, 3]), group=np.array([0, 1, 2, 1]), members=np.array([5, 7, 9, 4]), zone=np.zeros(4, dtype=np.int64),
        patron_zone=np.array([0]), fighting=fighting, colluding_share=np.array([[0.0], [1.0]]),
    )  # fmt: skip
    tipped = intel.rival_tips(Streams(1).compiled("tips"), tips, tip_prob=1.0)
    assert tipped.tolist() == [False, True, False, False]  # not the patron, not a group at peace, not outside the area
    assert intel.belief[1].tolist() == [0.0, 7.0, 0.0, 0.0] and not intel.belief[0].any()  # agency 0 has no colluders
    assert not intel.rival_tips(Streams(1).compiled("tips"), tips, tip_prob=0.0).any()


def test_collusion_turns_enforcement_toward_the_patrons_rivals():
    """With many colluding units (protection, warnings, tips together), more of the arrests fall on the patron's rival.

    Tijuana with the Sinaloa-aligned cells dominant (so the patron stays the same).
    """
    import numpy as np

    agencies = {a: {"collusion": 0.6} for a in ("mun_tijuana", "state_bc")}
    groups = {"tijuana_cjng": {"members": {"tijuana": 2500, "rosarito": 400}}}

    def rival_share(collusion):
        arrested = np.zeros(2)
        for seed in (1, 2, 3):
            loaded = short(
                "baseline", agencies=agencies, groups=groups, channels={"collusion": collusion},
                time={"burn_in_days": 20, "horizon_days": 150},
            )  # fmt: skip
            model = BorderSecurityModel(loaded, seed=seed)
            model.run()
            by_group = model.recorder.group_frame(model.groups.names).query("day >= 0").groupby("group")["arrested"].sum()
            arrested += by_group["tijuana_sinaloa"], by_group["tijuana_cjng"]
        return arrested[1] / arrested.sum()

    assert rival_share(True) > rival_share(False) + 0.05
