"""Why a policy changes violence: its paired effect decomposed into the channels of ``model.regime``.

For a reference scenario A and a policy B, every configuration — all channels on, then each
channel switched off in turn — runs A and B on the same replicate seeds (common random numbers).
With ``d_c = B_c − A_c`` per replicate, channel k's contribution is ``d_all − d_{no k}``: how much
of the effect disappears when only that channel stops differing between the regimes. Each comes
with a 95 % t-interval over replicates (paired: same seeds in every configuration) and a share of
the total effect with a bootstrap interval; what the channels do not explain one by one is the
interaction (total − Σ contributions).

``dose_response`` runs a policy at several levels of one lever against the same reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from mandosim.experiments.analysis import CONFIDENCE, ratio_interval, t_interval
from mandosim.experiments.compare import run_comparison
from mandosim.experiments.executors import ExecutorSpec
from mandosim.experiments.store import read_table
from mandosim.model.params import ChannelParams
from mandosim.model.scenario import LoadedScenario, deep_merge, resolve

CHANNELS: tuple[str, ...] = tuple(ChannelParams.model_fields)
OUTCOME = "homicides_annual"
BOOTSTRAP_DRAWS = 2000
BOOTSTRAP_SEED = 20240722  # fixed: the intervals are part of the reproducible report


def variant(loaded: LoadedScenario, name: str, overrides: dict[str, Any]) -> LoadedScenario:
    """``loaded`` with nested ``overrides`` merged in, under a new ``name``."""
    data = loaded.scenario.model_dump(mode="python")
    data["region"] = str(loaded.region_path)
    return resolve(data, loaded.path, loaded.region_path.parent, deep_merge(overrides, {"name": name}))


def configurations(channels: tuple[str, ...]) -> list[tuple[str, dict[str, Any]]]:
    """(label, overrides): every channel on, then each channel off alone."""
    return [("all", {}), *((f"no_{c}", {"channels": {c: False}}) for c in channels)]


@dataclass
class Explanation:
    """A decomposition: per-replicate effects by configuration, and the table of channel contributions."""

    reference: str
    policy: str
    units: list[str]
    reference_level: float
    effects: dict[str, np.ndarray]  # configuration → per-replicate paired effect (policy − reference)
    table: pd.DataFrame


def bootstrap_share(part: np.ndarray, total: np.ndarray) -> tuple[float, float, float]:
    """Share mean(part)/mean(total) with a percentile bootstrap interval over replicates."""
    share = float(part.mean() / total.mean()) if total.mean() != 0 else float("nan")
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    draws = rng.integers(0, part.size, size=(BOOTSTRAP_DRAWS, part.size))
    denominators = total[draws].mean(axis=1)
    ratios = np.where(denominators != 0, part[draws].mean(axis=1) / np.where(denominators != 0, denominators, 1.0), np.nan)
    low, high = np.nanpercentile(ratios, [100 * (1 - CONFIDENCE) / 2, 100 * (1 + CONFIDENCE) / 2])
    return share, float(low), float(high)


def decompose(runs: pd.DataFrame, reference: str, policy: str, channels: tuple[str, ...], units: list[str]) -> Explanation:
    """The decomposition from a store's ``runs`` table (scenario names ``{name}__{configuration}``)."""
    rows = runs[runs["unit"].isin(units)]
    per_run = rows.groupby(["scenario", "replicate"], observed=True)[OUTCOME].sum().unstack("replicate")
    effects = {}
    for label, _ in configurations(channels):
        effects[label] = (per_run.loc[f"{policy}__{label}"] - per_run.loc[f"{reference}__{label}"]).to_numpy(float)
    levels = per_run.loc[f"{reference}__all"].to_numpy(float)  # the reference, per replicate
    level = float(levels.mean())
    total = effects["all"]
    table_rows = [_row("total effect", total, levels, (1.0, 1.0, 1.0))]
    explained = np.zeros_like(total)
    for channel in channels:
        contribution = total - effects[f"no_{channel}"]
        explained += contribution
        table_rows.append(_row(channel, contribution, levels, bootstrap_share(contribution, total)))
    residual = total - explained
    table_rows.append(_row("interaction (total − Σ channels)", residual, levels, bootstrap_share(residual, total)))
    return Explanation(reference, policy, units, level, effects, pd.DataFrame(table_rows))


