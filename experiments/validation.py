"""Validation experiments (``mandosim validate``): docking with the Prieto-Curiel equation.

Docking: the well-mixed mode of the model (``model.wellmixed``) is run for ``reps`` replicates and
its ensemble mean compared, day by day over the horizon, with the Prieto-Curiel et al. (2023)
equation solved by ``scipy.integrate.solve_ivp`` under the same parameters. The tolerances are
fixed here, before any run: the ensemble mean of total members within ``TOTAL_TOLERANCE`` of the
equation on every day, and each group's within ``GROUP_TOLERANCE``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from mandosim.experiments.patterns import Outcome
from mandosim.model.rng import replicate_seeds
from mandosim.model.scenario import find_scenario, load_scenario
from mandosim.model.wellmixed import DAYS_PER_YEAR, WellMixedSetup, simulate, solve_ode

TOTAL_TOLERANCE = 0.05  # largest relative gap, any day, between mean total members and the equation
GROUP_TOLERANCE = 0.10  # the same for each group
#: Docking defaults (assumptions): conflict and arrests strong enough that every term of the
#: equation matters over five years (groups shrink, then level off toward the equilibrium).
CONFLICT_RATE = 5e-8  # θ: deaths per member per rival member per day
INCAPACITATION = 1.0  # η: arrests per day, shared in proportion to size
BAND = (10, 90)  # percentiles of the replicate band drawn around the mean


@dataclass
class DockingResult:
    """Ensemble and equation, day by day, and the verdict."""

    setup: WellMixedSetup
    runs: np.ndarray  # (reps, days + 1, groups)
    ode: np.ndarray  # (days + 1, groups)
    total_gap: float  # max over days of |mean total / equation total − 1|
    group_gaps: np.ndarray  # (groups,) max over days of |mean / equation − 1|

    @property
    def passed(self) -> bool:
        return bool(self.total_gap <= TOTAL_TOLERANCE and (self.group_gaps <= GROUP_TOLERANCE).all())

    def table(self) -> pd.DataFrame:
        """One row per day and group (and 'total'): ensemble mean, band, equation."""
        days = np.arange(self.ode.shape[0])
        frames = []
        labels = [*self.setup.names, "total"]
        runs = np.concatenate([self.runs, self.runs.sum(axis=2, keepdims=True)], axis=2)
        ode = np.column_stack([self.ode, self.ode.sum(axis=1)])
        low, high = np.percentile(runs, BAND, axis=0)
        for k, name in enumerate(labels):
            frames.append(
                pd.DataFrame(
                    {
                        "day": days,
                        "group": name,
                        "mean": runs[:, :, k].mean(axis=0),
                        "low": low[:, k],
                        "high": high[:, k],
                        "equation": ode[:, k],
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)


def dock(
    scenario: str = "baseline",
    reps: int = 30,
    years: float = 5.0,
    conflict_rate: float = CONFLICT_RATE,
    incapacitation: float = INCAPACITATION,
    seed: int = 1,
    quiet: bool = False,
) -> DockingResult:
    """Run the docking experiment on ``scenario``'s groups (members summed over zones)."""
    loaded = load_scenario(find_scenario(scenario))
    setup = WellMixedSetup.from_scenario(loaded.scenario, conflict_rate, incapacitation, years)
    seeds = replicate_seeds(seed, reps)
    runs = np.array([simulate(setup, s) for s in tqdm(seeds, desc="docking", unit="run", disable=quiet or None)])
    ode = solve_ode(setup)
    mean = runs.mean(axis=0)
    total_gap = float(np.abs(mean.sum(axis=1) / ode.sum(axis=1) - 1).max())
    group_gaps = np.abs(mean / ode - 1).max(axis=0)
    return DockingResult(setup, runs, ode, total_gap, group_gaps)


