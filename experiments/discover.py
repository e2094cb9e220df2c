"""Scenario discovery (``mandosim discover``): the conditions under which a policy works.

A study's uncertainties are drawn by Latin hypercube; at every draw the base scenario and the
policy run on the same replicate seeds (common random numbers) into a resumable store. The policy's
effect at a draw is its relative change of the outcome, mean over replicates. PRIM (the Patient Rule
Induction Method, Friedman and Fisher 1999, as implemented by EMA Workbench) then finds the box of
uncertainty values where the effect crosses the study's threshold: it peels the space down step by
step, trading *coverage* (the share of all cases of interest inside the box) for *density* (the
share of draws inside the box that are cases of interest). The box shown is the one on that
trajectory with the best balance of the two (their harmonic mean); the trajectory is plotted and
tabled so another can be chosen. CART (a classification tree, also from EMA Workbench) gives a
second view: disjoint boxes covering the whole space.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mandosim.experiments.batch import BatchReport, run_experiment
from mandosim.experiments.executors import ExecutorSpec, Task
from mandosim.experiments.store import RunKey, Store, read_manifest, read_table
from mandosim.experiments.study import Discovery, Study, StudyFile
from mandosim.model.errors import InputError
from mandosim.model.rng import replicate_seeds

REFERENCE, POLICY = "reference", "policy"
#: CART's smallest leaf, as a share of the draws (EMA Workbench's default), and at least this many draws.
CART_MASS_MIN = 0.05
CART_MIN_LEAF_DRAWS = 2
#: PRIM's share of the draws removed per peel (EMA Workbench's default).
PEEL_ALPHA = 0.05
#: EMA Workbench counts cases as ``y >= threshold`` and keeps a box only if its mean reaches it: with
#: 0/1 cases any threshold in (0, 1] counts them, and the smallest keeps every trajectory (no "dump box").
CASE_THRESHOLD = 1e-9
#: A limit whose quasi-p-value (EMA Workbench's one-sided binomial test of the cases it cuts off) is above
#: this is dropped from the box shown: it cuts off no more cases than chance would (conventional 5 %).
QP_MAX = 0.05
#: Fewest draws on either side of the threshold for which PRIM's limits can be told from chance
#: (assumption: a binomial quasi-p below 0.05 needs at least about five cases on the side it cuts).
FEW_CASES = 5
EMA_MISSING = "discover needs EMA Workbench (PRIM and CART): pip install 'mandosim[ema]'"


def _ema() -> tuple[Any, Any]:
    """EMA Workbench's ``prim`` and ``cart`` modules (its import warns about optional parallel back ends)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from ema_workbench.analysis import cart, prim
    except ImportError:
        raise InputError("<command line>", "discover", EMA_MISSING) from None
    return prim, cart


def discovery(study: Study) -> Discovery:
    """The study's ``[discover]`` section (``InputError`` when it has none)."""
    if study.spec.discover is None:
        raise InputError(study.path, "discover", "the study has no [discover] section (policy, outcome, threshold)")
    return study.spec.discover


def discover_tasks(study: Study, samples: int | None = None) -> tuple[np.ndarray, list[Task]]:
    """The draws and the runs: every draw × replicate, base and policy on the same seed."""
    spec = discovery(study)
    draws = study.draws(samples or spec.samples, "discover")
    seeds = replicate_seeds(study.spec.seed, study.spec.replicates)
    tasks = []
    for p, draw in enumerate(draws):
        reference = study.scenario(f"{study.spec.name}_d{p}", draw)
        policy = study.scenario(f"{study.spec.name}_d{p}_policy", draw, dict(spec.policy))
        for k, seed in enumerate(seeds):
            tasks.append(Task(RunKey(REFERENCE, p, k), reference, seed, study.spec.days))
            tasks.append(Task(RunKey(POLICY, p, k), policy, seed, study.spec.days))
    return draws, tasks


