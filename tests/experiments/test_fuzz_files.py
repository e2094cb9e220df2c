"""Fuzzing the files around the scenarios: study, sweep and manifest files, and links inside stores.

Each corrupted file is loaded as the commands load it: accepted, or refused with one ``InputError``
line that names it — never another exception, never a file opened outside the allowed folders, and
never a word of a private file (a canary beside the work folder) in a message. A store with a link
at its top is refused before anything is read or removed, with or without ``force``.
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mandosim.experiments.cli import main
from mandosim.experiments.store import LEDGER, LOCK, MANIFEST, TABLES, Store, manifest_file, read_manifest
from mandosim.experiments.study import Study
from mandosim.experiments.sweep import Sweep
from mandosim.model.errors import InputError
from tests.conftest import ROOT
from tests.fuzz import ODD_REFERENCES, mutate

CANARY = "TOP-SECRET-CANARY-42"
SWEEPS = ROOT / "experiments" / "sweeps"
STUDIES = ROOT / "experiments" / "studies"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory) -> Path:
    """A work folder with copies of the shipped sweeps, studies and scenarios, and a private folder beside it."""
    root = tmp_path_factory.mktemp("fuzz_files")
    private = root / "private"
    private.mkdir()
    for name in ("notes.cfg", "notes.toml", "manifest.json"):
        (private / name).write_text(f'name = "{CANARY}"\nbase = "{CANARY}"\n')
    work = root / "work"
    shutil.copytree(ROOT / "scenarios", work, dirs_exist_ok=True)
    for folder in (SWEEPS, STUDIES):
        for path in folder.glob("*.toml"):
            shutil.copy(path, work / f"file_{path.name}")
    return work


def references(work: Path) -> list[str]:
    private = work.parent / "private"
    return [*ODD_REFERENCES, str(private / "notes.cfg"), str(private / "notes.toml"), "../private/notes.toml", "../private/notes.cfg"]


def damage(text: str, rng: random.Random, odd: list[str]) -> str:
    """One damage of ``tests.fuzz.mutate``, or ``base`` pointed somewhere odd."""
    if rng.random() < 0.4:
        lines = [line for line in text.splitlines() if not line.startswith("base")]
        return f'base = "{rng.choice(odd)}"\n' + "\n".join(lines) + "\n"
    return mutate(text, rng)


def refused_in_one_line(error: InputError, path: Path) -> None:
    text = str(error)
    assert "\n" not in text and len(text) < 1200, text[:300]
    assert CANARY not in text, text[:300]
    assert error.path, text[:300]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_mutated_study_and_sweep_files_load_or_fail_in_one_line(sandbox, seed):
    rng = random.Random(seed)
    source = rng.choice(sorted(sandbox.glob("file_*.toml")))
    path = sandbox / f"m{seed}_{source.name}"
    path.write_text(damage(source.read_text(), rng, references(sandbox)), errors="surrogatepass")
    load = Study if "corridor" in source.name else Sweep
    try:
        load(path)
    except InputError as error:
        refused_in_one_line(error, path)
    finally:
        path.unlink()


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("fuzz_store") / "cmp"
    assert main(["compare", "baseline", "unified_command", "--reps", "2", "--days", "3", "--jobs", "1", "--quiet", "--out", str(out)]) == 0
    return out


MANIFEST_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.sampled_from([*ODD_REFERENCES, "../private/notes.toml", "/etc/passwd", "regions/baja_sonora.toml"]),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)
MANIFEST_KEYS = st.sampled_from(["identity", "identity.kind", "region", "region.path", "region.cell_km", "study_file", "reference"])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.lists(st.tuples(MANIFEST_KEYS, MANIFEST_VALUES), min_size=1, max_size=3))
def test_a_tampered_manifest_is_read_or_refused_in_one_line(store, tmp_path_factory, changes):
    """What ``plot``, ``export`` and a resume read of a manifest: its kind, and the files it names, confined."""
    out = tmp_path_factory.mktemp("tampered") / "cmp"
    shutil.copytree(store, out, ignore=shutil.ignore_patterns(LOCK, "series", "groups", "runs", "figures"))
    body = json.loads((out / MANIFEST).read_text())
    for key, value in changes:
        node = body
        *parents, last = key.split(".")
        for token in parents:
            node = node.setdefault(token, {}) if isinstance(node.get(token), dict) else {}
        node[last] = value
    (out / MANIFEST).write_text(json.dumps(body))
    try:
        manifest = read_manifest(out)
        for key in ("region.path", "study_file"):
            path = manifest_file(out, manifest, key)
            assert path.is_file() and path.suffix == ".toml"
            assert CANARY not in path.read_text()
    except InputError as error:
        refused_in_one_line(error, out)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.sampled_from([*TABLES, "failures", "figures", MANIFEST, LEDGER, LOCK, "effects.csv", "other"]),
    target=st.sampled_from(["folder", "file", "dangling"]),
    force=st.booleans(),
)
def test_a_link_anywhere_at_the_top_of_a_store_is_refused_before_anything_changes(store, tmp_path_factory, name, target, force):
    base = tmp_path_factory.mktemp("linked")
    out = base / "cmp"
    shutil.copytree(store, out, ignore=shutil.ignore_patterns(LOCK))
    elsewhere = base / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text(CANARY)
    link_to = {"folder": elsewhere, "file": elsewhere / "keep.txt", "dangling": base / "nowhere"}[target]
    victim = out / name
    if victim.is_dir():
        shutil.rmtree(victim)
    else:
        victim.unlink(missing_ok=True)
    victim.symlink_to(link_to)
    before = sorted(str(p.relative_to(out)) for p in out.rglob("*"))
    identity = json.loads((store / MANIFEST).read_text())["identity"]
    with pytest.raises(InputError) as caught:
        Store(out, identity if name != MANIFEST else {**identity, "replicates": 99}, force=force)
    refused_in_one_line(caught.value, out)
    assert "symbolic link" in str(caught.value)
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == before
    assert (elsewhere / "keep.txt").read_text() == CANARY and sorted(p.name for p in elsewhere.iterdir()) == ["keep.txt"]
