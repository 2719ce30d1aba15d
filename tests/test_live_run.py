"""`foureyes run` on a live HTTP stream served from localhost, stopped with Ctrl-C."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from foureyes.demo import generate
from foureyes.demo.stream import PacedStream, to_mpegts

pytestmark = pytest.mark.slow


@pytest.fixture
def live_url(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    clip = generate(tmp_path / "clip", style="classic", seconds=8, seed=7)
    ts = to_mpegts(clip.video, tmp_path / "live.ts")
    # four times real time keeps the test short
    with PacedStream.of_file(ts, seconds=2) as server:
        yield server.url, clip.config


@pytest.mark.timeout(300)
def test_live_stream_until_ctrl_c(live_url: tuple[str, Path], tmp_path: Path) -> None:
    """Readings flow from a live stream; Ctrl-C ends the run cleanly with a summary."""
    # given a live MPEG-TS feed on localhost and the clip's config
    url, config = live_url
    out = tmp_path / "out"
    # when FourEyes reads it until it has some readings, then gets Ctrl-C
    proc = subprocess.Popen(
        [sys.executable, "-m", "foureyes", "run", str(config), "--source", url, "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    readings = out / "readings.jsonl"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        if readings.exists() and len(readings.read_text().splitlines()) >= 40:
            break
        time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    # then it stops cleanly and its outputs are whole
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr
    lines = [json.loads(x) for x in readings.read_text().splitlines()]
    assert len(lines) >= 40
    assert [r["ts"] for r in lines] == sorted(r["ts"] for r in lines)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["interrupted"] is True
    assert summary["source"] == url
    assert sum(1 for r in lines if r["status"] == "ok") >= 20


@pytest.mark.timeout(300)
def test_live_stream_that_drops_mid_run(tmp_path: Path) -> None:
    """Given a run on a live stream, when the stream goes down for two seconds and comes
    back, then the run reconnects by itself, readings go on after the drop with time
    still moving forward, and the summary counts the reconnect."""
    clip = generate(tmp_path / "clip", style="classic", seconds=8, seed=7)
    ts = to_mpegts(clip.video, tmp_path / "live.ts")
    out = tmp_path / "out"
    readings = out / "readings.jsonl"

    def count() -> int:
        return len(readings.read_text().splitlines()) if readings.exists() else 0

    with PacedStream.of_file(ts, seconds=8) as server:
        config = tmp_path / "meters.yaml"
        config.write_text(
            clip.config.read_text().replace("uri: demo.mp4", f"uri: '{server.url}'")
            + "\n# a short no-frame timeout so the drop is noticed quickly\n"
        )
        data = config.read_text().replace("fps: 2", "fps: 2, no_frame_timeout: 1")
        config.write_text(data)
        proc = subprocess.Popen(
            [sys.executable, "-m", "foureyes", "run", str(config), "--out", str(out)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 120
        while count() < 20 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
        server.down()
        time.sleep(2)
        before = count()
        server.back()
        while count() < before + 40 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    lines = [json.loads(x) for x in readings.read_text().splitlines()]
    assert len(lines) >= before + 40
    stamps = [r["ts"] for r in lines]
    assert stamps == sorted(stamps)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["source_health"]["reconnects"] >= 1
