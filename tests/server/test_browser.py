"""The dashboard in a real browser: headless Debian Chromium, driven by Selenium, watches
``foureyes run --serve`` read a generated clip streamed live, in real time."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from foureyes.demo import generate
from foureyes.demo.stream import PacedStream, to_mpegts

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
# Without the networking flags, Chromium keeps trying Google's hosts on a closed network.
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,900",
]


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.fail("needs Debian's chromium and chromium-driver; `make test` installs them")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*FLAGS, f"--user-data-dir={tmp_path / 'chromium'}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.timeout(400)
def test_the_dashboard_shows_values_and_events_as_they_happen(
    tmp_path: Path, browser: object
) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.support.ui import WebDriverWait

    driver: WebDriver = browser  # type: ignore[assignment]
    # given a 30 s clip (a threshold at 9 s, a reset at 19 s, and every meter drops back
    # when the loop starts over) served as a live stream in real time
    clip = generate(tmp_path / "clip", style="classic", seconds=30, seed=5)
    ts = to_mpegts(clip.video, tmp_path / "live.ts")
    # and a rule that alerts on every reset of mini
    config = clip.config.with_name("alerting.yaml")
    config.write_text(
        clip.config.read_text() + "alerts:\n  rules: [{type: reset, meter: mini, name: mini-pop}]\n"
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with PacedStream.of_file(ts, seconds=30) as stream:
        # when FourEyes reads it with --serve and the dashboard is opened
        proc = subprocess.Popen(
            [sys.executable, "-m", "foureyes", "run", str(config), "--source", stream.url,
             "--out", str(tmp_path / "out"), "--serve", f"127.0.0.1:{port}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.3)
            assert proc.poll() is None, proc.communicate()[1]
            driver.get(base + "/")
            # The page redraws a card or the feed as data comes: an element found a moment
            # ago may be gone, so every look is retried until it holds.
            stale = [StaleElementReferenceException]
            wait = WebDriverWait(driver, 120, poll_frequency=0.25, ignored_exceptions=stale)

            def values() -> dict[str, str]:
                cards = driver.find_elements(By.CSS_SELECTOR, ".card")
                return {
                    str(c.get_attribute("data-meter")): c.find_element(By.CLASS_NAME, "value").text
                    for c in cards
                }

            def meter_events() -> dict[str, object]:
                rows = driver.find_elements(By.CSS_SELECTOR, "li.event")
                return {
                    str(e.get_attribute("data-id")): e
                    for e in rows
                    if e.get_attribute("data-type") in ("reset", "threshold")
                }

            # then a card per meter shows a value
            wait.until(lambda _: len(values()) == 4 and all(v != "—" for v in values().values()))
            first = wait.until(lambda _: values())
            assert list(first) == list(clip.meters)
            # and the values change while the page stays loaded (no reload: a marker stays)
            driver.execute_script("window.__marker = 1")
            wait.until(lambda _: values() != first)
            assert driver.execute_script("return window.__marker") == 1
            assert driver.find_element(By.ID, "conn").text == "live"
            # and a meter's event appears that was not on the page when we started watching
            before = set(meter_events())
            wait.until(lambda _: set(meter_events()) - before)
            new_id = min(wait.until(lambda _: set(meter_events()) - before))
            row = f'li.event[data-id="{new_id}"]'
            kind = wait.until(lambda _: driver.find_element(By.CSS_SELECTOR, row)).get_attribute(
                "data-type"
            )
            # and the reset alert shows once mini has reset (19 s into the clip)
            wait.until(lambda _: "mini reset" in driver.find_element(By.ID, "alerts").text)
            # and health shows the reader that serves the meters, with its latency
            reader_row = driver.find_element(By.CSS_SELECTOR, "#health-readers tr[data-reader]")
            assert reader_row.get_attribute("data-reader") == "default"
            driver.save_screenshot(str(tmp_path / "dashboard.png"))
            # when the event is clicked, its evidence shows: the crop and the raw text
            wait.until(lambda _: driver.find_element(By.CSS_SELECTOR, row).click() or True)
            dialog = driver.find_element(By.ID, "evidence")
            wait.until(lambda _: dialog.get_attribute("open") is not None)
            title = driver.find_element(By.ID, "evidence-title").text
            assert str(kind).upper() in title
            # (the readings around an event may be committed a little after it)
            wait.until(lambda _: driver.find_elements(By.CSS_SELECTOR, "#evidence-readings td.raw"))
            cells = driver.find_elements(By.CSS_SELECTOR, "#evidence-readings td.raw")
            assert all(td.text for td in cells)
            wait.until(
                lambda _: driver.execute_script(
                    "const i = document.getElementById('evidence-img');"
                    "return !i.hidden && i.complete && i.naturalWidth > 0"
                )
            )
            driver.save_screenshot(str(tmp_path / "evidence.png"))
            severe = [m for m in driver.get_log("browser") if m["level"] == "SEVERE"]
            assert severe == []
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 0
    for shot in ("dashboard.png", "evidence.png"):
        assert (tmp_path / shot).read_bytes().startswith(b"\x89PNG")
    keep = os.environ.get("FOUREYES_SCREENSHOTS")  # where `make screenshots` wants them
    if keep:
        for shot in ("dashboard.png", "evidence.png"):
            shutil.copy(tmp_path / shot, Path(keep) / shot)
