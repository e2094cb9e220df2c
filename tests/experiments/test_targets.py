"""Calibration targets per zone, and pattern verdicts that come from the runs."""

import numpy as np

from mandosim.experiments.patterns import HOMICIDES, MEMBERS, _p4, _p9, zone_levels
from mandosim.experiments.targets import LEVEL_FACTOR, ZONE_TARGETS, within_level
from mandosim.model.metrics import ZONE_METRICS
from mandosim.model.scenario import find_scenario, load_scenario


def test_every_zone_has_one_target_with_its_source():
    region = load_scenario(find_scenario("baseline")).region()
    assert sorted(t.zone for t in ZONE_TARGETS) == sorted(region.zone_names)
    for target in ZONE_TARGETS:
        assert target.homicides > 0 and target.source
        assert target.flagged == (target.year != 2023 or bool(target.derivation))
    assert within_level(150, 100) and within_level(67, 100) and not within_level(151, 100) and not within_level(66, 100)


def synthetic(zones, days, per_day, members=100.0, reps=8, seed=0):
    """(reps, days, zones, metrics) series with Poisson homicides at ``per_day`` (per zone) and flat members."""
    rng = np.random.default_rng(seed)
    runs = np.zeros((reps, days, zones, len(ZONE_METRICS)))
    runs[:, :, :, HOMICIDES] = rng.poisson(per_day, size=(reps, days, zones))
    runs[:, :, :, MEMBERS] = members
    return runs


ZONES = {name: i for i, name in enumerate(t.zone for t in ZONE_TARGETS)}


def test_zone_levels_judge_each_zone_against_its_target():
    per_day = np.array([t.homicides for t in ZONE_TARGETS]) / 365
    on_target = zone_levels(synthetic(len(ZONES), 365, per_day), ZONES)
    assert on_target.passed and all(r["within"] for r in on_target.plot["rows"])
    off = per_day.copy()
    off[ZONES["tecate"]] *= LEVEL_FACTOR * 1.3
    judged = zone_levels(synthetic(len(ZONES), 365, off), ZONES)
    assert not judged.passed
    assert [r["zone"] for r in judged.plot["rows"] if not r["within"]] == ["tecate"]


def test_p9_verdict_follows_the_runs():
    control = synthetic(len(ZONES), 365, 2.0)
    monopoly = synthetic(len(ZONES), 365, 0.8, seed=1)  # −60 % with the same members
    assert _p9(control, monopoly, ZONES, None).passed
    assert not _p9(control, synthetic(len(ZONES), 365, 2.0, seed=1), ZONES, None).passed  # no fall: fails


def test_p4_judges_the_published_direction_of_arrests_alone():
    control = synthetic(len(ZONES), 3 * 365, 2.0)
    fewer = synthetic(len(ZONES), 3 * 365, 1.6, seed=2)  # recruitment cut: a fall
    assert _p4(control, [synthetic(len(ZONES), 3 * 365, 2.1, seed=1), fewer], ZONES, None).passed  # arrests ×2: a rise
    assert not _p4(control, [synthetic(len(ZONES), 3 * 365, 1.96, seed=1), fewer], ZONES, None).passed  # a 2 % fall fails


LEVEL_SEEDS = 20  # the floor: the mean of at least 20 seeds


def test_baseline_zone_levels_are_within_the_calibration_tolerance():
    from mandosim.experiments.executors import Task, run_local
    from mandosim.experiments.patterns import zone_series
    from mandosim.experiments.store import RunKey
    from mandosim.model.rng import replicate_seeds

    loaded = load_scenario(find_scenario("baseline"))
    tasks = [Task(RunKey("levels", 0, k), loaded, s) for k, s in enumerate(replicate_seeds(7, LEVEL_SEEDS))]
    by_replicate = {o.key.replicate: o.tables for o in run_local(tasks, zone_series, 2, quiet=True)}
    runs = np.array([by_replicate[k] for k in range(LEVEL_SEEDS)])
    region = loaded.region()
    states = {"BC": [z for z, name in enumerate(region.zone_names) if name != "san_luis_rio_colorado"]}
    levels = zone_levels(runs, {name: i for i, name in enumerate(region.zone_names)}, states)
    assert len(levels.plot["rows"]) == len(region.zone_names) + 1
    assert levels.passed, levels.figure


def test_hindcast_rows_judge_each_published_figure_against_the_prediction_interval():
    from mandosim.experiments.hindcast import HINDCAST_TARGETS, hindcast_rows

    names = [t.zone for t in ZONE_TARGETS]
    states = ["SON" if name == "san_luis_rio_colorado" else "BC" for name in names]
    runs = synthetic(len(names), 366, 1.0, reps=20)
    runs[:, :, :, ZONE_METRICS.index("disappearances")] = 0.3
    rows = hindcast_rows(runs, names, states)
    assert [r["label"] for r in rows] == [t.label for t in HINDCAST_TARGETS]
    by_label = {r["label"]: r for r in rows}
    tijuana = by_label["Tijuana homicides, Jan–Sep"]
    assert 250 < tijuana["median"] < 300  # 274 days at one a day: the window is Jan–Sep only
    bc = by_label["Baja California homicides"]
    assert 6 * 330 < bc["median"] < 6 * 400  # six BC zones, the whole year
    assert bc["inside"] == (bc["low"] <= 2450 <= bc["high"])
    assert not by_label["San Luis Río Colorado homicides"]["inside"]  # 238 published, ~366 modelled


def test_breaking_concealment_inside_the_model_flips_p8():
    """P8's verdict comes from the runs: with the rise of concealment under pressure switched off, it fails."""
    from mandosim.experiments.patterns import run_patterns

    intact = run_patterns(6, 1, 2, only=["P8"], quiet=True)["P8"]
    broken = run_patterns(6, 1, 2, only=["P8"], quiet=True, assumptions={"visibility": {"conceal_extra": 0.0}})["P8"]
    assert intact.passed
    assert not broken.passed
