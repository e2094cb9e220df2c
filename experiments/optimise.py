"""Robust policy search (``mandosim optimise``): lever settings that do well whatever the uncertainties are.

Every candidate policy (a setting of the study's levers) runs on the same ensemble of uncertainty
draws (Latin hypercube) and replicate seeds (common random numbers), so policies are compared on the
same worlds. Its score on each outcome is a robustness statistic over the draws of the outcome's mean
over replicates: the mean, a percentile (the 90th by default: what the policy delivers in all but
the worst tenth of worlds) or the worst draw. The search is multi-objective: NSGA-II (Deb et al.
2002) from Optuna proposes a generation of policies, the generation runs as one batch on the
study's executor (local pool or Dask) into a resumable store, and the scores are told back. The
Pareto set is every policy no other beats on all outcomes; each is also scored by its regret (how
much worse than the best policy on the same draw, at worst over the draws) and written as a scenario
file that ``mandosim compare`` runs.

Resuming: Optuna's sampler is seeded and told the same scores in the same order, so a rerun asks
for the same policies; their runs are found in the store and only what is missing runs.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mandosim.experiments.batch import run_batch
from mandosim.experiments.executors import ExecutorSpec, Task, held
from mandosim.experiments.store import RunKey, Store, read_manifest, read_table
from mandosim.experiments.study import Lever, Optimisation, Outcome, Study, StudyFile
from mandosim.experiments.sweep import get_path
from mandosim.model.errors import InputError
from mandosim.model.rng import replicate_seeds

OPTUNA_MISSING = "optimise needs Optuna (NSGA-II): pip install optuna"


def optimisation(study: Study) -> Optimisation:
    """The study's ``[optimise]`` section (``InputError`` when it has none or it has no levers)."""
    if study.spec.optimise is None:
        raise InputError(study.path, "optimise", "the study has no [optimise] section (outcomes, ensemble, robustness)")
    if not study.spec.levers:
        raise InputError(study.path, "levers", "optimise needs at least one [[levers]] entry")
    return study.spec.optimise


