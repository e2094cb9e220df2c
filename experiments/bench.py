"""Benchmarks (``mandosim bench``): measured side by side in one invocation, never as timed tests.

``memory``: peak memory of a sweep of 100 runs against one of 1,000 runs, each in a fresh process
(the store writes every run as it finishes, so memory should not grow with the number of runs).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

from model.scenario import default_scenarios_dir

MEMORY_LEVELS = 10  # design points of the memory sweep; replicates set its size
KIB = 1024


def _sweep_file(folder: Path, replicates: int) -> Path:
    path = folder / f"memory_{replicates}.toml"
    path.write_text(
        textwrap.dedent(
            f"""
            name = "memory_{replicates}"
            base = "{default_scenarios_dir() / "baseline.toml"}"
            design = "grid"
            replicates = {replicates}
            days = 5
            [fixed]
            "time.burn_in_days" = 5
            [[parameters]]
            path = "crime.rival_pull"
            levels = {[round(0.1 * i, 2) for i in range(MEMORY_LEVELS)]}
            """
        )
    )
    return path


_PROBE = textwrap.dedent(
    """
    import json, resource, sys
    from experiments.cli import main
    code = main(["sweep", sys.argv[1], "--out", sys.argv[2], "--quiet", "--jobs", sys.argv[3]])
    print(json.dumps({"exit": code,
                      "main_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                      "worker_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
    """
)


def sweep_memory(runs: int, jobs: int = 2) -> dict[str, Any]:
    """Peak resident memory of a ``runs``-run sweep in a fresh process (main and largest worker, MiB)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sweep = _sweep_file(folder, max(1, runs // MEMORY_LEVELS))
        proc = subprocess.run(
            [sys.executable, "-c", _PROBE, str(sweep), str(folder / "out"), str(jobs)], capture_output=True, text=True, check=True
        )
        probe = json.loads(proc.stdout.strip().splitlines()[-1])
        stored = len(list((folder / "out" / "runs").glob("*.parquet")))
    return {"runs": stored, "main_mib": probe["main_kib"] / KIB, "worker_mib": probe["worker_kib"] / KIB, "exit": probe["exit"]}


def memory_benchmark(small: int = 100, large: int = 1000, jobs: int = 2) -> dict[str, Any]:
    """Peak memory of a small and a large sweep, and their ratio."""
    a, b = sweep_memory(small, jobs), sweep_memory(large, jobs)
    return {
        "small": a,
        "large": b,
        "main_ratio": b["main_mib"] / a["main_mib"],
        "worker_ratio": b["worker_mib"] / a["worker_mib"],
    }


def format_memory(result: dict[str, Any]) -> str:
    a, b = result["small"], result["large"]
    rows = [
        f"{'sweep':<14}{'runs':>7}{'main peak MiB':>16}{'worker peak MiB':>18}",
        f"{'small':<14}{a['runs']:>7}{a['main_mib']:>16.1f}{a['worker_mib']:>18.1f}",
        f"{'large':<14}{b['runs']:>7}{b['main_mib']:>16.1f}{b['worker_mib']:>18.1f}",
        f"{'large / small':<14}{b['runs'] / max(a['runs'], 1):>7.0f}{result['main_ratio']:>16.3f}{result['worker_ratio']:>18.3f}",
    ]
    return "\n".join(rows)
