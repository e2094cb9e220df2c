"""Fuzzing the command line: corrupted files through ``mandosim run`` end in exit 0 or 2, never a traceback.

Each of 200 corrupted scenario and region files (``tests/fuzz.py``, a fixed seed) is run for two days
in a fresh working folder; on exit 2 the error is one line naming the file, and nothing was written
(neither ``--out`` nor ``results/``).
"""

from __future__ import annotations

import pytest

from mandosim.experiments.cli import main
from tests.fuzz import corpus

FILES = 200
SEED = 20261201


def test_corrupted_files_through_the_command_line(tmp_path, monkeypatch, capsys):
    files = corpus(tmp_path / "library", FILES, SEED)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    codes = {0: 0, 2: 0}
    for k, path in enumerate(files):
        out = work / f"out_{k}"
        try:
            code = main(["run", str(path), "--days", "2", "--quiet", "--out", str(out)])
        except BaseException as error:
            pytest.fail(f"{path.name}: {type(error).__name__}: {error}"[:500])
        captured = capsys.readouterr()
        assert code in codes, (path.name, code, captured.err[-500:])
        codes[code] += 1
        if code == 2:
            lines = captured.err.strip().splitlines()
            assert len(lines) == 1 and "fuzz_" in lines[0], (path.name, captured.err[:500])
            assert not out.exists(), path.name
        assert not (work / "results").exists(), path.name
    print(f"{FILES} corrupted files: {codes[0]} ran, {codes[2]} refused in one line")
    assert codes[2] > FILES // 2  # most damage must be caught, not run
