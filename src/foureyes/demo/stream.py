"""Serve a video as a live stream on localhost, with faults on demand.

Live sources are only worth what they survive, and a real encoder cannot be crashed on
cue in a test. :class:`PacedStream` is a real HTTP MPEG-TS server (what many IP cameras
and ``ffmpeg -f mpegts`` over HTTP give) that loops a clip at its own pace and can be
taken down (every client is hung up on, new ones are refused) and brought back. Tests,
the soak benchmark and anyone trying FourEyes on a "live" source use it.
"""

from __future__ import annotations

import http.server
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import av

__all__ = ["PacedStream", "to_mpegts"]


def to_mpegts(video: Path, out: Path) -> Path:
    """Remux ``video`` (e.g. the demo's H.264 MP4) into MPEG-TS without re-encoding."""
    with av.open(str(video)) as src, av.open(str(out), "w", format="mpegts") as dst:
        stream = src.streams.video[0]
        target = dst.add_stream_from_template(stream)
        for packet in src.demux(stream):
            if packet.dts is None:
                continue
            packet.stream = target
            dst.mux(packet)
    return out


class PacedStream(http.server.ThreadingHTTPServer):
    """Loops ``data`` (an MPEG-TS file lasting ``seconds``) to every client in real time
    while ``up`` is set. Use as a context manager; ``url`` is where it serves."""

    daemon_threads = True

    def __init__(self, data: bytes, seconds: float, *, chunks_per_loop: int = 30) -> None:
        super().__init__(("127.0.0.1", 0), _PacedHandler)
        self.data = data
        self.seconds = seconds
        self.chunks = chunks_per_loop
        self.up = threading.Event()
        self.up.set()
        self._thread: threading.Thread | None = None

    @classmethod
    def of_file(cls, path: Path, seconds: float) -> PacedStream:
        return cls(path.read_bytes(), seconds)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/live.ts"

    def start(self) -> PacedStream:
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        return self

    def down(self) -> None:
        """Hang up on every client and refuse new ones, as a crashed encoder does."""
        self.up.clear()

    def back(self) -> None:
        self.up.set()

    def stop(self) -> None:
        self.up.clear()
        self.shutdown()
        self.server_close()

    def __enter__(self) -> PacedStream:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class _PacedHandler(http.server.BaseHTTPRequestHandler):
    server: PacedStream

    def do_GET(self) -> None:
        server = self.server
        if not server.up.is_set():
            self.close_connection = True
            return  # no response at all: the client sees the connection close
        self.send_response(200)
        self.send_header("Content-Type", "video/mp2t")
        self.send_header("Connection", "close")
        self.end_headers()
        size = -(-len(server.data) // server.chunks)
        pause = server.seconds / server.chunks
        start = time.monotonic()
        sent = 0
        try:
            while server.up.is_set():
                for k in range(server.chunks):
                    if not server.up.is_set():
                        return
                    self.wfile.write(server.data[k * size : (k + 1) * size])
                    self.wfile.flush()
                    sent += 1
                    time.sleep(max(0.0, start + sent * pause - time.monotonic()))
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, format: str, *args: Any) -> None:
        pass
