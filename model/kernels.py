"""Compiled kernels (Numba) for the model's hottest loops.

Each kernel does exactly what the documented mechanism says, on plain arrays; it exists because a
loop over a few dozen deployments costs more in Python call overhead than in arithmetic.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def allocate_deployments(
    belief: np.ndarray,
    patrol: np.ndarray,
    positive_ptr: np.ndarray,
    positive_cells: np.ndarray,
    cell_jurisdiction: np.ndarray,
    area_mask: np.ndarray,
    dep_agency: np.ndarray,
    dep_jurisdiction: np.ndarray,
    dep_outside_area: np.ndarray,
    dep_units: np.ndarray,
    dep_unit_ptr: np.ndarray,
    dep_cells: np.ndarray,
    dep_cell_ptr: np.ndarray,
    dep_patrol_order: np.ndarray,
    dep_discount: np.ndarray,
    unit_keys: np.ndarray,
    factor: float,
    track_coverage: bool,
    covered: np.ndarray,
    pos: np.ndarray,
) -> None:
    """Place every deployment's units by greedy marginal value with geometric diminishing returns.

    Deployment d's k units take the k best (cell, j) slots worth ``v_c · factor**j`` (exact for this
    separable concave objective), where ``v_c = (belief[agency, c] + patrol_c) · factor**(discount · covered_c)``
    and ``covered`` counts units placed by earlier deployments (``discount`` 0 when not coordinated).
    Ties go to the lower cell index. Within a deployment, units take the targets in the order of
    their random ``unit_keys``.

    Without a coverage discount only the cells the agency believes hold criminals and the k best
    patrol cells among the rest can receive a unit, so only those enter the greedy (same result).

    Args:
        belief: (agencies, cells) believed members in a cell, per agency.
        patrol: (cells,) value of presence without intelligence.
        positive_ptr: (agencies + 1,) agency a believes criminals hold ``positive_cells[ptr[a]:ptr[a+1]]``.
        positive_cells: cells with positive belief, per agency, ascending.
        cell_jurisdiction: (cells,) jurisdiction code.
        area_mask: (cells,) inside the unified command's area.
        dep_agency: (deployments,) agency of each deployment.
        dep_jurisdiction: (deployments,) jurisdiction each deployment works.
        dep_outside_area: (deployments,) the deployment works only outside the command's area.
        dep_units: units of all deployments, concatenated.
        dep_unit_ptr: (deployments + 1,) deployment d's units are ``dep_units[ptr[d]:ptr[d+1]]``.
        dep_cells: candidate cells of all deployments (each ascending), concatenated.
        dep_cell_ptr: (deployments + 1,) deployment d's cells, likewise.
        dep_patrol_order: each deployment's cells by decreasing patrol value (then cell), concatenated
            like ``dep_cells``.
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
        discount = dep_discount[d]
        if discount > 0.0:
            value, cell = _discounted_values(belief[agency], patrol, cells, covered, discount, factor)
        else:
            believed = positive_cells[positive_ptr[agency] : positive_ptr[agency + 1]]
            order = dep_patrol_order[dep_cell_ptr[d] : dep_cell_ptr[d + 1]]
            in_deployment = (cell_jurisdiction[believed] == dep_jurisdiction[d]) & ~(dep_outside_area[d] & area_mask[believed])
            value, cell = _believed_and_patrol(belief[agency], patrol, believed[in_deployment], order, k)
        targets = _greedy_slots(value, cell, k, factor)
        by_key = np.argsort(unit_keys[units], kind="mergesort")
        for j in range(k):
            pos[units[by_key[j]]] = targets[j]
        if track_coverage:
            for j in range(k):
                covered[targets[j]] += 1.0


@njit(cache=True)
def _discounted_values(belief, patrol, cells, covered, discount, factor):
    """Every cell of the deployment, its value discounted for units others already placed there."""
    value = np.empty(cells.size)
    for i in range(cells.size):
        c = cells[i]
        value[i] = belief[c] + patrol[c]
        if covered[c] > 0.0:
            value[i] *= factor ** (discount * covered[c])
    return value, cells.copy()


@njit(cache=True)
def _believed_and_patrol(belief, patrol, believed, patrol_order, k):
    """Cells believed to hold criminals, plus the k best patrol cells among the rest."""
    value = np.empty(believed.size + k)
    cell = np.empty(believed.size + k, dtype=np.int64)
    n = 0
    for c in believed:
        value[n] = belief[c] + patrol[c]
        cell[n] = c
        n += 1
    taken = 0
    for c in patrol_order:
        if taken == k:
            break
        if belief[c] <= 0.0:
            value[n] = patrol[c]
            cell[n] = c
            n += 1
            taken += 1
    return value[:n].copy(), cell[:n].copy()


@njit(cache=True, inline="always")
def _sift_down(value: np.ndarray, cell: np.ndarray, i: int, n: int) -> None:
    """Max-heap on (value, then lower cell) from position i."""
    while True:
        best, left, right = i, 2 * i + 1, 2 * i + 2
        if left < n and (value[left] > value[best] or (value[left] == value[best] and cell[left] < cell[best])):
            best = left
        if right < n and (value[right] > value[best] or (value[right] == value[best] and cell[right] < cell[best])):
            best = right
        if best == i:
            return
        swap_value, swap_cell = value[i], cell[i]
        value[i], cell[i] = value[best], cell[best]
        value[best], cell[best] = swap_value, swap_cell
        i = best


