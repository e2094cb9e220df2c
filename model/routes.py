"""Trafficking routes: product spread over the reasonable paths from entry points to ports of entry.

Travel cost per cell rises with terrain and with enforcement (officers in the neighbourhood), so
a crackdown on a corridor shifts flow to cheaper routes (FACTS: P2). Each port's product comes
from the entry points over the *reasonable* paths of Dial's (1971) stochastic assignment: the
least-cost path from the nearest entry (multi-source Dijkstra, compiled; edge cost is the mean of
the two cells' costs times the step length) and every path whose links all lead away from the
entries, a path costing ``Δ`` km of open land more than the least carrying ``exp(−dispersion_per_km · Δ)``
as much (assumption). Smugglers use more than one road, and a near tie between two
routes splits the product instead of sending all of it one way — so a small change in enforcement,
or in the grid's resolution, moves a little product, not a whole port's.

Flow per port is the port's share of crossings, diverted between ports as their approaches get
dearer: ``share_p ∝ w_p · (cost_p / reference_p)^−e``, rescaled to the same total, with ``e``
``routes.port_elasticity``, ``cost_p`` the least approach cost and the reference the approach
costs when the horizon starts (``freeze_reference``; before that the shares are the weights).
A zone's plaza value is the largest flow through any of its cells: the share of all product that
crosses the zone, which is what groups there fight and kill over (P2).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from mandosim.model.kernels import largest_per_key
from mandosim.model.params import RouteParams
from mandosim.model.region import LAND_CLASSES, MOORE_OFFSETS, Region


class Routes:
    """Trafficking flow over the region, recomputed from enforcement every few days.

    Args:
        region: The rasterised region.
        params: Route parameters.
    """

    def __init__(self, region: Region, params: RouteParams) -> None:
        self.region = region
        self.params = params
        n = region.n_cells
        self._step = np.array([np.hypot(dr, dc) for dr, dc in MOORE_OFFSETS])  # cell lengths per neighbour
        self._neighbours = region.neighbours.astype(np.int32)  # half the memory the searches walk (same cells)
        base = np.ones(n)
        base[region.land == LAND_CLASSES.index("mountain")] = params.mountain_cost
        base[region.land == LAND_CLASSES.index("desert")] = params.desert_cost
        base[region.road] = params.road_cost
        self.base_cost = base
        self.flow = np.zeros(n)
        self.plaza = np.zeros(n)  # per cell, the plaza value of its zone (0–1)
        self.path_costs = np.zeros(region.port_cells.size)  # least approach cost of each port
        self.reference_costs: np.ndarray | None = None
        self.shares = region.port_weights.astype(float).copy()

    def freeze_reference(self) -> None:
        """Take the current approach costs as the reference of port diversion (day 0 of the horizon)."""
        self.reference_costs = self.path_costs.copy()

    def port_shares(self) -> np.ndarray:
        """Each port's share of crossings: its weight, diverted by approach cost against the reference."""
        weights = self.region.port_weights.astype(float)
        if self.reference_costs is None or self.params.port_elasticity == 0.0:
            return weights.copy()
        ratio = self.path_costs / np.maximum(self.reference_costs, 1e-12)
        diverted = weights * ratio**-self.params.port_elasticity
        return diverted * weights.sum() / diverted.sum()

    def cost(self, officers_nearby: np.ndarray) -> np.ndarray:
        """Travel cost per cell given on-duty officers within each cell's reach (7.5 km square)."""
        return self.base_cost * (1.0 + self.params.enforcement_cost * officers_nearby)

    def recompute(self, officers_nearby: np.ndarray) -> np.ndarray:
        """Recompute routes and return flow per cell (0–1: share of all product passing through)."""
        cost = self.cost(officers_nearby)
        region = self.region
        search = least_costs(cost, self._neighbours, self._step, region.entry_cells, region.port_cells)
        self.path_costs = search.dist[region.port_cells]
        self.shares = self.port_shares()
        dispersion = self.params.dispersion_per_km * region.cell_km  # per cost unit of a cell length
        flow = dial_flows(cost, self._neighbours, self._step, search, region.port_cells, self.shares, dispersion)
        self.flow = np.minimum(flow, 1.0)
        self.plaza = self.flow[largest_per_key(region.zone, self.flow, len(region.zone_names))][region.zone]  # every zone has cells
        return self.flow


