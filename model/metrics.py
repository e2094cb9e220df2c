"""What a run records: per zone per day, per group per day, per zone × group per day.

``Recorder`` holds preallocated arrays filled by the model each day and turns them into tidy
pandas frames. Reporter functions (no lambdas, so models pickle) feed Mesa's ``DataCollector``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from model.model import BorderSecurityModel

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
COUNT_METRICS: tuple[str, ...] = ZONE_METRICS[: ZONE_METRICS.index("cross_line_escapes") + 1]


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
        frame.insert(0, "zone", pd.Categorical(np.tile(self.zones, d), categories=self.zones))
        frame.insert(0, "day", np.repeat(days, len(self.zones)))
        return frame

    def group_frame(self, group_names: list[str]) -> pd.DataFrame:
        """Tidy frame: one row per day and group (membership flows)."""
        d, g = self.days_recorded, len(group_names)
        days = np.arange(self.first_day, self.first_day + d)
        frame = pd.DataFrame(self.group[:d, :g].reshape(-1, len(GROUP_METRICS)), columns=list(GROUP_METRICS))
        frame.insert(0, "group", pd.Categorical(np.tile(group_names, d), categories=group_names))
        frame.insert(0, "day", np.repeat(days, g))
        return frame

    def territory_frame(self, group_names: list[str]) -> pd.DataFrame:
        """Tidy frame: one row per day, zone and group (members and cells controlled)."""
        d, g, z = self.days_recorded, len(group_names), len(self.zones)
        days = np.arange(self.first_day, self.first_day + d)
        frame = pd.DataFrame(self.territory[:d, :, :g].reshape(-1, len(TERRITORY_METRICS)), columns=list(TERRITORY_METRICS))
        frame.insert(0, "group", pd.Categorical(np.tile(group_names, d * z), categories=group_names))
        frame.insert(0, "zone", pd.Categorical(np.tile(np.repeat(self.zones, g), d), categories=self.zones))
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
    """Current day (negative during burn-in)."""
    return int(model.day)


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


def summarise(zones: pd.DataFrame, zone_population: dict[str, float], horizon_days: int, states: dict[str, str]) -> dict:
    """Per-run summary over the horizon (days ≥ 0).

    Args:
        zones: The tidy zone frame.
        zone_population: People per zone.
        horizon_days: Days in the horizon.
        states: State code of each zone.

    Returns:
        ``{"zones": {zone: {...}}, "states": {...}, "region": {...}}`` with, for each unit, totals of
        every count metric over the horizon, annualised homicides and disappearances, and
        ``homicides_per_100k`` (annualised).
    """
    horizon = zones[zones["day"] >= 0]
    totals = horizon.groupby("zone", observed=True)[list(COUNT_METRICS)].sum()
    scale = DAYS_PER_YEAR / horizon_days

    def block(frame: pd.Series, population: float) -> dict[str, float]:
        out = {k: float(frame[k]) for k in COUNT_METRICS}
        out["population"] = float(population)
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
