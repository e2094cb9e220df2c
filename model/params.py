"""The parameter schema: pydantic v2 models, strict (``extra="forbid"``), with units and sources.

Defaults describe the Baja California – Sonora border in 2023–24 (the ``baseline`` scenario). Every
field carries ``unit`` and ``source`` metadata: a FACTS.md row (``FACTS: Forces``) or
``assumption``; ``docs/ODD.md``'s parameter table is generated from it (``parameter_table``).
"""

from __future__ import annotations

import typing
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mandosim.model.events import EventSpec
from mandosim.model.limits import (
    MAX_BURN_IN_DAYS,
    MAX_EVENTS,
    MAX_HORIZON_DAYS,
    MAX_MEMBERS_PER_ZONE,
    MAX_NAMED,
    MAX_OFFICERS_PER_ZONE,
    MAX_TRUST_PAIRS,
    FileReference,
    Identifier,
    Members,
    Officers,
    ScenarioReference,
    Share,
    Text,
    ceiling,
)

Regime = Literal["fragmented", "coordinated", "unified"]
BaseRegime = Literal["fragmented", "coordinated"]
AgencyKind = Literal["municipal", "state", "federal"]
Branch = Literal["police", "national_guard", "army", "navy"]


def P(default: Any, unit: str, source: str, doc: str = "", **bounds: Any) -> Any:  # noqa: N802
    """A documented parameter field: default, unit, source ("FACTS: row" or "assumption").

    A number with no natural upper bound gets ``model.limits.ceiling(default)`` (100 × its default).
    """
    numeric = isinstance(default, int | float) and not isinstance(default, bool)
    if numeric and "le" not in bounds and "lt" not in bounds:
        bounds["le"] = int(ceiling(default)) if isinstance(default, int) else ceiling(default)
    return Field(default, description=doc, json_schema_extra={"unit": unit, "source": source}, **bounds)


