"""Every event type, by its direct effect on the model's own quantities."""

import numpy as np
import pytest

from mandosim.model.events import EVENT_TYPES
from mandosim.model.interventions import agencies_based_in, zone_mask
from mandosim.model.metrics import GROUP_METRICS, ZONE_METRICS
from mandosim.model.model import BorderSecurityModel
from tests.conftest import short

VALLEY = ["mexicali_valley"]
AREA = ["mexicali_valley", "san_luis_rio_colorado"]


def model_with(events, seed=1, burn_in=10, days=40, **extra):
    return BorderSecurityModel(short("baseline", events=events, time={"burn_in_days": burn_in, "horizon_days": days}, **extra), seed=seed)


def step_to(model, day):
    """Run until ``day`` has been simulated (model.day is then day + 1)."""
    while model.day <= day:
        model.step()
    return model


def zone_series(model, metric, zones):
    frame = model.recorder.zone_frame()
    frame = frame[(frame.day >= 0) & frame.zone.isin(zones)]
    return frame.groupby("day")[metric].sum()


def agencies_in(model, zones):
    return agencies_based_in(model, zones)


def mean_trust(model, agencies):
    block = model.trust[np.ix_(agencies, agencies)]
    return block[~np.eye(len(agencies), dtype=bool)].mean()


def test_registry_lists_every_event_type():
    assert set(EVENT_TYPES) == {
        "set_regime", "announce_unified_command", "retract_unified_command", "deploy", "withdraw",
        "leader_strike", "trust_shock", "vetting", "prevention", "group_exit", "set_rivalry",
    }  # fmt: skip
    for name, cls in EVENT_TYPES.items():
        assert cls.model_fields["type"].default == name


def test_announcement_shifts_expectations_and_trust_before_any_unit_moves():
    model = step_to(model_with([{"type": "announce_unified_command", "day": 5, "area": VALLEY}]), 4)
    agencies = agencies_in(model, VALLEY)
    before = mean_trust(model, agencies)
    risk_before = model.risk.risk.copy()
    step_to(model, 5)
    valley = zone_mask(model, VALLEY)
    assert (model.risk.risk[:, valley].mean(axis=1) > risk_before[:, valley].mean(axis=1) + 1.0).all()
    assert mean_trust(model, agencies) > before
    assert model.regime.name == "fragmented"
    assert not model.units.pooled.any()


def test_announcement_makes_groups_lie_low_in_the_area():
    quiet, loud = 0.0, 0.0
    for seed in range(1, 7):  # killings in the area are few (~5 a week): six paired seeds over 30 days
        events = [{"type": "announce_unified_command", "day": 0, "area": AREA}]
        announced = step_to(model_with(events, seed=seed, command={"personnel_ceiling": 30000.0}, crime={"risk_learning_rate": 0.01}), 30)
        plain = step_to(model_with([], seed=seed), 30)
        quiet += zone_series(announced, "civilian_deaths", AREA).sum()
        loud += zone_series(plain, "civilian_deaths", AREA).sum()
    assert quiet < 0.85 * loud


def test_retraction_costs_credibility_and_trust():
    events = [{"type": "announce_unified_command", "day": 2, "area": VALLEY}, {"type": "retract_unified_command", "day": 5}]
    model = step_to(model_with(events), 4)
    agencies = agencies_in(model, VALLEY)
    trust_before = mean_trust(model, agencies)
    community_before = model.community_trust[model.region.zone_code("mexicali_valley")]
    step_to(model, 5)
    assert model.credibility == pytest.approx(1 - model.params.command.retraction_credibility_loss)
    assert mean_trust(model, agencies) < trust_before
    assert model.community_trust[model.region.zone_code("mexicali_valley")] < community_before
    assert model.announced_area == ()


def test_retraction_ends_a_running_unified_command():
    events = [{"type": "set_regime", "day": 1, "regime": "unified", "area": AREA}, {"type": "retract_unified_command", "day": 4}]
    model = step_to(model_with(events), 3)
    assert model.regime.name == "unified"
    step_to(model, 4)
    assert model.regime.name == "fragmented"


def test_deploy_adds_officers_and_they_leave_at_the_end():
    events = [{"type": "deploy", "day": 3, "agency": "sedena", "officers": {"tecate": 500}, "end": 8}]
    model = step_to(model_with(events), 2)
    tecate = model.region.zone_code("tecate")

    def officers():
        return model.units.officers[model.units.home_zone == tecate].sum()

    before, agents_before = officers(), len(model.unit_agents)
    step_to(model, 3)
    assert officers() == pytest.approx(before + 500)
    assert len(model.unit_agents) == agents_before + 20
    assert zone_series(model, "officers_on_duty", ["tecate"]).loc[3] > zone_series(model, "officers_on_duty", ["tecate"]).loc[2]
    step_to(model, 8)
    assert officers() == pytest.approx(before)
    assert [a.slot for a in model.unit_agents] == list(range(model.units.n))


def test_withdraw_removes_whole_units():
    model = step_to(model_with([{"type": "withdraw", "day": 2, "agency": "guardia_nacional", "officers": {"tijuana": 700}}]), 1)
    tijuana = model.region.zone_code("tijuana")
    gn = model.agency_names.index("guardia_nacional")
    before = model.units.officers[(model.units.home_zone == tijuana) & (model.units.agency == gn)].sum()
    step_to(model, 2)
    after = model.units.officers[(model.units.home_zone == tijuana) & (model.units.agency == gn)].sum()
    assert before - 700 - 1e-9 <= after < before - 600


