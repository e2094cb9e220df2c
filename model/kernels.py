"""Compiled kernels (Numba) for the model's hottest loops.

Each kernel does exactly what the documented mechanism says, on plain arrays; it exists because a
loop over a few dozen deployments costs more in Python call overhead than in arithmetic.
"""

from __future__ import annotations

import heapq

import numpy as np
from numba import njit


@njit(cache=True)
def allocate_deployments(
    values_all: np.ndarray,
    dep_agency: np.ndarray,
    dep_units: np.ndarray,
    dep_unit_ptr: np.ndarray,
    dep_cells: np.ndarray,
    dep_cell_ptr: np.ndarray,
    dep_discount: np.ndarray,
    unit_keys: np.ndarray,
    factor: float,
    track_coverage: bool,
    covered: np.ndarray,
    pos: np.ndarray,
) -> None:
    """Place every deployment's units by greedy marginal value with geometric diminishing returns.

    Deployment d's k units take the k best (cell, j) slots worth ``v_c · factor**j`` (exact for this
    separable concave objective), where ``v_c = values_all[agency, c] · factor**(discount · covered_c)``
    and ``covered`` counts units placed by earlier deployments (``discount`` 0 when not coordinated).
    Within a deployment, units take the targets in the order of their random ``unit_keys``.

    Args:
        values_all: (agencies, cells) value of a cell to each agency.
        dep_agency: (deployments,) agency of each deployment.
        dep_units: units of all deployments, concatenated.
        dep_unit_ptr: (deployments + 1,) deployment d's units are ``dep_units[ptr[d]:ptr[d+1]]``.
        dep_cells: candidate cells of all deployments, concatenated.
        dep_cell_ptr: (deployments + 1,) deployment d's cells, likewise.
        dep_discount: (deployments,) weight of cells already covered by others.
        unit_keys: (units,) uniform random keys ordering units within their deployment.
        factor: diminishing returns per extra unit on a cell.
        track_coverage: add each deployment's placements to ``covered`` (coordinated command).
        covered: (cells,) units already placed (updated in place).
        pos: (units,) target cell of each unit (written).
    """
    for d in range(dep_agency.size):
        units = dep_units[dep_unit_ptr[d] : dep_unit_ptr[d + 1]]
        k = units.size
        cells = dep_cells[dep_cell_ptr[d] : dep_cell_ptr[d + 1]]
        if k == 0 or cells.size == 0:
            continue
        agency = dep_agency[d]
        values = np.empty(cells.size)
        for i in range(cells.size):
            values[i] = values_all[agency, cells[i]] * factor ** (dep_discount[d] * covered[cells[i]])
        # Only the k most valuable cells can receive any of the k units.
        threshold = np.partition(values, cells.size - k)[cells.size - k] if k < cells.size else -np.inf
        heap = [(0.0, 0, 0)]
        heap.pop()
        for i in range(cells.size):
            if values[i] >= threshold:
                heap.append((-values[i], i, cells[i]))
        heapq.heapify(heap)
        targets = np.empty(k, dtype=np.int64)
        for slot in range(k):
            neg, i, c = heapq.heappop(heap)
            targets[slot] = c
            heapq.heappush(heap, (neg * factor, i, c))
        order = np.argsort(unit_keys[units], kind="mergesort")
        for j in range(k):
            pos[units[order[j]]] = targets[j]
        if track_coverage:
            for j in range(k):
                covered[targets[j]] += 1.0
