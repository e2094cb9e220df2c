"""Command regimes and the daily allocation of security units to target cells.

- ``fragmented``: each deployment (an agency's units in one jurisdiction) allocates alone, from its
  own belief map, inside its own jurisdiction; deployments of different agencies pile onto the same
  hotspots and leave gaps.
- ``coordinated``: deployments allocate in turn (federal, state, municipal) and discount cells that
  others already cover, in proportion to their trust in the others.
- ``unified`` over an ``area`` of zones: units based in the area are pooled (federal and state first,
  up to ``personnel_ceiling`` officers, ramping up over ``ramp_up_days``), see the pooled belief map,
  and are allocated jointly with diminishing returns; each target cell gets units of one agency only.
  Pooled units may pursue anywhere in the area, across the state line. Units left out of the pool
  (over the ceiling or during the ramp-up) keep working their jurisdiction outside the area.

Allocation maximises believed value with diminishing returns: the k-th unit on a cell is worth
``value × diminishing_returns**k`` (greedy, exact for this separable concave objective).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.kernels import allocate_deployments, bucket_cells
from model.params import CommandParams
from model.region import Region
from model.tables import UnitTable

KINDS: tuple[str, ...] = ("municipal", "state", "federal")
#: Order in which deployments allocate under coordination, and in which a command pools units.
KIND_PRIORITY: tuple[int, ...] = (KINDS.index("federal"), KINDS.index("state"), KINDS.index("municipal"))


@dataclass
class RegimeState:
    regime: str
    area: tuple[str, ...]
    start_day: int


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
    """The regime in force and the allocation of units.

    Args:
        params: Command parameters.
        region: The rasterised region.
        units: The unit table.
        agency_kind: Kind code (index into ``KINDS``) of each agency.
        trust: (agencies, agencies) trust matrix (read each day; institutions may move it).
    """

    def __init__(self, params: CommandParams, region: Region, units: UnitTable, agency_kind: np.ndarray, trust: np.ndarray) -> None:
        self.params = params
        self.region = region
        self.units = units
        self.agency_kind = agency_kind
        self.trust = trust
        self.state = RegimeState(params.base_regime, (), 0)
        self._stack: list[RegimeState] = []
        self.jurisdiction_cells = [np.flatnonzero(region.jurisdiction == j) for j in range(len(region.jurisdiction_names))]
        self._zone_first_cell = np.array([int(np.flatnonzero(region.zone == z)[0]) for z in range(len(region.zone_names))])
        self.area_mask = np.zeros(region.n_cells, dtype=bool)
        self.members = np.zeros(0, dtype=np.int64)
        self.pool_started = False
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

    # --- regime ------------------------------------------------------------------------------
    @property
    def regime(self) -> str:
        return self.state.regime

    def set_regime(self, regime: str, area: list[str] | tuple[str, ...], day: int) -> None:
        """Put ``regime`` in force from ``day`` (no history kept)."""
        self.state = RegimeState(regime, tuple(area), day)
        codes = [self.region.zone_code(z) for z in area]
        self.area_mask = np.isin(self.region.zone, codes) if regime == "unified" else np.zeros(self.region.n_cells, dtype=bool)
        self.pool_started = False
        self.units.pooled[:] = False

    def push_regime(self, regime: str, area: list[str], day: int) -> None:
        """Switch regime, remembering the current one for ``pop_regime``."""
        self._stack.append(self.state)
        self.set_regime(regime, area, day)

    def pop_regime(self, day: int) -> None:
        """Return to the regime before the last ``push_regime``."""
        previous = self._stack.pop() if self._stack else RegimeState(self.params.base_regime, (), day)
        self.set_regime(previous.regime, previous.area, day)

    def ramp(self, day: int) -> float:
        """How far a unified command has ramped up (0–1)."""
        if self.regime != "unified":
            return 0.0
        if self.params.ramp_up_days == 0:
            return 1.0
        return float(np.clip((day - self.state.start_day + 1) / self.params.ramp_up_days, 0.0, 1.0))

    def update_pool(self, day: int) -> np.ndarray:
        """Mark pooled units for today; return the agencies with pooled units."""
        units = self.units
        units.pooled[:] = False
        if self.regime != "unified":
            self.members = np.zeros(0, dtype=np.int64)
            return self.members
        budget = self.params.personnel_ceiling * self.ramp(day)
        in_area = self.area_mask[self.region_home_cells()]
        candidates = np.flatnonzero(in_area)
        priority = np.array([KIND_PRIORITY.index(k) for k in units.kind[candidates]])
        candidates = candidates[np.lexsort((candidates, priority))]
        take = candidates[np.cumsum(units.officers[candidates]) <= budget]
        units.pooled[take] = True
        self.members = np.unique(units.agency[take])
        return self.members

    def region_home_cells(self) -> np.ndarray:
        """A representative cell of each unit's home zone (for area membership)."""
        return self._zone_first_cell[self.units.home_zone]

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
        unified = self.regime == "unified"
        any_pooled = unified and bool(units.pooled.any())
        covered = np.zeros(n)
        if any_pooled:
            self._allocate_pooled(rng, pooled_belief + patrol, factor)
            covered += np.bincount(units.pos[units.pooled], minlength=n)
        coordinated = self.regime == "coordinated" or (unified and self.params.base_regime == "coordinated")
        agencies, jurisdictions, outside_area, dep_cells, cell_ptr, patrol_order, dep_units, unit_ptr = self._deployment_arrays(
            any_pooled, unified, patrol
        )
        if coordinated:
            trust = self.trust[agencies]
            discounts = (trust.sum(axis=1) - trust[np.arange(agencies.size), agencies]) / max(self.trust.shape[0] - 1, 1)
        else:
            discounts = np.zeros(agencies.size)
        n_jurisdictions = len(self.region.jurisdiction_names)
        positive_ptr, positive_cells = bucket_cells(*positive, self.region.jurisdiction, n_jurisdictions)
        allocate_deployments(
            belief, patrol, positive_ptr, positive_cells, n_jurisdictions, self.area_mask, agencies, jurisdictions,
            outside_area, dep_units, unit_ptr, dep_cells, cell_ptr, patrol_order, discounts, rng.random(units.n), factor,
            coordinated, covered, units.pos,
        )  # fmt: skip

    def _deployment_arrays(self, any_pooled: bool, unified: bool, patrol: np.ndarray) -> tuple[np.ndarray, ...]:
        """Deployments as flat arrays for the kernel (cached; units re-read daily while a command pools)."""
        key = (self._version, unified, self.state.area, id(patrol))
        if getattr(self, "_dep_key", None) != key:
            units = self.units
            cells_list, cell_ptr, agencies, jurisdictions, outside_area, orders = [], [0], [], [], [], []
            for deployment in self.deployments:
                jurisdiction = int(units.home_jurisdiction[deployment[0]])
                cells = self.jurisdiction_cells[jurisdiction]
                outside = cells[~self.area_mask[cells]] if unified else cells  # the area belongs to the command
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
        """Joint allocation of pooled units; one agency per target cell."""
        units = self.units
        pooled = np.flatnonzero(units.pooled)
        cells = np.flatnonzero(self.area_mask)
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
            cell = next(c for c in spare_cells if int(c) not in used)
            units.pos[u] = cell
            used.add(int(cell))