OUTSIDE, SETTLED = -1, -2  # a cell's heap position in ``least_costs`` when not in the heap


class Search(NamedTuple):
    """A least-cost search from the entry points (``least_costs``)."""

    dist: np.ndarray  # (cells,) least cost from the nearest source (inf where not reached)
    pred: np.ndarray  # (cells,) predecessor on that path (-1: a source or not reached)
    order: np.ndarray  # cells in the order settled (ascending ``dist``), the first ``n_settled``
    n_settled: int


def least_costs(cost: np.ndarray, neighbours: np.ndarray, step: np.ndarray, sources: np.ndarray, targets: np.ndarray) -> Search:
    """Least cost of each cell from the nearest source, its predecessor, and the order cells were settled.

    Multi-source Dijkstra on the Moore grid (an indexed binary heap: each cell at most once);
    moving from cell u to neighbour v costs ``(cost_u + cost_v) / 2 × step_k``. The search stops
    once every target is settled: every cell closer than the farthest target is settled then, with
    its final cost (pass no targets for all).

    Args:
        cost: (cells,) travel cost per cell length.
        neighbours: (cells, 8) Moore neighbours, -1 where none.
        step: (8,) length of the step to each neighbour (1 or √2 cells).
        sources: Source cells.
        targets: Cells that must be settled (empty: every cell).
    """
    return Search(*_least_costs(cost, neighbours, step, sources, targets))


@njit(cache=True)
def _least_costs(cost, neighbours, step, sources, targets):
    n = cost.size
    node = np.empty((n, 2))  # least cost so far and travel cost per cell length, side by side (one cache line)
    for c in range(n):
        node[c, 0] = np.inf
        node[c, 1] = cost[c]
    pred = np.full(n, -1, dtype=np.int64)
    order = np.empty(n, dtype=np.int64)
    n_settled = 0
    is_target = np.zeros(n, dtype=np.bool_)
    is_target[targets] = True
    open_targets = int(is_target.sum())
    heap = np.empty(n, dtype=np.int32)  # cells, a min-heap on their distance
    key = np.empty(n)  # the distance of the cell at each heap position (kept beside it for speed)
    where = np.full(n, OUTSIDE, dtype=np.int32)  # position of each cell in the heap, OUTSIDE or SETTLED
    size = 0
    for s in sources:
        if where[s] == OUTSIDE:
            node[s, 0] = 0.0
            heap[size] = s
            key[size] = 0.0
            where[s] = size
            size += 1
    while size > 0:
        u = heap[0]
        size -= 1
        if size > 0:
            _place(heap, key, where, heap[size], key[size], 0, size)
        where[u] = SETTLED
        order[n_settled] = u
        n_settled += 1
        if is_target[u]:
            open_targets -= 1
            if open_targets == 0:
                break
        dist_u, cost_u = node[u, 0], node[u, 1]
        for k in range(neighbours.shape[1]):
            v = neighbours[u, k]
            if v < 0:
                continue
            # a settled neighbour is never improved (costs are positive), so it needs no test of its own
            candidate = dist_u + 0.5 * (cost_u + node[v, 1]) * step[k]
            if candidate < node[v, 0]:
                node[v, 0] = candidate
                pred[v] = u
                i = where[v]
                if i == OUTSIDE:
                    i = size
                    size += 1
                _rise(heap, key, where, v, candidate, i)
    return node[:, 0].copy(), pred, order, n_settled


