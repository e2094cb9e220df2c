"""Out-of-sample hindcast of 2024 (``mandosim validate``, validation section).

The baseline's parameters are set against levels published before 2024 (``experiments.targets``);
``scenarios/hindcast_2024.toml`` runs 2024 with its events, and each published 2024 figure is
compared with the model's 90 % prediction interval (the 5th–95th percentiles of the replicates'
counts over the same window). The tolerance, fixed before the run: the published figure lies
inside that interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mandosim.model.metrics import ZONE_METRICS

PREDICTION_PERCENTILES = (5.0, 95.0)  # a 90 % prediction interval
JAN_SEP_DAYS = 274  # 1 Jan – 30 Sep 2024


@dataclass(frozen=True)
class HindcastTarget:
    """A figure published for 2024: a metric summed over zones (or a state) and days."""

    label: str
    zones: str  # zone names joined by '+', or a state code
    metric: str
    published: float
    source: str
    days: int = 366  # 2024 is a leap year: the whole year unless stated


HINDCAST_TARGETS: tuple[HindcastTarget, ...] = (
    HindcastTarget("Tijuana homicides, Jan–Sep", "tijuana", "homicides", 1421, "BC state security ministry", JAN_SEP_DAYS),
    HindcastTarget("Mexicali homicides (city + valley)", "mexicali_city+mexicali_valley", "homicides", 221, "Mexicali municipal police"),
    HindcastTarget("San Luis Río Colorado homicides", "san_luis_rio_colorado", "homicides", 238, "SESNSP case files, via press"),
    HindcastTarget("Baja California homicides", "BC", "homicides", 2450, "INEGI"),
    HindcastTarget("Baja California disappearances", "BC", "disappearances", 810, "national register of disappeared and not located"),
)


def zone_indices(zones: str, zone_names: list[str], zone_state: list[str]) -> list[int]:
    """Zone codes (sorted) of zones joined by ``+``, where a part may also be a state code (``BC``: its zones)."""
    codes: set[int] = set()
    for part in zones.split("+"):
        codes |= {zone_names.index(part)} if part in zone_names else {i for i, state in enumerate(zone_state) if state == part}
    return sorted(codes)


def hindcast_rows(runs: np.ndarray, zone_names: list[str], zone_state: list[str]) -> list[dict]:
    """One row per published 2024 figure: the model's median and 90 % prediction interval, inside or not.

    Args:
        runs: (reps, days, zones, metrics) zone series of the hindcast scenario.
        zone_names: Zone names in series order.
        zone_state: State code of each zone.
    """
    rows = []
    for target in HINDCAST_TARGETS:
        codes = zone_indices(target.zones, zone_names, zone_state)
        counts = runs[:, : target.days, codes, ZONE_METRICS.index(target.metric)].sum(axis=(1, 2))
        if target.days > runs.shape[1]:  # a horizon shorter than the window: annualise
            counts = counts * target.days / runs.shape[1]
        low, high = np.percentile(counts, PREDICTION_PERCENTILES)
        rows.append({
            "label": target.label, "published": target.published, "source": target.source, "median": float(np.median(counts)),
            "low": float(low), "high": float(high), "inside": bool(low <= target.published <= high),
        })  # fmt: skip
    return rows
