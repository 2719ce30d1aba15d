"""Live streams: start-up limits, secrets kept out of errors, and reconnection for real.

The reconnect tests run a small HTTP server on 127.0.0.1 that streams an MPEG-TS file
and misbehaves once (drops or stalls the connection mid-stream), then serves normally.
"""

from __future__ import annotations

import http.server
import itertools
import random
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from foureyes.errors import SourceConnectError, SourceEmpty
from foureyes.model import Frame
from foureyes.sources import Backoff, LiveSource, open_source


class _Ceiling(random.Random):
    """An rng whose uniform() returns its upper bound, to read the backoff ceilings."""

    def uniform(self, a: float, b: float) -> float:
        return b


def test_backoff_doubles_to_the_cap() -> None:
    """Ceilings go 0.5, 1, 2, … and stop at 30 s; the delay is drawn below the ceiling."""
    backoff = Backoff()
    ceilings = [backoff.delay(n, _Ceiling()) for n in range(9)]
    assert ceilings == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]
    assert backoff.delay(10_000, _Ceiling()) == 30.0
    rng = random.Random(7)
    assert all(0.0 <= backoff.delay(n, rng) <= c for n, c in enumerate(ceilings))


class _FakeTime:
    """A clock that only moves when the source waits, so retry loops run instantly."""

    def __init__(self) -> None:
        self.now = 100.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    def wait(self, seconds: float) -> bool:
        self.waits.append(seconds)
        self.now += seconds
        return False


def test_startup_gives_up_after_its_limit_with_backoff() -> None:
    """A URL that never answers is retried with growing delays, then fails at the limit."""
    fake = _FakeTime()
    attempts: list[dict[str, Any]] = []

    def refuse(url: str, **kwargs: Any) -> Any:
        attempts.append(kwargs)
        fake.now += 0.01
        raise ConnectionRefusedError(111, "Connection refused")

    source = LiveSource(
        "rtsp://admin:hunter2@camera.local/stream",
        startup_timeout=20,
        clock=fake.clock,
        wait=fake.wait,
        rng=_Ceiling(),
        opener=refuse,
    )
    with pytest.raises(SourceConnectError) as caught:
        source.open()
    message = str(caught.value)
    assert "hunter2" not in message and "admin" not in message
    assert "camera.local" in message and "Connection refused" in message
    assert "check the URL" in message
    assert fake.waits[:5] == [0.5, 1.0, 2.0, 4.0, 8.0]
    assert fake.now <= 100.0 + 20 + 0.1
    assert len(attempts) == source.errors == len(fake.waits)
    assert attempts[0]["options"] == {"rtsp_transport": "tcp"}


@pytest.mark.timeout(30)
def test_refused_url_fails_within_startup_timeout_without_the_password(free_port: int) -> None:
    """Nobody listening: SourceConnectError naming the URL without user or password."""
    url = f"http://user:secret@127.0.0.1:{free_port}/x"
    source = open_source(url, startup_timeout=2.0, rng=random.Random(1))
    assert isinstance(source, LiveSource)
    with pytest.raises(SourceConnectError) as caught:
        source.open()
    message = str(caught.value)
    assert "secret" not in message and "user" not in message
    assert f"127.0.0.1:{free_port}/x" in message
    assert "check the URL" in message
    assert "secret" not in caught.value.source


