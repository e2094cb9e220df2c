"""Trafficking routes: least-cost paths from entry points to ports of entry on the cell graph.

Travel cost per cell rises with terrain and with enforcement (officers in the neighbourhood), so
a crackdown on a corridor shifts flow to the next-cheapest route (FACTS: P2). Flow per port is the
port's share of crossings; each port is served from its cheapest entry point (multi-source
Dijkstra, compiled; edge cost is the mean of the two cells' costs times the step length).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from model.params import RouteParams
from model.region import LAND_CLASSES, MOORE_OFFSETS, Region


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
        self.paths: list[np.ndarray] = []

    def cost(self, officers_nearby: np.ndarray) -> np.ndarray:
        """Travel cost per cell given on-duty officers in each 3×3 neighbourhood."""
        return self.base_cost * (1.0 + self.params.enforcement_cost * officers_nearby)

    def recompute(self, officers_nearby: np.ndarray) -> np.ndarray:
        """Recompute routes and return flow per cell (0–1: share of all product passing through)."""
        cost = self.cost(officers_nearby)
        region = self.region
        predecessors = shortest_path_tree(cost, region.neighbours, self._step, region.entry_cells)
        flow = np.zeros(region.n_cells)
        self.paths = []
        for port, share in zip(region.port_cells, region.port_weights, strict=True):
            cells = trace_path(predecessors, int(port))
            self.paths.append(cells)
            flow[cells] += share
        self.flow = np.minimum(flow, 1.0)
        return self.flow


@njit(cache=True)
def shortest_path_tree(cost: np.ndarray, neighbours: np.ndarray, step: np.ndarray, sources: np.ndarray) -> np.ndarray:
    """Predecessor of each cell on its least-cost path from the nearest source (-1: source or unreachable).

    Multi-source Dijkstra on the Moore grid; moving from cell u to neighbour v costs
    ``(cost_u + cost_v) / 2 × step_k``.

    Args:
        cost: (cells,) travel cost per cell length.
        neighbours: (cells, 8) Moore neighbours, -1 where none.
        step: (8,) length of the step to each neighbour (1 or √2 cells).
        sources: Source cells.
    """
    n = cost.size
    dist = np.full(n, np.inf)
    pred = np.full(n, -1, dtype=np.int64)
    heap_value = np.empty(n * (neighbours.shape[1] + 1))
    heap_cell = np.empty(n * (neighbours.shape[1] + 1), dtype=np.int64)
    size = 0
    for s in sources:
        dist[s] = 0.0
        heap_value[size] = 0.0
        heap_cell[size] = s
        size += 1
    while size > 0:
        value = heap_value[0]
        u = heap_cell[0]
        size -= 1
        heap_value[0] = heap_value[size]
        heap_cell[0] = heap_cell[size]
        i = 0
        while True:  # sift down (min-heap)
            least, left, right = i, 2 * i + 1, 2 * i + 2
            if left < size and heap_value[left] < heap_value[least]:
                least = left
            if right < size and heap_value[right] < heap_value[least]:
                least = right
            if least == i:
                break
            swap_value, swap_cell = heap_value[i], heap_cell[i]
            heap_value[i] = heap_value[least]
            heap_cell[i] = heap_cell[least]
            heap_value[least] = swap_value
            heap_cell[least] = swap_cell
            i = least
        if value > dist[u]:
            continue  # a stale entry
        for k in range(neighbours.shape[1]):
            v = neighbours[u, k]
            if v < 0:
                continue
            candidate = value + 0.5 * (cost[u] + cost[v]) * step[k]
            if candidate < dist[v]:
                dist[v] = candidate
                pred[v] = u
                j = size  # sift up
                size += 1
                while j > 0 and heap_value[(j - 1) // 2] > candidate:
                    heap_value[j] = heap_value[(j - 1) // 2]
                    heap_cell[j] = heap_cell[(j - 1) // 2]
                    j = (j - 1) // 2
                heap_value[j] = candidate
                heap_cell[j] = v
    return pred


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
