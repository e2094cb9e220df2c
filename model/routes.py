"""Trafficking routes: least-cost paths from entry points to ports of entry on the cell graph.

Travel cost per cell rises with terrain and with enforcement (officers in the neighbourhood), so
a crackdown on a corridor shifts flow to the next-cheapest route (FACTS: P2). Each port is served
from its cheapest entry point (multi-source Dijkstra, compiled; edge cost is the mean of the two
cells' costs times the step length). Flow per port is the port's share of crossings, diverted
between ports as their approaches get dearer: ``share_p ∝ w_p · (cost_p / reference_p)^−e``,
rescaled to the same total, with ``e`` ``routes.port_elasticity`` and the reference the approach
costs when the horizon starts (``freeze_reference``; before that the shares are the weights).
A zone's plaza value is the largest flow through any of its cells: the share of all product that
crosses the zone, which is what groups there fight and kill over (P2).
"""

from __future__ import annotations

import numpy as np
from numba import njit

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
        base = np.ones(n)
        base[region.land == LAND_CLASSES.index("mountain")] = params.mountain_cost
        base[region.land == LAND_CLASSES.index("desert")] = params.desert_cost
        base[region.road] = params.road_cost
        self.base_cost = base
        self.flow = np.zeros(n)
        self.plaza = np.zeros(n)  # per cell, the plaza value of its zone (0–1)
        self.paths: list[np.ndarray] = []
        self.path_costs = np.zeros(region.port_cells.size)  # approach cost of each port's path
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
        predecessors = shortest_path_tree(cost, region.neighbours, self._step, region.entry_cells, region.port_cells)
        self.paths = [trace_path(predecessors, int(port)) for port in region.port_cells]
        self.path_costs = np.array([path_cost(cells, cost, region.cell_rc) for cells in self.paths])
        self.shares = self.port_shares()
        flow = np.zeros(region.n_cells)
        for cells, share in zip(self.paths, self.shares, strict=True):
            flow[cells] += share
        self.flow = np.minimum(flow, 1.0)
        by_zone = np.zeros(len(region.zone_names))
        np.maximum.at(by_zone, region.zone, self.flow)
        self.plaza = by_zone[region.zone]
        return self.flow


@njit(cache=True)
def shortest_path_tree(cost: np.ndarray, neighbours: np.ndarray, step: np.ndarray, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Predecessor of each cell on its least-cost path from the nearest source (-1: source or unreachable).

    Multi-source Dijkstra on the Moore grid (an indexed binary heap: each cell at most once);
    moving from cell u to neighbour v costs ``(cost_u + cost_v) / 2 × step_k``. The search stops
    once every target is settled: the paths to the targets are then final (other cells'
    predecessors may not be; pass no targets for all).

    Args:
        cost: (cells,) travel cost per cell length.
        neighbours: (cells, 8) Moore neighbours, -1 where none.
        step: (8,) length of the step to each neighbour (1 or √2 cells).
        sources: Source cells.
        targets: Cells whose paths are wanted (empty: every cell).
    """
    n = cost.size
    dist = np.full(n, np.inf)
    pred = np.full(n, -1, dtype=np.int64)
    settled = np.zeros(n, dtype=np.bool_)
    is_target = np.zeros(n, dtype=np.bool_)
    is_target[targets] = True
    open_targets = int(is_target.sum())
    heap = np.empty(n, dtype=np.int64)  # cells, a min-heap on their distance
    key = np.empty(n)  # the distance of the cell at each heap position (kept beside it for speed)
    where = np.full(n, -1, dtype=np.int64)  # position of each cell in the heap
    size = 0
    for s in sources:
        if where[s] < 0:
            dist[s] = 0.0
            heap[size] = s
            key[size] = 0.0
            where[s] = size
            size += 1
    while size > 0:
        u = heap[0]
        size -= 1
        where[u] = -1
        if size > 0:
            _place(heap, key, where, heap[size], key[size], 0, size)
        settled[u] = True
        if is_target[u]:
            open_targets -= 1
            if open_targets == 0:
                break
        for k in range(neighbours.shape[1]):
            v = neighbours[u, k]
            if v < 0 or settled[v]:
                continue
            candidate = dist[u] + 0.5 * (cost[u] + cost[v]) * step[k]
            if candidate < dist[v]:
                dist[v] = candidate
                pred[v] = u
                i = where[v]
                if i < 0:
                    i = size
                    size += 1
                while i > 0 and key[(i - 1) // 2] > candidate:  # sift up
                    parent = (i - 1) // 2
                    heap[i] = heap[parent]
                    key[i] = key[parent]
                    where[heap[i]] = i
                    i = parent
                heap[i] = v
                key[i] = candidate
                where[v] = i
    return pred


@njit(cache=True)
def _place(heap: np.ndarray, key: np.ndarray, where: np.ndarray, cell: int, value: float, i: int, size: int) -> None:
    """Sift ``cell`` (distance ``value``) down from heap position ``i`` of a heap of ``size``."""
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and key[child + 1] < key[child]:
            child += 1
        if key[child] >= value:
            break
        heap[i] = heap[child]
        key[i] = key[child]
        where[heap[i]] = i
        i = child
    heap[i] = cell
    key[i] = value
    where[cell] = i


@njit(cache=True)
def path_cost(cells: np.ndarray, cost: np.ndarray, cell_rc: np.ndarray) -> float:
    """Travel cost along ``cells`` (a path of Moore steps): Σ (cost_u + cost_v) / 2 × step length."""
    total = 0.0
    for i in range(cells.size - 1):
        u, v = cells[i], cells[i + 1]
        step = np.hypot(cell_rc[u, 0] - cell_rc[v, 0], cell_rc[u, 1] - cell_rc[v, 1])
        total += 0.5 * (cost[u] + cost[v]) * step
    return total


@njit(cache=True)
def trace_path(predecessors: np.ndarray, target: int) -> np.ndarray:
    """Cells from the path's source to ``target``, following ``predecessors``."""
    length, node = 1, target
    while predecessors[node] >= 0:
        node = predecessors[node]
        length += 1
    path = np.empty(length, dtype=np.int64)
    node = target
    for i in range(length - 1, -1, -1):
        path[i] = node
        node = predecessors[node]
    return path