@njit(cache=True)
def _greedy_slots(value: np.ndarray, cell: np.ndarray, k: int, factor: float) -> np.ndarray:
    """The k best slots: a cell worth v offers slots v, v·factor, v·factor², … (max-heap, in place)."""
    n = value.size
    for i in range(n // 2 - 1, -1, -1):
        _sift_down(value, cell, i, n)
    targets = np.empty(k, dtype=np.int64)
    for slot in range(k):
        targets[slot] = cell[0]
        value[0] *= factor  # the cell's next slot
        _sift_down(value, cell, 0, n)
    return targets


@njit(cache=True)
def neighbourhood_sum(pos: np.ndarray, weights: np.ndarray, neighbours: np.ndarray, n_cells: int) -> np.ndarray:
    """(cells,) total ``weights`` of the items standing in each cell's 3×3 neighbourhood.

    The Moore neighbourhood is symmetric, so scattering each item to its own cell and its neighbours
    gives every cell the sum over its neighbourhood; the cost follows the items, not the grid.

    Args:
        pos: (items,) domain cell of each item.
        weights: (items,) weight of each item (officers, members).
        neighbours: (cells, 8) Moore neighbours, -1 where none.
        n_cells: Number of domain cells.
    """
    out = np.zeros(n_cells)
    for i in range(pos.size):
        c = pos[i]
        w = weights[i]
        out[c] += w
        for k in range(neighbours.shape[1]):
            d = neighbours[c, k]
            if d >= 0:
                out[d] += w
    return out


@njit(cache=True)
def keyed_neighbourhood_sum(
    key: np.ndarray, pos: np.ndarray, weights: np.ndarray, n_keys: int, neighbours: np.ndarray, n_cells: int
) -> np.ndarray:
    """(keys, cells) like ``neighbourhood_sum``, separately for each key (group, agency)."""
    out = np.zeros((n_keys, n_cells))
    for i in range(pos.size):
        c = pos[i]
        g = key[i]
        w = weights[i]
        out[g, c] += w
        for k in range(neighbours.shape[1]):
            d = neighbours[c, k]
            if d >= 0:
                out[g, d] += w
    return out


@njit(cache=True)
def largest_per_key(key: np.ndarray, size: np.ndarray, n_keys: int) -> np.ndarray:
    """(keys,) index of the item with the largest ``size`` for each key (first on ties; -1 if none)."""
    best = np.full(n_keys, -1, dtype=np.int64)
    for i in range(key.size):
        k = key[i]
        if best[k] < 0 or size[i] > size[best[k]]:
            best[k] = i
    return best


@njit(cache=True)
def territory(pos: np.ndarray, group: np.ndarray, members: np.ndarray, zone: np.ndarray, n_groups: int, n_zones: int) -> tuple:
    """Members and controlled cells per zone and group.

    A cell is controlled by the group with most members on it (the lowest group code on ties).

    Args:
        pos: (criminal cells,) domain cell of each live criminal cell.
        group: (criminal cells,) its group.
        members: (criminal cells,) its members.
        zone: (cells,) zone code of each domain cell.
        n_groups: Group rows.
        n_zones: Number of zones.

    Returns:
        (zones, groups) members; (zones, groups) cells controlled.
    """
    members_zg = np.zeros((n_zones, n_groups))
    cells_zg = np.zeros((n_zones, n_groups), dtype=np.int64)
    order = np.argsort(pos, kind="mergesort")
    here = np.zeros(n_groups)
    i = 0
    while i < order.size:
        c = pos[order[i]]
        here[:] = 0.0
        j = i
        while j < order.size and pos[order[j]] == c:
            here[group[order[j]]] += members[order[j]]
            j += 1
        for g in range(n_groups):
            members_zg[zone[c], g] += here[g]
        if here.sum() > 0:
            cells_zg[zone[c], np.argmax(here)] += 1
        i = j
    return members_zg, cells_zg


@njit(cache=True)
def joint_engagements(engaged_cells: np.ndarray, unit_pos: np.ndarray, unit_agency: np.ndarray, n_agencies: int) -> np.ndarray:
    """(agencies, agencies) engagements on which each pair of agencies had units on the cell (diagonal 0)."""
    joint = np.zeros((n_agencies, n_agencies))
    present = np.zeros(n_agencies, dtype=np.bool_)
    for c in engaged_cells:
        present[:] = False
        for u in range(unit_pos.size):
            if unit_pos[u] == c:
                present[unit_agency[u]] = True
        for a in range(n_agencies):
            if present[a]:
                for b in range(n_agencies):
                    if present[b] and b != a:
                        joint[a, b] += 1.0
    return joint


@njit(cache=True)
def protected_members(
    pos: np.ndarray, group: np.ndarray, members: np.ndarray, dominant_zone: np.ndarray, zone: np.ndarray, n_cells: int
) -> np.ndarray:
    """(cells,) members, on each cell, of the group dominant in the cell's zone (the protected group).

    Args:
        pos: (criminal cells,) domain cell of each live criminal cell.
        group: (criminal cells,) its group.
        members: (criminal cells,) its members.
        dominant_zone: (zones,) dominant group of each zone (-1 none).
        zone: (cells,) zone code.
        n_cells: Number of domain cells.
    """
    out = np.zeros(n_cells)
    for i in range(pos.size):
        if group[i] == dominant_zone[zone[pos[i]]]:
            out[pos[i]] += members[i]
    return out
