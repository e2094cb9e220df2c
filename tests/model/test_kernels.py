"""Compiled kernels against plain references on the same inputs."""

import heapq
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mandosim.model.intel import _merge_cells
from mandosim.model.kernels import (
    BeliefView,
    _discounted_values,
    _greedy_slots,
    allocate_deployments,
    binomial_thinning,
    census,
    colluding_shares,
    keyed_neighbourhood_sum,
    neighbourhood_sum,
    order_by_key,
    poisson_counts,
    territory,
)
from mandosim.model.model import BorderSecurityModel
from mandosim.model.region import MOORE_OFFSETS
from mandosim.model.routes import dial_flows, least_costs
from tests.conftest import short

AREA = ["mexicali_valley", "san_luis_rio_colorado"]


def allocation_inputs(model, patrol, factor):
    """Arguments of ``allocate_deployments`` for the model's current state (no pooled units)."""
    region = model.region
    deployments = model.command.deployment_records(False, model.regime.unified, patrol)
    n_jurisdictions = len(region.jurisdiction_names)
    ptr, positive = model.intel.positive_cells()
    view = BeliefView(model.intel.belief, patrol, ptr, positive, region.jurisdiction, n_jurisdictions, model.regime.area_mask)
    keys = np.random.default_rng(0).random(model.units.n)
    return [view, deployments, keys, factor, False, np.zeros(region.n_cells), model.units.pos.copy()]


@pytest.mark.parametrize("regime", ["fragmented", "unified"])
def test_allocation_from_believed_and_best_patrol_cells_equals_the_full_greedy(regime):
    """Candidates restricted to believed cells + the k best patrol cells give the same placement."""
    command = {"regime": regime, "area": AREA, "ramp_up_days": 0, "personnel_ceiling": 0.0}
    model = BorderSecurityModel(short("baseline", command=command), seed=2)
    for _ in range(model.burn_in + 10):
        model.step()
    belief = model.intel.belief.copy()
    cases = [
        (1.0, model.patrol),
        (1.0, np.zeros(model.region.n_cells)),
        (1.0, np.round(model.patrol, 1)),
        (1e-6, model.patrol),
        (0.0, model.patrol),
    ]
    for (scale, patrol), factor in itertools.product(cases, (0.7, 0.01)):  # intelligence, patrol only, ties, patrol
        model.intel.belief = belief * scale
        model.intel._positive = None  # the believed cells follow the belief map
        fast = allocation_inputs(model, patrol, factor)
        full = allocation_inputs(model, patrol, factor)
        full[1] = full[1]._replace(discount=np.full(full[1].agency.size, 1e-12))  # any discount takes the full scan (nothing covered)
        allocate_deployments(*fast)
        allocate_deployments(*full)
        assert np.array_equal(fast[-1], full[-1])


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0.0, 5.0), min_size=1, max_size=40), st.integers(0, 2**32 - 1))
def test_poisson_counts_match_independent_poisson_in_total_and_spread(rates, seed):
    rates = np.array(rates)
    counts = np.array([poisson_counts(np.random.default_rng(seed + i), rates) for i in range(400)])
    assert counts.shape == (400, rates.size)
    assert np.all(counts[:, rates == 0] == 0)
    if rates.sum() > 0:
        assert abs(counts.sum(axis=1).mean() - rates.sum()) < 5 * np.sqrt(rates.sum() / 400) + 1e-9
    if counts.sum() >= 200:
        share = counts.sum(axis=0) / counts.sum()
        assert np.abs(share - rates / rates.sum()).max() < 0.1


def test_neighbourhood_sums_equal_the_adjacency_product():
    model = BorderSecurityModel("baseline", seed=1, days=1)
    region, units, cells = model.region, model.units, model.cells
    on_duty = model._on_duty()
    per_cell = np.bincount(units.pos, weights=on_duty, minlength=region.n_cells)
    assert np.allclose(neighbourhood_sum(units.pos, on_duty, *region.reach, region.n_cells), region.adjacency @ per_cell)
    live = cells.live()
    keyed = keyed_neighbourhood_sum(
        cells.group[live], cells.pos[live], cells.members[live].astype(float), model.groups.size, *region.reach, region.n_cells
    )
    assert np.allclose(keyed, region.adjacency @ model.presence().T)


