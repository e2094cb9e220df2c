"""Struct-of-arrays state of criminal cells and security units (the model's hot state).

Mesa agents (``model.agents``) are thin views onto a slot of these tables, so every daily mechanism
works on whole arrays while each agent keeps its identity and attributes.
"""

from __future__ import annotations

import numpy as np


class CellTable:
    """Criminal cells: location (domain cell), group, members. Slots are reused lowest-first.

    Args:
        capacity: Initial number of slots (grows by doubling).
    """

    def __init__(self, capacity: int = 256) -> None:
        self.pos = np.zeros(capacity, dtype=np.int64)
        self.group = np.zeros(capacity, dtype=np.int64)
        self.members = np.zeros(capacity, dtype=np.int64)
        self.alive = np.zeros(capacity, dtype=bool)

    @property
    def capacity(self) -> int:
        return int(self.alive.size)

    def _grow(self) -> None:
        extra = self.capacity
        self.pos = np.concatenate([self.pos, np.zeros(extra, dtype=np.int64)])
        self.group = np.concatenate([self.group, np.zeros(extra, dtype=np.int64)])
        self.members = np.concatenate([self.members, np.zeros(extra, dtype=np.int64)])
        self.alive = np.concatenate([self.alive, np.zeros(extra, dtype=bool)])

    def add(self, pos: int, group: int, members: int) -> int:
        """Occupy the lowest free slot; return it."""
        free = np.flatnonzero(~self.alive)
        if free.size == 0:
            self._grow()
            free = np.flatnonzero(~self.alive)
        slot = int(free[0])
        self.pos[slot], self.group[slot], self.members[slot], self.alive[slot] = pos, group, members, True
        return slot

    def remove(self, slot: int) -> None:
        self.alive[slot] = False
        self.members[slot] = 0

    def live(self) -> np.ndarray:
        """Slots in use, ascending."""
        return np.flatnonzero(self.alive)


class UnitTable:
    """Security units: agency, branch, officers, home, location, collusion, pooling.

    Args:
        n: Number of units (fixed for a run).
    """

    def __init__(self, n: int) -> None:
        self.agency = np.zeros(n, dtype=np.int64)
        self.branch = np.zeros(n, dtype=np.int64)
        self.kind = np.zeros(n, dtype=np.int64)
        self.officers = np.zeros(n, dtype=np.float64)
        self.home_zone = np.zeros(n, dtype=np.int64)
        self.home_jurisdiction = np.zeros(n, dtype=np.int64)
        self.home_state = np.zeros(n, dtype=np.int64)
        self.pos = np.zeros(n, dtype=np.int64)
        self.colluding = np.zeros(n, dtype=bool)
        self.pooled = np.zeros(n, dtype=bool)
        self.knowledge = np.ones(n, dtype=np.float64)

    @property
    def n(self) -> int:
        return int(self.agency.size)
