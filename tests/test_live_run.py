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
