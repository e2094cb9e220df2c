"""The day's encounters over criminal cells, compiled.

Rival fights, operations (with collusion, leaks and obstruction), flight and pursuit, predation,
and the split of killings into homicides and disappearances; ``encounter_day`` runs them in that
order in one compiled pass. Its inputs and outputs are named records (``EncounterWorld``,
``EncounterForces``, ``EncounterCoefficients`` → ``EncounterOutcome``).

Every function takes per-criminal-cell arrays (``members``, ``pos``, ``group``) plus per-grid-cell
fields, draws from the named stream it is given and returns counts; none mutates model state. They
are Numba loops over criminal cells (a Generator passed to a compiled function draws from, and
advances, that same named stream), because on arrays of a few hundred cells the day's cost would
otherwise be Python call overhead.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from mandosim.model.kernels import keyed_neighbourhood_sum, order_by_key, poisson_counts, sums_by_key
from mandosim.model.metrics import CELL_COUNTS
from mandosim.model.params import OperationParams, Scenario, VisibilityParams
from mandosim.model.regime import obstruction
from mandosim.model.rng import Stream

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
    being the rivalry-weighted enemies within its reach (7.5 km square) and stakes what the ground is worth
    fighting for (more on trafficking routes, P2); bystanders die in proportion to deaths and
    density.

    Args:
        rng: The ``fights`` stream.
        members: Members per criminal cell.
        pos: Domain cell of each criminal cell.
        group: Group of each criminal cell.
        nearby: (cells, groups) members of each group within each cell's reach (7.5 km square);
            columns past the last group with cells may be left out (they hold nothing).
        rivalry: (groups, groups) fighting weight of row group against column group; the diagonal
            is fighting inside a group (succession crises), against its *other* members.
        density: (cells,) people per km².
        stakes: (criminal cells,) multiplier of the fight hazard: what the ground is worth
            (``1 + traffic_violence × plaza``) × the share deterrence leaves; 1 when well mixed.
        fight_rate: Deaths per member per enemy nearby per day (``crime.fight_rate``).
        bystanders_per_death: Bystanders killed per fight death at 10,000 people/km².

    Returns:
        Members killed, bystanders killed, and the contest (weighted enemies / (enemies + own side)
        nearby, 0–1), per criminal cell.
    """
    n, n_groups = members.size, nearby.shape[1]
    deaths = np.zeros(n, dtype=np.int64)
    bystanders = np.zeros(n, dtype=np.int64)
    contest = np.zeros(n)
    for i in range(n):
        c, g = pos[i], group[i]
        exposure = -rivalry[g, g] * members[i]  # weighted enemies nearby, not against itself
        for h in range(n_groups):
            exposure += rivalry[g, h] * nearby[c, h]
        exposure = max(exposure, 0.0)
        if exposure > 0.0 and members[i] > 0:
            deaths[i] = rng.binomial(members[i], -np.expm1(-fight_rate * stakes[i] * exposure))
        if deaths[i] > 0 and density[c] > 0.0:
            bystanders[i] = rng.poisson(bystanders_per_death * deaths[i] * density[c] / DENSITY_REFERENCE)
        # Contest over the plazas: weighted enemies against the cell's own side. In a succession
        # crisis the group's factions contest each other and rivals press harder, so it rises (P1).
        contest[i] = exposure / max(exposure + nearby[c, g], 1.0)
    return deaths, bystanders, contest


class OperationResult(NamedTuple):
    engaged: np.ndarray  # bool per criminal cell
    warned: np.ndarray  # bool: a colluding unit warned it (leak)
    avoided: np.ndarray  # bool: engaged but for the colluding units that protect it
    obstructed: np.ndarray  # bool: an agency in a rift with the lead obstructed the operation
    arrests: np.ndarray
    killed: np.ndarray
    officer_deaths: np.ndarray
    bystanders: np.ndarray
    abuses: np.ndarray
    firefight: np.ndarray  # bool


class OperationCoefficients(NamedTuple):
    """Scalars of ``operations`` (``operations.*`` parameters of the same names)."""

    encounter_rate: float
    encounter_half_officers: float
    leak_prob: float
    arrest_fraction: float
    casualty_fraction: float
    bystanders_per_firefight: float


