"""What users install is the wheel: built, installed into a fresh virtual environment, used from another folder."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

COMMAND_TIMEOUT_S = 900


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh virtual environment holding only the wheel built from this checkout (and its dependencies)."""
    base = tmp_path_factory.mktemp("wheel")
    dist = base / "dist"
    build = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(dist), str(ROOT)]
    subprocess.run(build, check=True, capture_output=True, timeout=COMMAND_TIMEOUT_S)
    wheel = next(dist.glob("mandosim-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert not [n for n in names if n.split("/")[0] in ("model", "experiments", "scenarios", "tests")], "top-level packages leak"
    for shipped in ("mandosim/scenarios/baseline.toml", "mandosim/scenarios/regions/baja_sonora.toml",
                    "mandosim/scenarios/observed/annual.csv", "mandosim/experiments/sweeps/trust_x_vetting.toml",
                    "mandosim/experiments/studies/corridor.toml"):  # fmt: skip
        assert shipped in names, shipped
    env_dir = base / "venv"
    venv.create(env_dir, with_pip=True)
    install = [str(env_dir / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)]
    subprocess.run(install, check=True, capture_output=True, timeout=COMMAND_TIMEOUT_S)
    return env_dir / "bin"


def _run(bin_dir: Path, folder: Path, *command: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, check=False, timeout=COMMAND_TIMEOUT_S)
    assert done.returncode == 0, f"{' '.join(command)}: {done.stderr[-2000:]}"
    return done.stdout


def test_the_wheel_works_from_any_folder(installed, tmp_path):
    bin_dir, mandosim = installed, str(installed / "mandosim")
    (tmp_path / "model.py").write_text("raise ImportError('the user model.py was imported')\n")  # a Mesa-style folder
    assert "unified_command" in _run(bin_dir, tmp_path, mandosim, "scenarios")
    assert "region" in _run(bin_dir, tmp_path, mandosim, "run", "baseline", "--days", "30", "--quiet", "--out", "one_run")
    assert (tmp_path / "one_run" / "zones.parquet").is_file()
    assert "25 points" in _run(bin_dir, tmp_path, mandosim, "sweep", "trust_x_vetting", "--dry-run")
    assert "content hash" in _run(bin_dir, tmp_path, mandosim, "show", "baseline")
    calibrate = [mandosim, "calibrate", "baseline", "--zone-levels", "--params", "visibility.conceal_base", "--reps", "2", "--days", "30"]
    _run(bin_dir, tmp_path, *calibrate, "--max-evaluations", "2", "--jobs", "1", "--quiet", "--out", "cal")
    assert (tmp_path / "cal" / "fitted.toml").is_file()
    _run(bin_dir, tmp_path, mandosim, "validate", "--docking", "--reps", "2", "--years", "1", "--quiet", "--out", "val")
    assert (tmp_path / "val" / "report.md").is_file()
    code = "import mandosim; r = mandosim.run('baseline', seed=1, days=10); print(mandosim.__file__, r.value('homicides'))"
    printed = _run(bin_dir, tmp_path, str(bin_dir / "python"), "-c", code)
    assert str(ROOT) not in printed and "site-packages" in printed
