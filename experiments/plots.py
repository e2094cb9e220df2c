"""Figures from stored results and regions (never from live models)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import ListedColormap

from mandosim.model.region import LAND_CLASSES, Region

if TYPE_CHECKING:
    from mandosim.experiments.calibration import CalibrationResult
    from mandosim.experiments.discover import Box

ZONE_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#ff7f0e", "#17becf", "#bcbd22")
ROLLING_DAYS = 30


def _save(fig: plt.Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=130, bbox_inches="tight")
    plt.close(fig)
    return path


def plot_region(region: Region, path: str | Path, flow: np.ndarray | None = None) -> Path:
    """Map of the rasterised region: zones, land, towns, roads, ports, entry points, routes.

    Args:
        region: The rasterised region.
        path: PNG (or SVG) to write.
        flow: Optional trafficking flow per cell (0–1) drawn over the zones.
    """
    lat_min, lat_max, lon_min, _lon_max = region.bounds
    rows, cols = region.shape
    extent = (
        lon_min,
        lon_min + cols * (region.cell_km / (111.32 * np.cos(np.radians((lat_min + lat_max) / 2)))),
        lat_max - rows * region.cell_km / 111.32,
        lat_max,
    )
    zone_grid = np.full(region.shape, np.nan)
    zone_grid[region.cell_rc[:, 0], region.cell_rc[:, 1]] = region.zone
    fig, ax = plt.subplots(figsize=(12, 5.6))
    cmap = ListedColormap(ZONE_COLOURS[: len(region.zone_names)])
    ax.imshow(zone_grid, extent=extent, cmap=cmap, alpha=0.35, interpolation="nearest", vmin=-0.5, vmax=len(region.zone_names) - 0.5)
    harsh = np.full(region.shape, np.nan)
    rough = np.isin(region.land, [LAND_CLASSES.index("mountain"), LAND_CLASSES.index("desert")])
    harsh[region.cell_rc[rough, 0], region.cell_rc[rough, 1]] = 1
    ax.imshow(harsh, extent=extent, cmap=ListedColormap(["#7f7f7f"]), alpha=0.25, interpolation="nearest")
    urban = np.full(region.shape, np.nan)
    is_urban = region.land == LAND_CLASSES.index("urban")
    urban[region.cell_rc[is_urban, 0], region.cell_rc[is_urban, 1]] = 1
    ax.imshow(urban, extent=extent, cmap=ListedColormap(["#333333"]), alpha=0.45, interpolation="nearest")
    if flow is not None:
        grid = np.full(region.shape, np.nan)
        grid[region.cell_rc[:, 0], region.cell_rc[:, 1]] = np.where(flow > 0, flow, np.nan)
        ax.imshow(grid, extent=extent, cmap="autumn_r", alpha=0.9, interpolation="nearest", vmin=0, vmax=1)
    for _name, pts in region.roads:
        ax.plot(pts[:, 1], pts[:, 0], color="#444444", lw=1.2, alpha=0.8)
    ports = region.cell_latlon[region.port_cells]
    ax.scatter(ports[:, 1], ports[:, 0], marker="^", s=70, color="black", zorder=5, label="port of entry")
    entries = region.cell_latlon[region.entry_cells]
    ax.scatter(
        entries[:, 1], entries[:, 0], marker="s", s=45, color="#ff7f0e", edgecolor="black", zorder=5, label="entry point for product"
    )
    for name, lat, lon in region.towns:
        ax.plot(lon, lat, "o", color="white", mec="black", ms=4, zorder=6)
        ax.annotate(name.split(" (")[0], (lon, lat), xytext=(4, 3), textcoords="offset points", fontsize=7)
    handles = [plt.Rectangle((0, 0), 1, 1, color=ZONE_COLOURS[i], alpha=0.5) for i in range(len(region.zone_names))]
    zone_legend = ax.legend(handles, region.zone_labels, loc="lower left", fontsize=7, title="zone", title_fontsize=8)
    ax.add_artist(zone_legend)
    ax.legend(loc="lower right", fontsize=7)
    ax.set_xlabel("longitude (°)")
    ax.set_ylabel("latitude (°)")
    title = f"{region.name} — {region.n_cells:,} cells of {region.cell_km:g} km"
    if flow is not None:
        title += "; trafficking routes (share of flow)"
    ax.set_title(title, fontsize=10)
    ax.set_aspect(1 / np.cos(np.radians((lat_min + lat_max) / 2)))
    return _save(fig, Path(path))


def plot_run(zones: pd.DataFrame, zone_labels: dict[str, str], path: str | Path, title: str = "") -> Path:
    """Daily series of one run by zone (30-day rolling sums), burn-in shaded.

    Args:
        zones: The tidy zone frame of a run.
        zone_labels: Zone name → label.
        path: PNG (or SVG) to write.
        title: Figure title.
    """
    panels = (
        ("homicides", "homicides per 30 days"),
        ("disappearances", "disappearances per 30 days"),
        ("extortions", "extortions per 30 days"),
        ("members", "criminal members"),
    )
    fig, axes = plt.subplots(2, 2, figsize=(12, 7), sharex=True)
    for ax, (metric, label) in zip(axes.ravel(), panels, strict=True):
        wide = zones.pivot(index="day", columns="zone", values=metric)
        if metric != "members":
            wide = wide.rolling(ROLLING_DAYS, min_periods=1).sum()
        for i, zone in enumerate(wide.columns):
            ax.plot(wide.index, wide[zone], color=ZONE_COLOURS[i % len(ZONE_COLOURS)], lw=1.3, label=zone_labels.get(str(zone), str(zone)))
        first = int(zones["day"].min())
        if first < 0:
            ax.axvspan(first, 0, color="grey", alpha=0.15, lw=0)
        ax.set_ylabel(label)
        ax.set_yscale("symlog", linthresh=10)
        ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel("day (burn-in shaded; policies act from day 0)")
    axes[0, 0].legend(fontsize=7, ncol=2)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return _save(fig, Path(path))


FIGURE_FORMATS: tuple[str, ...] = ("png", "svg")
BAND = (0.1, 0.9)


def _save_both(fig: plt.Figure, stem: Path) -> list[Path]:
    """Save ``stem``.png and ``stem``.svg."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_suffix(f".{fmt}") for fmt in FIGURE_FORMATS]
    for path in paths:
        fig.savefig(path, dpi=130, bbox_inches="tight")
    plt.close(fig)
    return paths


