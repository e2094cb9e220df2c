"""What a run records: per zone per day, per group per day, per zone × group per day.

``Recorder`` holds preallocated arrays filled by the model each day and turns them into tidy
pandas frames. Reporter functions (no lambdas, so models pickle) feed Mesa's ``DataCollector``.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from mandosim.model.model import BorderSecurityModel

ZONE_METRICS: tuple[str, ...] = (
    "homicides",
    "disappearances",
    "extortions",
    "kidnappings",
    "arrests",
    "seizures",
    "officer_deaths",
    "member_deaths",
    "civilian_deaths",
    "abuses",
    "leaks",
    "obstructions",
    "protected_engagements_avoided",
    "rival_tips",
    "cross_line_pursuits",
    "cross_line_escapes",
    "members",
    "officers_on_duty",
    "community_trust",
    "colluding_share",
    "interagency_trust",
    "intel_shared",
)
GROUP_METRICS: tuple[str, ...] = ("members", "recruited", "killed", "arrested", "exited", "transferred")
"""``transferred``: members moved in (+) or out (−) by a split; zero-sum across groups."""
TERRITORY_METRICS: tuple[str, ...] = ("members", "cells_controlled")
#: Zone metrics that are daily counts (summed over the horizon); the others are levels.
#: Zone counts made by criminal cells' encounters (counted per criminal cell, then per zone).
CELL_COUNTS: tuple[str, ...] = ZONE_METRICS[: ZONE_METRICS.index("cross_line_pursuits")]
COUNT_METRICS: tuple[str, ...] = ZONE_METRICS[: ZONE_METRICS.index("cross_line_escapes") + 1]
#: Zone metrics stored as integers: the counts and the members.
INTEGER_METRICS: tuple[str, ...] = (*COUNT_METRICS, "members")

#: Unit and meaning of every column a run or a store writes (Parquet schema metadata, docs/experiments.md).
COLUMNS: dict[str, tuple[str, str]] = {
    # keys
    "scenario": ("-", "scenario name (in a sweep: the sweep's name, or its contrast arm's)"),
    "point": ("-", "design point of a sweep (0 in a comparison)"),
    "replicate": ("-", "replicate number; replicate k of every scenario shares its seed (common random numbers)"),
    "seed": ("-", "root seed of the run's random streams"),
    "scenario_hash": ("-", "SHA-256 prefix of the resolved scenario and region"),
    "day": ("day", "simulated day; day 0 is the first day of the horizon, negative days are burn-in"),
    "burn_in": ("-", "true on burn-in days (day < 0), which the summaries leave out"),
    "zone": ("-", "zone (municipality or part of one)"),
    "group": ("-", "criminal group (splinters are named after their parent)"),
    "unit": ("-", "what a summary row covers: a zone's name, 'state XX' or 'region'; see level"),
    "level": ("-", "'zone', 'state' or 'region': sum rows of one level only (each homicide is in one row per level)"),
    "unit_order": ("-", "display order of the summary rows (zones, then states, then the region)"),
    # daily zone counts
    "homicides": ("people/day", "visible killings: group killings not concealed, and deaths in operations"),
    "disappearances": ("people/day", "group killings concealed (bodies not found)"),
    "extortions": ("events/day", "extortions of businesses and people by criminal cells"),
    "kidnappings": ("events/day", "kidnappings by criminal cells"),
    "arrests": ("people/day", "criminal members arrested in operations"),
    "seizures": ("events/day", "operations that engaged a criminal cell"),
    "officer_deaths": ("people/day", "officers killed in firefights"),
    "member_deaths": ("people/day", "criminal members killed by security forces or rivals"),
    "civilian_deaths": ("people/day", "bystanders and victims killed (part of homicides or disappearances)"),
    "abuses": ("events/day", "abuses by security forces in operations"),
    "leaks": ("events/day", "operations warned to their target by a colluding unit or a rifted agency"),
    "obstructions": ("events/day", "operations obstructed by an agency in a rift with the one operating"),
    "protected_engagements_avoided": ("events/day", "engagements a colluding unit declined against its patron group"),
    "rival_tips": ("events/day", "tips a colluding unit sent against its patron's rivals (selective enforcement)"),
    "cross_line_pursuits": ("events/day", "pursuits that crossed a municipal or state line"),
    "cross_line_escapes": ("events/day", "pursuits that ended at a line the unit could not cross"),
    # daily zone levels
    "members": ("people", "criminal members (in a zone, or of a group) at the end of the day"),
    "officers_on_duty": ("officers", "officers on duty in the zone today (units' strength on duty)"),
    "community_trust": ("share 0-1", "community trust in the security forces"),
    "colluding_share": ("share 0-1", "share of the units based in the zone that collude with a group"),
    "interagency_trust": ("share 0-1", "mean trust between pairs of agencies with units based in the zone"),
    "intel_shared": ("share 0-1", "mean share of intelligence passed between those pairs"),
    # daily group flows
    "recruited": ("people/day", "members recruited"),
    "killed": ("people/day", "members killed"),
    "arrested": ("people/day", "members arrested"),
    "exited": ("people/day", "members who left (saturation exits, event exits)"),
    "transferred": ("people/day", "members moved in (+) or out (-) by a split; zero-sum across groups"),
    # territory
    "cells_controlled": ("cells", "grid cells where the group holds most members"),
    # summary rows (runs table, summary.json)
    "population": ("people", "population of the unit"),
    "officer_days": ("officer-days", "officers on duty summed over the horizon's days: the cost of the forces deployed"),
    "homicides_annual": ("people/year", "homicides over the horizon, annualised"),
    "disappearances_annual": ("people/year", "disappearances over the horizon, annualised"),
    "homicides_per_100k": ("per 100k people/year", "annualised homicides per 100,000 inhabitants"),
}
"""Summary rows hold each zone count summed over the horizon (same names, unit: count over the horizon)."""


class Recorder:
    """Daily series of one run.

    Args:
        days: Total days (burn-in + horizon).
        first_day: Day number of the first recorded day (negative during burn-in).
        zones: Zone names.
        max_groups: Rows reserved for groups (including splinters).
    """

    def __init__(self, days: int, first_day: int, zones: list[str], max_groups: int) -> None:
        self.first_day = first_day
        self.zones = zones
        self.zone = np.zeros((days, len(zones), len(ZONE_METRICS)))
        self.group = np.zeros((days, max_groups, len(GROUP_METRICS)), dtype=np.int64)
        self.territory = np.zeros((days, len(zones), max_groups, len(TERRITORY_METRICS)), dtype=np.int64)
        self.days_recorded = 0

    def zone_frame(self, group_names: list[str] | None = None) -> pd.DataFrame:
        """Tidy frame: one row per day and zone."""
        d = self.days_recorded
        days = np.arange(self.first_day, self.first_day + d)
        frame = pd.DataFrame(self.zone[:d].reshape(-1, len(ZONE_METRICS)), columns=list(ZONE_METRICS))
        frame = frame.astype(dict.fromkeys(INTEGER_METRICS, np.int64))  # whole numbers by construction
        frame.insert(0, "zone", pd.Categorical(np.tile(self.zones, d), categories=self.zones))
        frame.insert(0, "burn_in", np.repeat(days < 0, len(self.zones)))
        frame.insert(0, "day", np.repeat(days, len(self.zones)))
        return frame

    def group_frame(self, group_names: list[str]) -> pd.DataFrame:
        """Tidy frame: one row per day and group (membership flows)."""
        d, g = self.days_recorded, len(group_names)
        days = np.arange(self.first_day, self.first_day + d)
        frame = pd.DataFrame(self.group[:d, :g].reshape(-1, len(GROUP_METRICS)), columns=list(GROUP_METRICS))
        frame.insert(0, "group", pd.Categorical(np.tile(group_names, d), categories=group_names))
        frame.insert(0, "burn_in", np.repeat(days < 0, g))
        frame.insert(0, "day", np.repeat(days, g))
        return frame

    def territory_frame(self, group_names: list[str]) -> pd.DataFrame:
        """Tidy frame: one row per day, zone and group (members and cells controlled)."""
        d, g, z = self.days_recorded, len(group_names), len(self.zones)
        days = np.arange(self.first_day, self.first_day + d)
        frame = pd.DataFrame(self.territory[:d, :, :g].reshape(-1, len(TERRITORY_METRICS)), columns=list(TERRITORY_METRICS))
        frame.insert(0, "group", pd.Categorical(np.tile(group_names, d * z), categories=group_names))
        frame.insert(0, "zone", pd.Categorical(np.tile(np.repeat(self.zones, g), d), categories=self.zones))
        frame.insert(0, "burn_in", np.repeat(days < 0, z * g))
        frame.insert(0, "day", np.repeat(days, z * g))
        return frame


def _today(model: BorderSecurityModel, metric: str) -> float:
    row = model.recorder.days_recorded - 1
    if row < 0:
        return 0.0
    return float(model.recorder.zone[row, :, ZONE_METRICS.index(metric)].sum())


def homicides(model: BorderSecurityModel) -> float:
    """Homicides in the region today."""
    return _today(model, "homicides")


def disappearances(model: BorderSecurityModel) -> float:
    """Disappearances in the region today."""
    return _today(model, "disappearances")


def extortions(model: BorderSecurityModel) -> float:
    """Extortions in the region today."""
    return _today(model, "extortions")


def arrests(model: BorderSecurityModel) -> float:
    """Arrests in the region today."""
    return _today(model, "arrests")


def criminal_members(model: BorderSecurityModel) -> int:
    """Members of all criminal groups."""
    return int(model.cells.members[model.cells.alive].sum())


def day(model: BorderSecurityModel) -> int:
    """The day the other reporters' values belong to: the day just simulated (negative during burn-in)."""
    return int(model.day) - 1


