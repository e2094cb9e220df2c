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
from matplotlib import colormaps
from matplotlib.collections import LineCollection
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import LogLocator, NullLocator, ScalarFormatter

from mandosim.model.conflict import BRANCHES
from mandosim.model.metrics import DAYS_PER_YEAR, PER_100K, ZONE_METRICS
from mandosim.model.model import BorderSecurityModel
from mandosim.model.region import Region
from mandosim.model.scenario import LoadedScenario, default_scenarios_dir, find_scenario, load_scenario, resolve

APP_DAYS = 3650  # horizon of an app run: ten years, far more than anyone watches
HEAT_MEMORY = 0.97  # share of the heat layer kept per day (a month of homicides shows)
HEAT_TOP_PERCENTILE = 90  # the heat colour scale tops out here, so more than the hottest cell shows
CHART_WINDOW = 30  # days per point of the charts (a month: small zones' rates are not all zero)
HEAT_SHOWN = 0.05  # heat below this (homicides, decayed) is not drawn
KM_PER_DEGREE_LAT = 111.32
SCALE_BAR_KM = 50.0
LABEL_BOX = {"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.7}
LINE_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#ff7f0e")
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
            model = BorderSecurityModel(app_scenario(scenario, r, area, vetting, force), seed=seed, report_to_mesa=False)
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
    km_per_lon = KM_PER_DEGREE_LAT * np.cos(np.radians((lat_min + lat_max) / 2))
    return (lon_min, lon_min + cols * region.cell_km / km_per_lon, lat_max - rows * region.cell_km / KM_PER_DEGREE_LAT, lat_max)


def _grid(region: Region, values: np.ndarray) -> np.ndarray:
    grid = np.full(region.shape, np.nan)
    grid[region.cell_rc[:, 0], region.cell_rc[:, 1]] = values
    return grid


def _zone_centres(region: Region) -> list[tuple[float, float]]:
    """(lon, lat) of each zone's centre: the median of its cells (inside the zone even when it is not convex)."""
    return [tuple(np.median(region.cell_latlon[region.zone == z][:, ::-1], axis=0)) for z in range(len(region.zone_names))]


def _scale_bar(ax: Any, region: Region, extent: tuple[float, float, float, float]) -> None:
    """A ``SCALE_BAR_KM`` bar in the lower left corner."""
    lat = extent[2] + 0.06 * (extent[3] - extent[2])
    lon = extent[0] + 0.03 * (extent[1] - extent[0])
    km_per_lon = KM_PER_DEGREE_LAT * np.cos(np.radians(lat))
    ax.plot([lon, lon + SCALE_BAR_KM / km_per_lon], [lat, lat], color="black", lw=2, solid_capstyle="butt", zorder=6)
    ax.text(lon, lat + 0.012 * (extent[3] - extent[2]), f"{SCALE_BAR_KM:.0f} km", fontsize=7, va="bottom", zorder=6)


def draw_map(app: AppModel) -> Figure:
    """The region per side: labelled zones, heat of recent homicides, roads, ports, units by branch, criminal cells by group."""
    region = app.region
    n = len(app.sides)
    fig = Figure(figsize=(11.0 if n == 1 else 7.5 * n, 4.8 if n == 1 else 3.9))
    fig.subplots_adjust(left=0.01, right=0.99, top=0.93, bottom=0.16, wspace=0.02)
    extent = _extent(region)
    lat_mid = (region.bounds[0] + region.bounds[1]) / 2
    zones = _grid(region, region.zone)
    tints = ListedColormap(ZONE_TINTS[: len(region.zone_names)])
    hot = np.concatenate([side.heat[side.heat > HEAT_SHOWN] for side in app.sides])
    heat_top = max(float(np.percentile(hot, HEAT_TOP_PERCENTILE)) if hot.size else 1.0, 1.0)
    roads = [pts[:, ::-1] for _name, pts in region.roads]
    centres = _zone_centres(region)
    for k, side in enumerate(app.sides):
        ax = fig.add_subplot(1, n, k + 1)
        model = side.model
        ax.imshow(zones, extent=extent, cmap=tints, interpolation="nearest", vmin=-0.5, vmax=len(region.zone_names) - 0.5)
        heat = np.where(side.heat > HEAT_SHOWN, side.heat, np.nan)
        ax.imshow(_grid(region, heat), extent=extent, cmap="Reds", alpha=0.75, interpolation="nearest", vmin=0, vmax=heat_top)
        ax.add_collection(LineCollection(roads, colors="#555555", linewidths=0.7))
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
        for (lon, lat), label in zip(centres, region.zone_labels, strict=True):
            ax.text(lon, lat, label, fontsize=7, ha="center", va="center", zorder=7, color="#222222", bbox=LABEL_BOX)
        _scale_bar(ax, region, extent)
        ax.set_title(f"{side.label} — day {model.day}", fontsize=9)
        ax.set_xlim(extent[0], extent[1])
        ax.set_ylim(extent[2], extent[3])
        ax.set_aspect(1 / np.cos(np.radians(lat_mid)))
        ax.set_xticks([])
        ax.set_yticks([])
    names = app.sides[0].model.group_names
    handles = [
        *(_legend_marker(ax, "s", colour, branch.replace("_", " ")) for branch, colour in BRANCH_COLOURS.items()),
        *(_legend_marker(ax, "o", GROUP_COLOURS[g % len(GROUP_COLOURS)], name.replace("_", " ")) for g, name in enumerate(names)),
        _legend_marker(ax, "^", "black", "port of entry"),
        Line2D([], [], color="#555555", lw=0.7, label="road"),
        Patch(color=colormaps["Reds"](0.7), alpha=0.75, label="homicides, last month"),
    ]
    fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 7), fontsize=7, frameon=False)
    return fig


