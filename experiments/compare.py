"""Scenario comparison: replications with common random numbers, paired effects, table and plot."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from experiments.analysis import paired_effects
from experiments.runner import run
from model.rng import replicate_seeds
from model.scenario import LoadedScenario

OUTCOMES: tuple[str, ...] = ("homicides_annual", "disappearances_annual", "homicides_per_100k")


def summary_rows(loaded: LoadedScenario, replicate: int, seed: int) -> list[dict]:
    """Run one replicate and flatten its summary into rows per zone, state and region."""
    result = run(loaded, seed)
    base = {"scenario": loaded.scenario.name, "scenario_hash": loaded.content_hash, "replicate": replicate, "seed": seed}
    units = [(unit, block) for unit, block in result.summary["zones"].items()]
    units += [(f"state {unit}", block) for unit, block in result.summary["states"].items()]
    units.append(("region", result.summary["region"]))
    return [{**base, "unit": unit, "unit_order": i, **block} for i, (unit, block) in enumerate(units)]


def run_comparison(scenarios: list[LoadedScenario], reps: int, root_seed: int, jobs: int, quiet: bool = False) -> pd.DataFrame:
    """Run every scenario ``reps`` times; replicate k uses the same spawned seed in every scenario.

    Returns:
        One row per scenario, replicate and unit (zone, state, region) with summary outcomes.
    """
    seeds = replicate_seeds(root_seed, reps)
    tasks = [(s, k, seed) for s in scenarios for k, seed in enumerate(seeds)]
    rows: list[dict] = []
    jobs = max(1, min(jobs, len(tasks)))
    with tqdm(total=len(tasks), unit="run", desc="compare", disable=quiet or None) as bar:
        if jobs == 1:
            for task in tasks:
                rows.extend(summary_rows(*task))
                bar.update()
        else:
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                futures = [pool.submit(summary_rows, *task) for task in tasks]
                for future in as_completed(futures):
                    rows.extend(future.result())
                    bar.update()
    frame = pd.DataFrame(rows)
    return frame.sort_values(["scenario", "replicate", "unit_order"], kind="stable").reset_index(drop=True)


def default_jobs() -> int:
    """All cores."""
    return os.cpu_count() or 1


def markdown_table(effects: pd.DataFrame, outcome: str, labels: dict[str, str]) -> str:
    """A Markdown table of one outcome: reference level and each scenario's paired effect."""
    block = effects[effects["outcome"] == outcome]
    lines = [
        f"### {outcome.replace('_', ' ')} (reference: {block['reference'].iloc[0]})",
        "",
        "| unit | scenario | reference | scenario | difference (95 % CI) | change |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for row in block.itertuples():
        lines.append(
            f"| {labels.get(row.unit, row.unit)} | {row.scenario} | {row.reference_mean:,.1f} | {row.scenario_mean:,.1f} | "
            f"{row.difference:+,.1f} ({row.ci_low:+,.1f} to {row.ci_high:+,.1f}) | {row.relative_change_pct:+.1f} % |"
        )
    return "\n".join(lines)


def write_outputs(runs: pd.DataFrame, reference: str, out: Path, labels: dict[str, str]) -> pd.DataFrame:
    """Write runs.parquet, effects.csv, effects.md and the effect plot into ``out``."""
    from experiments.plots import plot_effects

    effects = paired_effects(runs, list(OUTCOMES), reference)
    runs.to_parquet(out / "runs.parquet", index=False)
    effects.to_csv(out / "effects.csv", index=False)
    text = "\n\n".join(markdown_table(effects, o, labels) for o in OUTCOMES)
    (out / "effects.md").write_text(text + "\n")
    plot_effects(effects, "homicides_annual", labels, out / "effects_homicides.png")
    plot_effects(effects, "disappearances_annual", labels, out / "effects_disappearances.png")
    return effects
