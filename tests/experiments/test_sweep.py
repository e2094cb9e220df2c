"""Sweeps: sweep-file validation, designs, common seeds across points, indices, resume."""

from pathlib import Path

import pandas as pd
import pytest

from mandosim.experiments.cli import main
from mandosim.experiments.sweep import Sweep, get_path, set_path
from mandosim.model.errors import InputError
from tests.conftest import ROOT, SCENARIOS

SWEEPS = sorted((ROOT / "experiments" / "sweeps").glob("*.toml"))
SHORT = '[fixed]\n"time.burn_in_days" = 5\n'


def sweep_file(write, body: str, name: str = "s.toml") -> Path:
    return write(name, f'name = "t"\nbase = "{SCENARIOS / "baseline.toml"}"\n{body}')


@pytest.mark.parametrize("path", SWEEPS, ids=[p.stem for p in SWEEPS])
def test_shipped_sweep_files_are_valid(path):
    sweep = Sweep(path)
    assert len(sweep.points) >= 10
    assert len({s.content_hash for s in sweep.scenarios}) == len(sweep.points)


def test_shipped_sweeps_include_a_trust_vetting_grid_and_a_sobol_sweep():
    designs = {Sweep(p).spec.design: Sweep(p) for p in SWEEPS}
    assert {p.path for p in designs["grid"].spec.parameters} == {"institutions.trust_default", "events[0].rate"}
    assert len(designs["sobol"].spec.parameters) >= 6


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            'design = "grid"\nreplicate = 2\n[[parameters]]\npath = "crime.rival_pull"\nlevels = [0.1]\n',
            "replicate: unknown key; did you mean 'replicates'?",
        ),
        ('design = "factorial"\n[[parameters]]\npath = "crime.rival_pull"\nlevels = [0.1]\n', "design: value 'factorial' not allowed"),
        (
            'design = "grid"\nreplicates = 0\n[[parameters]]\npath = "crime.rival_pull"\nlevels = [0.1]\n',
            "replicates: value 0 out of range: must be >= 1",
        ),
        (
            'design = "grid"\n[[parameters]]\npath = "crime.rival_pul"\nlevels = [0.1]\n',
            "parameters[0].path: no parameter 'crime.rival_pul' in the base scenario; did you mean 'crime.rival_pull'?",
        ),
        ('design = "grid"\n[[parameters]]\npath = "crime"\nlevels = [0.1]\n', "parameters[0].path: 'crime' is a table"),
        ('design = "sobol"\n[[parameters]]\npath = "crime.rival_pull"\nlevels = [0.1]\n', "needs a range"),
        ('design = "grid"\n[[parameters]]\npath = "crime.rival_pull"\nrange = [0.1, 0.5]\n', "a grid needs levels, or range with steps"),
        (
            'design = "grid"\n[[parameters]]\npath = "operations.leak_prob"\nlevels = [0.5, 2.0]\n',
            "design point 1 (operations.leak_prob = 2.0) is not a valid scenario: operations.leak_prob: value 2.0 out of range",
        ),
        (
            'design = "grid"\noutcomes = ["happiness"]\n[[parameters]]\npath = "crime.rival_pull"\nlevels = [0.1]\n',
            "outcomes[0]: value 'happiness' not allowed",
        ),
        (
            'design = "grid"\n[fixed]\n"command.regim" = "unified"\n[[parameters]]\npath = "crime.rival_pull"\nlevels = [0.1]\n',
            "fixed.command.regim: no parameter",
        ),
        ('design = "grid"\n[[parameters]\n', "TOML syntax error"),
    ],
)
def test_malformed_sweep_files_get_one_line_errors(write, body, expected):
    path = sweep_file(write, body)
    with pytest.raises(InputError) as info:
        Sweep(path)
    message = str(info.value)
    assert message.startswith(str(path))
    assert "\n" not in message
    assert expected in message


def test_missing_base_is_named(write):
    path = write("b.toml", 'name = "t"\nbase = "nowhere"\ndesign = "grid"\n[[parameters]]\npath = "crime.rival_pull"\nlevels = [0.1]\n')
    with pytest.raises(InputError, match=r"b\.toml: base: file not found: nowhere\.toml; shipped scenario files: baseline"):
        Sweep(path)