def _route_graph(model: BorderSecurityModel) -> tuple[np.ndarray, object]:
    """Costs with enforcement and noise (no ties), and the same grid as a scipy graph."""
    from scipy import sparse

    region, routes = model.region, model.routes
    cost = routes.cost(model._officers_nearby() + np.random.default_rng(3).random(region.n_cells))
    n = region.n_cells
    src = np.repeat(np.arange(n), region.neighbours.shape[1])
    dst = region.neighbours.ravel()
    keep = dst >= 0
    weights = 0.5 * (cost[src[keep]] + cost[dst[keep]]) * np.tile(routes._step, n)[keep]
    return cost, sparse.csr_matrix((weights, (src[keep], dst[keep])), shape=(n, n))


def _trace(pred: np.ndarray, cell: int) -> list[int]:
    path = [cell]
    while pred[path[-1]] >= 0:
        path.append(int(pred[path[-1]]))
    return path[::-1]


def test_least_costs_match_scipy_dijkstra():
    from scipy.sparse.csgraph import dijkstra

    model = BorderSecurityModel("baseline", seed=1, days=1)
    region, routes = model.region, model.routes
    cost, graph = _route_graph(model)
    dist, expected, _ = dijkstra(graph, directed=True, indices=region.entry_cells, return_predecessors=True, min_only=True)
    expected = np.where(expected < 0, -1, expected)
    everything = least_costs(cost, region.neighbours, routes._step, region.entry_cells, np.zeros(0, dtype=np.int64))
    assert np.array_equal(everything.pred, expected)
    assert np.allclose(everything.dist, dist, rtol=1e-12)
    assert np.all(np.diff(everything.dist[everything.order[: everything.n_settled]]) >= 0)  # settled in order
    to_ports = least_costs(cost, region.neighbours, routes._step, region.entry_cells, region.port_cells)
    for port in region.port_cells:
        assert _trace(to_ports.pred, int(port)) == _trace(expected, int(port))
        assert to_ports.dist[port] == pytest.approx(dist[port], rel=1e-12)


def test_dial_flows_keep_to_the_least_cost_paths_when_sharp_and_conserve_product():
    model = BorderSecurityModel("baseline", seed=1, days=1)
    region, routes = model.region, model.routes
    cost, _ = _route_graph(model)
    search = least_costs(cost, region.neighbours, routes._step, region.entry_cells, region.port_cells)
    shares = region.port_weights
    tree_flow = np.zeros(region.n_cells)
    for port, share in zip(region.port_cells, shares, strict=True):
        tree_flow[_trace(search.pred, int(port))] += share
    sharp = dial_flows(cost, region.neighbours, routes._step, search, region.port_cells, shares, 1e4)
    assert np.allclose(sharp, tree_flow, atol=1e-9)
    spread = dial_flows(cost, region.neighbours, routes._step, search, region.port_cells, shares, 0.1 * region.cell_km)
    assert spread[region.entry_cells].sum() == pytest.approx(shares.sum())  # all product comes from the entries
    assert np.all(spread <= shares.sum() + 1e-9) and np.all(spread >= 0.0)
    assert (spread > 1e-3).sum() > (tree_flow > 1e-3).sum()  # more than the least-cost paths carry product


def _dial_everywhere(cost: np.ndarray, neighbours: np.ndarray, step: np.ndarray, search, targets, injected, dispersion) -> np.ndarray:
    """Dial's assignment as written: weights and likelihoods for every cell settled (a reference)."""
    import math

    dist, order = search.dist, search.order[: search.n_settled]
    weight, likes = np.zeros(cost.size), {}
    for j in order:
        if dist[j] == 0.0:
            weight[j] = 1.0
            continue
        for k, i in enumerate(neighbours[j]):
            if i >= 0 and dist[i] < dist[j]:
                likes[j, k] = math.exp(dispersion * (dist[j] - dist[i] - 0.5 * (cost[i] + cost[j]) * step[k]))
                weight[j] += weight[i] * likes[j, k]
    flow = np.zeros(cost.size)
    np.add.at(flow, targets, injected)
    for j in order[::-1]:
        for k, i in enumerate(neighbours[j]):
            if (j, k) in likes and flow[j] > 0.0:
                flow[i] += flow[j] * weight[i] * likes[j, k] / weight[j]
    return flow


