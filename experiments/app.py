"""The interactive app (``mandosim app``): watch the border, flip the command, see the difference.

A Mesa ``SolaraViz`` page. What it steps is an ``AppModel``: one ``BorderSecurityModel`` or, side
by side, two built from the same scenario and seed under different command regimes, stepped
together. Components draw the region map (zones, roads, ports, units by branch, criminal cells by
group, a heat layer of recent homicides), homicides and disappearances by zone, and, side by side,
the running difference between the two. Needs the ``viz`` extra (``pip install 'mandosim[viz]'``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mesa
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from model.conflict import BRANCHES
from model.metrics import ZONE_METRICS
from model.model import BorderSecurityModel
from model.region import Region
from model.scenario import LoadedScenario, default_scenarios_dir, find_scenario, load_scenario, resolve

APP_DAYS = 3650  # horizon of an app run: ten years, far more than anyone watches
HEAT_MEMORY = 0.97  # share of the heat layer kept per day (a month of homicides shows)
HEAT_TOP_PERCENTILE = 90  # the heat colour scale tops out here, so more than the hottest cell shows
CHART_WINDOW = 7  # days summed per point of the charts
REGIMES = ("fragmented", "coordinated", "unified")
AREAS: dict[str, tuple[str, ...]] = {
    "Mexicali Valley + San Luis (across the state line)": ("mexicali_valley", "san_luis_rio_colorado"),
    "San Luis Río Colorado": ("san_luis_rio_colorado",),
    "Tijuana + Rosarito + Tecate": ("tijuana", "rosarito", "tecate"),
    "the whole region": (
        "tijuana",
        "rosarito",
        "tecate",
        "ensenada",
        "mexicali_city",
        "mexicali_valley",
        "san_luis_rio_colorado",
    ),
}
DEFAULT_AREA = next(iter(AREAS))
NO_COMPARISON = "none"
BRANCH_COLOURS = {"police": "#1f77b4", "national_guard": "#8c564b", "army": "#2ca02c", "navy": "#17becf"}
GROUP_COLOURS = ("#d62728", "#ff7f0e", "#9467bd", "#e377c2", "#bcbd22", "#7f7f7f", "#a05d56", "#6b6ecf")
ZONE_TINTS = ("#dbe9f6", "#f6dada", "#dcf0dc", "#ebe1f3", "#eee0da", "#f8e4f1", "#fde9d6", "#d7f2f5", "#eeeed2")
SCENARIO_ENV = "MANDOSIM_APP_SCENARIO"


def library_scenarios() -> list[str]:
    """Names of the scenario files shipped in ``scenarios/``."""
    return sorted(p.stem for p in default_scenarios_dir().glob("*.toml"))


def app_scenario(scenario: str, regime: str, area: str, vetting: float, force: float) -> LoadedScenario:
    """The scenario as the app's controls set it.

    Args:
        scenario: A library name or scenario file.
        regime: Command regime from day 0 (``REGIMES``).
        area: A key of ``AREAS``: the zones of a unified command.
        vetting: Daily hazard that a colluding unit of any agency is found and replaced (0: none).
        force: Multiplier of every agency's officers (1: the scenario's forces).
    """
    if regime not in REGIMES:
        raise ValueError(f"regime: {regime!r} is not one of {', '.join(REGIMES)}")
    if area not in AREAS:
        raise ValueError(f"area: {area!r} is not one of {', '.join(AREAS)}")
    base = load_scenario(find_scenario(scenario))
    data = base.scenario.model_dump(mode="python")
    data["region"] = str(base.region_path)
    data["time"]["horizon_days"] = APP_DAYS
    data["command"]["regime"] = regime
    data["command"]["area"] = list(AREAS[area]) if regime == "unified" else []
    for agency in data["agencies"].values():
        agency["officers"] = {zone: officers * force for zone, officers in agency["officers"].items()}
    if vetting > 0:
        data["events"] = [*data["events"], {"type": "vetting", "day": 0, "rate": vetting}]
    return resolve(data, base.path, base.region_path.parent, {})


@dataclass
class Side:
    """One simulated border: its label, its model and its heat layer (decaying homicides per cell)."""

    label: str
    regime: str
    model: BorderSecurityModel
    heat: np.ndarray


class AppModel(mesa.Model):
    """What the app steps: one border, or two under different regimes stepped together.

    The burn-in runs when the app model is made, so the app starts at day 0 with the regime in force.

    Args:
        scenario: A library name (``baseline``) or scenario file.
        regime: Command regime (``fragmented``, ``coordinated``, ``unified``).
        area: The unified command's area, a key of ``AREAS``.
        compare: A second regime to run side by side with the same seed, or ``"none"``.
        vetting: Daily vetting hazard for colluding units (0–0.05).
        force: Multiplier of every agency's officers (0.5–2).
        seed: Root seed of both borders.
    """

    def __init__(
        self,
        scenario: str = "baseline",
        regime: str = "fragmented",
        area: str = DEFAULT_AREA,
        compare: str = NO_COMPARISON,
        vetting: float = 0.0,
        force: float = 1.0,
        seed: int = 1,
    ) -> None:
        super().__init__(seed=seed)
        regimes = [regime] if compare in (NO_COMPARISON, regime) else [regime, compare]
        self.sides = []
        for r in regimes:
            model = BorderSecurityModel(app_scenario(scenario, r, area, vetting, force), seed=seed)
            for _ in range(model.burn_in):
                model.step()
            label = f"{r} over {area}" if r == "unified" else r
            self.sides.append(Side(label, r, model, np.zeros(model.region.n_cells)))
        self.scenario_name = scenario

    @property
    def region(self) -> Region:
        return self.sides[0].model.region

    @property
    def day(self) -> int:
        return self.sides[0].model.day

    def step(self) -> None:
        """One day on every side."""
        for side in self.sides:
            side.model.step()
            side.heat *= HEAT_MEMORY
            side.heat += side.model.homicides_by_cell
        self.running = all(side.model.running for side in self.sides)

    def zone_series(self, side: int, metric: str) -> np.ndarray:
        """(days since day 0, zones) daily ``metric`` of one side."""
        return self.sides[side].model.horizon_zone_series()[:, :, ZONE_METRICS.index(metric)]

    def totals(self, metric: str) -> list[float]:
        """Each side's total ``metric`` since day 0."""
        return [float(self.zone_series(k, metric).sum()) for k in range(len(self.sides))]


