"""Intelligence: each agency's belief map of criminal members per cell, and how it is shared.

Each day an agency observes cells in its area with a hazard that grows with its officers nearby,
its local knowledge and community tips (trust × density). An observation is the true head-count
with lognormal error, minus what a colluding agency hides about the group it protects. Beliefs
are exponentially smoothed and fade where nothing is seen. Sharing is set by the regime
(``model.regime``): partners' fresh observations adopted with a trust-weighted share (informal when
fragmented, more when coordinated, never between agencies in a rift), and pooled within a unified
command's area. Reported homicides draw attention (response) and pursuers know where a cell fled.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from mandosim.model.params import IntelParams
from mandosim.model.rng import Stream


class ObservationWorld(NamedTuple):
    """What the agencies look at on a day.

    Attributes:
        true_members: (cells,) criminal members per cell.
        unit_agency: (units,) agency of each unit.
        unit_pos: (units,) cell of each unit.
        unit_on_duty: (units,) on-duty officers of each unit.
        reach: (cells, K) ``Region.reach`` cells (what counts as nearby).
        reach_weights: (K,) their overlap weights.
        knowledge: (agencies,) local knowledge.
        sidelined: (agencies,) municipal members of a unified command (their knowledge in the area
            falls to ``knowledge_retained``).
        knowledge_retained: Share of local knowledge a sidelined agency keeps in the area.
        area_mask: (cells,) inside the unified command's area.
        tip_base: (cells,) community tips hazard at full community trust.
        community_trust: (zones,) community trust today (tips scale with it).
        zone: (cells,) zone code.
        collusion_share: (agencies,) share of each agency's units colluding.
        protected_members: (cells,) members of the group dominant in each cell's zone, there.
    """

    true_members: np.ndarray
    unit_agency: np.ndarray
    unit_pos: np.ndarray
    unit_on_duty: np.ndarray
    reach: np.ndarray
    reach_weights: np.ndarray
    knowledge: np.ndarray
    sidelined: np.ndarray
    knowledge_retained: float
    area_mask: np.ndarray
    tip_base: np.ndarray
    community_trust: np.ndarray
    zone: np.ndarray
    collusion_share: np.ndarray
    protected_members: np.ndarray


class RivalTips(NamedTuple):
    """What a patron group knows of its rivals and who protects it (``Intelligence.rival_tips``).

    Attributes:
        pos: (criminal cells,) cell of each criminal cell.
        group: (criminal cells,) its group.
        members: (criminal cells,) its members.
        zone: (cells,) zone code.
        patron_zone: (zones,) dominant group of each zone (-1 none): the patron of its colluding units.
        fighting: (groups, groups) fighting weights (rivals: > 0).
        colluding_share: (agencies, zones) share of each agency's units based in the zone that collude.
    """

    pos: np.ndarray
    group: np.ndarray
    members: np.ndarray
    zone: np.ndarray
    patron_zone: np.ndarray
    fighting: np.ndarray
    colluding_share: np.ndarray


class ObservationCoefficients(NamedTuple):
    """The ``intel.*`` parameters the observation kernel reads."""

    base_detection: float
    detection_per_officer: float
    collusion_suppression: float
    noise_sd: float
    decay: float
    memory: float
    belief_floor: float


class Intelligence:
    """Belief maps ``belief[agency, cell]`` (believed members) and the unified pooled map.

    Only *active* entries are processed each day: cells in an agency's area holding criminals or a
    belief above ``belief_floor``. Elsewhere an observation would find nothing and change nothing.

    Args:
        n_agencies: Number of agencies.
        n_cells: Number of domain cells.
        params: Intelligence parameters.
        observe_mask: (agencies, cells) True where an agency may observe (its area).
    """

    def __init__(self, n_agencies: int, n_cells: int, params: IntelParams, observe_mask: np.ndarray) -> None:
        self.params = params
        self.n_cells = n_cells
        self.observe_mask = observe_mask
        self.belief = np.zeros((n_agencies, n_cells))
        self.pooled = np.zeros(n_cells)
        self._detected = np.zeros(0, dtype=np.int64)  # flat (agency, cell) indices seen today
        self._observed = np.zeros(0)
        self._positive: tuple[np.ndarray, np.ndarray] | None = None  # sparse view of belief > 0
        self._extra_active = np.zeros(0, dtype=np.int64)  # cells made positive since the view was built
        self._near_officers = np.zeros((n_agencies, n_cells))  # scratch, zero between uses
        self._shared = np.zeros((n_cells, n_agencies, 2))  # scratch, zero between uses: partners' weights and weighted sums

    def observe(self, rng: Stream, world: ObservationWorld, sharing: np.ndarray) -> None:
        """One day of observation by every agency on the active entries, then partners' share of it.

        An active entry (agency a, cell c) is detected with probability ``1 − exp(−h)``, where
        ``h = (base_detection + detection_per_officer · officers of a within c's reach + tips_c) · knowledge``;
        it then reports ``max(true − hidden, 0)`` members with lognormal error, ``hidden`` being
        ``collusion_suppression × a's colluding share × members of the group protected in c's zone``.

        Sharing: for each cell c in agency a's area that partners b observed today (``observed_bc``),
        with ``w_ab = sharing[a, b]``: ``belief_ac ← (belief_ac + Σ_b w_ab · observed_bc) / (1 + Σ_b w_ab)``.
        Only partners who saw the cell contribute; a's own belief always keeps weight 1.

        Args:
            rng: The ``intel`` stream.
            world: What the agencies look at today (``ObservationWorld``).
            sharing: (agencies, agencies) share of b's observation a adopts (trust × channel; 0 diagonal),
                from ``CommandRegime.sharing_weights``.
        """
        p = self.params
        # Yesterday's view, plus the cells that responses and pursuits made positive since (active too):
        # the same active entries as a fresh view, without rebuilding it.
        ptr, cells = self._positive if self._positive is not None else self.positive_cells()
        extra, self._extra_active = self._extra_active, np.zeros(0, dtype=np.int64)
        coefficients = ObservationCoefficients(
            p.base_detection, p.detection_per_officer, p.collusion_suppression, p.noise_sd, p.decay, p.memory, p.belief_floor
        )
        self._detected, self._observed, new_ptr, new_cells = _observe_and_share(
            rng, self.belief, self._near_officers, self._shared, self.observe_mask, extra, ptr, cells, sharing,
            *coefficients, *world,
        )  # fmt: skip  # the records travel field by field (fast to type) and are rebuilt in compiled code
        self._positive = (new_ptr, new_cells)

    def positive_cells(self) -> tuple[np.ndarray, np.ndarray]:
        """Cells each agency believes hold criminals: ``cells[ptr[a]:ptr[a + 1]]``, ascending."""
        if self._positive is None or self._extra_active.size:
            self._positive = _positive_entries(self.belief)
            self._extra_active = np.zeros(0, dtype=np.int64)
        return self._positive

    def follow_all(self, pursuers: np.ndarray, destinations: np.ndarray, members: np.ndarray, pooled: bool) -> None:
        """Pursuers saw fled cells go: they believe each is where it went (hot pursuit), in turn.

        Args:
            pursuers: (fled cells, agencies + 1) which agencies followed each; the last column a pooled unit.
            destinations: (fled cells,) where each went.
            members: (fled cells,) its members: a pursuer's belief there becomes at least this.
            pooled: The command pools intelligence (its map hears a pooled pursuer).
        """
        fresh = _follow_all(self.belief, self.pooled, pursuers, destinations, members, pooled)
        if fresh.size:  # newly positive: active tomorrow
            self._extra_active = _merge_cells(self._extra_active, fresh)

    def report_homicides(self, pos: np.ndarray, homicides: np.ndarray, weight: float) -> np.ndarray:
        """Homicides reported in an agency's area draw its attention there (``command.response_weight`` each).

        Args:
            pos: (criminal cells,) domain cell where each criminal cell stood.
            homicides: (criminal cells,) homicides it caused today.
            weight: ``command.response_weight``.

        Returns:
            (cells,) today's homicides per domain cell.
        """
        by_cell, fresh = _report_by_cell(self.belief, self.observe_mask, pos, homicides, weight)
        if fresh.size:  # cells some agency did not believe held criminals now draw attention: active tomorrow
            self._extra_active = _sorted_union(self._extra_active, fresh)  # both ascending and distinct
        return by_cell

    def rival_tips(self, rng: Stream, tips: RivalTips, tip_prob: float) -> np.ndarray:
        """Patron groups tip their protectors off about their rivals (selective enforcement).

        In each zone, the dominant group (the patron of the zone's colluding units) tells every
        agency with colluding units there where its rivals' cells are: each rival cell (a group the
        patron fights) in the agency's area is tipped with ``tip_prob × the agency's colluding share
        in the zone``, and the agency believes it holds its true members. Assumption: information
        passes between a colluding unit and its patron both ways with the same chance
        (``operations.leak_prob``).

        Returns:
            (criminal cells,) True where the cell was tipped to some agency today.
        """
        tipped, fresh = _rival_tips(rng, self.belief, self.observe_mask, tip_prob, *tips)
        if fresh.size:
            self._extra_active = _merge_cells(self._extra_active, fresh)
        return tipped

    def pool(self, members: np.ndarray, area: np.ndarray, ramp: float) -> None:
        """Unified command: merge members' observations in the area into one map and hand it back.

        Args:
            members: Agency indices in the command.
            area: (cells,) True inside the command's area.
            ramp: 0–1, how far the command has ramped up (1: every member sees the pooled map).
        """
        p = self.params
        agency, cell = np.divmod(self._detected, self.n_cells)
        keep = np.isin(agency, members) & area[cell]
        count = np.bincount(cell[keep], minlength=self.n_cells)
        total = np.bincount(cell[keep], weights=self._observed[keep], minlength=self.n_cells)
        seen = count > 0
        mean_obs = np.where(seen, total / np.maximum(count, 1), 0.0)
        self.pooled = np.where(seen, p.memory * self.pooled + (1 - p.memory) * mean_obs, p.decay * self.pooled)
        self.pooled = np.where(area, self.pooled, 0.0)
        blend = (1 - ramp) * self.belief[members] + ramp * self.pooled[None, :]
        self.belief[members] = np.where(area[None, :], blend, self.belief[members])
        self._positive = None

    def seed_pool(self, members: np.ndarray, area: np.ndarray) -> None:
        """Start a pooled map from the members' mean belief (when a command forms)."""
        self.pooled = np.where(area, self.belief[members].mean(axis=0), 0.0)


@njit(cache=True)
def _positive_entries(belief):
    ptr = np.zeros(belief.shape[0] + 1, dtype=np.int64)
    cells = np.empty(belief.size, dtype=np.int64)
    n = 0
    for a in range(belief.shape[0]):
        for c in range(belief.shape[1]):
            if belief[a, c] > 0.0:
                cells[n] = c
                n += 1
        ptr[a + 1] = n
    return ptr, cells[:n].copy()


COEFFICIENT_FIELDS = len(ObservationCoefficients._fields)


@njit(cache=True)
def _observe_and_share(rng, belief, near_officers, shared, observable, extra, pos_ptr, pos_cells, sharing, *fields):
    """``Intelligence.observe``'s compiled body, its records passed field by field (coefficients, then the world).

    ``near_officers`` ((agencies, cells)) and ``shared`` ((cells, agencies, 2)) are scratch arrays of zeros, left zeroed.
    """
    k = ObservationCoefficients(*fields[:COEFFICIENT_FIELDS])
    w = ObservationWorld(*fields[COEFFICIENT_FIELDS:])
    occupied = _sorted_union(np.flatnonzero(w.true_members > 0.0), extra)
    detected, observed, ptr, cells = _observe(rng, belief, near_officers, observable, occupied, pos_ptr, pos_cells, w, k)
    if detected.size and np.any(sharing != 0.0):
        fresh = _share(belief, observable, detected, observed, sharing, shared)
        if fresh.size:  # entries that became positive join the sparse view
            ptr, cells = _insert_entries(ptr, cells, np.sort(fresh), belief.shape[1])
    return detected, observed, ptr, cells


@njit(cache=True)
def _merge_cells(active, cells):
    """``np.union1d(active, cells)`` for ascending distinct ``active`` and any int64 ``cells``."""
    ordered = np.sort(cells)
    distinct = np.empty(ordered.size, dtype=np.int64)
    n = 0
    for i in range(ordered.size):
        if n == 0 or ordered[i] != distinct[n - 1]:
            distinct[n] = ordered[i]
            n += 1
    return _sorted_union(active, distinct[:n])


@njit(cache=True)
def _sorted_union(first, second):
    """Sorted distinct values of two ascending arrays of distinct values (``np.union1d``)."""
    if second.size == 0:
        return first
    out = np.empty(first.size + second.size, dtype=np.int64)
    i, j, n = 0, 0, 0
    while i < first.size or j < second.size:
        if j >= second.size or (i < first.size and first[i] < second[j]):
            out[n] = first[i]
            i += 1
        elif i >= first.size or second[j] < first[i]:
            out[n] = second[j]
            j += 1
        else:
            out[n] = first[i]
            i += 1
            j += 1
        n += 1
    return out[:n].copy()


@njit(cache=True)
def _observe(rng, belief, near_officers, observable, occupied, pos_ptr, pos_cells, w, k):  # noqa: PLR0912, PLR0915
    n_agencies, n_cells = belief.shape
    # on-duty officers of each agency within each cell's reach, scattered from the units into a
    # zeroed scratch array that is zeroed again on the way out
    for u in range(w.unit_pos.size):
        c = w.unit_pos[u]
        near_officers[w.unit_agency[u], c] += w.unit_on_duty[u] * w.reach_weights[0]
        for n in range(1, w.reach.shape[1]):
            if w.reach[c, n] >= 0:
                near_officers[w.unit_agency[u], w.reach[c, n]] += w.unit_on_duty[u] * w.reach_weights[n]
    capacity = pos_cells.size + n_agencies * occupied.size
    detected = np.empty(capacity, dtype=np.int64)
    observed = np.empty(capacity)
    new_ptr = np.zeros(n_agencies + 1, dtype=np.int64)
    new_cells = np.empty(capacity, dtype=np.int64)
    found = 0
    kept = 0
    for a in range(n_agencies):
        # Active entries: cells believed to hold criminals, and cells holding criminals (merged,
        # ascending); elsewhere belief is 0 and an observation would change nothing.
        i, end, j = pos_ptr[a], pos_ptr[a + 1], 0
        while i < end or j < occupied.size:
            if j >= occupied.size or (i < end and pos_cells[i] < occupied[j]):
                c = pos_cells[i]
                i += 1
            elif i >= end or occupied[j] < pos_cells[i]:
                c = occupied[j]
                j += 1
            else:
                c = occupied[j]
                i += 1
                j += 1
            old = belief[a, c]
            new = old * k.decay
            if observable[a, c]:
                near = near_officers[a, c]
                skill = w.knowledge[a] * w.knowledge_retained if w.sidelined[a] and w.area_mask[c] else w.knowledge[a]
                tips = w.tip_base[c] * w.community_trust[w.zone[c]]
                hazard = (k.base_detection + k.detection_per_officer * near + tips) * skill
                if rng.standard_exponential() < hazard:  # detected, probability 1 − exp(−hazard)
                    hidden = k.collusion_suppression * w.collusion_share[a] * w.protected_members[c]
                    seen = max(w.true_members[c] - hidden, 0.0)
                    if seen > 0.0:  # lognormal error (nothing seen stays nothing)
                        seen *= np.exp(k.noise_sd * rng.standard_normal() - 0.5 * k.noise_sd**2)
                    detected[found] = a * n_cells + c
                    observed[found] = seen
                    found += 1
                    new = k.memory * old + (1.0 - k.memory) * seen
            if new >= k.belief_floor and new > 0.0:
                belief[a, c] = new
                new_cells[kept] = c
                kept += 1
            else:
                belief[a, c] = 0.0
        new_ptr[a + 1] = kept
    for u in range(w.unit_pos.size):
        c = w.unit_pos[u]
        near_officers[w.unit_agency[u], c] = 0.0
        for n in range(1, w.reach.shape[1]):
            if w.reach[c, n] >= 0:
                near_officers[w.unit_agency[u], w.reach[c, n]] = 0.0
    return detected[:found].copy(), observed[:found].copy(), new_ptr, new_cells[:kept].copy()


@njit(cache=True)
def _share(belief, observable, detected, observed, weights, shared):
    """Trust-weighted adoption of partners' observations of today (see ``Intelligence.share``).

    ``shared`` is a (cells, agencies, 2) array of zeros (one cell's sums side by side), used for each
    entry's sum of weights and of weighted observations and left zeroed. Returns the flat indices
    (agency × cells + cell) of the entries that became positive (sharing never makes a positive
    belief zero).
    """
    n_agencies, n_cells = belief.shape
    touched = np.empty(detected.size * n_agencies, dtype=np.int64)
    n_touched = 0
    for k in range(detected.size):
        b, c = detected[k] // n_cells, detected[k] % n_cells
        for a in range(n_agencies):
            w = weights[a, b]
            if a == b or w <= 0.0 or not observable[a, c]:
                continue
            if shared[c, a, 0] == 0.0:
                touched[n_touched] = a * n_cells + c
                n_touched += 1
            shared[c, a, 0] += w
            shared[c, a, 1] += w * observed[k]
    fresh = np.empty(n_touched, dtype=np.int64)
    n_fresh = 0
    for m in range(n_touched):
        a, c = touched[m] // n_cells, touched[m] % n_cells
        new = (belief[a, c] + shared[c, a, 1]) / (1.0 + shared[c, a, 0])
        if new > 0.0 and belief[a, c] <= 0.0:
            fresh[n_fresh] = touched[m]
            n_fresh += 1
        belief[a, c] = new
        shared[c, a, 0] = 0.0
        shared[c, a, 1] = 0.0
    return fresh[:n_fresh].copy()


@njit(cache=True)
def _report(belief, observable, cells, homicides, weight):
    """Add ``weight × homicides`` to the belief of every agency whose area holds each (distinct) cell.

    Returns the cells where some agency's belief was zero before (they become active entries).
    """
    fresh = np.empty(cells.size, dtype=np.int64)
    n = 0
    for i in range(cells.size):
        c = cells[i]
        added = weight * homicides[i]
        new = False
        for a in range(belief.shape[0]):
            if observable[a, c] and added > 0.0:
                new = new or belief[a, c] <= 0.0
                belief[a, c] += added
        if new:
            fresh[n] = c
            n += 1
    return fresh[:n].copy()


@njit(cache=True)
def _report_by_cell(belief, observable, pos, homicides, weight):
    """Homicides per domain cell (summed in criminal-cell order), then ``_report`` on the cells with any (ascending)."""
    by_cell = np.zeros(belief.shape[1])
    for i in range(pos.size):
        by_cell[pos[i]] += homicides[i]
    if weight <= 0.0:
        return by_cell, np.zeros(0, dtype=np.int64)
    cells = np.flatnonzero(by_cell)
    return by_cell, _report(belief, observable, cells, by_cell[cells], weight)


@njit(cache=True)
def _insert_entries(ptr, cells, fresh, n_cells):
    """The sparse view (``ptr``, ``cells``) with the sorted flat entries ``fresh`` (agency × cells + cell) merged in."""
    n_agencies = ptr.size - 1
    fresh_agency, fresh_cell = fresh // n_cells, fresh % n_cells
    out_ptr = np.zeros(n_agencies + 1, dtype=np.int64)
    out = np.empty(cells.size + fresh.size, dtype=np.int64)
    k, n = 0, 0
    for a in range(n_agencies):
        i, end = ptr[a], ptr[a + 1]
        while i < end or (k < fresh.size and fresh_agency[k] == a):
            if k < fresh.size and fresh_agency[k] == a and (i >= end or fresh_cell[k] < cells[i]):
                out[n] = fresh_cell[k]
                k += 1
            else:
                out[n] = cells[i]
                i += 1
            n += 1
        out_ptr[a + 1] = n
    return out_ptr, out[:n].copy()


@njit(cache=True)
def _rival_tips(rng, belief, observe_mask, tip_prob, pos, group, members, zone, patron_zone, fighting, colluding_share):
    n_agencies = colluding_share.shape[0]
    tipped = np.zeros(pos.size, dtype=np.bool_)
    fresh = np.empty(pos.size * n_agencies, dtype=np.int64)
    n_fresh = 0
    for i in range(pos.size):
        c, g = pos[i], group[i]
        patron = patron_zone[zone[c]]
        if patron < 0 or g == patron or fighting[patron, g] <= 0.0 or members[i] <= 0:
            continue
        for a in range(n_agencies):
            share = colluding_share[a, zone[c]]
            if share <= 0.0 or not observe_mask[a, c]:
                continue
            if rng.random() < tip_prob * share:
                tipped[i] = True
                if belief[a, c] <= 0.0:
                    fresh[n_fresh] = c
                    n_fresh += 1
                belief[a, c] = max(belief[a, c], float(members[i]))
    return tipped, fresh[:n_fresh].copy()


@njit(cache=True)
def _follow_all(belief, pooled_map, pursuers, destinations, members, pooled):
    """``Intelligence.follow_all``'s compiled loop; returns the destinations that became positive for some pursuer."""
    fresh = np.empty(destinations.size, dtype=np.int64)
    n_fresh = 0
    for k in range(destinations.size):
        cell, seen = destinations[k], members[k]
        newly = False
        for a in range(belief.shape[0]):
            if pursuers[k, a]:
                if seen > 0 and belief[a, cell] <= 0:
                    newly = True
                belief[a, cell] = max(belief[a, cell], seen)
        if newly:
            fresh[n_fresh] = cell
            n_fresh += 1
        if pooled and pursuers[k, belief.shape[0]]:
            pooled_map[cell] = max(pooled_map[cell], seen)
    return fresh[:n_fresh].copy()
