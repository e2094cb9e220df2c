"""Driving the app in headless Chromium (Playwright): the app's benchmark and its browser test share this.

Needs the ``dev`` extra (playwright) and a Chromium: Debian's ``chromium`` by default, or the one
``MANDOSIM_CHROMIUM`` names. Nothing here downloads a browser.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = Path(os.environ.get("MANDOSIM_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
VIEWPORT = {"width": 1500, "height": 1150}
SERVER_START_SECONDS = 120
PAGE_READY_MS = 90_000
DAY_AT_LEAST = "n => Number(/day (\\d+)/.exec(document.querySelector('.mandosim-status').innerText)[1]) >= n"


class DriverError(RuntimeError):
    """The app or the browser could not be driven (no Chromium, the server did not answer, a click was lost)."""


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(port: int, scenario: str = "baseline") -> tuple[subprocess.Popen, str]:
    """``mandosim app`` on ``port``, once it answers; returns the process and the page's URL."""
    command = [sys.executable, "-m", "mandosim.experiments.cli", "app", scenario, "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + SERVER_START_SECONDS
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.5)
        if process.poll() is not None:
            said = process.stdout.read() if process.stdout else ""
            stop_app(process)
            raise DriverError(f"the app's server stopped: {said}")
    stop_app(process, signal.SIGKILL)
    raise DriverError(f"the app's server did not answer within {SERVER_START_SECONDS} s")


def stop_app(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    """Stop ``mandosim app`` with ``sig`` (it stops its server's process group itself)."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout:
        process.stdout.close()


@contextmanager
def browser_page(url: str) -> Iterator[Any]:
    """A headless Chromium page on ``url`` once the map shows; console errors and failed requests are in ``page.problems``."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise DriverError("driving the app needs playwright: pip install 'mandosim[dev]'") from None
    if not CHROMIUM.exists():
        raise DriverError(f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium; or set MANDOSIM_CHROMIUM)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_FLAGS), headless=True)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.problems = []
            page.on("console", lambda m: page.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
            page.on("response", lambda r: page.problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
            page.goto(url, wait_until="domcontentloaded")
            page.wait_for_selector(".mandosim-map img", timeout=PAGE_READY_MS)
            yield page
        finally:
            browser.close()


def choose(page: Any, label: str, option: str) -> None:
    """Pick ``option`` in the select labelled ``label`` (a Vuetify v-select) and check that it shows."""
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
    raise DriverError(f"could not choose {option!r} in {label!r}")


def day_shown(page: Any) -> int:
    """The day the status line shows."""
    text = page.locator(".mandosim-status").inner_text()
    return int(re.search(r"day (\d+)", text).group(1))


def press_play(page: Any) -> None:
    """Press ▶ and wait until the app plays (the button turns to ❚❚); press again if a click was lost."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _ in range(3):
        page.get_by_role("button", name="▶").click()
        try:
            page.get_by_role("button", name="❚❚").wait_for(state="visible", timeout=5_000)
            return
        except PlaywrightTimeout:  # the widget was not connected yet: click again
            page.wait_for_timeout(1_000)
    raise DriverError("the app did not start playing")


def press_pause(page: Any) -> None:
    """Press ❚❚ and wait for ▶."""
    page.get_by_role("button", name="❚❚").click()
    page.get_by_role("button", name="▶").wait_for(state="visible", timeout=30_000)


def reset_to(page: Any, regime: str, compare: str = "none") -> None:
    """Choose ``regime`` (side by side with ``compare``), press Reset and wait for day 0 of the new model."""
    choose(page, "Command regime", regime)
    choose(page, "Side by side with", compare)
    page.get_by_role("button", name="Reset").click()
    if compare not in ("none", regime):
        page.wait_for_selector(".mandosim-status >> text=difference", timeout=60_000)
    page.wait_for_function("() => /day 0\\b/.test(document.querySelector('.mandosim-status').innerText)", timeout=60_000)


def days_per_second(page: Any, seconds: float) -> float:
    """Model days the page shows per wall-clock second while playing for about ``seconds``."""
    press_play(page)
    start_day, started = day_shown(page), time.perf_counter()
    time.sleep(seconds)
    end_day, elapsed = day_shown(page), time.perf_counter() - started
    press_pause(page)
    return (end_day - start_day) / elapsed


def app_speed(seconds: float = 8.0) -> dict[str, float]:
    """Model days per second the app shows in headless Chromium: one regime, and two side by side.

    Raises:
        DriverError: No playwright or Chromium, or the app could not be driven.
    """
    process, url = start_app(free_port())
    try:
        with browser_page(url) as page:
            single = days_per_second(page, seconds)
            reset_to(page, "unified", "fragmented")
            side_by_side = days_per_second(page, seconds)
            return {"single_days_per_s": single, "side_by_side_days_per_s": side_by_side, "seconds": seconds}
    finally:
        stop_app(process)
