"""The results store: atomic parts, resume after SIGKILL, refusal of other experiments, failures."""

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from mandosim.experiments import batch
from mandosim.experiments.cli import main
from mandosim.experiments.store import read_table

ARGS = ["compare", "baseline", "unified_command", "--reps", "4", "--days", "15", "--quiet"]


def stable(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.reset_index(drop=True)


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("clean") / "cmp"
    assert main([*ARGS, "--jobs", "2", "--out", str(out)]) == 0
    return out


def test_store_layout_is_readable_with_pandas(clean_run):
    runs = pd.read_parquet(clean_run / "runs")
    series = pd.read_parquet(clean_run / "series")
    assert set(runs.scenario) == {"baseline", "unified_command"}
    assert runs.replicate.nunique() == 4
    assert {"day", "zone", "homicides"} <= set(series.columns)
    assert (clean_run / "manifest.json").is_file()
    assert not list(clean_run.rglob(".*.parquet*"))  # no temporaries left


def test_jobs_1_and_2_give_identical_results(clean_run, tmp_path):
    out = tmp_path / "serial"
    assert main([*ARGS, "--jobs", "1", "--out", str(out)]) == 0
    for table in ("runs", "series", "groups"):
        pd.testing.assert_frame_equal(stable(read_table(out, table)), stable(read_table(clean_run, table)))


def test_sigkill_then_resume_redoes_nothing_and_matches_an_uninterrupted_run(clean_run, tmp_path):
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "mandosim.experiments.cli", *ARGS, "--jobs", "2", "--out", str(out)]
    proc = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600  # the loop ends as soon as 3 runs are stored
    while len(list((out / "runs").glob("*.parquet"))) < 3 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = {p.name: p.stat().st_mtime_ns for p in (out / "runs").glob("*.parquet")}
    assert 3 <= len(finished) < 8, "the kill should land halfway"
    rerun = subprocess.run(command, capture_output=True, text=True, check=False)
    assert rerun.returncode == 0, rerun.stderr
    after = {p.name: p.stat().st_mtime_ns for p in (out / "runs").glob("*.parquet")}
    assert len(after) == 8
    assert all(after[name] == mtime for name, mtime in finished.items()), "finished runs were redone"
    for table in ("runs", "series", "groups"):
        pd.testing.assert_frame_equal(stable(read_table(out, table)), stable(read_table(clean_run, table)))


def test_another_experiment_in_the_same_directory_is_refused(clean_run, capsys):
    before = sorted(p.name for p in (clean_run / "runs").iterdir())
    assert main(["compare", "baseline", "coordination_failure", "--reps", "4", "--days", "15", "--quiet", "--out", str(clean_run)]) == 2
    assert "different experiment" in capsys.readouterr().err
    assert sorted(p.name for p in (clean_run / "runs").iterdir()) == before


def test_force_starts_over(tmp_path):
    out = tmp_path / "f"
    assert main([*ARGS[:4], "2", "--days", "5", "--quiet", "--jobs", "1", "--out", str(out)]) == 0
    assert (
        main(["compare", "baseline", "vetting", "--reps", "2", "--days", "5", "--quiet", "--jobs", "1", "--force", "--out", str(out)]) == 0
    )
    assert set(read_table(out, "runs").scenario) == {"baseline", "vetting"}