def _legend_marker(ax: Any, marker: str, colour: str, label: str) -> Any:
    return Line2D([], [], marker=marker, color=colour, label=label, ls="")


def rates_per_100k(app: AppModel, side: int, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """Days and, per zone, ``metric`` over the last ``CHART_WINDOW`` days as an annual rate per 100,000 people."""
    series = app.zone_series(side, metric)
    if series.shape[0] < CHART_WINDOW:
        return np.zeros(0), np.zeros((0, series.shape[1]))
    running = np.cumsum(series, axis=0)
    window = running[CHART_WINDOW - 1 :] - np.vstack([np.zeros((1, series.shape[1])), running[:-CHART_WINDOW]])
    population = app.region.zone_population()
    rates = window * (DAYS_PER_YEAR / CHART_WINDOW) / np.maximum(population, 1) * PER_100K
    return np.arange(CHART_WINDOW, series.shape[0] + 1), rates


def draw_charts(app: AppModel) -> Figure:
    """Homicides and disappearances per 100k by zone (last 30 days, annualised, log axis); side by side, the running difference.

    Both regimes share each panel (solid: the first, dashed: the second), so the zones the scenarios
    are about — the valley and San Luis — read as clearly as Tijuana.
    """
    region = app.region
    n = len(app.sides)
    panels = 3 if n == 2 else 2
    fig = Figure(figsize=(11.0 if n == 1 else 15.0, 3.0))
    fig.subplots_adjust(left=0.05, right=0.99, top=0.88, bottom=0.3, wspace=0.22)
    axes = [fig.add_subplot(1, panels, i + 1) for i in range(panels)]
    styles = ("-", "--")
    for j, metric in enumerate(("homicides", "disappearances")):
        ax = axes[j]
        for k in range(n):
            days, rates = rates_per_100k(app, k, metric)
            for z in range(len(region.zone_names)):
                shown = np.where(rates[:, z] > 0, rates[:, z], np.nan)  # a log axis has no zero: no line where none happened
                ax.plot(days, shown, color=LINE_COLOURS[z % len(LINE_COLOURS)], lw=1, ls=styles[k])
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 3.0)))  # 1, 3, 10, 30, ...: few ticks, fast to draw
        ax.yaxis.set_major_formatter(ScalarFormatter())
        ax.yaxis.set_minor_locator(NullLocator())
        ax.set_title(f"{metric} per 100k a year (last {CHART_WINDOW} days)", fontsize=8)
        ax.set_xlabel("day", fontsize=7)
        ax.tick_params(labelsize=7)
    if n == 2:
        ax = axes[-1]
        for metric, colour in (("homicides", "#d62728"), ("disappearances", "#555555")):
            left, right = app.zone_series(0, metric).sum(axis=1), app.zone_series(1, metric).sum(axis=1)
            ax.plot(np.arange(1, left.size + 1), np.cumsum(right - left), color=colour, label=metric)
        ax.axhline(0, color="black", lw=0.6)
        ax.set_title(f"running difference, people: {app.sides[1].regime} − {app.sides[0].regime}", fontsize=8)
        ax.set_xlabel("day", fontsize=7)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=7, loc="upper left")
    handles = [Line2D([], [], color=LINE_COLOURS[z % len(LINE_COLOURS)], label=label) for z, label in enumerate(region.zone_labels)]
    handles += [Line2D([], [], color="black", ls=styles[k], label=side.regime) for k, side in enumerate(app.sides)] if n == 2 else []
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=7, frameon=False)
    return fig


