"""Mesa agents: criminal groups and cells, security units and agencies.

Cells and units are views onto the model's struct-of-arrays tables (``model.tables``): reading
``cell.members`` reads the table, so agents and vectorised mechanisms always agree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

if TYPE_CHECKING:
    from mandosim.model.model import BorderSecurityModel


class _Located(mesa.Agent):
    """An agent on a domain cell; ``pos`` is its (row, col) on the region grid."""

    model: BorderSecurityModel

    def _cell(self) -> int:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def cell(self) -> int:
        """Index of the domain cell the agent is on."""
        return self._cell()

    @property
    def pos(self) -> tuple[int, int]:  # type: ignore[override]
        row, col = self.model.region.cell_rc[self._cell()]
        return int(row), int(col)

    @pos.setter
    def pos(self, value: object) -> None:
        # Mesa's Agent.__init__ sets pos = None; location lives in the table.
        if value is not None:
            raise AttributeError("move an agent by changing its table row, not pos")

    @property
    def zone(self) -> str:
        return self.model.region.zone_names[self.model.region.zone[self._cell()]]


class CriminalGroup(mesa.Agent):
    """A criminal organisation (no location). State lives in ``model.groups``.

    Args:
        model: The model.
        index: Row of the group in the group arrays.
    """

    def __init__(self, model: BorderSecurityModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def name(self) -> str:
        return self.model.groups.names[self.index]

    @property
    def members(self) -> int:
        t = self.model.cells
        return int(t.members[t.alive & (t.group == self.index)].sum())

    @property
    def leader_present(self) -> bool:
        return bool(self.model.groups.leader_present[self.index])

    @property
    def in_crisis(self) -> bool:
        return bool(self.model.groups.crisis_left[self.index] > 0)

    @property
    def rivals(self) -> list[str]:
        g = self.model.groups
        return [g.names[j] for j in (g.rivalry[self.index] > 0).nonzero()[0]]


class CriminalCell(_Located):
    """A cell of a criminal group on one grid cell (a squad or local branch with a head-count)."""

    def __init__(self, model: BorderSecurityModel, slot: int) -> None:
        super().__init__(model)
        self.slot = slot

    def _cell(self) -> int:
        return int(self.model.cells.pos[self.slot])

    @property
    def group(self) -> str:
        return self.model.groups.names[int(self.model.cells.group[self.slot])]

    @property
    def members(self) -> int:
        return int(self.model.cells.members[self.slot])


class SecurityUnit(_Located):
    """A unit (squad) of a security agency with a head-count of officers."""

    def __init__(self, model: BorderSecurityModel, slot: int) -> None:
        super().__init__(model)
        self.slot = slot

    def _cell(self) -> int:
        return int(self.model.units.pos[self.slot])

    @property
    def agency(self) -> str:
        return self.model.agency_names[int(self.model.units.agency[self.slot])]

    @property
    def branch(self) -> str:
        from mandosim.model.conflict import BRANCHES

        return BRANCHES[int(self.model.units.branch[self.slot])]

    @property
    def officers(self) -> float:
        return float(self.model.units.officers[self.slot])

    @property
    def colluding(self) -> bool:
        return bool(self.model.units.colluding[self.slot])

    @property
    def pooled(self) -> bool:
        """True while the unit serves under a unified command."""
        return bool(self.model.units.pooled[self.slot])


class Agency(mesa.Agent):
    """A security agency: its units, its belief map and its trust toward the others."""

    def __init__(self, model: BorderSecurityModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def name(self) -> str:
        return self.model.agency_names[self.index]

    @property
    def belief(self):
        """Believed criminal members per domain cell (a view)."""
        return self.model.intel.belief[self.index]

    @property
    def units(self) -> list[SecurityUnit]:
        return [u for u in self.model.unit_agents if u.agency == self.name]

    def trust_toward(self, other: str) -> float:
        return float(self.model.trust[self.index, self.model.agency_names.index(other)])