def test_cli_bad_sweep_exits_2_and_writes_nothing(write, tmp_path, capsys):
    path = sweep_file(write, 'design = "grid"\n[[parameters]]\npath = "crime.rival_pul"\nlevels = [0.1]\n')
    assert main(["sweep", str(path), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_paths_reach_into_events():
    data = {"events": [{"rate": 0.1}], "crime": {"x": 1}}
    set_path(data, "events[0].rate", 0.5)
    assert get_path(data, "events[0].rate") == 0.5
    with pytest.raises(KeyError):
        get_path(data, "events[1].rate")


def test_grid_sweep_runs_with_common_seeds_and_resumes(write, tmp_path, capsys):
    path = sweep_file(
        write,
        'design = "grid"\nreplicates = 2\ndays = 5\nunits = ["region", "tijuana"]\n' + SHORT
        + '[[parameters]]\npath = "crime.contest_multiplier"\nlevels = [0.5, 3.0]\n'
        + '[[parameters]]\npath = "operations.unit_size"\nlevels = [20, 30]\n',
    )  # fmt: skip
    out = tmp_path / "grid"
    assert main(["sweep", str(path), "--out", str(out), "--quiet", "--jobs", "2"]) == 0
    design = pd.read_csv(out / "design.csv")
    assert len(design) == 4
    assert design["operations.unit_size"].dtype.kind == "i"
    runs = pd.read_parquet(out / "runs")
    assert runs.groupby("point").seed.apply(lambda s: tuple(sorted(set(s)))).nunique() == 1  # same seeds at every point
    responses = pd.read_csv(out / "responses.csv")
    assert set(responses.unit) == {"region", "tijuana"}
    assert (out / "figures" / "response_homicides_annual_region.png").is_file()
    capsys.readouterr()
    assert main(["sweep", str(path), "--out", str(out), "--quiet", "--jobs", "2"]) == 0
    assert "resumed: 8 runs were already done, 0 run now" in capsys.readouterr().out


def test_sobol_sweep_gives_indices(write, tmp_path):
    path = sweep_file(
        write,
        'design = "sobol"\nsamples = 4\ndays = 5\n' + SHORT
        + '[[parameters]]\npath = "crime.civilian_kill_rate"\nrange = [2e-4, 2e-3]\n'
        + '[[parameters]]\npath = "visibility.conceal_extra"\nrange = [0.0, 0.6]\n',
    )  # fmt: skip
    out = tmp_path / "sobol"
    assert main(["sweep", str(path), "--out", str(out), "--quiet", "--jobs", "2"]) == 0
    indices = pd.read_csv(out / "indices.csv")
    assert {"S1", "S1_conf", "ST", "ST_conf"} <= set(indices.columns)
    region = indices[(indices.unit == "region") & (indices.outcome == "homicides_annual")].set_index("parameter")
    assert region.loc["crime.civilian_kill_rate", "ST"] > region.loc["visibility.conceal_extra", "ST"]
    assert (out / "figures" / "sensitivity_homicides_annual_region.svg").is_file()


def test_morris_sweep_gives_indices(write, tmp_path):
    path = sweep_file(
        write,
        'design = "morris"\nsamples = 3\ndays = 5\n' + SHORT
        + '[[parameters]]\npath = "crime.civilian_kill_rate"\nrange = [2e-4, 2e-3]\n'
        + '[[parameters]]\npath = "visibility.conceal_extra"\nrange = [0.0, 0.6]\n',
    )  # fmt: skip
    out = tmp_path / "morris"
    assert main(["sweep", str(path), "--out", str(out), "--quiet", "--jobs", "1"]) == 0
    indices = pd.read_csv(out / "indices.csv")
    assert {"mu_star", "sigma"} <= set(indices.columns)


@pytest.mark.parametrize("design", ["sobol", "morris"])
def test_indices_need_at_least_two_samples(write, design):
    path = sweep_file(write, f'design = "{design}"\nsamples = 1\n[[parameters]]\npath = "crime.rival_pull"\nrange = [0.0, 1.0]\n')
    with pytest.raises(InputError, match=rf"samples: {design} needs at least 2"):
        Sweep(path)


@pytest.mark.parametrize("reference", ["{private}", "../private/notes.cfg", "notes", "{private_toml}"])
def test_a_base_outside_the_allowed_folders_is_refused_unopened(tmp_path, write, monkeypatch, reference):
    """A sweep's ``base`` is confined like a scenario's ``extends``: relative to the sweep file, never echoing what it names."""
    private = tmp_path / "private"
    private.mkdir()
    (private / "notes.cfg").write_text('name = "TOP-SECRET-CANARY-42"\n')
    (private / "notes.toml").write_text('name = "TOP-SECRET-CANARY-42"\n')
    monkeypatch.chdir(private)  # a reference must not be found relative to the working directory
    reference = reference.format(private=private / "notes.cfg", private_toml=private / "notes.toml")
    path = write(
        "sweeps/s.toml", f'name = "t"\nbase = "{reference}"\ndesign = "grid"\n[[parameters]]\npath = "crime.rival_pull"\nlevels = [0.1]\n'
    )
    with pytest.raises(InputError) as caught:
        Sweep(path)
    assert str(caught.value).startswith(f"{path.resolve()}: base: ")
    assert "CANARY" not in str(caught.value)


def test_a_sweep_of_one_replicate_draws_its_figures_without_intervals(write, tmp_path, capsys):
    body = 'design = "grid"\nreplicates = 1\ndays = 2\n[[parameters]]\npath = "crime.rival_pull"\nlevels = [0.1, 0.3]\n'
    path = sweep_file(write, body + '[[parameters]]\npath = "operations.leak_prob"\nlevels = [0.1, 0.5]\n' + SHORT, "s1.toml")
    out = tmp_path / "one"
    assert main(["sweep", str(path), "--out", str(out), "--jobs", "1", "--quiet"]) == 0
    assert any(p.name.startswith("response_") and p.suffix == ".png" for p in (out / "figures").iterdir())


@pytest.mark.parametrize(("body", "key"), [('replicates = "2"\n', "replicates"), ("seed = true\n", "seed"), ("days = 3.0\n", "days")])
def test_sweep_types_are_checked_not_coerced(write, body, key):
    path = sweep_file(write, body + 'design = "grid"\n[[parameters]]\npath = "crime.rival_pull"\nlevels = [0.1]\n', "t.toml")
    with pytest.raises(InputError, match=rf": {key}: wrong type"):
        Sweep(path)