def zone_today(model: BorderSecurityModel, zone: int, metric: str) -> float:
    """``metric`` in zone number ``zone`` today."""
    row = model.recorder.days_recorded - 1
    return float(model.recorder.zone[row, zone, ZONE_METRICS.index(metric)]) if row >= 0 else 0.0


#: Zone metrics Mesa's ``DataCollector`` reports per zone (``homicides_tijuana``, ...), beside the region totals.
ZONE_REPORTED: tuple[str, ...] = ("homicides", "disappearances")


def zone_reporters(zone_names: list[str]) -> dict[str, functools.partial]:
    """One ``DataCollector`` reporter per zone and ``ZONE_REPORTED`` metric (partials, so models pickle)."""
    return {
        f"{metric}_{zone}": functools.partial(zone_today, zone=i, metric=metric)
        for metric in ZONE_REPORTED
        for i, zone in enumerate(zone_names)
    }


MODEL_REPORTERS = {
    "day": day,
    "homicides": homicides,
    "disappearances": disappearances,
    "extortions": extortions,
    "arrests": arrests,
    "criminal_members": criminal_members,
}


DAYS_PER_YEAR = 365.0
PER_100K = 1e5


def summary_units() -> dict[str, str]:
    """The unit of every value a ``summarise`` block holds (``summary.json`` carries them beside the numbers)."""
    units = {k: COLUMNS[k][0].removesuffix("/day") + " in the horizon (total)" for k in COUNT_METRICS}
    units.update(
        population="people",
        officer_days="officer-days in the horizon (total)",
        homicides_annual="people/year (the horizon's total scaled to 365 days)",
        disappearances_annual="people/year (the horizon's total scaled to 365 days)",
        homicides_per_100k="people per 100,000 residents per year",
        horizon_days="days",
    )
    return units


