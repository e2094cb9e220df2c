"""One run of one scenario with one seed → ``RunResult`` (tidy series, summary, metadata)."""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pandas as pd

from mandosim.model.metrics import summarise
from mandosim.model.model import BorderSecurityModel
from mandosim.model.scenario import LoadedScenario, find_scenario, load_scenario


@functools.cache
def code_version() -> str:
    """The mandosim version plus a fingerprint of the code that makes results (``0.1.0+1a2b3c4d5e6f``).

    The fingerprint covers ``model/`` and the runner, so results of different model code never share
    a store; editing plots or the command line does not invalidate stored runs.
    """
    try:
        base = version("mandosim")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        base = "0"
    digest = hashlib.sha256()
    package_root = Path(__file__).resolve().parent.parent
    producers = [package_root / "experiments" / name for name in ("runner.py", "batch.py")]
    for path in sorted([*(package_root / "model").glob("*.py"), *producers]):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return f"{base}+{digest.hexdigest()[:12]}"


@dataclass
class RunResult:
    """What one run produced.

    Attributes:
        zones: One row per day and zone (``model.metrics.ZONE_METRICS``).
        groups: One row per day and group (membership flows).
        territory: One row per day, zone and group (members, cells controlled).
        summary: ``model.metrics.summarise`` over the horizon.
        metadata: scenario name and hash, seed, days, code version, wall time (s).
    """

    zones: pd.DataFrame
    groups: pd.DataFrame
    territory: pd.DataFrame
    summary: dict[str, Any]
    metadata: dict[str, Any] = field(default_factory=dict)


def run(
    scenario: LoadedScenario | str | Path,
    seed: int,
    days: int | None = None,
    progress: Callable[[int], Any] | None = None,
) -> RunResult:
    """Run ``scenario`` with ``seed`` to the end of its horizon.

    Args:
        scenario: A loaded scenario, a file, or a library name (``baseline``).
        seed: Root seed of every random stream.
        days: Horizon days (default: the scenario's).
        progress: Called with 1 after each simulated day.

    Returns:
        The run's ``RunResult``. Pure: same scenario + seed → identical result.
    """
    loaded = scenario if isinstance(scenario, LoadedScenario) else load_scenario(find_scenario(scenario))
    started = time.perf_counter()
    model = BorderSecurityModel(loaded, seed=seed, days=days, report_to_mesa=False)
    model.run(progress)
    region = model.region
    zones = model.recorder.zone_frame()
    population = dict(zip(region.zone_names, region.zone_population(), strict=True))
    states = {z: region.state_names[region.jurisdiction_state[region.zone_jurisdiction[i]]] for i, z in enumerate(region.zone_names)}
    summary = summarise(zones, population, model.horizon, states)
    metadata = {
        "scenario": loaded.scenario.name,
        "scenario_hash": loaded.content_hash,
        "seed": int(seed),
        "burn_in_days": model.burn_in,
        "horizon_days": model.horizon,
        "code_version": code_version(),
        "wall_seconds": time.perf_counter() - started,
    }
    result = RunResult(
        zones=zones,
        groups=model.recorder.group_frame(model.group_names),
        territory=model.recorder.territory_frame(model.group_names),
        summary=summary,
        metadata=metadata,
    )
    model.release()
    return result
