"""Calibration (``mandosim calibrate``): fit chosen parameters to observed annual counts.

Targets are either the rows of one year of an observed CSV (columns ``date`` — a year, or an ISO
date whose year is used —, ``zone`` — a zone, a state code such as ``BC``, or zones joined by
``+`` —, ``homicides`` and optionally ``disappearances`` and ``source``), or each zone's published
level (``--zone-levels``: ``experiments/targets.py``, one target per zone, years as published).

For candidate values the model runs ``reps`` times with the same seeds every time (common random
numbers keep the objective smooth). Each target's annual count is a negative binomial whose mean
is the replicates' mean and whose variance is the replicates' variance plus the squared standard
error of the mean plus the observed count's own error (``OBSERVATION_ERROR``, relative); the
objective is the negative log-likelihood of the observed counts. ``scipy.optimize``'s differential
evolution (seeded, deterministic) searches the logarithm of each parameter inside its bounds,
starting from a population that includes the scenario's values; Nelder–Mead is available for a
local polish. After the fit, each parameter's likelihood is sliced (the others at their fitted
values) and a 95 % interval read where the negative log-likelihood rises 1.92 above its minimum.

Besides the scenario's numeric parameters, ``members.<zone>`` multiplies every group's members in
that zone (group sizes per zone are not published; FACTS: Criminal groups).
"""

from __future__ import annotations

import copy
import difflib
import os
import shutil
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import differential_evolution, minimize
from scipy.special import gammaln

from mandosim.experiments.executors import Task, local_pool, run_local
from mandosim.experiments.hindcast import zone_indices
from mandosim.experiments.store import RunKey
from mandosim.experiments.sweep import _leaf_paths, get_path, set_path
from mandosim.model.errors import InputError
from mandosim.model.metrics import ZONE_METRICS
from mandosim.model.model import BorderSecurityModel
from mandosim.model.rng import replicate_seeds
from mandosim.model.scenario import LoadedScenario, default_scenarios_dir, resolve

OBSERVATION_ERROR = 0.10  # relative error of an observed annual count (assumption)
METRICS: tuple[str, ...] = ("homicides", "disappearances")
DAYS_PER_YEAR = 365.0
LOG_STEP = 0.25  # initial Nelder–Mead step in log-parameter (≈ ±28 %)
MEMBERS_PREFIX = "members."  # members.<zone>: multiplier of every group's members in the zone
MEMBERS_BOUNDS = (0.2, 8.0)  # range searched for a zone's members multiplier (assumption)
SEARCH_HALF_WIDTH = 2.0  # differential evolution searches within e^±2 (×0.14–7.4) of the start, inside the bounds
POPULATION_PER_PARAMETER = 3  # differential evolution: candidates per parameter and generation
SLICE_FACTORS = (0.8, 0.9, 1.1, 1.25)  # where each parameter's likelihood is sliced around the fit
REFIT_SEED_STRIDE = 1_000  # root seeds of repeated fits: seed + k × stride (any seeds unlike the fit's)
HALF_CHI2_95 = 1.92  # rise of the negative log-likelihood bounding a 95 % interval (χ²₁/2)


def negative_binomial_nll(observed: np.ndarray, replicates: np.ndarray) -> float:
    """Negative log-likelihood of observed annual counts under the replicates' negative binomial.

    Args:
        observed: (targets,) observed counts (annualised figures may be non-integer).
        replicates: (reps, targets) the model's annual counts at one candidate.
    """
    mean = np.maximum(replicates.mean(axis=0), 1e-6)
    reps = replicates.shape[0]
    spread = replicates.var(axis=0, ddof=1) if reps > 1 else np.zeros(mean.size)
    variance = spread * (1 + 1 / reps) + (OBSERVATION_ERROR * np.maximum(observed, 1.0)) ** 2
    excess = np.maximum(variance - mean, 1e-9 * mean)  # NB variance μ + μ²/k: at least Poisson
    k = mean**2 / excess
    y = np.asarray(observed, float)
    log_pmf = gammaln(y + k) - gammaln(k) - gammaln(y + 1) + k * np.log(k / (k + mean)) + y * np.log(mean / (k + mean))
    return float(-log_pmf.sum())


