"""Criminal cells' daily choice of location (discrete choice over the cell and its 8 neighbours).

A cell that reconsiders (``crime.move_prob``) chooses among its cell and its neighbours with logit
probabilities ``exp(score) / Σ exp(score)`` (a multinomial logit) over log-attractiveness: value
(trafficking flow, market size), its group's home zones, rival presence nearby (groups push into
rivals' plazas), and, against it, the officers its group has learned to expect there (``model.risk``).

Every cell chooses among the same nine directions: a direction that leaves the domain (the sea,
the United States, past the domain's edge) keeps the cell where it is. With fewer options on the
edge, the walk's long-run occupancy of a cell is ``exp(score) × Σ exp(score)`` over its options
(detailed balance), so edge cells would be emptied by the shape of the grid alone, and by more the
coarser the cells (the edge's share of a zone grows with the cell): without this rule coastal
Playas de Rosarito held a sixth fewer members at 5 km than at 2.5 km (8 seeds, one year).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from mandosim.model.rng import Stream


def move_cells(
    rng: Stream,
    pos: np.ndarray,
    group: np.ndarray,
    move_prob: float,
    neighbours: np.ndarray,
    base_value: np.ndarray,
    home_value: np.ndarray,
    zone: np.ndarray,
    nearby: np.ndarray,
    pressure: np.ndarray,
    rival_pull: float,
    cell_size: float,
    risk: np.ndarray,
    heat_aversion: float,
) -> np.ndarray:
    """New domain cell of each criminal cell (all choose against the same start-of-move fields).

    Args:
        rng: The ``movement`` stream.
        pos: (criminal cells,) current domain cell.
        group: (criminal cells,) group.
        move_prob: Chance a criminal cell reconsiders today.
        neighbours: (cells, 8) Moore neighbours, -1 where none.
        base_value: (cells,) log-attractiveness shared by all groups (flow, market).
        home_value: (groups, zones) pull of each zone to each group (home bonus × initial share).
        zone: (cells,) zone code.
        nearby: (cells, groups) members of each group within each cell's reach (7.5 km square).
        pressure: (groups, live groups) how hard each row group presses on each column group (0 diagonal).
        rival_pull: Log-units per log1p(rival members nearby / cell size).
        cell_size: Members of a criminal cell at start.
        risk: (groups, cells) officers each group expects around each cell.
        heat_aversion: Log-attractiveness lost per officer expected.
    """
    return _move(
        rng, pos, group, move_prob, neighbours, base_value, home_value, zone, nearby, pressure, rival_pull, cell_size, risk, heat_aversion
    )


@njit(cache=True)
def _move(
    rng, pos, group, move_prob, neighbours, base_value, home_value, zone, nearby, pressure, rival_pull, cell_size, risk, heat_aversion
):
    out = pos.copy()
    n_groups = pressure.shape[1]
    if move_prob <= 0.0:
        return out
    options = np.empty(neighbours.shape[1] + 1, dtype=np.int64)
    score = np.empty(neighbours.shape[1] + 1)
    i = -1
    while True:
        # the next cell that reconsiders: geometric gaps, the same as one Bernoulli draw per cell
        i += 1 if move_prob >= 1.0 else rng.geometric(move_prob)
        if i >= pos.size:
            break
        g = group[i]
        n_options, top = 0, -np.inf
        for k in range(neighbours.shape[1] + 1):
            c = pos[i] if k == 0 else neighbours[pos[i], k - 1]
            if c < 0:  # off the domain: that direction keeps the cell where it is
                c = pos[i]
            rivals = 0.0
            for h in range(n_groups):
                rivals += pressure[g, h] * nearby[c, h]
            options[n_options] = c
            crowding = np.log1p(rivals / cell_size) if rivals > 0.0 else 0.0  # log1p(0) is 0: no call for it
            score[n_options] = base_value[c] - heat_aversion * risk[g, c] + home_value[g, zone[c]] + rival_pull * crowding
            top = max(top, score[n_options])
            n_options += 1
        total = 0.0
        for k in range(n_options):
            score[k] = np.exp(score[k] - top)
            total += score[k]
        draw = rng.random() * total  # one categorical draw from the logit probabilities
        best = options[n_options - 1]
        for k in range(n_options):
            draw -= score[k]
            if draw < 0.0:
                best = options[k]
                break
        out[i] = best
    return out
