"""Learned risk: criminals act on what they have seen, never on presence that is not there."""

import numpy as np

from mandosim.model.model import BorderSecurityModel
from tests.conftest import short


def test_groups_learn_presence_by_the_delta_rule():
    from mandosim.model.risk import LearnedRisk

    reach = np.full((3, 9), -1, dtype=np.int64)
    reach[:, 0] = np.arange(3)  # each cell itself, then its neighbours
    reach[0, 1], reach[1, 1] = 1, 0
    risk = LearnedRisk(2, np.zeros(3), rate=0.1, learning=True)
    seen = np.array([10.0, 20.0, 30.0])
    for day in range(1, 31):
        risk.watch(np.array([0]), np.array([0]), reach, seen)
        assert np.isclose(risk.risk[0, 0], 10.0 * (1 - 0.9**day))
    assert risk.risk[0, 2] == 0.0  # never watched: nothing learned
    assert np.all(risk.risk[1] == 0.0)  # another group learns nothing from this one's cells
    risk.experienced(np.array([2]), np.array([1]), seen)  # an operation is learned at once
    assert risk.risk[1, 2] == 30.0
    blind = LearnedRisk(2, np.zeros(3), rate=0.1, learning=False)
    blind.watch(np.array([0]), np.array([0]), reach, seen)
    assert np.array_equal(blind.risk[1], seen)  # without the channel: today's presence everywhere


def test_an_announcement_is_expected_then_learnt_away_when_nothing_arrives():
    loaded = short(
        "baseline",
        events=[{"type": "announce_unified_command", "day": 2, "area": ["mexicali_valley"]}],
        time={"burn_in_days": 5, "horizon_days": 90},
    )
    model = BorderSecurityModel(loaded, seed=1)
    valley = model.region.zone == model.region.zone_code("mexicali_valley")
    group = model.groups.names.index("valley")
    for _ in range(model.burn_in + 2):
        model.step()
    before = model.risk.risk[group, valley].mean()
    model.step()  # day 2: the announcement
    raised = model.risk.risk[group, valley].mean()
    assert raised > before + 3.0
    for _ in range(80):
        model.step()
    watched = valley & (model.risk._stamp[group] == model.risk._today)  # cells its members watch today
    assert watched.sum() > 10
    excess = model.risk.risk[group, watched] - model._officers_nearby()[watched]
    assert excess.mean() < 0.5 * (raised - before)  # checked against what they see, and learnt away
    unwatched = valley & (model.risk._stamp[group] < 0)  # never watched: the announcement is all they know there
    assert model.risk.risk[group, unwatched].mean() > before + 0.9 * (raised - before)
