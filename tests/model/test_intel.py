"""Intelligence: response to reported homicides and hot pursuit change what agencies believe, and so where they go."""

import numpy as np

from mandosim.model.intel import Intelligence
from mandosim.model.model import BorderSecurityModel
from mandosim.model.params import IntelParams
from tests.conftest import short


def test_reported_homicides_draw_only_the_agencies_whose_area_holds_them():
    observe = np.array([[True, True, False], [False, True, True]])
    intel = Intelligence(2, 3, IntelParams(), observe)
    by_cell = intel.report_homicides(np.array([0, 2, 0]), np.array([1.0, 1.0, 1.0]), weight=5.0)  # per criminal cell
    assert by_cell.tolist() == [2.0, 0.0, 1.0]
    assert intel.belief.tolist() == [[10.0, 0.0, 0.0], [0.0, 0.0, 5.0]]
    ptr, cells = intel.positive_cells()
    assert cells[ptr[0] : ptr[1]].tolist() == [0] and cells[ptr[1] : ptr[2]].tolist() == [2]


def test_pursuers_believe_the_fled_cell_is_where_it_went():
    intel = Intelligence(2, 3, IntelParams(), np.ones((2, 3), dtype=bool))
    pursuers = np.array([[False, True, True], [True, False, False]])  # agency 1 and a pooled unit; then agency 0
    intel.follow_all(pursuers, np.array([2, 1]), np.array([12.0, 0.0]), pooled=True)
    assert intel.belief[1, 2] == 12.0 and intel.belief[0, 2] == 0.0 and intel.pooled[2] == 12.0
    assert intel.belief[0, 1] == 0.0  # a cell that fled with no one left is believed empty
    assert intel._extra_active.tolist() == [2]  # the destination is observed tomorrow
    intel.follow_all(pursuers[:1], np.array([2]), np.array([5.0]), pooled=False)
    assert intel.belief[1, 2] == 12.0 and intel.pooled[2] == 12.0  # a smaller sighting lowers nothing


def test_the_response_channel_sends_units_where_homicides_were_reported():
    def units_on_homicide_cells(response: bool) -> float:
        model = BorderSecurityModel(short("baseline", channels={"response": response}, command={"response_weight": 50.0}), seed=5)
        hits = 0.0
        for _ in range(model.burn_in + 30):
            reported = np.flatnonzero(model.homicides_by_cell)  # yesterday's homicides
            model.step()
            hits += np.isin(model.units.pos, reported).sum()  # units placed today on those cells
        return hits

    assert units_on_homicide_cells(True) > 1.2 * units_on_homicide_cells(False)


def test_entries_made_positive_by_sharing_join_the_sparse_view_as_a_rebuild_would():
    from mandosim.model.intel import _insert_entries, _positive_entries

    rng = np.random.default_rng(3)
    belief = np.where(rng.random((4, 50)) < 0.3, rng.random((4, 50)), 0.0)
    ptr, cells = _positive_entries(belief)
    fresh = np.flatnonzero((belief.ravel() == 0) & (rng.random(200) < 0.2))
    belief.ravel()[fresh] = 1.0
    got_ptr, got_cells = _insert_entries(ptr, cells, fresh, 50)
    want_ptr, want_cells = _positive_entries(belief)
    assert got_ptr.tolist() == want_ptr.tolist() and got_cells.tolist() == want_cells.tolist()