def summarise(zones: pd.DataFrame, zone_population: dict[str, float], horizon_days: int, states: dict[str, str]) -> dict:
    """Per-run summary over the horizon (days ≥ 0).

    Args:
        zones: The tidy zone frame.
        zone_population: People per zone.
        horizon_days: Days in the horizon.
        states: State code of each zone.

    Returns:
        ``{"zones": {zone: {...}}, "states": {...}, "region": {...}}`` with, for each unit, totals of
        every count metric over the horizon, officer-days on duty, annualised homicides and
        disappearances, and ``homicides_per_100k`` (annualised).
    """
    horizon = zones[zones["day"] >= 0]
    totals = horizon.groupby("zone", observed=True)[[*COUNT_METRICS, "officers_on_duty"]].sum()
    scale = DAYS_PER_YEAR / horizon_days

    def block(frame: pd.Series, population: float) -> dict[str, float]:
        out: dict[str, float] = {k: int(frame[k]) for k in COUNT_METRICS}
        out["population"] = round(population)
        out["officer_days"] = float(frame["officers_on_duty"])
        out["homicides_annual"] = float(frame["homicides"]) * scale
        out["disappearances_annual"] = float(frame["disappearances"]) * scale
        out["homicides_per_100k"] = out["homicides_annual"] / population * PER_100K if population > 0 else 0.0
        return out

    result: dict[str, dict] = {"zones": {}, "states": {}, "region": {}}
    for zone in totals.index:
        result["zones"][str(zone)] = block(totals.loc[zone], zone_population[str(zone)])
    for state in sorted(set(states.values())):
        members = [z for z in totals.index if states[str(z)] == state]
        result["states"][state] = block(totals.loc[members].sum(), sum(zone_population[str(z)] for z in members))
    result["region"] = block(totals.sum(), sum(zone_population.values()))
    result["horizon_days"] = horizon_days
    return result