class OperationForces(NamedTuple):
    """Who stands on each cell, per grid cell, and who would warn whom.

    Attributes:
        strength: (cells,) effective on-duty officers (pile-up of separate commands discounted).
        protected_share: (cells, groups) share of the cell's strength held by colluding units that
            protect that group (they do not engage it).
        lead_branch: (cells,) branch with most on-duty officers on the cell.
        lead_command: (cells,) command code of the lead agency (-1 where no unit).
        in_cell_leak: (cells, groups) a colluding unit protecting that group stands on the cell.
        plans: (commands, agencies) the command (row) shares its plans with the agency (column).
        own_area: (agencies, cells) the cell is in the agency's own area.
        colluding_share: (agencies, zones) share of the agency's units based in the zone that collude.
        patron: (zones,) group colluding units there protect (the zone's dominant group; -1 none).
        zone: (cells,) zone code.
        obstruct: (cells,) chance an operation led on the cell is obstructed.
        density: (cells,) people per km².
    """

    strength: np.ndarray
    protected_share: np.ndarray
    lead_branch: np.ndarray
    lead_command: np.ndarray
    in_cell_leak: np.ndarray
    plans: np.ndarray
    own_area: np.ndarray
    colluding_share: np.ndarray
    patron: np.ndarray
    zone: np.ndarray
    obstruct: np.ndarray
    density: np.ndarray


def simple_forces(strength: np.ndarray, lead_branch: np.ndarray, in_cell_leak: np.ndarray, density: np.ndarray) -> OperationForces:
    """``OperationForces`` for one command per cell, no shared plans and no rifts (tests, pattern P5)."""
    n_cells, n_groups = in_cell_leak.shape
    return OperationForces(
        strength, np.zeros((n_cells, n_groups)), lead_branch, np.where(strength > 0, 0, -1).astype(np.int64), in_cell_leak,
        np.zeros((1, 1), dtype=np.bool_), np.zeros((1, n_cells), dtype=np.bool_), np.zeros((1, 1)), np.full(1, -1, dtype=np.int64),
        np.zeros(n_cells, dtype=np.int64), np.zeros(n_cells), density,
    )  # fmt: skip


def operations(
    rng: Stream,
    leak_rng: Stream,
    params: OperationParams,
    branch_table: np.ndarray,
    members: np.ndarray,
    pos: np.ndarray,
    group: np.ndarray,
    forces: OperationForces,
) -> OperationResult:
    """Units engage criminal cells on their cell: arrests, seizures, firefights; leaks, protection, obstruction.

    Args:
        rng: The ``operations`` stream.
        leak_rng: The ``leaks`` stream (leaks and obstruction).
        params: Operation parameters.
        branch_table: (branches, 5) lethality index, kill ratio, firefight prob, effectiveness, abuse rate.
        members: Members per criminal cell after today's fights.
        pos: Domain cell of each criminal cell.
        group: Group of each criminal cell.
        forces: Who stands on each cell (``OperationForces``).
    """
    coefficients = OperationCoefficients(
        params.encounter_rate, params.encounter_half_officers, params.leak_prob, params.arrest_fraction,
        params.casualty_fraction, params.bystanders_per_firefight,
    )  # fmt: skip
    return _operations(rng, leak_rng, branch_table, members, pos, group, forces, coefficients)


@njit(cache=True)
def _leak_chance(forces, c, g, leak_prob):
    """Chance the operation on cell ``c`` against group ``g`` is leaked to it.

    A colluding unit on the cell warns with ``leak_prob``; every other agency that knows the plan
    (``plans``), works the cell (``own_area``) and has colluding units protecting ``g`` in the zone
    warns with ``leak_prob × its colluding share there``.
    """
    free = 1.0 - leak_prob if forces.in_cell_leak[c, g] else 1.0
    lead = forces.lead_command[c]
    z = forces.zone[c]
    if lead >= 0 and lead < forces.plans.shape[0] and forces.patron[z] == g:
        for a in range(forces.plans.shape[1]):
            if forces.plans[lead, a] and forces.own_area[a, c]:
                free *= 1.0 - leak_prob * forces.colluding_share[a, z]
    return 1.0 - free