def plot_effects(effects: pd.DataFrame, outcome: str, labels: dict[str, str], stem: str | Path) -> list[Path]:
    """Paired effect of each scenario against the reference, per zone, with 95 % CIs."""
    block = effects[(effects["outcome"] == outcome) & ~effects["unit"].str.startswith(("state ", "region"))]
    units = list(dict.fromkeys(block["unit"]))
    scenarios = list(dict.fromkeys(block["scenario"]))
    fig, ax = plt.subplots(figsize=(10, 0.8 + 0.32 * len(units) * max(1, len(scenarios))))
    height = 0.8 / max(1, len(scenarios))
    colours = plt.get_cmap("tab10")
    for j, scenario in enumerate(scenarios):
        rows = block[block["scenario"] == scenario].set_index("unit").loc[units]
        y = np.arange(len(units)) + j * height - 0.4 + height / 2
        err = np.vstack([rows["difference"] - rows["ci_low"], rows["ci_high"] - rows["difference"]])
        ax.barh(y, rows["difference"], height=height * 0.9, xerr=err, capsize=2, color=colours((j + 1) % 10), label=scenario)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(np.arange(len(units)), [labels.get(u, u) for u in units])
    ax.invert_yaxis()
    reference = block["reference"].iloc[0]
    reps = int(block["pairs"].iloc[0])
    name = outcome.replace("_annual", "").replace("_", " ")
    ax.set_xlabel(f"change in {name} per year vs {reference} (paired, 95 % CI, {reps} replicates)")
    ax.legend(fontsize=8, loc="best")
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(f"Effect on {name} by zone", fontsize=11)
    fig.tight_layout()
    return _save_both(fig, Path(stem))


