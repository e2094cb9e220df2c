"""The day's encounters over criminal cells, compiled.

Rival fights, operations, flight and pursuit, predation, and the split of killings into homicides
and disappearances; ``encounter_day`` runs them in that order in one compiled pass.

Every function takes per-criminal-cell arrays (``members``, ``pos``, ``group``) plus per-grid-cell
fields, draws from the named stream it is given and returns counts; none mutates model state. They
are Numba loops over criminal cells (a Generator passed to a compiled function draws from, and
advances, that same named stream), because on arrays of a few hundred cells the day's cost would
otherwise be Python call overhead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from model.kernels import keyed_neighbourhood_sum, poisson_counts
from model.params import OperationParams, VisibilityParams
from model.rng import Stream

BRANCHES: tuple[str, ...] = ("police", "national_guard", "army", "navy")
DENSITY_REFERENCE = 10_000.0  # people per km² at which "per 10k people/km²" rates apply


@njit(cache=True)
def deterred_share(near: float, deterrence_max: float, deterrence_half: float) -> float:
    """Share of killing (and fighting) left with ``near`` perceived officers: saturating deterrence."""
    return 1.0 - deterrence_max * near / (near + deterrence_half)


@njit(cache=True)
def rival_fights(
    rng: Stream,
    members: np.ndarray,
    pos: np.ndarray,
    group: np.ndarray,
    nearby: np.ndarray,
    rivalry: np.ndarray,
    density: np.ndarray,
    stakes: np.ndarray,
    fight_rate: float,
    bystanders_per_death: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rival cells fight where they share a neighbourhood.

    A cell's members die with probability ``1 − exp(−fight_rate × stakes × exposure)``, exposure
    being the rivalry-weighted enemies in its 3×3 neighbourhood and stakes what the ground is worth
    fighting for (more on trafficking routes, P2); bystanders die in proportion to deaths and
    density.

    Args:
        rng: The ``fights`` stream.
        members: Members per criminal cell.
        pos: Domain cell of each criminal cell.
        group: Group of each criminal cell.
        nearby: (groups, cells) members of each group in each 3×3 neighbourhood.
        rivalry: (groups, groups) fighting weight of row group against column group; the diagonal
            is fighting inside a group (succession crises), against its *other* members.
        density: (cells,) people per km².
        stakes: (cells,) multiplier of the fight hazard (``1 + traffic_violence × plaza``; 1 when well mixed).
        fight_rate: Deaths per member per enemy nearby per day (``crime.fight_rate``).
        bystanders_per_death: Bystanders killed per fight death at 10,000 people/km².

    Returns:
        Members killed, bystanders killed, and the contest (weighted enemies / (enemies + own side)
        nearby, 0–1), per criminal cell.
    """
    n, n_groups = members.size, rivalry.shape[0]
    deaths = np.zeros(n, dtype=np.int64)
    bystanders = np.zeros(n, dtype=np.int64)
    contest = np.zeros(n)
    for i in range(n):
        c, g = pos[i], group[i]
        exposure = -rivalry[g, g] * members[i]  # weighted enemies nearby, not against itself
        for h in range(n_groups):
            exposure += rivalry[g, h] * nearby[h, c]
        exposure = max(exposure, 0.0)
        if exposure > 0.0 and members[i] > 0:
            deaths[i] = rng.binomial(members[i], -np.expm1(-fight_rate * stakes[c] * exposure))
        if deaths[i] > 0 and density[c] > 0.0:
            bystanders[i] = rng.poisson(bystanders_per_death * deaths[i] * density[c] / DENSITY_REFERENCE)
        # Contest over the plazas: weighted enemies against the cell's own side. In a succession
        # crisis the group's factions contest each other and rivals press harder, so it rises (P1).
        contest[i] = exposure / max(exposure + nearby[g, c], 1.0)
    return deaths, bystanders, contest


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
    rng: Stream,
    leak_rng: Stream,
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
    engaged, warned, arrests, killed, officer_deaths, bystanders, abuses, firefight = _operations(
        rng, leak_rng, branch_table, members, pos, group, strength, lead_branch, leakers, density,
        params.encounter_rate, params.encounter_half_officers, params.leak_prob, params.arrest_fraction,
        params.casualty_fraction, params.bystanders_per_firefight,
    )  # fmt: skip
    return OperationResult(engaged, warned, arrests, killed, officer_deaths, bystanders, abuses, firefight)