def test_a_failing_run_is_recorded_and_the_batch_goes_on(tmp_path, monkeypatch, capsys):
    real_run = batch.run
    calls = {"n": 0}

    def flaky(scenario, seed, days=None, progress=None):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("simulated crash")
        return real_run(scenario, seed, days=days, progress=progress)

    monkeypatch.setattr(batch, "run", flaky)
    out = tmp_path / "fail"
    assert main(["compare", "baseline", "unified_command", "--reps", "2", "--days", "5", "--quiet", "--jobs", "1", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "1 of 4 runs failed" in err
    assert "simulated crash" in err
    assert len(list((out / "runs").glob("*.parquet"))) == 3
    failures = list((out / "failures").glob("*.json"))
    assert len(failures) == 1
    assert "RuntimeError: simulated crash" in failures[0].read_text()
    monkeypatch.setattr(batch, "run", real_run)
    assert main(["compare", "baseline", "unified_command", "--reps", "2", "--days", "5", "--quiet", "--jobs", "1", "--out", str(out)]) == 0
    assert not list((out / "failures").glob("*.json"))  # the retry succeeded


def test_not_a_store_is_refused_by_plot(tmp_path):
    assert main(["plot", str(tmp_path)]) == 2


def test_plot_redraws_from_the_store(clean_run):
    for path in (clean_run / "figures").glob("*"):
        path.unlink()
    assert main(["plot", str(clean_run)]) == 0
    names = {p.name for p in (clean_run / "figures").iterdir()}
    assert {"effects_homicides.png", "effects_homicides.svg", "bands_homicides.png", "map_homicides.svg"} <= names


def test_bench_memory_reports_both_sweeps(tmp_path, capsys):
    """The benchmark machinery works (its figures are judged by running `mandosim bench`, not here)."""
    out = tmp_path / "bench.json"
    assert main(["bench", "--only", "memory", "--small", "10", "--large", "20", "--json", str(out)]) == 0
    import json

    result = json.loads(out.read_text())["memory"]
    assert result["small"]["runs"] == 10
    assert result["large"]["runs"] == 20
    assert result["small"]["exit"] == result["large"]["exit"] == 0
    assert "large / small" in capsys.readouterr().out


def test_bench_speed_measures_run_and_format():
    """The speed benchmarks' machinery on tiny settings (their figures come from `mandosim bench`)."""
    from mandosim.experiments import bench

    scaling = bench.scaling_benchmark(factors=(1, 4), repeats=1)
    assert [r["factor"] for r in scaling["sizes"]] == [1, 4]
    assert scaling["sizes"][1]["cells"] > 3 * scaling["sizes"][0]["cells"]
    assert scaling["sizes"][1]["agents"] > 3 * scaling["sizes"][0]["agents"]
    text = bench.format_speed({"scaling": scaling})
    assert "log-log slope" in text


def _copy_store(source, target):
    import shutil

    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".lock"))
    return target


@pytest.mark.parametrize("damage", ["truncate", "random_bytes", "delete_series"])
def test_a_damaged_part_is_reported_and_redone_to_the_same_results(clean_run, tmp_path, capsys, damage):
    out = _copy_store(clean_run, tmp_path / "damaged")
    victim = sorted((out / ("series" if damage == "delete_series" else "runs")).glob("*.parquet"))[1]
    if damage == "truncate":
        victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])
    elif damage == "random_bytes":
        victim.write_bytes(os.urandom(victim.stat().st_size))
    else:
        victim.unlink()
    assert main([*ARGS, "--jobs", "1", "--out", str(out)]) == 0
    assert "1 unfinished or damaged runs are redone" in capsys.readouterr().err
    for table in ("runs", "series", "groups"):
        pd.testing.assert_frame_equal(stable(read_table(out, table)), stable(read_table(clean_run, table)))