def test_dial_flows_computed_upstream_of_the_ports_only_equal_the_assignment_over_every_cell():
    model = BorderSecurityModel("baseline", seed=1, days=1)
    region, routes = model.region, model.routes
    cost, _ = _route_graph(model)
    search = least_costs(cost, region.neighbours, routes._step, region.entry_cells, region.port_cells)
    dispersion = 0.1 * region.cell_km
    args = (cost, region.neighbours, routes._step, search, region.port_cells, region.port_weights, dispersion)
    fast, reference = dial_flows(*args), _dial_everywhere(*args)
    assert (reference > 0).sum() < 0.6 * search.n_settled  # most settled cells carry nothing: the shortcut is tested
    assert np.allclose(fast, reference, rtol=1e-12, atol=0.0)


def test_dial_flows_split_a_tie_and_favour_the_cheaper_of_two_roads():
    # a 3 × 3 grid: product enters on the left (1, 0) and leaves on the right (1, 2); the centre is
    # all but closed, so it goes over the top (0, 1) or the bottom (2, 1)
    index = np.arange(9).reshape(3, 3)
    neighbours = np.full((9, 8), -1, dtype=np.int64)
    for k, (dr, dc) in enumerate(MOORE_OFFSETS):
        for r in range(3):
            for c in range(3):
                if 0 <= r + dr < 3 and 0 <= c + dc < 3:
                    neighbours[index[r, c], k] = index[r + dr, c + dc]
    step = np.array([np.hypot(dr, dc) for dr, dc in MOORE_OFFSETS])
    entry, port, top, bottom = np.array([index[1, 0]]), np.array([index[1, 2]]), index[0, 1], index[2, 1]

    def flows(cost: np.ndarray) -> np.ndarray:
        search = least_costs(cost, neighbours, step, entry, port)
        return dial_flows(cost, neighbours, step, search, port, np.array([1.0]), 1.0)

    cost = np.ones(9)
    cost[index[1, 1]] = 1e3
    even = flows(cost)
    assert even[top] == pytest.approx(even[bottom]) and even[top] + even[bottom] == pytest.approx(1.0, abs=1e-6)
    cost[top] = 1.5
    dearer = flows(cost)
    assert 0.0 < dearer[top] < 0.5 < dearer[bottom] < 1.0


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=1, max_size=30), st.floats(0.0, 0.5), st.integers(0, 2**32 - 1))
def test_binomial_thinning_matches_independent_binomials(members, hazard, seed):
    members = np.array(members)
    key = np.arange(members.size) % 2  # two groups, the second with twice the hazard
    hazards = np.array([hazard, 2 * hazard])
    draws = np.array([binomial_thinning(np.random.default_rng(seed + i), members, key, hazards) for i in range(300)])
    assert np.all((draws >= 0) & (draws <= members))
    expected = members * hazards[key]
    sd = np.sqrt((members * hazards[key] * (1 - hazards[key])).sum() / 300)
    assert abs(draws.sum(axis=1).mean() - expected.sum()) <= 5 * sd + 1e-9
    if draws.sum() >= 300:
        assert np.abs(draws.mean(axis=0) - expected).max() <= 0.15 * max(expected.max(), 1.0) + 0.5


