"""``BorderSecurityModel``: the Mesa model of security forces and criminal groups on the border."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mesa
import numpy as np

from mandosim.model.agents import Agency, CriminalCell, CriminalGroup, SecurityUnit
from mandosim.model.command import Command
from mandosim.model.conflict import (
    BRANCHES,
    EncounterDay,
    EncounterForces,
    EncounterOutcome,
    EncounterWorld,
    encounter_coefficients,
    encounter_day,
)
from mandosim.model.errors import InputError
from mandosim.model.events import Event, SetRegime
from mandosim.model.groups import GroupState, membership_flows
from mandosim.model.institutions import DayEvents, Institutions, record_zone_institutions
from mandosim.model.intel import Intelligence, ObservationWorld, RivalTips
from mandosim.model.interventions import advance_policies
from mandosim.model.kernels import (
    add_by_key,
    census,
    colluding_shares,
    intelligence_quality,
    keyed_neighbourhood_sum,
    neighbourhood_sum,
    pursuing_agencies,
    slots_outside,
    territory,
)
from mandosim.model.leadership import Leadership
from mandosim.model.limits import MAX_HORIZON_DAYS
from mandosim.model.metrics import CELL_COUNTS, GROUP_METRICS, MODEL_REPORTERS, ZONE_METRICS, Recorder, zone_reporters
from mandosim.model.movement import move_cells
from mandosim.model.params import Scenario, Section
from mandosim.model.regime import KINDS, CommandRegime
from mandosim.model.region import Region
from mandosim.model.risk import LearnedRisk
from mandosim.model.rng import Streams, root_seed
from mandosim.model.routes import Routes
from mandosim.model.scenario import LoadedScenario, as_loaded, check_size
from mandosim.model.tables import UnitTable

SPLINTER_ROWS_PER_GROUP = 2  # room for splinter groups (each group may split this often)
REFUGE_BONUS = 3.0  # log-attractiveness of a flight destination the pursuers cannot enter
REVENUE_FACTOR_BOUNDS = (0.25, 4.0)  # recruitment's revenue factor is clipped to this range
#: Group columns of the day's member flows (``_group_flows``), in its order.
FLOW_COLUMNS = np.array([GROUP_METRICS.index(k) for k in ("recruited", "killed", "arrested", "exited")])
#: Zone columns community trust learns from (``DayEvents.zone_rates``), in its order.
RATE_COLUMNS = np.array([ZONE_METRICS.index(k) for k in ("abuses", "homicides", "seizures")])
#: Zone columns ``record_zone_institutions`` writes, in its order.
INSTITUTION_COLUMNS = np.array([ZONE_METRICS.index(k) for k in ("community_trust", "colluding_share", "interagency_trust", "intel_shared")])


def _leaf_paths() -> dict[str, str]:
    """Map each unique leaf parameter name (``regime``) to its dotted path (``command.regime``)."""
    seen: dict[str, list[str]] = {}
    for section, info in Scenario.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, Section):
            for leaf in annotation.model_fields:
                seen.setdefault(leaf, []).append(f"{section}.{leaf}")
    return {leaf: paths[0] for leaf, paths in seen.items() if len(paths) == 1}


def overrides_from_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Turn ``command__regime="unified"`` or ``regime="unified"`` into a nested override dict."""
    leaves = _leaf_paths()
    nested: dict[str, Any] = {}
    for key, value in kwargs.items():
        path = key.replace("__", ".") if "__" in key else leaves.get(key, key)
        parts = path.split(".")
        node = nested
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return nested