def run_discover(
    study: Study, out: Path, executor: int | ExecutorSpec, command: list[str], samples: int | None = None,
    force: bool = False, quiet: bool = False, allow_mixed: bool = False,
) -> tuple[Store, BatchReport]:  # fmt: skip
    """Run (or resume) a discovery's runs into ``out``."""
    draws, tasks = discover_tasks(study, samples)
    store = Store(out, study.identity("discover", samples=len(draws)), force=force, allow_mixed=allow_mixed)
    manifest = {
        "command": command,
        "study_file": str(study.path),
        "study": study.spec.model_dump(mode="json"),
        "samples": len(draws),
        "base_scenario": {"name": study.base.scenario.name, "hash": study.base.content_hash},
        "seeds": replicate_seeds(study.spec.seed, study.spec.replicates),
        "region": {"path": str(study.base.region_path), "cell_km": study.base.scenario.space.cell_km},
        "runs_total": len(tasks),
    }
    store.write_manifest(manifest)
    frame = pd.DataFrame(draws, columns=study.names)
    frame.insert(0, "point", range(len(draws)))
    frame.to_csv(out / "draws.csv", index=False)
    report = run_experiment(store, tasks, executor, manifest, quiet=quiet, desc=f"discover {study.spec.name}")
    return store, report


def effects(out: Path) -> pd.DataFrame:
    """Per draw: the uncertainties, the outcome's mean under base and policy, the relative effect, and ``of_interest``."""
    manifest = read_manifest(out)
    spec = StudyFile.model_validate(manifest["study"]).discover
    assert spec is not None
    metric, unit = spec.outcome.metric, spec.outcome.unit
    runs = read_table(out, "runs", columns=["scenario", "point", "replicate", "unit", metric])
    runs = runs[runs["unit"] == unit]
    means = runs.groupby(["point", "scenario"])[metric].mean().unstack("scenario")
    table = pd.read_csv(out / "draws.csv").set_index("point").join(means, how="inner")
    table = table.rename(columns={REFERENCE: "reference_mean", POLICY: "policy_mean"})
    table["effect"] = table["policy_mean"] / table["reference_mean"].where(table["reference_mean"] > 0) - 1
    table["of_interest"] = table["effect"] <= spec.threshold if spec.direction == "below" else table["effect"] >= spec.threshold
    return table.reset_index()


@dataclass
class Box:
    """A PRIM box: its limits, how good it is, and the whole peeling trajectory.

    Attributes:
        limits: One row per uncertainty the box restricts: ``parameter``, ``low``, ``high``, the full
            range (``range_low``, ``range_high``) and EMA Workbench's quasi-p-values of each limit.
        coverage: Share of all cases of interest inside the box.
        density: Share of the draws inside the box that are cases of interest.
        mass: Share of all draws inside the box.
        cases: Draws that are cases of interest, of all draws.
        trajectory: Every box on the peeling trajectory (coverage, density, mass, restricted dimensions).
        chosen: Index of the box shown on the trajectory.
    """

    limits: pd.DataFrame
    coverage: float
    density: float
    mass: float
    cases: tuple[int, int]
    trajectory: pd.DataFrame
    chosen: int


