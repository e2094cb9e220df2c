"""Progress bars that show where the user is looking: a terminal, or a Jupyter notebook (``tqdm.auto``)."""

from __future__ import annotations

import sys
from typing import Any

from tqdm.auto import tqdm


def in_notebook() -> bool:
    """Whether this process is a Jupyter kernel (its output is a notebook cell, not a terminal)."""
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    ipython = getattr(shell, "get_ipython", lambda: None)()
    return ipython is not None and type(ipython).__name__ == "ZMQInteractiveShell"


def progress_bar(total: int, unit: str, desc: str, quiet: bool = False, **options: Any) -> tqdm:
    """A progress bar: a widget in a notebook, a text bar on a terminal, nothing when piped or ``quiet``.

    Args:
        total: Steps to count (runs, days, evaluations).
        unit: What one step is.
        desc: Label.
        quiet: No bar at all.
        **options: Passed to ``tqdm`` (``leave``, ``smoothing``).
    """
    tqdm.monitor_interval = 0  # no monitor thread: keeps the process single-threaded for forked workers
    disable: bool | None = True if quiet else (False if in_notebook() else None)  # None: only on a terminal
    return tqdm(total=total, unit=unit, desc=desc, disable=disable, **options)
