"""Calibration recovers parameters from series the model itself generated, and rejects bad input."""

import numpy as np
import pytest

from experiments.calibration import Calibration, horizon_totals, read_observed
from experiments.cli import main
from experiments.executors import Task
from experiments.store import RunKey
from model.errors import InputError
from model.params import CrimeParams, VisibilityParams
from model.rng import replicate_seeds
from model.scenario import load_scenario

KILL_RATE, CONCEAL = CrimeParams().civilian_kill_rate, VisibilityParams().conceal_base  # the defaults
TRUTH = {"crime.civilian_kill_rate": 1.3 * KILL_RATE, "visibility.conceal_base": 0.8 * CONCEAL}
TOLERANCE = 0.10  # stated before the run: each fitted value within 10 % of the truth


def short_scenario(tmp_path, **overrides):
    lines = [
        'name = "short"',
        'extends = "{}"'.format((__import__("model.scenario", fromlist=["x"]).default_scenarios_dir() / "baseline.toml").as_posix()),
    ]
    lines += ["[time]", "burn_in_days = 30", "horizon_days = 180"]
    path = tmp_path / "short.toml"
    path.write_text("\n".join(lines) + "\n")
    return load_scenario(path)


def synthetic_observed(tmp_path, loaded, truth, seeds):
    """Observed CSV of year 2030 made by the model at ``truth`` (mean of ``seeds`` runs)."""
    calibration = Calibration(loaded, write_rows(tmp_path / "probe.csv", [("2030", "BC", 1, 1)]), list(truth))
    scenario = calibration.scenario_with(truth)
    totals = np.mean([horizon_totals(Task(RunKey("truth", 0, k), scenario, s)) for k, s in enumerate(seeds)], axis=0)
    zones = calibration.zone_names
    bc = [zones.index(z) for z in zones if z != "san_luis_rio_colorado"]
    rows = [
        ("2030", "BC", totals[bc, 0].sum(), totals[bc, 1].sum()),
        ("2030", "tijuana", totals[zones.index("tijuana"), 0], totals[zones.index("tijuana"), 1]),
        ("2030", "san_luis_rio_colorado", totals[zones.index("san_luis_rio_colorado"), 0], ""),
    ]
    return write_rows(tmp_path / "observed.csv", rows)


def write_rows(path, rows):
    path.write_text("date,zone,homicides,disappearances\n" + "".join(f"{d},{z},{h},{x}\n" for d, z, h, x in rows))
    return path


def test_calibration_recovers_known_parameters(tmp_path):
    """Series made at known values with the fit's own seeds are fitted back: this checks the search.

    With other seeds, six replicates leave ~4 % sampling noise on half a year of BC disappearances,
    which moves the concealment fit by about as much as the tolerance.
    """
    loaded = short_scenario(tmp_path)
    observed = synthetic_observed(tmp_path, loaded, TRUTH, replicate_seeds(1, 6))
    calibration = Calibration(loaded, observed, list(TRUTH), reps=6, seed=1, jobs=2)
    assert calibration.initial == {"crime.civilian_kill_rate": KILL_RATE, "visibility.conceal_base": CONCEAL}
    result = calibration.fit(max_evaluations=40)
    print({name: (result.fitted[name], true) for name, true in TRUTH.items()}, len(result.history))
    for name, true in TRUTH.items():
        assert abs(result.fitted[name] / true - 1) < TOLERANCE, (name, result.fitted[name], true)
    assert result.best.objective < result.first.objective


def test_calibrate_command_writes_a_fitted_scenario_that_loads(tmp_path, capsys):
    loaded = short_scenario(tmp_path)
    observed = write_rows(tmp_path / "obs.csv", [("2024", "BC", 2450, 810), ("2024", "mexicali_city+mexicali_valley", 221, "")])
    out = tmp_path / "cal"
    args = ["calibrate", str(loaded.path), "--observed", str(observed), "--params", "crime.civilian_kill_rate"]
    assert main([*args, "--reps", "2", "--max-evaluations", "3", "--jobs", "1", "--out", str(out), "--quiet"]) == 0
    assert {p.name for p in out.iterdir()} >= {"fitted.toml", "calibration.csv", "fit.png", "fit.svg"}
    fitted = load_scenario(out / "fitted.toml")
    assert fitted.scenario.time.horizon_days == 180  # it extends the calibrated scenario
    assert "crime.civilian_kill_rate" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("rows", "needle"),
    [
        ([("2024", "atlantis", 1, "")], "unknown zone 'atlantis'"),
        ([("20x4", "BC", 1, "")], "not a year"),
        ([("2024", "BC", -3, "")], "not a non-negative number"),
    ],
)
def test_bad_observed_files_fail_with_the_row_and_column(tmp_path, rows, needle):
    path = write_rows(tmp_path / "bad.csv", rows)
    with pytest.raises(InputError, match=needle) as error:
        read_observed(path, ["tijuana", "mexicali_city"], ["BC", "SON"])
    assert error.value.key.startswith("row 2.")


def test_calibrate_rejects_unknown_parameters_with_a_suggestion(tmp_path, capsys):
    args = ["calibrate", "baseline", "--observed", "scenarios/observed/annual.csv", "--params", "crime.civilian_kil_rate"]
    assert main([*args, "--out", str(tmp_path / "x")]) == 2
    assert "did you mean 'crime.civilian_kill_rate'" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
