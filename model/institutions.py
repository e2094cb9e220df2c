"""Institutions: trust between agencies, collusion of units, community trust.

- **Inter-agency trust** rises with joint successes (an engagement where units of both agencies
  stand) and falls with incidents (a leak that exposes a colluding unit in front of another agency:
  accusations, arrests of each other's officers); it relaxes toward its baseline and sets how much
  intelligence coordinated agencies share.
- **Collusion.** A clean unit is corrupted with a daily hazard that grows with the control of the
  group dominant in its home zone and that group's revenue (bribes); colluders leave by turnover and
  by vetting. The hazard is scaled so each agency's initial collusion is the baseline equilibrium.
- **Community trust** per zone moves toward a target set by abuses, violence and visible successes
  relative to the zone's own rates at the end of burn-in; trust drives tips (``model.intel``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from mandosim.model.kernels import joint_engagements, leak_incidents
from mandosim.model.params import InstitutionParams
from mandosim.model.rng import Stream
from mandosim.model.tables import UnitTable

RATE_FLOOR = 0.05  # events per day added to both sides of a rate ratio (keeps ratios finite)


class DayEvents(NamedTuple):
    """What institutions react to at the end of a day.

    Attributes:
        engaged_cells: (engagements,) cell of each engagement today.
        pooled_engagements: engaged criminal cells standing where a unit of the unified command stands.
        warned_cells: (leaks,) cell of each leak today.
        warned_groups: (leaks,) group each leak warned.
        command_members: agencies in the unified command (empty if none).
        dominant_zone: (zones,) dominant group of each zone (-1 none).
        members_by_zone: (groups, zones) members of each group in each zone.
        revenue_factor: (groups,) revenue per member relative to the start (bribes).
        zone_rates: (zones, 3) today's abuses, homicides and engagements per zone.
        horizon: False during burn-in.
    """

    engaged_cells: np.ndarray
    pooled_engagements: int
    warned_cells: np.ndarray
    warned_groups: np.ndarray
    command_members: np.ndarray
    dominant_zone: np.ndarray
    members_by_zone: np.ndarray
    revenue_factor: np.ndarray
    zone_rates: np.ndarray
    horizon: bool


class Institutions:
    """Trust, collusion and community-trust state.

    Args:
        params: Institution parameters.
        trust: (agencies, agencies) initial trust (baseline the matrix relaxes to).
        collusion: (agencies,) initial share of colluding units (equilibrium at baseline control).
        community_trust: (zones,) initial community trust.
    """

    def __init__(self, params: InstitutionParams, trust: np.ndarray, collusion: np.ndarray, community_trust: np.ndarray) -> None:
        self.params = params
        self.trust = trust
        self.trust_baseline = trust.copy()
        turnover = params.collusion_turnover
        self.corruption_hazard = turnover * collusion / np.maximum(1.0 - collusion, 1e-9)
        self.vetting_rate = np.zeros(trust.shape[0])
        self.community_trust = community_trust.copy()
        self.community_baseline = community_trust.copy()
        self.control_reference: np.ndarray | None = None
        self.rates = np.zeros((community_trust.size, 3))  # abuses, homicides, successes per day (EWMA)
        self.rate_reference: np.ndarray | None = None
        self.incidents = 0
        self.joint_successes = 0

    def daily(self, rng: Stream, units: UnitTable, day: DayEvents) -> None:
        """One day: trust moves with joint successes and incidents, units are corrupted or leave collusion, community trust moves.

        Args:
            rng: The ``institutions`` stream.
            units: The unit table (``colluding`` is rewritten).
            day: What happened today (``DayEvents``).
        """
        n_agencies = self.trust.shape[0]
        joint = joint_engagements(day.engaged_cells, units.pos, units.agency, n_agencies)
        members = day.command_members
        if members.size and units.pooled.any():
            joint[np.ix_(members, members)] += day.pooled_engagements
            np.fill_diagonal(joint, 0.0)  # (joint engagements count no agency with itself)
        incidents = np.zeros((n_agencies, n_agencies))
        if day.warned_cells.size:
            protected = day.dominant_zone[units.home_zone]
            incidents = leak_incidents(
                rng, day.warned_cells, day.warned_groups, units.pos, units.agency, units.colluding, protected, n_agencies,
                self.params.incident_prob,
            )  # fmt: skip
        self.update_trust(joint, incidents)
        control, bribes = _collusion_pull(day.members_by_zone, day.dominant_zone, day.revenue_factor, units.home_zone)
        units.colluding = self.update_collusion(rng, units.colluding, units.agency, control, bribes)
        self.update_community(day.zone_rates, horizon=day.horizon)

    # --- inter-agency trust ---------------------------------------------------------------------
    def update_trust(self, joint: np.ndarray, incidents: np.ndarray) -> None:
        """Move trust with today's joint successes and incidents (both (agencies, agencies) counts)."""
        p = self.params
        joint_total, incident_total = _move_trust(
            self.trust, self.trust_baseline, joint, incidents, p.trust_gain_per_success, p.incident_trust_loss, p.trust_recovery
        )
        self.incidents += int(incident_total // 2)  # each pair counted from both sides
        self.joint_successes += int(joint_total // 2)

    def shock(self, a: int, b: int, value: float) -> None:
        """A political rift: trust between ``a`` and ``b`` drops to ``value`` (it then recovers slowly)."""
        self.trust[a, b] = self.trust[b, a] = value

    # --- collusion --------------------------------------------------------------------------------
    def update_collusion(
        self,
        rng: Stream,
        colluding: np.ndarray,
        agency: np.ndarray,
        control: np.ndarray,
        bribes: np.ndarray,
    ) -> np.ndarray:
        """New colluding flags of every unit.

        Args:
            rng: The ``institutions`` stream.
            colluding: (units,) today's flags.
            agency: (units,) agency of each unit.
            control: (units,) control of the dominant group in the unit's home zone (share of members).
            bribes: (units,) that group's revenue per member relative to its start.
        """
        p = self.params
        if self.control_reference is None:
            self.control_reference = np.maximum(control, 1e-9)
        reference = self.control_reference if self.control_reference.size == control.size else np.maximum(control, 1e-9)
        return _next_collusion(
            rng,
            colluding,
            agency,
            control,
            reference,
            bribes,
            self.corruption_hazard,
            self.vetting_rate,
            p.bribe_elasticity,
            p.collusion_turnover,
        )

    # --- community trust --------------------------------------------------------------------------
    def update_community(self, today: np.ndarray, horizon: bool) -> None:
        """Move community trust per zone.

        Args:
            today: (zones, 3) today's abuses, homicides and visible successes (engagements).
            horizon: False during burn-in (rates are learnt, trust held at baseline).
        """
        p = self.params
        _remember_rates(self.rates, today, p.community_memory)
        if not horizon:
            return
        if self.rate_reference is None:
            self.rate_reference = self.rates.copy()
        abuses, violence, successes = _rate_ratios(self.rate_reference, self.rates, RATE_FLOOR)
        # the power laws stay in numpy: its vectorised ``**`` and a compiled one differ in the last bit
        pulls = (abuses**p.abuse_elasticity, violence**p.violence_elasticity, successes**p.success_elasticity)
        _move_community(self.community_trust, self.community_baseline, *pulls, p.community_adjust_rate)

    def lose_credibility(self, zones: np.ndarray, agencies: np.ndarray, community_loss: float, trust_loss: float) -> None:
        """A public failure (a retracted command): community and inter-agency trust drop at once."""
        self.community_trust[zones] *= 1.0 - community_loss
        block = np.ix_(agencies, agencies)
        self.trust[block] *= 1.0 - trust_loss
        np.fill_diagonal(self.trust, 1.0)

    def gain_confidence(self, agencies: np.ndarray, boost: float) -> None:
        """An announcement: trust among the agencies named rises toward 1 by ``boost``."""
        block = np.ix_(agencies, agencies)
        self.trust[block] += boost * (1.0 - self.trust[block])
        np.fill_diagonal(self.trust, 1.0)


@njit(cache=True)
def _collusion_pull(members_by_zone, dominant_zone, revenue_factor, home_zone):
    """Per unit: control of the group dominant in its home zone and that group's revenue factor.

    Control is the dominant group's share of the zone's members (0 in an empty zone); the revenue
    factor is 1 where no group is dominant.
    """
    n_groups, n_zones = members_by_zone.shape
    control_zone = np.zeros(n_zones)
    for z in range(n_zones):
        total, largest = 0.0, members_by_zone[0, z]
        for g in range(n_groups):
            total += members_by_zone[g, z]
            largest = max(largest, members_by_zone[g, z])
        if total > 0.0:
            control_zone[z] = largest / max(total, 1.0)
    control = np.empty(home_zone.size)
    bribes = np.empty(home_zone.size)
    for u in range(home_zone.size):
        z = home_zone[u]
        control[u] = control_zone[z]
        bribes[u] = revenue_factor[dominant_zone[z]] if dominant_zone[z] >= 0 else 1.0
    return control, bribes


@njit(cache=True)
def _move_trust(trust, baseline, joint, incidents, gain, loss, recovery):
    """In place: gains from joint successes, losses from incidents, relaxation to baseline, clip to 0–1.

    Returns:
        The totals of ``joint`` and ``incidents`` (whole numbers).
    """
    n = trust.shape[0]
    joint_total, incident_total = 0.0, 0.0
    for a in range(n):
        for b in range(n):
            joint_total += joint[a, b]
            incident_total += incidents[a, b]
            if a == b:
                trust[a, b] = 1.0
                continue
            t = trust[a, b] + gain * joint[a, b] * (1.0 - trust[a, b])
            t *= (1.0 - loss) ** incidents[a, b]
            t += recovery * (baseline[a, b] - t)
            trust[a, b] = min(max(t, 0.0), 1.0)
    return joint_total, incident_total


@njit(cache=True)
def _next_collusion(rng, colluding, agency, control, reference, bribes, hazard, vetting, elasticity, turnover):
    """Each unit draws whether a clean unit is corrupted, and whether a colluder leaves, today."""
    out = np.empty(colluding.size, dtype=np.bool_)
    leave_chance = np.empty(vetting.size)  # the same for every unit of an agency
    for a in range(vetting.size):
        leave_chance[a] = -np.expm1(-(turnover + vetting[a]))
    # units of one agency and zone share their inputs (and sit side by side): the chance of the
    # last unit is reused when the inputs are the same, the same numbers without recomputing them
    last_agency, last_control, last_reference, last_bribes, corrupt_chance = -1, 0.0, 0.0, 0.0, 0.0
    for u in range(colluding.size):
        a = agency[u]
        if a != last_agency or control[u] != last_control or reference[u] != last_reference or bribes[u] != last_bribes:
            pull = (control[u] / reference[u]) * max(bribes[u], 0.0) ** elasticity
            corrupt_chance = -np.expm1(-hazard[a] * pull)
            last_agency, last_control, last_reference, last_bribes = a, control[u], reference[u], bribes[u]
        corrupt = rng.random() < corrupt_chance
        leave = rng.random() < leave_chance[a]
        out[u] = not leave if colluding[u] else corrupt
    return out


@njit(cache=True)
def record_zone_institutions(out, columns, community_trust, home_zone, colluding, pair_zone, pair_a, pair_b, trust, sharing, inside, ramp):
    """Per zone, into ``out`` at ``columns``: community trust, colluding share, mean trust and sharing among its agencies.

    The colluding share is over the units based in the zone; trust and sharing are means over the
    ordered pairs a ≠ b of agencies based there.

    Args:
        out: (zones, metrics) today's zone row, written at ``columns``.
        columns: (4,) the columns of community trust, colluding share, interagency trust and intelligence shared.
        community_trust: (zones,) community trust.
        home_zone: (units,) zone each unit is based in.
        colluding: (units,) the unit colludes.
        pair_zone: (pairs,) zone of each ordered pair a ≠ b of agencies based there (none: the pair columns stay 0).
        pair_a: (pairs,) first agency.
        pair_b: (pairs,) second agency.
        trust: (agencies, agencies) trust.
        sharing: (agencies, agencies) share of b's observation a adopts.
        inside: (pairs,) both agencies pool intelligence in a unified command's area there (sharing at least ``ramp``).
        ramp: How far the command has ramped up (0–1).
    """
    n_zones = out.shape[0]
    based = np.zeros(n_zones, dtype=np.int64)
    colluders = np.zeros(n_zones)
    for u in range(home_zone.size):
        based[home_zone[u]] += 1
        if colluding[u]:
            colluders[home_zone[u]] += 1.0
    for z in range(n_zones):
        out[z, columns[0]] = community_trust[z]
        out[z, columns[1]] = colluders[z] / max(based[z], 1)
    if pair_zone.size == 0:
        return
    pairs = np.zeros(n_zones, dtype=np.int64)
    trusted = np.zeros(n_zones)
    shared = np.zeros(n_zones)
    for k in range(pair_zone.size):
        z, a, b = pair_zone[k], pair_a[k], pair_b[k]
        pairs[z] += 1
        trusted[z] += trust[a, b]
        shared[z] += max(sharing[a, b], ramp) if inside[k] else sharing[a, b]
    for z in range(n_zones):
        out[z, columns[2]] = trusted[z] / max(pairs[z], 1)
        out[z, columns[3]] = shared[z] / max(pairs[z], 1)


@njit(cache=True)
def _remember_rates(rates, today, memory):
    """Today's abuses, homicides and successes per zone enter their moving averages (in place)."""
    for z in range(rates.shape[0]):
        for m in range(rates.shape[1]):
            rates[z, m] += memory * (today[z, m] - rates[z, m])


@njit(cache=True)
def _rate_ratios(reference, rates, floor):
    """Per zone: abuses and homicides at the reference over now, successes now over the reference (each + ``floor``)."""
    n = rates.shape[0]
    abuses, violence, successes = np.empty(n), np.empty(n), np.empty(n)
    for z in range(n):
        abuses[z] = (reference[z, 0] + floor) / (rates[z, 0] + floor)
        violence[z] = (reference[z, 1] + floor) / (rates[z, 1] + floor)
        successes[z] = (rates[z, 2] + floor) / (reference[z, 2] + floor)
    return abuses, violence, successes


@njit(cache=True)
def _move_community(trust, baseline, abuse_pull, violence_pull, success_pull, rate):
    """Community trust moves toward its baseline × the three pulls, clipped to 0–1 (in place)."""
    for z in range(trust.size):
        target = baseline[z] * abuse_pull[z] * violence_pull[z] * success_pull[z]
        trust[z] += rate * (min(max(target, 0.0), 1.0) - trust[z])
