"""`foureyes run` on a live HTTP stream served from localhost, stopped with Ctrl-C."""

from __future__ import annotations

import http.server
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import pytest

from foureyes.demo import generate

pytestmark = pytest.mark.slow


def to_mpegts(src: Path, dst: Path) -> None:
    """Remux the demo's H.264 into MPEG-TS, the container of HTTP live feeds."""
    with av.open(str(src)) as inp, av.open(str(dst), "w", format="mpegts") as out:
        stream = out.add_stream_from_template(inp.streams.video[0])
        for packet in inp.demux(inp.streams.video[0]):
            if packet.dts is None:
                continue
            packet.stream = stream
            out.mux(packet)


class _Loop(http.server.ThreadingHTTPServer):
    """Serves one TS file over and over, paced roughly in real time, like a live feed."""

    daemon_threads = True

    def __init__(self, data: bytes, seconds: float) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.data = data
        self.seconds = seconds
        self.stop = threading.Event()


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Loop

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "video/mp2t")
        self.end_headers()
        data, step = self.server.data, 188 * 64
        pause = self.server.seconds / (len(data) / step)
        try:
            while not self.server.stop.is_set():
                for i in range(0, len(data), step):
                    if self.server.stop.is_set():
                        return
                    self.wfile.write(data[i : i + step])
                    time.sleep(pause / 4)  # four times real time keeps the test short
        except (BrokenPipeError, ConnectionResetError):
            return

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def live_url(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    clip = generate(tmp_path / "clip", style="classic", seconds=8, seed=7)
    ts = tmp_path / "live.ts"
    to_mpegts(clip.video, ts)
    server = _Loop(ts.read_bytes(), seconds=8)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/live.ts", clip.config
    server.stop.set()
    server.shutdown()
    server.server_close()


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
