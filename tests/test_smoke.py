"""The smoke subset: what every supported Python must run from the installed wheel.

``.ci/run`` runs the tests marked ``smoke`` (these, and the README's batch_run and the EMA examples in
tests/test_docs.py) in fresh virtual environments of Python 3.11, 3.12 and 3.13 holding only the
built wheel, with warnings as errors; the whole suite also runs them on 3.11 from the checkout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.smoke
COMMAND_TIMEOUT_S = 900


def _mandosim(folder: Path, *args: str) -> str:
    """Run the ``mandosim`` console script of this interpreter's environment in ``folder``; its warnings are errors."""
    script = Path(sys.executable).parent / "mandosim"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")} | {"PYTHONWARNINGS": "error"}
    done = subprocess.run([str(script), *args], cwd=folder, env=env, capture_output=True, text=True, check=False, timeout=COMMAND_TIMEOUT_S)
    assert done.returncode == 0, f"mandosim {' '.join(args)}: {done.stderr[-3000:]}"
    assert "Warning" not in done.stderr, done.stderr[-3000:]
    return done.stdout


def test_a_run_writes_its_results(tmp_path):
    printed = _mandosim(tmp_path, "run", "baseline", "--seed", "1", "--days", "20", "--quiet", "--out", "one")
    assert "San Luis Río Colorado" in printed
    zones = pd.read_parquet(tmp_path / "one" / "zones.parquet")
    assert zones.day.max() == 19 and zones.homicides.sum() > 0
    summary = json.loads((tmp_path / "one" / "summary.json").read_text())
    assert summary["metadata"]["environment"]["python"] == ".".join(map(str, sys.version_info[:3]))
    assert summary["units"]["homicides_per_100k"] == "people per 100,000 residents per year"


def test_a_comparison_writes_its_table_and_figures(tmp_path):
    args = ["compare", "baseline", "unified_command", "--reps", "2", "--days", "20", "--jobs", "2", "--quiet", "--out", "cmp"]
    printed = _mandosim(tmp_path, *args)
    assert "unified_command" in printed
    effects = pd.read_csv(tmp_path / "cmp" / "effects.csv")
    assert set(effects.scenario) == {"unified_command"}
    assert (tmp_path / "cmp" / "figures" / "effects_homicides.png").is_file()


def test_the_model_builds_without_a_warning():
    from mandosim.model.model import BorderSecurityModel

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = BorderSecurityModel("baseline", days=2, rng=5, report_to_mesa=False)
        model.run()
        model.release()