def horizon_totals(task: Task) -> np.ndarray:
    """(zones, 2) homicides and disappearances summed over the horizon of one run (burn-in excluded)."""
    model = BorderSecurityModel(task.scenario, seed=task.seed, days=task.days, report_to_mesa=False)
    model.run()
    rows = model.horizon_zone_series()
    model.release()
    return rows[:, :, [ZONE_METRICS.index(m) for m in METRICS]].sum(axis=0) * DAYS_PER_YEAR / rows.shape[0]


def read_observed(path: str | Path, zone_names: list[str], state_names: list[str]) -> pd.DataFrame:
    """Observed rows as a frame (year, zone, homicides, disappearances), checked against the region.

    Raises:
        InputError: naming the file, the row and column, and what is allowed.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "", "no such observed file")
    try:
        frame = pd.read_csv(path, comment="#", dtype={"date": str, "zone": str})
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise InputError(path, "", f"not a readable CSV ({error})") from None
    for column in ("date", "zone", "homicides"):
        if column not in frame.columns:
            raise InputError(
                path,
                column,
                f"missing column; needed: date, zone, homicides (optional: disappearances, source); found: {', '.join(frame.columns)}",
            )
    if "disappearances" not in frame.columns:
        frame["disappearances"] = np.nan
    years = pd.to_numeric(frame["date"].str.slice(0, 4), errors="coerce")
    for i, bad in enumerate(years.isna()):
        if bad:
            raise InputError(path, f"row {i + 2}.date", f"{frame['date'][i]!r} is not a year or an ISO date (YYYY or YYYY-MM-DD)")
    frame["year"] = years.astype(int)
    allowed = set(zone_names) | set(state_names)
    for i, zone in enumerate(frame["zone"]):
        for part in str(zone).split("+"):
            if part not in allowed:
                close = difflib.get_close_matches(part, sorted(allowed), n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                allowed_text = f"zones {', '.join(zone_names)}, states {', '.join(state_names)}, or zones joined by '+'"
                raise InputError(path, f"row {i + 2}.zone", f"unknown zone {part!r}; allowed: {allowed_text}{hint}")
    for column in METRICS:
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = values.isna() & frame[column].notna() | (values < 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(path, f"row {i + 2}.{column}", f"{frame[column][i]!r} is not a non-negative number")
        frame[column] = values
    return frame[["year", "zone", *METRICS]]


@dataclass
class Target:
    """One observed count: a metric summed over some zones in one year."""

    label: str
    metric: int  # index into METRICS
    zones: np.ndarray  # zone codes
    observed: float


@dataclass
class Evaluation:
    values: dict[str, float]
    objective: float  # negative log-likelihood
    means: np.ndarray
    errors: np.ndarray


@dataclass
class CalibrationResult:
    params: list[str]
    initial: dict[str, float]
    fitted: dict[str, float]
    targets: list[Target]
    history: list[Evaluation] = field(default_factory=list)
    success: bool = False
    intervals: dict[str, tuple[float, float]] = field(default_factory=dict)  # 95 % from likelihood slices
    slices: list[Evaluation] = field(default_factory=list)
    refits: list[dict[str, float]] = field(default_factory=list)  # fits repeated with other replicate seeds

    @property
    def best(self) -> Evaluation:
        return min(self.history, key=lambda e: e.objective)

    @property
    def first(self) -> Evaluation:
        return self.history[0]


class Calibration:
    """A calibration problem: a scenario, observed targets, parameters to fit.

    Args:
        scenario: The loaded scenario (its values are the starting point).
        observed: Path to the observed CSV, or ``None`` with ``targets``.
        params: Dotted parameter paths (``crime.civilian_kill_rate``) or ``members.<zone>``.
        year: Year of the CSV's targets (default: the latest in the file).
        reps: Replicates per evaluation.
        days: Horizon days of each run (default: the scenario's).
        seed: Root seed of the replicates (the same seeds at every evaluation).
        jobs: Worker processes.
        targets: ``experiments.targets`` levels (``ZoneTarget``, ``StateTarget``) to fit instead of a CSV's year.
    """

    def __init__(
        self,
        scenario: LoadedScenario,
        observed: str | Path | None,
        params: list[str],
        year: int | None = None,
        reps: int = 8,
        days: int | None = None,
        seed: int = 1,
        jobs: int = 1,
        targets: list | None = None,
    ) -> None:
        self.scenario = scenario
        self.data = scenario.scenario.model_dump(mode="python")
        region = scenario.region()
        self.zone_names, self.state_names = list(region.zone_names), list(region.state_names)
        self._zone_state = [self.state_names[region.jurisdiction_state[region.zone_jurisdiction[z]]] for z in range(len(self.zone_names))]
        if targets is not None:
            from mandosim.experiments.targets import __file__ as targets_file

            self.observed_path = Path(targets_file)
            self.year = max(t.year for t in targets)
            self.targets = [
                Target(f"{t.zone} homicides {t.year}", 0, self._zone_codes(t.zone), float(t.homicides))
                if hasattr(t, "zone")
                else Target(f"{t.state} {t.metric} {t.year}", METRICS.index(t.metric), self._zone_codes(t.state), float(t.count))
                for t in targets
            ]
        else:
            if observed is None:
                raise InputError("--observed", "", "name an observed CSV or use --zone-levels")
            self.observed_path = Path(observed)
            frame = read_observed(self.observed_path, self.zone_names, self.state_names)
            self.year = int(frame["year"].max()) if year is None else year
            rows = frame[frame["year"] == self.year]
            if rows.empty:
                raise InputError(self.observed_path, "date", f"no rows for {self.year}; years in the file: {sorted(set(frame['year']))}")
            self.targets = [
                Target(f"{row.zone} {metric} {self.year}", k, self._zone_codes(row.zone), float(getattr(row, metric)))
                for row in rows.itertuples()
                for k, metric in enumerate(METRICS)
                if not np.isnan(getattr(row, metric))
            ]
        valid = _leaf_paths(self.data)
        for name in params:
            self._check_param(name, valid)
        self.params = list(params)
        self.initial = {name: 1.0 if name.startswith(MEMBERS_PREFIX) else float(get_path(self.data, name)) for name in params}
        self.bounds = {name: MEMBERS_BOUNDS if name.startswith(MEMBERS_PREFIX) else self._bounds(name) for name in params}
        self.seed = seed
        self.seeds = replicate_seeds(seed, reps)
        self.days = days
        self.jobs = jobs
        self._pool: ProcessPoolExecutor | None = None

    # --- worker pool: one for the whole fit, so workers stay warm between evaluations -----------
    def __enter__(self) -> Calibration:
        if self.jobs > 1 and self._pool is None:
            self._pool = local_pool(self.jobs)
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the worker pool (if one was started)."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    # --- set-up checks ------------------------------------------------------------------------
    def _zone_codes(self, zone: str) -> np.ndarray:
        return np.array(zone_indices(zone, self.zone_names, self._zone_state))

    def _check_param(self, name: str, valid: list[str]) -> None:
        if name.startswith(MEMBERS_PREFIX):
            zone = name[len(MEMBERS_PREFIX) :]
            if zone not in self.zone_names:
                raise InputError("--params", name, f"unknown zone {zone!r}; members.<zone> takes one of {', '.join(self.zone_names)}")
            return
        try:
            value = get_path(self.data, name)
        except KeyError:
            close = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else "see 'mandosim params' for the parameters"
            raise InputError("--params", name, f"no parameter {name!r} in the scenario; {hint}") from None
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise InputError("--params", name, f"{name!r} = {value!r}: only positive numeric parameters can be fitted")

    def _bounds(self, name: str) -> tuple[float, float]:
        """Schema bounds of a parameter (positive; upper bound from ``le``/``lt`` where set)."""
        from mandosim.model.params import Scenario

        section, _, leaf = name.partition(".")
        low, high = 0.0, np.inf
        info = Scenario.model_fields.get(section)
        annotation = getattr(info, "annotation", None)
        fields = getattr(annotation, "model_fields", {})
        for rule in getattr(fields.get(leaf), "metadata", []):
            low = max(low, float(getattr(rule, "ge", None) or getattr(rule, "gt", None) or low))
            upper = getattr(rule, "le", None) or getattr(rule, "lt", None)
            if upper is not None:
                high = min(high, float(upper))
        return low, high

    # --- evaluation ----------------------------------------------------------------------------
    def scenario_with(self, values: dict[str, float]) -> LoadedScenario:
        data = copy.deepcopy(self.data)
        for name, value in values.items():
            if name.startswith(MEMBERS_PREFIX):
                zone = name[len(MEMBERS_PREFIX) :]
                for group in data["groups"].values():
                    if zone in group["members"]:
                        group["members"][zone] = float(round(group["members"][zone] * value))
            else:
                set_path(data, name, value)
        data["region"] = str(self.scenario.region_path)
        return resolve(data, self.scenario.path, self.scenario.region_path.parent, None)

    def evaluate(self, values: dict[str, float]) -> Evaluation:
        """Run the replicates at ``values``; the objective and each target's mean and standard error."""
        scenario = self.scenario_with(values)
        tasks = [Task(RunKey("calibration", 0, k), scenario, seed, self.days) for k, seed in enumerate(self.seeds)]
        outcomes = list(run_local(tasks, horizon_totals, self.jobs, quiet=True, pool=self._pool))
        failed = [o for o in outcomes if o.error]
        if failed:
            raise RuntimeError(f"a calibration run failed: {failed[0].error}")
        totals = np.array([o.tables for o in outcomes])  # (reps, zones, metrics)
        per_target = np.array([totals[:, t.zones, t.metric].sum(axis=1) for t in self.targets]).T  # (reps, targets)
        means = per_target.mean(axis=0)
        errors = per_target.std(axis=0, ddof=1) / np.sqrt(per_target.shape[0]) if per_target.shape[0] > 1 else np.zeros(means.size)
        observed = np.array([t.observed for t in self.targets])
        return Evaluation(dict(values), negative_binomial_nll(observed, per_target), means, errors)

    def fit(
        self, max_evaluations: int = 60, progress: Callable[[Evaluation], None] | None = None, method: str = "differential-evolution"
    ) -> CalibrationResult:
        """Search log-parameters from the scenario's values; returns the best found, with likelihood slices.

        Args:
            max_evaluations: Budget of evaluations for the search (the slices come on top).
            progress: Called after each evaluation.
            method: ``differential-evolution`` (global, seeded) or ``nelder-mead`` (local, from the start values).
        """
        result = CalibrationResult(self.params, self.initial, dict(self.initial), self.targets)
        x0 = np.log([self.initial[n] for n in self.params])
        low = np.log([max(self.bounds[n][0], 1e-300) for n in self.params])
        high = np.log([self.bounds[n][1] for n in self.params])
        box_low, box_high = np.maximum(low, x0 - SEARCH_HALF_WIDTH), np.minimum(high, x0 + SEARCH_HALF_WIDTH)  # searched box

        def values_at(x: np.ndarray) -> dict[str, float]:
            return {n: float(np.exp(np.clip(v, lo, hi))) for n, v, lo, hi in zip(self.params, x, low, high, strict=True)}

        def objective(x: np.ndarray) -> float:
            evaluation = self.evaluate(values_at(x))
            result.history.append(evaluation)
            if progress is not None:
                progress(evaluation)
            return evaluation.objective

        if method == "nelder-mead":
            simplex = np.vstack([x0, x0 + LOG_STEP * np.eye(x0.size)])
            outcome = minimize(
                objective, x0, method="Nelder-Mead",
                options={"initial_simplex": simplex, "maxfev": max_evaluations, "xatol": 0.01, "fatol": 0.05},
            )  # fmt: skip
        elif method == "differential-evolution":
            population = max(POPULATION_PER_PARAMETER * x0.size, 5)
            generations = max(1, max_evaluations // population - 1)
            outcome = differential_evolution(
                objective, list(zip(box_low, box_high, strict=True)), x0=x0, popsize=max(1, population // x0.size),
                maxiter=generations, seed=len(self.seeds), polish=False, init="sobol", tol=0.0, updating="immediate",
            )  # fmt: skip
        else:
            raise InputError("--method", method, "choose differential-evolution or nelder-mead")
        result.fitted = dict(result.best.values)
        result.success = bool(outcome.success)
        return result

    def slice_intervals(self, result: CalibrationResult, progress: Callable[[Evaluation], None] | None = None) -> None:
        """Each parameter's 95 % interval from its likelihood slice through the fit (others fixed).

        The rise of the negative log-likelihood at ``SLICE_FACTORS`` × the fitted value is fitted by a
        parabola in log-value centred on the fit; the interval is where it stays within ``HALF_CHI2_95``.
        A flat or falling slice gives the searched bounds. It is a slice, not a profile (the other
        parameters are not refitted), so it understates the spread where parameters trade off.
        """
        best = result.best
        for name in self.params:
            x, y = [np.log(best.values[name])], [best.objective]
            for factor in SLICE_FACTORS:
                values = {**best.values, name: float(np.clip(best.values[name] * factor, *self.bounds[name]))}
                evaluation = self.evaluate(values)
                result.slices.append(evaluation)
                if progress is not None:
                    progress(evaluation)
                x.append(np.log(values[name]))
                y.append(evaluation.objective)
            distance, rise = np.array(x[1:]) - x[0], np.array(y[1:]) - y[0]
            curvature = float((rise * distance**2).sum() / (distance**4).sum())  # ΔNLL ≈ c·(log v − log v*)²
            low, high = self.bounds[name]
            if curvature <= 0:
                result.intervals[name] = (low, high)
                continue
            centre = x[0]
            half = np.sqrt(HALF_CHI2_95 / curvature)
            result.intervals[name] = (float(max(low, np.exp(centre - half))), float(min(high, np.exp(centre + half))))

    def repeated_fits(
        self, result: CalibrationResult, repeats: int, max_evaluations: int, progress: Callable[[Evaluation], None] | None = None
    ) -> None:
        """Fit again ``repeats`` times from the fit, each with other replicate seeds (Nelder–Mead, ``max_evaluations`` each).

        The spread of the refitted values is how far the fit moves with the replicates' noise: a
        posterior-like spread that, unlike the slices, lets every parameter move at once.
        """
        seeds, initial = self.seeds, self.initial
        try:
            for k in range(1, repeats + 1):
                self.seeds = replicate_seeds(self.seed + k * REFIT_SEED_STRIDE, len(seeds))
                self.initial = dict(result.fitted)
                result.refits.append(self.fit(max_evaluations, progress, "nelder-mead").fitted)
        finally:
            self.seeds, self.initial = seeds, initial


def write_calibration(calibration: Calibration, result: CalibrationResult, out: Path) -> list[Path]:
    """Write ``fitted.toml``, ``calibration.csv``, ``spread.csv`` and ``fit.png``/``.svg``.

    ``fitted.toml`` extends a library scenario by name and sets the fitted values; a scenario from
    elsewhere is written whole (with a copy of its region file if that is not the library's), so the
    output folder loads wherever it goes.
    """
    from mandosim.experiments.library import self_contained_toml, to_toml
    from mandosim.experiments.plots import plot_calibration

    out.mkdir(parents=True, exist_ok=True)
    source = calibration.scenario.path
    scenario = calibration.scenario_with(result.fitted).scenario
    nested: dict = {}
    for name, value in result.fitted.items():
        if name.startswith(MEMBERS_PREFIX):
            continue
        section, _, leaf = name.partition(".")
        nested.setdefault(section, {})[leaf] = float(f"{value:.6g}")
    if any(name.startswith(MEMBERS_PREFIX) for name in result.fitted):  # the groups' fitted members per zone
        nested["groups"] = {name: {"members": dict(group.members)} for name, group in scenario.groups.items()}
    header = {
        "name": f"{calibration.scenario.scenario.name}_fitted",
        "description": (
            f"{calibration.scenario.scenario.name} with {', '.join(result.params)} fitted to {calibration.observed_path.name} "
            f"({len(calibration.seeds)} replicates per evaluation, negative log-likelihood {result.best.objective:.4g})"
        ),
    }
    library = default_scenarios_dir()
    if source is not None and source.resolve().is_relative_to(library):  # found in the library from anywhere
        body = {**header, "extends": os.path.relpath(source.resolve(), library), **nested}
        text = to_toml(body)
    else:  # self-contained: every value, so it loads wherever the folder goes
        text = self_contained_toml(calibration.scenario_with(result.fitted), out, header["name"], header["description"])
    fitted = out / "fitted.toml"
    fitted.write_text(text)
    rows = [
        {**e.values, "objective": e.objective, **{f"model:{t.label}": m for t, m in zip(result.targets, e.means, strict=True)}}
        for e in result.history
    ]
    history = out / "calibration.csv"
    pd.DataFrame(rows).to_csv(history, index_label="evaluation")
    spread = out / "spread.csv"
    rows = []
    for n, (lo, hi) in result.intervals.items():
        refitted = [r[n] for r in result.refits]
        rows.append({
            "parameter": n, "start": result.initial[n], "fitted": result.fitted[n], "low_95": lo, "high_95": hi,
            "refits": len(refitted), "refit_low": min(refitted, default=np.nan), "refit_high": max(refitted, default=np.nan),
        })  # fmt: skip
    columns = ["parameter", "start", "fitted", "low_95", "high_95", "refits", "refit_low", "refit_high"]
    pd.DataFrame(rows, columns=columns).to_csv(spread, index=False)
    return [fitted, history, spread, *plot_calibration(result, out / "fit")]


def write_calibration_page(
    result_dir: Path,
    page: Path,
    command: str,
    refits_dir: Path | None = None,
    refits_command: str = "",
    alone_dir: Path | None = None,
    alone_command: str = "",
) -> str:
    """A Markdown page of a finished calibration (``make calibration``): targets, fit, intervals, refits, figure.

    Args:
        result_dir: The folder ``mandosim calibrate`` wrote.
        page: The page to write (its figure goes to ``figures/`` beside it).
        command: The command that made ``result_dir`` (shown on the page).
        refits_dir: A second calibration's folder whose repeated fits started from the shipped fit
            (``--repeats`` around the baseline that holds ``result_dir``'s values); its refit ranges
            are shown on the fit's scale.
        refits_command: The command that made ``refits_dir``.
        alone_dir: A third calibration's folder: parameters fitted again alone, the others held at the
            shipped fit (a zone the joint fit leaves outside its tolerance).
        alone_command: The command that made ``alone_dir``.

    Returns:
        A one-line summary.
    """
    history = pd.read_csv(result_dir / "calibration.csv", index_col="evaluation")
    spread = pd.read_csv(result_dir / "spread.csv")
    if refits_dir is not None:
        around = pd.read_csv(refits_dir / "spread.csv").set_index("parameter")
        scale = spread["fitted"].to_numpy() / around.loc[spread["parameter"], "start"].to_numpy()
        for column in ("refit_low", "refit_high"):
            spread[column] = around.loc[spread["parameter"], column].to_numpy() * scale
        spread["refits"] = around.loc[spread["parameter"], "refits"].to_numpy()
    best = history.loc[history["objective"].idxmin()]
    first = history.iloc[0]
    targets = [c[len("model:") :] for c in history.columns if c.startswith("model:")]
    (page.parent / "figures").mkdir(parents=True, exist_ok=True)
    shutil.copy(result_dir / "fit.png", page.parent / "figures" / "calibration_fit.png")
    lines = [
        "# Calibration of the baseline to every zone's published level",
        "",
        f"Made by `{command}` (`make calibration`); targets: `experiments/targets.py` (docs/facts.md, one source per",
        "series, years before 2024, flagged where derived). Each evaluation runs the same replicate seeds; each target",
        "is a negative binomial with the replicates' mean and variance plus a 10 % observation error; differential",
        "evolution searches the fitted parameters; the 95 % intervals come from likelihood slices through the fit",
        "(the other parameters held at their fitted values); where the slice does not rise within ×0.8–1.25 of the fit",
        "(replicate noise), the interval is the parameter's whole searched range: the slice does not identify it.",
        "",
        f"Negative log-likelihood {first['objective']:.4g} at the start → **{best['objective']:.4g}** at the fit, "
        f"after {len(history)} evaluations.",
        "",
        "| target | published | model at the start | model at the fit |",
        "|---|---:|---:|---:|",
    ]
    from mandosim.experiments.targets import DISAPPEARANCE_TARGETS, ZONE_TARGETS

    published = {f"{t.zone} homicides {t.year}": t.homicides for t in ZONE_TARGETS}
    published |= {f"{t.state} {t.metric} {t.year}": t.count for t in DISAPPEARANCE_TARGETS}
    for label in targets:
        lines.append(
            f"| {label} | {published.get(label, float('nan')):,.0f} | {first['model:' + label]:,.0f} | {best['model:' + label]:,.0f} |"
        )
    refits = int(spread["refits"].max()) if "refits" in spread and spread["refits"].notna().any() else 0
    if refits:
        made = f" (`{refits_command}`, from the shipped baseline, which holds this fit)" if refits_command else ""
        lines += [
            "",
            f"The fit was repeated {refits} times from its values{made}, each with other replicate seeds (Nelder–Mead): "
            "the range of the refitted values shows how far the fit moves with the replicates' noise when every parameter "
            "may move. Where that range excludes the fit, six replicates per evaluation leave the fit seed-dependent.",
        ]
    lines += ["", "| parameter | start | fitted | 95 % slice interval | range over refits |", "|---|---:|---:|---|---|"]
    for row in spread.itertuples():
        moved = f"{row.refit_low:.3g}–{row.refit_high:.3g}" if refits else "—"
        lines.append(f"| `{row.parameter}` | {row.start:.3g} | {row.fitted:.3g} | {row.low_95:.3g}–{row.high_95:.3g} | {moved} |")
    lines += ["", "![Observed against the model at the start and at the fit](figures/calibration_fit.png)", ""]
    if alone_dir is not None:
        lines += _alone_section(alone_dir, alone_command, published)
    page.write_text("\n".join(lines))
    return f"negative log-likelihood {first['objective']:.4g} -> {best['objective']:.4g}"


def _alone_section(result_dir: Path, command: str, published: dict[str, float]) -> list[str]:
    """The page's section on parameters fitted again alone, the others held at the shipped fit."""
    history = pd.read_csv(result_dir / "calibration.csv", index_col="evaluation")
    spread = pd.read_csv(result_dir / "spread.csv")
    best, first = history.loc[history["objective"].idxmin()], history.iloc[0]
    fitted = "; ".join(
        f"`{row.parameter}` ×{row.fitted / row.start:.3g} of the joint fit (95 % slice {row.low_95 / row.start:.3g}–"
        f"{row.high_95 / row.start:.3g})"
        for row in spread.itertuples()
    )
    lines = [
        "## Fitted again alone",
        "",
        f"Made by `{command}` (`make calibration`, after the refits), every other parameter held at the joint fit: "
        f"{fitted}; negative log-likelihood {first['objective']:.4g} → **{best['objective']:.4g}** after "
        f"{len(history)} evaluations. The shipped baseline holds this value.",
        "",
        "| target | published | model at the joint fit | model at this fit |",
        "|---|---:|---:|---:|",
    ]
    for label in [c[len("model:") :] for c in history.columns if c.startswith("model:")]:
        lines.append(
            f"| {label} | {published.get(label, float('nan')):,.0f} | {first['model:' + label]:,.0f} | {best['model:' + label]:,.0f} |"
        )
    return [*lines, ""]