def dial_flows(
    cost: np.ndarray, neighbours: np.ndarray, step: np.ndarray, search: Search, targets: np.ndarray, injected: np.ndarray, dispersion: float
) -> np.ndarray:
    """Flow per cell when the product reaching each target spreads over the reasonable paths (Dial 1971).

    A link i→j is reasonable when it leads away from the sources (``d(i) < d(j)``, ``d`` the least
    cost from the nearest source) and has likelihood ``exp(dispersion · (d(j) − d(i) − t_ij))``: 1 on
    least-cost links, less the more a detour costs. A cell's weight is the sum over its reasonable
    in-links of the upstream weight × likelihood (sources weigh 1), and the flow into a cell goes back
    along its in-links in proportion to weight × likelihood, so a path's share of a target's product
    is ``exp(−dispersion × its extra cost)`` relative to the least-cost path's.
    Only cells upstream of a target carry product, so weights are computed for them alone.

    Args:
        cost: (cells,) travel cost per cell length.
        neighbours: (cells, 8) Moore neighbours, -1 where none.
        step: (8,) step lengths (cells).
        search: ``least_costs`` from the sources to the targets.
        targets: Target cells (ports).
        injected: (targets,) product arriving at each target.
        dispersion: Per cost unit of a cell length (large: the least-cost path only).

    Returns:
        (cells,) product passing through each cell.
    """
    return _dial_flows(cost, neighbours, step, search.dist, search.order, search.n_settled, targets, injected, dispersion)


@njit(cache=True)
def _dial_flows(cost, neighbours, step, dist, order, n_settled, targets, injected, dispersion):
    n, width = neighbours.shape
    upstream = _upstream(neighbours, dist, targets)  # only these ever carry product (about a third of the cells settled)
    weight = np.zeros(n)
    likelihood = np.empty((n_settled, width))  # of the in-link from neighbour k of the m-th cell settled (0: none)
    for m in range(n_settled):
        j = order[m]
        if not upstream[j]:
            continue
        if dist[j] == 0.0:  # a source
            weight[j] = 1.0
            likelihood[m] = 0.0
            continue
        total = 0.0
        for k in range(width):
            i = neighbours[j, k]
            like = 0.0
            if i >= 0 and dist[i] < dist[j]:
                like = np.exp(dispersion * (dist[j] - dist[i] - 0.5 * (cost[i] + cost[j]) * step[k]))
                total += weight[i] * like
            likelihood[m, k] = like
        weight[j] = total
    flow = np.zeros(n)
    for t in range(targets.size):
        flow[targets[t]] += injected[t]
    for m in range(n_settled - 1, -1, -1):
        j = order[m]
        if flow[j] <= 0.0 or dist[j] == 0.0:
            continue
        for k in range(width):
            if likelihood[m, k] > 0.0:
                i = neighbours[j, k]
                flow[i] += flow[j] * weight[i] * likelihood[m, k] / weight[j]
    return flow


@njit(cache=True)
def _upstream(neighbours, dist, targets):
    """Cells from which a target can be reached over reasonable links (i → j with d(i) < d(j)), targets included."""
    upstream = np.zeros(neighbours.shape[0], dtype=np.bool_)
    stack = np.empty(neighbours.shape[0], dtype=np.int64)
    top = 0
    for t in range(targets.size):
        if not upstream[targets[t]]:
            upstream[targets[t]] = True
            stack[top] = targets[t]
            top += 1
    while top > 0:
        top -= 1
        j = stack[top]
        for k in range(neighbours.shape[1]):
            i = neighbours[j, k]
            if i >= 0 and dist[i] < dist[j] and not upstream[i]:
                upstream[i] = True
                stack[top] = i
                top += 1
    return upstream


@njit(cache=True)
def _rise(heap: np.ndarray, key: np.ndarray, where: np.ndarray, cell: int, value: float, i: int) -> None:
    """Sift ``cell`` (distance ``value``) up from heap position ``i``."""
    while i > 0 and key[(i - 1) // 2] > value:
        parent = (i - 1) // 2
        heap[i] = heap[parent]
        key[i] = key[parent]
        where[heap[i]] = i
        i = parent
    heap[i] = cell
    key[i] = value
    where[cell] = i


@njit(cache=True)
def _place(heap: np.ndarray, key: np.ndarray, where: np.ndarray, cell: int, value: float, i: int, size: int) -> None:
    """Sift ``cell`` (distance ``value``) down from heap position ``i`` of a heap of ``size``."""
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size:
            child += key[child + 1] < key[child]
        if key[child] >= value:
            break
        heap[i] = heap[child]
        key[i] = key[child]
        where[heap[i]] = i
        i = child
    heap[i] = cell
    key[i] = value
    where[cell] = i
