"""Compiled kernels (Numba) for the model's hottest loops.

Each kernel does exactly what the documented mechanism says, on plain arrays; it exists because a
loop over a few dozen deployments costs more in Python call overhead than in arithmetic.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from mandosim.model.rng import Stream


class BeliefView(NamedTuple):
    """What deployments allocate from.

    Attributes:
        belief: (agencies, cells) believed members in a cell, per agency.
        patrol: (cells,) value of presence without intelligence.
        positive_ptr: (agencies + 1,) agency a believes criminals hold the cells
            ``positive_cells[ptr[a]:ptr[a+1]]`` (``Intelligence.positive_cells``).
        positive_cells: cells with positive belief, by agency, ascending.
        jurisdiction: (cells,) jurisdiction of each cell.
        n_jurisdictions: Number of jurisdictions.
        area_mask: (cells,) inside the unified command's area.
    """

    belief: np.ndarray
    patrol: np.ndarray
    positive_ptr: np.ndarray
    positive_cells: np.ndarray
    jurisdiction: np.ndarray
    n_jurisdictions: int
    area_mask: np.ndarray


class Deployments(NamedTuple):
    """Every deployment (an agency's units in one jurisdiction) as flat arrays.

    Attributes:
        agency: (deployments,) agency of each deployment.
        jurisdiction: (deployments,) jurisdiction each deployment works.
        outside_area: (deployments,) the deployment works only outside the command's area.
        cells: candidate cells of all deployments (each ascending), concatenated.
        cell_ptr: (deployments + 1,) deployment d's cells are ``cells[ptr[d]:ptr[d+1]]``.
        patrol_order: each deployment's cells by decreasing patrol value (then cell), concatenated like ``cells``.
        units: units of all deployments, concatenated.
        unit_ptr: (deployments + 1,) deployment d's units, likewise.
        discount: (deployments,) weight of cells already covered by others (0 unless coordinated).
    """

    agency: np.ndarray
    jurisdiction: np.ndarray
    outside_area: np.ndarray
    cells: np.ndarray
    cell_ptr: np.ndarray
    patrol_order: np.ndarray
    units: np.ndarray
    unit_ptr: np.ndarray
    discount: np.ndarray


def allocate_deployments(
    view: BeliefView,
    deployments: Deployments,
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
    The records travel into the compiled code field by field (fast to type) and are rebuilt there.

    Args:
        view: What the deployments allocate from (``BeliefView``).
        deployments: The deployments (``Deployments``).
        unit_keys: (units,) uniform random keys ordering units within their deployment.
        factor: diminishing returns per extra unit on a cell.
        track_coverage: add each deployment's placements to ``covered`` (coordinated command).
        covered: (cells,) units already placed (updated in place).
        pos: (units,) target cell of each unit (written).
    """
    _allocate(unit_keys, factor, track_coverage, covered, pos, *view, *deployments)


VIEW_FIELDS = len(BeliefView._fields)


@njit(cache=True)
def _allocate(unit_keys, factor, track_coverage, covered, pos, *fields):
    view = BeliefView(*fields[:VIEW_FIELDS])
    dep = Deployments(*fields[VIEW_FIELDS:])
    kept_value, kept_cell, kept = _believed_best(view, dep)
    for d in range(dep.agency.size):
        units = dep.units[dep.unit_ptr[d] : dep.unit_ptr[d + 1]]
        k = units.size
        cells = dep.cells[dep.cell_ptr[d] : dep.cell_ptr[d + 1]]
        if k == 0 or cells.size == 0:
            continue
        agency = dep.agency[d]
        discount = dep.discount[d]
        if discount > 0.0:
            value, cell = _discounted_values(view.belief[agency], view.patrol, cells, covered, discount, factor, k)
        else:
            order = dep.patrol_order[dep.cell_ptr[d] : dep.cell_ptr[d + 1]]
            start, end = dep.unit_ptr[d], dep.unit_ptr[d + 1]
            value, cell = _with_patrol(view.belief[agency], view.patrol, kept_value[start:end], kept_cell[start:end], kept[d], order, k)
        targets = _greedy_slots(value, cell, k, factor)
        by_key = np.argsort(unit_keys[units], kind="mergesort")
        for j in range(k):
            pos[units[by_key[j]]] = targets[j]
        if track_coverage:
            for j in range(k):
                covered[targets[j]] += 1.0


@njit(cache=True)
def _believed_best(view, dep):
    """Each undiscounted deployment's k best believed cells, in one pass over every agency's believed cells.

    Returns:
        Values and cells kept (deployment d's at ``unit_ptr[d]:unit_ptr[d+1]``, as a ``_keep_best`` heap) and how many each keeps.
    """
    n_agencies = view.belief.shape[0]
    deployment_of = np.full(n_agencies * view.n_jurisdictions, -1, dtype=np.int64)  # at most one per (agency, jurisdiction)
    for d in range(dep.agency.size):
        if dep.discount[d] <= 0.0:
            deployment_of[dep.agency[d] * view.n_jurisdictions + dep.jurisdiction[d]] = d
    value = np.empty(dep.units.size)
    cell = np.empty(dep.units.size, dtype=np.int64)
    kept = np.zeros(dep.agency.size, dtype=np.int64)
    for a in range(n_agencies):
        for m in range(view.positive_ptr[a], view.positive_ptr[a + 1]):
            c = view.positive_cells[m]
            d = deployment_of[a * view.n_jurisdictions + view.jurisdiction[c]]
            if d < 0 or (dep.outside_area[d] and view.area_mask[c]):  # the command's area is not the deployment's
                continue
            start, end = dep.unit_ptr[d], dep.unit_ptr[d + 1]
            v = view.belief[a, c] + view.patrol[c]
            if kept[d] == end - start and (end == start or not _before(v, c, value[start], cell[start])):
                continue  # no better than the worst kept (most cells): ``_keep_best`` would keep it out
            kept[d] = _keep_best(value[start:end], cell[start:end], kept[d], v, c)
    return value, cell, kept


@njit(cache=True)
def _discounted_values(belief, patrol, cells, covered, discount, factor, k):
    """The k best cells of the deployment, their values discounted for units others already placed there."""
    value = np.empty(min(k, cells.size))
    cell = np.empty(value.size, dtype=np.int64)
    size = 0
    for i in range(cells.size):
        c = cells[i]
        v = belief[c] + patrol[c]
        if covered[c] > 0.0:
            v *= factor ** (discount * covered[c])
        size = _keep_best(value, cell, size, v, c)
    return value, cell


@njit(cache=True)
def _with_patrol(belief, patrol, value, cell, size, patrol_order, k):
    """The k best of: the believed cells kept (a ``_keep_best`` heap of ``size``), and the k best patrol cells among the rest."""
    taken = 0
    for c in patrol_order:
        if taken == k:
            break
        if belief[c] <= 0.0:
            size = _keep_best(value, cell, size, patrol[c], c)
            taken += 1
    return value[:size].copy(), cell[:size].copy()


@njit(cache=True, inline="always")
def _before(value_a: float, cell_a: int, value_b: float, cell_b: int) -> bool:
    """Slot a comes before slot b: higher value, then lower cell."""
    return value_a > value_b or (value_a == value_b and cell_a < cell_b)


@njit(cache=True, inline="always")  # called once per candidate cell: a call costs more than its work
def _keep_best(value: np.ndarray, cell: np.ndarray, size: int, v: float, c: int) -> int:
    """Offer cell ``c`` worth ``v`` to the best ``value.size`` kept so far (a heap, the last in order on top); return the size.

    Only the k best cells can receive any of k units (each cell's first slot comes before its
    later ones), so the greedy needs no others.
    """
    if size < value.size:
        i = size
        while i > 0 and _before(value[(i - 1) // 2], cell[(i - 1) // 2], v, c):
            parent = (i - 1) // 2
            value[i], cell[i] = value[parent], cell[parent]
            i = parent
        value[i], cell[i] = v, c
        return size + 1
    if size == 0 or not _before(v, c, value[0], cell[0]):
        return size
    i = 0
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and _before(value[child], cell[child], value[child + 1], cell[child + 1]):
            child += 1
        if not _before(v, c, value[child], cell[child]):
            break
        value[i], cell[i] = value[child], cell[child]
        i = child
    value[i], cell[i] = v, c
    return size


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
def neighbourhood_sum(pos: np.ndarray, weights: np.ndarray, stencil: np.ndarray, overlap: np.ndarray, n_cells: int) -> np.ndarray:
    """(cells,) total ``weights`` of the items standing within each cell's stencil (``Region.reach``).

    The stencil is a square centred on each cell, so scattering each item to the cells around it,
    with the share of each cell inside the square, gives every cell the sum over its square; the
    cost follows the items, not the grid.

    Args:
        pos: (items,) domain cell of each item.
        weights: (items,) weight of each item (officers, members).
        stencil: (cells, K) ``Stencil.cells`` (column 0 the cell itself, -1 outside the domain).
        overlap: (K,) ``Stencil.weights``.
        n_cells: Number of domain cells.
    """
    out = np.zeros(n_cells)
    for i in range(pos.size):
        c = pos[i]
        w = weights[i]
        out[c] += w * overlap[0]
        for k in range(1, stencil.shape[1]):
            d = stencil[c, k]
            if d >= 0:
                out[d] += w * overlap[k]
    return out


@njit(cache=True)
def keyed_neighbourhood_sum(
    key: np.ndarray, pos: np.ndarray, weights: np.ndarray, n_keys: int, stencil: np.ndarray, overlap: np.ndarray, n_cells: int
) -> np.ndarray:
    """(cells, keys) like ``neighbourhood_sum``, separately for each key (group, agency).

    A cell's keys sit side by side: the kernels that read every group around a cell read one cache line.
    """
    out = np.zeros((n_cells, n_keys))
    for i in range(pos.size):
        c = pos[i]
        g = key[i]
        w = weights[i]
        out[c, g] += w * overlap[0]
        for k in range(1, stencil.shape[1]):
            d = stencil[c, k]
            if d >= 0:
                out[d, g] += w * overlap[k]
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
def territory(
    pos: np.ndarray,
    group: np.ndarray,
    members: np.ndarray,
    alive: np.ndarray,
    zone: np.ndarray,
    n_active: int,
    scratch: np.ndarray,
    out: np.ndarray,
) -> np.ndarray:
    """Members and controlled cells per zone and group, written to ``out``; members per zone and group returned.

    A cell is controlled by the group with most members on it (the lowest group code on ties).

    Args:
        pos: (slots,) domain cell of each criminal cell slot.
        group: (slots,) its group.
        members: (slots,) its members.
        alive: (slots,) the slot holds a criminal cell.
        zone: (cells,) zone code of each domain cell.
        n_active: Groups that exist so far (codes below it; rows above it are room for splinters).
        scratch: (cells, groups) zeros; used and left zeroed.
        out: (zones, groups, 2) written: members (rounded) and cells controlled.

    Returns:
        (zones, groups) members.
    """
    n_zones, n_groups = out.shape[0], scratch.shape[1]
    members_zg = np.zeros((n_zones, n_groups))
    for i in range(alive.size):
        if alive[i]:
            scratch[pos[i], group[i]] += members[i]
            members_zg[zone[pos[i]], group[i]] += members[i]
    out[:, :, 1] = 0
    for i in range(alive.size):
        if not alive[i]:
            continue
        c = pos[i]
        best, total = 0, 0.0
        for g in range(n_active):
            total += scratch[c, g]
            if scratch[c, g] > scratch[c, best]:
                best = g
        if total > 0.0:  # first visit of this cell: count it, then clear it
            out[zone[c], best, 1] += 1
            scratch[c, :n_active] = 0.0
    for z in range(n_zones):
        for g in range(n_groups):
            out[z, g, 0] = np.rint(members_zg[z, g])
    return members_zg


@njit(cache=True)
def intelligence_quality(
    pos: np.ndarray, unit_pos: np.ndarray, unit_agency: np.ndarray, belief: np.ndarray, true_members: np.ndarray
) -> np.ndarray:
    """Per criminal cell: believed / true members of the best-informed agency with units on its cell (≤ 1; 0 with none).

    Args:
        pos: (criminal cells,) cell of each.
        unit_pos: (units,) cell of each unit.
        unit_agency: (units,) agency of each unit.
        belief: (agencies, cells) believed members.
        true_members: (cells,) criminal members per cell.
    """
    quality = np.zeros(pos.size)
    for i in range(pos.size):
        c = pos[i]
        best, found = 0.0, False
        for u in range(unit_pos.size):
            if unit_pos[u] == c:
                value = belief[unit_agency[u], c]
                if not found or value > best:
                    best, found = value, True
        if found:
            quality[i] = min(1.0, best / max(true_members[c], 1.0))
    return quality


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


class Census(NamedTuple):
    """Where the criminal members are this morning (``census``)."""

    per_cell: np.ndarray  # (cells,) members on each domain cell
    by_zone: np.ndarray  # (group rows, zones) members of each group in each zone
    dominant_zone: np.ndarray  # (zones,) group with most members in the zone (lowest code on ties; -1 none)
    protected: np.ndarray  # (cells,) members on each cell of the group dominant in its zone


@njit(cache=True)
def census(
    pos: np.ndarray, group: np.ndarray, members: np.ndarray, alive: np.ndarray, zone: np.ndarray, n_groups: int, n_zones: int
) -> Census:
    """Members per cell and per (group, zone), each zone's dominant group, and its members per cell, in one pass.

    Args:
        pos: (slots,) domain cell of each criminal cell slot.
        group: (slots,) its group.
        members: (slots,) its members.
        alive: (slots,) the slot holds a criminal cell.
        zone: (cells,) zone code of each domain cell.
        n_groups: Group rows.
        n_zones: Number of zones.
    """
    per_cell = np.zeros(zone.size)
    by_zone = np.zeros((n_groups, n_zones))
    for i in range(alive.size):
        if alive[i]:
            per_cell[pos[i]] += members[i]
            by_zone[group[i], zone[pos[i]]] += members[i]
    dominant = np.full(n_zones, -1, dtype=np.int64)
    for z in range(n_zones):
        best, total = 0, 0.0
        for g in range(n_groups):
            total += by_zone[g, z]
            if by_zone[g, z] > by_zone[best, z]:
                best = g
        if total > 0.0:
            dominant[z] = best
    protected = np.zeros(zone.size)
    for i in range(alive.size):
        if alive[i] and group[i] == dominant[zone[pos[i]]]:
            protected[pos[i]] += members[i]
    return Census(per_cell, by_zone, dominant, protected)


@njit(cache=True)
def colluding_shares(agency: np.ndarray, home_zone: np.ndarray, colluding: np.ndarray, based: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Share of each agency's units that collude, and of its units based in each zone.

    Args:
        agency: (units,) agency of each unit.
        home_zone: (units,) zone it is based in.
        colluding: (units,) the unit colludes.
        based: (agencies, zones) units of each agency based in each zone.

    Returns:
        (agencies,) and (agencies, zones) colluding shares (0 where an agency has no units).
    """
    n_agencies, n_zones = based.shape
    units = np.zeros(n_agencies, dtype=np.int64)
    by_agency = np.zeros(n_agencies)
    by_zone = np.zeros((n_agencies, n_zones))
    for u in range(agency.size):
        units[agency[u]] += 1
        if colluding[u]:
            by_agency[agency[u]] += 1.0
            by_zone[agency[u], home_zone[u]] += 1.0
    for a in range(n_agencies):
        by_agency[a] /= max(units[a], 1)
        for z in range(n_zones):
            by_zone[a, z] /= max(based[a, z], 1)
    return by_agency, by_zone


@njit(cache=True)
def add_by_key(out: np.ndarray, columns: np.ndarray, key: np.ndarray, *values: np.ndarray) -> None:
    """Add each of ``values`` (items,) summed by ``key`` to ``out[:, columns[v]]`` ((keys, columns) counts)."""
    for v in range(len(values)):
        column = columns[v]
        for i in range(key.size):
            out[key[i], column] += values[v][i]


@njit(cache=True)
def slots_outside(alive: np.ndarray, members: np.ndarray, largest: int) -> tuple[np.ndarray, np.ndarray]:
    """Slots of live criminal cells with no members, and with more than ``largest`` (each ascending)."""
    empty = np.empty(alive.size, dtype=np.int64)
    oversized = np.empty(alive.size, dtype=np.int64)
    n_empty = n_oversized = 0
    for slot in range(alive.size):
        if alive[slot]:
            if members[slot] <= 0:
                empty[n_empty] = slot
                n_empty += 1
            elif members[slot] > largest:
                oversized[n_oversized] = slot
                n_oversized += 1
    return empty[:n_empty], oversized[:n_oversized]


@njit(cache=True)
def sums_by_key(rows: np.ndarray, key: np.ndarray, n_keys: int) -> np.ndarray:
    """(keys, rows) sum of each row of ``rows`` (rows, items) over the items with each key."""
    out = np.zeros((n_keys, rows.shape[0]))
    for i in range(key.size):
        k = key[i]
        for r in range(rows.shape[0]):
            out[k, r] += rows[r, i]
    return out


@njit(cache=True)
def poisson_counts(rng: Stream, rates: np.ndarray) -> np.ndarray:
    """Independent Poisson counts with these rates, drawn as a Poisson total placed by rate.

    The total of independent Poisson counts is Poisson with the summed rate, and given the total
    each event falls on item i with probability rate_i / Σ rate: the same joint distribution as one
    draw per item, with draws only for the (few) events.
    """
    counts = np.zeros(rates.size, dtype=np.int64)
    cumulative = np.cumsum(rates)
    total = cumulative[-1] if rates.size else 0.0
    if total <= 0.0:
        return counts
    for _ in range(rng.poisson(total)):
        i = np.searchsorted(cumulative, rng.random() * total, side="right")
        counts[min(i, rates.size - 1)] += 1
    return counts


@njit(cache=True)
def leak_incidents(
    rng: Stream,
    cells: np.ndarray,
    groups: np.ndarray,
    unit_pos: np.ndarray,
    unit_agency: np.ndarray,
    colluding: np.ndarray,
    protected: np.ndarray,
    n_agencies: int,
    incident_prob: float,
) -> np.ndarray:
    """(agencies, agencies) incidents: on each leak, agencies present may catch the leaking agency.

    For every leak (a colluding unit warned the group it protects), each pair of a leaking agency and
    another agency with units on the cell becomes an incident with ``incident_prob``.

    Args:
        rng: The ``institutions`` stream.
        cells: (leaks,) cell of each leak.
        groups: (leaks,) group warned.
        unit_pos: (units,) cell of each unit.
        unit_agency: (units,) agency of each unit.
        colluding: (units,) unit colludes.
        protected: (units,) group each unit protects (-1 none).
        n_agencies: Number of agencies.
        incident_prob: Chance a witness agency records the incident.
    """
    incidents = np.zeros((n_agencies, n_agencies))
    leaking = np.zeros(n_agencies, dtype=np.bool_)
    present = np.zeros(n_agencies, dtype=np.bool_)
    for w in range(cells.size):
        leaking[:] = False
        present[:] = False
        for u in range(unit_pos.size):
            if unit_pos[u] == cells[w]:
                present[unit_agency[u]] = True
                if colluding[u] and protected[u] == groups[w]:
                    leaking[unit_agency[u]] = True
        for a in range(n_agencies):
            if not leaking[a]:
                continue
            for b in range(n_agencies):
                if present[b] and not leaking[b] and rng.random() < incident_prob:
                    incidents[a, b] += 1
                    incidents[b, a] += 1
    return incidents


@njit(cache=True)
def order_by_key(key: np.ndarray, n_keys: int) -> tuple[np.ndarray, np.ndarray]:
    """Items ordered by key, then by index (a counting sort), and where each key's run starts.

    Items whose key is outside ``0..n_keys-1`` are left out.

    Returns:
        ``order`` and ``start``: the items with key k are ``order[start[k]:start[k + 1]]``.
    """
    start = np.zeros(n_keys + 1, dtype=np.int64)
    for i in range(key.size):
        if 0 <= key[i] < n_keys:
            start[key[i] + 1] += 1
    for k in range(n_keys):
        start[k + 1] += start[k]
    fill = start[:-1].copy()
    order = np.empty(start[n_keys], dtype=np.int64)
    for i in range(key.size):
        if 0 <= key[i] < n_keys:
            order[fill[key[i]]] = i
            fill[key[i]] += 1
    return order, start


@njit(cache=True)
def binomial_thinning(rng: Stream, members: np.ndarray, key: np.ndarray, hazard: np.ndarray) -> np.ndarray:
    """Independent ``Binomial(members_i, hazard[key_i])`` counts, drawn per key as a total placed without replacement.

    The total over the items sharing a hazard is ``Binomial(Σ members, hazard)``; given the total,
    which members are taken is a uniform draw without replacement (multivariate hypergeometric):
    the same joint distribution as one draw per item, with draws only for the (few) members taken.

    Args:
        rng: The stream to draw from.
        members: (items,) members per item.
        key: (items,) hazard row of each item (its group).
        hazard: (keys,) per-member probability.
    """
    out = np.zeros(members.size, dtype=np.int64)
    by_key, start = order_by_key(np.where(members > 0, key, -1), hazard.size)  # the items with members, per key
    for k in range(hazard.size):
        if hazard[k] <= 0.0:
            continue
        items = by_key[start[k] : start[k + 1]]
        left = members[items].astype(np.int64)
        pool = left.sum()
        if pool == 0:
            continue
        taken = rng.binomial(pool, min(hazard[k], 1.0))
        for _ in range(taken):
            r = rng.integers(0, pool)  # the r-th remaining member
            j = 0
            while r >= left[j]:
                r -= left[j]
                j += 1
            left[j] -= 1
            out[items[j]] += 1
            pool -= 1
    return out


@njit(cache=True)
def pursuing_agencies(origins, destinations, unit_pos, unit_agency, reach, pooled, pooled_area, jurisdiction, n_agencies):
    """(fled cells, agencies + 1) which agencies' units on each origin may follow to its destination.

    A unit may follow where it may act (``reach`` of the destination's jurisdiction, or the command's
    area for pooled units); the last column says whether a pooled unit followed.
    """
    out = np.zeros((origins.size, n_agencies + 1), dtype=np.bool_)
    for k in range(origins.size):
        dest = destinations[k]
        for u in range(unit_pos.size):
            if unit_pos[u] != origins[k]:
                continue
            if reach[u, jurisdiction[dest]] or (pooled[u] and pooled_area[dest]):
                out[k, unit_agency[u]] = True
                if pooled[u]:
                    out[k, n_agencies] = True
    return out
