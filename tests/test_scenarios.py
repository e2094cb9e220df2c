"""Every scenario file in scenarios/ loads and runs."""

import pytest

from mandosim.experiments.runner import run
from tests.conftest import SCENARIOS, short

FILES = sorted(SCENARIOS.glob("*.toml"))


def test_the_library_is_not_empty():
    assert {"baseline.toml", "unified_command.toml", "coordination_failure.toml"} <= {f.name for f in FILES}


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_scenario_runs(path):
    result = run(short(path.stem, time={"burn_in_days": 10, "horizon_days": 30}), seed=1)
    assert result.zones["day"].max() == 29
    assert result.summary["region"]["homicides"] > 0
    assert result.metadata["scenario_hash"]
