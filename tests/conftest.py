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


@pytest.fixture(scope="session", autouse=True)
def compiled_kernels() -> None:
    """Compile (or load) the model's kernels once, in this process, before any test forks workers or starts processes.

    On a new checkout the kernels' cache is empty; workers that compile the same kernels at the same
    time would race to write it.
    """
    from model.model import BorderSecurityModel

    model = BorderSecurityModel(short("baseline", time={"burn_in_days": 3, "horizon_days": 3}), seed=0)
    model.run()
    model.release()


@pytest.fixture
def write(tmp_path: Path):
    """Write a text file under tmp_path and return its path."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    return _write
