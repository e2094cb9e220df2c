"""The daily allocation of security units to target cells, under the regime in force (``model.regime``).

- Each deployment (an agency's units in one jurisdiction) allocates from its own belief map inside
  its own jurisdiction (fragmented); deployments of different agencies pile onto the same hotspots
  and leave gaps.
- Coordinated: deployments allocate in turn (federal, state, municipal) and discount cells that
  others already cover, in proportion to their trust in the others.
- Unified over an ``area``: the units the command pools (``CommandRegime.update_pool``) see its
  pooled belief map and are allocated jointly with diminishing returns over the area (over their
  own jurisdiction's part of it without the jurisdiction channel); each target cell gets units of
  one agency only. Units left out of the pool keep working their jurisdiction outside the area.

Allocation maximises believed value with diminishing returns: the k-th unit on a cell is worth
``value × diminishing_returns**k`` (greedy, exact for this separable concave objective).
"""

from __future__ import annotations

import numpy as np

from mandosim.model.kernels import BeliefView, Deployments, allocate_deployments
from mandosim.model.params import CommandParams
from mandosim.model.regime import KIND_PRIORITY, CommandRegime
from mandosim.model.region import Region
from mandosim.model.tables import UnitTable


def greedy_counts(values: np.ndarray, k: int, factor: float) -> tuple[np.ndarray, np.ndarray]:
    """Best placement of ``k`` units over cells worth ``values`` with geometric diminishing returns.

    Returns:
        (cells, counts): candidate positions (indices into ``values``) and units on each.
    """
    n = values.size
    m = min(k, n)
    if m == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    top = np.argpartition(values, n - m)[n - m :] if m < n else np.arange(n)
    levels = np.multiply.outer(values[top], factor ** np.arange(k)).ravel()
    chosen = np.argpartition(levels, levels.size - k)[levels.size - k :] if k < levels.size else np.arange(levels.size)
    return top, np.bincount(chosen // k, minlength=top.size)


class Command:
    """The allocation of units, under the regime in force.

    Args:
        params: Command parameters.
        region: The rasterised region.
        units: The unit table.
        regime: The regime in force (``model.regime``).
        trust: (agencies, agencies) trust matrix (read each day; institutions may move it).
    """

    def __init__(self, params: CommandParams, region: Region, units: UnitTable, regime: CommandRegime, trust: np.ndarray) -> None:
        self.params = params
        self.region = region
        self.units = units
        self.regime = regime
        self.trust = trust
        self.jurisdiction_cells = [np.flatnonzero(region.jurisdiction == j) for j in range(len(region.jurisdiction_names))]
        self.deployments: list[np.ndarray] = []
        self.rebuild()

    def rebuild(self) -> None:
        """Recompute deployments (an agency's units per jurisdiction) after units arrive or leave."""
        units = self.units
        keys = units.agency * len(self.region.jurisdiction_names) + units.home_jurisdiction
        order = np.lexsort((units.agency, [KIND_PRIORITY.index(k) for k in units.kind]))
        seen: dict[int, list[int]] = {}
        for u in order:
            seen.setdefault(int(keys[u]), []).append(int(u))
        self.deployments = [np.array(v, dtype=np.int64) for v in seen.values()]
        self._version = getattr(self, "_version", 0) + 1

    # --- allocation --------------------------------------------------------------------------
    def allocate(
        self,
        rng: np.random.Generator,
        belief: np.ndarray,
        positive: tuple[np.ndarray, np.ndarray],
        pooled_belief: np.ndarray,
        patrol: np.ndarray,
    ) -> None:
        """Place every unit on a target cell for today (writes ``units.pos``).

        Args:
            rng: The ``allocation`` stream.
            belief: (agencies, cells) believed members.
            positive: (ptr, cells) the cells each agency believes hold criminals (``Intelligence.positive_cells``).
            pooled_belief: (cells,) the unified command's map.
            patrol: (cells,) value of presence without intelligence (population pull).
        """
        units = self.units
        n = self.region.n_cells
        factor = self.params.diminishing_returns
        unified = self.regime.unified
        any_pooled = unified and bool(units.pooled.any())
        covered = np.zeros(n)
        if any_pooled:
            self._allocate_pooled(rng, pooled_belief + patrol, factor)
            covered += np.bincount(units.pos[units.pooled], minlength=n)
        coordinated = self.regime.coordinated
        deployments = self.deployment_records(any_pooled, unified, patrol)
        if coordinated:
            trust = self.trust[deployments.agency]
            others = trust.sum(axis=1) - trust[np.arange(deployments.agency.size), deployments.agency]
            deployments = deployments._replace(discount=others / max(self.trust.shape[0] - 1, 1))
        r = self.region
        view = BeliefView(belief, patrol, *positive, r.jurisdiction, len(r.jurisdiction_names), self.regime.area_mask)
        allocate_deployments(view, deployments, rng.random(units.n), factor, coordinated, covered, units.pos)

    def deployment_records(self, any_pooled: bool, unified: bool, patrol: np.ndarray) -> Deployments:
        """The deployments as the allocation kernel takes them (no coverage discount)."""
        agencies, jurisdictions, outside_area, cells, cell_ptr, patrol_order, units, unit_ptr = self._deployment_arrays(
            any_pooled, unified, patrol
        )
        return Deployments(agencies, jurisdictions, outside_area, cells, cell_ptr, patrol_order, units, unit_ptr, np.zeros(agencies.size))

    def _deployment_arrays(self, any_pooled: bool, unified: bool, patrol: np.ndarray) -> tuple[np.ndarray, ...]:
        """Deployments as flat arrays for the kernel (cached; units re-read daily while a command pools)."""
        key = (self._version, unified, self.regime.area, id(patrol))
        if getattr(self, "_dep_key", None) != key:
            units = self.units
            cells_list, cell_ptr, agencies, jurisdictions, outside_area, orders = [], [0], [], [], [], []
            for deployment in self.deployments:
                jurisdiction = int(units.home_jurisdiction[deployment[0]])
                cells = self.jurisdiction_cells[jurisdiction]
                outside = cells[~self.regime.area_mask[cells]] if unified else cells  # the area belongs to the command
                excluded = unified and outside.size > 0 and outside.size < cells.size
                cells = outside if outside.size else cells
                cells_list.append(cells)
                orders.append(cells[np.lexsort((cells, -patrol[cells]))])
                cell_ptr.append(cell_ptr[-1] + cells.size)
                agencies.append(int(units.agency[deployment[0]]))
                jurisdictions.append(jurisdiction)
                outside_area.append(excluded)
            self._dep_key = key
            self._dep_cells = (
                np.array(agencies, dtype=np.int64),
                np.array(jurisdictions, dtype=np.int64),
                np.array(outside_area, dtype=bool),
                np.concatenate(cells_list).astype(np.int64),
                np.array(cell_ptr, dtype=np.int64),
                np.concatenate(orders).astype(np.int64),
            )
            self._dep_units = None
        if any_pooled or self._dep_units is None or self._dep_units_pooled:
            free = [d[~self.units.pooled[d]] for d in self.deployments] if any_pooled else list(self.deployments)
            unit_ptr = np.concatenate([[0], np.cumsum([f.size for f in free])]).astype(np.int64)
            self._dep_units = (np.concatenate(free).astype(np.int64), unit_ptr)
            self._dep_units_pooled = any_pooled
        return (*self._dep_cells, *self._dep_units)

    def _allocate_pooled(self, rng: np.random.Generator, values_all: np.ndarray, factor: float) -> None:
        """Joint allocation of pooled units over the area (one agency per target cell).

        Without the jurisdiction channel each jurisdiction's pooled units allocate jointly over their
        own jurisdiction's part of the area only.
        """
        units = self.units
        pooled = np.flatnonzero(units.pooled)
        area_cells = np.flatnonzero(self.regime.area_mask)
        if self.regime.channels.jurisdiction:
            self._place_jointly(rng, pooled, area_cells, values_all, factor)
            return
        for j in np.unique(units.home_jurisdiction[pooled]):
            cells = area_cells[self.region.jurisdiction[area_cells] == j]
            if cells.size == 0:
                cells = area_cells
            self._place_jointly(rng, pooled[units.home_jurisdiction[pooled] == j], cells, values_all, factor)

    def _place_jointly(
        self, rng: np.random.Generator, pooled: np.ndarray, cells: np.ndarray, values_all: np.ndarray, factor: float
    ) -> None:
        units = self.units
        values = values_all[cells]
        top, counts = greedy_counts(values, pooled.size, factor)
        remaining: dict[int, list[int]] = {}
        for u in rng.permutation(pooled):
            remaining.setdefault(int(units.agency[u]), []).append(int(u))
        spare_cells = iter(cells[np.argsort(-values, kind="stable")])
        used: set[int] = set()
        for cell, count in zip(cells[top], counts, strict=True):
            if count == 0:
                continue
            lead = max(remaining, key=lambda a: (len(remaining[a]), -a))
            take, remaining[lead] = remaining[lead][:count], remaining[lead][count:]
            units.pos[take] = cell
            used.add(int(cell))
            if not remaining[lead]:
                del remaining[lead]
            if not remaining:
                break
        leftovers = [u for group in remaining.values() for u in group]
        for u in leftovers:
            cell = next((c for c in spare_cells if int(c) not in used), None)
            if cell is None:  # more units than cells: the rest share the best cells
                cell = cells[np.argmax(values)] if cells.size else units.pos[u]
            units.pos[u] = cell
            used.add(int(cell))
