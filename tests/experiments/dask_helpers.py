"""Task functions for the Dask tests (importable by worker processes)."""

import os


def kill_my_worker(task: object) -> None:
    """A run whose process dies every time (what a segfault or an out-of-memory kill looks like)."""
    os._exit(1)
