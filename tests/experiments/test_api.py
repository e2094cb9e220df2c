"""The public API: ``mandosim.run``, ``compare``, ``sweep`` return the tables the commands write."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import mandosim
from mandosim.experiments.export import export_csv


def test_run_returns_tidy_tables_with_levels_burn_in_and_integer_counts():
    result = mandosim.run("baseline", seed=3, days=20)
    summary = result.summary
    assert set(summary["level"]) == {"zone", "state", "region"}
    for metric in ("homicides", "disappearances", "arrests"):
        zones = summary.loc[summary["level"] == "zone", metric].sum()
        assert zones == summary.loc[summary["level"] == "state", metric].sum() == summary.loc[summary["level"] == "region", metric].sum()
    assert result.value("homicides", "BC") == summary.loc[summary["unit"] == "state BC", "homicides"].item()
    zones = result.zones
    assert zones["burn_in"].equals(zones["day"] < 0) and zones["burn_in"].any() and not zones["burn_in"].all()
    assert zones["homicides"].dtype == np.int64 and zones["members"].dtype == np.int64
    assert zones["community_trust"].dtype == np.float64
    assert summary["homicides"].dtype == np.int64


def test_overrides_as_dotted_mapping_or_keywords_are_the_same_and_change_the_run():
    plain = mandosim.run("coordination_failure", seed=2, days=30)
    as_mapping = mandosim.run(
        "coordination_failure", seed=2, days=30, overrides={"institutions.trust_default": 0.9, "command.regime": "coordinated"}
    )
    as_keywords = mandosim.run("coordination_failure", seed=2, days=30, institutions__trust_default=0.9, command__regime="coordinated")
    pd.testing.assert_frame_equal(as_mapping.zones, as_keywords.zones)
    assert not plain.zones.equals(as_mapping.zones)
    again = mandosim.run("coordination_failure", seed=2, days=30)
    pd.testing.assert_frame_equal(plain.zones, again.zones)


def test_bad_override_or_unit_is_a_clear_error():
    with pytest.raises(mandosim.InputError, match="trust_defualt"):
        mandosim.run("baseline", days=5, institutions__trust_defualt=0.5)
    with pytest.raises(mandosim.InputError, match="trust_default"):
        mandosim.run("baseline", days=5, overrides={"institutions.trust_default": 7.0})
    result = mandosim.run("baseline", days=5)
    with pytest.raises(mandosim.InputError, match="units:"):
        result.value("homicides", "atlantis")


def test_compare_without_a_folder_leaves_nothing_and_with_one_writes_what_the_command_writes(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    quick = mandosim.compare(["baseline", "unified_command"], reps=2, days=20, jobs=1, progress=False)
    assert not any((tmp_path / "tmp").iterdir()), "the temporary store was not removed"
    assert quick.out is None and set(quick.effects["scenario"]) == {"unified_command"}
    assert {"level", "ci_low", "ci_high", "relative_change_pct"} <= set(quick.effects.columns)
    kept = mandosim.compare(["baseline", "unified_command"], reps=2, days=20, jobs=2, out=tmp_path / "cmp", progress=False)
    pd.testing.assert_frame_equal(quick.effects, kept.effects)
    assert (tmp_path / "cmp" / "effects.csv").is_file() and (tmp_path / "cmp" / "figures").is_dir()
    written = pd.read_csv(tmp_path / "cmp" / "effects.csv")
    assert np.allclose(written["difference"], kept.effects["difference"])
    part = next((tmp_path / "cmp" / "runs").glob("*.parquet"))
    field = pq.read_schema(part).field("homicides_per_100k")
    assert field.metadata[b"unit"] == b"per 100k people/year"
    files = export_csv(tmp_path / "cmp")
    assert [f.name for f in files] == ["series.csv", "groups.csv", "runs.csv", "columns.csv"]
    dictionary = pd.read_csv(files[-1])
    assert set(pd.read_csv(files[2]).columns) <= set(dictionary["column"])
    assert dictionary["description"].notna().all()


def test_sweep_by_shipped_name_returns_responses():
    result = mandosim.sweep("trust_x_vetting", reps=1, days=15, jobs=2, progress=False)
    assert len(result.design) == 25
    assert set(result.responses["unit"]) == {"region", "mexicali_valley", "san_luis_rio_colorado"}
    assert result.indices.empty  # a grid has no sensitivity indices
    assert len(result.runs) == 25 * len(result.runs["unit"].unique())


def test_public_names_are_reexported():
    for name in ("run", "compare", "sweep", "load", "BorderSecurityModel", "COLUMNS", "__version__"):
        assert hasattr(mandosim, name), name
    assert mandosim.BorderSecurityModel.__module__ == "mandosim.model.model"
