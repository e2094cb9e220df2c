"""Well-mixed mode: the model's group dynamics in one zone, without space or routes (docking).

Every member meets every other, so a group's rival exposure is the whole rival membership; arrests
are a fixed capacity shared in proportion to size. The processes are the spatial model's own code —
``conflict.rival_fights`` (one cell holding everyone), ``kernels.poisson_counts`` for arrests and
``groups.membership_flows`` (recruitment and saturation exits, pool and revenue factor at 1) — drawn
from the same named streams. In expectation each group then follows the Prieto-Curiel et al. (2023)
equation (FACTS: Prieto-Curiel), per day::

    dC_i/dt = C_i · [ρ − η/ΣC − θ · Σ_j K_ij C_j − ω_i C_i],   ω_i = ρ / K_i

with ρ ``dynamics.recruitment_rate``, K_i the group's capacity (``capacity_headroom`` × initial
members), K the rivalry matrix, θ the conflict rate and η the arrests per day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

from mandosim.model.conflict import rival_fights
from mandosim.model.groups import membership_flows
from mandosim.model.kernels import poisson_counts
from mandosim.model.params import DynamicsParams, Scenario
from mandosim.model.rng import Streams

DAYS_PER_YEAR = 365


@dataclass(frozen=True)
class WellMixedSetup:
    """Parameters of a docking run.

    Attributes:
        names: Group names.
        members: (groups,) members at the start.
        rivalry: (groups, groups) 0/1 rivalry matrix K (zero diagonal).
        recruitment_rate: ρ, recruits per member per day (FACTS: Prieto-Curiel).
        capacity: (groups,) K_i, members at which saturation exits equal recruitment.
        conflict_rate: θ, deaths per member per rival member per day (assumption for docking).
        incapacitation: η, arrests per day shared in proportion to size (assumption for docking).
        days: Horizon in days.
    """

    names: tuple[str, ...]
    members: np.ndarray
    rivalry: np.ndarray
    recruitment_rate: float
    capacity: np.ndarray
    conflict_rate: float
    incapacitation: float
    days: int

    @classmethod
    def from_scenario(cls, scenario: Scenario, conflict_rate: float, incapacitation: float, years: float) -> WellMixedSetup:
        """Groups, rivalries, recruitment and capacities of ``scenario``, all members in one zone."""
        names = tuple(scenario.groups)
        members = np.array([sum(g.members.values()) for g in scenario.groups.values()], dtype=float)
        rivalry = np.zeros((len(names), len(names)))
        for i, group in enumerate(scenario.groups.values()):
            for rival in group.rivals:
                j = names.index(rival)
                rivalry[i, j] = rivalry[j, i] = 1.0
        return cls(
            names=names,
            members=members,
            rivalry=rivalry,
            recruitment_rate=scenario.dynamics.recruitment_rate,
            capacity=members * scenario.dynamics.capacity_headroom,
            conflict_rate=conflict_rate,
            incapacitation=incapacitation,
            days=round(years * DAYS_PER_YEAR),
        )


def simulate(setup: WellMixedSetup, seed: int) -> np.ndarray:
    """One stochastic run; returns (days + 1, groups) members at the start of each day."""
    streams = Streams(seed)
    fights, arrests_stream = streams.compiled("fights"), streams.compiled("operations")
    recruitment, exits = streams.compiled("recruitment"), streams.compiled("exit")
    dynamics = DynamicsParams(recruitment_rate=setup.recruitment_rate, revenue_elasticity=0.0, prevention=0.0, replacement_rate=0.0)
    n = setup.members.size
    members = np.rint(setup.members).astype(np.int64)
    group = np.arange(n)
    here = np.zeros(n, dtype=np.int64)  # everyone on one cell
    no_density = np.zeros(1)
    no_stakes = np.ones(n)  # no routes, no deterrence: the fight hazard is the bare conflict rate
    reference = np.ones(n)
    ones = np.ones(n)
    no_vacancies = np.zeros(n, dtype=np.int64)  # the Prieto-Curiel equation has no replacement of lost members
    out = np.empty((setup.days + 1, n))
    out[0] = members
    for day in range(setup.days):
        nearby = members.astype(float)[None, :]  # (1 cell, groups): every member meets every other
        deaths, _, _ = rival_fights(fights, members, here, group, nearby, setup.rivalry, no_density, no_stakes, setup.conflict_rate, 0.0)
        remaining = members - deaths
        total = remaining.sum()
        if total > 0:
            arrested = np.minimum(poisson_counts(arrests_stream, setup.incapacitation * remaining / total), remaining)
            remaining = remaining - arrested
        recruited, exited, _ = membership_flows(
            recruitment, exits, dynamics, remaining, group, ones, ones, reference, setup.capacity, no_vacancies, 0.0, (1.0, 1.0)
        )
        members = remaining + recruited - exited
        out[day + 1] = members
    return out


def solve_ode(setup: WellMixedSetup) -> np.ndarray:
    """The Prieto-Curiel equation under the same parameters, solved daily with ``solve_ivp``."""
    rho, theta, eta = setup.recruitment_rate, setup.conflict_rate, setup.incapacitation
    omega = rho / setup.capacity

    def rhs(_t: float, c: np.ndarray) -> np.ndarray:
        total = max(c.sum(), 1e-12)
        return c * (rho - eta / total - theta * (setup.rivalry @ c) - omega * c)

    days = np.arange(setup.days + 1)
    solution = solve_ivp(rhs, (0, setup.days), setup.members, t_eval=days, method="LSODA", rtol=1e-8, atol=1e-6)
    return solution.y.T
