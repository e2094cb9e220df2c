"""Explain: a policy's effect decomposed into channels, and the sweep contrast behind its Sobol analysis."""

import numpy as np
import pandas as pd
import pytest

from mandosim.experiments.cli import main
from mandosim.experiments.explain import decompose
from mandosim.experiments.sweep import Sweep, responses, run_sweep
from tests.conftest import SCENARIOS


def synthetic_runs(effects: dict[str, np.ndarray], level: float = 100.0) -> pd.DataFrame:
    rows = []
    for label, effect in effects.items():
        for k, value in enumerate(effect):
            rows.append({"scenario": f"ref__{label}", "replicate": k, "unit": "z", "homicides_annual": level})
            rows.append({"scenario": f"pol__{label}", "replicate": k, "unit": "z", "homicides_annual": level + value})
    return pd.DataFrame(rows)


def test_contributions_are_what_disappears_without_each_channel():
    total = np.array([-10.0, -12.0, -8.0, -10.0])
    runs = synthetic_runs({"all": total, "no_a": total + 6.0, "no_b": total + 1.0})
    table = decompose(runs, "ref", "pol", ("a", "b"), ["z"]).table.set_index("part")
    assert table.loc["total effect", "homicides_per_year"] == pytest.approx(-10.0)
    assert table.loc["a", "homicides_per_year"] == pytest.approx(-6.0)
    assert table.loc["b", "homicides_per_year"] == pytest.approx(-1.0)
    assert table.loc["interaction (total − Σ channels)", "homicides_per_year"] == pytest.approx(-3.0)
    assert table.loc["a", "share_of_total"] == pytest.approx(0.6)
    assert table.loc["a", "pct_of_reference"] == pytest.approx(-6.0)


def test_explain_command_writes_the_decomposition(tmp_path, capsys):
    out = tmp_path / "explain"
    args = ["explain", "baseline", "unified_command", "--reps", "2", "--days", "15", "--channels", "jurisdiction,learning"]
    assert main([*args, "--out", str(out), "--quiet", "--jobs", "2"]) == 0
    table = pd.read_csv(out / "explain.csv")
    assert list(table["part"]) == ["total effect", "jurisdiction", "learning", "interaction (total − Σ channels)"]
    assert (out / "explain.png").is_file() and (out / "explain.md").is_file()
    assert "unified_command vs baseline" in capsys.readouterr().out


def test_explain_refuses_an_unknown_channel(capsys):
    assert main(["explain", "baseline", "unified_command", "--channels", "telepathy"]) == 2
    assert "--channels: unknown channel 'telepathy'" in capsys.readouterr().err


def test_a_sweep_contrast_gives_paired_effects(write, tmp_path):
    body = (
        f'name = "c"\nbase = "{SCENARIOS / "baseline.toml"}"\ndesign = "grid"\nreplicates = 2\ndays = 10\n'
        'outcomes = ["homicides_annual"]\nunits = ["region"]\n[fixed]\n"time.burn_in_days" = 5\n'
        '[contrast]\n"command.regime" = "fragmented"\n'
        '[[parameters]]\npath = "crime.rival_pull"\nlevels = [0.2, 0.6]\n'
    )
    sweep = Sweep(write("c.toml", body))
    assert len(sweep.tasks()) == 2 * 2 * 2
    run_sweep(sweep, tmp_path / "c", 1, ["test"], quiet=True)
    table = responses(tmp_path / "c")
    assert (table["mean"] == 0.0).all()  # the contrast arm is the base arm: every paired effect is exactly 0


def test_failure_levers_have_at_least_three_levels_each():
    from mandosim.experiments.explain import failure_levers
    from mandosim.model.scenario import load_scenario

    levers = failure_levers(load_scenario(SCENARIOS / "coordination_failure.toml"))
    assert set(levers) == {"trust of the listed pairs", "collusion (× every agency's)", "operations.leak_prob", "command.obstruction_prob"}
    assert all(len(levels) >= 3 for levels in levers.values())


def test_channels_page_collects_decompositions_and_indices(tmp_path):
    from mandosim.experiments.explain import write_channels_page

    explained = tmp_path / "explain_x"
    explained.mkdir()
    (explained / "explain.md").write_text("### x vs y\n")
    (explained / "explain.png").write_bytes(b"png")
    parts = {"part": ["total effect", "a"], "pct_of_reference": [-5.0, -4.0], "pct_ci_low": [-8.0, -6.0], "pct_ci_high": [-2.0, 1.0]}
    pd.DataFrame(parts).to_csv(explained / "explain.csv", index=False)
    sobol = tmp_path / "sobol"
    (sobol / "figures").mkdir(parents=True)
    pd.DataFrame({"unit": ["region"], "parameter": ["a"], "S1": [0.5], "S1_conf": [0.1], "ST": [0.6], "ST_conf": [0.1]}).to_csv(
        sobol / "indices.csv", index=False
    )
    responses = {"unit": ["region", "region"], "point": [0, 1], "mean": [-3.0, 1.0], "ci_half": [1.0, 1.0], "replicates": [2, 2]}
    pd.DataFrame(responses).to_csv(sobol / "responses.csv", index=False)
    page = write_channels_page(tmp_path / "docs" / "channels.md", [explained], sobol)
    text = page.read_text()
    assert "### x vs y" in text and "| region | a | 0.50 ± 0.10 | 0.60 ± 0.10 |" in text
    assert "-5.0 % (-8.0 to -2.0), is distinguishable from zero" in text and "a -4.0 %" not in text
    assert (tmp_path / "docs" / "channels" / "explain_x" / "explain.png").is_file()
