"""Benchmarks (``mandosim bench``): measured side by side in one invocation, never as timed tests.

- ``speed``: seconds per scenario-year of the baseline (median of 5 runs after a warm-up) and the
  agent count.
- ``mesa``: agent-steps per second of mandosim and of Mesa's own Epstein civil-violence example at a
  similar agent count, in the same process, and their ratio.
- ``scaling``: time per day at ~1×, 4× and 16× the cells (``cell_km`` / 2, / 4), with forces and
  groups scaled by the same factor, and the fitted log-log slope.
- ``throughput``: runs per second of a comparison's runs with 1 and 2 worker processes.
- ``memory``: peak memory of a sweep of 100 runs against one of 1,000 runs, each in a fresh process
  (the store writes every run as it finishes, so memory should not grow with the number of runs).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

from mandosim.model.scenario import default_scenarios_dir

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
    from mandosim.experiments.cli import main
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


DAYS_PER_YEAR = 365
SPEED_REPEATS = 5
SCALE_FACTORS = (1, 4, 16)
EPSTEIN_AGENT_DENSITY = 0.7 + 0.074  # citizens + cops per grid square in Mesa's example
EPSTEIN_STEPS = 40  # per round
MESA_ROUNDS = 5


def _baseline(overrides: dict | None = None) -> Any:
    from mandosim.model.scenario import load_scenario

    return load_scenario(default_scenarios_dir() / "baseline.toml", overrides)


def _time_run(loaded: Any, seed: int) -> tuple[float, int, int]:
    """Seconds of stepping (construction excluded), simulated days, agents."""
    from mandosim.model.model import BorderSecurityModel

    model = BorderSecurityModel(loaded, seed=seed, report_to_mesa=False)
    agents = len(model.agents)
    started = time.perf_counter()
    model.run()
    elapsed = time.perf_counter() - started
    days = model.burn_in + model.horizon
    model.release()
    return elapsed, days, agents


def speed_benchmark(repeats: int = SPEED_REPEATS) -> dict[str, Any]:
    """Seconds per scenario-year of the baseline, all mechanisms on: median of ``repeats`` after a warm-up."""
    loaded = _baseline()
    _time_run(loaded, 0)
    samples = [_time_run(loaded, seed) for seed in range(1, repeats + 1)]
    per_day = [t / d for t, d, _ in samples]
    return {
        "seconds_per_scenario_year": statistics.median(per_day) * DAYS_PER_YEAR,
        "ms_per_day": statistics.median(per_day) * 1000,
        "agents": samples[0][2],
        "runs": repeats,
    }


def mesa_benchmark(agents: int, steps: int = EPSTEIN_STEPS, rounds: int = MESA_ROUNDS) -> dict[str, Any]:
    """Agent-steps per second of mandosim's baseline and of Mesa's Epstein example at a similar agent count.

    The two are timed in alternation, ``rounds`` times (Epstein for ``steps`` steps, then one baseline
    run), so that a machine that speeds up or slows down affects both alike; the ratio is the median
    of the rounds' ratios, with their range.
    """
    try:
        from mesa.examples.advanced.epstein_civil_violence.model import EpsteinCivilViolence
    except ImportError as error:  # mesa.examples needs networkx
        raise RuntimeError(f"Mesa's examples need an extra package ({error}); install 'mandosim[bench]'") from None
    side = max(5, round((agents / EPSTEIN_AGENT_DENSITY) ** 0.5))
    epstein = EpsteinCivilViolence(width=side, height=side, seed=1)
    for _ in range(5):
        epstein.step()
    loaded = _baseline()
    _time_run(loaded, 0)
    epstein_rates, mandosim_rates = [], []
    for round_ in range(rounds):
        started = time.perf_counter()
        for _ in range(steps):
            epstein.step()
        epstein_rates.append(len(epstein.agents) * steps / (time.perf_counter() - started))
        elapsed, days, ours = _time_run(loaded, round_ + 1)
        mandosim_rates.append(ours * days / elapsed)
    ratios = [m / e for m, e in zip(mandosim_rates, epstein_rates, strict=True)]
    return {
        "mandosim_agents": ours,
        "mandosim_agent_steps_per_s": statistics.median(mandosim_rates),
        "epstein_agents": len(epstein.agents),
        "epstein_grid": f"{side}x{side}",
        "epstein_agent_steps_per_s": statistics.median(epstein_rates),
        "ratio": statistics.median(ratios),
        "ratio_range": [min(ratios), max(ratios)],
        "rounds": rounds,
    }


def _scaled(factor: int) -> dict[str, Any]:
    from mandosim.model.params import Scenario

    base = Scenario()
    return {
        "space": {"cell_km": base.space.cell_km / factor**0.5},
        "time": {"burn_in_days": 20, "horizon_days": 60},
        "agencies": {n: {"officers": {z: v * factor for z, v in a.officers.items()}} for n, a in base.agencies.items()},
        "groups": {n: {"members": {z: v * factor for z, v in g.members.items()}} for n, g in base.groups.items()},
    }


def scaling_benchmark(factors: tuple[int, ...] = SCALE_FACTORS, repeats: int = 3) -> dict[str, Any]:
    """Time per day at growing size (cells and agents × factor) and the log-log slope against cells."""
    import numpy as np

    rows = []
    for factor in factors:
        loaded = _baseline(_scaled(factor))
        cells = loaded.region().n_cells
        _time_run(loaded, 0)
        samples = [_time_run(loaded, seed) for seed in range(1, repeats + 1)]
        rows.append(
            {
                "factor": factor,
                "cells": cells,
                "agents": samples[0][2],
                "ms_per_day": statistics.median(t / d for t, d, _ in samples) * 1000,
            }
        )
    x = np.log([r["cells"] for r in rows])
    y = np.log([r["ms_per_day"] for r in rows])
    return {"sizes": rows, "slope": float(np.polyfit(x, y, 1)[0])}


def throughput_benchmark(runs: int = 32) -> dict[str, Any]:
    """Runs per second of a comparison's runs (baseline and unified command, full years) with 1 and 2 workers."""
    from mandosim.experiments.batch import run_tables
    from mandosim.experiments.executors import Task, run_local
    from mandosim.experiments.store import RunKey
    from mandosim.model.rng import replicate_seeds
    from mandosim.model.scenario import load_scenario

    scenarios = [load_scenario(default_scenarios_dir() / f"{n}.toml") for n in ("baseline", "unified_command")]
    seeds = replicate_seeds(1, runs // 2)
    tasks = [Task(RunKey(s.scenario.name, 0, k), s, seed) for k, seed in enumerate(seeds) for s in scenarios]
    out = {}
    for jobs in (1, 2):
        started = time.perf_counter()
        done = sum(1 for outcome in run_local(tasks, run_tables, jobs, quiet=True) if outcome.error is None)
        out[f"jobs_{jobs}_runs_per_s"] = done / (time.perf_counter() - started)
    out["speedup"] = out["jobs_2_runs_per_s"] / out["jobs_1_runs_per_s"]
    out["runs"] = len(tasks)
    return out


def format_speed(result: dict[str, Any]) -> str:
    lines = []
    if "speed" in result:
        s = result["speed"]
        lines.append(
            f"baseline: {s['seconds_per_scenario_year']:.3f} s per scenario-year "
            f"({s['ms_per_day']:.2f} ms/day, {s['agents']:,} agents, median of {s['runs']})"
        )
    if "mesa" in result:
        m = result["mesa"]
        lines.append(
            f"agent-steps/s: mandosim {m['mandosim_agent_steps_per_s']:,.0f} ({m['mandosim_agents']:,} agents) · "
            f"Mesa Epstein {m['epstein_agent_steps_per_s']:,.0f} ({m['epstein_agents']:,} agents, {m['epstein_grid']}) · "
            f"ratio {m['ratio']:.1f}× (median of {m['rounds']} alternating rounds, "
            f"range {m['ratio_range'][0]:.1f}–{m['ratio_range'][1]:.1f})"
        )
    if "scaling" in result:
        sc = result["scaling"]
        sizes = " · ".join(
            f"{r['factor']}×: {r['cells']:,} cells, {r['agents']:,} agents, {r['ms_per_day']:.2f} ms/day" for r in sc["sizes"]
        )
        lines.append(f"scaling: {sizes} · log-log slope {sc['slope']:.3f}")
    if "throughput" in result:
        t = result["throughput"]
        lines.append(
            f"compare throughput ({t['runs']} runs): 1 job {t['jobs_1_runs_per_s']:.2f} runs/s · "
            f"2 jobs {t['jobs_2_runs_per_s']:.2f} runs/s · {t['speedup']:.2f}×"
        )
    return "\n".join(lines)
