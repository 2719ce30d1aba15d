"""A live stream (RTSP, RTMP, HLS/HTTP, UDP, SRT, …) read through PyAV, with reconnection.

Live streams drop: cameras reboot, encoders restart, networks hiccup. Once a stream has
delivered its first frame, the source keeps reconnecting (exponential backoff with full
jitter) until it is stopped, and keeps ``Frame.index`` counting and ``Frame.ts``
increasing across the gaps, so a tracker downstream sees one continuous stream. Only the
start is bounded: a URL that never delivers a frame fails within ``startup_timeout``
instead of retrying forever behind a blank progress bar.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import av

from foureyes.errors import SourceConnectError, SourceEmpty, redact_url
from foureyes.model import Frame
from foureyes.sources.base import SourceBase, SourceInfo
from foureyes.sources.sampling import Sampler, check_sample_fps

__all__ = ["Backoff", "LiveSource"]

Opener = Callable[..., Any]  # av.open's signature: (url, *, options=..., timeout=...)

_FALLBACK_INTERVAL = 1.0 / 25  # frame spacing to assume before the stream says otherwise
_NO_VIDEO = "the stream has no video"


_REOPEN = 10.0  # seconds a reconnect may take to open and probe the stream


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with full jitter (delay drawn from 0 to base·2^attempt, capped).

    Full jitter spreads the reconnects of many sources watching one server that restarted,
    instead of having them knock in lock step.
    """

    base: float = 0.5
    cap: float = 30.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait before retry number ``attempt`` (0 for the first retry)."""
        ceiling = min(self.cap, self.base * 2.0 ** min(attempt, 62))
        return rng.uniform(0.0, ceiling)


class LiveSource(SourceBase):
    """Reads a stream URL, reconnecting on drops and stalls until ``stop`` is set.

    A read that blocks is bounded by PyAV's read timeout (``no_frame_timeout``), so a
    silent server costs at most that long before the source reconnects, and ``stop`` or
    :meth:`close` takes effect within that time too. ``reconnects``, ``stalls`` and
    ``errors`` count what happened, for health metrics.
    """

    def __init__(
        self,
        url: str,
        *,
        sample_fps: float = 2.0,
        startup_timeout: float = 30.0,
        no_frame_timeout: float = 10.0,
        options: Mapping[str, str] | None = None,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        stop: threading.Event | None = None,
        wait: Callable[[float], bool] | None = None,
        opener: Opener | None = None,
    ) -> None:
        if startup_timeout <= 0 or no_frame_timeout <= 0:
            raise ValueError("startup_timeout and no_frame_timeout must be positive")
        self.url = url
        self.uri = redact_url(url)
        self.sample_fps = check_sample_fps(sample_fps)
        self.startup_timeout = float(startup_timeout)
        self.no_frame_timeout = float(no_frame_timeout)
        self.options = dict(_default_options(url) | dict(options or {}))
        self.backoff = backoff or Backoff()
        self.reconnects = 0  # connections made after the first one
        self.stalls = 0  # connections given up because no frame came in no_frame_timeout
        self.errors = 0  # failed connection attempts, broken reads, undecodable packets
        self._clock = clock
        self._rng = rng or random.Random()
        self._stop = stop or threading.Event()
        self._closed = threading.Event()
        self._wait = wait or self._wait_for_stop
        self._opener: Opener = opener or av.open
        self._lock = threading.Lock()  # held while FFmpeg works on the container
        self._container: Any = None
        self._packets: Iterator[Any] | None = None
        self._pending: deque[Any] = deque()
        self._first: Any = None  # the frame open() waited for, handed to frames()
        self._last_frame_at = 0.0
        self._failures = 0  # consecutive connections that delivered no frame
        self._decoded = 0
        self._info: SourceInfo | None = None
        # Timestamps: ts = anchor_ts + (frame.time - anchor_time) within one segment.
        self._anchor: tuple[float, float] | None = None
        self._last_ts: float | None = None
        self._nominal_interval: float | None = None
        self._observed_interval: float | None = None

    # -- lifecycle ------------------------------------------------------------------------
    def open(self) -> SourceInfo:
        """Connect and wait for the first frame, retrying until ``startup_timeout``."""
        if self._closed.is_set():
            raise RuntimeError(f"source {self.uri} is closed; open a new one")
        if self._info is not None:
            return self._info
        deadline = self._clock() + self.startup_timeout
        last_error = "no frame arrived"
        attempt = 0
        while not self._halted():
            remaining = deadline - self._clock()
            if remaining <= 0:
                break
            error = self._connect(open_timeout=remaining)
            if error == _NO_VIDEO:
                raise SourceEmpty(
                    "the stream has no video; check the URL points at a video stream",
                    source=self.url,
                )
            if error is None:
                self._first = self._read(deadline)
                if self._first is not None:
                    width, height = int(self._first.width), int(self._first.height)
                    self._info = SourceInfo(
                        uri=self.uri,
                        live=True,
                        width=width,
                        height=height,
                        fps=1.0 / self._nominal_interval if self._nominal_interval else None,
                    )
                    return self._info
                self._disconnect()
                last_error = "connected, but no video frame arrived"
            else:
                last_error = error
            delay = min(self.backoff.delay(attempt, self._rng), deadline - self._clock())
            attempt += 1
            if delay > 0 and self._wait(delay):
                break
        if self._halted():
            last_error = "stopped before the first frame arrived"
        raise SourceConnectError(
            f"no video frame within {self.startup_timeout:g} s ({last_error}); check the URL "
            "and that the server or camera is running and reachable from this machine",
            source=self.url,
        )

    def close(self) -> None:
        """End :meth:`frames` and drop the connection (waits out a read in progress)."""
        self._closed.set()
        self._disconnect()
        self._first = None

    # -- frames ---------------------------------------------------------------------------
    def frames(self, *, start_sample: int = 0) -> Iterator[Frame]:
        """Yield samples until ``stop`` is set or the source is closed; never ends on drops."""
        self._check_start(start_sample)
        self.open()
        sampler = Sampler(self.sample_fps)
        try:
            while not self._halted():
                # A stall is time spent waiting for the stream, not time the consumer took
                # between frames (a model warming up, a slow read): the clock starts here.
                self._last_frame_at = self._clock()
                frame = self._first if self._first is not None else self._read()
                self._first = None
                if frame is None:
                    if not self._reconnect():
                        return
                    continue
                self._failures = 0
                ts = self._timestamp(frame.time)
                index = self._decoded
                self._decoded += 1
                if sampler.offer(ts) and sampler.taken > start_sample:
                    image = frame.to_ndarray(format="rgb24")
                    yield Frame(index=index, ts=ts, image=image, source=self.uri)
        finally:
            self._disconnect()

    def _halted(self) -> bool:
        return self._stop.is_set() or self._closed.is_set()

    def _wait_for_stop(self, seconds: float) -> bool:
        """Sleep, waking early (and returning True) when stopped or closed."""
        end = time.monotonic() + seconds
        while not self._halted():
            left = end - time.monotonic()
            if left <= 0:
                return False
            self._stop.wait(min(left, 0.1))
        return True

    # -- connections ----------------------------------------------------------------------
    def _connect(self, open_timeout: float) -> str | None:
        """Open a connection; return why it failed, or None when it is ready to read."""
        self._disconnect()
        read_timeout = min(self.no_frame_timeout, self.startup_timeout)
        try:
            container = self._opener(
                self.url,
                options=dict(self.options),
                # Opening probes the stream (FFmpeg reads a few seconds of it to learn
                # the codec), which a real-time stream cannot hurry: a short no-frame
                # timeout must not cut the probe short, or a connection never opens.
                timeout=(max(0.1, open_timeout), read_timeout),
            )
        except (av.FFmpegError, OSError) as exc:
            self.errors += 1
            return redact_url(str(getattr(exc, "strerror", None) or type(exc).__name__))
        with self._lock:
            if self._closed.is_set() or not container.streams.video:
                container.close()
                return "closed" if self._closed.is_set() else _NO_VIDEO
            self._container = container
            self._pending.clear()
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            rate = stream.average_rate or stream.guessed_rate
            if rate and 1 <= float(rate) <= 1000:
                self._nominal_interval = 1.0 / float(rate)
            self._packets = iter(container.demux(stream))
        self._anchor = None  # a new connection starts a new timestamp segment
        self._last_frame_at = self._clock()
        return None

    def _disconnect(self) -> None:
        with self._lock:
            container, self._container, self._packets = self._container, None, None
            self._pending.clear()
            if container is not None:
                container.close()

    def _reconnect(self) -> bool:
        """Retry until a connection opens; False when stopped first."""
        self._disconnect()
        while not self._halted():
            delay = self.backoff.delay(self._failures, self._rng)
            self._failures += 1  # reset when the new connection delivers a frame
            if self._wait(delay):
                return False
            if self._connect(open_timeout=max(self.no_frame_timeout, _REOPEN)) is None:
                self.reconnects += 1
                return True
        return False

    def _read(self, deadline: float | None = None) -> Any:
        """The next decoded frame of the current connection, or None once it has ended.

        It ends when the server closes it, a read fails, or no frame arrives by
        ``deadline`` (default: ``no_frame_timeout`` after the last frame).
        """
        while not self._halted():
            if self._pending:
                self._last_frame_at = self._clock()
                return self._pending.popleft()
            limit = self._last_frame_at + self.no_frame_timeout
            if self._clock() > (limit if deadline is None else min(limit, deadline)):
                self.stalls += 1
                return None
            try:
                with self._lock:
                    if self._packets is None:
                        return None
                    packet = next(self._packets, None)
            except (av.error.ExitError, TimeoutError):
                self.stalls += 1  # PyAV's read timeout fired: nothing came in time
                return None
            except (av.FFmpegError, OSError):
                self.errors += 1
                return None
            if packet is None:
                return None  # the server ended the stream
            try:
                with self._lock:
                    self._pending.extend(packet.decode())
            except av.FFmpegError:
                self.errors += 1  # one bad packet; the decoder recovers at the next key frame
        return None

    # -- timestamps -----------------------------------------------------------------------
    def _timestamp(self, time_: float | None) -> float:
        """Stream time made continuous: a new segment starts one frame after the last ts.

        Segments start at each connection and wherever the stream's clock runs backwards
        (a restarted encoder, an MPEG-TS clock wrap), so ts only ever increases.
        """
        last = self._last_ts
        ts: float | None = None
        if time_ is not None and self._anchor is not None:
            anchor_time, anchor_ts = self._anchor
            ts = anchor_ts + (time_ - anchor_time)
            if last is not None and ts <= last:
                ts = None
            elif last is not None:
                self._observed_interval = ts - last
        if ts is None:
            ts = 0.0 if last is None else last + self._interval()
            self._anchor = (time_, ts) if time_ is not None else None
        self._last_ts = ts
        return ts

    def _interval(self) -> float:
        return self._nominal_interval or self._observed_interval or _FALLBACK_INTERVAL


def _default_options(url: str) -> dict[str, str]:
    # RTSP over UDP loses packets (smeared frames) and often dies behind NAT; TCP is the
    # setting that works for cameras in practice. Callers' options override it.
    if url.lower().startswith(("rtsp://", "rtsps://")):
        return {"rtsp_transport": "tcp"}
    return {}