def summary_lines(app: AppModel) -> list[tuple[str, str]]:
    """(heading, text) per line: each side's day and totals since day 0; side by side, the difference."""
    lines = []
    homicides, disappeared = app.totals("homicides"), app.totals("disappearances")
    for k, side in enumerate(app.sides):
        lines.append((side.label, f" — day {side.model.day}: {homicides[k]:,.0f} homicides, {disappeared[k]:,.0f} disappearances"))
    if len(app.sides) == 2:
        first, second = (side.regime for side in app.sides)
        change = f": {homicides[1] - homicides[0]:+,.0f} homicides, {disappeared[1] - disappeared[0]:+,.0f} disappearances"
        lines.append((f"difference ({second} − {first})", change))
    return lines


def summary_text(app: AppModel) -> str:
    """The status as Markdown, one line per side."""
    return "  \n".join(f"**{head}**{text}" for head, text in summary_lines(app))


#: Seconds the app's server has to stop after SIGTERM before it is killed.
STOP_GRACE_SECONDS = 5.0
#: A session whose browser is gone (tab closed, browser killed) is closed after this long, and its
#: model freed; playing stops at once (``app_page``). A reload opens a new session (assumption: the
#: app runs on the same machine as its browser, so a connection is not lost to the network).
SESSION_CULL_SECONDS = 5
#: The server asks nothing of the network: Solara's check for a newer release and its usage
#: telemetry are off (the README says the app runs offline).
OFFLINE_ENV = {"SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False", "SOLARA_KERNEL_CULL_TIMEOUT": f"{SESSION_CULL_SECONDS}s"}


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
    env = {**os.environ, SCENARIO_ENV: scenario, **OFFLINE_ENV}
    command = [
        sys.executable, "-m", "solara", "run", "mandosim.experiments.app_page:Page", "--host", "127.0.0.1", "--port", str(port),
        "--production", "--open" if open_browser else "--no-open", "--log-level", "warning", "--no-check-version",
    ]  # fmt: skip
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    # Ctrl-C stops the app even when it was started with SIGINT ignored (inherited from a background
    # job or a parent that ignores it): Python then installs no KeyboardInterrupt of its own
    previous_int = signal.signal(signal.SIGINT, signal.default_int_handler)
    process = subprocess.Popen(command, env=env, cwd=Path(__file__).resolve().parent.parent, preexec_fn=_own_group_tied_to_parent)  # noqa: PLW1509
    try:
        return process.wait()
    finally:
        _stop_group(process)
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)


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