class Section(BaseModel):
    """Base of every section: unknown keys are errors, numbers are finite, values are validated on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


class TimeParams(Section):
    burn_in_days: int = P(120, "days", "assumption", "run before the horizon, policies off", ge=0, le=MAX_BURN_IN_DAYS)
    horizon_days: int = P(365, "days", "assumption", "days summarised", ge=1, le=MAX_HORIZON_DAYS)


class SpaceParams(Section):
    cell_km: float = P(2.5, "km", "assumption", "side of a grid cell", ge=0.5, le=20.0)


class CommandParams(Section):
    regime: Regime = P("fragmented", "-", "FACTS: context (2023–24)", "command regime from day 0 of the horizon")
    area: list[Identifier] = P(
        [], "zones", "assumption", "zones under the unified command (may cross the state line)", max_length=MAX_NAMED
    )
    base_regime: BaseRegime = P("fragmented", "-", "FACTS: context", "regime outside a unified area")
    ramp_up_days: int = P(30, "days", "assumption", "days for a unified command to pool all its units", ge=0)
    personnel_ceiling: float = P(
        2500.0, "officers", "assumption (FACTS: context, 2024 retraction)", "most officers a unified command can pool", ge=0
    )
    municipal_knowledge_retained: float = P(0.5, "fraction", "assumption", "local knowledge kept by pooled municipal units", ge=0, le=1)
    diminishing_returns: float = P(
        0.5, "factor", "assumption", "value of each further unit (or agency) on a cell relative to the previous", gt=0, lt=1
    )
    coordinated_sharing: float = P(
        0.5, "per day", "assumption", "share of a partner's belief adopted per day at trust 1 (coordinated)", ge=0, le=1
    )
    patrol_weight: float = P(0.3, "members-equivalent per 10k people", "assumption", "pull of population on allocation (patrol)", ge=0)
    pursuit_capture_prob: float = P(
        0.3, "probability", "assumption (documented range 0.05–0.6)", "chance a pursuit catches a fleeing cell", ge=0, le=1
    )
    informal_sharing: float = P(
        0.1,
        "per day",
        "assumption (FACTS: context, agencies operating without a joint strategy)",
        "share of a partner's fresh observation adopted per day at trust 1 when fragmented (informal contacts)",
        ge=0,
        le=1,
    )
    agreement_trust: float = P(
        0.5,
        "0–1",
        "assumption",
        "trust at or above which coordinated agencies act jointly and may pursue into each other's jurisdiction",
        ge=0,
        le=1,
    )
    rift_trust: float = P(
        0.2,
        "0–1",
        "assumption (FACTS: context, Mexicali municipal officers hindering state operations, 2024)",
        "trust below which an agency withholds intelligence from the other and obstructs its operations",
        ge=0,
        le=1,
    )
    obstruction_prob: float = P(
        0.3,
        "probability",
        "assumption (FACTS: context, 2024 accusations)",
        "chance that a rifted agency with units on the cell obstructs the other's operation in its own area",
        ge=0,
        le=1,
    )
    response_weight: float = P(
        5.0,
        "members-equivalent per homicide",
        "assumption",
        "believed criminal presence an agency adds where a homicide is reported in its area (units respond to violence)",
        ge=0,
    )
    announcement_trust_boost: float = P(
        0.2, "fraction", "assumption", "share of the gap to full trust an announcement closes among its agencies", ge=0, le=1
    )
    retraction_credibility_loss: float = P(
        0.5, "fraction", "assumption (FACTS: context, retraction)", "share of credibility a retraction costs", ge=0, le=1
    )
    retraction_trust_loss: float = P(0.2, "fraction", "assumption", "share of inter-agency trust a retraction costs", ge=0, le=1)
    retraction_community_loss: float = P(
        0.1, "fraction", "assumption", "share of community trust a retraction costs in its zones", ge=0, le=1
    )


class IntelParams(Section):
    noise_sd: float = P(0.5, "log-units", "assumption", "sd of the lognormal error of an observation", ge=0)
    base_detection: float = P(0.02, "per day", "assumption", "hazard of observing a cell with no one nearby", ge=0)
    detection_per_officer: float = P(
        0.004, "per officer per day", "assumption", "hazard added per on-duty officer within the reach (7.5 km square)", ge=0
    )
    tip_rate: float = P(0.3, "per day", "assumption", "hazard of a community tip at full trust in a dense cell", ge=0)
    tip_half_density: float = P(2000.0, "people per km²", "assumption", "density at which tips reach half their rate", gt=0)
    memory: float = P(0.7, "fraction", "assumption", "weight of the old belief when a cell is observed", ge=0, lt=1)
    decay: float = P(0.99, "per day", "assumption", "belief kept per day for unobserved cells", gt=0, le=1)
    belief_floor: float = P(0.05, "members", "assumption", "beliefs below this are forgotten (set to zero)", ge=0)
    collusion_suppression: float = P(
        0.8,
        "fraction",
        "assumption (FACTS: context, collusion accusations)",
        "share of a protected group's presence hidden by a colluding agency",
        ge=0,
        le=1,
    )


class CommunityParams(Section):
    trust: float = P(0.45, "0–1", "assumption", "community trust in security forces (drives tips)", ge=0, le=1)
    zone_trust: dict[Identifier, Share] = P({}, "0–1", "assumption", "per-zone override of trust", max_length=MAX_NAMED)


class OperationParams(Section):
    on_duty_fraction: float = P(1 / 3, "fraction", "assumption", "share of officers on duty on a day (three shifts)", gt=0, le=1)
    unit_size: int = P(25, "officers", "assumption", "officers (on roll) per security unit", ge=1)
    encounter_rate: float = P(
        0.006,
        "per day",
        "assumption (calibrated)",
        "top daily hazard that units on a cell engage a criminal cell there (≈ 2 operations a year)",
        ge=0,
    )
    encounter_half_officers: float = P(
        15.0, "on-duty officers", "assumption", "effective officers at which the hazard is half its top", gt=0
    )
    arrest_fraction: float = P(
        0.06,
        "fraction",
        "assumption (calibrated to FACTS: Prieto-Curiel flows, ~3 % of members incapacitated a year; documented range 0.02–0.15)",
        "share of an engaged cell's members arrested",
        ge=0,
        le=1,
    )
    casualty_fraction: float = P(0.10, "fraction", "assumption", "share of an engaged cell's members hit in a firefight", ge=0, le=1)
    leak_prob: float = P(
        0.5, "probability", "assumption (FACTS: context; documented range 0.1–0.9)", "chance a colluding unit warns the target", ge=0, le=1
    )
    flee_prob: float = P(0.5, "probability", "assumption", "chance an engaged or warned cell flees to a neighbouring cell", ge=0, le=1)
    bystanders_per_firefight: float = P(
        0.03, "deaths per firefight at 10k people/km²", "assumption", "civilians killed in firefights", ge=0
    )


class BranchParams(Section):
    lethality_index: float = Field(gt=0, le=ceiling(17.3), description="opponents killed per opponent wounded")
    kill_ratio: float = Field(gt=0, le=ceiling(34.5), description="opponents killed per own death")
    firefight_prob: float = Field(ge=0, le=1, description="chance an encounter becomes a firefight")
    effectiveness: float = Field(gt=0, le=ceiling(1.5), description="encounter strength per officer (police = 1)")
    abuse_rate: float = Field(ge=0, le=ceiling(0.04), description="abuses per encounter")
    source: Text = "assumption"


def _default_branches() -> dict[str, BranchParams]:
    silva = "FACTS: Forces (Silva Forné et al. 2012); firefight, effectiveness, abuse: assumption"
    return {
        "police": BranchParams(
            lethality_index=2.6,
            kill_ratio=1.4,
            firefight_prob=0.04,
            effectiveness=1.0,
            abuse_rate=0.02,
            source=silva + "; police = Federal Police row",
        ),
        "national_guard": BranchParams(
            lethality_index=4.8,
            kill_ratio=5.0,
            firefight_prob=0.08,
            effectiveness=1.1,
            abuse_rate=0.03,
            source=silva + "; Guard = joint Army+FP row; kill ratio assumption",
        ),
        "army": BranchParams(lethality_index=9.1, kill_ratio=13.8, firefight_prob=0.12, effectiveness=1.3, abuse_rate=0.04, source=silva),
        "navy": BranchParams(lethality_index=17.3, kill_ratio=34.5, firefight_prob=0.15, effectiveness=1.5, abuse_rate=0.04, source=silva),
    }


class AgencyParams(Section):
    label: Text
    kind: AgencyKind
    branch: Branch
    jurisdiction: Identifier | None = Field(None, description="municipal: a jurisdiction; state: a state code; federal: none")
    officers: dict[Identifier, Officers] = Field(description="officers on roll per zone", max_length=MAX_NAMED)
    collusion: float = Field(0.0, ge=0, le=1, description="share of units colluding with the local dominant group")
    local_knowledge: float = Field(1.0, ge=0, le=ceiling(1.0), description="detection multiplier in its own area")
    source: Text = "assumption"


def _default_agencies() -> dict[str, AgencyParams]:
    op = "FACTS: Forces (Tijuana's operational share 1,500/2,548 applied to"
    return {
        "mun_tijuana": AgencyParams(
            label="Tijuana municipal police",
            kind="municipal",
            branch="police",
            jurisdiction="tijuana",
            officers={"tijuana": 1500},
            collusion=0.10,
            local_knowledge=1.5,
            source="FACTS: Forces (Tijuana operational ~1,500); collusion, knowledge: assumption",
        ),
        "mun_rosarito": AgencyParams(
            label="Rosarito municipal police",
            kind="municipal",
            branch="police",
            jurisdiction="rosarito",
            officers={"rosarito": 195},
            collusion=0.10,
            local_knowledge=1.5,
            source=f"{op} BC municipal ~7,000, split by population); rest assumption",
        ),
        "mun_tecate": AgencyParams(
            label="Tecate municipal police",
            kind="municipal",
            branch="police",
            jurisdiction="tecate",
            officers={"tecate": 165},
            collusion=0.10,
            local_knowledge=1.5,
            source=f"{op} BC municipal ~7,000, split by population); rest assumption",
        ),
        "mun_ensenada": AgencyParams(
            label="Ensenada municipal police",
            kind="municipal",
            branch="police",
            jurisdiction="ensenada",
            officers={"ensenada": 560},
            collusion=0.10,
            local_knowledge=1.5,
            source=f"{op} BC municipal ~7,000, split by population, northern share); rest assumption",
        ),
        "mun_mexicali": AgencyParams(
            label="Mexicali municipal police",
            kind="municipal",
            branch="police",
            jurisdiction="mexicali",
            officers={"mexicali_city": 1320, "mexicali_valley": 270},
            collusion=0.10,
            local_knowledge=1.5,
            source=f"{op} BC municipal ~7,000, split by population); rest assumption",
        ),
        "mun_slrc": AgencyParams(
            label="San Luis Río Colorado municipal police",
            kind="municipal",
            branch="police",
            jurisdiction="san_luis_rio_colorado",
            officers={"san_luis_rio_colorado": 220},
            collusion=0.10,
            local_knowledge=1.5,
            source="assumption: BC's per-capita municipal strength (FACTS: Forces) applied to ~199,000",
        ),
        "state_bc": AgencyParams(
            label="Baja California state police (FESC)",
            kind="state",
            branch="police",
            jurisdiction="BC",
            officers={"tijuana": 430, "mexicali_city": 180, "mexicali_valley": 60, "ensenada": 100, "tecate": 40, "rosarito": 40},
            collusion=0.05,
            local_knowledge=1.0,
            source="FACTS: Forces (650–700 in 2021, 1,040 in Sep 2025: ~850 in 2023–24, interpolated); split by zone: assumption",
        ),
        "state_son": AgencyParams(
            label="Sonora state police",
            kind="state",
            branch="police",
            jurisdiction="SON",
            officers={"san_luis_rio_colorado": 150},
            collusion=0.05,
            local_knowledge=1.0,
            source="assumption",
        ),
        "guardia_nacional": AgencyParams(
            label="National Guard",
            kind="federal",
            branch="national_guard",
            officers={
                "tijuana": 1400,
                "mexicali_city": 350,
                "mexicali_valley": 250,
                "ensenada": 200,
                "tecate": 100,
                "rosarito": 100,
                "san_luis_rio_colorado": 300,
            },
            collusion=0.02,
            local_knowledge=0.7,
            source="FACTS: Forces (2,403 arrivals in BC Jan–Mar 2024); split by zone and Sonora figure: assumption",
        ),
        "sedena": AgencyParams(
            label="Army (SEDENA)",
            kind="federal",
            branch="army",
            officers={"tijuana": 400, "mexicali_city": 150, "mexicali_valley": 150, "tecate": 100, "san_luis_rio_colorado": 200},
            collusion=0.02,
            local_knowledge=0.7,
            source="assumption",
        ),
        "semar": AgencyParams(
            label="Navy (SEMAR)",
            kind="federal",
            branch="navy",
            officers={"tijuana": 100, "ensenada": 200},
            collusion=0.0,
            local_knowledge=0.7,
            source="assumption",
        ),
    }


class GroupParams(Section):
    label: Text
    reported_as: Text = ""
    members: dict[Identifier, Members] = Field(description="members per zone at start", max_length=MAX_NAMED)
    rivals: list[Identifier] = Field([], max_length=MAX_NAMED)
    source: Text = "assumption"


def _default_groups() -> dict[str, GroupParams]:
    derive = (
        "fitted: members per zone by mandosim calibrate --zone-levels to each zone's published homicides "
        "(experiments/targets.py; docs/validation/calibration.md), from 4.2 members per homicide + disappearance "
        "(FACTS: national ratios); split between groups: assumption"
    )
    return {
        "tijuana_cjng": GroupParams(
            label="Tijuana CJNG",
            reported_as="cells aligned with the Jalisco New Generation cartel",
            members={"tijuana": 3289, "rosarito": 1277},
            rivals=["tijuana_sinaloa"],
            source="FACTS: Criminal groups; " + derive,
        ),
        "tijuana_sinaloa": GroupParams(
            label="Tijuana Sinaloa",
            reported_as="Sinaloa-aligned cells",
            members={"tijuana": 3289, "rosarito": 416, "tecate": 1009, "ensenada": 3552},
            rivals=["tijuana_cjng"],
            source="FACTS: Criminal groups; " + derive,
        ),
        "valley": GroupParams(
            label="valley group",
            reported_as="Los Rusos (Mayo faction of the Sinaloa cartel)",
            members={"mexicali_valley": 495, "mexicali_city": 796, "san_luis_rio_colorado": 100},
            rivals=["san_luis"],
            source="FACTS: Criminal groups; " + derive,
        ),
        "san_luis": GroupParams(
            label="San Luis group",
            reported_as="La Chapiza (Chapitos faction of the Sinaloa cartel)",
            members={"san_luis_rio_colorado": 1158, "mexicali_valley": 99, "mexicali_city": 228},
            rivals=["valley"],
            source="FACTS: Criminal groups; " + derive,
        ),
    }


class CrimeParams(Section):
    cell_size: int = P(20, "members", "assumption", "members of a criminal cell at start; a cell of twice this splits", ge=2)
    move_prob: float = P(0.15, "per day", "assumption", "chance a criminal cell reconsiders its location", ge=0, le=1)
    heat_aversion: float = P(
        0.005, "per on-duty officer", "assumption", "log-attractiveness lost per officer within the reach (7.5 km square)", ge=0
    )
    home_bonus: float = P(1.0, "log-units", "assumption", "pull of a group's home zones (× its initial share there)", ge=0)
    rival_pull: float = P(
        0.4,
        "log-units per log rival cell",
        "assumption (FACTS: P10)",
        "pull of rival presence nearby: groups push into rivals' plazas",
        ge=0,
    )
    fight_rate: float = P(
        1.2e-7,
        "per member per rival member per day",
        "assumption (calibrated to FACTS: conflict deaths ≈ 10 % of homicides + missing)",
        "hazard of dying in rival fights per rival member within the reach (7.5 km square)",
        ge=0,
    )
    bystanders_per_fight_death: float = P(
        0.1, "civilians per member killed at 10k people/km²", "assumption", "bystanders killed in rival fights", ge=0
    )
    civilian_kill_rate: float = P(
        3.0e-4,
        "per member per day",
        "assumption (calibrated to FACTS: Violence, zone homicides)",
        "killings of civilians (executions, punishment, street-market disputes) per member",
        ge=0,
    )
    contest_multiplier: float = P(
        3.0,
        "factor",
        "assumption (FACTS: P10; calibrated so the cross-state war shows on both sides)",
        "extra killing where rivals share the neighbourhood, at full contest",
        ge=0,
    )
    traffic_violence: float = P(
        2.0,
        "factor",
        "assumption (FACTS: P2, Dell 2015; with the port elasticity gives the ~15 % diversion effect)",
        "extra killing and fighting in a zone through which all the product crosses (plaza value 1)",
        ge=0,
    )
    risk_learning_rate: float = P(
        1 / 30,
        "per day",
        "assumption (delta rule, Rescorla & Wagner 1972; range 1/90–1/7 per day)",
        "weight of today's observed presence in a group's learned risk of a cell it watches",
        gt=0,
        le=1,
    )
    extortion_rate: float = P(0.004, "per member per day", "assumption", "extortions per member in a dense market", ge=0)
    kidnapping_rate: float = P(0.0002, "per member per day", "assumption", "kidnappings per member in a dense market", ge=0)
    market_half_density: float = P(1000.0, "people per km²", "assumption", "density at which predation reaches half its rate", gt=0)
    killing_deterrence_max: float = P(0.6, "fraction", "assumption", "largest fall of killings under heavy presence", ge=0, le=1)
    killing_deterrence_half_officers: float = P(
        10.0,
        "on-duty officers",
        "assumption (documented range 3–60: one patrol crew to two platoons in the 56 km² neighbourhood of a 2.5 km cell)",
        "officers within the reach (7.5 km square) at which deterrence of killings is half its largest",
        gt=0,
    )
    deterrence_per_officer: float = P(
        0.01, "per on-duty officer", "assumption", "fall of predation per officer within the reach (7.5 km square) (exponential)", ge=0
    )


class RouteParams(Section):
    update_days: int = P(7, "days", "assumption", "days between route recomputations", ge=1)
    dispersion_per_km: float = P(
        0.1,
        "per km of open-land travel",
        "assumption (Dial 1971, stochastic assignment over reasonable paths)",
        "how sharply product keeps to the cheapest routes: a path 10 km of open land dearer carries e^-1 as much",
        gt=0,
        le=100,
    )
    road_cost: float = P(0.3, "relative", "assumption", "travel cost of a road cell (open land = 1)", gt=0)
    mountain_cost: float = P(4.0, "relative", "assumption", "travel cost of mountain", gt=0)
    desert_cost: float = P(2.5, "relative", "assumption", "travel cost of desert", gt=0)
    enforcement_cost: float = P(
        0.05, "per on-duty officer", "assumption (FACTS: P2)", "added cost per officer within the reach (7.5 km square)", ge=0
    )
    port_elasticity: float = P(
        2.0,
        "-",
        "assumption (FACTS: P2, Dell 2015: trafficking diverts to the next-cheapest routes)",
        "elasticity of a port's share of crossings to its approach cost relative to day 0",
        ge=0,
    )
    traffic_value: float = P(3.0, "log-units", "assumption", "attractiveness of a cell at full trafficking flow", ge=0)


class VisibilityParams(Section):
    conceal_base: float = P(
        0.0539,
        "fraction",
        "fitted: mandosim calibrate --zone-levels to Baja California's 2023 disappearances (FACTS: Violence; "
        "docs/validation/calibration.md)",
        "share of group killings concealed with no security nearby",
        ge=0,
        le=1,
    )
    conceal_extra: float = P(
        0.30, "fraction", "assumption (FACTS: P8)", "further share concealed under heavy security presence", ge=0, le=1
    )
    conceal_half_officers: float = P(
        150.0, "on-duty officers", "assumption", "officers within the reach (7.5 km square) at which half the extra applies", gt=0
    )


class LeadershipParams(Section):
    capture_prob: float = P(
        0.01,
        "per encounter",
        "assumption",
        "chance an encounter with a group's largest cell, on good intelligence, takes its leader",
        ge=0,
        le=1,
    )
    succession_days: int = P(300, "days", "assumption (FACTS: P1, ≥ 12 months)", "length of a succession crisis", ge=1)
    internal_fight: float = P(
        0.5, "relative to rivals", "assumption (FACTS: P1)", "fighting among a group's own cells during a crisis", ge=0
    )
    crisis_violence: float = P(
        1.0,
        "factor",
        "assumption (calibrated to FACTS: P1, +80 % in the municipality for ≥ 12 months)",
        "extra killings per member of a group in a succession crisis (successor factions fight for the rents)",
        ge=0,
    )
    local_succession_days: int = P(
        180,
        "days",
        "assumption (FACTS: P1, ~6 months where the group operates; Calderón et al. 2015 on lieutenants)",
        "length of a cell's local succession after operations take its lieutenant",
        ge=0,
    )
    rival_probe: float = P(1.0, "factor", "assumption (FACTS: P1)", "extra pressure rivals put on a group in crisis", ge=0)
    split_prob: float = P(0.3, "probability", "assumption (FACTS: P1)", "chance a crisis ends in a split into two rival groups", ge=0, le=1)


class DynamicsParams(Section):
    recruitment_rate: float = P(
        2.527e-3 / 7,
        "per member per day",
        "FACTS: Prieto-Curiel (ρ = 2.527e-3 per week)",
        "recruits per member per day at full pool and revenue",
        ge=0,
    )
    capacity_headroom: float = P(
        2.5,
        "× initial members",
        "assumption (calibrated: steady state at baseline)",
        "members at which saturation exits equal recruitment",
        gt=0,
    )
    replacement_rate: float = P(
        0.5,
        "per vacancy per day",
        "assumption (calibrated to FACTS: P4, groups replace the members they lose; documented range 0.05–1)",
        "share of the posts emptied by arrests and killings refilled per day",
        ge=0,
        le=1,
    )
    at_risk_share: float = P(0.05, "fraction of population", "assumption", "at-risk youth in the population (recruitment pool)", ge=0, le=1)
    pool_half: float = P(1000.0, "people", "assumption", "at-risk people in a zone at which recruitment is half its top", gt=0)
    revenue_elasticity: float = P(0.5, "-", "assumption", "elasticity of recruitment to revenue per member", ge=0)
    prevention: float = P(0.0, "fraction", "assumption (FACTS: P4)", "reduction of recruitment by prevention programmes", ge=0, le=1)


class TrustPair(Section):
    a: Identifier
    b: Identifier
    value: float = Field(ge=0, le=1)


class InstitutionParams(Section):
    trust_default: float = P(0.5, "0–1", "assumption", "trust between two agencies unless listed", ge=0, le=1)
    trust: list[TrustPair] = P([], "0–1", "assumption", "trust of listed agency pairs (symmetric)", max_length=MAX_TRUST_PAIRS)
    trust_gain_per_success: float = P(
        0.002, "per joint success", "assumption", "share of the gap to full trust closed by one joint success", ge=0, le=1
    )
    incident_prob: float = P(
        0.3,
        "probability",
        "assumption (FACTS: context, 2024 accusations)",
        "chance a leak seen by another agency becomes an incident",
        ge=0,
        le=1,
    )
    incident_trust_loss: float = P(0.1, "fraction", "assumption", "share of trust lost per incident", ge=0, le=1)
    trust_recovery: float = P(0.002, "per day", "assumption", "share of the gap to baseline trust closed per day", ge=0, le=1)
    collusion_turnover: float = P(1 / 365, "per day", "assumption", "hazard that a colluding unit stops (rotation, exit)", ge=0, le=1)
    bribe_elasticity: float = P(0.5, "-", "assumption", "elasticity of corruption to the protected group's revenue", ge=0)
    community_memory: float = P(1 / 30, "per day", "assumption", "weight of today in the rates community trust reacts to", gt=0, le=1)
    community_adjust_rate: float = P(
        1 / 60, "per day", "assumption", "share of the gap to its target community trust closes per day", ge=0, le=1
    )
    abuse_elasticity: float = P(0.2, "-", "assumption", "fall of community trust with abuses (relative to before)", ge=0)
    violence_elasticity: float = P(0.3, "-", "assumption", "fall of community trust with homicides (relative to before)", ge=0)
    success_elasticity: float = P(0.2, "-", "assumption", "rise of community trust with visible successes (relative to before)", ge=0)


class ChannelParams(Section):
    """Channels through which a command regime acts; each can be switched off alone (``mandosim explain``).

    A channel switched off acts the same under every regime (as when fragmented), so the difference a
    regime makes through it disappears.
    """

    jurisdiction: bool = P(
        True, "-", "assumption (model structure: switch)", "who may act where: jurisdictions, agreements, the command's area"
    )
    information: bool = P(
        True, "-", "assumption (model structure: switch)", "who knows what: informal, coordinated and pooled intelligence"
    )
    response: bool = P(True, "-", "assumption (model structure: switch)", "units respond to violence, follow fled cells, operate jointly")
    collusion: bool = P(True, "-", "assumption (model structure: switch)", "colluding units protect, warn and hide their patron group")
    rifts: bool = P(True, "-", "assumption (model structure: switch)", "agencies in a rift withhold intelligence and obstruct operations")
    learning: bool = P(True, "-", "assumption (model structure: switch)", "criminals act on learned risk (off: on the presence of the day)")


class Scenario(Section):
    """A resolved scenario: every parameter of a run. The default is the 2023–24 baseline."""

    name: Identifier = "baseline"
    description: Text = ""
    extends: ScenarioReference | None = None
    region: FileReference = "regions/baja_sonora.toml"
    time: TimeParams = TimeParams()
    space: SpaceParams = SpaceParams()
    command: CommandParams = CommandParams()
    intel: IntelParams = IntelParams()
    community: CommunityParams = CommunityParams()
    operations: OperationParams = OperationParams()
    crime: CrimeParams = CrimeParams()
    routes: RouteParams = RouteParams()
    visibility: VisibilityParams = VisibilityParams()
    leadership: LeadershipParams = LeadershipParams()
    dynamics: DynamicsParams = DynamicsParams()
    institutions: InstitutionParams = InstitutionParams()
    channels: ChannelParams = ChannelParams()
    branches: dict[Branch, BranchParams] = Field(default_factory=_default_branches)
    agencies: dict[Identifier, AgencyParams] = Field(default_factory=_default_agencies, min_length=1, max_length=MAX_NAMED)
    groups: dict[Identifier, GroupParams] = Field(default_factory=_default_groups, min_length=1, max_length=MAX_NAMED)
    events: list[EventSpec] = Field([], max_length=MAX_EVENTS)

    @model_validator(mode="after")
    def _cross_references(self) -> Scenario:
        if self.command.regime == "unified" and not self.command.area:
            raise ValueError("command.area: a unified regime needs an area (a list of zones), e.g. area = ['mexicali_valley']")
        for name, group in self.groups.items():
            for i, rival in enumerate(group.rivals):
                if rival not in self.groups:
                    raise ValueError(f"groups.{name}.rivals[{i}]: unknown group {rival!r}; groups: {', '.join(self.groups)}")
        for i, pair in enumerate(self.institutions.trust):
            for side in ("a", "b"):
                if getattr(pair, side) not in self.agencies:
                    raise ValueError(f"institutions.trust[{i}].{side}: unknown agency {getattr(pair, side)!r}")
        for branch in ("police", "national_guard", "army", "navy"):
            if branch not in self.branches:
                raise ValueError(f"branches.{branch}: missing")
        return self


def allowed_range(info: Any) -> str:
    """The values a field accepts, as an interval (``[0, 1]``, ``(0, 300]``); "" for non-numbers."""
    low = high = None
    closed_low = closed_high = True
    metadata = list(info.metadata)
    inner = typing.get_args(info.annotation)[-1:]  # the values of a dict or list field
    if inner and typing.get_origin(inner[0]) is typing.Annotated:
        metadata += [m for m in inner[0].__metadata__ for m in getattr(m, "metadata", [m])]
    for bound in metadata:
        for attribute, is_low, closed in (("ge", True, True), ("gt", True, False), ("le", False, True), ("lt", False, False)):
            if getattr(bound, attribute, None) is not None:
                if is_low:
                    low, closed_low = getattr(bound, attribute), closed
                else:
                    high, closed_high = getattr(bound, attribute), closed
    if low is None and high is None:
        return ""
    left = ("[" if closed_low else "(") + ("−∞" if low is None else f"{low:g}")
    right = ("∞" if high is None else f"{high:g}") + ("]" if closed_high else ")")
    return f"{left}, {right}"


def parameter_table() -> list[dict[str, str]]:
    """Rows (name, value, unit, source, meaning) of every scalar parameter with its default."""
    rows: list[dict[str, str]] = []
    default = Scenario()
    for section_name, section_field in Scenario.model_fields.items():
        section = getattr(default, section_name)
        if not isinstance(section, Section):
            continue
        for name, info in type(section).model_fields.items():
            extra = info.json_schema_extra or {}
            if not isinstance(extra, dict) or "source" not in extra:
                continue
            value = getattr(section, name)
            text = f"{value:.4g}" if isinstance(value, float) else str(value)
            rows.append(
                {
                    "name": f"{section_name}.{name}",
                    "value": text,
                    "range": allowed_range(info),
                    "unit": str(extra["unit"]),
                    "source": str(extra["source"]),
                    "meaning": info.description or "",
                }
            )
        del section_field
    for name, branch in default.branches.items():
        text = (
            f"lethality {branch.lethality_index}, kill ratio {branch.kill_ratio}, firefight {branch.firefight_prob}, "
            f"effectiveness {branch.effectiveness}, abuses {branch.abuse_rate}"
        )
        rows.append(
            {
                "name": f"branches.{name}",
                "value": text,
                "unit": "killed/wounded, killed/own death, prob, ×, per encounter",
                "source": branch.source,
                "meaning": "force branch",
            }
        )
    for name, agency in default.agencies.items():
        total = sum(agency.officers.values())
        text = f"{total:,.0f} officers ({', '.join(f'{z} {v:,.0f}' for z, v in agency.officers.items())}); collusion {agency.collusion}"
        rows.append(
            {
                "name": f"agencies.{name}",
                "value": text,
                "range": f"[0, {MAX_OFFICERS_PER_ZONE:,.0f}] per zone",
                "unit": "officers on roll",
                "source": agency.source,
                "meaning": agency.label,
            }
        )
    for name, group in default.groups.items():
        total = sum(group.members.values())
        text = f"{total:,.0f} members ({', '.join(f'{z} {v:,.0f}' for z, v in group.members.items())})"
        rows.append(
            {
                "name": f"groups.{name}",
                "value": text,
                "range": f"[0, {MAX_MEMBERS_PER_ZONE:,.0f}] per zone",
                "unit": "members",
                "source": group.source,
                "meaning": f"{group.label}: {group.reported_as}",
            }
        )
    return rows


def parameter_table_markdown() -> str:
    """``parameter_table`` as the Markdown table ``docs/ODD.md`` carries."""
    lines = ["| parameter | default | allowed | unit | source | meaning |", "|---|---|---|---|---|---|"]
    for row in parameter_table():
        cells = (row["name"], row["value"], row.get("range", ""), row["unit"], row["source"], row["meaning"])
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines)