@njit(cache=True)
def _operations(rng, leak_rng, branch_table, members, pos, group, forces, k):
    n = members.size
    result = OperationResult(
        np.zeros(n, dtype=np.bool_), np.zeros(n, dtype=np.bool_), np.zeros(n, dtype=np.bool_), np.zeros(n, dtype=np.bool_),
        np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64),
        np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.bool_),
    )  # fmt: skip
    for i in range(n):
        c, g = pos[i], group[i]
        s = forces.strength[c]
        if s <= 0.0 or members[i] <= 0:
            continue
        # the draw that decides engagement, against all units and against those that would act
        draw = rng.random()
        if draw >= -np.expm1(-k.encounter_rate * s / (s + k.encounter_half_officers)):
            continue
        acting = s * (1.0 - forces.protected_share[c, g])
        if acting <= 0.0 or draw >= -np.expm1(-k.encounter_rate * acting / (acting + k.encounter_half_officers)):
            result.avoided[i] = True  # the colluding units on the cell would not move against their patron
            continue
        leak = _leak_chance(forces, c, g, k.leak_prob)
        if leak > 0.0 and leak_rng.random() < leak:
            result.warned[i] = True
            continue
        if forces.obstruct[c] > 0.0 and leak_rng.random() < forces.obstruct[c]:
            result.obstructed[i] = True
            continue
        result.engaged[i] = True
        branch = forces.lead_branch[c]
        lethality, kill_ratio, p_fire, abuse_rate = (
            branch_table[branch, 0],
            branch_table[branch, 1],
            branch_table[branch, 2],
            branch_table[branch, 4],
        )
        result.firefight[i] = rng.random() < p_fire
        result.arrests[i] = rng.binomial(members[i], k.arrest_fraction)
        if result.firefight[i]:
            hit = rng.binomial(members[i] - result.arrests[i], k.casualty_fraction)
            result.killed[i] = rng.binomial(hit, lethality / (1.0 + lethality))
            result.arrests[i] += hit - result.killed[i]  # the wounded are detained
            if result.killed[i] > 0:
                result.officer_deaths[i] = rng.poisson(result.killed[i] / kill_ratio)
            if forces.density[c] > 0.0:
                result.bystanders[i] = rng.poisson(k.bystanders_per_firefight * forces.density[c] / DENSITY_REFERENCE)
        if abuse_rate > 0.0:
            result.abuses[i] = rng.poisson(abuse_rate)
    return result


