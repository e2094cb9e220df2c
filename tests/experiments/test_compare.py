"""`mandosim compare`: common random numbers, paired effects, outputs."""

import numpy as np
import pandas as pd

from mandosim.experiments.analysis import paired_effects
from mandosim.experiments.cli import main
from tests.conftest import SCENARIOS

SHORT = "[time]\nburn_in_days = 5\nhorizon_days = 15\n"


def test_identical_scenarios_differ_by_exactly_zero(tmp_path, write):
    a = write("a.toml", f'extends = "{SCENARIOS / "baseline.toml"}"\nname = "a"\n{SHORT}')
    b = write("b.toml", f'extends = "{SCENARIOS / "baseline.toml"}"\nname = "b"\n{SHORT}')
    c = write("c.toml", f'extends = "{SCENARIOS / "unified_command.toml"}"\nname = "c"\n{SHORT}')
    out = tmp_path / "cmp"
    assert main(["compare", str(a), str(b), str(c), "--reps", "3", "--jobs", "2", "--out", str(out), "--quiet"]) == 0
    for name in ("manifest.json", "effects.csv", "effects.md", "figures/effects_homicides.png", "figures/effects_disappearances.svg"):
        assert (out / name).is_file(), name
    effects = pd.read_csv(out / "effects.csv")
    same = effects[effects.scenario == "b"]
    assert (same.difference == 0).all()  # same seeds, same content → same luck, replicate by replicate
    assert (same.ci_low == 0).all()
    assert (effects[effects.scenario == "c"].difference != 0).any()
    runs = pd.read_parquet(out / "runs")
    assert runs.groupby("scenario").seed.apply(lambda s: tuple(sorted(set(s)))).nunique() == 1  # shared seeds
    assert list(runs[runs.scenario == "a"].unit.iloc[:2]) == ["mexicali_city", "tijuana"]  # region order


def test_paired_effects_interval():
    runs = pd.DataFrame(
        {
            "scenario": ["r"] * 4 + ["s"] * 4,
            "replicate": [0, 1, 2, 3] * 2,
            "unit": ["z"] * 8,
            "y": [10.0, 12.0, 11.0, 13.0, 12.0, 13.0, 13.0, 16.0],
        }
    )
    row = paired_effects(runs, ["y"], "r").iloc[0]
    assert row.difference == 2.0  # differences 2, 1, 2, 3
    assert row.ci_low < 2.0 < row.ci_high
    assert row.relative_change_pct == 2.0 / 11.5 * 100


def test_bad_reps_and_reference_exit_2(tmp_path, capsys):
    assert main(["compare", "baseline", "--reps", "1", "--out", str(tmp_path / "x")]) == 2
    assert "--reps" in capsys.readouterr().err
    assert main(["compare", "baseline", "unified_command", "--reference", "atlantis", "--out", str(tmp_path / "x")]) == 2
    assert not (tmp_path / "x").exists()


def test_the_ratio_interval_covers_the_true_change_where_dividing_by_the_reference_mean_does_not():
    """Fieller's interval counts the reference's own noise: 95 % coverage, where the naive one falls short."""
    from mandosim.experiments.analysis import ratio_interval, t_interval

    rng = np.random.default_rng(7)
    n, trials, truth = 6, 4000, 0.2  # few replicates, a noisy reference level, a precisely paired change
    fieller = naive = 0
    for _ in range(trials):
        reference = 100 + rng.normal(0, 30, n)
        change = 100 * truth + rng.normal(0, 2, n)
        low, high = ratio_interval(change, reference)
        fieller += low <= truth <= high
        _, d_low, d_high = t_interval(change)
        naive += d_low / reference.mean() <= truth <= d_high / reference.mean()
    assert 0.93 <= fieller / trials <= 0.97, fieller / trials
    assert naive / trials < 0.93, naive / trials


def test_the_ratio_interval_is_unbounded_when_the_reference_may_be_zero():
    from mandosim.experiments.analysis import ratio_interval

    low, high = ratio_interval(np.array([1.0, 2.0, 1.5]), np.array([-1.0, 1.0, 0.5]))
    assert low == -np.inf and high == np.inf
