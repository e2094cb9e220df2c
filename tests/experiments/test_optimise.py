"""Robust policy search: the Pareto front, robust scores, resume, scenario files, and Dask = local pool."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mandosim.experiments.cli import main
from mandosim.experiments.optimise import pareto_front, robust
from mandosim.experiments.study import Optimisation, Outcome
from mandosim.model.scenario import load_scenario

STUDY = """name = "tinyopt"
base = "vetting"
seed = 3
days = 30
replicates = 1
[fixed]
"command.area" = ["mexicali_valley", "san_luis_rio_colorado"]
"time.burn_in_days" = 20
[[uncertainties]]
path = "crime.killing_deterrence_half_officers"
range = [3.0, 60.0]
[[levers]]
path = "command.regime"
levels = ["fragmented", "coordinated", "unified"]
[[levers]]
path = "agencies.guardia_nacional.officers.mexicali_valley"
range = [100.0, 1000.0]
[optimise]
outcomes = [{ metric = "homicides_annual", unit = "mexicali_valley" }, { metric = "officer_days", unit = "region" }]
ensemble = 2
population = 4
generations = 2
"""


def test_pareto_front_keeps_exactly_the_undominated():
    scores = np.array([[1.0, 5.0], [2.0, 2.0], [3.0, 3.0], [5.0, 1.0], [1.0, 5.0 + 1e-13]])
    assert pareto_front(scores).tolist() == [True, True, False, True, True]  # equal within rounding: both kept


def test_robustness_statistics():
    values = np.arange(1.0, 11.0)
    spec = Optimisation(outcomes=[Outcome(metric="homicides_annual")], robustness="percentile", percentile=90)
    assert robust(values, spec) == pytest.approx(np.percentile(values, 90))
    assert robust(values, spec.model_copy(update={"robustness": "worst"})) == 10.0
    assert robust(values, spec.model_copy(update={"robustness": "mean"})) == 5.5


def test_optimise_runs_resumes_and_writes_loadable_policies(tmp_path, capsys):
    study = tmp_path / "tinyopt.toml"
    study.write_text(STUDY)
    out = tmp_path / "opt"
    assert main(["optimise", str(study), "--out", str(out), "--jobs", "2", "--quiet"]) == 0
    first = capsys.readouterr().out
    assert "Pareto set:" in first
    table = pd.read_csv(out / "policies.csv")
    assert len(table) == 8 and table["pareto"].any()
    assert table["officer_days@region:percentile"].nunique() > 1, "the Guard lever must change the cost"
    files = sorted((out / "policies").glob("*.toml"))
    assert len(files) == table["pareto"].sum()
    loaded = load_scenario(files[0])
    row = table[table["policy"] == files[0].stem.removeprefix("tinyopt_")].iloc[0]
    assert loaded.scenario.command.regime == row["command.regime"]
    assert loaded.scenario.agencies["guardia_nacional"].officers["mexicali_valley"] == pytest.approx(
        row["agencies.guardia_nacional.officers.mexicali_valley"]
    )
    assert (out / "figures" / "pareto.png").is_file()
    assert main(["optimise", str(study), "--out", str(out), "--jobs", "1", "--quiet"]) == 0
    assert "resumed: 16 runs were already done, 0 run now" in capsys.readouterr().out
    pd.testing.assert_frame_equal(pd.read_csv(out / "policies.csv"), table)


def test_study_without_levers_or_section_is_refused(tmp_path, capsys):
    study = tmp_path / "nolevers.toml"
    study.write_text(STUDY.replace("[[levers]]", "[[unused]]"))
    assert main(["optimise", str(study)]) == 2
    assert "unused" in capsys.readouterr().err


def _parts(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.glob("*/*.parquet"))}


def test_dask_local_gives_the_local_pools_results(tmp_path):
    pytest.importorskip("distributed", reason="needs the dask extra")
    from tests.experiments.test_discover import study_file

    study = tmp_path / "tinyopt.toml"
    study.write_text(STUDY)
    for executor in ("local", "dask-local"):
        assert main(["optimise", str(study), "--out", str(tmp_path / f"opt_{executor}"), "--executor", executor, "--quiet"]) == 0
    assert _parts(tmp_path / "opt_local") == _parts(tmp_path / "opt_dask-local")
    pd.testing.assert_frame_equal(
        pd.read_csv(tmp_path / "opt_local" / "policies.csv"), pd.read_csv(tmp_path / "opt_dask-local" / "policies.csv")
    )
    discover = study_file(tmp_path)
    for executor in ("local", "dask-local"):
        assert main(["discover", discover, "--out", str(tmp_path / f"disc_{executor}"), "--executor", executor, "--quiet"]) == 0
    assert _parts(tmp_path / "disc_local") == _parts(tmp_path / "disc_dask-local")
    assert (tmp_path / "disc_local" / "summary.md").read_text() == (tmp_path / "disc_dask-local" / "summary.md").read_text()


def test_a_search_killed_in_its_second_generation_resumes_to_the_uninterrupted_result(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    study = tmp_path / "tinyopt.toml"
    study.write_text(STUDY.replace("days = 30", "days = 60"))
    clean = tmp_path / "clean"
    assert main(["optimise", str(study), "--out", str(clean), "--jobs", "2", "--quiet"]) == 0
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "mandosim.experiments.cli", "optimise", str(study), "--jobs", "2", "--quiet", "--out", str(out)]
    proc = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600  # a generation is 8 runs: kill once the second has begun
    while len(list((out / "runs").glob("*.parquet"))) < 10 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = {p.name: p.stat().st_mtime_ns for p in (out / "runs").glob("*.parquet")}
    assert 10 <= len(finished) < 16, "the kill should land in the second generation"
    rerun = subprocess.run(command, capture_output=True, text=True, check=False)
    assert rerun.returncode == 0, rerun.stderr
    after = {p.name: p.stat().st_mtime_ns for p in (out / "runs").glob("*.parquet")}
    assert len(after) == 16 and all(after[name] == mtime for name, mtime in finished.items()), "finished runs were redone"
    pd.testing.assert_frame_equal(pd.read_csv(out / "policies.csv"), pd.read_csv(clean / "policies.csv"))


def test_sizes_from_the_command_line_and_one_setting_listed_once(tmp_path, capsys):
    """--population/--generations/--ensemble override the study; a setting proposed twice is on the front once."""
    study = tmp_path / "tinyopt.toml"
    numeric_lever = '[[levers]]\npath = "agencies.guardia_nacional.officers.mexicali_valley"\nrange = [100.0, 1000.0]\n'
    study.write_text(STUDY.replace(numeric_lever, ""))
    out = tmp_path / "opt"
    args = ["optimise", str(study), "--out", str(out), "--jobs", "2", "--quiet"]
    assert main([*args, "--population", "6", "--generations", "1", "--ensemble", "1"]) == 0
    table = pd.read_csv(out / "policies.csv", keep_default_na=False)
    assert len(table) == 6  # six policies, one generation (the file says 4 × 2)
    assert table["command.regime"].nunique() < 6, "three regimes among six policies: some repeat"
    repeated = table[table["same_as"] != ""]
    assert len(repeated) == 6 - table["command.regime"].nunique() and not repeated["pareto"].any()
    front = table[table["pareto"]]
    assert front["command.regime"].is_unique
    capsys.readouterr()
    assert main([*args, "--population", "2", "--force"]) == 2
    err = capsys.readouterr().err.strip()
    assert "optimise.population" in err and "\n" not in err
