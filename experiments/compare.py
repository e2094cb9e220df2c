"""Scenario comparison: replications with common random numbers into a store, paired effects."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from mandosim.experiments.analysis import paired_effects
from mandosim.experiments.batch import BatchReport, run_experiment
from mandosim.experiments.executors import ExecutorSpec, Task
from mandosim.experiments.runner import code_version
from mandosim.experiments.store import RunKey, Store, read_manifest, read_table
from mandosim.model.rng import replicate_seeds
from mandosim.model.scenario import LoadedScenario

OUTCOMES: tuple[str, ...] = ("homicides_annual", "disappearances_annual", "homicides_per_100k")


def comparison_identity(scenarios: list[LoadedScenario], reps: int, root_seed: int, days: int | None) -> dict:
    """What defines a comparison (a store for anything else is refused)."""
    return {
        "kind": "compare",
        "scenarios": {s.scenario.name: s.content_hash for s in scenarios},
        "replicates": reps,
        "root_seed": root_seed,
        "days": days,
        "code_version": code_version(),
    }


def comparison_tasks(scenarios: list[LoadedScenario], reps: int, root_seed: int, days: int | None) -> list[Task]:
    """Replicate k of every scenario gets the same spawned seed (common random numbers)."""
    seeds = replicate_seeds(root_seed, reps)
    return [Task(RunKey(s.scenario.name, 0, k), s, seed, days) for k, seed in enumerate(seeds) for s in scenarios]


def run_comparison(
    scenarios: list[LoadedScenario],
    reps: int,
    root_seed: int,
    jobs: int | ExecutorSpec,
    out: Path,
    reference: str,
    command: list[str],
    days: int | None = None,
    force: bool = False,
    quiet: bool = False,
    allow_mixed: bool = False,
) -> tuple[Store, BatchReport]:
    """Run (or resume) a comparison into ``out`` (``allow_mixed``: resume runs made under other library versions)."""
    store = Store(out, comparison_identity(scenarios, reps, root_seed, days), force=force, allow_mixed=allow_mixed)
    seeds = replicate_seeds(root_seed, reps)
    manifest = {
        "command": command,
        "reference": reference,
        "seeds": seeds,
        "scenario_content": {s.scenario.name: s.scenario.model_dump(mode="json") for s in scenarios},
        "region": {"path": str(scenarios[0].region_path), "cell_km": scenarios[0].scenario.space.cell_km},
        "runs_total": reps * len(scenarios),
    }
    report = run_experiment(store, comparison_tasks(scenarios, reps, root_seed, days), jobs, manifest, quiet=quiet, desc="compare")
    return store, report


def markdown_table(effects: pd.DataFrame, outcome: str, labels: dict[str, str]) -> str:
    """A Markdown table of one outcome: reference level and each scenario's paired effect."""
    block = effects[effects["outcome"] == outcome]
    lines = [
        f"### {outcome.replace('_', ' ')} (reference: {block['reference'].iloc[0]})",
        "",
        "| unit | scenario | reference | scenario | difference (95 % CI) | change (95 % CI) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for row in block.itertuples():
        lines.append(
            f"| {labels.get(row.unit, row.unit)} | {row.scenario} | {row.reference_mean:,.1f} | {row.scenario_mean:,.1f} | "
            f"{row.difference:+,.1f} ({row.ci_low:+,.1f} to {row.ci_high:+,.1f}) | {row.relative_change_pct:+.1f} % "
            f"({row.relative_ci_low_pct:+.1f} to {row.relative_ci_high_pct:+.1f}) |"
        )
    return "\n".join(lines)


def write_outputs(out: Path, labels: dict[str, str], region_path: Path | None = None) -> pd.DataFrame:
    """Effects table (CSV + Markdown) and figures of a comparison store."""
    from mandosim.experiments.plots import plot_comparison

    reference = read_manifest(out)["reference"]
    runs = read_table(out, "runs")
    effects = paired_effects(runs, list(OUTCOMES), reference)
    effects.to_csv(out / "effects.csv", index=False)
    (out / "effects.md").write_text("\n\n".join(markdown_table(effects, o, labels) for o in OUTCOMES) + "\n")
    plot_comparison(out, labels, region_path)
    return effects