@njit(cache=True)
def predation(
    rng, members, pos, rival_share, market, perceived, plaza, violence,
    extortion_rate, kidnapping_rate, deterrence_per_officer, kill_rate, deterrence_max, deterrence_half,
    contest_multiplier, traffic_violence,
):  # fmt: skip
    """Extortion, kidnapping and killings of civilians by criminal cells (Poisson counts per cell).

    Killings rise with contest (rivals nearby: P3, P9, P10) and with the value of the plaza — the
    share of all trafficked product crossing the cell's zone (P2; ``Routes.plaza``) — and fall
    with officers nearby (deterrence; spread-out units deter more than piled-up ones, P7), and are
    multiplied by each cell's ``violence`` (above 1 in its group's or its own succession, P1); extortion
    and kidnapping scale with the local market and fall with officers nearby. Rates are the
    ``crime`` parameters of the same names; ``perceived`` (per criminal cell) is the risk its group
    has learned for the cell (``model.risk``).

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
        near = perceived[i]
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


class CellForces(NamedTuple):
    """Per grid cell: effective strength, raw strength, lead branch, lead agency and its command."""

    strength: np.ndarray
    raw: np.ndarray
    lead_branch: np.ndarray
    lead_agency: np.ndarray
    lead_command: np.ndarray


@njit(cache=True)
def forces_on_cells(
    unit_pos: np.ndarray,
    on_duty: np.ndarray,
    effectiveness: np.ndarray,
    command: np.ndarray,
    agency: np.ndarray,
    branch: np.ndarray,
    n_branches: int,
    n_agencies: int,
    diminishing_returns: float,
    n_cells: int,
    order: np.ndarray,
) -> CellForces:
    """Effective officers per cell, with the pile-up of separate commands discounted; the lead branch and agency.

    ``k`` separate commands on one cell (agencies, or agencies that act jointly counted once) act
    with ``(1 − d^k) / ((1 − d) k)`` of their strength; the lead branch and lead agency have most
    on-duty officers there.

    Args:
        unit_pos: (units,) cell of each unit.
        on_duty: (units,) on-duty officers.
        effectiveness: (units,) encounter strength per officer of the unit's branch.
        command: (units,) command code of each unit (``CommandRegime.joint_commands``; pooled units share one).
        agency: (units,) agency code.
        branch: (units,) branch code.
        n_branches: Number of branches.
        n_agencies: Number of agencies.
        diminishing_returns: ``d``, value of each further command on a cell.
        n_cells: Number of domain cells.
        order: The pieces ordered by cell (``order_by_key``).
    """
    out = CellForces(np.zeros(n_cells), np.zeros(n_cells), np.zeros(n_cells, dtype=np.int64), np.full(n_cells, -1, dtype=np.int64),
                     np.full(n_cells, -1, dtype=np.int64))  # fmt: skip
    by_branch = np.zeros(n_branches)
    by_agency = np.zeros(n_agencies)
    counted_on = np.full(max(command.max() + 1, 1) if command.size else 1, -1, dtype=np.int64)  # cell a command was last counted on
    d = diminishing_returns
    i = 0
    while i < order.size:
        c = unit_pos[order[i]]
        j = i
        total = 0.0
        by_branch[:] = 0.0
        by_agency[:] = 0.0
        commands = 0
        while j < order.size and unit_pos[order[j]] == c:
            u = order[j]
            total += on_duty[u] * effectiveness[u]
            by_branch[branch[u]] += on_duty[u]
            by_agency[agency[u]] += on_duty[u]
            if counted_on[command[u]] != c:  # a command not yet on this cell
                counted_on[command[u]] = c
                commands += 1
            j += 1
        out.raw[c] = total
        out.strength[c] = total * (1.0 - d**commands) / ((1.0 - d) * commands) if d != 1.0 else total
        out.lead_branch[c] = np.argmax(by_branch)
        lead = np.argmax(by_agency)
        out.lead_agency[c] = lead
        for k in range(i, j):
            if agency[order[k]] == lead:
                out.lead_command[c] = command[order[k]]
                break
        i = j
    return out


@njit(cache=True)
def colluder_maps(unit_pos, strength, colluding, patron, raw, n_cells, n_groups):
    """(cells, groups) colluding units protecting a group stand there; and the share of the cell's strength they hold.

    Args:
        unit_pos: (units,) cell of each unit.
        strength: (units,) on-duty officers × effectiveness.
        colluding: (units,) unit colludes.
        patron: (units,) group the unit protects (dominant in its home zone; -1 none).
        raw: (cells,) total strength on each cell.
        n_cells: Number of domain cells.
        n_groups: Group rows.
    """
    present = np.zeros((n_cells, n_groups), dtype=np.bool_)
    share = np.zeros((n_cells, n_groups))
    for u in range(unit_pos.size):
        if colluding[u] and patron[u] >= 0:
            c = unit_pos[u]
            present[c, patron[u]] = True
            if raw[c] > 0.0:
                share[c, patron[u]] += strength[u] / raw[c]
    return present, share


class PursuitOutcome(NamedTuple):
    new_pos: np.ndarray
    arrests: np.ndarray  # members arrested when a pursuit caught the cell
    pursued_to: np.ndarray  # cell a pursued, uncaught cell fled to (-1 none): its pursuers know where it is
    cross: np.ndarray  # (zones, 2): pursuits that crossed the state line; escapes across it nobody could follow


@njit(cache=True)
def flee(rng, pos, group, remaining, engaged, warned, world, forces, k, refuge_bonus, by_cell, start):  # noqa: PLR0912
    """Warned and engaged cells may flee to a neighbour; the units on the cell follow where they may act.

    A neighbour is pursuable when some unit on the origin cell may act there (``reach``: its
    jurisdiction, an agreement, or the command's area for pooled units). Fleeing cells choose by
    logit: less risk learned by their group, and a refuge bonus where none of the units they see may
    follow. A pursued cell is caught with ``pursuit_capture_prob``; otherwise its pursuers know where it went.

    Args:
        rng: The ``pursuit`` stream.
        pos: (criminal cells,) cell of each criminal cell.
        group: (criminal cells,) its group.
        remaining: (criminal cells,) members left after operations.
        engaged: (criminal cells,) engaged by an operation today.
        warned: (criminal cells,) warned by a colluding unit.
        world: ``EncounterWorld``.
        forces: ``EncounterForces``.
        k: ``EncounterCoefficients``.
        refuge_bonus: Log-attractiveness of a destination no pursuer may enter.
        by_cell: The pieces ordered by cell (``order_by_key``).
        start: Where each cell's pieces start in ``by_cell``.
    """
    out = PursuitOutcome(pos.copy(), np.zeros(pos.size, dtype=np.int64), np.full(pos.size, -1, dtype=np.int64),
                         np.zeros((world.n_zones, 2)))  # fmt: skip
    neighbours = world.neighbours
    for i in range(pos.size):
        if not (engaged[i] or warned[i]) or remaining[i] <= 0:
            continue
        if rng.random() >= k.flee_prob:
            continue
        origin = pos[i]
        here = by_cell[start[origin] : start[origin + 1]]  # the pieces on the cell
        best, dest, followed = -1, -1, False
        best_score = -np.inf
        for n in range(neighbours.shape[1]):
            option = neighbours[origin, n]
            if option < 0:
                continue
            ok = may_pursue(here, option, forces.reach, forces.pooled, forces.pooled_area, world.jurisdiction)
            score = -k.heat_aversion * world.risk[group[i], option] - np.log(rng.standard_exponential())  # Gumbel(0, 1)
            if not ok:
                score += refuge_bonus
            if score > best_score:
                best, best_score, dest, followed = n, score, option, ok
        if best < 0:
            continue
        out.new_pos[i] = dest
        crossing = world.state[dest] != world.state[origin]
        if engaged[i] and followed:
            if crossing:
                out.cross[world.zone[origin], 0] += 1
            if rng.random() < k.pursuit_capture_prob:
                out.arrests[i] = rng.binomial(remaining[i], k.arrest_fraction)
            else:
                out.pursued_to[i] = dest
        elif crossing:
            out.cross[world.zone[origin], 1] += 1
    return out


@njit(cache=True)
def may_pursue(units, dest, reach, pooled, pooled_area, jurisdiction):
    """Some unit of ``units`` may act on ``dest`` (its reach, or the command's area for pooled units)."""
    for u in units:
        if reach[u, jurisdiction[dest]]:
            return True
        if pooled[u] and pooled_area[dest]:
            return True
    return False


class EncounterWorld(NamedTuple):
    """Per grid cell fields and the region, as ``encounter_day`` reads them.

    Attributes:
        density: (cells,) people per km².
        market: (cells,) predation market (0–1).
        plaza: (cells,) plaza value of the cell's zone (0–1).
        risk: (groups, cells) on-duty officers each group has learned to expect around each cell.
        officers_near: (cells,) on-duty officers within each cell's reach today (visibility).
        fighting: (groups, groups) fighting weights (rivalry with crises).
        violence: (criminal cells,) killing multiplier (succession crises).
        neighbours: (cells, 8) Moore neighbours, -1 where none (where a fleeing cell can go).
        reach: (cells, K) ``Region.reach`` cells (who is nearby: rivals).
        reach_weights: (K,) their overlap weights.
        jurisdiction: (cells,) jurisdiction code.
        state: (cells,) state code.
        zone: (cells,) zone code.
        n_zones: Number of zones.
    """

    density: np.ndarray
    market: np.ndarray
    plaza: np.ndarray
    risk: np.ndarray
    officers_near: np.ndarray
    fighting: np.ndarray
    violence: np.ndarray
    neighbours: np.ndarray
    reach: np.ndarray
    reach_weights: np.ndarray
    jurisdiction: np.ndarray
    state: np.ndarray
    zone: np.ndarray
    n_zones: int


class EncounterForces(NamedTuple):
    """The security units and the rules they act under today, one row per piece of a unit's patrol square.

    A unit patrols a ``PATROL_KM`` square around its cell (``Region.patrol``): one row per cell the
    square touches, with the unit's officers times the share of that cell inside the square (at
    2.5 km, one row per unit as it is).

    Attributes:
        unit_pos: (pieces,) cell of each piece.
        on_duty: (pieces,) on-duty officers of the unit in that cell.
        effectiveness: (units,) encounter strength per officer.
        command: (units,) command code (agencies acting jointly share one; pooled units the command's).
        agency: (units,) agency code.
        branch: (units,) branch code.
        colluding: (units,) unit colludes (all False without the collusion channel).
        patron: (units,) group each unit would protect (dominant in its home zone; -1 none).
        reach: (units, jurisdictions) where each unit may act and pursue.
        pooled: (units,) unit serves the unified command.
        pooled_area: (cells,) where pooled units may act.
        plans: (commands, agencies) the command shares its plans with the agency.
        own_area: (agencies, cells) the agency's own area.
        colluding_share: (agencies, zones) colluding share of the agency's units based in the zone.
        patron_zone: (zones,) the zone's dominant group (-1 none).
        rifted: (agencies, agencies) pairs in a rift.
        branch_table: (branches, 5) lethality index, kill ratio, firefight prob, effectiveness, abuse rate.
        n_agencies: Number of agencies.
    """

    unit_pos: np.ndarray
    on_duty: np.ndarray
    effectiveness: np.ndarray
    command: np.ndarray
    agency: np.ndarray
    branch: np.ndarray
    colluding: np.ndarray
    patron: np.ndarray
    reach: np.ndarray
    pooled: np.ndarray
    pooled_area: np.ndarray
    plans: np.ndarray
    own_area: np.ndarray
    colluding_share: np.ndarray
    patron_zone: np.ndarray
    rifted: np.ndarray
    branch_table: np.ndarray
    n_agencies: int


class EncounterCoefficients(NamedTuple):
    """The scalar parameters of the encounters (``section.name`` in each field's comment)."""

    fight_rate: float  # crime.fight_rate
    bystanders_per_fight_death: float  # crime.bystanders_per_fight_death
    encounter_rate: float  # operations.encounter_rate
    encounter_half_officers: float  # operations.encounter_half_officers
    leak_prob: float  # operations.leak_prob
    arrest_fraction: float  # operations.arrest_fraction
    casualty_fraction: float  # operations.casualty_fraction
    bystanders_per_firefight: float  # operations.bystanders_per_firefight
    flee_prob: float  # operations.flee_prob
    heat_aversion: float  # crime.heat_aversion
    pursuit_capture_prob: float  # command.pursuit_capture_prob
    diminishing_returns: float  # command.diminishing_returns
    obstruction_prob: float  # command.obstruction_prob
    extortion_rate: float  # crime.extortion_rate
    kidnapping_rate: float  # crime.kidnapping_rate
    deterrence_per_officer: float  # crime.deterrence_per_officer
    civilian_kill_rate: float  # crime.civilian_kill_rate
    killing_deterrence_max: float  # crime.killing_deterrence_max
    killing_deterrence_half_officers: float  # crime.killing_deterrence_half_officers
    contest_multiplier: float  # crime.contest_multiplier
    traffic_violence: float  # crime.traffic_violence
    conceal_base: float  # visibility.conceal_base
    conceal_extra: float  # visibility.conceal_extra
    conceal_half_officers: float  # visibility.conceal_half_officers
    refuge_bonus: float  # model structure: log-attractiveness of a flight destination no pursuer may enter


def encounter_coefficients(params: Scenario, refuge_bonus: float) -> EncounterCoefficients:
    """The ``EncounterCoefficients`` of a scenario."""
    p = params
    return EncounterCoefficients(
        p.crime.fight_rate, p.crime.bystanders_per_fight_death, p.operations.encounter_rate, p.operations.encounter_half_officers,
        p.operations.leak_prob, p.operations.arrest_fraction, p.operations.casualty_fraction, p.operations.bystanders_per_firefight,
        p.operations.flee_prob, p.crime.heat_aversion, p.command.pursuit_capture_prob, p.command.diminishing_returns,
        p.command.obstruction_prob, p.crime.extortion_rate, p.crime.kidnapping_rate, p.crime.deterrence_per_officer,
        p.crime.civilian_kill_rate, p.crime.killing_deterrence_max, p.crime.killing_deterrence_half_officers,
        p.crime.contest_multiplier, p.crime.traffic_violence, p.visibility.conceal_base, p.visibility.conceal_extra,
        p.visibility.conceal_half_officers, refuge_bonus,
    )  # fmt: skip


@njit(cache=True)
def coefficients_record(c: np.ndarray) -> EncounterCoefficients:
    """The ``EncounterCoefficients`` held in ``c`` (``np.array(coefficients)``: field order).

    ``encounter_day`` takes the coefficients as one array, which a compiled call types at once, and
    reads them by name through this record.
    """
    return EncounterCoefficients(
        c[0],
        c[1],
        c[2],
        c[3],
        c[4],
        c[5],
        c[6],
        c[7],
        c[8],
        c[9],
        c[10],
        c[11],
        c[12],
        c[13],
        c[14],
        c[15],
        c[16],
        c[17],
        c[18],
        c[19],
        c[20],
        c[21],
        c[22],
        c[23],
        c[24],
    )


class EncounterOutcome(NamedTuple):
    """Per criminal cell, the day's encounters (and per zone, crossings of the state line)."""

    fight_deaths: np.ndarray
    fight_bystanders: np.ndarray
    contest: np.ndarray
    engaged: np.ndarray
    warned: np.ndarray
    avoided: np.ndarray
    obstructed: np.ndarray
    arrests: np.ndarray  # in operations
    killed: np.ndarray  # in operations
    officer_deaths: np.ndarray
    op_bystanders: np.ndarray
    abuses: np.ndarray
    new_pos: np.ndarray
    pursuit_arrests: np.ndarray
    pursued_to: np.ndarray
    extortions: np.ndarray
    kidnappings: np.ndarray
    killings: np.ndarray  # of civilians by criminal cells
    hidden: np.ndarray  # group killings hidden as disappearances
    cross: np.ndarray  # (zones, 2)


class EncounterDay(NamedTuple):
    """The day's encounters (``EncounterOutcome``) and what the model keeps of them.

    Attributes:
        outcome: Per criminal cell, what each step of the encounters did.
        remaining: (criminal cells,) members left after fights, operations and pursuit.
        counts: (``CELL_COUNTS``, criminal cells) the day's counts per criminal cell, in that order
            (homicides = visible group killings + members killed by the forces + officers and
            bystanders killed in operations; disappearances = hidden group killings; …).
        by_zone: (zones, ``CELL_COUNTS``) the same counts summed over the zone each cell stood in.
    """

    outcome: EncounterOutcome
    remaining: np.ndarray
    counts: np.ndarray
    by_zone: np.ndarray


def encounter_day(
    streams: tuple,
    members: np.ndarray,
    pos: np.ndarray,
    group: np.ndarray,
    world: EncounterWorld,
    forces: EncounterForces,
    coefficients: np.ndarray,
    rival_tips: np.ndarray,
) -> EncounterDay:
    """The day's encounters in one compiled pass (``_encounter_day``), in the documented order, and their counts.

    The records travel into the compiled code field by field (a compiled call types plain arrays
    far faster than a record of them) and are rebuilt there, so the kernel reads them by name.

    Args:
        streams: The (fights, operations, leaks, pursuit, predation, visibility) streams.
        members: (criminal cells,) members at the start of the encounters.
        pos: (criminal cells,) cell where each stands.
        group: (criminal cells,) group.
        world: ``EncounterWorld``.
        forces: ``EncounterForces``.
        coefficients: ``np.array(EncounterCoefficients(...))``.
        rival_tips: (criminal cells,) tipped to some agency today (counted as ``rival_tips``).
    """
    return _encounter_day(*streams, members, pos, group, coefficients, rival_tips, *world, *forces)


WORLD_FIELDS = len(EncounterWorld._fields)
_ROW = {name: row for row, name in enumerate(CELL_COUNTS)}
HOMICIDES, DISAPPEARANCES, EXTORTIONS, KIDNAPPINGS = (_ROW[k] for k in ("homicides", "disappearances", "extortions", "kidnappings"))
ARRESTS, SEIZURES, OFFICER_DEATHS, MEMBER_DEATHS = (_ROW[k] for k in ("arrests", "seizures", "officer_deaths", "member_deaths"))
CIVILIAN_DEATHS, ABUSES, LEAKS, OBSTRUCTIONS = (_ROW[k] for k in ("civilian_deaths", "abuses", "leaks", "obstructions"))
AVOIDED, RIVAL_TIPS = _ROW["protected_engagements_avoided"], _ROW["rival_tips"]
N_CELL_COUNTS = len(CELL_COUNTS)


@njit(cache=True)
def _encounter_day(s0, s1, s2, s3, s4, s5, members, pos, group, coefficients, rival_tips, *fields):
    """``encounter_day``'s compiled body: rebuilds the records, runs the day, counts it."""
    world = EncounterWorld(*fields[:WORLD_FIELDS])
    forces = EncounterForces(*fields[WORLD_FIELDS:])
    out = _encounters((s0, s1, s2, s3, s4, s5), members, pos, group, world, forces, coefficients)
    remaining = members - out.fight_deaths - out.arrests - out.killed - out.pursuit_arrests
    counts = np.empty((N_CELL_COUNTS, pos.size))
    cell_zone = np.empty(pos.size, dtype=np.int64)
    for i in range(pos.size):
        group_killings = out.fight_deaths[i] + out.fight_bystanders[i] + out.killings[i]
        counts[HOMICIDES, i] = group_killings - out.hidden[i] + out.killed[i] + out.officer_deaths[i] + out.op_bystanders[i]
        counts[DISAPPEARANCES, i] = out.hidden[i]
        counts[EXTORTIONS, i] = out.extortions[i]
        counts[KIDNAPPINGS, i] = out.kidnappings[i]
        counts[ARRESTS, i] = out.arrests[i] + out.pursuit_arrests[i]
        counts[SEIZURES, i] = out.engaged[i]
        counts[OFFICER_DEATHS, i] = out.officer_deaths[i]
        counts[MEMBER_DEATHS, i] = out.fight_deaths[i] + out.killed[i]
        counts[CIVILIAN_DEATHS, i] = out.fight_bystanders[i] + out.killings[i] + out.op_bystanders[i]
        counts[ABUSES, i] = out.abuses[i]
        counts[LEAKS, i] = out.warned[i]
        counts[OBSTRUCTIONS, i] = out.obstructed[i]
        counts[AVOIDED, i] = out.avoided[i]
        counts[RIVAL_TIPS, i] = rival_tips[i]
        cell_zone[i] = world.zone[pos[i]]
    return EncounterDay(out, remaining, counts, sums_by_key(counts, cell_zone, world.n_zones))


@njit(cache=True)
def _encounters(streams, members, pos, group, world, forces, coefficients):
    """The day's encounters in one compiled pass, in the documented order.

    Rival fights → operations (forces per cell, protection, leaks, obstruction) → flight and
    pursuit → predation → concealment, each drawing from its own stream. ``streams`` are the
    (fights, operations, leaks, pursuit, predation, visibility) streams.

    Args:
        streams: The six streams, in that order.
        members: (criminal cells,) members.
        pos: (criminal cells,) cell.
        group: (criminal cells,) group.
        world: ``EncounterWorld``.
        forces: ``EncounterForces``.
        coefficients: ``np.array(EncounterCoefficients(...))`` (read by name through ``coefficients_record``).
    """
    k = coefficients_record(coefficients)
    fights_rng, ops_rng, leak_rng, pursuit_rng, prey_rng, vis_rng = streams
    n_cells = world.neighbours.shape[0]
    # per-group maps need rows only up to the last group with cells or protectors (not the spare
    # rows kept for splinters): less to clear each day
    n_rows = 0
    for i in range(group.size):
        n_rows = max(n_rows, group[i] + 1)
    for u in range(forces.patron.size):
        n_rows = max(n_rows, forces.patron[u] + 1)
    nearby = keyed_neighbourhood_sum(group, pos, members.astype(np.float64), n_rows, world.reach, world.reach_weights, n_cells)
    # What criminals expect around them (learned risk) deters their killings and fights; the fight
    # hazard rises with what the ground is worth (the plaza's share of the product).
    perceived = np.empty(pos.size)
    stakes = np.empty(pos.size)
    for i in range(pos.size):
        perceived[i] = world.risk[group[i], pos[i]]
        stakes[i] = (1.0 + k.traffic_violence * world.plaza[pos[i]]) * deterred_share(
            perceived[i], k.killing_deterrence_max, k.killing_deterrence_half_officers
        )
    deaths, fight_bystanders, contest = rival_fights(
        fights_rng, members, pos, group, nearby, world.fighting, world.density, stakes, k.fight_rate, k.bystanders_per_fight_death
    )
    after_fights = members - deaths
    unit_strength = forces.on_duty * forces.effectiveness
    by_cell, start = order_by_key(forces.unit_pos, n_cells)  # the pieces by cell
    cells = forces_on_cells(
        forces.unit_pos, forces.on_duty, forces.effectiveness, forces.command, forces.agency, forces.branch,
        forces.branch_table.shape[0], forces.n_agencies, k.diminishing_returns, n_cells, by_cell,
    )  # fmt: skip
    in_cell_leak, protected_share = colluder_maps(
        forces.unit_pos, unit_strength, forces.colluding, forces.patron, cells.raw, n_cells, n_rows
    )
    obstruct = obstruction(
        forces.unit_pos, forces.agency, forces.command, cells.lead_command, cells.lead_agency, forces.rifted, forces.own_area,
        k.obstruction_prob, n_cells,
    )  # fmt: skip
    op_forces = OperationForces(
        cells.strength, protected_share, cells.lead_branch, cells.lead_command, in_cell_leak, forces.plans, forces.own_area,
        forces.colluding_share, forces.patron_zone, world.zone, obstruct, world.density,
    )  # fmt: skip
    op_k = OperationCoefficients(
        k.encounter_rate, k.encounter_half_officers, k.leak_prob, k.arrest_fraction, k.casualty_fraction, k.bystanders_per_firefight
    )
    ops = _operations(ops_rng, leak_rng, forces.branch_table, after_fights, pos, group, op_forces, op_k)
    remaining = after_fights - ops.arrests - ops.killed
    pursuit = flee(pursuit_rng, pos, group, remaining, ops.engaged, ops.warned, world, forces, k, k.refuge_bonus, by_cell, start)
    remaining = remaining - pursuit.arrests
    extortions, kidnappings, killings = predation(
        prey_rng, remaining, pos, contest, world.market, perceived, world.plaza, world.violence, k.extortion_rate,
        k.kidnapping_rate, k.deterrence_per_officer, k.civilian_kill_rate, k.killing_deterrence_max,
        k.killing_deterrence_half_officers, k.contest_multiplier, k.traffic_violence,
    )  # fmt: skip
    near = np.empty(pos.size)
    for i in range(pos.size):
        near[i] = world.officers_near[pos[i]]
    hidden = hidden_killings(vis_rng, deaths + fight_bystanders + killings, near, k.conceal_base, k.conceal_extra, k.conceal_half_officers)
    return EncounterOutcome(
        deaths, fight_bystanders, contest, ops.engaged, ops.warned, ops.avoided, ops.obstructed, ops.arrests, ops.killed,
        ops.officer_deaths, ops.bystanders, ops.abuses, pursuit.new_pos, pursuit.arrests, pursuit.pursued_to, extortions,
        kidnappings, killings, hidden, pursuit.cross,
    )  # fmt: skip