def _row(name: str, values: np.ndarray, levels: np.ndarray, share: tuple[float, float, float]) -> dict[str, Any]:
    """A part's mean with its t-interval, and as a share of the reference level with a Fieller interval (both estimated)."""
    mean, low, high = t_interval(values)
    level = float(levels.mean())
    ratio_low, ratio_high = ratio_interval(values, levels) if level else (float("nan"), float("nan"))
    return {
        "part": name,
        "homicides_per_year": mean,
        "ci_low": low,
        "ci_high": high,
        "pct_of_reference": 100 * mean / level if level else float("nan"),
        "pct_ci_low": 100 * ratio_low,
        "pct_ci_high": 100 * ratio_high,
        "share_of_total": share[0],
        "share_ci_low": share[1],
        "share_ci_high": share[2],
        "replicates": values.size,
    }


def run_explain(
    reference: LoadedScenario,
    policy: LoadedScenario,
    reps: int,
    root_seed: int,
    executor: ExecutorSpec | int,
    out: Path,
    units: list[str],
    channels: tuple[str, ...] = CHANNELS,
    days: int | None = None,
    command: list[str] | None = None,
    force: bool = False,
    quiet: bool = False,
    allow_mixed: bool = False,
) -> tuple[Explanation | None, Any]:
    """Run (or resume) every configuration of both scenarios into ``out`` and decompose the effect.

    Returns:
        The explanation (``None`` if runs failed) and the batch report.
    """
    ref_name, pol_name = reference.scenario.name, policy.scenario.name
    scenarios = []
    for label, overrides in configurations(channels):
        scenarios.append(variant(reference, f"{ref_name}__{label}", overrides))
        scenarios.append(variant(policy, f"{pol_name}__{label}", overrides))
    command = command or ["mandosim", "explain", ref_name, pol_name]
    _, report = run_comparison(scenarios, reps, root_seed, executor, out, f"{ref_name}__all", command, days=days, force=force, quiet=quiet,
                              allow_mixed=allow_mixed)  # fmt: skip
    if report.failed:
        return None, report
    return decompose(read_table(out, "runs"), ref_name, pol_name, channels, units), report


def markdown(explanation: Explanation, labels: dict[str, str]) -> str:
    """The decomposition as a Markdown section."""
    e = explanation
    where = " + ".join(labels.get(u, u) for u in e.units)
    lines = [
        f"### {e.policy} vs {e.reference}: homicides a year in {where}",
        "",
        f"Reference level {e.reference_level:,.1f} a year; {e.table['replicates'].iloc[0]} paired replicates per configuration.",
        "A channel's contribution is the effect that disappears when that channel alone stops differing between the",
        "two scenarios (95 % t-interval; share of the total with a bootstrap interval).",
        "",
        "| part | homicides/yr (95 % CI) | % of reference (95 % CI) | share of total (95 % CI) |",
        "|---|---:|---:|---:|",
    ]
    for row in e.table.itertuples():
        share = "—" if row.part == "total effect" else f"{row.share_of_total:+.2f} ({row.share_ci_low:+.2f} to {row.share_ci_high:+.2f})"
        lines.append(
            f"| {row.part} | {row.homicides_per_year:+,.1f} ({row.ci_low:+,.1f} to {row.ci_high:+,.1f}) | "
            f"{row.pct_of_reference:+.1f} % ({row.pct_ci_low:+.1f} to {row.pct_ci_high:+.1f}) | {share} |"
        )
    return "\n".join(lines)