# --- drawing (pure matplotlib: testable without a browser) -----------------------------------------
def _extent(region: Region) -> tuple[float, float, float, float]:
    lat_min, lat_max, lon_min, _ = region.bounds
    rows, cols = region.shape
    km_per_lon = 111.32 * np.cos(np.radians((lat_min + lat_max) / 2))
    return (lon_min, lon_min + cols * region.cell_km / km_per_lon, lat_max - rows * region.cell_km / 111.32, lat_max)


def _grid(region: Region, values: np.ndarray) -> np.ndarray:
    grid = np.full(region.shape, np.nan)
    grid[region.cell_rc[:, 0], region.cell_rc[:, 1]] = values
    return grid


def draw_map(app: AppModel) -> Figure:
    """The region per side: zones, heat of recent homicides, roads, ports, units by branch, criminal cells by group."""
    region = app.region
    n = len(app.sides)
    fig = Figure(figsize=(11.0 if n == 1 else 7.5 * n, 4.6 if n == 1 else 3.6), layout="constrained")
    extent = _extent(region)
    lat_mid = (region.bounds[0] + region.bounds[1]) / 2
    zones = _grid(region, region.zone)
    tints = ListedColormap(ZONE_TINTS[: len(region.zone_names)])
    hot = np.concatenate([side.heat[side.heat > 0.05] for side in app.sides])
    heat_top = max(float(np.percentile(hot, HEAT_TOP_PERCENTILE)) if hot.size else 1.0, 1.0)
    for k, side in enumerate(app.sides):
        ax = fig.add_subplot(1, n, k + 1)
        model = side.model
        ax.imshow(zones, extent=extent, cmap=tints, interpolation="nearest", vmin=-0.5, vmax=len(region.zone_names) - 0.5)
        heat = np.where(side.heat > 0.05, side.heat, np.nan)
        ax.imshow(_grid(region, heat), extent=extent, cmap="Reds", alpha=0.75, interpolation="nearest", vmin=0, vmax=heat_top)
        for _name, pts in region.roads:
            ax.plot(pts[:, 1], pts[:, 0], color="#555555", lw=0.7)
        ports = region.cell_latlon[region.port_cells]
        ax.scatter(ports[:, 1], ports[:, 0], marker="^", s=30, color="black", zorder=5)
        cells = model.cells
        live = cells.live()
        where = region.cell_latlon[cells.pos[live]]
        colours = np.array(GROUP_COLOURS)[cells.group[live] % len(GROUP_COLOURS)]
        ax.scatter(where[:, 1], where[:, 0], s=np.sqrt(cells.members[live]) * 1.5, c=colours, alpha=0.7, linewidths=0, zorder=3)
        units = model.units
        at = region.cell_latlon[units.pos]
        ax.scatter(at[:, 1], at[:, 0], s=9, c=[BRANCH_COLOURS[BRANCHES[b]] for b in units.branch], marker="s", linewidths=0, zorder=4)
        ax.set_title(f"{side.label} — day {model.day}", fontsize=9)
        ax.set_aspect(1 / np.cos(np.radians(lat_mid)))
        ax.set_xticks([])
        ax.set_yticks([])
    handles = [
        *(_legend_marker(ax, "s", colour, branch.replace("_", " ")) for branch, colour in BRANCH_COLOURS.items()),
        *(_legend_marker(ax, "o", GROUP_COLOURS[g], name) for g, name in enumerate(app.sides[0].model.group_names[:4])),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncol=4, fontsize=7, frameon=False)
    return fig


