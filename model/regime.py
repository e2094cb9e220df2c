"""Command regimes: the one place that says how a regime changes what agents may do and know.

A regime is not a multiplier. It changes, through channels that agents act out (``channels.*``):

- **jurisdiction** — who may act where (``reach``, ``pooled_jurisdictions``):
  fragmented: a municipal police acts in its municipality, a state police in its state, a federal
  deployment in the municipality it is assigned to; no pursuit across a municipal or state line.
  coordinated: as fragmented, plus the jurisdictions whose host police (the municipality's police
  and its state's police) trust the unit's agency at least ``command.agreement_trust``.
  unified: units pooled by the command act anywhere in its area, across municipal and state lines.
- **information** — who knows what (``sharing_weights``, ``pools_intelligence``): every agency keeps
  its own observations and adopts, per cell, a share of the fresh observations of the partners that
  saw the cell: ``command.informal_sharing`` × trust when fragmented, ``command.coordinated_sharing``
  × trust when coordinated; a unified command merges its members' observations in its area.
- **response** — units respond to reported homicides in their area, follow fled cells where they
  may act, and agencies that act jointly (one command, or coordinated partners with an agreement)
  do not pile up on a target (``joint_commands``).
- **collusion** — colluding units do not engage their patron group, warn it of operations they know
  of (their own, and those planned by partners who share plans with them: ``shares_plans``) and
  hide it in their reports.
- **rifts** — agencies whose trust is below ``command.rift_trust`` withhold intelligence from each
  other and obstruct each other's operations in their own area (``obstruction``).
- **learning** — criminals act on the risk they have learned, never on presence that is not there.

A channel switched off acts as under the fragmented regime whatever the regime (collusion, rifts and
learning: not at all), so a regime's effect through it vanishes; ``mandosim explain`` decomposes a
policy's effect that way. The day-0 regime is an ordinary ``set_regime`` event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numba import njit

from mandosim.model.params import ChannelParams, CommandParams
from mandosim.model.region import Region
from mandosim.model.tables import UnitTable

KINDS: tuple[str, ...] = ("municipal", "state", "federal")
#: Order in which deployments allocate under coordination, and in which a command pools units.
KIND_PRIORITY: tuple[int, ...] = (KINDS.index("federal"), KINDS.index("state"), KINDS.index("municipal"))
MUNICIPAL, STATE, FEDERAL = (KINDS.index(k) for k in KINDS)


@dataclass
class RegimeState:
    name: str
    area: tuple[str, ...]
    start_day: int


class CommandRegime:
    """The regime in force (with a stack for events that end), the unified command's pool, and the rules.

    Args:
        params: Command parameters.
        channels: Which channels act.
        region: The rasterised region.
        units: The unit table (read; ``pooled`` written by ``update_pool``).
        agency_kind: (agencies,) kind code of each agency.
        agency_home: (agencies,) the jurisdiction (municipal) or state (state police) each agency hosts; -1 federal.
        trust: (agencies, agencies) trust between agencies (read each day; institutions move it).
    """

    def __init__(
        self,
        params: CommandParams,
        channels: ChannelParams,
        region: Region,
        units: UnitTable,
        agency_kind: np.ndarray,
        agency_home: np.ndarray,
        trust: np.ndarray,
    ) -> None:
        self.params = params
        self.channels = channels
        self.region = region
        self.units = units
        self.agency_kind = agency_kind
        self.agency_home = agency_home
        self.trust = trust
        self.state = RegimeState(params.base_regime, (), 0)
        self._stack: list[RegimeState] = []
        self.area_mask = np.zeros(region.n_cells, dtype=bool)
        self.members = np.zeros(0, dtype=np.int64)
        self.pool_started = False
        self._memo: dict[str, tuple[object, np.ndarray]] = {}
        n_j = len(region.jurisdiction_names)
        # host agencies of each jurisdiction: its municipal police and its state's police
        self.hosts = np.zeros((n_j, agency_kind.size), dtype=bool)
        for a, kind in enumerate(agency_kind):
            if kind == MUNICIPAL and agency_home[a] >= 0:
                self.hosts[agency_home[a], a] = True
            elif kind == STATE and agency_home[a] >= 0:
                self.hosts[region.jurisdiction_state == agency_home[a], a] = True

    # --- the regime in force ----------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.state.name

    @property
    def area(self) -> tuple[str, ...]:
        return self.state.area

    @property
    def unified(self) -> bool:
        return self.state.name == "unified"

    @property
    def coordinated(self) -> bool:
        """Agencies outside a command coordinate (coordinated, or unified over a coordinated base)."""
        return self.state.name == "coordinated" or (self.unified and self.params.base_regime == "coordinated")

    def set(self, regime: str, area: list[str] | tuple[str, ...], day: int) -> None:
        """Put ``regime`` in force from ``day`` (no history kept)."""
        self.state = RegimeState(regime, tuple(area), day)
        codes = [self.region.zone_code(z) for z in area]
        self.area_mask = np.isin(self.region.zone, codes) if regime == "unified" else np.zeros(self.region.n_cells, dtype=bool)
        self.pool_started = False
        self.units.pooled[:] = False

    def push(self, regime: str, area: list[str] | tuple[str, ...], day: int) -> None:
        """Switch regime, remembering the current one for ``pop``."""
        self._stack.append(self.state)
        self.set(regime, area, day)

    def pop(self, day: int) -> None:
        """Return to the regime before the last ``push``."""
        previous = self._stack.pop() if self._stack else RegimeState(self.params.base_regime, (), day)
        self.set(previous.name, previous.area, day)

    def ramp(self, day: int) -> float:
        """How far a unified command has ramped up (0–1)."""
        if not self.unified:
            return 0.0
        if self.params.ramp_up_days == 0:
            return 1.0
        return float(np.clip((day - self.state.start_day + 1) / self.params.ramp_up_days, 0.0, 1.0))

    def update_pool(self, day: int) -> np.ndarray:
        """Mark the units a unified command pools today (federal and state first, up to the ceiling × ramp).

        Returns:
            The agencies with pooled units.
        """
        units = self.units
        units.pooled[:] = False
        if not self.unified:
            self.members = np.zeros(0, dtype=np.int64)
            return self.members
        budget = self.params.personnel_ceiling * self.ramp(day)
        in_area = np.isin(units.home_zone, [self.region.zone_code(z) for z in self.state.area])
        candidates = np.flatnonzero(in_area)
        priority = np.array([KIND_PRIORITY.index(k) for k in units.kind[candidates]])
        candidates = candidates[np.lexsort((candidates, priority))]
        take = candidates[np.cumsum(units.officers[candidates]) <= budget]
        units.pooled[take] = True
        self.members = np.unique(units.agency[take])
        return self.members

    def _cached(self, name: str, key: object, compute: Callable[[], np.ndarray]) -> np.ndarray:
        """The rule ``name`` for ``key`` (the regime, the unit table, trust where it matters), computed once per key."""
        hit = self._memo.get(name)
        if hit is not None and hit[0] == key:
            return hit[1]
        value = compute()
        self._memo[name] = (key, value)
        return value

    def _key(self, uses_trust: bool) -> tuple:
        trust = self.trust.tobytes() if uses_trust else b""
        return (self.state, self.units.version, self.members.tobytes(), self.channels, trust)

    # --- jurisdiction -----------------------------------------------------------------------------
    def reach(self) -> np.ndarray:
        """(units, jurisdictions) where each unit may act outside the command's area (and pursue).

        Pooled units may also act anywhere in the command's area (``pooled_reach``).
        """
        return self._cached("reach", self._key(self.coordinated), self._reach)

    def _reach(self) -> np.ndarray:
        r, units = self.region, self.units
        n_j = len(r.jurisdiction_names)
        reach = np.zeros((units.n, n_j), dtype=bool)
        own = units.home_jurisdiction
        reach[np.arange(units.n), own] = True
        state = units.kind == STATE
        reach[state] = r.jurisdiction_state[None, :] == units.home_state[state, None]
        if self.coordinated and self.channels.jurisdiction:
            trusted = self.trust >= self.params.agreement_trust  # (hosts, guests)
            # a unit may enter jurisdiction j when every host police of j trusts its agency
            allowed = np.all(~self.hosts[:, :, None] | trusted[None, :, :], axis=1)  # (jurisdictions, agencies)
            reach |= allowed.T[units.agency]
        return reach

    def pooled_reach(self) -> np.ndarray:
        """(cells,) where pooled units may act: the command's area, or only their own jurisdiction without the channel."""
        return self.area_mask if self.channels.jurisdiction else np.zeros_like(self.area_mask)

    # --- information ------------------------------------------------------------------------------
    def sharing_weights(self) -> np.ndarray:
        """(agencies, agencies) share of b's fresh observation a adopts per cell (``[a, b]``, diagonal 0).

        ``informal_sharing`` (fragmented) or ``coordinated_sharing`` (coordinated) × trust; nothing
        between agencies in a rift (trust below ``rift_trust``, with the rifts channel).
        """
        return self._cached("sharing", self._key(True), self._sharing_weights)

    def _sharing_weights(self) -> np.ndarray:
        share = self.params.coordinated_sharing if self.coordinated and self.channels.information else self.params.informal_sharing
        weights = share * self.trust
        if self.channels.rifts:
            weights = np.where(self.trust < self.params.rift_trust, 0.0, weights)
        weights = weights.copy()
        np.fill_diagonal(weights, 0.0)
        return weights

    @property
    def pools_intelligence(self) -> bool:
        """A unified command merges its members' observations in its area (the information channel)."""
        return self.unified and self.channels.information

    # --- response and joint action ----------------------------------------------------------------
    def joint_commands(self) -> np.ndarray:
        """(agencies + 1,) command code of each agency (index ``agencies`` is the unified command).

        Agencies with the same code act as one on a cell (no pile-up). Coordinated agencies that
        trust each other at least ``agreement_trust`` operate jointly (with the response channel).
        """
        return self._cached("joint", self._key(self.coordinated), self._joint_commands)

    def _joint_commands(self) -> np.ndarray:
        n = self.agency_kind.size
        code = np.arange(n + 1)
        if self.coordinated and self.channels.response:
            agreed = (self.trust >= self.params.agreement_trust) & (self.params.agreement_trust <= self.trust.T)
            for a in range(n):  # union of agreeing agencies, smallest index as the code
                for b in range(a):
                    if agreed[a, b]:
                        old, new = max(code[a], code[b]), min(code[a], code[b])
                        code[code == old] = new
        return code

    def shares_plans(self) -> np.ndarray:
        """(agencies + 1, agencies) the lead command (row) shares its operation plans with agency (column).

        Plans go to the command's members (unified) and, when coordinated, to partners trusted at
        least ``agreement_trust``. A colluding unit of an agency that knows of a plan may warn its
        patron group (the collusion channel).
        """
        return self._cached("plans", self._key(self.coordinated), self._shares_plans)

    def _shares_plans(self) -> np.ndarray:
        n = self.agency_kind.size
        plans = np.zeros((n + 1, n), dtype=bool)
        if self.coordinated:
            plans[:n] = self.trust >= self.params.agreement_trust
        if self.unified and self.members.size:
            plans[n, self.members] = True
            plans[np.ix_(self.members, self.members)] = True
        plans[np.arange(n), np.arange(n)] = False
        return plans

    def rifted(self) -> np.ndarray:
        """(agencies, agencies) pairs in a rift (trust below ``rift_trust``; none without the channel)."""
        return self._cached("rifted", self._key(True), self._rifted)

    def _rifted(self) -> np.ndarray:
        if not self.channels.rifts:
            return np.zeros_like(self.trust, dtype=bool)
        out = self.trust < self.params.rift_trust
        np.fill_diagonal(out, False)
        return out


@njit(cache=True)
def obstruction(
    unit_pos: np.ndarray,
    unit_agency: np.ndarray,
    unit_command: np.ndarray,
    lead_command: np.ndarray,
    lead_agency: np.ndarray,
    rifted: np.ndarray,
    own_area: np.ndarray,
    obstruction_prob: float,
    n_cells: int,
) -> np.ndarray:
    """(cells,) chance that an operation led on the cell is obstructed by an agency in a rift with its lead.

    An agency obstructs when it has a unit on the cell, the cell is in its own area, it is not in
    the lead's command, and its trust in the lead agency is below ``rift_trust``; each such agency
    obstructs with ``obstruction_prob``.
    """
    free = np.ones(n_cells)
    counted = np.zeros((n_cells, rifted.shape[0]), dtype=np.bool_)
    for u in range(unit_pos.size):
        c, a = unit_pos[u], unit_agency[u]
        lead = lead_agency[c]
        if lead < 0 or counted[c, a] or unit_command[u] == lead_command[c] or not own_area[a, c]:
            continue
        if rifted[a, lead]:
            counted[c, a] = True
            free[c] *= 1.0 - obstruction_prob
    return 1.0 - free
