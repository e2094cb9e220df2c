"""Shared fixtures: short runs keep the suite fast."""

from __future__ import annotations

from pathlib import Path

import pytest

from model.scenario import LoadedScenario, load_scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
SHORT = {"time": {"burn_in_days": 20, "horizon_days": 40}}


def short(name: str, **extra: dict) -> LoadedScenario:
    """A library scenario with a short burn-in and horizon, plus nested overrides."""
    from model.scenario import deep_merge

    return load_scenario(SCENARIOS / f"{name}.toml", deep_merge(SHORT, extra))


@pytest.fixture
def write(tmp_path: Path):
    """Write a text file under tmp_path and return its path."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    return _write