def plot_bands(series: pd.DataFrame, metric: str, labels: dict[str, str], stem: str | Path, window: int = ROLLING_DAYS) -> list[Path]:
    """Per zone: median and 10–90 % band over replicates of a 30-day rolling sum, one colour per scenario."""
    zones = list(dict.fromkeys(series["zone"]))
    scenarios = list(dict.fromkeys(series["scenario"]))
    cols = 3
    rows_n = int(np.ceil(len(zones) / cols))
    fig, axes = plt.subplots(rows_n, cols, figsize=(13, 3.0 * rows_n), sharex=True, squeeze=False)
    colours = plt.get_cmap("tab10")
    for ax, zone in zip(axes.ravel(), zones, strict=False):
        block = series[series["zone"] == zone]
        for j, scenario in enumerate(scenarios):
            wide = block[block["scenario"] == scenario].pivot_table(index="day", columns="replicate", values=metric, aggfunc="sum")
            rolled = wide.rolling(window, min_periods=1).sum()
            lo, mid, hi = (rolled.quantile(q, axis=1) for q in (BAND[0], 0.5, BAND[1]))
            ax.fill_between(rolled.index, lo, hi, color=colours(j % 10), alpha=0.2, lw=0)
            ax.plot(rolled.index, mid, color=colours(j % 10), lw=1.2, label=scenario)
        if int(block["day"].min()) < 0:
            ax.axvspan(int(block["day"].min()), 0, color="grey", alpha=0.12, lw=0)
        ax.set_title(labels.get(str(zone), str(zone)), fontsize=9)
        ax.grid(alpha=0.3)
    for ax in axes.ravel()[len(zones) :]:
        ax.axis("off")
    for ax in axes[:, 0]:
        ax.set_ylabel(f"{metric} per {window} days")
    for ax in axes[-1]:
        ax.set_xlabel("day (burn-in shaded)")
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(f"{metric.replace('_', ' ')}: median and {int(BAND[0] * 100)}–{int(BAND[1] * 100)} % of replicates", fontsize=11)
    fig.tight_layout()
    return _save_both(fig, Path(stem))


