"""The app: its model and drawings, and a browser test in headless Chromium driven by Playwright.

The browser test needs Debian's ``chromium`` (``.ci/run`` installs it) and the ``viz`` extra; it
starts the app's server, loads the page, checks the controls, switches the regime to a side-by-side
comparison, steps, checks that the map and the charts change and that both regimes step together,
and saves a screenshot (``MANDOSIM_APP_SCREENSHOT`` names where; the README's is docs/figures/app.png).
Its speed is measured by ``mandosim bench --only app``, not asserted here.
"""

from __future__ import annotations

import io
import os
import re
import signal
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from mandosim.experiments import app_driver
from mandosim.experiments.app import AREAS, AppModel, app_scenario, draw_charts, draw_map, rates_per_100k, summary_text
from mandosim.experiments.cli import main
from mandosim.model.metrics import ZONE_METRICS
from tests.conftest import alive, descendants


# --- without a browser ------------------------------------------------------------------------------
def test_side_by_side_shares_the_seed_and_differs_by_regime():
    app = AppModel(regime="fragmented", compare="unified", seed=4)
    assert [side.label.split()[0] for side in app.sides] == ["fragmented", "unified"]
    left, right = (side.model for side in app.sides)
    assert left.seed_value == right.seed_value == 4 and left.day == right.day == 0
    for _ in range(30):
        app.step()
    assert left.day == right.day == 30
    assert right.regime.name == "unified" and left.regime.name == "fragmented"
    days, homicides = left.recorder.days_recorded, ZONE_METRICS.index("homicides")
    # the regime changes the outcome: homicides per zone and day (their totals may coincide by chance)
    assert not np.array_equal(left.recorder.zone[:days, :, homicides], right.recorder.zone[:days, :, homicides])
    same = AppModel(regime="fragmented", seed=4)
    for _ in range(30):
        same.step()
    assert same.totals("homicides")[0] == app.totals("homicides")[0]  # the left side is the plain run
    assert "difference" in summary_text(app)


def test_controls_set_the_scenario():
    loaded = app_scenario("baseline", "unified", "Tijuana + Rosarito + Tecate", vetting=0.02, force=1.5)
    scenario = loaded.scenario
    assert scenario.command.regime == "unified" and tuple(scenario.command.area) == AREAS["Tijuana + Rosarito + Tecate"]
    assert any(e.type == "vetting" and e.rate == 0.02 for e in scenario.events)
    base = app_scenario("baseline", "fragmented", "Tijuana + Rosarito + Tecate", vetting=0.0, force=1.0).scenario
    assert scenario.agencies["sedena"].officers["tijuana"] == pytest.approx(1.5 * base.agencies["sedena"].officers["tijuana"])
    assert base.command.area == [] and not any(e.type == "vetting" for e in base.events)
    with pytest.raises(ValueError, match="regime"):
        app_scenario("baseline", "martial", "the whole region", 0.0, 1.0)


def png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=50)
    return buffer.getvalue()


def test_map_and_charts_change_as_the_model_steps():
    app = AppModel(compare="unified", seed=2)
    before = png(draw_map(app)), png(draw_charts(app))
    for _ in range(20):
        app.step()
    after = png(draw_map(app)), png(draw_charts(app))
    assert before[0] != after[0] and before[1] != after[1]
    assert np.any(app.sides[0].heat > 0)


def test_chart_rates_are_annual_per_100k_over_the_last_month():
    app = AppModel(seed=3)
    for _ in range(45):
        app.step()
    days, rates = rates_per_100k(app, 0, "homicides")
    assert days[0] == 30 and days[-1] == 45 and rates.shape == (16, len(app.region.zone_names))
    last_month = app.zone_series(0, "homicides")[-30:].sum(axis=0)
    expected = last_month * 365 / 30 / app.region.zone_population() * 1e5
    assert np.allclose(rates[-1], expected)


def test_app_command_without_the_viz_extra_or_with_a_bad_scenario_fails_cleanly(capsys, monkeypatch):
    assert main(["app", "no_such_scenario"]) == 2
    assert "no_such_scenario" in capsys.readouterr().err
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "solara" else real(name, *a))
    assert main(["app"]) == 2
    assert "mandosim[viz]" in capsys.readouterr().err