def find_box(x: pd.DataFrame, of_interest: np.ndarray, bounds: dict[str, tuple[float, float]] | None = None) -> tuple[Box, Any]:
    """PRIM over ``x`` (one column per uncertainty) for the cases ``of_interest``; the best-balanced box.

    Args:
        x: The draws.
        of_interest: True where the draw is a case of interest.
        bounds: Each uncertainty's full range (default: the range of the draws).

    Returns:
        The ``Box`` and EMA Workbench's ``PrimBox`` (for its own plots).

    Raises:
        InputError: No draw, or every draw, is a case of interest (nothing to explain).
    """
    prim, _ = _ema()
    y = np.asarray(of_interest, dtype=bool)
    if not y.any() or y.all():
        share = "none" if not y.any() else "all"
        raise InputError("<discover>", "threshold", f"{share} of the {y.size} draws cross the threshold: nothing to explain (change it)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        algorithm = prim.Prim(x.astype(float), y.astype(float), threshold=CASE_THRESHOLD, peel_alpha=PEEL_ALPHA)
        prim_box = algorithm.find_box()
    trajectory = prim_box.peeling_trajectory.copy()
    balance = 2 * trajectory["coverage"] * trajectory["density"] / (trajectory["coverage"] + trajectory["density"])
    chosen = int(balance.idxmax())
    prim_box.select(chosen)
    while prim_box.qp[chosen]:  # drop the least significant restriction, one at a time, until all pass
        weakest = {name: min(p for p in sides if p >= 0) for name, sides in prim_box.qp[chosen].items()}
        name = max(weakest, key=weakest.__getitem__)
        if weakest[name] <= QP_MAX:
            break
        prim_box.drop_restriction(name)  # EMA appends the wider box to the trajectory and selects it
        chosen = len(prim_box.peeling_trajectory) - 1
    trajectory = prim_box.peeling_trajectory.copy()
    balance = 2 * trajectory["coverage"] * trajectory["density"] / (trajectory["coverage"] + trajectory["density"])
    bounds = bounds or {c: (float(x[c].min()), float(x[c].max())) for c in x.columns}
    qp = prim_box.qp[chosen]
    rows = []
    for name in qp:
        low, high = (float(v) for v in prim_box.box_lim[name])
        p_low, p_high = qp[name]
        rows.append({
            "parameter": name, "low": low if p_low >= 0 else bounds[name][0], "high": high if p_high >= 0 else bounds[name][1],
            "range_low": bounds[name][0], "range_high": bounds[name][1],
            "qp_low": p_low if p_low >= 0 else float("nan"), "qp_high": p_high if p_high >= 0 else float("nan"),
        })  # fmt: skip
    trajectory.insert(0, "balance", balance)
    box = Box(
        limits=pd.DataFrame(rows, columns=["parameter", "low", "high", "range_low", "range_high", "qp_low", "qp_high"]),
        coverage=float(prim_box.coverage),
        density=float(prim_box.density),
        mass=float(prim_box.mass),
        cases=(int(y.sum()), int(y.size)),
        trajectory=trajectory,
        chosen=chosen,
    )
    return box, prim_box


def cart_boxes(x: pd.DataFrame, of_interest: np.ndarray) -> tuple[pd.DataFrame, Any]:
    """CART's leaves as boxes: one row per leaf and uncertainty it restricts, with the leaf's coverage and density."""
    _, cart = _ema()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mass_min = max(CART_MASS_MIN, CART_MIN_LEAF_DRAWS / len(x))
        tree = cart.CART(x.astype(float), np.asarray(of_interest, dtype=bool), mass_min=mass_min)
        tree.build_tree()
    stats = tree.stats_to_dataframe()
    rows = []
    for i, (leaf, limits) in enumerate(zip(stats.index, tree.boxes, strict=True)):
        for name in x.columns:
            low, high = float(limits[name].iloc[0]), float(limits[name].iloc[1])
            if low > x[name].min() or high < x[name].max():
                rows.append({"leaf": i + 1, "box": leaf, "parameter": name, "low": low, "high": high})
        if not any(r["leaf"] == i + 1 for r in rows):
            rows.append({"leaf": i + 1, "box": leaf, "parameter": "(none)", "low": float("nan"), "high": float("nan")})
    frame = pd.DataFrame(rows)
    stats = stats.reset_index(names="box").rename(columns={"res dim": "restricted"})
    return frame.merge(stats, on="box"), tree


def _number(value: float) -> str:
    return f"{value:.3g}"


def summary(spec: Discovery, box: Box) -> str:
    """The box in plain language: 'the policy lowers ... by ≥ 10 % when A is below a and B above b; coverage, density'."""
    what = spec.label or "the policy"
    size = abs(spec.threshold) * 100
    if spec.direction == "below":
        verb = f"lowers {spec.outcome.metric.replace('_', ' ')} in {spec.outcome.unit} by at least {size:.0f} %"
        if spec.threshold > 0:
            verb = f"raises {spec.outcome.metric.replace('_', ' ')} in {spec.outcome.unit} by at most {size:.0f} %"
    else:
        verb = f"raises {spec.outcome.metric.replace('_', ' ')} in {spec.outcome.unit} by at least {size:.0f} %"
    conditions = []
    for row in box.limits.itertuples():
        low_cut, high_cut = row.low > row.range_low, row.high < row.range_high
        if low_cut and high_cut:
            conditions.append(f"{row.parameter} is between {_number(row.low)} and {_number(row.high)}")
        elif high_cut:
            conditions.append(f"{row.parameter} is below {_number(row.high)}")
        elif low_cut:
            conditions.append(f"{row.parameter} is above {_number(row.low)}")
    cases, draws = box.cases
    subject = what[0].upper() + what[1:]
    if not conditions:
        fewest = min(cases, draws - cases)
        advice = (
            f" With {fewest} draw{'s' if fewest != 1 else ''} on one side of the threshold, no limit could reach that "
            f"significance: run more draws (--samples; {FEW_CASES} or more on each side at the least) or move the threshold."
            if fewest < FEW_CASES
            else ""
        )
        return (
            f"{subject} {verb} in {cases} of {draws} draws ({cases / draws:.0%}), and no condition on the uncertainties "
            f"singles them out: every limit PRIM found cuts off no more such draws than chance would (quasi-p > {QP_MAX:g}).{advice}"
        )
    return (
        f"{subject} {verb} when {' and '.join(conditions)}; coverage {box.coverage:.0%}, density {box.density:.0%} "
        f"({cases} of {draws} draws are such cases, {cases / draws:.0%}; the box holds {box.mass:.0%} of the draws)."
    )


def write_discover_outputs(out: Path) -> tuple[Box, str]:
    """effects.csv, prim_trajectory.csv, prim_box.csv, cart_boxes.csv, summary.md and the figures of a discovery store."""
    from mandosim.experiments.plots import plot_discovery

    manifest = read_manifest(out)
    study = StudyFile.model_validate(manifest["study"])
    spec = study.discover
    assert spec is not None
    table = effects(out)
    table.to_csv(out / "effects.csv", index=False)
    names = [u.path for u in study.uncertainties]
    bounds = {u.path: (float(u.range[0]), float(u.range[1])) for u in study.uncertainties}
    clean = table.dropna(subset=["effect"])
    box, _ = find_box(clean[names], clean["of_interest"].to_numpy(), bounds)
    box.trajectory.to_csv(out / "prim_trajectory.csv", index=False)
    box.limits.to_csv(out / "prim_box.csv", index=False)
    leaves, tree = cart_boxes(clean[names], clean["of_interest"].to_numpy())
    leaves.to_csv(out / "cart_boxes.csv", index=False)
    text = summary(spec, box)
    lines = [
        f"# {study.name}: when does the policy work?",
        "",
        text,
        "",
        f"Policy: {', '.join(f'{k} = {v}' for k, v in spec.policy.items())}; against {study.base}; "
        f"{len(table)} Latin-hypercube draws × {study.replicates} replicates (common random numbers).",
        "",
        "| uncertainty | box low | box high | full range | quasi-p (low, high) |",
        "|---|---:|---:|---|---|",
        *(
            f"| {r.parameter} | {_number(r.low)} | {_number(r.high)} | {_number(r.range_low)}–{_number(r.range_high)} | "
            f"{_number(r.qp_low)}, {_number(r.qp_high)} |"
            for r in box.limits.itertuples()
        ),
        "",
        "Figures: figures/prim_trajectory.png (every box on the peeling trajectory; the one shown is circled), "
        "figures/prim_box.png (its limits in each uncertainty's range), figures/cart_tree.png (CART's tree).",
    ]
    (out / "summary.md").write_text("\n".join(lines) + "\n")
    plot_discovery(out, table, names, box, tree)
    return box, text