def dose_response(
    reference: LoadedScenario,
    policy: LoadedScenario,
    lever: str,
    levels: list[tuple[Any, dict[str, Any]]],
    reps: int,
    root_seed: int,
    executor: ExecutorSpec | int,
    out: Path,
    units: list[str],
    days: int | None = None,
    quiet: bool = False,
) -> pd.DataFrame:
    """The policy at each level of one lever vs the reference (same seeds).

    Args:
        reference: The reference scenario.
        policy: The policy scenario.
        lever: The lever's name (for the table).
        levels: (level, nested overrides of the policy that set it) per level.
        reps: Replicates per level.
        root_seed: Root seed of the replicate seeds.
        executor: Where to run.
        out: The results store of this dose-response.
        units: Zones (or ``region``) whose homicides are summed.
        days: Horizon days.
        quiet: No progress bar.

    Returns:
        One row per level: the paired effect on homicides a year in ``units`` with its 95 % t-interval.
    """
    base_name = f"{reference.scenario.name}__reference"
    scenarios = [variant(reference, base_name, {})]
    scenarios += [variant(policy, f"{policy.scenario.name}__level{i}", overrides) for i, (_, overrides) in enumerate(levels)]
    run_comparison(scenarios, reps, root_seed, executor, out, base_name, ["mandosim", "explain", "--dose", lever], days=days, quiet=quiet)
    runs = read_table(out, "runs")
    per_run = runs[runs["unit"].isin(units)].groupby(["scenario", "replicate"], observed=True)[OUTCOME].sum().unstack("replicate")
    base = per_run.loc[base_name].to_numpy(float)
    rows = []
    for i, (level, _) in enumerate(levels):
        diff = per_run.loc[f"{policy.scenario.name}__level{i}"].to_numpy(float) - base
        mean, low, high = t_interval(diff)
        scale = 100 / base.mean()
        rows.append({"lever": lever, "level": level, "effect": mean, "ci_low": low, "ci_high": high,
                     "pct": mean * scale, "pct_low": low * scale, "pct_high": high * scale})  # fmt: skip
    return pd.DataFrame(rows)


def failure_levers(policy: LoadedScenario) -> dict[str, list[tuple[Any, dict[str, Any]]]]:
    """The coordination-failure levers of ``policy`` at ≥ 3 levels each: (level, overrides of the policy).

    Trust between the agencies the policy lists (a rift), every agency's collusion share scaled,
    the leak probability and the obstruction probability.
    """
    p = policy.scenario
    levers: dict[str, list[tuple[Any, dict[str, Any]]]] = {}
    if p.institutions.trust:
        pairs = [pair.model_dump() for pair in p.institutions.trust]
        levers["trust of the listed pairs"] = [
            (value, {"institutions": {"trust": [{**pair, "value": value} for pair in pairs]}}) for value in (0.05, 0.3, 0.6)
        ]
    levers["collusion (× every agency's)"] = [
        (factor, {"agencies": {name: {"collusion": min(1.0, a.collusion * factor)} for name, a in p.agencies.items()}})
        for factor in (0.0, 1.0, 2.0)
    ]
    levers["operations.leak_prob"] = [(v, {"operations": {"leak_prob": v}}) for v in (0.2, 0.5, 0.9)]
    levers["command.obstruction_prob"] = [(v, {"command": {"obstruction_prob": v}}) for v in (0.0, 0.3, 0.8)]
    return levers


def dose_markdown(table: pd.DataFrame, units: list[str], labels: dict[str, str]) -> str:
    """The dose-response table as Markdown."""
    where = " + ".join(labels.get(u, u) for u in units)
    lines = [
        f"### Dose-response of the failure levers: homicides a year in {where}, policy at each level vs the reference",
        "",
        "| lever | level | effect, homicides/yr (95 % CI) | % of reference (95 % CI) |",
        "|---|---:|---:|---:|",
    ]
    for row in table.itertuples():
        lines.append(
            f"| {row.lever} | {row.level:g} | {row.effect:+,.1f} ({row.ci_low:+,.1f} to {row.ci_high:+,.1f}) | "
            f"{row.pct:+.1f} % ({row.pct_low:+.1f} to {row.pct_high:+.1f}) |"
        )
    return "\n".join(lines)