# --- in the browser ---------------------------------------------------------------------------------
def stop_app(process, sig: int) -> set[int]:
    """Send ``sig`` to ``mandosim app``; returns the processes it had started that are still alive 15 s later."""
    started = descendants(process.pid)
    assert started, "the app started no server process"
    process.send_signal(sig)
    process.wait(timeout=30)
    deadline = time.time() + 15
    while alive(started) and time.time() < deadline:
        time.sleep(0.2)
    left = alive(started)
    for pid in left:  # leave nothing behind even when the test fails
        os.kill(pid, signal.SIGKILL)
    return left


@pytest.fixture(scope="module")
def server():
    pytest.importorskip("solara", reason="the app needs the viz extra")
    process, url = app_driver.start_app(app_driver.free_port())
    yield url
    assert not stop_app(process, signal.SIGTERM), "the app's server outlived the test"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "killed"])
def test_no_server_process_outlives_the_app(sig):
    pytest.importorskip("solara", reason="the app needs the viz extra")
    if sig == signal.SIGKILL and not sys.platform.startswith("linux"):
        pytest.skip("a server outliving a killed parent is prevented on Linux only")
    process, _ = app_driver.start_app(app_driver.free_port())
    assert not stop_app(process, sig)


def image(page, css: str) -> bytes:
    return page.locator(f"{css} img").first.screenshot()


def test_browser_controls_switch_regime_step_together(server, tmp_path):
    pytest.importorskip("playwright.sync_api", reason="the browser test needs playwright")
    if not app_driver.CHROMIUM.exists():
        pytest.skip(f"no Chromium at {app_driver.CHROMIUM} (Debian: apt-get install chromium; .ci/run installs it)")
    shot = Path(os.environ.get("MANDOSIM_APP_SCREENSHOT", tmp_path / "app.png"))
    with app_driver.browser_page(server) as page:
        assert app_driver.day_shown(page) == 0
        sidebar = page.locator(".v-navigation-drawer").inner_text()
        assert "Vetting: 0.000 per day" in sidebar and "Force level: 1.0 × officers" in sidebar and "Seed: 1" in sidebar
        assert "Unified command area" not in sidebar, "the area shows under a fragmented regime"
        for internal in ("Play Interval", "Render Interval", "Use Threads", "PAGE 0"):
            assert internal.lower() not in page.content().lower(), internal

        # unified over the valley and San Luis, side by side with fragmented
        app_driver.choose(page, "Command regime", "unified")
        assert "Unified command area" in page.locator(".v-navigation-drawer").inner_text()
        app_driver.reset_to(page, "unified", "fragmented")
        page.wait_for_selector("text=unified over", timeout=60_000)
        map_before, charts_before = image(page, ".mandosim-map"), image(page, ".mandosim-charts")
        for k in range(1, 5):  # each Step advances 5 days, on both sides
            page.get_by_role("button", name="Step").click()
            page.wait_for_function(app_driver.DAY_AT_LEAST, arg=5 * k, timeout=60_000)
        status = page.locator(".mandosim-status").inner_text()
        assert status.count("day 20") == 2, status
        page.wait_for_timeout(500)
        assert image(page, ".mandosim-map") != map_before
        assert image(page, ".mandosim-charts") != charts_before
        app_driver.press_play(page)  # side by side, playing on, then stepping to day 90 for the screenshot
        page.wait_for_function(app_driver.DAY_AT_LEAST, arg=50, timeout=180_000)
        app_driver.press_pause(page)
        page.wait_for_timeout(1000)
        day = app_driver.day_shown(page)
        assert day <= 90 and day % 5 == 0, day
        for target in range(day + 5, 91, 5):
            page.get_by_role("button", name="Step").click()
            page.wait_for_function(app_driver.DAY_AT_LEAST, arg=target, timeout=60_000)
        page.wait_for_timeout(1000)
        days = [int(d) for d in re.findall(r"day (\d+)", page.locator(".mandosim-status").inner_text())]
        assert days == [90, 90], days  # both regimes stepped together
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot), full_page=True)
        assert not page.problems, page.problems
    assert shot.stat().st_size > 10_000