@njit(cache=True)
def _operations(
    rng, leak_rng, branch_table, members, pos, group, strength, lead_branch, leakers, density,
    encounter_rate, half_officers, leak_prob, arrest_fraction, casualty_fraction, bystanders_per_firefight,
):  # fmt: skip
    n = members.size
    engaged = np.zeros(n, dtype=np.bool_)
    warned = np.zeros(n, dtype=np.bool_)
    firefight = np.zeros(n, dtype=np.bool_)
    arrests = np.zeros(n, dtype=np.int64)
    killed = np.zeros(n, dtype=np.int64)
    officer_deaths = np.zeros(n, dtype=np.int64)
    bystanders = np.zeros(n, dtype=np.int64)
    abuses = np.zeros(n, dtype=np.int64)
    for i in range(n):
        c = pos[i]
        s = strength[c]
        if s <= 0.0 or members[i] <= 0:
            continue
        hazard = encounter_rate * s / (s + half_officers)
        if rng.random() >= -np.expm1(-hazard):
            continue
        if leakers[c, group[i]] and leak_rng.random() < leak_prob:
            warned[i] = True
            continue
        engaged[i] = True
        branch = lead_branch[c]
        lethality, kill_ratio, p_fire, abuse_rate = (
            branch_table[branch, 0],
            branch_table[branch, 1],
            branch_table[branch, 2],
            branch_table[branch, 4],
        )
        firefight[i] = rng.random() < p_fire
        arrests[i] = rng.binomial(members[i], arrest_fraction)
        if firefight[i]:
            hit = rng.binomial(members[i] - arrests[i], casualty_fraction)
            killed[i] = rng.binomial(hit, lethality / (1.0 + lethality))
            arrests[i] += hit - killed[i]  # the wounded are detained
            if killed[i] > 0:
                officer_deaths[i] = rng.poisson(killed[i] / kill_ratio)
            if density[c] > 0.0:
                bystanders[i] = rng.poisson(bystanders_per_firefight * density[c] / DENSITY_REFERENCE)
        if abuse_rate > 0.0:
            abuses[i] = rng.poisson(abuse_rate)
    return engaged, warned, arrests, killed, officer_deaths, bystanders, abuses, firefight


@njit(cache=True)
def predation(
    rng, members, pos, rival_share, market, officers_nearby, plaza, violence,
    extortion_rate, kidnapping_rate, deterrence_per_officer, kill_rate, deterrence_max, deterrence_half,
    contest_multiplier, traffic_violence,
):  # fmt: skip
    """Extortion, kidnapping and killings of civilians by criminal cells (Poisson counts per cell).

    Killings rise with contest (rivals nearby: P3, P9, P10) and with the value of the plaza — the
    share of all trafficked product crossing the cell's zone (P2; ``Routes.plaza``) — and fall
    with officers nearby (deterrence; spread-out units deter more than piled-up ones, P7), and are
    multiplied by each cell's ``violence`` (above 1 in its group's or its own succession, P1); extortion
    and kidnapping scale with the local market and fall with officers nearby. Rates are the
    ``crime`` parameters of the same names; ``officers_nearby`` is what criminals perceive.

    Returns:
        Extortions, kidnappings and civilian killings per criminal cell.
    """
    n = members.size
    exposed = np.zeros(n)
    killing = np.zeros(n)
    for i in range(n):
        if members[i] <= 0:
            continue
        c = pos[i]
        near = officers_nearby[c]
        exposed[i] = members[i] * market[c] * np.exp(-deterrence_per_officer * near)
        killing[i] = (
            kill_rate
            * members[i]
            * deterred_share(near, deterrence_max, deterrence_half)
            * (1.0 + contest_multiplier * rival_share[i])
            * (1.0 + traffic_violence * plaza[c])
            * violence[i]
        )
    return (
        poisson_counts(rng, extortion_rate * exposed),
        poisson_counts(rng, kidnapping_rate * exposed),
        poisson_counts(rng, killing),
    )


def conceal_share(params: VisibilityParams, officers_nearby: np.ndarray) -> np.ndarray:
    """Share of group killings hidden as disappearances per cell: rises with security presence (P8)."""
    return params.conceal_base + params.conceal_extra * officers_nearby / (officers_nearby + params.conceal_half_officers)


