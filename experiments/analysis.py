"""Statistics over replications: paired effects with confidence intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

CONFIDENCE = 0.95


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
                mean = float(diff.mean()) if n else float("nan")
                half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1) * diff.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
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
                        "ci_low": mean - half,
                        "ci_high": mean + half,
                        "relative_change_pct": 100 * mean / ref_mean if ref_mean else float("nan"),
                        "pairs": n,
                    }
                )
    return pd.DataFrame(rows)
