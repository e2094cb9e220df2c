"""Struct-of-arrays state of criminal cells and security units (the model's hot state).

Mesa agents (``model.agents``) are thin views onto a slot of these tables, so every daily mechanism
works on whole arrays while each agent keeps its identity and attributes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from mandosim.model.region import Region


class CellTable:
    """Criminal cells: location, group, members, local succession, vacancies. Slots are reused lowest-first.

    Args:
        capacity: Initial number of slots (grows by doubling).
    """

    def __init__(self, capacity: int = 256) -> None:
        self.pos = np.zeros(capacity, dtype=np.int64)
        self.group = np.zeros(capacity, dtype=np.int64)
        self.members = np.zeros(capacity, dtype=np.int64)
        self.alive = np.zeros(capacity, dtype=bool)
        self.succession = np.zeros(capacity, dtype=np.int64)  # days left of a local succession (lieutenant taken)
        self.vacancies = np.zeros(capacity, dtype=np.int64)  # members lost to arrests and killings, not yet replaced
        self._live: np.ndarray | None = None  # cached slots in use (cells come and go through add/remove)

    @property
    def capacity(self) -> int:
        return int(self.alive.size)

    def _grow(self) -> None:
        extra = self.capacity
        self.pos = np.concatenate([self.pos, np.zeros(extra, dtype=np.int64)])
        self.group = np.concatenate([self.group, np.zeros(extra, dtype=np.int64)])
        self.members = np.concatenate([self.members, np.zeros(extra, dtype=np.int64)])
        self.alive = np.concatenate([self.alive, np.zeros(extra, dtype=bool)])
        self.succession = np.concatenate([self.succession, np.zeros(extra, dtype=np.int64)])
        self.vacancies = np.concatenate([self.vacancies, np.zeros(extra, dtype=np.int64)])

    def add(self, pos: int, group: int, members: int) -> int:
        """Occupy the lowest free slot; return it."""
        free = np.flatnonzero(~self.alive)
        if free.size == 0:
            self._grow()
            free = np.flatnonzero(~self.alive)
        slot = int(free[0])
        self.pos[slot], self.group[slot], self.members[slot], self.alive[slot] = pos, group, members, True
        self.succession[slot] = 0
        self.vacancies[slot] = 0
        self._live = None
        return slot

    def remove(self, slot: int) -> None:
        self.alive[slot] = False
        self._live = None
        self.members[slot] = 0

    def live(self) -> np.ndarray:
        """Slots in use, ascending."""
        if self._live is None:
            self._live = np.flatnonzero(self.alive)
            self._live.flags.writeable = False
        return self._live


class UnitTable:
    """Security units: agency, branch, officers, home, location, collusion, pooling.

    Units come and go only through events (``deploy``, ``withdraw``), so the table is rebuilt then
    (``append``, ``keep``) and every unit keeps a stable ``uid``.

    Args:
        n: Number of units.
    """

    COLUMNS: tuple[tuple[str, type], ...] = (
        ("uid", np.int64),
        ("agency", np.int64),
        ("branch", np.int64),
        ("kind", np.int64),
        ("officers", np.float64),
        ("home_zone", np.int64),
        ("home_jurisdiction", np.int64),
        ("home_state", np.int64),
        ("pos", np.int64),
        ("colluding", bool),
        ("pooled", bool),
    )

    def __init__(self, n: int) -> None:
        for name, dtype in self.COLUMNS:
            setattr(self, name, np.zeros(n, dtype=dtype))
        self.uid[:] = np.arange(n)
        self.version = 0  # rises whenever units arrive or leave: the key of what is derived from the table

    @classmethod
    def from_rows(cls, rows: list[tuple[int, int, float]], region: Region, agency_kind: np.ndarray, agency_branch: np.ndarray) -> UnitTable:
        """Units from ``(agency, home zone, officers)`` rows; kind, branch and jurisdictions follow."""
        units = cls(len(rows))
        for u, (agency, zone, officers) in enumerate(rows):
            units.agency[u] = agency
            units.home_zone[u] = zone
            units.officers[u] = officers
        units.kind[:] = agency_kind[units.agency]
        units.branch[:] = agency_branch[units.agency]
        units.home_jurisdiction[:] = region.zone_jurisdiction[units.home_zone]
        units.home_state[:] = region.jurisdiction_state[units.home_jurisdiction]
        return units

    @property
    def n(self) -> int:
        return int(self.agency.size)

    def append(self, other: UnitTable) -> None:
        """Add ``other``'s units at the end, giving them fresh uids."""
        next_uid = int(self.uid.max()) + 1 if self.n else 0
        other.uid[:] = np.arange(next_uid, next_uid + other.n)
        for name, _ in self.COLUMNS:
            setattr(self, name, np.concatenate([getattr(self, name), getattr(other, name)]))
        self.version += 1

    def keep(self, mask: np.ndarray) -> None:
        """Keep only the units where ``mask`` is True (order preserved)."""
        for name, _ in self.COLUMNS:
            setattr(self, name, getattr(self, name)[mask])
        self.version += 1
