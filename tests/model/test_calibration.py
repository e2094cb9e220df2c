"""Baseline, seed 1, full horizon: homicides per zone against FACTS.md (within a factor of two)."""

import pytest

from mandosim.experiments.runner import run
from tests.conftest import SCENARIOS

# FACTS: Violence — 2024 homicides (Tijuana: Jan–Sep 2024 1,421 → ~1,900 a year; Mexicali 221;
# San Luis Río Colorado 238 in 2024, 189 in 2023; Baja California 2,450).
TARGETS = {
    "tijuana": 1900,
    "mexicali": 221,
    "san_luis_rio_colorado": 214,
    "BC": 2450,
}
FACTOR = 2.0


@pytest.fixture(scope="module")
def summary():
    return run(SCENARIOS / "baseline.toml", seed=1).summary


def test_every_zone_has_homicides_and_disappearances(summary):
    for zone, block in summary["zones"].items():
        assert block["homicides"] > 0, zone
    assert summary["region"]["disappearances"] > 0


def test_homicides_within_a_factor_of_two_of_facts(summary):
    zones = summary["zones"]
    model = {
        "tijuana": zones["tijuana"]["homicides_annual"],
        "mexicali": zones["mexicali_city"]["homicides_annual"] + zones["mexicali_valley"]["homicides_annual"],
        "san_luis_rio_colorado": zones["san_luis_rio_colorado"]["homicides_annual"],
        "BC": summary["states"]["BC"]["homicides_annual"],
    }
    for key, target in TARGETS.items():
        assert target / FACTOR <= model[key] <= target * FACTOR, f"{key}: model {model[key]:.0f} vs FACTS {target}"
