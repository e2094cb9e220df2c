"""The docs describe the code as it is: tables match the code, examples run as written."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from mandosim.model.params import parameter_table_markdown
from tests.conftest import ROOT


def test_odd_parameter_table_matches_the_schema():
    assert parameter_table_markdown() in (ROOT / "docs" / "ODD.md").read_text(), (
        "docs/ODD.md's parameter table is stale: run mandosim params --update-odd docs/ODD.md"
    )


def test_every_parameter_has_a_source():
    from mandosim.model.params import parameter_table

    for row in parameter_table():
        assert row["source"].startswith(("FACTS", "assumption", "fitted")), row


def _python_block(path: Path, marker: str) -> str:
    """The first ```python block of ``path`` that contains ``marker``."""
    blocks = re.findall(r"```python\n(.*?)```", path.read_text(), re.S)
    return next(b for b in blocks if marker in b)


def _run_in_user_folder(tmp_path: Path, code: str) -> str:
    """Run ``code`` from a folder that holds a Mesa-style ``model.py`` and an ``experiments/`` of its own."""
    (tmp_path / "model.py").write_text("raise ImportError('the user model.py was imported')\n")
    (tmp_path / "experiments").mkdir()
    (tmp_path / "experiments" / "__init__.py").write_text("raise ImportError('the user experiments/ was imported')\n")
    (tmp_path / "example.py").write_text(code)
    done = subprocess.run([sys.executable, "example.py"], cwd=tmp_path, capture_output=True, text=True, check=False, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.smoke
def test_readme_batch_run_example_runs_as_written_and_prints_what_the_readme_shows(tmp_path):
    code = _python_block(ROOT / "README.md", "mesa.batch_run")
    printed = _run_in_user_folder(tmp_path, code)
    assert "homicides_mexicali_valley" in printed
    assert printed.strip() in (ROOT / "README.md").read_text(), "README's batch_run output is stale"
    rows = [line.split() for line in printed.strip().splitlines()[2:]]
    assert [r[0] for r in rows] == ["coordinated", "fragmented"]
    assert rows[0][1:] != rows[1][1:], "the regimes must differ after the burn-in"


@pytest.mark.smoke
def test_api_doc_ema_workbench_example_runs(tmp_path):
    code = _python_block(ROOT / "docs" / "api.md", "ema_workbench")
    assert len([line for line in code.splitlines() if line.strip()]) <= 10  # lines of code, blank lines aside
    code += "\nassert len(experiments) == 4 and len(set(outcomes['homicides'])) > 1, outcomes\nprint('ok')\n"
    assert _run_in_user_folder(tmp_path, code).strip().endswith("ok")


def test_api_doc_first_example_runs(tmp_path):
    code = _python_block(ROOT / "docs" / "api.md", "mandosim.run(").replace("reps=10", "reps=2").replace("days=365", "days=60")
    _run_in_user_folder(tmp_path, code + "\nprint(comparison.effects.shape)\n")


def test_notebook_runs_a_comparison_and_plots_it():
    import nbclient
    import nbformat

    notebook = nbformat.read(ROOT / "docs" / "comparison.ipynb", as_version=4)
    nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3").execute()
    table = notebook.cells[2].outputs[0]["data"]["text/plain"]
    assert "mexicali_valley" in table and "relative_change_pct" in table
    assert any("image/png" in o.get("data", {}) for o in notebook.cells[3].outputs), "the notebook draws no figure"


def test_column_table_matches_the_code():
    from mandosim.experiments.export import columns_markdown

    assert columns_markdown() in (ROOT / "docs" / "experiments.md").read_text(), (
        "docs/experiments.md's column table is stale: paste mandosim.experiments.export.columns_markdown()"
    )