def reading(table: pd.DataFrame) -> str:
    """A plain-language reading of a decomposition table: what is distinguishable from zero."""
    total = table[table["part"] == "total effect"].iloc[0]
    clear = lambda row: row.pct_ci_low > 0 or row.pct_ci_high < 0  # noqa: E731
    verdict = f"The total effect, {total.pct_of_reference:+.1f} % ({total.pct_ci_low:+.1f} to {total.pct_ci_high:+.1f}), " + (
        "is distinguishable from zero." if clear(total) else "is not distinguishable from zero at this number of replicates."
    )
    channels = [row for row in table.itertuples() if row.part not in ("total effect",) and clear(row)]
    if channels:
        named = "; ".join(f"{row.part} {row.pct_of_reference:+.1f} % ({row.pct_ci_low:+.1f} to {row.pct_ci_high:+.1f})" for row in channels)
        return f"**Reading.** {verdict} Parts whose 95 % CI excludes zero: {named}."
    return f"**Reading.** {verdict} No channel's contribution is distinguishable from zero."


def write_channels_page(page: Path, explained: list[Path], sobol: Path | None) -> Path:
    """docs/validation/channels.md: the decompositions, the dose-responses and the Sobol indices of a policy's effect.

    Copies each results folder's tables and figures beside the page (``channels/NAME/``) and links them.

    Args:
        page: The Markdown page to write.
        explained: Output folders of ``mandosim explain`` (each with explain.md, explain.png, maybe dose.*).
        sobol: Output folder of a sweep with a ``[contrast]`` (responses.csv, indices.csv, figures/), or None.
    """
    import shutil

    assets = page.parent / "channels"
    assets.mkdir(parents=True, exist_ok=True)
    parts = [
        "# Why a regime changes violence: the channels",
        "",
        "Made by `make channels` (`mandosim explain` and `mandosim sweep experiments/sweeps/unified_effect_sobol.toml`).",
        "Each channel of `model/regime.py` (docs/ODD.md §7.0) is switched off in turn on the same replicate seeds;",
        "its contribution is the part of the policy's paired effect that disappears without it.",
        "",
    ]
    for folder in explained:
        target = assets / folder.name
        target.mkdir(exist_ok=True)
        for name in ("explain.md", "explain.csv", "explain.png", "dose.md", "dose.csv", "dose.png"):
            if (folder / name).is_file():
                shutil.copy2(folder / name, target / name)
        parts += [(folder / "explain.md").read_text().strip(), "", reading(pd.read_csv(folder / "explain.csv")), ""]
        parts += [f"![decomposition](channels/{folder.name}/explain.png)", ""]
        if (folder / "dose.md").is_file():
            parts += [(folder / "dose.md").read_text().strip(), "", f"![dose-response](channels/{folder.name}/dose.png)", ""]
    if sobol is not None:
        indices = pd.read_csv(sobol / "indices.csv")
        table = pd.read_csv(sobol / "responses.csv")
        target = assets / sobol.name
        target.mkdir(exist_ok=True)
        parts += ["## Which assumptions carry the answer (Sobol indices of the unified command's effect)", ""]
        for unit, block in table.groupby("unit", sort=False):
            q = block["mean"].quantile([0.05, 0.5, 0.95]).to_numpy()
            n = int(block["replicates"].iloc[0])
            standard_error = block["ci_half"] / stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1) if n > 1 else block["ci_half"] * np.nan
            noise = float((standard_error**2).mean() / block["mean"].var()) if block["mean"].var() > 0 else float("nan")
            parts.append(
                f"- {unit}: effect over the design {block['mean'].min():+.1f} to {block['mean'].max():+.1f} homicides a year "
                f"(5 %, 50 %, 95 % quantiles {q[0]:+.1f}, {q[1]:+.1f}, {q[2]:+.1f}; {block['point'].nunique()} points × {n} "
                f"replicates); replicate noise is about {noise:.0%} of the variance of the point means"
            )
        parts += ["", "| unit | parameter | S1 (± 95 %) | ST (± 95 %) |", "|---|---|---:|---:|"]
        for row in indices.itertuples():
            parts.append(f"| {row.unit} | {row.parameter} | {row.S1:.2f} ± {row.S1_conf:.2f} | {row.ST:.2f} ± {row.ST_conf:.2f} |")
        for figure in sorted((sobol / "figures").glob("sensitivity_*.png")):
            shutil.copy2(figure, target / figure.name)
            parts += ["", f"![{figure.stem}](channels/{sobol.name}/{figure.name})"]
        parts.append("")
    page.write_text("\n".join(parts) + "\n")
    return page