def _thinning_reference(rng, members, key, hazard):
    """``binomial_thinning`` written plainly: each key's items found with a mask."""
    out = np.zeros(members.size, dtype=np.int64)
    for k in range(hazard.size):
        items = np.flatnonzero((key == k) & (members > 0))
        left = members[items].astype(np.int64)
        pool = int(left.sum())
        if hazard[k] <= 0.0 or pool == 0:
            continue
        for _ in range(rng.binomial(pool, min(hazard[k], 1.0))):
            j = int(np.searchsorted(np.cumsum(left), rng.integers(0, pool), side="right"))  # whose is the r-th member left
            left[j] -= 1
            out[items[j]] += 1
            pool -= 1
    return out


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12), st.integers(-1, 4)), min_size=1, max_size=40), st.integers(0, 2**32 - 1))
def test_binomial_thinning_takes_the_same_members_as_a_mask_per_key(items, seed):
    members, key = (np.array(column) for column in zip(*items, strict=True))
    hazard = np.array([0.3, 0.0, 0.6, 0.1])  # key 4 and -1 have none: their items are never taken
    got = binomial_thinning(np.random.default_rng(seed), members, key, hazard)
    assert np.array_equal(got, _thinning_reference(np.random.default_rng(seed), members, key, hazard))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-2, 6), max_size=60), st.integers(1, 5))
def test_order_by_key_lists_each_keys_items_in_index_order(keys, n_keys):
    key = np.array(keys, dtype=np.int64)
    order, start = order_by_key(key, n_keys)
    assert start.size == n_keys + 1 and start[0] == 0
    for k in range(n_keys):
        assert np.array_equal(order[start[k] : start[k + 1]], np.flatnonzero(key == k))
    assert order.size == start[n_keys] == int(((key >= 0) & (key < n_keys)).sum())  # keys outside 0..n-1 left out


def test_collusion_draws_reuse_a_chance_only_for_the_same_inputs():
    from mandosim.model.institutions import _next_collusion

    rng = np.random.default_rng(5)
    units = 200
    agency, zone = rng.integers(0, 3, units), rng.integers(0, 2, units)
    order = np.lexsort((zone, agency))  # units of one agency and zone side by side, as in the unit table
    agency, zone = agency[order], zone[order]
    control, reference, bribes = np.array([0.1, 0.9])[zone], np.array([0.5, 0.5])[zone], np.array([0.5, 3.0])[zone]
    colluding = rng.random(units) < 0.3
    hazard, vetting = np.array([0.01, 0.05, 0.2]), np.array([0.02, 0.0, 0.1])
    got = _next_collusion(np.random.default_rng(9), colluding, agency, control, reference, bribes, hazard, vetting, 1.5, 0.01)
    draws = np.random.default_rng(9)
    expected = np.empty(units, dtype=bool)
    for u in range(units):  # every chance computed afresh
        corrupt = draws.random() < -np.expm1(-hazard[agency[u]] * (control[u] / reference[u]) * bribes[u] ** 1.5)
        leave = draws.random() < -np.expm1(-(0.01 + vetting[agency[u]]))
        expected[u] = not leave if colluding[u] else corrupt
    assert np.array_equal(got, expected)


# --- day bookkeeping in one compiled pass, against the plain numpy it replaced -----------------------
SLOTS = st.integers(1, 60).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 19), min_size=n, max_size=n),  # cell
        st.lists(st.integers(0, 3), min_size=n, max_size=n),  # group
        st.lists(st.integers(0, 30), min_size=n, max_size=n),  # members
        st.lists(st.booleans(), min_size=n, max_size=n),  # alive
    )
)
CELL_ZONE = np.arange(20) % 3  # 20 domain cells in 3 zones


@settings(max_examples=60, deadline=None)
@given(SLOTS)
def test_census_equals_bincounts_argmax_and_protected_members(slots):
    pos, group, members, alive = (np.array(x) for x in slots)
    alive = alive.astype(bool)
    now = census(pos, group, members, alive, CELL_ZONE, 5, 3)
    per_cell = np.bincount(pos[alive], weights=members[alive], minlength=20)
    by_zone = np.bincount(group[alive] * 3 + CELL_ZONE[pos[alive]], weights=members[alive], minlength=15).reshape(5, 3)
    dominant = np.where(by_zone.sum(axis=0) > 0, by_zone.argmax(axis=0), -1)
    protected = np.zeros(20)
    for i in np.flatnonzero(alive):
        if group[i] == dominant[CELL_ZONE[pos[i]]]:
            protected[pos[i]] += members[i]
    assert np.array_equal(now.per_cell, per_cell) and np.array_equal(now.by_zone, by_zone)
    assert np.array_equal(now.dominant_zone, dominant) and np.array_equal(now.protected, protected)