@njit(cache=True)
def hidden_killings(rng, killings, officers_nearby, base, extra, half):
    """Killings hidden as disappearances per criminal cell: binomial with the ``conceal_share``.

    Args:
        rng: The ``visibility`` stream.
        killings: Group killings per criminal cell.
        officers_nearby: On-duty officers around each criminal cell.
        base: ``visibility.conceal_base``.
        extra: ``visibility.conceal_extra``.
        half: ``visibility.conceal_half_officers``.
    """
    out = np.zeros(killings.size, dtype=np.int64)
    for i in range(killings.size):
        if killings[i] > 0:
            near = officers_nearby[i]
            out[i] = rng.binomial(killings[i], base + extra * near / (near + half))
    return out


@njit(cache=True)
def forces_on_cells(
    unit_pos: np.ndarray,
    on_duty: np.ndarray,
    effectiveness: np.ndarray,
    command: np.ndarray,
    branch: np.ndarray,
    n_branches: int,
    diminishing_returns: float,
    n_cells: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Effective officers per cell, with the pile-on of separate commands discounted, and lead branch.

    ``k`` separate commands on one cell (agencies, or the unified command counted once) act with
    ``(1 − d^k) / ((1 − d) k)`` of their strength; the lead branch has most on-duty officers there.

    Args:
        unit_pos: (units,) cell of each unit.
        on_duty: (units,) on-duty officers.
        effectiveness: (units,) encounter strength per officer of the unit's branch.
        command: (units,) command of each unit (its agency; one shared code for pooled units).
        branch: (units,) branch code.
        n_branches: Number of branches.
        diminishing_returns: ``d``, value of each further command on a cell.
        n_cells: Number of domain cells.

    Returns:
        (cells,) effective officers; (cells,) lead branch (0 where no unit).
    """
    order = np.argsort(unit_pos, kind="mergesort")
    strength = np.zeros(n_cells)
    lead = np.zeros(n_cells, dtype=np.int64)
    by_branch = np.zeros(n_branches)
    d = diminishing_returns
    i = 0
    while i < order.size:
        c = unit_pos[order[i]]
        j = i
        total = 0.0
        by_branch[:] = 0.0
        commands = 0
        while j < order.size and unit_pos[order[j]] == c:
            u = order[j]
            total += on_duty[u] * effectiveness[u]
            by_branch[branch[u]] += on_duty[u]
            new = True
            for k in range(i, j):
                if command[order[k]] == command[u]:
                    new = False
                    break
            if new:
                commands += 1
            j += 1
        strength[c] = total * (1.0 - d**commands) / ((1.0 - d) * commands) if d != 1.0 else total
        lead[c] = np.argmax(by_branch)
        i = j
    return strength, lead


@njit(cache=True)
def leak_map(unit_pos: np.ndarray, colluding: np.ndarray, protected: np.ndarray, n_cells: int, n_groups: int) -> np.ndarray:
    """(cells, groups) True where a colluding unit protecting that group stands.

    Args:
        unit_pos: (units,) cell of each unit.
        colluding: (units,) unit colludes.
        protected: (units,) group the unit protects (dominant in its home zone; -1 none).
        n_cells: Number of domain cells.
        n_groups: Group rows.
    """
    out = np.zeros((n_cells, n_groups), dtype=np.bool_)
    for u in range(unit_pos.size):
        if colluding[u] and protected[u] >= 0:
            out[unit_pos[u], protected[u]] = True
    return out


@njit(cache=True)
def flee(
    rng: Stream,
    pos: np.ndarray,
    remaining: np.ndarray,
    engaged: np.ndarray,
    warned: np.ndarray,
    flee_prob: float,
    perceived: np.ndarray,
    heat_aversion: float,
    refuge_bonus: float,
    capture_prob: float,
    arrest_fraction: float,
    unit_pos: np.ndarray,
    unit_municipal: np.ndarray,
    unit_jurisdiction: np.ndarray,
    unit_state: np.ndarray,
    unit_pooled: np.ndarray,
    area_mask: np.ndarray,
    neighbours: np.ndarray,
    jurisdiction: np.ndarray,
    state: np.ndarray,
    zone: np.ndarray,
    n_zones: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Warned and engaged cells may flee to a neighbour; the units on the cell follow where they may act.

    A neighbour is pursuable when some unit on the origin cell may act there: a municipal unit in its
    own jurisdiction, a state or federal unit in its own state, a pooled unit anywhere in the
    unified command's area. Fleeing cells choose by logit: fewer officers perceived, and a refuge
    bonus where no pursuer can follow. A pursued cell is caught with ``capture_prob``.

    Args:
        rng: The ``pursuit`` stream.
        pos: (criminal cells,) cell of each criminal cell.
        remaining: (criminal cells,) members left after operations.
        engaged: (criminal cells,) engaged by an operation today.
        warned: (criminal cells,) warned by a colluding unit.
        flee_prob: Chance an engaged or warned cell flees.
        perceived: (cells,) officers criminals perceive nearby.
        heat_aversion: Log-attractiveness per officer perceived.
        refuge_bonus: Log-attractiveness of a destination no pursuer may enter.
        capture_prob: Chance a pursuit ends in arrests.
        arrest_fraction: Share of a caught cell's members arrested.
        unit_pos: (units,) cell of each unit.
        unit_municipal: (units,) unit belongs to a municipal police.
        unit_jurisdiction: (units,) home jurisdiction code.
        unit_state: (units,) home state code.
        unit_pooled: (units,) unit serves the unified command.
        area_mask: (cells,) inside the unified command's area.
        neighbours: (cells, 8) Moore neighbours, -1 where none.
        jurisdiction: (cells,) jurisdiction code.
        state: (cells,) state code.
        zone: (cells,) zone code.
        n_zones: Number of zones.

    Returns:
        New positions, extra arrests per criminal cell, and (zones, 2) per zone of origin: pursuits
        that crossed the state line, escapes across it that nobody could follow.
    """
    new_pos = pos.copy()
    extra = np.zeros(pos.size, dtype=np.int64)
    cross = np.zeros((n_zones, 2))
    for i in range(pos.size):
        if not (engaged[i] or warned[i]) or remaining[i] <= 0:
            continue
        if rng.random() >= flee_prob:
            continue
        origin = pos[i]
        here = np.flatnonzero(unit_pos == origin)
        best, dest, followed = -1, -1, False
        best_score = -np.inf
        for k in range(neighbours.shape[1]):
            option = neighbours[origin, k]
            if option < 0:
                continue
            ok = may_pursue(here, option, unit_municipal, unit_jurisdiction, unit_state, unit_pooled, area_mask, jurisdiction, state)
            score = -heat_aversion * perceived[option] - np.log(rng.standard_exponential())  # Gumbel(0, 1)
            if not ok:
                score += refuge_bonus
            if score > best_score:
                best, best_score, dest, followed = k, score, option, ok
        if best < 0:
            continue
        new_pos[i] = dest
        crossing = state[dest] != state[origin]
        if engaged[i] and followed:
            if crossing:
                cross[zone[origin], 0] += 1
            if rng.random() < capture_prob:
                extra[i] = rng.binomial(remaining[i], arrest_fraction)
        elif crossing:
            cross[zone[origin], 1] += 1
    return new_pos, extra, cross


@njit(cache=True)
def may_pursue(units, dest, municipal, unit_jurisdiction, unit_state, pooled, area_mask, jurisdiction, state):
    """Some unit of ``units`` may act on ``dest`` (own jurisdiction, own state, or the command's area)."""
    for u in units:
        if municipal[u] and unit_jurisdiction[u] == jurisdiction[dest]:
            return True
        if not municipal[u] and unit_state[u] == state[dest]:
            return True
        if pooled[u] and area_mask[dest]:
            return True
    return False


#: Order of the scalar parameters ``encounter_day`` takes as one array: (section, name).
ENCOUNTER_COEFFICIENTS: tuple[tuple[str, str], ...] = (
    ("crime", "fight_rate"),
    ("crime", "bystanders_per_fight_death"),
    ("operations", "encounter_rate"),
    ("operations", "encounter_half_officers"),
    ("operations", "leak_prob"),
    ("operations", "arrest_fraction"),
    ("operations", "casualty_fraction"),
    ("operations", "bystanders_per_firefight"),
    ("operations", "flee_prob"),
    ("crime", "heat_aversion"),
    ("command", "pursuit_capture_prob"),
    ("command", "diminishing_returns"),
    ("crime", "extortion_rate"),
    ("crime", "kidnapping_rate"),
    ("crime", "deterrence_per_officer"),
    ("crime", "civilian_kill_rate"),
    ("crime", "killing_deterrence_max"),
    ("crime", "killing_deterrence_half_officers"),
    ("crime", "contest_multiplier"),
    ("crime", "traffic_violence"),
    ("visibility", "conceal_base"),
    ("visibility", "conceal_extra"),
    ("visibility", "conceal_half_officers"),
)


@njit(cache=True)
def encounter_day(
    streams, members, pos, group, fighting, density, market, plaza, perceived, officers_near,
    unit_pos, on_duty, effectiveness, command, branch, colluding, protected, municipal, unit_jurisdiction, unit_state,
    pooled, branch_table, neighbours, area_mask, jurisdiction, state, zone, n_zones, refuge_bonus, coefficients, violence,
):  # fmt: skip
    """The day's encounters in one compiled pass, in the documented order.

    Rival fights → operations (forces and leaks per cell) → flight and pursuit → predation →
    concealment (``rival_fights``, ``forces_on_cells``, ``leak_map``, ``operations``, ``flee``,
    ``predation``, ``hidden_killings``), each drawing from its own stream. ``streams`` are the
    (fights, operations, leaks, pursuit, predation, visibility) Generators, ``coefficients`` the
    parameters in the order of ``ENCOUNTER_COEFFICIENTS``, ``violence`` each criminal
    cell's killing multiplier (succession crises).

    Returns:
        Per criminal cell: fight deaths, fight bystanders, contest, engaged, warned, arrests (in
        operations), killed, officer deaths, operation bystanders, abuses, new position, pursuit
        arrests, extortions, kidnappings, civilian killings, hidden killings; and (zones, 2) pursuits
        and escapes across the state line.
    """
    fights_rng, ops_rng, leak_rng, pursuit_rng, prey_rng, vis_rng = streams
    c = coefficients
    n_cells, n_groups = neighbours.shape[0], fighting.shape[0]
    nearby = keyed_neighbourhood_sum(group, pos, members.astype(np.float64), n_groups, neighbours, n_cells)
    # The fight hazard rises with what the ground is worth (the plaza's share of the product) and
    # falls, like killings of civilians, with the presence criminals perceive around them.
    stakes = np.empty(n_cells)
    for cell in range(n_cells):
        stakes[cell] = (1.0 + c[19] * plaza[cell]) * deterred_share(perceived[cell], c[16], c[17])
    deaths, fight_bystanders, contest = rival_fights(fights_rng, members, pos, group, nearby, fighting, density, stakes, c[0], c[1])
    after_fights = members - deaths
    strength, lead = forces_on_cells(unit_pos, on_duty, effectiveness, command, branch, branch_table.shape[0], c[11], n_cells)
    leakers = leak_map(unit_pos, colluding, protected, n_cells, n_groups)
    engaged, warned, arrests, killed, officer_deaths, op_bystanders, abuses, _ = _operations(
        ops_rng, leak_rng, branch_table, after_fights, pos, group, strength, lead, leakers, density, c[2], c[3], c[4], c[5], c[6], c[7]
    )
    remaining = after_fights - arrests - killed
    new_pos, pursuit_arrests, cross = flee(
        pursuit_rng, pos, remaining, engaged, warned, c[8], perceived, c[9], refuge_bonus, c[10], c[5], unit_pos, municipal,
        unit_jurisdiction, unit_state, pooled, area_mask, neighbours, jurisdiction, state, zone, n_zones,
    )  # fmt: skip
    remaining = remaining - pursuit_arrests
    extortions, kidnappings, killings = predation(
        prey_rng, remaining, pos, contest, market, perceived, plaza, violence, c[12], c[13], c[14], c[15], c[16], c[17], c[18], c[19]
    )
    near = np.empty(pos.size)
    for i in range(pos.size):
        near[i] = officers_near[pos[i]]
    hidden = hidden_killings(vis_rng, deaths + fight_bystanders + killings, near, c[20], c[21], c[22])
    return (
        deaths, fight_bystanders, contest, engaged, warned, arrests, killed, officer_deaths, op_bystanders, abuses,
        new_pos, pursuit_arrests, extortions, kidnappings, killings, hidden, cross,
    )  # fmt: skip