def plot_effect_map(region: Region, effects: pd.DataFrame, outcome: str, stem: str | Path) -> list[Path]:
    """Maps of the region coloured by each scenario's relative change in ``outcome`` per zone."""
    block = effects[effects["outcome"] == outcome]
    scenarios = list(dict.fromkeys(block["scenario"]))
    fig, axes = plt.subplots(len(scenarios), 1, figsize=(11, 3.9 * len(scenarios)), squeeze=False)
    limit = max(5.0, float(np.nanmax(np.abs(block["relative_change_pct"].to_numpy(float)))) if len(block) else 5.0)
    lat_min, lat_max, lon_min, _ = region.bounds
    rows, cols = region.shape
    dlon = region.cell_km / (111.32 * np.cos(np.radians((lat_min + lat_max) / 2)))
    extent = (lon_min, lon_min + cols * dlon, lat_max - rows * region.cell_km / 111.32, lat_max)
    image = None
    for ax, scenario in zip(axes[:, 0], scenarios, strict=True):
        rows = block[block["scenario"] == scenario].set_index("unit")
        change = rows["relative_change_pct"]
        clear = (rows["ci_low"] > 0) | (rows["ci_high"] < 0)
        grid = np.full(region.shape, np.nan)
        values = np.array([change.get(z, np.nan) for z in region.zone_names])
        grid[region.cell_rc[:, 0], region.cell_rc[:, 1]] = values[region.zone]
        image = ax.imshow(grid, extent=extent, cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
        for _name, pts in region.roads:
            ax.plot(pts[:, 1], pts[:, 0], color="#444444", lw=0.8, alpha=0.6)
        for z, label in enumerate(region.zone_labels):
            cells = region.cell_latlon[region.zone == z]
            if np.isfinite(values[z]):
                mark = "" if clear.get(region.zone_names[z], False) else " (n.s.)"
                ax.annotate(f"{label}\n{values[z]:+.1f} %{mark}", (cells[:, 1].mean(), cells[:, 0].mean()), ha="center", fontsize=7)
        ax.set_title(f"{scenario}: change in {outcome.replace('_', ' ')} vs reference (n.s.: 95 % CI includes 0)", fontsize=10)
        ax.set_aspect(1 / np.cos(np.radians((lat_min + lat_max) / 2)))
    if image is not None:
        fig.colorbar(image, ax=axes[:, 0].tolist(), label="relative change (%)", shrink=0.8)
    return _save_both(fig, Path(stem))


def plot_comparison(out: Path, labels: dict[str, str], region_path: Path | None = None) -> list[Path]:
    """Every figure of a comparison store, into ``out/figures`` (the map on ``region_path``: default the manifest's, confined)."""
    from mandosim.experiments.store import manifest_file, read_manifest, read_table
    from mandosim.model.region import build_region

    effects = pd.read_csv(out / "effects.csv")
    series = read_table(out, "series")
    figures = out / "figures"
    paths = plot_effects(effects, "homicides_annual", labels, figures / "effects_homicides")
    paths += plot_effects(effects, "disappearances_annual", labels, figures / "effects_disappearances")
    paths += plot_bands(series, "homicides", labels, figures / "bands_homicides")
    paths += plot_bands(series, "disappearances", labels, figures / "bands_disappearances")
    manifest = read_manifest(out)
    region = build_region(region_path or manifest_file(out, manifest, "region.path"), manifest["region"]["cell_km"])
    paths += plot_effect_map(region, effects, "homicides_annual", figures / "map_homicides")
    return paths


def plot_sweep(out: Path, table: pd.DataFrame, indices: pd.DataFrame) -> list[Path]:
    """Figures of a sweep store: responses (heatmap, lines or scatter) and sensitivity indices."""
    from mandosim.experiments.store import read_manifest

    sweep = read_manifest(out)["sweep"]
    names = [p["path"] for p in sweep["parameters"]]
    figures = out / "figures"
    paths: list[Path] = []
    for (unit, outcome), block in table.groupby(["unit", "outcome"], sort=False):
        label = f"{'effect on ' if sweep.get('contrast') else ''}{outcome.replace('_', ' ')} ({unit})"
        stem = figures / f"response_{outcome}_{unit.replace(' ', '_')}"
        if sweep["design"] == "grid" and len(names) == 2:
            paths += _heatmap(block, names, label, stem)
        elif sweep["design"] == "grid" and len(names) == 1:
            paths += _line(block, names[0], label, stem)
        else:
            paths += _scatter(block, names, label, stem)
    for (unit, outcome), block in indices.groupby(["unit", "outcome"], sort=False) if not indices.empty else []:
        paths += _indices(block, f"{outcome.replace('_', ' ')} ({unit})", figures / f"sensitivity_{outcome}_{unit.replace(' ', '_')}")
    return paths


def _heatmap(block: pd.DataFrame, names: list[str], label: str, stem: Path) -> list[Path]:
    wide = block.pivot_table(index=names[0], columns=names[1], values="mean", dropna=False)
    half = block.pivot_table(index=names[0], columns=names[1], values="ci_half", dropna=False).reindex_like(wide)
    fig, ax = plt.subplots(figsize=(1.4 + 1.2 * wide.shape[1], 1.2 + 0.8 * wide.shape[0]))
    image = ax.imshow(wide.to_numpy(), cmap="viridis", aspect="auto", origin="lower")
    for i in range(wide.shape[0]):
        for j in range(wide.shape[1]):
            interval = f"\n±{half.iat[i, j]:,.0f}" if np.isfinite(half.iat[i, j]) else ""  # one replicate: no interval
            ax.text(j, i, f"{wide.iat[i, j]:,.0f}{interval}", ha="center", va="center", fontsize=7, color="white")
    ax.set_xticks(range(wide.shape[1]), [f"{v:g}" for v in wide.columns])
    ax.set_yticks(range(wide.shape[0]), [f"{v:g}" for v in wide.index])
    ax.set_xlabel(names[1])
    ax.set_ylabel(names[0])
    fig.colorbar(image, ax=ax, label=label + " per year")
    shown = "mean over replicates (± 95 % CI)" if np.isfinite(half.to_numpy()).any() else "one replicate (no interval)"
    ax.set_title(f"{label}: {shown}", fontsize=10)
    return _save_both(fig, stem)


def _line(block: pd.DataFrame, name: str, label: str, stem: Path) -> list[Path]:
    block = block.sort_values(name)
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.fill_between(block[name], block["mean"] - block["ci_half"], block["mean"] + block["ci_half"], alpha=0.25, lw=0)
    ax.plot(block[name], block["mean"], marker="o")
    ax.set_xlabel(name)
    ax.set_ylabel(label + " per year")
    ax.grid(alpha=0.3)
    ax.set_title(f"{label}: mean and 95 % CI over replicates", fontsize=10)
    return _save_both(fig, stem)


def _scatter(block: pd.DataFrame, names: list[str], label: str, stem: Path) -> list[Path]:
    cols = min(3, len(names))
    rows = int(np.ceil(len(names) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.3 * rows), squeeze=False, sharey=True)
    for ax, name in zip(axes.ravel(), names, strict=False):
        ax.scatter(block[name], block["mean"], s=10, alpha=0.6)
        ax.set_xlabel(name, fontsize=8)
        ax.grid(alpha=0.3)
    for ax in axes.ravel()[len(names) :]:
        ax.axis("off")
    for ax in axes[:, 0]:
        ax.set_ylabel(label + " per year", fontsize=8)
    fig.suptitle(f"{label} at each design point (mean over replicates)", fontsize=10)
    fig.tight_layout()
    return _save_both(fig, stem)


def _indices(block: pd.DataFrame, label: str, stem: Path) -> list[Path]:
    fig, ax = plt.subplots(figsize=(8, 0.8 + 0.45 * len(block)))
    y = np.arange(len(block))
    if "S1" in block:
        ax.barh(y - 0.2, block["S1"], height=0.38, xerr=block["S1_conf"], capsize=2, label="first order S1")
        ax.barh(y + 0.2, block["ST"], height=0.38, xerr=block["ST_conf"], capsize=2, label="total ST")
        ax.set_xlabel("Sobol index (95 % CI)")
    else:
        ax.barh(y - 0.2, block["mu_star"], height=0.38, xerr=block["mu_star_conf"], capsize=2, label="mu* (mean |elementary effect|)")
        ax.barh(y + 0.2, block["sigma"], height=0.38, label="sigma (interactions, non-linearity)")
        ax.set_xlabel(f"Morris index ({label.partition(' (')[0]} per year)")
    ax.set_yticks(y, block["parameter"])
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=0.8)
    ax.legend(fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(f"Sensitivity of {label}", fontsize=10)
    fig.tight_layout()
    return _save_both(fig, stem)


def plot_docking(table: pd.DataFrame, stem: str | Path) -> list[Path]:
    """Docking: per group and in total, the replicate band and mean of the well-mixed mode against the equation."""
    names = list(dict.fromkeys(table["group"]))
    fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 3.2), sharex=True)
    for ax, name in zip(np.atleast_1d(axes), names, strict=True):
        block = table[table["group"] == name]
        years = block["day"] / 365.0
        ax.fill_between(years, block["low"], block["high"], color="tab:blue", alpha=0.2, lw=0, label="replicates, 10–90 %")
        ax.plot(years, block["mean"], color="tab:blue", lw=1.5, label="ensemble mean")
        ax.plot(years, block["equation"], color="black", lw=1.2, ls="--", label="Prieto-Curiel equation")
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("years")
    np.atleast_1d(axes)[0].set_ylabel("members")
    np.atleast_1d(axes)[0].legend(fontsize=7, loc="best")
    fig.suptitle("Docking: well-mixed mode (stochastic) vs the Prieto-Curiel equation (solve_ivp)", fontsize=11)
    fig.tight_layout()
    return _save_both(fig, Path(stem))


