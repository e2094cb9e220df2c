"""Statistics over replications: paired effects with confidence intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

CONFIDENCE = 0.95


def t_interval(values: np.ndarray) -> tuple[float, float, float]:
    """Mean and 95 % t-interval over replicates (NaN bounds with fewer than two)."""
    n = values.size
    mean = float(values.mean()) if n else float("nan")
    half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1) * values.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
    return mean, mean - half, mean + half


def ratio_interval(change: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """95 % Fieller interval of mean(change) / mean(reference) from paired replicates (both estimated).

    The reference's own uncertainty and its correlation with the change (the same seeds) enter the
    interval (Fieller 1954; for paired data, e.g. Franz 2007, BMC Bioinformatics 8:13): dividing the
    change's interval by the reference mean as if it were exact would make it too narrow. Where the
    reference mean is not distinguishable from zero the interval is unbounded: ``(-inf, inf)``.

    Args:
        change: Per-replicate change (scenario − reference), any unit.
        reference: Per-replicate reference values, the same unit and replicates.

    Returns:
        The interval's bounds as ratios (×100 for percent); NaN with fewer than two replicates.
    """
    n = change.size
    if n < 2 or reference.size != n:
        return float("nan"), float("nan")
    d, b = float(change.mean()), float(reference.mean())
    cov = np.cov(np.vstack([change, reference]), ddof=1) / n
    v11, v12, v22 = float(cov[0, 0]), float(cov[0, 1]), float(cov[1, 1])
    t2 = float(stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1)) ** 2
    a = b * b - t2 * v22
    if a <= 0:
        return float("-inf"), float("inf")
    mid = d * b - t2 * v12
    disc = mid * mid - a * (d * d - t2 * v11)
    root = float(np.sqrt(max(disc, 0.0)))
    return (mid - root) / a, (mid + root) / a


def paired_effects(runs: pd.DataFrame, outcomes: list[str], reference: str) -> pd.DataFrame:
    """Paired differences of each scenario against ``reference``, replicate by replicate.

    Args:
        runs: One row per (scenario, replicate, unit) with the outcome columns; replicate k of every
            scenario shares its seed (common random numbers), so differences are paired.
        outcomes: Outcome columns to compare.
        reference: The reference scenario.

    Returns:
        One row per (outcome, unit, scenario): reference mean, scenario mean, mean paired
        difference with its 95 % t-interval, relative change (%) with its 95 % Fieller interval
        (``ratio_interval``: the reference mean is an estimate too), and the number of pairs.
    """
    rows = []
    keep = ["unit", "replicate", *outcomes]
    ref = runs.loc[runs["scenario"] == reference, keep]
    for scenario in [s for s in runs["scenario"].unique() if s != reference]:
        other = runs.loc[runs["scenario"] == scenario, keep]
        joined = ref.merge(other, on=["unit", "replicate"], suffixes=("_ref", "_alt"), how="inner", sort=False)
        for outcome in outcomes:
            for unit, block in joined.groupby("unit", sort=False):
                ref_values = block[f"{outcome}_ref"].to_numpy(float)
                diff = block[f"{outcome}_alt"].to_numpy(float) - ref_values
                n = diff.size
                mean, low, high = t_interval(diff)
                ref_mean = float(ref_values.mean())
                ratio_low, ratio_high = ratio_interval(diff, ref_values) if ref_mean else (float("nan"), float("nan"))
                rows.append(
                    {
                        "outcome": outcome,
                        "unit": unit,
                        "scenario": scenario,
                        "reference": reference,
                        "reference_mean": ref_mean,
                        "scenario_mean": float(block[f"{outcome}_alt"].mean()),
                        "difference": mean,
                        "ci_low": low,
                        "ci_high": high,
                        "relative_change_pct": 100 * mean / ref_mean if ref_mean else float("nan"),
                        "relative_ci_low_pct": 100 * ratio_low,
                        "relative_ci_high_pct": 100 * ratio_high,
                        "pairs": n,
                    }
                )
    effects = pd.DataFrame(rows)
    if "level" in runs.columns and not effects.empty:  # zone, state or region, as in the runs table
        levels = runs.drop_duplicates("unit").set_index("unit")["level"]
        effects.insert(effects.columns.get_loc("unit") + 1, "level", effects["unit"].map(levels))
    return effects
