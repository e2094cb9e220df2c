"""mandosim: an agent-based policy simulator of public security on the Baja California–Sonora border.

The Python API (docs/api.md) returns the tables the command line writes, as pandas DataFrames::

    import mandosim

    result = mandosim.run("unified_command", seed=1, days=365)
    result.summary                         # one row per zone, state and region (column `level`)
    result.zones                           # one row per day and zone (`burn_in` marks days < 0)
    result.value("homicides_annual", "mexicali_valley")

    comparison = mandosim.compare(["baseline", "unified_command"], reps=10)
    comparison.effects                     # paired effects with 95 % CIs (effects.csv)

    sweep = mandosim.sweep("trust_x_vetting", reps=2)
    sweep.responses, sweep.indices         # responses.csv, indices.csv

Parameters are overridden with the dotted keys ``mandosim params`` lists, as a mapping
(``overrides={"institutions.trust_default": 0.8}``) or as keywords with ``__`` for the dots
(``institutions__trust_default=0.8``). This folder (``experiments/api/``) installs as the package
``mandosim`` itself; the model is ``mandosim.model``, everything around it ``mandosim.experiments``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pandas as pd

from mandosim.experiments.executors import ExecutorSpec
from mandosim.model import BorderSecurityModel, InputError, LoadedScenario, Scenario, load_scenario
from mandosim.model.metrics import COLUMNS
from mandosim.model.scenario import as_loaded, find_scenario

try:
    __version__ = version("mandosim")
except PackageNotFoundError:  # pragma: no cover - imported from a source tree that is not installed
    __version__ = "0"

__all__ = [
    "COLUMNS",
    "BorderSecurityModel",
    "Comparison",
    "Discovery",
    "InputError",
    "LoadedScenario",
    "Optimisation",
    "Result",
    "Scenario",
    "SweepResult",
    "__version__",
    "compare",
    "discover",
    "load",
    "load_scenario",
    "optimise",
    "run",
    "sweep",
]

ScenarioLike = LoadedScenario | str | Path


def load(scenario: ScenarioLike = "baseline", overrides: Mapping[str, Any] | None = None, **params: Any) -> LoadedScenario:
    """A scenario resolved and checked, with overrides applied.

    Args:
        scenario: A library name (``"baseline"``), a TOML file, or a ``LoadedScenario``.
        overrides: Dotted keys as ``mandosim params`` lists them (``{"command.regime": "unified"}``).
        **params: The same as keywords, ``__`` for the dots (``command__regime="unified"``).

    Raises:
        InputError: Unknown key or value out of range (the message names the key and what is allowed).
    """
    from mandosim.model.model import overrides_from_kwargs

    merged = {**dict(overrides or {}), **params}
    nested = overrides_from_kwargs(merged) if merged else {}
    if isinstance(scenario, LoadedScenario):
        return as_loaded(scenario, nested)
    return load_scenario(find_scenario(scenario), nested)


@dataclass
class Result:
    """One run's tables.

    Attributes:
        zones: One row per day and zone: ``day``, ``burn_in``, ``zone`` and every zone metric
            (``mandosim.COLUMNS`` gives each column's unit and meaning).
        groups: One row per day and criminal group: members and their flows.
        territory: One row per day, zone and group: members and cells controlled.
        summary: One row per zone, state and region over the horizon (``level`` tells them apart):
            totals of every count, ``homicides_annual``, ``disappearances_annual``, ``homicides_per_100k``.
        metadata: Scenario name and hash, seed, burn-in and horizon days, code version, wall time (s).
    """

    zones: pd.DataFrame
    groups: pd.DataFrame
    territory: pd.DataFrame
    summary: pd.DataFrame
    metadata: dict[str, Any] = field(default_factory=dict)

    def value(self, outcome: str = "homicides_annual", unit: str = "region") -> float:
        """One number of the summary: ``outcome`` in ``unit`` (a zone, a state code such as ``"BC"``, or ``"region"``)."""
        rows = self.summary[(self.summary["unit"] == unit) | (self.summary["unit"] == f"state {unit}")]
        if rows.empty:
            raise InputError("<api>", "unit", f"{unit!r} is not a unit of this run; units: {', '.join(self.summary['unit'])}")
        if outcome not in rows.columns:
            raise InputError("<api>", "outcome", f"{outcome!r} is not an outcome; outcomes: {', '.join(rows.columns[3:])}")
        return float(rows[outcome].iloc[0])


def run(
    scenario: ScenarioLike = "baseline",
    seed: int = 1,
    days: int | None = None,
    *,
    overrides: Mapping[str, Any] | None = None,
    progress: bool = False,
    **params: Any,
) -> Result:
    """Run one scenario with one seed (same scenario, overrides and seed → identical tables).

    Args:
        scenario: A library name, a TOML file, or a ``LoadedScenario``.
        seed: Root seed of every random stream.
        days: Horizon days after the burn-in (default: the scenario's ``time.horizon_days``).
        overrides: Dotted parameter keys (``{"institutions.trust_default": 0.8}``).
        progress: Show a progress bar of the days (a widget in Jupyter).
        **params: Overrides as keywords, ``__`` for the dots (``institutions__trust_default=0.8``).

    Returns:
        The run's ``Result``.

    Example:
        >>> r = mandosim.run("baseline", seed=1, days=30, command__regime="coordinated")
        >>> r.value("homicides", "region")
    """
    from mandosim.experiments.batch import summary_rows
    from mandosim.experiments.progress import progress_bar
    from mandosim.experiments.runner import run as run_one

    loaded = load(scenario, overrides, **params)
    total = loaded.scenario.time.burn_in_days + (days or loaded.scenario.time.horizon_days)
    with progress_bar(total, "day", loaded.scenario.name, quiet=not progress, leave=False) as bar:
        result = run_one(loaded, seed, days=days, progress=bar.update)
    summary = pd.DataFrame(summary_rows(result.summary))
    return Result(result.zones, result.groups, result.territory, summary, result.metadata)


@dataclass
class Comparison:
    """A comparison's tables (what ``mandosim compare`` writes).

    Attributes:
        effects: One row per outcome, unit and scenario: reference and scenario means, the paired
            difference with its 95 % CI, the relative change (%), the pairs (``effects.csv``).
        runs: One summary row per scenario, replicate and unit (``runs/``).
        series: One row per scenario, replicate, day and zone (``series/``).
        reference: The scenario the others are compared with.
        out: The results folder, if one was kept.
    """

    effects: pd.DataFrame
    runs: pd.DataFrame
    series: pd.DataFrame
    reference: str
    out: Path | None = None


@dataclass
class SweepResult:
    """A sweep's tables (what ``mandosim sweep`` writes).

    Attributes:
        responses: Per design point, unit and outcome: mean over replicates, 95 % half-width, design values.
        indices: Sobol (S1, ST with CIs) or Morris (mu*, sigma) indices; empty for grid and lhs designs.
        design: The design points (``design.csv``).
        runs: One summary row per point, replicate and unit.
        out: The results folder, if one was kept.
    """

    responses: pd.DataFrame
    indices: pd.DataFrame
    design: pd.DataFrame
    runs: pd.DataFrame
    out: Path | None = None


def _executor(jobs: int | None, executor: str | ExecutorSpec, scheduler: str | None, workers: int) -> ExecutorSpec:
    if isinstance(executor, ExecutorSpec):
        return executor
    jobs = jobs if jobs is not None else os.cpu_count() or 1
    if executor not in ("local", "dask", "dask-local"):
        raise InputError("<api>", "executor", f"{executor!r}: expected 'local', 'dask' or 'dask-local'")
    if jobs < 1 or workers < 1:
        raise InputError("<api>", "jobs", f"jobs and workers must be >= 1, got {jobs} and {workers}")
    if executor == "dask" and not scheduler:
        raise InputError("<api>", "scheduler", "executor='dask' needs scheduler='tcp://HOST:PORT'")
    return ExecutorSpec(executor, jobs=jobs, scheduler=scheduler, workers=workers)


@contextmanager
def _folder(out: str | Path | None, prefix: str) -> Iterator[tuple[Path, bool]]:
    """The results folder: ``out`` (kept), or a temporary one removed afterwards."""
    if out is not None:
        from mandosim.experiments.outdir import resolve_out

        yield resolve_out(out, Path(out), ("<api>", "out")), True
        return
    tmp = Path(tempfile.mkdtemp(prefix=f"mandosim-{prefix}-"))
    try:
        yield tmp / "store", False
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _failed(report: Any, store_path: Path) -> None:
    if report.failed:
        shown = "; ".join(f"{f['run']}: {f['error']}" for f in report.failed[:3])
        raise RuntimeError(f"{len(report.failed)} of {report.total} runs failed ({shown}); details in {store_path}/failures/")


def compare(
    scenarios: Sequence[ScenarioLike],
    reps: int = 10,
    seed: int = 1,
    days: int | None = None,
    *,
    reference: str | None = None,
    out: str | Path | None = None,
    jobs: int | None = None,
    executor: str | ExecutorSpec = "local",
    scheduler: str | None = None,
    workers: int = 2,
    overrides: Mapping[str, Any] | None = None,
    progress: bool = True,
    force: bool = False,
) -> Comparison:
    """Compare scenarios over ``reps`` replicates with common random numbers (``mandosim compare``).

    Args:
        scenarios: Two or more scenarios (library names, files or ``LoadedScenario``s).
        reps: Replicates per scenario (≥ 2, for a confidence interval).
        seed: Root seed; replicate k of every scenario gets the same spawned seed.
        days: Horizon days of every run (default: each scenario's).
        reference: The scenario the others are compared with (default: the first).
        out: Keep the results folder here (resumable; effects.csv, effects.md and figures are written);
            ``None`` runs in a temporary folder that is removed.
        jobs: Local worker processes (default: every core).
        executor: ``"local"``, ``"dask"`` (with ``scheduler``) or ``"dask-local"`` (``workers`` workers).
        scheduler: Dask scheduler address, ``tcp://HOST:PORT``.
        workers: Workers of a ``dask-local`` cluster.
        overrides: Dotted parameter keys applied to every scenario (a shared assumption).
        progress: Progress bar of the runs (a widget in Jupyter).
        force: Start over if ``out`` holds another experiment.

    Returns:
        The ``Comparison``'s tables.
    """
    from mandosim.experiments.analysis import paired_effects
    from mandosim.experiments.compare import OUTCOMES, run_comparison, write_outputs
    from mandosim.experiments.store import read_table

    if reps < 2:
        raise InputError("<api>", "reps", f"must be >= 2 to give a confidence interval, got {reps}")
    loaded = [load(s, overrides) for s in scenarios]
    names = [s.scenario.name for s in loaded]
    if len(loaded) < 2 or len(set(names)) != len(names):
        raise InputError("<api>", "scenarios", f"give two or more scenarios with different names, got {', '.join(names)}")
    reference = reference or names[0]
    if reference not in names:
        raise InputError("<api>", "reference", f"{reference!r} is not among the compared scenarios ({', '.join(names)})")
    spec = _executor(jobs, executor, scheduler, workers)
    with _folder(out, "compare") as (folder, keep):
        command = ["mandosim.compare", *names]
        _, report = run_comparison(loaded, reps, seed, spec, folder, reference, command, days=days, force=force, quiet=not progress)
        _failed(report, folder)
        if keep:
            region = loaded[0].region()
            effects = write_outputs(folder, dict(zip(region.zone_names, region.zone_labels, strict=True)), loaded[0].region_path)
        else:
            effects = paired_effects(read_table(folder, "runs"), list(OUTCOMES), reference)
        return Comparison(effects, read_table(folder, "runs"), read_table(folder, "series"), reference, folder if keep else None)


def sweep(
    file: str | Path,
    samples: int | None = None,
    reps: int | None = None,
    days: int | None = None,
    *,
    out: str | Path | None = None,
    jobs: int | None = None,
    executor: str | ExecutorSpec = "local",
    scheduler: str | None = None,
    workers: int = 2,
    progress: bool = True,
    force: bool = False,
) -> SweepResult:
    """Run a sweep file (``mandosim sweep``): its base scenario at every design point, replicated.

    Args:
        file: A sweep TOML file, or a shipped sweep's name (``"trust_x_vetting"``).
        samples: Overrides the file's samples (lhs points, Sobol N, Morris trajectories).
        reps: Overrides the file's replicates per point.
        days: Overrides the file's horizon days.
        out: Keep the results folder here (resumable; responses.csv, indices.csv, figures written);
            ``None`` runs in a temporary folder that is removed.
        jobs: Local worker processes (default: every core).
        executor: ``"local"``, ``"dask"`` (with ``scheduler``) or ``"dask-local"`` (``workers`` workers).
        scheduler: Dask scheduler address, ``tcp://HOST:PORT``.
        workers: Workers of a ``dask-local`` cluster.
        progress: Progress bar of the runs (a widget in Jupyter).
        force: Start over if ``out`` holds another experiment.

    Returns:
        The ``SweepResult``'s tables.
    """
    from mandosim.experiments.store import read_table
    from mandosim.experiments.sweep import Sweep, find_sweep, responses, run_sweep, sensitivity, write_sweep_outputs

    plan = Sweep(find_sweep(file), samples=samples, replicates=reps, days=days)
    spec = _executor(jobs, executor, scheduler, workers)
    with _folder(out, "sweep") as (folder, keep):
        _, report = run_sweep(plan, folder, spec, ["mandosim.sweep", str(file)], force=force, quiet=not progress)
        _failed(report, folder)
        if keep:
            table, indices = write_sweep_outputs(folder)
        else:
            table = responses(folder)
            indices = sensitivity(folder, table)
        design = pd.read_csv(folder / "design.csv")
        return SweepResult(table, indices, design, read_table(folder, "runs"), folder if keep else None)


@dataclass
class Discovery:
    """A scenario discovery's tables (what ``mandosim discover`` writes).

    Attributes:
        summary: The box in plain language.
        box: One row per uncertainty the PRIM box restricts: its limits, the full range, quasi-p-values.
        coverage: Share of all cases of interest inside the box.
        density: Share of the box's draws that are cases of interest.
        trajectory: Every box on PRIM's peeling trajectory (coverage, density, mass, restricted dimensions).
        cart: CART's leaves as boxes, with their coverage and density.
        effects: Per draw: the uncertainties, the outcome under base and policy, the effect, ``of_interest``.
        out: The results folder, if one was kept.
    """

    summary: str
    box: pd.DataFrame
    coverage: float
    density: float
    trajectory: pd.DataFrame
    cart: pd.DataFrame
    effects: pd.DataFrame
    out: Path | None = None


def discover(
    study: str | Path,
    samples: int | None = None,
    *,
    out: str | Path | None = None,
    jobs: int | None = None,
    executor: str | ExecutorSpec = "local",
    scheduler: str | None = None,
    workers: int = 2,
    progress: bool = True,
    force: bool = False,
) -> Discovery:
    """Scenario discovery (``mandosim discover``): the box of uncertainty values where a study's policy works.

    Args:
        study: A study TOML file with a ``[discover]`` section, or a shipped study's name (``"corridor"``).
        samples: Latin-hypercube draws (default: the study's).
        out: Keep the results folder here (resumable; the CSV tables, summary.md and figures are written);
            ``None`` runs in a temporary folder that is removed.
        jobs: Local worker processes (default: every core).
        executor: ``"local"``, ``"dask"`` (with ``scheduler``) or ``"dask-local"`` (``workers`` workers).
        scheduler: Dask scheduler address, ``tcp://HOST:PORT``.
        workers: Workers of a ``dask-local`` cluster.
        progress: Progress bar of the runs (a widget in Jupyter).
        force: Start over if ``out`` holds another experiment.

    Returns:
        The ``Discovery``.
    """
    from mandosim.experiments.discover import run_discover, write_discover_outputs
    from mandosim.experiments.study import Study

    plan = Study(study)
    spec = _executor(jobs, executor, scheduler, workers)
    with _folder(out, "discover") as (folder, keep):
        _, report = run_discover(plan, folder, spec, ["mandosim.discover", str(study)], samples, force=force, quiet=not progress)
        _failed(report, folder)
        box, text = write_discover_outputs(folder)
        return Discovery(
            text, box.limits, box.coverage, box.density, box.trajectory,
            pd.read_csv(folder / "cart_boxes.csv"), pd.read_csv(folder / "effects.csv"), folder if keep else None,
        )  # fmt: skip


@dataclass
class Optimisation:
    """A robust policy search's tables (what ``mandosim optimise`` writes).

    Attributes:
        policies: Every policy searched: its levers, and per outcome its robust score, mean over the
            ensemble and worst regret; ``pareto`` marks the Pareto set.
        pareto: The Pareto set alone.
        scenario_files: A scenario file per Pareto policy (``None`` unless ``out`` was given).
        out: The results folder, if one was kept.
    """

    policies: pd.DataFrame
    pareto: pd.DataFrame
    scenario_files: list[Path] | None = None
    out: Path | None = None


def optimise(
    study: str | Path,
    *,
    out: str | Path | None = None,
    jobs: int | None = None,
    executor: str | ExecutorSpec = "local",
    scheduler: str | None = None,
    workers: int = 2,
    progress: bool = True,
    force: bool = False,
) -> Optimisation:
    """Robust policy search (``mandosim optimise``): lever settings that minimise the study's outcomes over its ensemble.

    Args:
        study: A study TOML file with ``[[levers]]`` and an ``[optimise]`` section, or a shipped study's name.
        out: Keep the results folder here (resumable; policies.csv, pareto.csv, policies/*.toml and the
            figure are written); ``None`` runs in a temporary folder that is removed.
        jobs: Local worker processes (default: every core).
        executor: ``"local"``, ``"dask"`` (with ``scheduler``) or ``"dask-local"`` (``workers`` workers).
        scheduler: Dask scheduler address, ``tcp://HOST:PORT``.
        workers: Workers of a ``dask-local`` cluster.
        progress: Progress bars of each generation's runs (widgets in Jupyter).
        force: Start over if ``out`` holds another experiment.

    Returns:
        The ``Optimisation``.
    """
    from mandosim.experiments.optimise import run_optimise, write_optimise_outputs
    from mandosim.experiments.study import Study

    plan = Study(study)
    spec = _executor(jobs, executor, scheduler, workers)
    with _folder(out, "optimise") as (folder, keep):
        _, report = run_optimise(plan, folder, spec, ["mandosim.optimise", str(study)], force=force, quiet=not progress)
        _failed(report, folder)
        table = write_optimise_outputs(folder, plan)
        files = sorted((folder / "policies").glob("*.toml")) if keep else None
        return Optimisation(table, table[table["pareto"]].reset_index(drop=True), files, folder if keep else None)