def _level_label(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def suggest(trial: Any, levers: list[Lever], base_data: dict[str, Any]) -> dict[str, Any]:
    """One policy: Optuna's proposal for every lever (levels are categorical; ranges float, or int where the scenario's value is)."""
    settings: dict[str, Any] = {}
    for lever in levers:
        if lever.levels is not None:
            labels = [_level_label(v) for v in lever.levels]
            settings[lever.path] = json.loads(trial.suggest_categorical(lever.path, labels))
        else:
            low, high = lever.range  # type: ignore[misc]
            current = get_path(base_data, lever.path)
            if isinstance(current, int) and not isinstance(current, bool):
                settings[lever.path] = trial.suggest_int(lever.path, round(low), round(high))
            else:
                settings[lever.path] = trial.suggest_float(lever.path, low, high)
    return settings


def robust(values: np.ndarray, spec: Optimisation) -> float:
    """The robustness statistic of one policy's outcome over the ensemble's draws (lower is better)."""
    if spec.robustness == "mean":
        return float(values.mean())
    if spec.robustness == "worst":
        return float(values.max())
    return float(np.percentile(values, spec.percentile))


def policy_name(index: int) -> str:
    """The store's name for candidate policy ``index``."""
    return f"policy{index:05d}"


def _per_draw(runs: pd.DataFrame, outcome: Outcome) -> pd.DataFrame:
    """(policy, draw) → the outcome's mean over replicates."""
    rows = runs[runs["unit"] == outcome.unit]
    return rows.groupby(["scenario", "point"])[outcome.metric].mean().unstack("point")


@dataclass
class OptimiseReport:
    """What a search did: runs done and skipped (resumed), and failures."""

    total: int = 0
    skipped: int = 0
    done: int = 0
    failed: list[dict[str, Any]] | None = None


def run_optimise(
    study: Study, out: Path, executor: int | ExecutorSpec, command: list[str], force: bool = False, quiet: bool = False,
    allow_mixed: bool = False,
) -> tuple[Store, OptimiseReport]:  # fmt: skip
    """Search (or resume searching) the levers; every run lands in the store at ``out``."""
    try:
        import optuna
    except ImportError:
        raise InputError("<command line>", "optimise", OPTUNA_MISSING) from None
    spec = optimisation(study)
    draws = study.draws(spec.ensemble, "optimise")
    seeds = replicate_seeds(study.spec.seed, study.spec.replicates)
    store = Store(out, study.identity("optimise"), force=force, allow_mixed=allow_mixed)
    manifest = {
        "command": command,
        "study_file": str(study.path),
        "study": study.spec.model_dump(mode="json"),
        "base_scenario": {"name": study.base.scenario.name, "hash": study.base.content_hash},
        "seeds": seeds,
        "region": {"path": str(study.base.region_path), "cell_km": study.base.scenario.space.cell_km},
        "runs_total": spec.population * spec.generations * spec.ensemble * len(seeds),
    }
    store.write_manifest(manifest)
    frame = pd.DataFrame(draws, columns=study.names)
    frame.insert(0, "point", range(len(draws)))
    frame.to_csv(out / "ensemble.csv", index=False)
    optuna.logging.set_verbosity(logging.WARNING)
    sampler = optuna.samplers.NSGAIISampler(population_size=spec.population, seed=study.spec.seed)
    search = optuna.create_study(directions=["minimize"] * len(spec.outcomes), sampler=sampler)
    report = OptimiseReport(failed=[])
    policies = []
    try:
        with held(executor) as every_generation:  # one Dask cluster for the whole search
            for generation in range(spec.generations):
                trials = [search.ask() for _ in range(spec.population)]
                batch = []
                for trial in trials:
                    index = trial.number
                    settings = suggest(trial, study.spec.levers, study.base_data)
                    policies.append({"policy": policy_name(index), "generation": generation, **settings})
                    for d, draw in enumerate(draws):
                        scenario = study.scenario(f"{study.spec.name}_{policy_name(index)}_d{d}", draw, settings)
                        batch += [Task(RunKey(policy_name(index), d, k), scenario, seed, study.spec.days) for k, seed in enumerate(seeds)]
                outcome = run_batch(store, batch, every_generation, quiet=quiet, desc=f"generation {generation + 1}/{spec.generations}")
                report.total += outcome.total
                report.skipped += outcome.skipped
                report.done += outcome.done
                report.failed += outcome.failed
                if outcome.failed:
                    break
                runs = read_table(out, "runs", columns=["scenario", "point", "replicate", "unit", *{o.metric for o in spec.outcomes}])
                scores = [_per_draw(runs, o) for o in spec.outcomes]
                for trial in trials:
                    name = policy_name(trial.number)
                    search.tell(trial, [robust(s.loc[name].to_numpy(float), spec) for s in scores])
        pd.DataFrame(policies).to_json(out / "policies.json", orient="records", indent=1)
        store.write_manifest({**manifest, "runs_done": report.total - len(report.failed or []), "failed": store.failures()})
    finally:
        store.close()
    return store, report


#: Scores closer than this (relative to the column's scale) count as equal: sums of the same floats in
#: another order differ in the last bits, which must not decide the front.
PARETO_RTOL = 1e-9


def pareto_front(scores: np.ndarray) -> np.ndarray:
    """True for the rows no other row beats on every column (all minimised) and clearly on one."""
    tolerance = PARETO_RTOL * np.maximum(np.abs(scores).max(axis=0), 1.0)
    keep = np.ones(len(scores), dtype=bool)
    for i in range(len(scores)):
        dominated = np.all(scores <= scores[i] + tolerance, axis=1) & np.any(scores < scores[i] - tolerance, axis=1)
        keep[i] = not dominated.any()
    return keep


def policy_table(out: Path) -> pd.DataFrame:
    """Every policy searched: its levers, robust score, mean and worst regret per outcome, and whether it is on the Pareto front."""
    manifest = read_manifest(out)
    study = StudyFile.model_validate(manifest["study"])
    spec = study.optimise
    assert spec is not None
    policies = pd.read_json(out / "policies.json", orient="records")
    runs = read_table(out, "runs", columns=["scenario", "point", "replicate", "unit", *{o.metric for o in spec.outcomes}])
    table = policies.set_index("policy")
    score_columns = []
    for outcome in spec.outcomes:
        per_draw = _per_draw(runs, outcome).reindex(table.index)
        label = f"{outcome.metric}@{outcome.unit}"
        table[f"{label}:{spec.robustness}"] = [robust(row.to_numpy(float), spec) for _, row in per_draw.iterrows()]
        table[f"{label}:mean"] = per_draw.mean(axis=1)
        regret = per_draw - per_draw.min(axis=0)  # against the best policy in the same world (draw)
        table[f"{label}:max_regret"] = regret.max(axis=1)
        score_columns.append(f"{label}:{spec.robustness}")
    table["pareto"] = pareto_front(table[score_columns].to_numpy(float))
    levers = [lever.path for lever in study.levers if lever.path in table.columns]
    if levers:  # the search may propose one setting twice: the front lists it once, under its first name
        first = table.reset_index().groupby(levers, sort=False, dropna=False)["policy"].transform("first").to_numpy()
        table["same_as"] = np.where(first == table.index.to_numpy(), "", first)
        table.loc[table["same_as"] != "", "pareto"] = False
    return table.reset_index()


def write_optimise_outputs(out: Path, study: Study) -> pd.DataFrame:
    """policies.csv, pareto.csv, a scenario file per Pareto policy (policies/) and the parallel-coordinates figure."""
    from mandosim.experiments.library import self_contained_toml
    from mandosim.experiments.plots import plot_pareto

    spec = optimisation(study)
    table = policy_table(out)
    table.to_csv(out / "policies.csv", index=False)
    front = table[table["pareto"]].copy()
    front.to_csv(out / "pareto.csv", index=False)
    folder = out / "policies"
    for stale in folder.glob("*.toml"):  # a rerun's front may differ: only this front's files remain
        stale.unlink()
    folder.mkdir(exist_ok=True)
    lever_paths = [lever.path for lever in study.spec.levers]
    for record in front.to_dict("records"):
        settings = {path: record[path].item() if hasattr(record[path], "item") else record[path] for path in lever_paths}
        name = f"{study.spec.name}_{record['policy']}"
        defaults = np.array([get_path(study.base_data, u) for u in study.names], dtype=float)  # uncertainties at the base's values
        loaded = study.scenario(name, defaults, settings)
        description = f"Pareto policy of study {study.spec.name}: " + "; ".join(f"{k} = {v}" for k, v in settings.items())
        (folder / f"{name}.toml").write_text(self_contained_toml(loaded, folder, name, description))
    plot_pareto(out, table, lever_paths, [f"{o.metric}@{o.unit}:{spec.robustness}" for o in spec.outcomes])
    return table