class _Stream(http.server.ThreadingHTTPServer):
    """Serves one MPEG-TS file as an endless-looking stream (no length, then close)."""

    daemon_threads = True

    def __init__(self, data: bytes, misbehave: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.data = data
        self.misbehave = misbehave  # "drop", "stall" or "restart", on the first request only
        self.requests = 0
        self.release = threading.Event()  # ends a stall

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/live.ts"


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Stream

    def do_GET(self) -> None:
        server = self.server
        server.requests += 1
        first = server.requests == 1
        self.send_response(200)
        self.send_header("Content-Type", "video/mp2t")
        self.send_header("Connection", "close")
        self.end_headers()
        data = server.data
        try:
            if first and server.misbehave == "restart":
                data = data + data  # the encoder restarted: its clock jumps back mid-connection
            elif first:
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                if server.misbehave == "stall":
                    server.release.wait(20)  # connection open, nothing more to say
                return
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client hung up first: normal when a test stops the source

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def stream_server(media: dict[str, Path]) -> Iterator[Callable[[str], _Stream]]:
    servers: list[_Stream] = []

    def start(misbehave: str) -> _Stream:
        server = _Stream(media["ts"].read_bytes(), misbehave)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.release.set()
        server.shutdown()
        server.server_close()


def _read_past_reconnect(source: LiveSource, stop: threading.Event, extra: int) -> list[Frame]:
    """Frames until ``extra`` more have arrived after the first reconnect, then stop."""
    frames: list[Frame] = []
    reconnected_at: int | None = None
    for frame in source.frames():  # ends only because stop is set
        frames.append(frame)
        if reconnected_at is None and source.reconnects >= 1:
            reconnected_at = len(frames)
        if reconnected_at is not None and len(frames) >= reconnected_at + extra:
            stop.set()
    return frames


@pytest.mark.timeout(60)
@pytest.mark.parametrize("misbehave", ["drop", "stall", "restart"])
def test_reconnects_and_keeps_time_and_count_running(
    stream_server: Callable[[str], _Stream], misbehave: str
) -> None:
    """After a drop, a stall or a clock reset, index counts on and ts keeps rising evenly."""
    server = stream_server(misbehave)
    stop = threading.Event()
    source = LiveSource(
        server.url,
        sample_fps=1000,  # every frame is a sample: the test sees the whole sequence
        startup_timeout=10,
        no_frame_timeout=1.0,
        rng=random.Random(3),
        stop=stop,
    )
    with source:
        info = source.open()
        assert (info.width, info.height, info.live) == (64, 48, True)
        assert info.uri == server.url
        frames = _read_past_reconnect(source, stop, extra=60)
    assert source.reconnects >= 1
    if misbehave == "stall":
        assert source.stalls >= 1
    assert [f.index for f in frames] == list(range(len(frames)))
    assert source.decoded == len(frames)
    ts = [f.ts for f in frames]
    assert ts[0] == 0.0
    # within a connection ts is the stream's own clock; across a reconnect it goes on one
    # frame interval (1/30 s here) after the last frame, so every step is one interval
    assert [round(b - a, 6) for a, b in itertools.pairwise(ts)] == [round(1 / 30, 6)] * (
        len(ts) - 1
    )
    assert len(frames) > 90 // 2 + 30


@pytest.mark.timeout(30)
def test_stop_ends_frames_cleanly_while_reconnecting(
    stream_server: Callable[[str], _Stream],
) -> None:
    """With the server gone, frames() keeps retrying until stop is set, then just ends."""
    server = stream_server("drop")
    stop = threading.Event()
    source = LiveSource(server.url, sample_fps=5, no_frame_timeout=1.0, stop=stop)
    source.open()
    server.shutdown()
    server.server_close()
    seen: list[Frame] = []
    timer = threading.Timer(1.5, stop.set)
    timer.start()
    try:
        seen.extend(source.frames())
    finally:
        timer.cancel()
        source.close()
        source.close()
    assert seen  # the frames that arrived before the drop
    assert source.errors >= 1


class _AudioOnly:
    """What av.open returns for a stream that carries sound but no picture."""

    streams = SimpleNamespace(video=[])
    closed = False

    def close(self) -> None:
        self.closed = True


def test_a_stream_without_video_is_empty_not_a_retry() -> None:
    """A URL that answers with audio only fails at once: retrying would not add a picture."""
    opened: list[_AudioOnly] = []

    def audio_only(url: str, **kwargs: Any) -> _AudioOnly:
        opened.append(_AudioOnly())
        return opened[-1]

    source = LiveSource("rtmp://u:p@radio.local/live", opener=audio_only, wait=lambda s: False)
    with pytest.raises(SourceEmpty, match="no video") as caught:
        source.open()
    assert "u:p" not in str(caught.value)
    assert len(opened) == 1 and opened[0].closed