def plot_calibration(result: CalibrationResult, stem: str | Path) -> list[Path]:
    """Observed counts against the model at the starting values and at the fit (mean ± 2 standard errors)."""
    targets = result.targets
    first, best = result.first, result.best
    x = np.arange(len(targets))
    fig, ax = plt.subplots(figsize=(max(5.0, 1.1 * len(targets) + 2), 3.6))
    ax.bar(x - 0.27, [t.observed for t in targets], width=0.27, color="0.35", label="observed")
    ax.bar(x, first.means, width=0.27, yerr=2 * first.errors, color="tab:gray", alpha=0.6, label="model, start")
    ax.bar(x + 0.27, best.means, width=0.27, yerr=2 * best.errors, color="tab:blue", label="model, fitted")
    ax.set_xticks(x, [t.label for t in targets], rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("per year")
    fitted = ", ".join(f"{k} = {v:.3g}" for k, v in best.values.items())
    ax.set_title(f"Calibration: {fitted}", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return _save_both(fig, Path(stem))


def plot_pattern(pattern_id: str, title: str, plot: dict, stem: str | Path) -> list[Path]:
    """A pattern's figure: control vs treatment series (30-day sums, mean and 10–90 % band), or bars."""
    fig, ax = plt.subplots(figsize=(6.4, 3.2))
    if plot["kind"] == "bars":
        names = list(plot["values"])
        x = np.arange(len(names))
        ax.bar(x - 0.2, [plot["values"][n] for n in names], width=0.4, color="tab:blue", label="model")
        published = plot.get("published", {})
        ax.bar(x + 0.2, [published.get(n, np.nan) for n in names], width=0.4, color="0.4", label="published")
        ax.set_xticks(x, names)
    else:
        window = 30
        names = plot.get("labels", ("control", "treatment"))
        for key, colour, label in (("control", "0.4", names[0]), ("treatment", "tab:red", names[1])):
            runs = np.asarray(plot[key], float)
            kernel = np.ones(window)
            rolled = np.array([np.convolve(r, kernel, mode="valid") for r in runs])
            days = np.arange(rolled.shape[1]) + window
            low, high = np.percentile(rolled, (10, 90), axis=0)
            ax.fill_between(days, low, high, color=colour, alpha=0.2, lw=0)
            ax.plot(days, rolled.mean(axis=0), color=colour, lw=1.4, label=label)
        for mark in plot.get("marks", ()):
            ax.axvline(mark, color="k", lw=0.8, ls=":")
        ax.set_xlabel("day")
    ax.set_ylabel(plot["label"] + (" (30-day sum)" if plot["kind"] == "series" else ""))
    ax.set_title(f"{pattern_id}: {title}", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return _save_both(fig, Path(stem))


def plot_explanation(table: pd.DataFrame, title: str, stem: str | Path) -> list[Path]:
    """A policy's effect and each channel's contribution, in % of the reference level, with 95 % CIs."""
    fig, ax = plt.subplots(figsize=(8.5, 0.9 + 0.42 * len(table)))
    y = np.arange(len(table))
    err = np.vstack([table["pct_of_reference"] - table["pct_ci_low"], table["pct_ci_high"] - table["pct_of_reference"]])
    colours = ["black" if part == "total effect" else ("0.6" if part.startswith("interaction") else "tab:blue") for part in table["part"]]
    ax.barh(y, table["pct_of_reference"], xerr=err, capsize=3, color=colours, height=0.7)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, list(table["part"]))
    ax.invert_yaxis()
    reps = int(table["replicates"].iloc[0])
    ax.set_xlabel(f"homicides a year, % of the reference level (paired, 95 % CI, {reps} replicates)")
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return _save_both(fig, Path(stem))


def plot_dose_response(table: pd.DataFrame, title: str, stem: str | Path) -> list[Path]:
    """The paired effect at each level of each lever (one panel per lever), with 95 % CIs."""
    levers = list(dict.fromkeys(table["lever"]))
    fig, axes = plt.subplots(1, len(levers), figsize=(3.2 * len(levers), 3.2), squeeze=False)
    for ax, lever in zip(axes[0], levers, strict=True):
        block = table[table["lever"] == lever]
        x = np.arange(len(block))
        err = np.vstack([block["pct"] - block["pct_low"], block["pct_high"] - block["pct"]])
        ax.errorbar(x, block["pct"], yerr=err, marker="o", capsize=3)
        ax.axhline(0, color="black", lw=0.8)
        ax.set_xticks(x, [f"{v:g}" if isinstance(v, float) else str(v) for v in block["level"]])
        ax.set_xlabel(lever, fontsize=8)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("effect on homicides, % of reference")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return _save_both(fig, Path(stem))


def plot_discovery(out: Path, table: pd.DataFrame, names: list[str], box: Box, tree: object) -> list[Path]:
    """A discovery's figures: PRIM's peeling trajectory, the chosen box's limits, the draws in its two main dimensions, CART's tree."""
    figures = out / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    return [
        *_prim_trajectory(box, figures / "prim_trajectory"),
        *_prim_limits(box, figures / "prim_box"),
        *_prim_scatter(table, names, box, figures / "prim_scatter"),
        *_cart_tree(tree, names, figures / "cart_tree"),
    ]


def _prim_trajectory(box: Box, stem: Path) -> list[Path]:
    t = box.trajectory
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    most = int(t["res_dim"].max())
    steps = plt.get_cmap("viridis", most + 1)  # one colour per number of restricted uncertainties
    points = ax.scatter(t["coverage"], t["density"], c=t["res_dim"], cmap=steps, vmin=-0.5, vmax=most + 0.5, s=22)
    chosen = t.loc[box.chosen]
    ax.scatter([chosen["coverage"]], [chosen["density"]], s=160, facecolors="none", edgecolors="red", linewidths=1.5, label="box shown")
    fig.colorbar(points, ax=ax, label="uncertainties restricted", ticks=range(most + 1))
    ax.set_xlabel("coverage (share of all cases of interest inside the box)")
    ax.set_ylabel("density (share of the box that are cases)")
    ax.set_title("PRIM peeling trajectory")
    ax.legend(loc="lower left")
    return _save_both(fig, stem)


def _prim_limits(box: Box, stem: Path) -> list[Path]:
    limits = box.limits
    fig, ax = plt.subplots(figsize=(6.5, 0.6 + 0.55 * max(len(limits), 1)))
    for i, row in enumerate(limits.itertuples()):
        width = row.range_high - row.range_low
        ax.barh(i, 1.0, color="#dddddd", height=0.5)
        ax.barh(i, (row.high - row.low) / width, left=(row.low - row.range_low) / width, color="tab:blue", height=0.5)
        ax.text(-0.02, i, row.parameter, ha="right", va="center", fontsize=8)
        ax.text((row.low - row.range_low) / width, i + 0.32, f"{row.low:.3g}", fontsize=7, ha="center")
        ax.text((row.high - row.range_low) / width, i + 0.32, f"{row.high:.3g}", fontsize=7, ha="center")
    if limits.empty:
        ax.text(0.5, 0, "no restriction passes the quasi-p test", ha="center", va="center")
    ax.set_xlim(0, 1)
    ax.set_yticks([])
    ax.set_xlabel("share of each uncertainty's range")
    ax.set_title(f"the box: coverage {box.coverage:.0%}, density {box.density:.0%}", fontsize=10)
    return _save_both(fig, stem)


def _prim_scatter(table: pd.DataFrame, names: list[str], box: Box, stem: Path) -> list[Path]:
    restricted = list(box.limits["parameter"])
    top = (restricted + [n for n in names if n not in restricted])[:2]
    if len(top) < 2:
        return []
    fig, ax = plt.subplots(figsize=(6, 5))
    shade = ax.scatter(table[top[0]], table[top[1]], c=table["effect"] * 100, cmap="RdBu_r", s=18, edgecolors="none")
    cases = table[table["of_interest"]]
    ax.scatter(cases[top[0]], cases[top[1]], s=40, facecolors="none", edgecolors="black", linewidths=0.6, label="case of interest")
    rows = box.limits.set_index("parameter")
    x0, x1 = rows.loc[top[0], ["low", "high"]] if top[0] in rows.index else ax.get_xlim()
    y0, y1 = rows.loc[top[1], ["low", "high"]] if top[1] in rows.index else ax.get_ylim()
    ax.add_patch(plt.Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, color="red", lw=1.5, label="PRIM box"))
    fig.colorbar(shade, ax=ax, label="effect of the policy (%)")
    ax.set_xlabel(top[0])
    ax.set_ylabel(top[1])
    ax.legend(loc="best", fontsize=8)
    ax.set_title("draws, their effect, and the box")
    return _save_both(fig, stem)


def _cart_tree(tree: object, names: list[str], stem: Path) -> list[Path]:
    from sklearn.tree import plot_tree

    fig, ax = plt.subplots(figsize=(11, 6))
    plot_tree(tree.clf, feature_names=names, class_names=["other", "case"], filled=True, impurity=False, proportion=True, fontsize=6, ax=ax)
    ax.set_title("CART: the draws split into boxes")
    return _save_both(fig, stem)


LABEL_BACKGROUND = {"facecolor": "white", "edgecolor": "none", "pad": 0.5}


def plot_pareto(out: Path, table: pd.DataFrame, levers: list[str], scores: list[str]) -> list[Path]:
    """Parallel coordinates of every policy searched (grey) and the Pareto set (coloured): levers, then robust scores.

    Each axis is scaled to its own range (labelled at both ends); categorical levers are spread over
    their levels in the order they appear.
    """
    columns = [*levers, *scores]
    scaled = pd.DataFrame(index=table.index)
    ends = []
    for column in columns:
        values = table[column]
        if values.dtype == object or isinstance(values.iloc[0], str | list | bool):
            labels = sorted(dict.fromkeys(values.astype(str)))
            codes = values.astype(str).map({label: i for i, label in enumerate(labels)}).astype(float)
            span = max(len(labels) - 1, 1)
            scaled[column] = codes / span
            ends.append([(i / span, label) for i, label in enumerate(labels)])
        else:
            low, high = float(values.min()), float(values.max())
            scaled[column] = (values - low) / (high - low) if high > low else 0.5
            ends.append([(0.0, f"{low:.3g}"), (1.0, f"{high:.3g}")])
    fig, ax = plt.subplots(figsize=(max(8.0, 1.9 * len(columns)), 5.5))
    x = np.arange(len(columns))
    for i in scaled.index[~table["pareto"].to_numpy()]:
        ax.plot(x, scaled.loc[i].to_numpy(float), color="#bbbbbb", lw=0.7, alpha=0.7)
    front = scaled.index[table["pareto"].to_numpy()]
    colours = plt.cm.viridis(np.linspace(0, 0.9, max(len(front), 1)))
    for colour, i in zip(colours, front, strict=False):
        ax.plot(x, scaled.loc[i].to_numpy(float), color=colour, lw=2, label=str(table.loc[i, "policy"]))
    for j, marks in enumerate(ends):
        ax.axvline(j, color="black", lw=0.6)
        for position, label in marks:
            ax.text(j + 0.03, position, label, ha="left", va="center", fontsize=7, bbox=LABEL_BACKGROUND)
    wrapped = [c.replace(":", "\n(").replace("@", "\nin ").replace(".", ".\n") + (")" if ":" in c else "") for c in columns]
    ax.set_xticks(x, wrapped, fontsize=7)
    ax.set_yticks([])
    ax.set_ylim(-0.05, 1.05)
    ax.axvspan(len(levers) - 0.5, len(columns) - 0.5, color="#f3f3f3", zorder=0)
    ax.set_title(f"policies searched (grey) and the Pareto set ({len(front)}): levers, then robust outcomes (lower is better)")
    if len(front) <= 12:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return _save_both(fig, out / "figures" / "pareto")
