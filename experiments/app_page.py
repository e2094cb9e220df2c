"""The app's Solara page (``solara run mandosim.experiments.app_page:Page``): controls, status, map and charts.

Imported only by the app's server; it needs the ``viz`` extra (solara). The page is written with
Solara directly rather than Mesa's ``SolaraViz``, so it shows only the controls that apply (the
unified command's area only when a unified command is chosen), each slider with its value, and no
framework controls (play interval, render interval, threads, page tabs). What it steps is the same
Mesa model (``AppModel``), a day at a time.
"""

from __future__ import annotations

import html
import os
import threading

import solara
from solara.server import kernel_context

from mandosim.experiments.app import (
    AREAS,
    DEFAULT_AREA,
    NO_COMPARISON,
    REGIMES,
    SCENARIO_ENV,
    AppModel,
    draw_charts,
    draw_map,
    library_scenarios,
    summary_lines,
)

DAYS_PER_STEP = 5  # model days per press of Step
DAYS_PER_FRAME = 10  # model days per redraw while playing: drawing, not the model, sets the pace
FIGURE_DPI = 80
TITLE = "mandosim — the border, day by day"
CSS = """
.mandosim-map img, .mandosim-charts img { width: 100%; height: auto; }
.mandosim-status { font-size: 15px; line-height: 1.5; margin: 4px 0 8px 0; }
"""
VETTING_MAX, VETTING_STEP = 0.05, 0.005  # daily hazard that a colluding unit is found (per day)
FORCE_MIN, FORCE_MAX, FORCE_STEP = 0.5, 2.0, 0.1  # × every agency's officers
SEED_MAX = 100


def watched(session: kernel_context.VirtualKernelContext) -> bool:
    """True while a browser page is connected to this session: nobody watching, nothing is simulated.

    A closed tab or a killed browser disconnects its page at once; the server closes the session
    (and frees its model) ``SESSION_CULL_SECONDS`` later (``app.OFFLINE_ENV``).
    """
    return not session.closed_event.is_set() and kernel_context.PageStatus.CONNECTED in session.page_status.values()


@solara.component
def Dashboard(app: AppModel, frame: int) -> None:  # noqa: N802 (Solara components are CamelCase)
    """Status lines, map and charts, one under the other at full width (``frame`` changes on every redraw)."""
    solara.Style(CSS)
    with solara.Column(style={"width": "100%"}):
        status = "<br>".join(f"<b>{html.escape(head)}</b>{html.escape(rest)}" for head, rest in summary_lines(app))
        solara.HTML(tag="div", unsafe_innerHTML=status, classes=["mandosim-status"])
        with solara.Div(classes=["mandosim-map"]):
            solara.FigureMatplotlib(draw_map(app), format="png", dpi=FIGURE_DPI)
        with solara.Div(classes=["mandosim-charts"]):
            solara.FigureMatplotlib(draw_charts(app), format="png", dpi=FIGURE_DPI)


@solara.component
def Page() -> None:  # noqa: N802 (solara run looks for Page)
    """Controls in the sidebar; Reset builds the model the controls describe, Step and ▶ advance it."""
    first = os.environ.get(SCENARIO_ENV, "baseline")
    shipped = solara.use_memo(library_scenarios, [])  # once per page, not once per redraw
    scenarios = shipped if first in shipped else [first, *shipped]
    scenario = solara.use_reactive(first)
    regime = solara.use_reactive("fragmented")
    area = solara.use_reactive(DEFAULT_AREA)
    compare = solara.use_reactive(NO_COMPARISON)
    vetting = solara.use_reactive(0.0)
    force = solara.use_reactive(1.0)
    seed = solara.use_reactive(1)
    app = solara.use_reactive(solara.use_memo(lambda: AppModel(scenario=first), []))
    frame = solara.use_reactive(0)
    playing = solara.use_reactive(False)
    busy = solara.use_memo(threading.Lock, [])  # one advance at a time (Step and play never overlap)

    def advance(days: int) -> None:
        with busy:
            for _ in range(days):
                if not app.value.running:
                    playing.value = False
                    break
                app.value.step()
        frame.value += 1  # redraws (in this thread: the next days wait for the drawing)

    def play(cancel: threading.Event) -> None:
        session = kernel_context.get_current_context()
        while playing.value and not cancel.is_set() and watched(session):
            advance(DAYS_PER_FRAME)

    solara.use_thread(play, dependencies=[playing.value], intrusive_cancel=False)

    def reset() -> None:
        playing.value = False
        with busy:
            app.value = AppModel(scenario.value, regime.value, area.value, compare.value, vetting.value, force.value, seed.value)
        frame.value += 1

    solara.Title(TITLE)
    with solara.Sidebar():
        solara.Select("Scenario", values=scenarios, value=scenario)
        solara.Select("Command regime", values=list(REGIMES), value=regime)
        solara.Select("Side by side with", values=[NO_COMPARISON, *REGIMES], value=compare)
        if "unified" in (regime.value, compare.value):  # the area matters only to a unified command
            solara.Select("Unified command area", values=list(AREAS), value=area)
        solara.SliderFloat(f"Vetting: {vetting.value:.3f} per day", value=vetting, min=0.0, max=VETTING_MAX, step=VETTING_STEP)
        solara.SliderFloat(f"Force level: {force.value:.1f} × officers", value=force, min=FORCE_MIN, max=FORCE_MAX, step=FORCE_STEP)
        solara.SliderInt(f"Seed: {seed.value}", value=seed, min=1, max=SEED_MAX)
        with solara.Row():
            solara.Button("Reset", on_click=reset, color="primary", outlined=True)
            solara.Button("Step", on_click=lambda: advance(DAYS_PER_STEP), disabled=playing.value)
            solara.Button("❚❚" if playing.value else "▶", on_click=lambda: playing.set(not playing.value))
        solara.HTML(
            tag="p",
            unsafe_innerHTML=(
                "Reset applies the choices (the burn-in runs first, so day 0 has the regime in force). "
                f"Step advances {DAYS_PER_STEP} days; ▶ plays on, {DAYS_PER_FRAME} days per redraw."
            ),
            style="font-size: 12px; color: #555;",
        )
    Dashboard(app.value, frame.value)
