"""Criminal groups: membership dynamics (recruitment, saturation exits) and leadership crises.

Per group g and day, members change by ``recruited − killed − arrested − exited`` (conserved).
Recruitment per cell is ``ρ · members · pool · revenue^ε · (1 − prevention)``, saturation exits are
``ρ · members · C_g / K_g`` — in the well-mixed limit the Prieto-Curiel et al. (2023) equation
(FACTS: Prieto-Curiel) with ω_g = ρ / K_g, incapacitation by operations and θ by rival fights.
"""

from __future__ import annotations

import numpy as np

from model.kernels import binomial_thinning, poisson_counts
from model.params import DynamicsParams, LeadershipParams


class GroupState:
    """Arrays over groups (with spare rows for splinters).

    Args:
        names: Initial group names.
        rivalry: (n, n) 0/1 rivalry matrix.
        capacity: (n,) members at which saturation exits equal recruitment.
        spare: Extra rows for splinter groups.
    """

    def __init__(self, names: list[str], rivalry: np.ndarray, capacity: np.ndarray, spare: int) -> None:
        n = len(names)
        size = n + spare
        self.names = list(names)
        self.active = np.zeros(size, dtype=bool)
        self.active[:n] = True
        self.rivalry = np.zeros((size, size))
        self.rivalry[:n, :n] = rivalry
        self.capacity = np.zeros(size)
        self.capacity[:n] = capacity
        self.leader_present = np.zeros(size, dtype=bool)
        self.leader_present[:n] = True
        self.crisis_left = np.zeros(size, dtype=np.int64)
        self.parent = np.full(size, -1, dtype=np.int64)
        self.home_zones: list[set[int]] = [set() for _ in range(size)]
        self.revenue_reference = np.zeros(size)
        self.leader_strikes = np.zeros(size, dtype=np.int64)

    @property
    def size(self) -> int:
        return int(self.active.size)

    @property
    def count(self) -> int:
        return len(self.names)

    def fighting_matrix(self, params: LeadershipParams) -> np.ndarray:
        """Rivalry with crises: rivals press harder on a group in crisis, whose cells fight each other."""
        crisis = (self.crisis_left > 0).astype(float)
        matrix = self.rivalry * (1.0 + params.rival_probe * crisis[None, :])
        matrix[np.diag_indices_from(matrix)] = params.internal_fight * crisis
        return matrix


def recruitment(
    rng: np.random.Generator,
    params: DynamicsParams,
    members: np.ndarray,
    pool: np.ndarray,
    revenue_factor: np.ndarray,
    prevention: float,
) -> np.ndarray:
    """Recruits per criminal cell today.

    Args:
        rng: The ``recruitment`` stream.
        params: Dynamics parameters.
        members: per cell.
        pool: per cell, 0–1 saturating share of the local at-risk pool.
        revenue_factor: per cell, the group's revenue per member relative to its start.
        prevention: share of recruitment prevented today (0–1; events ramp it).
    """
    rate = params.recruitment_rate * members * pool * revenue_factor * (1.0 - prevention)
    return poisson_counts(rng, rate)


def saturation_exits(
    rng: np.random.Generator,
    params: DynamicsParams,
    members: np.ndarray,
    group: np.ndarray,
    group_size: np.ndarray,
    capacity: np.ndarray,
) -> np.ndarray:
    """Members leaving each cell by saturation: each member with probability ``ρ · C_g / K_g`` (the ω term).

    Args:
        rng: The ``exit`` stream.
        params: Dynamics parameters.
        members: per cell.
        group: per cell, its group.
        group_size: (groups,) members of each group today.
        capacity: (groups,) each group's capacity ``K_g``.
    """
    hazard = params.recruitment_rate * group_size / np.maximum(capacity, 1.0)
    return binomial_thinning(rng, members, group, np.clip(hazard, 0.0, 1.0))
