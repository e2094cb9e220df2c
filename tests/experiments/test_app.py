"""The app: its model and drawings, and a browser test in headless Chromium driven by Playwright.

The browser test needs Debian's ``chromium`` (``.ci/run`` installs it) and the ``viz`` extra; it
starts the app's server, loads the page, switches the regime to a side-by-side comparison, steps,
checks that the map and the charts change, measures model days per second while playing, and saves
a screenshot (``MANDOSIM_APP_SCREENSHOT`` names where; the README's is docs/figures/app.png).
"""

from __future__ import annotations

import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from experiments.app import AREAS, AppModel, app_scenario, draw_charts, draw_map, summary_text
from experiments.cli import main
from model.metrics import ZONE_METRICS
from tests.conftest import alive, descendants

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("MANDOSIM_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MIN_DAYS_PER_SECOND = 5.0  # the floor for stepping the default scenario in the browser
PLAY_SECONDS = 6.0
DAY_AT_LEAST = "n => Number(/day (\\d+)/.exec(document.querySelector('.mandosim-status').innerText)[1]) >= n"


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


def test_app_command_without_the_viz_extra_or_with_a_bad_scenario_fails_cleanly(capsys, monkeypatch):
    assert main(["app", "no_such_scenario"]) == 2
    assert "no_such_scenario" in capsys.readouterr().err
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "solara" else real(name, *a))
    assert main(["app"]) == 2
    assert "mandosim[viz]" in capsys.readouterr().err


# --- in the browser ---------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(port: int) -> tuple[subprocess.Popen, str]:
    """``mandosim app`` on ``port``, once it answers; returns the process and the page's URL."""
    env = {**os.environ, "MANDOSIM_APP_SCENARIO": "baseline"}
    command = [sys.executable, "-m", "experiments.cli", "app", "--port", str(port)]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.5)
        if process.poll() is not None:
            pytest.fail(f"the app's server stopped: {process.stdout.read()}")
    process.kill()
    pytest.fail("the app's server did not answer within 120 s")


def stop_app(process: subprocess.Popen, sig: int) -> set[int]:
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
    process, url = start_app(free_port())
    yield url
    assert not stop_app(process, signal.SIGTERM), "the app's server outlived the test"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "killed"])
def test_no_server_process_outlives_the_app(sig):
    pytest.importorskip("solara", reason="the app needs the viz extra")
    if sig == signal.SIGKILL and not sys.platform.startswith("linux"):
        pytest.skip("a server outliving a killed parent is prevented on Linux only")
    process, _ = start_app(free_port())
    assert not stop_app(process, sig)


def choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the select labelled ``label`` (a Vuetify v-select) and check it shows."""
    select = page.locator(".v-select", has_text=label).first
    for _ in range(3):
        select.click()
        item = page.locator(".menuable__content__active .v-list-item", has_text=re.compile(rf"^\s*{re.escape(option)}\s*$")).first
        item.wait_for(state="visible", timeout=10_000)
        item.click()
        page.keyboard.press("Escape")
        page.wait_for_timeout(300)
        if select.locator(".v-select__selection").inner_text().strip() == option:
            return
    pytest.fail(f"could not choose {option!r} in {label!r}")


def play(page) -> None:
    """Press play and wait until the app plays (the button turns to pause); press again if a click was lost."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _ in range(3):
        page.get_by_role("button", name="▶").click()
        try:
            page.get_by_role("button", name="❚❚").wait_for(state="visible", timeout=5_000)
            return
        except PlaywrightTimeout:  # the widget was not connected yet: click again
            page.wait_for_timeout(1_000)
    pytest.fail("the app did not start playing")


def day_shown(page) -> int:
    text = page.locator(".mandosim-status").inner_text()
    return int(re.search(r"day (\d+)", text).group(1))


def image(page, css: str) -> bytes:
    return page.locator(f"{css} img").first.screenshot()


def test_browser_switch_regime_step_and_keep_up(server, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="the browser test needs playwright")
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium; .ci/run installs it)")
    shot = Path(os.environ.get("MANDOSIM_APP_SCREENSHOT", tmp_path / "app.png"))
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1150})
            page.goto(server, wait_until="domcontentloaded")
            page.wait_for_selector(".mandosim-map img", timeout=90_000)
            assert day_shown(page) == 0

            # the default scenario keeps up: once it plays, count the days shown over a few seconds
            play(page)
            start_day, started = day_shown(page), time.perf_counter()
            time.sleep(PLAY_SECONDS)
            end_day, elapsed = day_shown(page), time.perf_counter() - started
            page.get_by_role("button", name="❚❚").click()
            days_per_second = (end_day - start_day) / elapsed
            print(f"days per second in the browser: {days_per_second:.1f}")
            assert days_per_second >= MIN_DAYS_PER_SECOND

            # switch the regime: unified over the valley and San Luis, side by side with fragmented
            choose(page, "Command regime", "unified")
            choose(page, "Side by side with", "fragmented")
            page.get_by_role("button", name="Reset").click()
            page.wait_for_selector("text=unified over", timeout=60_000)
            page.wait_for_selector(".mandosim-status >> text=difference", timeout=60_000)
            assert day_shown(page) == 0
            map_before, charts_before = image(page, ".mandosim-map"), image(page, ".mandosim-charts")
            for k in range(1, 5):  # each Step advances 5 days
                page.get_by_role("button", name="Step").click()
                page.wait_for_function(DAY_AT_LEAST, arg=5 * k, timeout=60_000)
            assert day_shown(page) == 20
            page.wait_for_timeout(500)
            assert image(page, ".mandosim-map") != map_before
            assert image(page, ".mandosim-charts") != charts_before
            play(page)  # side by side, playing on for the screenshot
            page.wait_for_function(DAY_AT_LEAST, arg=90, timeout=120_000)
            page.get_by_role("button", name="❚❚").click()
            page.wait_for_timeout(1000)
            shot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert shot.stat().st_size > 10_000