def test_leader_strike_starts_a_succession_crisis():
    model = step_to(model_with([{"type": "leader_strike", "day": 3, "group": "valley"}]), 2)
    valley = model.groups.names.index("valley")
    assert model.groups.leader_present[valley]
    step_to(model, 3)
    assert not model.groups.leader_present[valley]
    assert model.groups.crisis_left[valley] == model.params.leadership.succession_days - 1
    fighting = model.groups.fighting_matrix(model.params.leadership)
    assert fighting[valley, valley] > 0  # internal fighting
    rival = model.groups.names.index("san_luis")
    assert fighting[rival, valley] > model.groups.rivalry[rival, valley]  # rivals probe


def test_trust_shock_lowers_trust_and_shared_intelligence():
    events = [{"type": "trust_shock", "day": 3, "a": "mun_tijuana", "b": "state_bc", "value": 0.0}]
    coordinated = {"regime": "coordinated"}
    shocked = step_to(model_with(events, command=coordinated), 4)
    calm = step_to(model_with([], command=coordinated), 4)
    a, b = shocked.agency_names.index("mun_tijuana"), shocked.agency_names.index("state_bc")
    assert shocked.trust[a, b] < 0.05
    assert zone_series(shocked, "intel_shared", ["tijuana"]).loc[4] < zone_series(calm, "intel_shared", ["tijuana"]).loc[4]


def test_vetting_lowers_the_share_of_colluding_units():
    strong = {"institutions": {"collusion_turnover": 0.001}}
    vetted = step_to(model_with([{"type": "vetting", "day": 0, "rate": 0.1}], **strong), 39)
    plain = step_to(model_with([], **strong), 39)
    assert vetted.units.colluding.mean() < 0.3 * plain.units.colluding.mean()
    assert zone_series(vetted, "colluding_share", ["tijuana"]).iloc[-1] < zone_series(plain, "colluding_share", ["tijuana"]).iloc[-1]


def test_vetting_of_named_agencies_only():
    model = step_to(model_with([{"type": "vetting", "day": 0, "rate": 0.5, "agencies": ["mun_tijuana"]}]), 0)
    rates = dict(zip(model.agency_names, model.institutions.vetting_rate, strict=True))
    assert rates["mun_tijuana"] == 0.5
    assert rates["state_bc"] == 0.0


def test_prevention_ramps_and_cuts_recruitment():
    model = model_with([{"type": "prevention", "day": 0, "reduction": 0.9, "ramp_days": 10}])
    shares = []
    while model.day <= 15:
        model.step()
        shares.append(model.prevention)
    assert shares[model.burn_in] == pytest.approx(0.09)
    assert shares[-1] == pytest.approx(0.9)
    step_to(model, 39)
    plain = step_to(model_with([]), 39)
    recruited = GROUP_METRICS.index("recruited")
    days = slice(model.burn_in + 10, model.burn_in + 40)  # a month at full effect (replacing lost members goes on)
    assert model.recorder.group[days, :, recruited].sum() < 0.5 * plain.recorder.group[days, :, recruited].sum()


def test_group_exit_removes_the_group_and_counts_exits():
    model = step_to(model_with([{"type": "group_exit", "day": 3, "group": "valley"}]), 2)
    valley = model.groups.names.index("valley")
    members = model.group_agents[valley].members
    step_to(model, 3)
    assert model.group_agents[valley].members == 0
    row = model.recorder.days_recorded - 1
    assert model.recorder.group[row, valley, GROUP_METRICS.index("exited")] >= members
    assert not model.groups.active[valley]


def test_zone_metrics_include_institutions():
    assert {"community_trust", "colluding_share", "interagency_trust", "intel_shared"} <= set(ZONE_METRICS)


def test_a_war_breaks_out_on_its_day_and_raises_the_fighting():
    """set_rivalry: the valley and San Luis groups at peace until day 15, at war after it."""
    peace = {"valley": {"rivals": []}, "san_luis": {"rivals": []}}
    war = [{"type": "set_rivalry", "day": 15, "groups": ["valley", "san_luis"], "rivals": True}]
    model = model_with(war, days=60, groups=peace)
    valley, san_luis = model.groups.names.index("valley"), model.groups.names.index("san_luis")
    step_to(model, 14)
    assert model.groups.rivalry[valley, san_luis] == 0 and model.groups.fighting_matrix(model.params.leadership)[valley, san_luis] == 0
    step_to(model, 15)
    assert model.groups.rivalry[valley, san_luis] == model.groups.rivalry[san_luis, valley] == 1
    assert model.groups.fighting_matrix(model.params.leadership)[valley, san_luis] > 0


def test_an_absorbed_group_keeps_its_members_under_the_absorber():
    events = [{"type": "group_exit", "day": 5, "group": "san_luis", "share": 1.0, "into": "valley"}]
    model = step_to(model_with(events), 6)
    groups = model.recorder.group_frame(model.groups.names)
    day5 = groups[groups["day"] == 5].set_index("group")
    assert day5.loc["san_luis", "members"] == 0 and day5.loc["san_luis", "exited"] == 0
    assert day5.loc["valley", "transferred"] == -day5.loc["san_luis", "transferred"] > 0
