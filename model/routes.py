"""Trafficking routes: least-cost paths from entry points to ports of entry on the cell graph.

Travel cost per cell rises with terrain and with enforcement (officers in the neighbourhood), so
a crackdown on a corridor shifts flow to the next-cheapest route (FACTS: P2). Flow per port is the
port's share of crossings; each port is served from its cheapest entry point (multi-source
Dijkstra, ``scipy.sparse.csgraph``).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import dijkstra

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
        step = np.array([np.hypot(dr, dc) for dr, dc in MOORE_OFFSETS])
        src = np.repeat(np.arange(n), len(MOORE_OFFSETS))
        dst = region.neighbours.ravel()
        dist = np.tile(step, n)
        keep = dst >= 0
        self._src, self._dst, self._dist = src[keep], dst[keep], dist[keep]
        self._indptr = np.concatenate([[0], np.cumsum(np.bincount(self._src, minlength=n))])  # edges sorted by source
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
        weights = 0.5 * (cost[self._src] + cost[self._dst]) * self._dist
        n = self.region.n_cells
        graph = sparse.csr_matrix((weights, self._dst, self._indptr), shape=(n, n))
        _, predecessors, _sources = dijkstra(graph, directed=True, indices=self.region.entry_cells, return_predecessors=True, min_only=True)
        flow = np.zeros(n)
        self.paths = []
        for port, share in zip(self.region.port_cells, self.region.port_weights, strict=True):
            path = [int(port)]
            node = int(port)
            while predecessors[node] >= 0:
                node = int(predecessors[node])
                path.append(node)
            cells = np.array(path[::-1], dtype=np.int64)
            self.paths.append(cells)
            flow[cells] += share
        self.flow = np.minimum(flow, 1.0)
        return self.flow
