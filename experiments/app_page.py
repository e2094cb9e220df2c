"""The app's Solara page: Mesa's ``SolaraViz`` around an ``AppModel`` (``solara run experiments.app_page:Page``).

Imported only by the app's server; it needs the ``viz`` extra (solara, through ``mesa[viz]``).
"""

from __future__ import annotations

import os
from typing import Any

import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from experiments.app import (
    AREAS,
    DEFAULT_AREA,
    NO_COMPARISON,
    REGIMES,
    SCENARIO_ENV,
    AppModel,
    draw_charts,
    draw_map,
    library_scenarios,
    summary_text,
)

PLAY_INTERVAL_MS = 1  # pause between renders while playing; drawing is the real pace
DAYS_PER_RENDER = 5  # model days per Step and per render while playing (≥ 5 days/s in the browser)
FIGURE_DPI = 80
# The dashboard takes the whole width: SolaraViz puts each component in a half-width draggable tile.
FULL_WIDTH_CSS = """
.vue-grid-layout { height: auto !important; }
.vue-grid-item { position: relative !important; transform: none !important; width: 100% !important; height: auto !important; }
.mandosim-map img, .mandosim-charts img { width: 100%; height: auto; }
"""


def model_params(scenario: str) -> dict[str, Any]:
    """The controls: scenario, regime and area, a second regime side by side, vetting, force level, seed."""
    scenarios = library_scenarios()
    if scenario not in scenarios:
        scenarios = [scenario, *scenarios]
    return {
        "scenario": {"type": "Select", "value": scenario, "values": scenarios, "label": "Scenario"},
        "regime": {"type": "Select", "value": "fragmented", "values": list(REGIMES), "label": "Command regime"},
        "area": {"type": "Select", "value": DEFAULT_AREA, "values": list(AREAS), "label": "Unified command area"},
        "compare": {"type": "Select", "value": NO_COMPARISON, "values": [NO_COMPARISON, *REGIMES], "label": "Side by side with"},
        "vetting": {"type": "SliderFloat", "value": 0.0, "min": 0.0, "max": 0.05, "step": 0.005, "label": "Vetting (per day)"},
        "force": {"type": "SliderFloat", "value": 1.0, "min": 0.5, "max": 2.0, "step": 0.1, "label": "Force level (× officers)"},
        "seed": {"type": "SliderInt", "value": 1, "min": 1, "max": 100, "step": 1, "label": "Seed"},
    }


@solara.component
def Dashboard(model: AppModel) -> None:  # noqa: N802 (Solara components are CamelCase)
    """Status line, map and charts, one under the other at full width."""
    update_counter.get()
    solara.Style(FULL_WIDTH_CSS)
    with solara.Column(style={"width": "100%"}):
        with solara.Div(classes=["mandosim-status"]):
            solara.Markdown(summary_text(model))
        with solara.Div(classes=["mandosim-map"]):
            solara.FigureMatplotlib(draw_map(model), format="png", dpi=FIGURE_DPI)
        with solara.Div(classes=["mandosim-charts"]):
            solara.FigureMatplotlib(draw_charts(model), format="png", dpi=FIGURE_DPI)


@solara.component
def Page() -> None:  # noqa: N802 (solara run looks for Page)
    scenario = os.environ.get(SCENARIO_ENV, "baseline")
    model = solara.use_memo(lambda: AppModel(scenario=scenario), [])
    SolaraViz(
        model,
        components=[Dashboard],
        model_params=model_params(scenario),
        name="mandosim — the border, day by day",
        play_interval=PLAY_INTERVAL_MS,
        render_interval=DAYS_PER_RENDER,
    )
