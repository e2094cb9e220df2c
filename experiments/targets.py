"""Calibration targets: each zone's published annual homicides; the state's disappearances.

Figures from docs/facts.md (FACTS: Violence); disappearances are published for the state only. One
source per series, the year nearest 2023 that the facts give before 2024 (2024 is kept for the
hindcast), flagged where it is not 2023 or where the figure is derived (annualised, split, scaled to
the part of a municipality a zone covers).
The baseline is judged against these within ``LEVEL_FACTOR`` (``mandosim validate``, calibration
section; ``tests/experiments/test_targets.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

#: A zone's baseline annual homicides must lie within this factor of its target (either way).
LEVEL_FACTOR = 1.5
#: Rates per 100k in Jan–Aug 2020 (INEGI + state citizens' security council), annualised ×12/8.
JAN_AUG = 12 / 8
#: Share of Ensenada municipality's people inside the model's Ensenada (north) zone (region file / INEGI 2020).
ENSENADA_ZONE_SHARE = 370_000 / 443_807


@dataclass(frozen=True)
class ZoneTarget:
    """A published annual level for one zone."""

    zone: str
    homicides: float
    year: int
    source: str
    derivation: str  # how the figure was made from the published one ("" when taken as published)

    @property
    def flagged(self) -> bool:
        """Not a 2023 figure as published."""
        return self.year != 2023 or bool(self.derivation)


ZONE_TARGETS: tuple[ZoneTarget, ...] = (
    ZoneTarget("tijuana", 1404 * 12 / 9, 2023, "BC state security ministry (case files)", "Jan–Sep 2023 (1,404) × 12/9"),
    ZoneTarget(
        "mexicali_city", 200 / 2, 2020, "Mexicali municipal police", "'>200' in 2020 (a lower bound), half in the city as in Oct 2024"
    ),
    ZoneTarget(
        "mexicali_valley", 200 / 2, 2020, "Mexicali municipal police", "'>200' in 2020 (a lower bound), half in the Valley as in Oct 2024"
    ),
    ZoneTarget(
        "rosarito", 109e-5 * 126_890 * JAN_AUG, 2020, "INEGI + state citizens' security council", "109 per 100k Jan–Aug 2020, annualised"
    ),
    ZoneTarget(
        "tecate", 89e-5 * 108_440 * JAN_AUG, 2020, "INEGI + state citizens' security council", "89 per 100k Jan–Aug 2020, annualised"
    ),
    ZoneTarget(
        "ensenada",
        50e-5 * 443_807 * JAN_AUG * ENSENADA_ZONE_SHARE,
        2020,
        "INEGI + state citizens' security council",
        "50 per 100k Jan–Aug 2020, annualised, × the zone's share of the municipality's people",
    ),
    ZoneTarget("san_luis_rio_colorado", 189, 2023, "SESNSP case files, via press", ""),
)


@dataclass(frozen=True)
class StateTarget:
    """A published annual count of ``metric`` for a whole state (the sum of its zones)."""

    state: str
    metric: str
    count: float
    year: int
    source: str
    derivation: str = ""

    @property
    def flagged(self) -> bool:
        """Not a 2023 figure as published."""
        return self.year != 2023 or bool(self.derivation)


#: Disappearances are published for the state only (national register): Baja California, 2023.
DISAPPEARANCE_TARGETS: tuple[StateTarget, ...] = (
    StateTarget("BC", "disappearances", 565, 2023, "national register of disappeared and not located persons, via Red Lupa"),
)


def within_level(model: float, target: float, factor: float = LEVEL_FACTOR) -> bool:
    """``model`` lies within ``factor`` of ``target`` either way."""
    return target / factor <= model <= target * factor
