"""The day's encounters, vectorised over criminal cells.

Rival fights, operations, predation, and the split of killings into homicides and disappearances.

All functions take per-criminal-cell arrays (``members``, ``pos``, ``group``) plus per-grid-cell
fields, draw from the named stream they are given, and return counts; none mutates model state.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.params import CrimeParams, OperationParams, VisibilityParams

BRANCHES: tuple[str, ...] = ("police", "national_guard", "army", "navy")
DENSITY_REFERENCE = 10_000.0  # people per km² at which "per 10k people/km²" rates apply


@dataclass
class FightResult:
    deaths: np.ndarray  # members killed, per criminal cell
    bystanders: np.ndarray  # civilians killed, per criminal cell
    rival_share: np.ndarray  # contest: weighted enemies / (enemies + own side) nearby (0–1)


def rival_fights(
    rng: np.random.Generator,
    params: CrimeParams,
    members: np.ndarray,
    pos: np.ndarray,
    group: np.ndarray,
    nearby: np.ndarray,
    rivalry: np.ndarray,
    density: np.ndarray,
) -> FightResult:
    """Rival cells fight where they share a neighbourhood.

    Args:
        rng: The ``fights`` stream.
        params: Crime parameters.
        members: Members per criminal cell.
        pos: Domain cell of each criminal cell.
        group: Group of each criminal cell.
        nearby: (groups, cells) members of each group in each 3×3 neighbourhood.
        rivalry: (groups, groups) fighting weight of row group against column group; the diagonal
            is fighting inside a group (succession crises), against its *other* members.
        density: (cells,) people per km².
    """
    exposure_all = rivalry @ nearby  # (groups, cells): weighted enemies near each cell
    own_nearby = nearby[group, pos]
    self_weight = rivalry[group, group]
    exposure = exposure_all[group, pos] - self_weight * members  # not against itself
    exposure = np.maximum(exposure, 0.0)
    deaths = rng.binomial(members, -np.expm1(-params.fight_rate * exposure))
    bystanders = rng.poisson(params.bystanders_per_fight_death * deaths * density[pos] / DENSITY_REFERENCE)
    # Contest over the plazas: weighted enemies against the cell's own side. In a succession crisis
    # the group's factions contest each other and rivals press harder, so the share rises (P1).
    contest = exposure / np.maximum(exposure + own_nearby, 1.0)
    return FightResult(deaths=deaths, bystanders=bystanders, rival_share=contest)


@dataclass
class OperationResult:
    engaged: np.ndarray  # bool per criminal cell
    warned: np.ndarray  # bool per criminal cell
    arrests: np.ndarray
    killed: np.ndarray
    officer_deaths: np.ndarray
    bystanders: np.ndarray
    abuses: np.ndarray
    firefight: np.ndarray  # bool


def operations(
    rng: np.random.Generator,
    leak_rng: np.random.Generator,
    params: OperationParams,
    branch_table: np.ndarray,
    members: np.ndarray,
    pos: np.ndarray,
    group: np.ndarray,
    strength: np.ndarray,
    lead_branch: np.ndarray,
    leakers: np.ndarray,
    density: np.ndarray,
) -> OperationResult:
    """Units engage criminal cells on their cell: arrests, seizures, firefights, leaks.

    Args:
        rng: The ``operations`` stream.
        leak_rng: The ``leaks`` stream.
        params: Operation parameters.
        branch_table: (branches, 5) lethality index, kill ratio, firefight prob, effectiveness, abuse rate.
        members: Members per criminal cell after today's fights.
        pos: Domain cell of each criminal cell.
        group: Group of each criminal cell.
        strength: (cells,) effective on-duty officers (pile-on already discounted).
        lead_branch: (cells,) branch with most on-duty officers on the cell.
        leakers: (cells, groups) True where a unit colluding with that group is on the cell.
        density: (cells,) people per km².
    """
    s = strength[pos]
    hazard = params.encounter_rate * s / (s + params.encounter_half_officers)
    present = (s > 0) & (members > 0)
    planned = present & (rng.random(members.size) < -np.expm1(-hazard))
    warned = planned & leakers[pos, group] & (leak_rng.random(members.size) < params.leak_prob)
    engaged = planned & ~warned
    branch = lead_branch[pos]
    lethality, kill_ratio, p_fire, _, abuse_rate = (branch_table[branch, k] for k in range(5))
    firefight = engaged & (rng.random(members.size) < p_fire)
    arrests = rng.binomial(np.where(engaged, members, 0), params.arrest_fraction)
    hit = rng.binomial(np.where(firefight, members - arrests, 0), params.casualty_fraction)
    killed = rng.binomial(hit, lethality / (1.0 + lethality))
    arrests = arrests + (hit - killed)  # the wounded are detained
    officer_deaths = rng.poisson(killed / kill_ratio)
    bystanders = rng.poisson(np.where(firefight, params.bystanders_per_firefight * density[pos] / DENSITY_REFERENCE, 0.0))
    abuses = rng.poisson(np.where(engaged, abuse_rate, 0.0))
    return OperationResult(engaged, warned, arrests, killed, officer_deaths, bystanders, abuses, firefight)


@dataclass
class PredationResult:
    extortions: np.ndarray
    kidnappings: np.ndarray
    civilian_killings: np.ndarray


def predation(
    rng: np.random.Generator,
    params: CrimeParams,
    members: np.ndarray,
    pos: np.ndarray,
    rival_share: np.ndarray,
    market: np.ndarray,
    officers_nearby: np.ndarray,
    flow: np.ndarray,
) -> PredationResult:
    """Extortion, kidnapping and killings of civilians by criminal cells.

    Killings rise with contest (rivals nearby: P3, P9, P10) and with trafficking flow (P2) and fall
    with officers nearby (deterrence; spread-out units deter more than piled-up ones, P7); extortion
    and kidnapping scale with the local market and fall with officers nearby.
    """
    deterrence = np.exp(-params.deterrence_per_officer * officers_nearby[pos])
    m = members * market[pos]
    extortions = rng.poisson(params.extortion_rate * m * deterrence)
    kidnappings = rng.poisson(params.kidnapping_rate * m * deterrence)
    near = officers_nearby[pos]
    killing_rate = (
        params.civilian_kill_rate
        * members
        * (1.0 - params.killing_deterrence_max * near / (near + params.killing_deterrence_half_officers))
        * (1.0 + params.contest_multiplier * rival_share)
        * (1.0 + params.traffic_violence * flow[pos])
    )
    return PredationResult(extortions, kidnappings, rng.poisson(killing_rate))


def conceal_share(params: VisibilityParams, officers_nearby: np.ndarray) -> np.ndarray:
    """Share of group killings hidden as disappearances per cell: rises with security presence (P8)."""
    return params.conceal_base + params.conceal_extra * officers_nearby / (officers_nearby + params.conceal_half_officers)
