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


def paired_effects(runs: pd.DataFrame, outcomes: list[str], reference: str) -> pd.DataFrame:
    """Paired differences of each scenario against ``reference``, replicate by replicate.

    Args:
        runs: One row per (scenario, replicate, unit) with the outcome columns; replicate k of every
            scenario shares its seed (common random numbers), so differences are paired.
        outcomes: Outcome columns to compare.
        reference: The reference scenario.

    Returns:
        One row per (outcome, unit, scenario): reference mean, scenario mean, mean paired
        difference with its 95 % t-interval, relative change (%), and the number of pairs.
    """
    rows = []
    keep = ["unit", "replicate", *outcomes]
    ref = runs.loc[runs["scenario"] == reference, keep]
    for scenario in [s for s in runs["scenario"].unique() if s != reference]:
        other = runs.loc[runs["scenario"] == scenario, keep]
        joined = ref.merge(other, on=["unit", "replicate"], suffixes=("_ref", "_alt"), how="inner", sort=False)
        for outcome in outcomes:
            for unit, block in joined.groupby("unit", sort=False):
                diff = (block[f"{outcome}_alt"] - block[f"{outcome}_ref"]).to_numpy(float)
                n = diff.size
                mean, low, high = t_interval(diff)
                ref_mean = float(block[f"{outcome}_ref"].mean())
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
                        "pairs": n,
                    }
                )
    effects = pd.DataFrame(rows)
    if "level" in runs.columns and not effects.empty:  # zone, state or region, as in the runs table
        levels = runs.drop_duplicates("unit").set_index("unit")["level"]
        effects.insert(effects.columns.get_loc("unit") + 1, "level", effects["unit"].map(levels))
    return effects
