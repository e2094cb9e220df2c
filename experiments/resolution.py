"""Resolution check: the baseline at 1.25, 2.5 and 5 km cells, against 2.5 km.

Runs the baseline for one year at each ``cell_km`` with the same replicate seeds and compares
each zone's annual homicides (and members, arrests) with the reference 2.5 km. The tolerance is
fixed here, before the run: every zone within ``TOLERANCE`` at 1.25 km, and at 5 km every zone
still covering at least ``MIN_CELLS`` cells, and the region at both. ``make resolution`` writes
docs/validation/resolution.md.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mandosim.experiments.analysis import t_interval
from mandosim.experiments.executors import Task, run_local
from mandosim.experiments.patterns import zone_series
from mandosim.experiments.store import RunKey
from mandosim.model.metrics import ZONE_METRICS
from mandosim.model.rng import replicate_seeds
from mandosim.model.scenario import find_scenario, load_scenario

REFERENCE_KM = 2.5
RESOLUTIONS_KM = (1.25, 2.5, 5.0)
TOLERANCE = 0.10  # relative difference allowed, fixed before the run
MIN_CELLS = 20  # zones with fewer cells at a resolution are reported, not judged
METRICS = ("homicides", "members", "arrests")
LEVEL_METRICS = ("members",)  # daily levels: averaged, not summed


def run_resolutions(reps: int, seed: int = 20261201, jobs: int = 2, quiet: bool = False) -> dict:
    """Annual zone totals per resolution and replicate.

    Returns:
        ``{"zones": names, "cells": {km: cells per zone}, "values": {km: {metric: (reps, zones)}}}``.
    """
    seeds = replicate_seeds(seed, reps)
    tasks = []
    cells = {}
    for point, km in enumerate(RESOLUTIONS_KM):
        loaded = load_scenario(find_scenario("baseline"), {"space": {"cell_km": km}})
        region = loaded.region()
        cells[km] = np.bincount(region.zone, minlength=len(region.zone_names))
        zones = region.zone_names
        tasks += [Task(RunKey("resolution", point, k), loaded, s) for k, s in enumerate(seeds)]
    values = {km: {m: np.zeros((reps, len(zones))) for m in METRICS} for km in RESOLUTIONS_KM}
    for outcome in run_local(tasks, zone_series, jobs, quiet=quiet, desc="resolutions"):
        if outcome.error:
            raise RuntimeError(f"resolution run failed: {outcome.error}")
        km, k, series = RESOLUTIONS_KM[outcome.key.point], outcome.key.replicate, outcome.tables
        for m in METRICS:
            column = series[:, :, ZONE_METRICS.index(m)]
            values[km][m][k] = column.mean(axis=0) if m in LEVEL_METRICS else column.sum(axis=0)
    return {"zones": zones, "cells": cells, "values": values}


def ratio_interval(treatment: np.ndarray, reference: np.ndarray) -> tuple[float, float, float]:
    """Ratio of means with a 95 % CI (paired replicates, delta method on the log ratio)."""
    mean_t, mean_r = treatment.mean(), reference.mean()
    if mean_r <= 0 or mean_t <= 0:
        return float("nan"), float("nan"), float("nan")
    log_terms = treatment / mean_t - reference / mean_r  # influence of each replicate on log(ratio)
    _, low, high = t_interval(log_terms)
    ratio = mean_t / mean_r
    return ratio, ratio * np.exp(low), ratio * np.exp(high)


def judge(result: dict) -> list[dict]:
    """One row per zone (and the region) and resolution: ratio to 2.5 km, its CI, judged or not, within or not."""
    rows = []
    zones, values = result["zones"], result["values"]
    reference = values[REFERENCE_KM]["homicides"]
    for km in RESOLUTIONS_KM:
        if km == REFERENCE_KM:
            continue
        other = values[km]["homicides"]
        for z, name in enumerate([*zones, "region"]):
            if name == "region":
                ratio = ratio_interval(other.sum(axis=1), reference.sum(axis=1))
                n_cells, judged = int(result["cells"][km].sum()), True
            else:
                ratio = ratio_interval(other[:, z], reference[:, z])
                n_cells = int(result["cells"][km][z])
                judged = km < REFERENCE_KM or n_cells >= MIN_CELLS
            rows.append({
                "km": km, "zone": name, "cells": n_cells, "ratio": ratio, "judged": judged,
                "within": bool(abs(ratio[0] - 1.0) <= TOLERANCE),
                "reference": float(reference.sum(axis=1).mean() if name == "region" else reference[:, z].mean()),
                "value": float(other.sum(axis=1).mean() if name == "region" else other[:, z].mean()),
            })  # fmt: skip
    return rows


def write_page(path: Path, result: dict, reps: int) -> str:
    """Markdown page of the check; returns its headline."""
    rows = judge(result)
    judged = [r for r in rows if r["judged"]]
    passed = sum(r["within"] for r in judged)
    headline = f"{passed} of {len(judged)} judged zone-resolutions within ±{TOLERANCE:.0%} of 2.5 km"
    lines = [
        "# Resolution: the same story at 1.25, 2.5 and 5 km",
        "",
        f"Baseline, one year, {reps} replicates per resolution (the same seeds). Annual homicides per zone",
        "at 1.25 km and 5 km cells against 2.5 km, as a ratio of means with a 95 % CI (paired replicates).",
        f"Tolerance fixed before the run: within ±{TOLERANCE:.0%} for every zone at 1.25 km, and at 5 km for",
        f"the region and every zone still covering ≥ {MIN_CELLS} cells. Made by `make resolution`",
        "(`experiments/resolution.py`); how distances are kept in km is in docs/ODD.md §2.",
        "",
        f"**{headline}.**",
        "",
        "| cell km | zone | cells | homicides at 2.5 km | homicides here | ratio (95 % CI) | judged | within |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ratio, low, high = r["ratio"]
        verdict = ("yes" if r["within"] else "**no**") if r["judged"] else "—"
        lines.append(
            f"| {r['km']:g} | {r['zone']} | {r['cells']:,} | {r['reference']:,.1f} | {r['value']:,.1f} | "
            f"{ratio:.3f} ({low:.3f}–{high:.3f}) | {'yes' if r['judged'] else 'no (few cells)'} | {verdict} |"
        )
    members = result["values"]
    lines += [
        "",
        "Mean members per zone (a level, averaged over the year):",
        "",
        "| zone | " + " | ".join(f"{km:g} km" for km in RESOLUTIONS_KM) + " |",
        "|---|" + "---|" * len(RESOLUTIONS_KM),
    ]
    for z, name in enumerate(result["zones"]):
        lines.append(f"| {name} | " + " | ".join(f"{members[km]['members'][:, z].mean():,.0f}" for km in RESOLUTIONS_KM) + " |")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return headline


def main(reps: int = 40, jobs: int = 2, out: str = "docs/validation/resolution.md") -> None:
    """Run the check and write its page (``make resolution``)."""
    result = run_resolutions(reps, jobs=jobs)
    print(write_page(Path(out), result, reps))


if __name__ == "__main__":
    main()
