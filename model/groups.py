"""Criminal groups: membership dynamics (recruitment, saturation exits) and leadership crises.

Per group g and day, members change by ``recruited − killed − arrested − exited`` (conserved).
Recruitment per cell is ``ρ · members · pool · revenue^ε · (1 − prevention)``, saturation exits are
``ρ · members · C_g / K_g`` — in the well-mixed limit the Prieto-Curiel et al. (2023) equation
(FACTS: Prieto-Curiel) with ω_g = ρ / K_g, incapacitation by operations and θ by rival fights.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from mandosim.model.kernels import binomial_thinning, poisson_counts
from mandosim.model.params import DynamicsParams, LeadershipParams
from mandosim.model.rng import Stream


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

    def set_rivalry(self, first: int, second: int, rivals: bool) -> None:
        """Make two groups rivals (both ways) or end their rivalry."""
        if first == second:
            return
        self.rivalry[first, second] = self.rivalry[second, first] = float(rivals)
        self._fighting_key = None  # the fighting matrix is rebuilt

    def fighting_matrix(self, params: LeadershipParams) -> np.ndarray:
        """Rivalry with crises: rivals press harder on a group in crisis, whose cells fight each other.

        Cached until a crisis starts or ends or a group splits (do not modify the returned array).
        """
        crisis = self.crisis_left > 0
        key = (self.count, crisis.tobytes(), params.rival_probe, params.internal_fight)
        if getattr(self, "_fighting_key", None) != key:
            matrix = self.rivalry * (1.0 + params.rival_probe * crisis[None, :])
            matrix[np.diag_indices_from(matrix)] = params.internal_fight * crisis
            matrix.flags.writeable = False
            self._fighting_key, self._fighting = key, matrix
        return self._fighting


def membership_flows(
    recruitment_rng: Stream,
    exit_rng: Stream,
    params: DynamicsParams,
    members: np.ndarray,
    group: np.ndarray,
    value: np.ndarray,
    pool: np.ndarray,
    revenue_reference: np.ndarray,
    capacity: np.ndarray,
    vacancies: np.ndarray,
    prevention: float,
    factor_bounds: tuple[float, float],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Today's recruits and saturation exits per criminal cell, and each group's revenue factor.

    A group's revenue per member (Σ members × (market + flow) / members) relative to its first
    positive value, clipped to ``factor_bounds``, to the power ``revenue_elasticity``, is its revenue
    factor ``f_g``. Recruits per cell are ``Poisson(ρ · members · pool · f_g · (1 − prevention))``;
    each member leaves with probability ``ρ · C_g / K_g`` (the ω term). Replacement recruits refill
    each cell's vacancies (its members arrested or killed): ``Poisson(replacement_rate · V_i · (1 −
    prevention))``, at most ``V_i``, taken off ``vacancies`` (FACTS: P4 — groups replace the
    members they lose, where they lose them).

    Args:
        recruitment_rng: The ``recruitment`` stream.
        exit_rng: The ``exit`` stream.
        params: Dynamics parameters.
        members: per cell, members today (after encounters).
        group: per cell, its group.
        value: per cell, market + trafficking flow where it stands.
        pool: per cell, 0–1 saturating share of the local at-risk pool.
        revenue_reference: (groups,) revenue per member at the start (set here when still 0).
        capacity: (groups,) each group's capacity ``K_g``.
        vacancies: per cell, posts emptied by arrests and killings (decremented by the refills here).
        prevention: share of recruitment prevented today (0–1; events ramp it).
        factor_bounds: (low, high) clip of the revenue ratio.
    """
    return _membership_flows(
        recruitment_rng, exit_rng, members, group, value, pool, revenue_reference, capacity, vacancies, params.recruitment_rate,
        params.revenue_elasticity, params.replacement_rate, factor_bounds[0], factor_bounds[1], prevention,
    )  # fmt: skip


@njit(cache=True)
def _membership_flows(
    recruitment_rng, exit_rng, members, group, value, pool, revenue_reference, capacity, vacancies, rate, elasticity, replacement,
    low, high, prevention,
):  # fmt: skip
    n_groups = capacity.size
    size = np.zeros(n_groups)
    revenue = np.zeros(n_groups)
    for i in range(members.size):
        size[group[i]] += members[i]
        revenue[group[i]] += members[i] * value[i]
    factor = np.empty(n_groups)
    hazard = np.empty(n_groups)
    for g in range(n_groups):
        per_member = revenue[g] / max(size[g], 1.0)
        if revenue_reference[g] == 0.0 and per_member > 0.0:
            revenue_reference[g] = per_member
        ratio = per_member / (revenue_reference[g] if revenue_reference[g] > 0.0 else 1.0)
        factor[g] = min(max(ratio, low), high) ** elasticity
        hazard[g] = min(max(rate * size[g] / max(capacity[g], 1.0), 0.0), 1.0)
    recruit_rate = np.empty(members.size)
    for i in range(members.size):
        recruit_rate[i] = rate * members[i] * pool[i] * factor[group[i]] * (1.0 - prevention)
    recruited = poisson_counts(recruitment_rng, recruit_rate)
    if replacement > 0.0:
        for i in range(members.size):
            recruit_rate[i] = replacement * vacancies[i] * (1.0 - prevention)
        refills = poisson_counts(recruitment_rng, recruit_rate)
        for i in range(members.size):
            filled = min(refills[i], vacancies[i])
            vacancies[i] -= filled
            recruited[i] += filled
    exited = binomial_thinning(exit_rng, members, group, hazard)
    return recruited, exited, factor
