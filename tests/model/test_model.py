"""Model invariants, reproducibility and Mesa compatibility."""

import hashlib
import inspect

import mesa
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mandosim.experiments.runner import run
from mandosim.model.metrics import GROUP_METRICS
from mandosim.model.model import BorderSecurityModel, overrides_from_kwargs
from tests.conftest import SCENARIOS, short


def initial_members(model: BorderSecurityModel) -> np.ndarray:
    t = model.cells
    return np.bincount(t.group[t.alive], weights=t.members[t.alive], minlength=model.groups.size).astype(np.int64)


def check_conservation(model: BorderSecurityModel, start: np.ndarray) -> None:
    rec = model.recorder
    flows = rec.group[: rec.days_recorded]
    col = {name: i for i, name in enumerate(GROUP_METRICS)}
    members = flows[:, :, col["members"]]
    before = np.vstack([start[None, :], members[:-1]])
    change = members - before
    law = flows[:, :, col["recruited"]] - flows[:, :, col["killed"]] - flows[:, :, col["arrested"]] - flows[:, :, col["exited"]]
    assert np.array_equal(change, law + flows[:, :, col["transferred"]])
    assert np.all(flows[:, :, col["transferred"]].sum(axis=1) == 0)  # splits move members, never make them
    assert np.array_equal(change.sum(axis=1), law.sum(axis=1))  # so the region obeys the law exactly
    assert np.all(members >= 0)


@settings(max_examples=12, deadline=None)
@given(
    fight=st.floats(1e-8, 2e-6),
    killing=st.floats(0.0, 2e-3),
    recruitment=st.floats(0.0, 2e-3),
    encounter=st.floats(0.0, 0.5),
    arrest=st.floats(0.0, 0.5),
    capture=st.floats(0.0, 1.0),
    split=st.floats(0.0, 1.0),
    replacement=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**32),
)
def test_members_are_conserved(fight, killing, recruitment, encounter, arrest, capture, split, replacement, seed):
    loaded = short(
        "baseline",
        crime={"fight_rate": fight, "civilian_kill_rate": killing},
        dynamics={"recruitment_rate": recruitment, "replacement_rate": replacement},
        operations={"encounter_rate": encounter, "arrest_fraction": arrest},
        leadership={"capture_prob": capture, "split_prob": split, "succession_days": 5},
        time={"burn_in_days": 0, "horizon_days": 25},
    )
    model = BorderSecurityModel(loaded, seed=seed)
    start = initial_members(model)
    model.run()
    check_conservation(model, start)


def test_conservation_through_splits():
    loaded = short(
        "baseline",
        operations={"encounter_rate": 1.0},
        leadership={"capture_prob": 1.0, "split_prob": 1.0, "succession_days": 3},
        time={"burn_in_days": 0, "horizon_days": 30},
    )
    model = BorderSecurityModel(loaded, seed=5)
    start = initial_members(model)
    model.run()
    assert model.groups.count > 4, "leader strikes with certain splits must create splinter groups"
    check_conservation(model, start)


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.stem)
def test_conservation_in_every_library_scenario(path):
    model = BorderSecurityModel(short(path.stem, time={"burn_in_days": 5, "horizon_days": 60}), seed=7)
    start = initial_members(model)
    model.run()
    check_conservation(model, start)


def test_conservation_with_group_exit_and_strikes():
    events = [
        {"type": "group_exit", "day": 2, "group": "san_luis", "share": 0.5},
        {"type": "leader_strike", "day": 1, "group": "tijuana_cjng"},
        {"type": "deploy", "day": 3, "agency": "semar", "officers": {"tijuana": 300}, "end": 9},
    ]
    loaded = short(
        "baseline", events=events, leadership={"succession_days": 4, "split_prob": 1.0}, time={"burn_in_days": 0, "horizon_days": 20}
    )
    model = BorderSecurityModel(loaded, seed=3)
    start = initial_members(model)
    model.run()
    check_conservation(model, start)
    assert model.groups.count == 5  # the strike ended in a split


