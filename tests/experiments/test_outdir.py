"""Output folders: ``--out`` is resolved once, checked before any work, and swapped in atomically.

Nothing outside the folder a command writes is ever touched, an earlier result is lost only when
the same folder is replaced by a new one, and no hidden working folder is left behind.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mandosim.experiments.cli import main
from mandosim.experiments.outdir import OUTPUT_MARK, atomic_output, remove_leftovers, resolve_out
from mandosim.model.errors import InputError
from tests.conftest import SCENARIOS

QUICK = ["--seed", "1", "--days", "1", "--quiet"]


@pytest.fixture(scope="module")
def quick(tmp_path_factory) -> str:
    """A scenario that runs in a moment (two burn-in days, one day)."""
    path = tmp_path_factory.mktemp("scenario") / "quick.toml"
    path.write_text(f'extends = "{SCENARIOS / "baseline.toml"}"\nname = "quick"\n[time]\nburn_in_days = 2\nhorizon_days = 1\n')
    return str(path)


def snapshot(root: Path) -> dict[str, str]:
    """Every path under ``root`` (links not followed): a file's checksum, a link's target, a folder's mark."""
    seen = {}
    for folder, dirs, files in os.walk(root, followlinks=False):
        for name in dirs + files:
            path = Path(folder) / name
            rel = str(path.relative_to(root))
            if path.is_symlink():
                seen[rel] = "link:" + os.readlink(path)
            elif path.is_dir():
                seen[rel] = "dir"
            else:
                seen[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return seen


def hidden_work(root: Path) -> list[str]:
    return [p for p in snapshot(root) if ".mandosim-new" in p or ".mandosim-old" in p]


def test_a_parent_given_through_dot_dot_is_the_folder_itself_and_nothing_is_lost(tmp_path, quick, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["run", quick, *QUICK, "--out", "o2"]) == 0
    (tmp_path / "o2" / "x").mkdir()
    assert main(["run", quick, *QUICK, "--out", "o2/x/.."]) == 0
    assert (tmp_path / "o2" / "zones.parquet").is_file()
    assert not pd.read_parquet(tmp_path / "o2" / "zones.parquet").empty
    assert hidden_work(tmp_path) == []


@pytest.mark.parametrize("link", ["folder", "dangling"])
def test_a_symbolic_link_is_refused_and_its_target_kept(tmp_path, quick, monkeypatch, capsys, link):
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "target"
    if link == "folder":
        target.mkdir()
        (target / "keep.txt").write_text("mine")
    (tmp_path / "L").symlink_to(target)
    before = snapshot(tmp_path)
    assert main(["run", quick, *QUICK, "--out", "L"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--out: is a symbolic link" in err and "\n" not in err
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("value", [".", "..", "", "   ", "a" * 300, "/"])
def test_unusable_names_are_refused_in_one_line_and_nothing_is_written(tmp_path, quick, monkeypatch, capsys, value):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    before = snapshot(tmp_path)
    assert main(["run", quick, *QUICK, "--out", value]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("mandosim: error: <command line>: --out: ") and "\n" not in err
    assert snapshot(tmp_path) == before


def test_unicode_names_work(tmp_path, quick, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["run", quick, *QUICK, "--out", "résultats/ñandú 名"]) == 0
    assert (tmp_path / "résultats" / "ñandú 名" / "zones.parquet").is_file()


def test_results_respect_the_umask(tmp_path, quick, monkeypatch):
    monkeypatch.chdir(tmp_path)
    old = os.umask(0o027)
    try:
        assert main(["run", quick, *QUICK, "--out", "shared"]) == 0
    finally:
        os.umask(old)
    folder = tmp_path / "shared"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o750
    assert stat.S_IMODE((folder / "zones.parquet").stat().st_mode) == 0o640


def test_a_failed_write_keeps_the_earlier_result_and_leaves_nothing_hidden(tmp_path):
    out = resolve_out(str(tmp_path / "r"), Path("unused"))
    with atomic_output(out) as work:
        (work / "a.txt").write_text("first")
    with pytest.raises(RuntimeError), atomic_output(out) as work:
        (work / "a.txt").write_text("second")
        raise RuntimeError("interrupted")
    assert (out / "a.txt").read_text() == "first"
    assert hidden_work(tmp_path) == []
    with atomic_output(out) as work:
        (work / "a.txt").write_text("third")
    assert (out / "a.txt").read_text() == "third"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def test_a_killed_commands_hidden_folder_is_removed_by_the_next(tmp_path):
    out = tmp_path / "r"
    dead = tmp_path / ".r.mandosim-new-999999999-abcd"  # no such process
    dead.mkdir()
    (dead / OUTPUT_MARK).write_text("")
    foreign = tmp_path / ".r.mandosim-new-999999999-ffff"  # no marker: not ours, kept
    foreign.mkdir()
    assert remove_leftovers(out) == [dead]
    assert foreign.is_dir()


def test_the_working_directory_and_its_parents_are_never_an_output(tmp_path, monkeypatch):
    inner = tmp_path / "a" / "b"
    inner.mkdir(parents=True)
    monkeypatch.chdir(inner)
    for value in (".", "..", str(tmp_path), "../b", "../../a"):
        with pytest.raises(InputError, match="working directory"):
            resolve_out(value, Path("x"))


SANDBOX_PARTS = st.sampled_from([".", "..", "prior", "sibling", "link", "dangling", "new", "ñ名", "a" * 230, "canary.txt", ""])


@pytest.fixture(scope="module")
def instant_run(quick):
    """``mandosim run`` with the model's result made once: the property below exercises the command's files, not the model."""
    from mandosim.experiments.runner import run
    from mandosim.model.scenario import load_scenario

    result = run(load_scenario(quick), 1, days=1)
    patch = pytest.MonkeyPatch()
    patch.setattr("mandosim.experiments.runner.run", lambda *args, **kwargs: result)
    patch.setattr("mandosim.experiments.plots.plot_run", lambda zones, labels, path, title="": Path(path).write_bytes(b"png"))
    yield
    patch.undo()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(SANDBOX_PARTS, min_size=1, max_size=4), absolute=st.booleans())
def test_no_out_value_touches_anything_outside_its_folder_or_loses_an_earlier_result(quick, instant_run, parts, absolute):
    """Canaries above the working directory, beside the output, behind links; an earlier result in ``prior``."""
    with tempfile.TemporaryDirectory() as name:
        root = Path(name).resolve()
        (root / "canary.txt").write_text("above")
        work = root / "up" / "up" / "up" / "work"  # four '..' at most: the values stay inside the sandbox
        work.mkdir(parents=True)
        (work / "canary.txt").write_text("beside")
        (work / "sibling").mkdir()
        (work / "sibling" / "keep.txt").write_text("keep")
        (work / "link").symlink_to(work / "sibling")
        (work / "dangling").symlink_to(root / "nowhere")
        cwd = Path.cwd()
        os.chdir(work)
        try:
            assert main(["run", quick, *QUICK, "--out", "prior"]) == 0
            before = snapshot(root)
            value = "/".join(parts).lstrip("/")  # a leading empty part would name the real root
            if absolute:
                value = f"{work}/{value}"
            code = main(["run", quick, *QUICK, "--out", value])
        finally:
            os.chdir(cwd)
        after = snapshot(root)
        assert code in (0, 2), value
        assert hidden_work(root) == [], value
        if code == 2:
            assert after == before, value
            return
        out = Path(os.path.abspath(value if absolute else f"{work}/{value}"))
        out = Path(os.path.realpath(out.parent)) / out.name
        rel = out.relative_to(root)
        assert (out / "zones.parquet").is_file() and (out / OUTPUT_MARK).is_file(), value
        inside = lambda p: Path(p) == rel or Path(p).is_relative_to(rel) or rel.is_relative_to(p)  # noqa: E731
        for path, mark in before.items():
            if not inside(path):
                assert after.get(path) == mark, (value, path)
        assert all(inside(p) for p in set(after) - set(before)), value
        assert (work / "prior" / "zones.parquet").is_file(), value  # replaced at most, never lost