def _legend_marker(ax: Any, marker: str, colour: str, label: str) -> Any:
    return ax.plot([], [], marker, color=colour, label=label, ls="")[0]


def draw_charts(app: AppModel) -> Figure:
    """Homicides and disappearances by zone (weekly sums) per side; side by side, the running difference."""
    region = app.region
    n = len(app.sides)
    panels = 2 * n + (1 if n == 2 else 0)
    fig = Figure(figsize=(max(11.0, 3.0 * panels), 2.8), layout="constrained")
    line_colours = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#ff7f0e")
    axes = [fig.add_subplot(1, panels, i + 1) for i in range(panels)]
    for k, side in enumerate(app.sides):
        for j, metric in enumerate(("homicides", "disappearances")):
            ax = axes[2 * k + j]
            series = app.zone_series(k, metric)
            if series.shape[0] >= CHART_WINDOW:  # sums over the last CHART_WINDOW days, day by day
                running = np.cumsum(series, axis=0)
                weekly = running[CHART_WINDOW - 1 :] - np.vstack([np.zeros((1, series.shape[1])), running[:-CHART_WINDOW]])
                x = np.arange(CHART_WINDOW, series.shape[0] + 1)
                for z, label in enumerate(region.zone_labels):
                    ax.plot(x, weekly[:, z], color=line_colours[z % len(line_colours)], lw=1, label=label)
            ax.set_title(f"{metric}, last 7 days — {side.regime}", fontsize=8)
            ax.set_xlabel("day", fontsize=7)
            ax.tick_params(labelsize=7)
    if n == 2:
        ax = axes[-1]
        for metric, colour in (("homicides", "#d62728"), ("disappearances", "#555555")):
            left, right = app.zone_series(0, metric).sum(axis=1), app.zone_series(1, metric).sum(axis=1)
            ax.plot(np.arange(1, left.size + 1), np.cumsum(right - left), color=colour, label=metric)
        ax.axhline(0, color="black", lw=0.6)
        ax.set_title(f"running difference: {app.sides[1].regime} − {app.sides[0].regime}", fontsize=8)
        ax.set_xlabel("day", fontsize=7)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=7)
    if axes[0].lines:
        axes[0].legend(fontsize=6, loc="upper left")
    return fig


def summary_text(app: AppModel) -> str:
    """One line per side: day and totals since day 0."""
    lines = []
    homicides, disappeared = app.totals("homicides"), app.totals("disappearances")
    for k, side in enumerate(app.sides):
        lines.append(f"**{side.label}** — day {side.model.day}: {homicides[k]:,.0f} homicides, {disappeared[k]:,.0f} disappearances")
    if len(app.sides) == 2:
        lines.append(f"difference: {homicides[1] - homicides[0]:+,.0f} homicides, {disappeared[1] - disappeared[0]:+,.0f} disappearances")
    return "  \n".join(lines)


#: Seconds the app's server has to stop after SIGTERM before it is killed.
STOP_GRACE_SECONDS = 5.0


def _own_group_tied_to_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """The server's process group is its own; on Linux it is also told to stop if ``mandosim app`` dies."""
    os.setsid()
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def serve(scenario: str, port: int, open_browser: bool = False) -> int:
    """Run the app's server on 127.0.0.1 until interrupted (``solara run`` on this module).

    The server runs in its own process group, which ends with this command: on Ctrl-C (SIGINT),
    SIGTERM, or a normal exit; on Linux also if this process is killed outright.
    """
    env = {**os.environ, SCENARIO_ENV: scenario}
    command = [
        sys.executable, "-m", "solara", "run", "experiments.app_page:Page", "--host", "127.0.0.1", "--port", str(port), "--production",
        "--open" if open_browser else "--no-open", "--log-level", "warning",
    ]  # fmt: skip
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    process = subprocess.Popen(command, env=env, cwd=Path(__file__).resolve().parent.parent, preexec_fn=_own_group_tied_to_parent)  # noqa: PLW1509
    try:
        return process.wait()
    finally:
        _stop_group(process)
        signal.signal(signal.SIGTERM, previous)


def _stop_group(process: subprocess.Popen) -> None:
    """SIGTERM to the server's whole process group; after ``STOP_GRACE_SECONDS``, SIGKILL to whatever is left in it."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return  # the group is gone
        try:
            process.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            continue