class BorderSecurityModel(mesa.Model):
    """Security forces against criminal groups on the Baja California – Sonora border.

    One step is one day. The day runs in this fixed order:

    1. **Events** due today fire (burn-in days are negative and run none; day 0 puts the scenario's
       command regime in force).
    2. **Intelligence**: every agency observes cells in its area (noise, officers nearby, community
       tips, colluding reports); beliefs are shared by the regime (none / with trust / pooled).
    3. **Command**: units are allocated to target cells by the regime.
    4. **Criminal decisions**: routes are recomputed every ``routes.update_days`` from enforcement;
       criminal cells move toward value (flow, markets, home) and away from officers.
    5. **Encounters**: rival fights; operations (arrests, seizures, firefights with branch lethality,
       leaks by colluding units, flight and pursuit); predation (extortion, kidnapping, killings).
    6. **Visibility**: group killings become homicides or disappearances, concealment rising with
       officers nearby; killings in operations are always visible.
    7. **Leadership**: an engagement with a group's largest cell may take its leader (crisis:
       internal fighting, rivals probing, a chance to split when it ends).
    8. **Group dynamics**: recruitment and saturation exits; cells split when large, vanish at zero.
    9. **Institutions**: trust, collusion and community trust are scenario inputs in this version.
    10. **Record** per zone, group and zone × group.

    Args:
        scenario: A ``LoadedScenario``, a ``Scenario``, or a scenario file / library name.
        seed: Root seed; every random stream is spawned from it. ``None`` draws one from the OS.
        rng: Mesa's seed argument, as Mesa takes it: an integer (used as ``seed``), a ``SeedSequence``
            or a ``Generator`` (one draw gives the root seed, so equal states give equal runs).
            Giving both ``seed`` and ``rng``, or any other type, raises ``TypeError``.
        days: Horizon days (overrides ``time.horizon_days``).
        overrides: Nested overrides merged over the scenario.
        report_to_mesa: Feed Mesa's ``DataCollector`` every day (for ``mesa.batch_run`` and Mesa's
            tools). mandosim's own runs read the ``Recorder`` instead and pass ``False``.
        **params: Flat overrides, ``regime="unified"`` or ``command__regime="unified"`` (for
            ``mesa.batch_run``).
    """

    def __init__(
        self,
        scenario: LoadedScenario | Scenario | str | Path = "baseline",
        *,
        seed: int | None = None,
        rng: int | np.random.SeedSequence | np.random.Generator | None = None,
        days: int | None = None,
        overrides: dict[str, Any] | None = None,
        report_to_mesa: bool = True,
        **params: Any,
    ) -> None:
        self.seed_value = root_seed(seed, rng)
        self.streams = Streams(self.seed_value)
        self._encounter_streams = tuple(
            self.streams.compiled(name) for name in ("fights", "operations", "leaks", "pursuit", "predation", "visibility")
        )  # what the encounters draw from, in their order (a stream's seed depends on its name only)
        mesa_seed = int(self.streams.seed_sequence("mesa").generate_state(1)[0])
        super().__init__(rng=mesa_seed)  # Mesa >= 3.4 deprecates seed=; an int gives the same generators

        merged = dict(overrides or {})
        if params:
            from mandosim.model.scenario import deep_merge

            merged = deep_merge(merged, overrides_from_kwargs(params))
        self.loaded = as_loaded(scenario, merged)
        self.params: Scenario = self.loaded.scenario
        p = self.params
        self.region: Region = self.loaded.region()
        self.burn_in = p.time.burn_in_days
        if days is not None:
            if not 1 <= days <= MAX_HORIZON_DAYS:
                raise InputError("<run>", "days", f"{days} out of range: 1 to {MAX_HORIZON_DAYS:,} (like time.horizon_days)")
            check_size(p, self.region, self.loaded.path or "<scenario>", days)
        self.horizon = days if days is not None else p.time.horizon_days
        self.day = -self.burn_in
        self.last_day = self.horizon - 1

        self._build_fields()
        self._build_agencies_and_units()
        self._build_groups_and_cells()
        self._revenue_factor = np.ones(self.groups.size)  # per group, from recruitment (``membership_flows``) each day
        self.routes = Routes(self.region, p.routes)
        self.flow = self.routes.recompute(self._officers_nearby())
        self.risk = LearnedRisk(self.groups.size, self._officers_nearby(), p.crime.risk_learning_rate, p.channels.learning)
        # the scenario's regime is put in force on day 0 by an ordinary event, before the timeline's own
        self.events: list[Event] = [SetRegime(day=0, regime=p.command.regime, area=list(p.command.area)), *p.events]
        self.recorder = Recorder(self.burn_in + self.horizon, -self.burn_in, self.region.zone_names, self.groups.size)
        self.datacollector = mesa.DataCollector(model_reporters={**MODEL_REPORTERS, **zone_reporters(self.region.zone_names)})
        self.report_to_mesa = report_to_mesa  # one row per simulated day, collected at the end of each step

    # ------------------------------------------------------------------------------------------
    # construction
    # ------------------------------------------------------------------------------------------
    def _build_fields(self) -> None:
        p, r = self.params, self.region
        self.population = r.population
        self.density = r.population / r.cell_area_km2
        self.market = self.density / (self.density + p.crime.market_half_density)
        at_risk = np.bincount(r.zone, weights=r.population, minlength=len(r.zone_names)) * p.dynamics.at_risk_share
        self.pool = (at_risk / (at_risk + p.dynamics.pool_half))[r.zone]
        trust = np.full(len(r.zone_names), p.community.trust)
        for zone, value in p.community.zone_trust.items():
            trust[r.zone_code(zone)] = value
        self._initial_community_trust = trust
        # people per reference cell (the population a cell would hold at REFERENCE_CELL_KM): values that
        # compete with believed members per cell, and place agents, do not change with the resolution
        self.reference_population = r.population * r.reference_cell_scale
        self.patrol = p.command.patrol_weight * self.reference_population / 1e4
        self._coefficients = np.array(encounter_coefficients(p, REFUGE_BONUS))  # typed at once by compiled calls
        self._tip_base = p.intel.tip_rate * self.density / (self.density + p.intel.tip_half_density)  # × community trust
        self._territory_scratch = np.zeros((r.n_cells, len(p.groups) * (1 + SPLINTER_ROWS_PER_GROUP)))
        self._market_value = np.log1p(self.reference_population / 1000.0)  # log-attractiveness of a market

    def _build_agencies_and_units(self) -> None:
        p, r = self.params, self.region
        rng = self.streams["init"]
        self.agency_names = list(p.agencies)
        n_agencies = len(self.agency_names)
        self.agency_kind = np.array([KINDS.index(a.kind) for a in p.agencies.values()])
        self.agency_branch = np.array([BRANCHES.index(a.branch) for a in p.agencies.values()])
        self.agency_knowledge = np.array([a.local_knowledge for a in p.agencies.values()])
        agency_home = np.full(n_agencies, -1, dtype=np.int64)
        for a, agency in enumerate(p.agencies.values()):
            if agency.kind == "municipal":
                agency_home[a] = r.jurisdiction_names.index(agency.jurisdiction)
            elif agency.kind == "state":
                agency_home[a] = r.state_names.index(agency.jurisdiction)
        rows: list[tuple[int, int, float]] = []
        for a, agency in enumerate(p.agencies.values()):
            for zone, officers in agency.officers.items():
                if officers <= 0:
                    continue
                n_units = max(1, round(officers / p.operations.unit_size))
                rows.extend((a, r.zone_code(zone), officers / n_units) for _ in range(n_units))
        units = self.units = UnitTable.from_rows(rows, r, self.agency_kind, self.agency_branch)
        collusion = np.array([a.collusion for a in p.agencies.values()])
        units.colluding = rng.random(units.n) < collusion[units.agency]
        for u in range(units.n):
            cells = np.flatnonzero(r.zone == units.home_zone[u])
            weight = self.reference_population[cells] + 1.0
            units.pos[u] = rng.choice(cells, p=weight / weight.sum())
        observe = np.zeros((n_agencies, r.n_cells), dtype=bool)
        for a, agency in enumerate(p.agencies.values()):
            if agency.kind == "municipal":
                observe[a] = r.jurisdiction == r.jurisdiction_names.index(agency.jurisdiction)
            elif agency.kind == "state":
                observe[a] = r.state == r.state_names.index(agency.jurisdiction)
            else:
                observe[a] = True
        self.observe_mask = observe
        self.intel = Intelligence(n_agencies, r.n_cells, p.intel, observe)
        trust = np.full((n_agencies, n_agencies), p.institutions.trust_default)
        for pair in p.institutions.trust:
            i, j = self.agency_names.index(pair.a), self.agency_names.index(pair.b)
            trust[i, j] = trust[j, i] = pair.value
        np.fill_diagonal(trust, 1.0)
        self.institutions = Institutions(p.institutions, trust, collusion, self._initial_community_trust)
        self.regime = CommandRegime(p.command, p.channels, r, units, self.agency_kind, agency_home, self.institutions.trust)
        self.regime.set(p.command.base_regime, (), self.day)
        self.command = Command(p.command, r, units, self.regime, self.institutions.trust)
        self.branch_table = np.array(
            [
                [b.lethality_index, b.kill_ratio, b.firefight_prob, b.effectiveness, b.abuse_rate]
                for b in (p.branches[name] for name in BRANCHES)
            ]
        )
        self.agency_agents = [Agency(self, a) for a in range(n_agencies)]
        self.unit_agents = [SecurityUnit(self, u) for u in range(units.n)]
        self.event_units: dict[int, list[int]] = {}
        self.announced_area: tuple[str, ...] = ()
        self.homicides_by_cell = np.zeros(r.n_cells)
        self.credibility = 1.0
        self.prevention = p.dynamics.prevention
        self.prevention_schedule: tuple[int, float, float, int] | None = None
        self.event_exits = self.event_transfers = np.zeros(0, dtype=np.int64)  # per group, set each day

    def _build_groups_and_cells(self) -> None:
        p, r = self.params, self.region
        rng = self.streams["init"]
        names = list(p.groups)
        n = len(names)
        rivalry = np.zeros((n, n))
        for i, group in enumerate(p.groups.values()):
            for rival in group.rivals:
                j = names.index(rival)
                rivalry[i, j] = rivalry[j, i] = 1.0
        initial = np.array([sum(g.members.values()) for g in p.groups.values()])
        self.groups = GroupState(names, rivalry, initial * p.dynamics.capacity_headroom, spare=SPLINTER_ROWS_PER_GROUP * n)
        from mandosim.model.tables import CellTable

        self.cells = CellTable(capacity=max(256, int(initial.sum() / p.crime.cell_size * 2)))
        self.cell_agents: dict[int, CriminalCell] = {}
        weight_all = np.sqrt(self.reference_population + 1.0)
        for g, group in enumerate(p.groups.values()):
            for zone, members in group.members.items():
                z = r.zone_code(zone)
                self.groups.home_zones[g].add(z)
                total = round(members)
                if total <= 0:
                    continue
                k = max(1, round(total / p.crime.cell_size))
                sizes = np.full(k, total // k)
                sizes[: total % k] += 1
                cells = np.flatnonzero(r.zone == z)
                weight = weight_all[cells]
                where = rng.choice(cells, size=k, p=weight / weight.sum())
                for pos, size in zip(where, sizes, strict=True):
                    self.add_cell(int(pos), g, int(size))
        self.group_agents = [CriminalGroup(self, g) for g in range(n)]
        self.leadership = Leadership(p.leadership, self.groups, self.cells, self.streams["leadership"], self._split)
        self._home = np.zeros((self.groups.size, len(r.zone_names)))
        for g, group in enumerate(p.groups.values()):
            for zone, members in group.members.items():
                self._home[g, r.zone_code(zone)] = members
            self._home[g] /= max(self._home[g].max(), 1.0)

    def add_cell(self, pos: int, group: int, members: int) -> int:
        slot = self.cells.add(pos, group, members)
        self.cell_agents[slot] = CriminalCell(self, slot)
        return slot

    def remove_cell(self, slot: int) -> None:
        self.cells.remove(slot)
        self.cell_agents.pop(slot).remove()

    # ------------------------------------------------------------------------------------------
    # fields
    # ------------------------------------------------------------------------------------------
    def _on_duty(self) -> np.ndarray:
        return self.units.officers * self.params.operations.on_duty_fraction

    def _officers_nearby(self) -> np.ndarray:
        """On-duty officers within each cell's reach (7.5 km square)."""
        r = self.region
        return neighbourhood_sum(self.units.pos, self._on_duty(), *r.reach, r.n_cells)

    def presence(self) -> np.ndarray:
        """(groups, cells) criminal members per group per cell."""
        t, n = self.cells, self.region.n_cells
        live = t.alive
        flat = np.bincount(t.group[live] * n + t.pos[live], weights=t.members[live], minlength=self.groups.size * n)
        return flat.reshape(self.groups.size, n)

    def nearby(self) -> np.ndarray:
        """(cells, groups so far) members of each group within each cell's reach (7.5 km square), now.

        Columns are the groups that exist (``GroupState.count``), not the spare rows for splinters.
        """
        t, r = self.cells, self.region
        live = t.live()
        return keyed_neighbourhood_sum(t.group[live], t.pos[live], t.members[live].astype(float), self.groups.count, *r.reach, r.n_cells)

    # ------------------------------------------------------------------------------------------
    # the day
    # ------------------------------------------------------------------------------------------
    def step(self) -> None:
        """Advance one day (see the class docstring for the order)."""
        p, r = self.params, self.region
        day = self.day
        row = self.recorder.days_recorded  # today's rows of the record (zeros), filled through the day
        zone_out, group_out = self.recorder.zone[row], self.recorder.group[row]

        # 1. events (day 0's regime is the first event)
        self.event_exits = np.zeros(self.groups.size, dtype=np.int64)
        self.event_transfers = np.zeros(self.groups.size, dtype=np.int64)
        if day == 0:
            self.routes.freeze_reference()  # approach costs before any event: the reference of diversion
        if day >= 0:
            self._fire_events(day)
        advance_policies(self, day)

        # 2. intelligence
        t = self.cells
        now = census(t.pos, t.group, t.members, t.alive, r.zone, self.groups.size, len(r.zone_names))
        true_members, by_zone, dominant_zone = now.per_cell, now.by_zone, now.dominant_zone
        self._intelligence(true_members, dominant_zone, now.protected, day)

        # 3. command
        self.command.allocate(self.streams["allocation"], self.intel.belief, self.intel.positive_cells(), self._command_map(), self.patrol)
        on_duty = self._on_duty()
        officers_near = neighbourhood_sum(self.units.pos, on_duty, *r.reach, r.n_cells)

        # 4. criminal decisions: groups learn from what their cells see, then move (crises change after encounters)
        live = self.cells.live()
        self.risk.watch(self.cells.pos[live], self.cells.group[live], r.reach.cells, officers_near)
        fighting = self.groups.fighting_matrix(p.leadership)
        if (day + self.burn_in) % p.routes.update_days == 0:
            self.flow = self.routes.recompute(officers_near)
        self._move_cells(fighting)

        # 5–6. encounters and visibility; groups and agencies learn from them
        live, pos, group, members, today = self._encounters(on_duty, officers_near, dominant_zone, fighting)
        out, remaining = today.outcome, today.remaining
        self._learn_from_encounters(pos, group, today, officers_near)

        # 7. leadership (the group's leader; cells' lieutenants)
        engaged = out.engaged
        quality = np.zeros(pos.size)
        quality[engaged] = self._intelligence_quality(pos[engaged], true_members)
        self.leadership.operations(group, pos, engaged, members, quality)
        self.leadership.lieutenants(live, members, out.arrests + out.pursuit_arrests + out.killed)

        # 8. group dynamics (posts emptied today are vacancies to refill)
        counts = today.counts  # whole numbers: the day's counts per criminal cell
        member_deaths = counts[CELL_COUNTS.index("member_deaths")].astype(np.int64)
        arrests = counts[CELL_COUNTS.index("arrests")].astype(np.int64)
        self.cells.vacancies[live] += member_deaths + arrests
        recruited, exited = self._dynamics(live, remaining, group, pos)
        self.cells.members[live] = remaining + recruited - exited
        self._group_flows(group_out, group, recruited, member_deaths, arrests, exited)
        self._tidy_cells()
        split_transfers = self.leadership.end_crises() + self.event_transfers

        # 9. institutions (from today's counts per zone)
        self._zone_counts(zone_out, today)
        self._institutions(pos, group, out, zone_out, dominant_zone, by_zone, day)

        # 10. record
        self._record_institutions(zone_out, day)
        self._record(zone_out, group_out, split_transfers, on_duty)

        self.day += 1
        self.running = self.day <= self.last_day
        self._report()

    def _report(self) -> None:
        """Today's values to Mesa's ``DataCollector``, unless this run reads only the ``Recorder``."""
        if self.report_to_mesa:
            self.datacollector.collect(self)

    def _fire_events(self, day: int) -> None:
        """Events whose effect ends today expire, then events due today fire (in timeline order)."""
        for event in self.events:
            if event.end_day() == day:
                event.expire(self)
        for event in self.events:
            if event.day == day:
                event.apply(self)

    # --- 5–6. encounters and visibility ---------------------------------------------------------
    def _encounters(
        self, on_duty: np.ndarray, officers_near: np.ndarray, dominant_zone: np.ndarray, fighting: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, EncounterDay]:
        """Rival fights, operations, flight and pursuit, predation; killings made visible or hidden.

        Returns:
            (live slots, positions, groups, members at start, the day's ``EncounterDay``).
        """
        p, r, t, units, regime = self.params, self.region, self.cells, self.units, self.regime
        live = t.live()
        members, pos, group = t.members[live], t.pos[live], t.group[live]  # (fancy indexing copies)
        streams = self._encounter_streams
        n_agencies = len(self.agency_names)
        collusion = p.channels.collusion
        colluding = units.colluding if collusion else np.zeros(units.n, dtype=bool)
        zones = len(r.zone_names)
        _, _, effectiveness = self._unit_keys()
        violence = self.leadership.cell_violence(live, group)
        world = EncounterWorld(
            self.density, self.market, self.routes.plaza, self.risk.risk, officers_near, fighting, violence, r.neighbours,
            r.reach.cells, r.reach.weights, r.jurisdiction, r.state, r.zone, zones,
        )  # fmt: skip
        codes = regime.joint_commands()
        # each unit acts over its patrol square: one piece per cell it covers, with its share of the officers
        _, cell, share = self._patrol = r.patrol.spread(units.pos)
        per_piece = self._per_piece
        forces = EncounterForces(
            cell, per_piece(on_duty) * share, per_piece(effectiveness),
            per_piece(np.where(units.pooled, n_agencies, codes[units.agency])), per_piece(units.agency), per_piece(units.branch),
            per_piece(colluding), per_piece(dominant_zone[units.home_zone]), per_piece(regime.reach()), per_piece(units.pooled),
            regime.pooled_reach(),
            regime.shares_plans() if collusion else np.zeros((n_agencies + 1, n_agencies), dtype=bool),
            self.observe_mask, self._colluding_share(), dominant_zone, regime.rifted(),
            self.branch_table, n_agencies,
        )  # fmt: skip
        today = encounter_day(streams, members, pos, group, world, forces, self._coefficients, self._tipped)
        t.pos[live] = today.outcome.new_pos
        return live, pos, group, members, today

    def _per_piece(self, values: np.ndarray) -> np.ndarray:
        """A per-unit array as one row per piece of today's patrol squares (the array itself when each unit is one piece)."""
        return values if self.region.patrol.single else values[self._patrol[0]]

    def _unit_keys(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per unit: agency × zones + home zone, units based per (agency, zone), branch effectiveness (cached per unit table)."""
        units, zones, n_agencies = self.units, len(self.region.zone_names), len(self.agency_names)
        key = units.version
        if getattr(self, "_unit_keys_key", None) != key:
            agency_zone = units.agency * zones + units.home_zone
            based = np.bincount(agency_zone, minlength=n_agencies * zones).reshape(n_agencies, zones)
            self._unit_keys_key = key
            self._unit_keys_value = (agency_zone, based, self.branch_table[units.branch, 3])
        return self._unit_keys_value

    def _colluding_share(self) -> np.ndarray:
        """(agencies, zones) share of each agency's units based in each zone that collude today (0 without the channel).

        Collusion changes only with the institutions (after the encounters), so it is computed once a day.
        """
        return self._colluding_shares()[1]

    def _colluding_shares(self) -> tuple[np.ndarray, np.ndarray]:
        """Today's colluding share of each agency's units, and of its units based in each zone (computed once a day)."""
        if getattr(self, "_colluding_day", None) != self.day:
            _, based, _ = self._unit_keys()
            colluding = self.units.colluding if self.params.channels.collusion else np.zeros(self.units.n, dtype=bool)
            self._colluding_day = self.day
            self._colluding_today = colluding_shares(self.units.agency, self.units.home_zone, colluding, based)
        return self._colluding_today

    def _learn_from_encounters(self, pos: np.ndarray, group: np.ndarray, today: EncounterDay, officers_near: np.ndarray) -> None:
        """Groups remember the operations they met; pursuers know where fled cells went; agencies hear of homicides."""
        p, out = self.params, today.outcome
        engaged = out.engaged
        homicides = today.counts[CELL_COUNTS.index("homicides")]
        self.risk.experienced(pos[engaged], group[engaged], officers_near)
        if not p.channels.response:
            self.homicides_by_cell = np.bincount(pos, weights=homicides, minlength=self.region.n_cells)  # today's
            return
        fled = np.flatnonzero(out.pursued_to >= 0)
        if fled.size:
            units, regime = self.units, self.regime
            cell, per_piece = self._patrol[1], self._per_piece
            pursuers = pursuing_agencies(
                pos[fled], out.pursued_to[fled], cell, per_piece(units.agency), per_piece(regime.reach()), per_piece(units.pooled),
                regime.pooled_reach(), self.region.jurisdiction, len(self.agency_names),
            )  # fmt: skip
            self.intel.follow_all(pursuers, out.pursued_to[fled], today.remaining[fled], self.regime.pools_intelligence)
        self.homicides_by_cell = self.intel.report_homicides(pos, homicides, p.command.response_weight)  # today's

    # --- 2. intelligence ----------------------------------------------------------------------
    def _intelligence(self, true_members: np.ndarray, dominant_zone: np.ndarray, protected: np.ndarray, day: int) -> None:
        p, r, units, t = self.params, self.region, self.units, self.cells
        n_agencies = len(self.agency_names)
        members = self.regime.update_pool(day)
        sidelined = np.zeros(n_agencies, dtype=bool)
        if members.size:
            sidelined[members] = self.agency_kind[members] == KINDS.index("municipal")
        collusion_share = self._colluding_shares()[0]
        live = t.live()
        world = ObservationWorld(
            true_members, units.agency, units.pos, self._on_duty(), r.reach.cells, r.reach.weights, self.agency_knowledge,
            sidelined, p.command.municipal_knowledge_retained, self.regime.area_mask, self._tip_base, self.community_trust,
            r.zone, collusion_share, protected,
        )  # fmt: skip
        self.intel.observe(self.streams.compiled("intel"), world, self.regime.sharing_weights())
        self._tipped = np.zeros(live.size, dtype=bool)
        if p.channels.collusion and units.colluding.any():
            tips = RivalTips(
                t.pos[live], t.group[live], t.members[live], r.zone, dominant_zone, self.groups.fighting_matrix(p.leadership),
                self._colluding_share(),
            )  # fmt: skip
            self._tipped = self.intel.rival_tips(self.streams.compiled("tips"), tips, p.operations.leak_prob)
        if members.size and self.regime.pools_intelligence:
            if not self.regime.pool_started:
                self.intel.seed_pool(members, self.regime.area_mask)
                self.regime.pool_started = True
            self.intel.pool(members, self.regime.area_mask, self.regime.ramp(day))

    def _command_map(self) -> np.ndarray:
        """The unified command's map: pooled intelligence, or without the information channel its largest member's own."""
        if self.regime.pools_intelligence or not self.units.pooled.any():
            return self.intel.pooled
        pooled = self.units.pooled
        weight = np.bincount(self.units.agency[pooled], weights=self.units.officers[pooled], minlength=len(self.agency_names))
        return self.intel.belief[int(np.argmax(weight))]

    # --- 4. movement --------------------------------------------------------------------------
    def _move_cells(self, fighting: np.ndarray) -> None:
        """Criminal cells reconsider their location (``model.movement``), judging officers by their group's learned risk."""
        p, r, t = self.params, self.region, self.cells
        live = t.live()
        if live.size == 0:
            return
        base, pressure, home = self._movement_fields(fighting)
        t.pos[live] = move_cells(
            self.streams.compiled("movement"), t.pos[live], t.group[live], min(1.0, p.crime.move_prob * r.moves_per_reference_move),
            r.neighbours, base,
            home, r.zone, self.nearby(), pressure, p.crime.rival_pull, float(p.crime.cell_size),
            self.risk.risk, p.crime.heat_aversion,
        )  # fmt: skip

    def _movement_fields(self, fighting: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Value of each cell (flow and market), rivals' pressure between groups and each group's home pull per zone.

        Kept while flow and fighting hold (a split, the only change to the home pulls, makes a new fighting matrix).
        """
        cached = getattr(self, "_movement_cache", None)
        if cached is None or cached[0] is not self.flow or cached[1] is not fighting:
            base = self.params.routes.traffic_value * self.flow + self._market_value
            pressure = fighting.copy()  # rivals press harder on a group in crisis
            np.fill_diagonal(pressure, 0.0)
            pressure = np.ascontiguousarray(pressure[:, : self.groups.count])
            self._movement_cache = cached = (self.flow, fighting, base, pressure, self.params.crime.home_bonus * self._home)
        return cached[2], cached[3], cached[4]

    def _split(self, parent: int, splinter: int) -> None:
        """A splinter group is born: its agent, home pull and learned risk start as its parent's."""
        self._home[splinter] = self._home[parent]
        self.risk.split(parent, splinter)
        self.group_agents.append(CriminalGroup(self, splinter))

    def _intelligence_quality(self, pos: np.ndarray, true_members: np.ndarray) -> np.ndarray:
        """Per criminal cell: believed / true members of the best-informed agency with units on its cell (≤ 1)."""
        return intelligence_quality(pos, self.units.pos, self.units.agency, self.intel.belief, true_members)

    # --- 8. dynamics --------------------------------------------------------------------------
    def _dynamics(self, live: np.ndarray, remaining: np.ndarray, group: np.ndarray, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        g = self.groups
        vacancies = self.cells.vacancies[live]
        recruited, exited, self._revenue_factor = membership_flows(
            self.streams.compiled("recruitment"), self.streams.compiled("exit"), self.params.dynamics, remaining, group,
            self.market[pos] + self.flow[pos], self.pool[pos], g.revenue_reference, g.capacity, vacancies, self.prevention,
            REVENUE_FACTOR_BOUNDS,
        )  # fmt: skip
        self.cells.vacancies[live] = vacancies
        return recruited, exited

    def _group_flows(
        self, group_out: np.ndarray, group: np.ndarray, recruited: np.ndarray, killed: np.ndarray, arrested: np.ndarray, exited: np.ndarray
    ) -> None:
        """Today's members recruited, killed, arrested and exited per group (events' exits included)."""
        add_by_key(group_out, FLOW_COLUMNS, group, recruited, killed, arrested, exited)
        group_out[:, FLOW_COLUMNS[-1]] += self.event_exits

    def _tidy_cells(self) -> None:
        """Remove empty cells; split cells of more than twice ``crime.cell_size`` members."""
        p, r, t = self.params, self.region, self.cells
        rng = self.streams["movement"]
        empty, oversized = slots_outside(t.alive, t.members, 2 * p.crime.cell_size)
        for slot in empty:
            self.remove_cell(int(slot))
        for slot in oversized:
            half = int(t.members[slot]) // 2
            options = r.neighbours[t.pos[slot]]
            options = options[options >= 0]
            target = int(rng.choice(options)) if options.size else int(t.pos[slot])
            t.members[slot] -= half
            new = self.add_cell(target, int(t.group[slot]), half)
            t.succession[new] = t.succession[slot]

    # --- 10. record ---------------------------------------------------------------------------
    def _zone_counts(self, zone_out: np.ndarray, today: EncounterDay) -> None:
        """Today's event counts per zone (where each criminal cell stood at the start of encounters)."""
        zone_out[:, : len(CELL_COUNTS)] = today.by_zone
        zone_out[:, ZONE_METRICS.index("cross_line_pursuits")] = today.outcome.cross[:, 0]
        zone_out[:, ZONE_METRICS.index("cross_line_escapes")] = today.outcome.cross[:, 1]

    def _record(self, zone_out: np.ndarray, group_out: np.ndarray, transfers: np.ndarray, on_duty: np.ndarray) -> None:
        r, rec, t = self.region, self.recorder, self.cells
        z = len(r.zone_names)
        row = rec.days_recorded
        members_zg = territory(t.pos, t.group, t.members, t.alive, r.zone, self.groups.count, self._territory_scratch, rec.territory[row])
        zone_out[:, ZONE_METRICS.index("members")] = members_zg.sum(axis=1)
        zone_out[:, ZONE_METRICS.index("officers_on_duty")] = np.bincount(r.zone[self.units.pos], weights=on_duty, minlength=z)
        group_out[:, GROUP_METRICS.index("members")] = members_zg.sum(axis=0)
        group_out[:, GROUP_METRICS.index("transferred")] = transfers
        rec.days_recorded += 1  # zone_out and group_out are this row of the record

    # ------------------------------------------------------------------------------------------
    # 9. institutions
    # ------------------------------------------------------------------------------------------
    def _institutions(
        self,
        pos: np.ndarray,
        group: np.ndarray,
        out: EncounterOutcome,
        zone_out: np.ndarray,
        dominant_zone: np.ndarray,
        by_zone: np.ndarray,
        day: int,
    ) -> None:
        """Trust, collusion and community trust move with today's events (``model.institutions``)."""
        units = self.units
        engaged_cells = pos[out.engaged]
        warned = out.warned
        events = DayEvents(
            engaged_cells=engaged_cells,
            pooled_engagements=int(np.isin(engaged_cells, units.pos[units.pooled]).sum()) if units.pooled.any() else 0,
            warned_cells=pos[warned],
            warned_groups=group[warned],
            command_members=self.regime.members,
            dominant_zone=dominant_zone,
            members_by_zone=by_zone,
            revenue_factor=self._revenue_factor,
            zone_rates=zone_out[:, RATE_COLUMNS],
            horizon=day >= 0,
        )
        self.institutions.daily(self.streams.compiled("institutions"), units, events)

    def _record_institutions(self, zone_out: np.ndarray, day: int) -> None:
        """Per zone: community trust, colluding share, trust and intelligence sharing among its agencies."""
        r, units, regime = self.region, self.units, self.regime
        zone, a, b = self._zone_agency_pairs()
        inside = self._pairs_outside  # no pair pools intelligence (zeros, made with the pairs)
        if regime.pools_intelligence and regime.area:
            area_zones = [r.zone_code(z) for z in regime.area]
            inside = np.isin(zone, area_zones) & np.isin(a, regime.members) & np.isin(b, regime.members)
        record_zone_institutions(
            zone_out, INSTITUTION_COLUMNS, self.institutions.community_trust, units.home_zone, units.colluding, zone, a, b,
            self.institutions.trust, regime.sharing_weights(), inside, regime.ramp(day),
        )  # fmt: skip

    def _zone_agency_pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Zone, a, b of each ordered pair a ≠ b of agencies with units based in that zone (cached per unit table)."""
        key = self.units.version
        if getattr(self, "_pairs_key", None) != key:
            zones, firsts, seconds = [], [], []
            for zc in range(len(self.region.zone_names)):
                agencies = np.unique(self.units.agency[self.units.home_zone == zc])
                a, b = np.meshgrid(agencies, agencies, indexing="ij")
                off = a != b
                zones.append(np.full(int(off.sum()), zc))
                firsts.append(a[off])
                seconds.append(b[off])
            self._pairs_key = key
            self._pairs = tuple(np.concatenate(x).astype(np.int64) for x in (zones, firsts, seconds))
            self._pairs_outside = np.zeros(self._pairs[0].size, dtype=bool)
        return self._pairs

    # ------------------------------------------------------------------------------------------
    # results
    # ------------------------------------------------------------------------------------------
    def run(self, progress: Any = None) -> None:
        """Run to the end of the horizon; ``progress`` is called with the number of days done."""
        while self.running:
            self.step()
            if progress is not None:
                progress(1)

    def horizon_zone_series(self) -> np.ndarray:
        """(days after burn-in, zones, ``ZONE_METRICS``) the recorded daily zone series, burn-in excluded."""
        return self.recorder.zone[self.burn_in : self.recorder.days_recorded]

    def release(self) -> None:
        """Let the model be garbage-collected once its results are taken.

        Mesa 3.3 keeps every model in ``mesa.Agent._ids`` (a class-level dict, mesa#3179, fixed
        upstream in mesa#3180), so without this each finished run stays in memory. Do not add agents
        to a released model.
        """
        ids = getattr(mesa.Agent, "_ids", None)
        if isinstance(ids, dict):
            ids.pop(self, None)

    @property
    def group_names(self) -> list[str]:
        return list(self.groups.names)

    @property
    def trust(self) -> np.ndarray:
        """(agencies, agencies) trust between agencies today."""
        return self.institutions.trust

    @property
    def community_trust(self) -> np.ndarray:
        """(zones,) community trust today."""
        return self.institutions.community_trust


__all__ = ["BorderSecurityModel"]
