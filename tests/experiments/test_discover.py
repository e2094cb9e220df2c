"""Scenario discovery: PRIM recovers a planted box; ``mandosim discover`` runs, resumes and explains."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mandosim.experiments.cli import main
from mandosim.experiments.discover import find_box, summary
from mandosim.experiments.study import Discovery, Outcome
from tests.conftest import SCENARIOS

PLANTED = {"deterrence": ("high", 0.3), "collusion": ("low", 0.6)}  # effect when deterrence < 0.3 and collusion > 0.6


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_prim_recovers_a_planted_box_within_ten_percent_of_each_limit(seed):
    rng = np.random.default_rng(seed)
    draws = 200
    x = pd.DataFrame(rng.random((draws, 5)), columns=["deterrence", "collusion", "learning", "leaks", "pursuit"])
    planted = (x["deterrence"] < 0.3) & (x["collusion"] > 0.6)
    effect = np.where(planted, -0.25, 0.0) + rng.normal(0, 0.04, draws)  # the policy works only inside the box
    bounds = dict.fromkeys(x.columns, (0.0, 1.0))
    box, _ = find_box(x, effect <= -0.10, bounds)
    limits = box.limits.set_index("parameter")
    assert set(limits.index) == {"deterrence", "collusion"}, limits
    assert abs(limits.loc["deterrence", "high"] - 0.3) <= 0.1 and limits.loc["deterrence", "low"] == 0.0
    assert abs(limits.loc["collusion", "low"] - 0.6) <= 0.1 and limits.loc["collusion", "high"] == 1.0
    assert box.coverage >= 0.8 and box.density >= 0.8
    spec = Discovery(policy={"command.regime": "unified"}, outcome=Outcome(metric="homicides_annual", unit="mexicali_valley"),
                     threshold=-0.10, label="the unified command")  # fmt: skip
    text = summary(spec, box)
    assert "deterrence is below 0.3" in text or "deterrence is below 0.2" in text
    assert "collusion is above 0.6" in text or "collusion is above 0.5" in text
    assert text.startswith("The unified command lowers homicides annual in mexicali_valley by at least 10 % when")


def test_no_case_or_all_cases_is_a_clear_error():
    x = pd.DataFrame({"a": np.linspace(0, 1, 20)})
    with pytest.raises(Exception, match="nothing to explain"):
        find_box(x, np.zeros(20, dtype=bool))


def study_file(tmp_path, **changes) -> str:
    text = (
        'name = "tiny"\nbase = "baseline"\nseed = 3\ndays = 30\nreplicates = 1\n'
        '[fixed]\n"command.area" = ["mexicali_valley", "san_luis_rio_colorado"]\n"time.burn_in_days" = 20\n'
        '[[uncertainties]]\npath = "crime.killing_deterrence_half_officers"\nrange = [3.0, 60.0]\n'
        '[[uncertainties]]\npath = "operations.leak_prob"\nrange = [0.1, 0.9]\n'
        '[discover]\npolicy = { "command.regime" = "unified" }\noutcome = { metric = "homicides_annual", unit = "region" }\n'
        "threshold = 0.0\nsamples = 12\n"
    )
    for old, new in changes.items():
        text = text.replace(old, new)
    path = tmp_path / "tiny.toml"
    path.write_text(text)
    return str(path)


def test_discover_runs_resumes_and_writes_its_tables(tmp_path, capsys):
    study = study_file(tmp_path)
    out = tmp_path / "out"
    assert main(["discover", study, "--out", str(out), "--jobs", "2", "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "of 12 draws" in printed
    for name in ("summary.md", "effects.csv", "prim_box.csv", "prim_trajectory.csv", "cart_boxes.csv", "figures/prim_trajectory.png"):
        assert (out / name).is_file(), name
    effects = pd.read_csv(out / "effects.csv")
    assert len(effects) == 12 and effects["of_interest"].any() and not effects["of_interest"].all()
    assert main(["discover", study, "--out", str(out), "--jobs", "1", "--quiet"]) == 0
    assert "resumed: 24 runs were already done, 0 run now" in capsys.readouterr().out
    pd.testing.assert_frame_equal(pd.read_csv(out / "effects.csv"), effects)
    reanalysed = study_file(tmp_path, **{"threshold = 0.0": "threshold = -0.05", 'unit = "region"': 'unit = "tijuana"'})
    assert main(["discover", reanalysed, "--out", str(out), "--jobs", "1", "--quiet"]) == 0  # a new question of the same runs
    assert "resumed: 24 runs were already done, 0 run now" in capsys.readouterr().out
    assert "tijuana by at least 5 %" in (out / "summary.md").read_text()


def test_discover_refuses_bad_studies_in_one_line(tmp_path, capsys):
    bad = study_file(tmp_path, **{"operations.leak_prob": "operations.leak_prb"})
    assert main(["discover", bad]) == 2
    err = capsys.readouterr().err
    assert "uncertainties[1].path" in err and "did you mean 'operations.leak_prob'" in err and "Traceback" not in err
    none = study_file(
        tmp_path, **{"[discover]": "[unused]", "policy = ": "x = ", "outcome = ": "y = ", "threshold = 0.0\nsamples = 12\n": ""}
    )
    assert main(["discover", none]) == 2
    assert "unused" in capsys.readouterr().err


def test_shipped_study_loads():
    from mandosim.experiments.study import Study

    study = Study("corridor")
    assert study.spec.discover is not None and study.spec.optimise is not None
    assert study.base.path.parent == SCENARIOS.resolve()


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"range = [0.1, 0.9]": "range = [0.1, 1.5]"}, "uncertainties[1].range"),
        ({'"command.regime" = "unified"': '"command.regime" = "martial"'}, "discover.policy.command.regime"),
        ({'"command.regime" = "unified"': '"channels.rifts" = "no"'}, "discover.policy.channels.rifts"),
    ],
)
def test_values_a_study_may_set_are_checked_when_it_loads(tmp_path, change, key):
    from mandosim.experiments.study import Study
    from mandosim.model.errors import InputError

    with pytest.raises(InputError) as caught:
        Study(study_file(tmp_path, **change))
    assert f": {key}: " in str(caught.value) and "is not allowed for" in str(caught.value)


def test_a_study_base_outside_the_allowed_folders_is_refused_unopened(tmp_path, capsys):
    private = tmp_path / "private"
    private.mkdir()
    (private / "notes.cfg").write_text('name = "TOP-SECRET-CANARY-42"\n')
    study = tmp_path / "studies"
    study.mkdir()
    bad = study_file(study, **{'base = "baseline"': f'base = "{private / "notes.cfg"}"'})
    for command in ("discover", "optimise"):
        assert main([command, bad, "--quiet"]) == 2
        err = capsys.readouterr().err.strip()
        assert ": base: " in err and "CANARY" not in err and "\n" not in err


def test_too_few_cases_are_explained_in_words():
    from mandosim.experiments.discover import Box

    spec = Discovery(policy={"command.regime": "unified"}, outcome=Outcome(metric="homicides_annual"), threshold=-0.1, samples=12)
    empty = pd.DataFrame(columns=["parameter", "low", "high", "range_low", "range_high", "qp_low", "qp_high"])
    box = Box(limits=empty, coverage=1.0, density=0.17, mass=1.0, cases=(2, 12), trajectory=pd.DataFrame(), chosen=0)
    text = summary(spec, box)
    assert "in 2 of 12 draws" in text and "With 2 draws on one side of the threshold" in text and "--samples" in text
    assert "Empty DataFrame" not in text