@settings(max_examples=60, deadline=None)
@given(SLOTS)
def test_territory_counts_members_and_the_largest_group_of_each_cell(slots):
    pos, group, members, alive = (np.array(x) for x in slots)
    alive = alive.astype(bool)
    scratch, out = np.zeros((20, 5)), np.full((3, 5, 2), -1, dtype=np.int64)
    members_zg = territory(pos, group, members, alive, CELL_ZONE, 4, scratch, out)
    on_cell = np.zeros((20, 5))
    np.add.at(on_cell, (pos[alive], group[alive]), members[alive])
    expected_cells = np.zeros((3, 5), dtype=np.int64)
    for c in np.flatnonzero(on_cell.sum(axis=1) > 0):
        expected_cells[CELL_ZONE[c], int(np.argmax(on_cell[c, :4]))] += 1  # lowest code on ties
    expected_members = np.zeros((3, 5))
    np.add.at(expected_members, (CELL_ZONE[pos[alive]], group[alive]), members[alive])
    assert np.array_equal(members_zg, expected_members) and np.array_equal(out[:, :, 0], expected_members.astype(np.int64))
    assert np.array_equal(out[:, :, 1], expected_cells)
    assert not scratch.any()  # left zeroed


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2), st.booleans()), min_size=1, max_size=40))
def test_colluding_shares_equal_the_bincount_shares(units):
    agency, home_zone, colluding = (np.array(x) for x in zip(*units, strict=True))
    colluding = colluding.astype(bool)
    based = np.bincount(agency * 3 + home_zone, minlength=12).reshape(4, 3)
    by_agency, by_zone = colluding_shares(agency, home_zone, colluding, based)
    counts = np.bincount(agency, minlength=4)
    assert np.array_equal(by_agency, np.bincount(agency, weights=colluding.astype(float), minlength=4) / np.maximum(counts, 1))
    zone_counts = np.bincount(agency * 3 + home_zone, weights=colluding.astype(float), minlength=12).reshape(4, 3)
    assert np.array_equal(by_zone, zone_counts / np.maximum(based, 1))


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.integers(0, 6), min_size=1, max_size=50),
    st.integers(1, 12),
    st.sampled_from([0.5, 0.7, 1.0]),
    st.integers(0, 2**32 - 1),
)
def test_the_k_best_cells_give_the_greedy_over_every_slot(values, k, factor, seed):
    """Allocation keeps only the k best cells for k units; the placement equals the greedy over all cells' slots."""
    values = np.array(values, dtype=float) / 2.0  # many ties
    cells = np.random.default_rng(seed).permutation(values.size)  # cell codes in any order
    belief, patrol = np.zeros(values.size), np.zeros(values.size)
    patrol[cells] = values
    best_value, best_cell = _discounted_values(belief, patrol, cells, np.zeros(values.size), 1.0, factor, k)
    placed = _greedy_slots(best_value, best_cell, k, factor)
    slots = [(-v, int(c)) for v, c in zip(values, cells, strict=True)]  # every cell's next slot: higher value, then lower cell
    heapq.heapify(slots)
    expected = []
    for _ in range(k):
        value, cell = heapq.heappop(slots)
        expected.append(cell)
        heapq.heappush(slots, (value * factor, cell))
    assert placed.tolist() == expected


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 30), max_size=20, unique=True), st.lists(st.integers(0, 30), max_size=20))
def test_merged_cells_equal_union1d(active, cells):
    active, cells = np.array(sorted(active), dtype=np.int64), np.array(cells, dtype=np.int64)
    assert np.array_equal(_merge_cells(active, cells), np.union1d(active, cells))
