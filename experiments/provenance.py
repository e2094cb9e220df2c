"""Provenance: what made a result — mandosim's version and commit, Python, the scientific libraries, the platform.

Every ``summary.json`` and every store's ``manifest.json`` records ``environment()``. A store also
refuses to be resumed under other versions of what can change its numbers (``results_versions``:
mandosim's code, Python's minor version, NumPy, SciPy, Numba, llvmlite, Mesa, pandas, pyarrow): two
runs of one experiment made under different libraries would not be comparable bit for bit. With
``--allow-mixed`` the resume goes on and the manifest lists every environment that wrote into it.
"""

from __future__ import annotations

import functools
import platform
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

#: Libraries whose version can change a run's numbers (random streams, compiled kernels, arithmetic, storage).
RESULT_LIBRARIES: tuple[str, ...] = ("numpy", "scipy", "numba", "llvmlite", "mesa", "pandas", "pyarrow")
#: Libraries recorded for the reader's benefit (figures, schemas, designs, searches).
OTHER_LIBRARIES: tuple[str, ...] = ("matplotlib", "pydantic", "SALib", "networkx", "optuna", "ema-workbench", "filelock", "tqdm")
GIT_TIMEOUT_S = 5


def _version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


@functools.cache
def source_commit() -> str | None:
    """The git commit of the source tree mandosim runs from (``+dirty`` with uncommitted changes); ``None`` for an installed wheel."""
    root = Path(__file__).resolve().parent.parent
    if not (root / ".git").exists():
        return None
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=GIT_TIMEOUT_S, check=True)
        status = subprocess.run(["git", "status", "--porcelain", "--", "model", "experiments"], cwd=root, capture_output=True, text=True,
                                timeout=GIT_TIMEOUT_S, check=True)  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return commit.stdout.strip() + ("+dirty" if status.stdout.strip() else "")


@functools.cache
def results_versions() -> dict[str, str | None]:
    """What must match for runs to be mixed in one store: mandosim's code version, Python (major.minor), the result libraries."""
    from mandosim.experiments.runner import code_version

    return {
        "mandosim": code_version(),
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
        **{name: _version(name) for name in RESULT_LIBRARIES},
    }


@functools.cache
def environment() -> dict[str, Any]:
    """Everything recorded about the environment a result was made in (read once per process; do not modify)."""
    return {
        "mandosim": _version("mandosim"),
        "commit": source_commit(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "libraries": {name: _version(name) for name in (*RESULT_LIBRARIES, *OTHER_LIBRARIES)},
        "results": results_versions(),
    }


def differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """``name old → new`` for each entry of two ``results_versions`` that differs."""
    return [f"{key} {old.get(key)} → {new.get(key)}" for key in sorted(set(old) | set(new)) if old.get(key) != new.get(key)]
