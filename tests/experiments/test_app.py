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
import subprocess
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
    if process.stdout:
        process.stdout.close()
    deadline = time.time() + 15
    while alive(started) and time.time() < deadline:
        time.sleep(0.2)
    left = alive(started)
    for pid in left:  # leave nothing behind even when the test fails
        os.kill(pid, signal.SIGKILL)
    return left


@pytest.fixture(scope="module")
def app_server():
    """``mandosim app`` on a free port: its process and URL (stopped after the module's tests)."""
    pytest.importorskip("solara", reason="the app needs the viz extra")
    process, url = app_driver.start_app(app_driver.free_port())
    yield process, url
    assert not stop_app(process, signal.SIGTERM), "the app's server outlived the test"


@pytest.fixture(scope="module")
def server(app_server):
    return app_server[1]


def needs_browser() -> None:
    pytest.importorskip("playwright.sync_api", reason="the browser test needs playwright")
    if not app_driver.CHROMIUM.exists():
        pytest.skip(f"no Chromium at {app_driver.CHROMIUM} (Debian: apt-get install chromium; .ci/run installs it)")


def busy_share(pid: int, seconds: float) -> float:
    """CPU seconds per second that ``pid``'s descendants (the app's server) use over ``seconds``."""
    import psutil

    def used() -> float:
        total = 0.0
        for child in descendants(pid):
            try:
                times = psutil.Process(child).cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        return total

    before = used()
    time.sleep(seconds)
    return (used() - before) / seconds


def sessions(url: str) -> int:
    """Sessions (Solara's virtual kernels) the server holds, from its /resourcez page."""
    import json
    import urllib.request

    with urllib.request.urlopen(url + "resourcez", timeout=10) as response:
        return int(json.loads(response.read())["kernels"]["total"])


def test_a_closed_tab_stops_simulating_and_its_session_is_freed(app_server):
    """Nobody watching, nothing simulated: playing stops when the tab closes, the session goes within seconds."""
    from mandosim.experiments.app import SESSION_CULL_SECONDS

    needs_browser()
    process, url = app_server
    with app_driver.browser_page(url) as page:
        app_driver.press_play(page)
        page.wait_for_function(app_driver.DAY_AT_LEAST, arg=20, timeout=120_000)
        playing = busy_share(process.pid, 3.0)
        assert sessions(url) >= 1
        page.close()  # the tab, not the browser
        deadline = time.time() + SESSION_CULL_SECONDS + 20
        while sessions(url) and time.time() < deadline:
            time.sleep(0.5)
        assert sessions(url) == 0, "the closed tab's session (and its model) is still held"
        idle = busy_share(process.pid, 3.0)
    assert playing > 0.3, f"the app was not simulating while watched ({playing:.2f} CPU)"
    assert idle < 0.1, f"the app still works for a closed tab ({idle:.2f} CPU)"


BLOCK_NETWORK = r"""
import socket, os
_log = os.environ["MANDOSIM_NETWORK_LOG"]
_connect, _getaddrinfo = socket.socket.connect, socket.getaddrinfo
def _local(host):
    return str(host) in ("127.0.0.1", "localhost", "::1", "0.0.0.0") or str(host).startswith("/")
def connect(self, address):
    host = address[0] if isinstance(address, tuple) else address
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _local(host):
        with open(_log, "a") as f:
            f.write(f"connect {address}\n")
        raise OSError("network blocked by the test")
    return _connect(self, address)
def getaddrinfo(host, *args, **kwargs):
    if host is not None and not _local(host):
        with open(_log, "a") as f:
            f.write(f"lookup {host}\n")
        raise socket.gaierror("network blocked by the test")
    return _getaddrinfo(host, *args, **kwargs)
socket.socket.connect, socket.getaddrinfo = connect, getaddrinfo
"""


def test_the_app_starts_and_serves_with_the_network_blocked(tmp_path, monkeypatch):
    """No update check, no telemetry: every process the app starts asks nothing of the network."""
    needs_browser()
    (tmp_path / "sitecustomize.py").write_text(BLOCK_NETWORK)
    log = tmp_path / "network.log"
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(tmp_path), *filter(None, [os.environ.get("PYTHONPATH")])]))
    monkeypatch.setenv("MANDOSIM_NETWORK_LOG", str(log))
    probe = "import urllib.request\ntry:\n    urllib.request.urlopen('https://pypi.org/', timeout=2)\nexcept OSError:\n    pass\n"
    subprocess.run([sys.executable, "-c", probe], check=True, timeout=60)
    assert log.read_text().startswith("lookup pypi.org"), "the network block is not in force"  # it would catch a call
    log.unlink()
    process, url = app_driver.start_app(app_driver.free_port())
    try:
        with app_driver.browser_page(url) as page:
            page.get_by_role("button", name="Step").click()
            page.wait_for_function(app_driver.DAY_AT_LEAST, arg=5, timeout=60_000)
            assert not page.problems, page.problems
    finally:
        assert not stop_app(process, signal.SIGTERM)
    assert not log.exists(), log.read_text()


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
    needs_browser()
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