def test_a_damaged_manifest_is_rebuilt_by_rerunning_the_same_command(clean_run, tmp_path, capsys):
    out = _copy_store(clean_run, tmp_path / "manifest")
    manifest = out / "manifest.json"
    manifest.write_text(manifest.read_text()[:100])
    assert main(["plot", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "manifest.json" in err and "damaged" in err
    assert main([*ARGS, "--jobs", "1", "--out", str(out)]) == 0
    assert json.loads(manifest.read_text())["runs_done"] == 8
    pd.testing.assert_frame_equal(stable(read_table(out, "runs")), stable(read_table(clean_run, "runs")))


def test_a_cut_ledger_line_only_redoes_that_run(clean_run, tmp_path):
    out = _copy_store(clean_run, tmp_path / "ledger")
    ledger = out / "ledger.jsonl"
    ledger.write_text(ledger.read_text()[:-40])  # the last run's line cut short
    assert main([*ARGS, "--jobs", "1", "--out", str(out)]) == 0
    pd.testing.assert_frame_equal(stable(read_table(out, "series")), stable(read_table(clean_run, "series")))


def test_a_second_writer_is_refused(clean_run, tmp_path, capsys):
    from mandosim.experiments.store import Store, read_manifest

    out = _copy_store(clean_run, tmp_path / "locked")
    holder = Store(out, read_manifest(out)["identity"])
    try:
        assert main([*ARGS, "--jobs", "1", "--out", str(out)]) == 2
        assert "another mandosim command is writing here" in capsys.readouterr().err
    finally:
        holder.close()
    assert main([*ARGS, "--jobs", "1", "--out", str(out)]) == 0


def test_a_folder_that_is_not_a_store_is_never_touched(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    for extra in ([], ["--force"]):
        assert main([*ARGS, "--jobs", "1", "--out", str(out), *extra]) == 2
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def _tree(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_a_symlinked_table_folder_is_refused_and_its_target_untouched(clean_run, tmp_path, capsys):
    out = _copy_store(clean_run, tmp_path / "linked")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "precious.txt").write_text("keep")
    import shutil

    shutil.rmtree(out / "series")
    (out / "series").symlink_to(elsewhere)
    for extra in ([], ["--force"]):
        assert main([*ARGS, "--jobs", "1", "--out", str(out), *extra]) == 2
        err = capsys.readouterr().err.strip()
        assert "series: is a symbolic link" in err and "\n" not in err
    assert _tree(elsewhere) == ["precious.txt"]
    assert (out / "runs").is_dir() and any((out / "runs").iterdir())  # nothing wiped


def test_a_symlink_in_a_store_under_force_is_refused_before_anything_is_wiped(clean_run, tmp_path, capsys):
    out = _copy_store(clean_run, tmp_path / "forced")
    target = tmp_path / "target"
    target.mkdir()
    (target / "keep.txt").write_text("x")
    (out / "figures_link").symlink_to(target)
    before = _tree(out)
    assert main(["compare", "baseline", "coordination_failure", "--reps", "2", "--days", "5", "--quiet", "--out", str(out), "--force"]) == 2
    assert "figures_link: is a symbolic link" in capsys.readouterr().err
    assert _tree(out) == before and _tree(target) == ["keep.txt"]


def test_a_lock_that_is_a_folder_is_refused_in_one_line(clean_run, tmp_path, capsys):
    out = _copy_store(clean_run, tmp_path / "lockdir")
    (out / ".lock").mkdir()
    assert main([*ARGS, "--jobs", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert ".lock: is not a file" in err and "\n" not in err


@pytest.mark.parametrize(
    "change",
    [
        {"identity": {}},
        {"identity": {"kind": "nonsense"}},
        {"region": {"path": "/etc/passwd", "cell_km": 2.5}},
        {"region": {"path": "SECRET/notes.toml", "cell_km": 2.5}},
        {"region": {"path": 7, "cell_km": 2.5}},
        {"region": {"cell_km": 2.5}},
        {"region": "x"},
    ],
)
def test_plot_trusts_no_file_a_manifest_names(clean_run, tmp_path, capsys, change):
    out = _copy_store(clean_run, tmp_path / "tampered")
    private = tmp_path / "SECRET"
    private.mkdir()
    (private / "notes.toml").write_text('name = "TOP-SECRET-CANARY-42"\n')
    manifest = json.loads((out / "manifest.json").read_text())
    if isinstance(change.get("region"), dict) and "SECRET" in str(change["region"].get("path")):
        change = {"region": {**change["region"], "path": str(private / "notes.toml")}}
    manifest.update(change)
    (out / "manifest.json").write_text(json.dumps(manifest))
    assert main(["plot", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "manifest.json" in err and "\n" not in err
    assert "CANARY" not in err


def test_results_files_respect_the_umask(clean_run):
    import stat

    mask = os.umask(0)
    os.umask(mask)
    for path in [clean_run / "manifest.json", *(clean_run / "runs").glob("*.parquet")]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask, path


def test_a_store_made_under_other_versions_is_not_resumed_unless_mixing_is_allowed(clean_run, tmp_path, capsys):
    import numpy as np

    out = _copy_store(clean_run, tmp_path / "versions")
    manifest = json.loads((out / "manifest.json").read_text())
    environment = manifest["environment"]
    assert environment["libraries"]["numpy"] == np.__version__ and environment["python"] and environment["platform"]
    environment["results"]["numpy"] = "0.0.1"
    (out / "manifest.json").write_text(json.dumps(manifest))
    assert main([*ARGS, "--jobs", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert f"numpy 0.0.1 → {np.__version__}" in err and "--allow-mixed" in err and "\n" not in err
    assert main([*ARGS, "--jobs", "1", "--out", str(out), "--allow-mixed"]) == 0
    mixed = json.loads((out / "manifest.json").read_text())
    assert [e["results"]["numpy"] for e in mixed["earlier_environments"]] == ["0.0.1"]
    assert mixed["environment"]["results"]["numpy"] == np.__version__
    assert main([*ARGS, "--jobs", "1", "--out", str(out)]) == 0  # now made under these versions; the record stays
    assert json.loads((out / "manifest.json").read_text())["earlier_environments"][0]["results"]["numpy"] == "0.0.1"


def test_a_store_file_takes_the_umask_in_force_when_it_is_written(tmp_path):
    import stat

    from mandosim.experiments.store import _atomic_write_bytes

    old = os.umask(0o027)
    try:
        _atomic_write_bytes(tmp_path / "part.bin", lambda tmp: tmp.write_bytes(b"x"))
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "part.bin").stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["part.bin"]