def docking_markdown(result: DockingResult) -> str:
    """The docking section of the validation report."""
    s = result.setup
    rows = [
        "## Docking: well-mixed mode vs the Prieto-Curiel equation",
        "",
        f"{result.runs.shape[0]} replicates of the well-mixed mode ({len(s.names)} groups, rivalry matrix of the scenario, "
        f"{s.days / DAYS_PER_YEAR:.0f} years, daily steps) against `solve_ivp` of "
        "dC_i/dt = C_i·[ρ − η/ΣC − θ·Σ_j K_ij·C_j − ω_i·C_i] with the same parameters: "
        f"ρ = {s.recruitment_rate:.4g}/day, ω_i = ρ/K_i, θ = {s.conflict_rate:.3g}/day, η = {s.incapacitation:.3g} arrests/day.",
        "",
        f"Tolerances, fixed before the run: total members within {TOTAL_TOLERANCE:.0%} of the equation on every day; "
        f"each group within {GROUP_TOLERANCE:.0%}.",
        "",
        "| | start | equation, end | ensemble mean, end | largest gap over the horizon | tolerance | |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    mean = result.runs.mean(axis=0)
    for k, name in enumerate(s.names):
        ok = result.group_gaps[k] <= GROUP_TOLERANCE
        rows.append(
            f"| {name} | {s.members[k]:,.0f} | {result.ode[-1, k]:,.0f} | {mean[-1, k]:,.0f} | "
            f"{result.group_gaps[k]:.2%} | {GROUP_TOLERANCE:.0%} | {'pass' if ok else 'FAIL'} |"
        )
    ok = result.total_gap <= TOTAL_TOLERANCE
    rows.append(
        f"| **total** | {s.members.sum():,.0f} | {result.ode[-1].sum():,.0f} | {mean[-1].sum():,.0f} | "
        f"{result.total_gap:.2%} | {TOTAL_TOLERANCE:.0%} | {'pass' if ok else 'FAIL'} |"
    )
    rows += ["", "![Docking](docking.png)", ""]
    return "\n".join(rows)


def write_docking(result: DockingResult, out: Path) -> list[Path]:
    """Write docking.csv, docking.md and the figure (PNG, SVG) into ``out``."""
    from mandosim.experiments.plots import plot_docking

    out.mkdir(parents=True, exist_ok=True)
    table = result.table()
    written = [out / "docking.csv", out / "docking.md"]
    table.to_csv(written[0], index=False)
    written[1].write_text(docking_markdown(result) + "\n")
    written += plot_docking(table, out / "docking")
    return written


def _pattern_rows(ids: list[str], outcomes: dict, fitted_column: bool) -> list[str]:
    from mandosim.experiments.patterns import FITTED, PATTERNS

    by_id = {p.id: p for p in PATTERNS}
    fitted_head = " fitted to it |" if fitted_column else ""
    head = f"| | pattern | published | model (95 % CI) | tolerance (set before the run) |{fitted_head} |"
    rows = [head, "|---|---|---|---|---|" + ("---|" if fitted_column else "") + "---|"]
    for pid in ids:
        p, o = by_id[pid], outcomes[pid]
        fitted = (" " + (", ".join(f"`{name}`" for name in FITTED.get(pid, ())) or "—") + " |") if fitted_column else ""
        rows.append(f"| {pid} | {p.title} | {p.published} | {o.figure} | {p.tolerance} |{fitted} {'pass' if o.passed else '**fail**'} |")
    return rows


def _pattern_details(ids: list[str], outcomes: dict, figures: dict[str, str], evidence: str) -> list[str]:
    from mandosim.experiments.patterns import MISSING, PATTERNS

    by_id = {p.id: p for p in PATTERNS}
    rows = []
    for pid in ids:
        p, o = by_id[pid], outcomes[pid]
        rows += [
            "",
            f"### {pid}: {p.title} — {'pass' if o.passed else 'fail'}",
            "",
            f"- Published: {p.published} ({p.source}).",
            f"- Experiment: {p.experiment}. {o.detail}",
            f"- Model: {o.figure}.",
            f"- Tolerance (set in advance): {p.tolerance}.",
            f"- Evidence: {evidence(pid)}",
        ]
        if not o.passed and MISSING.get(pid):
            rows.append(f"- Why it fails — the mechanism that is missing: {MISSING[pid]}")
        if pid in figures:
            rows += ["", f"![{pid}]({figures[pid]})"]
    return rows


def _levels_rows(levels: Outcome) -> list[str]:
    from mandosim.experiments.targets import LEVEL_FACTOR

    rows = [
        "### Zone levels",
        "",
        f"The baseline's annual homicides per zone, and Baja California's disappearances (one year, mean of the "
        f"replicates with its 95 % CI), against each published level (experiments/targets.py; docs/facts.md), to be "
        f"within ×{LEVEL_FACTOR:g} either way. "
        f"Targets not from 2023 or derived from the published figure are flagged (†). **{levels.figure}.** "
        f"Set against them (`mandosim calibrate --zone-levels`, docs/validation/calibration.md): each group's "
        f"members per zone (`members.<zone>`) and `visibility.conceal_base`.",
        "",
        "| level | target | year | source | model (95 % CI) | model / target | |",
        "|---|---:|---|---|---|---:|---|",
    ]
    for r in levels.plot["rows"]:
        flag = " †" if r["year"] != 2023 or r["derivation"] else ""
        how = f" ({r['derivation']})" if r["derivation"] else ""
        rows.append(
            f"| {r['zone']} | {r['target']:,.0f}{flag} | {r['year']} | {r['source']}{how} | "
            f"{r['model']:,.0f} ({r['low']:,.0f}–{r['high']:,.0f}) | {r['ratio']:.2f} | {'pass' if r['within'] else '**fail**'} |"
        )
    return rows


def _hindcast_rows(hindcast: Outcome) -> list[str]:
    from mandosim.experiments.hindcast import PREDICTION_PERCENTILES

    low, high = PREDICTION_PERCENTILES
    rows = [
        "### Hindcast of 2024",
        "",
        "The baseline's group sizes are set against levels published before 2024 (section 2); "
        "`scenarios/hindcast_2024.toml` runs 2024 with its events (the Guard's arrivals, San Luis's single command "
        "from 22 Jul to 15 Dec, the Sinaloa war between the valley and San Luis groups from September). Tolerance, "
        f"fixed before the run: each published figure inside the model's 90 % prediction interval (the {low:g}th–"
        f"{high:g}th percentiles of the replicates). The civilian killing rate was set earlier against Baja "
        f"California's 2024 total, so that row is not fully out of sample. **{hindcast.figure}.**",
        "",
        "| figure | published 2024 | source | model, median (90 % prediction interval) | inside |",
        "|---|---:|---|---|---|",
    ]
    for r in hindcast.plot["rows"]:
        rows.append(
            f"| {r['label']} | {r['published']:,.0f} | {r['source']} | {r['median']:,.0f} ({r['low']:,.0f}–{r['high']:,.0f}) | "
            f"{'yes' if r['inside'] else '**no**'} |"
        )
    return rows


def report_markdown(docking: DockingResult | None, outcomes: dict | None, reps: int, seed: int, figures: dict[str, str]) -> str:
    """The validation report: verification, calibration and validation, each in its own section.

    The headline counts validation only: patterns no parameter was set against.
    """
    from mandosim.experiments.patterns import FACTOR, FITTED, PATTERNS, VERIFICATION

    rows = ["# Validation report", ""]
    outcomes = outcomes or {}
    ran = [p.id for p in PATTERNS if p.id in outcomes]
    verification = [pid for pid in ran if pid in VERIFICATION]
    calibration = [pid for pid in ran if pid in FITTED]
    validation = [pid for pid in ran if pid not in VERIFICATION and pid not in FITTED]
    if ran:
        validated = sum(outcomes[pid].passed for pid in validation)
        marks = ", ".join(f"{pid} {chr(10003) if outcomes[pid].passed else chr(10007)}" for pid in validation)
        hindcast = f"; hindcast of 2024: {outcomes['hindcast'].figure}" if "hindcast" in outcomes else ""
        rows += [
            f"**Validation: {validated} of the {len(validation)} patterns no parameter was set against pass ({marks}){hindcast}.** "
            "Verification and calibration are reported apart and are not evidence that the model is right.",
            "",
            f"Each pattern is a paired experiment on the baseline: control and treatment run with the same {reps} replicate "
            f"seeds (root seed {seed}); effects are treatment − control with 95 % confidence intervals over replicates. "
            "The pass rules were written before the runs: a published direction must be reproduced with a 95 % CI that "
            f"excludes zero; a published magnitude must, in addition, be matched within a factor of {FACTOR:g}.",
            "",
        ]
    rows += ["## 1. Verification: the code does what docs/ODD.md says", ""]
    if docking is not None:
        rows.append(docking_markdown(docking).replace("## Docking", "### Docking"))
    if verification:
        rows += [
            "Two patterns hold by the model's construction and so check the code, not the model against the world: P5's "
            "killed per wounded is its lethality input, and P8's shift toward disappearances follows from the "
            "concealment formula.",
            "",
            *_pattern_rows(verification, outcomes, False),
            *_pattern_details(verification, outcomes, figures, lambda _: "verification (holds by construction)."),
            "",
        ]
    if calibration or "levels" in outcomes:
        rows += [
            "## 2. Calibration: targets and the parameters set against them",
            "",
            "A pattern a parameter was set against (docs/ODD.md §8) is a calibration target: that it passes shows the fit, "
            "not that the model is right.",
            "",
        ]
        if "levels" in outcomes:
            rows += [*_levels_rows(outcomes["levels"]), ""]
        if calibration:
            rows += [
                "### Patterns with a parameter set against them",
                "",
                *_pattern_rows(calibration, outcomes, True),
                *_pattern_details(calibration, outcomes, figures, lambda pid: f"calibration (set against it: {', '.join(FITTED[pid])})."),
                "",
            ]
    if validation or "hindcast" in outcomes:
        rows += ["## 3. Validation: patterns and series no parameter was set against", ""]
        if "hindcast" in outcomes:
            rows += [*_hindcast_rows(outcomes["hindcast"]), ""]
        rows += [
            *_pattern_rows(validation, outcomes, False),
            *_pattern_details(validation, outcomes, figures, lambda _: "validation (no parameter set against it)."),
            "",
        ]
    return "\n".join(rows) + "\n"
