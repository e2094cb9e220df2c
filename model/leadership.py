"""Leadership: a group's leader and each cell's lieutenant, successions and splits (ODD §7.9).

- An engagement with a group's largest cell, on good intelligence, may take the group's leader: a
  succession crisis of ``succession_days`` follows (successor factions fight for the rents: the
  group's killings × ``1 + crisis_violence``; its cells fight each other; rivals probe it). When it
  ends a new leader takes over and, with ``split_prob``, about half the group's cells form a
  splinter group, rival of its parent.
- Each member removed by an operation is equally likely to be the cell's lieutenant, so a cell that
  loses r of its m members has its lieutenant taken with probability r/m: a local succession of
  ``local_succession_days`` multiplies that cell's killings by ``1 + crisis_violence`` again.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numba import njit

from mandosim.model.groups import GroupState
from mandosim.model.kernels import largest_per_key
from mandosim.model.params import LeadershipParams
from mandosim.model.rng import CompiledStream
from mandosim.model.tables import CellTable


class Leadership:
    """Leaders, lieutenants and successions of every group.

    Args:
        params: Leadership parameters.
        groups: The groups' state (leader present, crisis days left, rivalry, capacity...).
        cells: The criminal cells' table (local successions).
        rng: The ``leadership`` stream.
        on_split: Called with (parent, splinter) when a crisis ends in a split (agents, maps to copy).
    """

    def __init__(
        self, params: LeadershipParams, groups: GroupState, cells: CellTable, rng: np.random.Generator, on_split: Callable[[int, int], None]
    ) -> None:
        self.params = params
        self.groups = groups
        self.cells = cells
        self.rng = rng
        self._compiled_rng: CompiledStream | None = None
        self.on_split = on_split

    def _stream(self) -> CompiledStream:
        """The ``leadership`` stream as compiled kernels take it (the same Generator: one sequence of draws)."""
        if self._compiled_rng is None:
            self._compiled_rng = CompiledStream(self.rng)
        return self._compiled_rng

    def strike(self, group: int) -> None:
        """The group's leader is captured or killed: a succession crisis starts."""
        g = self.groups
        _start_crisis(group, g.active, g.leader_present, g.crisis_left, g.leader_strikes, self.params.succession_days)

    def cell_violence(self, live: np.ndarray, group: np.ndarray) -> np.ndarray:
        """Killing multiplier per criminal cell (FACTS: P1): its group's crisis and its own local succession."""
        return _cell_violence(self.cells.succession, live, group, self.groups.crisis_left, self.params.crisis_violence)

    def operations(self, group: np.ndarray, pos: np.ndarray, engaged: np.ndarray, members: np.ndarray, quality: np.ndarray) -> None:
        """Engagements with a group's largest cell may take its leader.

        Args:
            group: (criminal cells,) group.
            pos: (criminal cells,) cell.
            engaged: (criminal cells,) engaged today.
            members: (criminal cells,) members at the start of the encounters.
            quality: (criminal cells,) intelligence of the best-informed agency on the cell: believed / true members, ≤ 1.
        """
        g = self.groups
        if not engaged.any():
            return
        largest = largest_per_key(group, members, g.size)  # each group's largest cell (lowest slot on ties)
        _capture_leaders(
            self._stream(), group, engaged, largest, quality, self.params.capture_prob, g.active, g.leader_present, g.crisis_left,
            g.leader_strikes, self.params.succession_days,
        )  # fmt: skip

    def lieutenants(self, live: np.ndarray, members: np.ndarray, removed: np.ndarray) -> None:
        """Operations that remove members may take the cell's lieutenant (chance removed / members); successions count down."""
        _lieutenants(self._stream(), self.cells.succession, live, members, removed, self.params.local_succession_days)

    def end_crises(self) -> np.ndarray:
        """Count down crises; a crisis that ends gets a new leader and maybe a split.

        Returns:
            Members transferred into (+) or out of (−) each group by splits today.
        """
        p, g, t, rng = self.params, self.groups, self.cells, self.rng
        transfers = np.zeros(g.size, dtype=np.int64)
        if not g.crisis_left.any():
            return transfers
        active = g.crisis_left > 0
        g.crisis_left[active] -= 1
        for gi in np.flatnonzero(active & (g.crisis_left == 0)):
            g.leader_present[gi] = True
            if rng.random() >= p.split_prob or g.count >= g.size:
                continue
            slots = np.flatnonzero(t.alive & (t.group == gi))
            if slots.size < 2:
                continue
            leaving = slots[rng.random(slots.size) < 0.5]
            if leaving.size in (0, slots.size):
                continue
            new = g.count
            g.names.append(f"{g.names[gi]}_splinter{new}")
            g.active[new] = True
            g.leader_present[new] = True
            g.parent[new] = gi
            g.rivalry[new] = g.rivalry[gi]
            g.rivalry[:, new] = g.rivalry[:, gi]
            g.rivalry[new, gi] = g.rivalry[gi, new] = 1.0
            g.rivalry[new, new] = 0.0
            moved = int(t.members[leaving].sum())
            share = moved / max(int(t.members[slots].sum()), 1)
            g.capacity[new] = g.capacity[gi] * share
            g.capacity[gi] -= g.capacity[new]
            g.home_zones[new] = set(g.home_zones[gi])
            g.revenue_reference[new] = g.revenue_reference[gi]
            t.group[leaving] = new
            transfers[gi] -= moved
            transfers[new] += moved
            self.on_split(gi, new)
        return transfers


@njit(cache=True)
def _cell_violence(succession, live, group, crisis_left, crisis_violence):
    """Per live slot: (1 + crisis_violence if its group is in crisis) × (1 + crisis_violence if its post is vacant)."""
    out = np.empty(live.size)
    for i in range(live.size):
        in_crisis = 1.0 + crisis_violence * (1.0 if crisis_left[group[i]] > 0 else 0.0)
        local = 1.0 + crisis_violence * (1.0 if succession[live[i]] > 0 else 0.0)
        out[i] = in_crisis * local
    return out


@njit(cache=True)
def _lieutenants(rng, succession, live, members, removed, succession_days):
    """``Leadership.lieutenants``' compiled body.

    Successions count down (a slot taken by a new cell starts at 0); then each criminal cell that
    lost members loses its lieutenant with chance removed / members (one draw each, in order).
    """
    for slot in range(succession.size):
        succession[slot] = max(succession[slot] - 1, 0)
    for i in range(removed.size):
        if removed[i] > 0 and rng.random() < removed[i] / max(members[i], 1):
            succession[live[i]] = succession_days


@njit(cache=True)
def _capture_leaders(rng, group, engaged, largest, quality, capture_prob, active, leader_present, crisis_left, strikes, succession_days):
    """``Leadership.operations``' compiled loop: engaged cells in order; a group's largest cell may yield its leader (``strike``)."""
    for i in range(engaged.size):
        if not engaged[i]:
            continue
        gi = group[i]
        if largest[gi] != i or not leader_present[gi]:
            continue
        if rng.random() < capture_prob * quality[i]:
            _start_crisis(gi, active, leader_present, crisis_left, strikes, succession_days)


@njit(cache=True)
def _start_crisis(group, active, leader_present, crisis_left, strikes, succession_days):
    """``group``'s leader is taken, if the group is active and has one: a succession crisis of ``succession_days`` starts."""
    if active[group] and leader_present[group]:
        leader_present[group] = False
        crisis_left[group] = succession_days
        strikes[group] += 1
