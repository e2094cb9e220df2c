"""Learned risk: what each criminal group expects of the security presence around each cell.

Criminals never respond to presence that is not there: they respond to what they have learned.
Each group keeps, per domain cell, the on-duty officers it expects within that cell's
neighbourhood. Every day each of its cells watches its own neighbourhood, and the group moves its
expectation for every watched cell toward what it sees by the delta rule
``risk += rate × (seen − risk)`` (Rescorla & Wagner 1972; ``crime.risk_learning_rate``, an
assumption with a documented range of 1/90–1/7 per day). An operation is a salient experience: a
cell engaged by the forces sets its group's expectation there to at least the presence it met.
Cells nobody of the group watches keep their old expectation (memory), so a group that has left
an area still fears it, and one that has never been there knows nothing new about it.

An announcement (``announce_unified_command``) makes groups in the announced area expect the
promised force — the command's ``personnel_ceiling`` on duty, spread over the area — in proportion
to the government's credibility; they then check that against what they see and learn it away
as fast as they learn anything else.

Without the learning channel (``channels.learning = false``) every group sees today's presence
everywhere, with no memory.
"""

from __future__ import annotations

import numpy as np
from numba import njit


class LearnedRisk:
    """(groups, cells) officers each group expects around each cell.

    Args:
        n_groups: Group rows (with room for splinters).
        officers_near: (cells,) on-duty officers within each cell's reach when the run starts (known to all).
        rate: ``crime.risk_learning_rate``.
        learning: The learning channel; without it ``risk`` is today's presence for every group.
    """

    def __init__(self, n_groups: int, officers_near: np.ndarray, rate: float, learning: bool) -> None:
        self.rate = rate
        self.learning = learning
        self.risk = np.tile(officers_near, (n_groups, 1))
        self._stamp = np.full(self.risk.shape, -1, dtype=np.int32)  # the day each entry was last watched (half the memory of int64)
        self._today = 0

    def watch(self, pos: np.ndarray, group: np.ndarray, reach: np.ndarray, officers_near: np.ndarray) -> None:
        """Each criminal cell watches the cells within its reach (``Region.reach.cells``); its group learns from what it sees today."""
        self._today += 1
        if not self.learning:
            self.risk[:] = officers_near[None, :]
            return
        _watch(self.risk, self._stamp, self._today, pos, group, reach, officers_near, self.rate)

    def experienced(self, pos: np.ndarray, group: np.ndarray, officers_near: np.ndarray) -> None:
        """Cells engaged by the forces today: their group now expects at least the presence it met there."""
        if self.learning and pos.size:
            _experienced(self.risk, pos, group, officers_near)

    def announce(self, area: np.ndarray, promised_near: float, credibility: float) -> None:
        """An announced command: groups move their expectation in ``area`` toward ``promised_near`` by ``credibility``."""
        if not self.learning:
            return
        cells = np.flatnonzero(area)
        block = self.risk[:, cells]
        self.risk[:, cells] = block + credibility * np.maximum(promised_near - block, 0.0)

    def split(self, parent: int, child: int) -> None:
        """A splinter group starts with its parent's knowledge."""
        self.risk[child] = self.risk[parent]


@njit(cache=True)
def _experienced(risk, pos, group, officers_near):
    for i in range(pos.size):
        risk[group[i], pos[i]] = max(risk[group[i], pos[i]], officers_near[pos[i]])


@njit(cache=True)
def _watch(risk, stamp, today, pos, group, reach, officers_near, rate):
    for i in range(pos.size):
        g, c = group[i], pos[i]
        for k in range(reach.shape[1]):
            d = reach[c, k]
            if d < 0 or stamp[g, d] == today:
                continue
            stamp[g, d] = today
            risk[g, d] += rate * (officers_near[d] - risk[g, d])
