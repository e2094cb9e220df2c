"""Criminal cells' movement (``model.movement``): the walk's long-run occupancy."""

import numpy as np

from mandosim.model.movement import move_cells
from mandosim.model.rng import Streams

SIDE = 6  # a 6 × 6 grid: 4 corners, 16 other edge cells, 16 interior cells


def moore_neighbours(side: int) -> np.ndarray:
    """(cells, 8) Moore neighbours of a square grid, -1 off the grid."""
    out = np.full((side * side, 8), -1, dtype=np.int64)
    offsets = [(dr, dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1) if (dr, dc) != (0, 0)]
    for r in range(side):
        for c in range(side):
            for k, (dr, dc) in enumerate(offsets):
                if 0 <= r + dr < side and 0 <= c + dc < side:
                    out[r * side + c, k] = (r + dr) * side + c + dc
    return out


def occupancy(days: int = 400, walkers: int = 3000) -> np.ndarray:
    """Mean share of walkers on each cell of a uniform grid (every score equal), after mixing."""
    n = SIDE * SIDE
    neighbours = moore_neighbours(SIDE)
    rng = Streams(7).compiled("movement")
    pos = np.arange(walkers, dtype=np.int64) % n
    group = np.zeros(walkers, dtype=np.int64)
    counts = np.zeros(n)
    for day in range(days):
        pos = move_cells(
            rng, pos, group, 1.0, neighbours, np.zeros(n), np.zeros((1, 1)), np.zeros(n, dtype=np.int64),
            np.zeros((1, n)), np.zeros((1, 1)), 0.0, 10.0, np.zeros((1, n)), 0.0,
        )  # fmt: skip
        if day >= days // 4:
            counts += np.bincount(pos, minlength=n)
    return counts / counts.sum()


def test_on_a_uniform_grid_edge_cells_hold_as_many_walkers_as_interior_cells():
    """Directions off the grid keep the cell in place, so the walk does not empty the edge.

    Had edge cells simply fewer options, a corner (4 of 9) would hold 4/9 and a side cell 6/9 of
    an interior cell's share in the long run.
    """
    share = occupancy().reshape(SIDE, SIDE)
    interior = share[1:-1, 1:-1].mean()
    corners = np.array([share[0, 0], share[0, -1], share[-1, 0], share[-1, -1]]).mean()
    sides = np.concatenate([share[0, 1:-1], share[-1, 1:-1], share[1:-1, 0], share[1:-1, -1]]).mean()
    assert abs(corners / interior - 1) < 0.08
    assert abs(sides / interior - 1) < 0.05
