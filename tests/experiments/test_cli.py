"""The command line: `mandosim run` writes its files and prints a table; help teaches."""

import json

import pandas as pd
import pytest

from mandosim.experiments.cli import main
from tests.conftest import SCENARIOS


def test_run_writes_series_summary_plot_and_prints_a_table(tmp_path, capsys, write):
    scenario = write(
        "short.toml", f'extends = "{SCENARIOS / "baseline.toml"}"\nname = "short"\n[time]\nburn_in_days = 10\nhorizon_days = 20\n'
    )
    out = tmp_path / "out"
    assert main(["run", str(scenario), "--seed", "3", "--out", str(out), "--quiet"]) == 0
    for name in ("zones.parquet", "groups.parquet", "territory.parquet", "summary.json", "timeseries.png"):
        assert (out / name).is_file(), name
    zones = pd.read_parquet(out / "zones.parquet")
    assert set(zones.columns) >= {
        "day",
        "zone",
        "homicides",
        "disappearances",
        "extortions",
        "kidnappings",
        "arrests",
        "seizures",
        "officer_deaths",
        "member_deaths",
        "civilian_deaths",
    }
    assert zones.day.min() == -10
    assert zones.day.max() == 19
    summary = json.loads((out / "summary.json").read_text())
    assert summary["metadata"]["seed"] == 3
    assert "homicides_per_100k" in summary["zones"]["tijuana"]
    text = capsys.readouterr().out
    assert "Tijuana" in text
    assert "per 100k" in text


def test_days_flag_overrides_horizon(tmp_path):
    out = tmp_path / "o"
    assert main(["run", "baseline", "--days", "5", "--out", str(out), "--quiet"]) == 0
    assert pd.read_parquet(out / "zones.parquet").day.max() == 4


def test_unknown_scenario_is_exit_2(tmp_path, capsys):
    assert main(["run", "no_such_scenario", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "scenario file not found; shipped scenario files: baseline" in err
    assert not (tmp_path / "x").exists()


def test_help_teaches(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = capsys.readouterr().out
    assert "--seed" in text
    assert "example:" in text


BAD = {
    "unknown key": "[command]\nfoo = 1\n",
    "misspelt key": "[command]\nregim = 'unified'\n",
    "wrong type": "[operations]\nleak_prob = 'high'\n",
    "out of range": "[operations]\nleak_prob = 1.5\n",
    "missing region file": 'region = "regions/nowhere.toml"\n',
    "unknown zone in an area": "[command]\narea = ['atlantis']\n",
    "TOML syntax error": "[command\n",
}


@pytest.mark.parametrize("kind", list(BAD))
def test_every_kind_of_bad_scenario_exits_2_with_one_line_and_writes_nothing(kind, tmp_path, write, capsys):
    path = write("bad.toml", f'extends = "{SCENARIOS / "baseline.toml"}"\n' + BAD[kind])
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert str(path) in err[0]
    assert "Traceback" not in err[0]
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "compare" in capsys.readouterr().out


def test_validate_docking_writes_its_report_and_passes(tmp_path, capsys):
    out = tmp_path / "validation"
    assert main(["validate", "--docking", "--reps", "4", "--years", "1", "--out", str(out), "--quiet"]) == 0
    assert {p.name for p in out.iterdir()} >= {"docking.csv", "docking.md", "docking.png", "docking.svg"}
    assert "PASSED" in capsys.readouterr().out
    assert "## Docking" in (out / "report.md").read_text()


def test_validate_rejects_unknown_patterns_and_too_few_replicates(tmp_path, capsys):
    assert main(["validate", "--patterns", "--only", "P11", "--out", str(tmp_path / "v")]) == 2
    assert "P1, P2" in capsys.readouterr().err
    assert main(["validate", "--docking", "--reps", "1", "--out", str(tmp_path / "v")]) == 2
    assert not (tmp_path / "v").exists()


def test_validate_patterns_writes_a_report_with_verdicts_and_figures(tmp_path, capsys):
    out = tmp_path / "validation"
    code = main(["validate", "--patterns", "--only", "P5", "P9", "--reps", "3", "--jobs", "1", "--out", str(out), "--quiet"])
    report = (out / "report.md").read_text()
    assert code == 0  # verification (P5 here) passes; a validation failure is reported, not an error
    assert "### P5" in report and "### P9" in report and "### P1:" not in report
    assert (out / "figures" / "P5.png").is_file() and (out / "figures" / "P9.png").is_file()
    assert "tolerance" in report.lower()
    sections = ["## 1. Verification", "## 2. Calibration", "## 3. Validation"]
    assert all(section in report for section in sections)
    assert report.index("### P5") < report.index("## 2. Calibration") < report.index("### Zone levels") < report.index("### P9")
    assert "patterns no parameter was set against pass (P9" in report  # the headline counts validation only


def test_patterns_fitted_to_a_parameter_count_as_calibration():
    from mandosim.experiments.patterns import FITTED, PATTERNS
    from mandosim.model.params import parameter_table

    names = {row["name"] for row in parameter_table()}
    assert all(name in names for fitted in FITTED.values() for name in fitted)
    assert set(FITTED) <= {p.id for p in PATTERNS}


def test_no_default_cites_a_validation_pattern():
    """A pattern a default's source cites is calibration or verification in the report, never validation."""
    import re

    from mandosim.experiments.patterns import FITTED, PATTERNS, VERIFICATION
    from mandosim.model.params import parameter_table

    cited = {m for row in parameter_table() for m in re.findall(r"\bP(?:[1-9]|10)\b", row["source"])}
    validation = {p.id for p in PATTERNS} - set(FITTED) - set(VERIFICATION)
    assert cited and not cited & validation, cited & validation


def test_a_folder_named_like_a_run_output_survives(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    mine = tmp_path / "results" / "baseline_seed1"
    mine.mkdir(parents=True)
    (mine / "thesis.txt").write_text("keep me")
    assert main(["run", "baseline", "--days", "2", "--quiet"]) == 2
    assert "was not written by mandosim" in capsys.readouterr().err
    assert sorted(p.name for p in mine.iterdir()) == ["thesis.txt"]
    assert main(["run", "baseline", "--days", "2", "--quiet", "--out", str(tmp_path / "fresh")]) == 0
    assert main(["run", "baseline", "--days", "2", "--quiet", "--out", str(tmp_path / "fresh")]) == 0  # its own output: replaced


def test_a_scenario_name_is_never_a_path(tmp_path, write, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for name in ("/some/dir/x", "../../escape"):
        path = write("s.toml", f'extends = "baseline.toml"\nname = "{name}"\n')
        assert main(["run", str(path), "--days", "2", "--quiet"]) == 2
        assert ": name: " in capsys.readouterr().err
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("command", ["run", "compare"])
def test_days_is_bounded_like_the_horizon(command, tmp_path, capsys):
    assert main([command, "baseline", "--days", "1000000000", "--quiet", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert "--days" in err and "36,500" in err and "\n" not in err
    assert not (tmp_path / "x").exists()