def parquet_digest(frame: pd.DataFrame, path) -> str:
    frame.to_parquet(path, index=False)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_is_bit_identical_and_other_seed_differs(tmp_path):
    loaded = short("baseline")
    a, b, c = run(loaded, 11), run(loaded, 11), run(loaded, 12)
    assert parquet_digest(a.zones, tmp_path / "a.parquet") == parquet_digest(b.zones, tmp_path / "b.parquet")
    assert parquet_digest(a.groups, tmp_path / "a.parquet") == parquet_digest(b.groups, tmp_path / "b.parquet")
    assert parquet_digest(a.territory, tmp_path / "a.parquet") == parquet_digest(b.territory, tmp_path / "b.parquet")
    assert a.summary == b.summary
    assert not a.zones.equals(c.zones)


def test_mesa_random_is_seeded_from_the_root():
    a, b = BorderSecurityModel(short("baseline"), seed=3), BorderSecurityModel(short("baseline"), seed=3)
    assert a.random.random() == b.random.random()
    assert a.rng.random() == b.rng.random()


def test_mesa_batch_run_works():
    parameters = {"scenario": "baseline", "regime": ["fragmented", "coordinated"], "burn_in_days": 5, "days": 25}
    seeds = [1, 2]
    if "rng" in inspect.signature(mesa.batch_run).parameters:  # Mesa >= 3.4: seeds as rng
        seeding = {"rng": seeds}
    else:  # Mesa 3.3: the seed is a model parameter
        parameters["seed"], seeding = seeds, {}
    results = mesa.batch_run(BorderSecurityModel, parameters, number_processes=1, display_progress=False, **seeding)
    frame = pd.DataFrame(results)
    assert len(frame) == 4  # 2 regimes × 2 seeds, final step each
    assert set(frame["regime"]) == {"fragmented", "coordinated"} and set(frame["seed"]) == {1, 2}
    assert (frame["day"] == 24).all()  # the model stops itself after burn-in + days; the last row is day 24
    assert (frame["criminal_members"] > 0).all()


def test_data_collector_reports_each_zone_and_matches_the_recorder():
    model = BorderSecurityModel(short("baseline"), seed=5)
    model.run()
    frame = model.datacollector.get_model_vars_dataframe()
    days = model.recorder.days_recorded
    assert len(frame) == days and frame["day"].tolist() == list(range(-model.burn_in, model.horizon))  # one row per day
    for z, zone in enumerate(model.region.zone_names):
        assert frame[f"homicides_{zone}"].to_numpy().tolist() == model.recorder.zone[:days, z, 0].tolist()
    zone_columns = [f"homicides_{zone}" for zone in model.region.zone_names]
    assert np.allclose(frame[zone_columns].sum(axis=1), frame["homicides"])
    quiet = BorderSecurityModel(short("baseline"), seed=5, report_to_mesa=False)
    quiet.run()
    assert quiet.datacollector.get_model_vars_dataframe().empty  # mandosim's own runs skip it ...
    assert np.array_equal(quiet.recorder.zone, model.recorder.zone)  # ... and nothing else changes


def test_flat_overrides_map_to_sections():
    assert overrides_from_kwargs({"regime": "unified", "intel__memory": 0.5}) == {
        "command": {"regime": "unified"},
        "intel": {"memory": 0.5},
    }


def test_agents_are_views_of_the_tables():
    model = BorderSecurityModel(short("baseline"), seed=2)
    model.step()
    cell = next(iter(model.cell_agents.values()))
    assert cell.members == int(model.cells.members[cell.slot])
    assert cell.pos == tuple(model.region.cell_rc[model.cells.pos[cell.slot]])
    unit = model.unit_agents[0]
    assert unit.officers > 0
    assert unit.branch in ("police", "national_guard", "army", "navy")
    assert sum(g.members for g in model.group_agents) == int(model.cells.members[model.cells.alive].sum())
    assert len(model.agents_by_type[type(cell)]) == len(model.cells.live())


def test_finished_runs_leave_no_model_in_memory():
    import gc
    import weakref

    from mandosim.experiments import runner

    created = []
    original = runner.BorderSecurityModel

    class Tracked(original):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            created.append(weakref.ref(self))

    runner.BorderSecurityModel = Tracked
    try:
        for seed in range(3):
            run(short("baseline", time={"burn_in_days": 2, "horizon_days": 3}), seed)
    finally:
        runner.BorderSecurityModel = original
    gc.collect()
    assert len(created) == 3
    assert all(ref() is None for ref in created)
