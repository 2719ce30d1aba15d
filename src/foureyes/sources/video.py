"""A video file read through PyAV, so any container and codec FFmpeg knows will do."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av

from foureyes.errors import SourceDecodeError, SourceEmpty, SourceNotFound
from foureyes.model import Frame
from foureyes.sources.base import SourceBase, SourceInfo
from foureyes.sources.sampling import Sampler, check_sample_fps

__all__ = ["VideoSource"]

# A corrupt stretch makes the demuxer fail once per bad packet; after this many failures in
# a row without a single good packet the file is taken to be unreadable from there on.
_MAX_CONSECUTIVE_ERRORS = 100


class VideoSource(SourceBase):
    """Decodes every frame of a video file and yields the samples as RGB frames.

    ``index`` counts decoded frames from 0; ``ts`` is the stream's presentation time minus
    the first frame's, so the first frame is at 0.0 whatever the container's start time.
    Each call to :meth:`frames` reads the file from the start on its own demuxer, which
    keeps a resumed run identical to an uninterrupted one. Setting ``stop`` (or calling
    :meth:`close`) ends :meth:`frames` at the next decoded frame.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        sample_fps: float = 2.0,
        uri: str | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.path = Path(path)
        self.uri = uri if uri is not None else str(path)
        self.sample_fps = check_sample_fps(sample_fps)
        self.errors = 0  # packets skipped because FFmpeg could not read or decode them
        self._decoded = 0
        self._info: SourceInfo | None = None
        self._interval = 1.0 / 30  # replaced by the stream's rate; used when pts is missing
        # Held while FFmpeg works on a container, so close() from another thread never
        # frees a container under a running decode.
        self._lock = threading.Lock()
        self._containers: set[Any] = set()
        self._closed = threading.Event()
        self._stop = stop or threading.Event()  # ends frames() early, as close() does

    # -- lifecycle ------------------------------------------------------------------------
    def open(self) -> SourceInfo:
        """Check the file can be decoded (one frame) and describe it."""
        if self._closed.is_set():
            raise RuntimeError(f"source {self.uri} is closed; open a new one")
        if self._info is not None:
            return self._info
        if not self.path.exists():
            raise SourceNotFound(f"no such file: {self.path}; check the path", source=self.uri)
        if self.path.is_dir():
            raise SourceDecodeError("is a folder, not a video file", source=self.uri)
        container = self._open_container()
        try:
            stream = self._video_stream(container)
            first = None
            for frame in self._decode(container, stream, count_errors=False):
                first = frame
                break
            if first is None:
                raise SourceDecodeError(
                    "FFmpeg found a video stream but could not decode any frame of it; "
                    "the file may be corrupt or truncated",
                    source=self.uri,
                )
            self._info = self._describe(container, stream, first)
        finally:
            self._release(container)
        return self._info

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            for container in list(self._containers):
                self._containers.discard(container)
                container.close()

    # -- frames ---------------------------------------------------------------------------
    def frames(self, *, start_sample: int = 0) -> Iterator[Frame]:
        """Yield the samples from number ``start_sample`` on, in stream order."""
        self._check_start(start_sample)
        self.open()
        container = self._open_container()
        try:
            stream = self._video_stream(container)
            sampler = Sampler(self.sample_fps)
            self._decoded = 0
            t0: float | None = None
            last = 0.0
            for index, frame in enumerate(self._decode(container, stream, count_errors=True)):
                if self._stop.is_set():
                    return
                self._decoded = index + 1
                t = frame.time
                if t is None:  # no pts: assume the nominal spacing
                    ts = last + self._interval if index else 0.0
                else:
                    if t0 is None:
                        t0 = t - (last + self._interval if index else 0.0)
                    ts = t - t0
                last = ts
                if not sampler.offer(ts) or sampler.taken <= start_sample:
                    continue
                image = frame.to_ndarray(format="rgb24")
                yield Frame(index=index, ts=ts, image=image, source=self.uri)
            if self._decoded == 0 and not (self._closed.is_set() or self._stop.is_set()):
                raise SourceDecodeError(
                    "no frame could be decoded; the file may be corrupt", source=self.uri
                )
        finally:
            self._release(container)

    # -- FFmpeg ---------------------------------------------------------------------------
    def _open_container(self) -> Any:
        try:
            container = av.open(str(self.path))
        except (av.FFmpegError, OSError) as exc:
            raise SourceDecodeError(
                f"FFmpeg cannot open it ({_reason(exc)}); is it a video file, and is it "
                "complete (not truncated or still being written)?",
                source=self.uri,
            ) from exc
        with self._lock:
            if self._closed.is_set():
                container.close()
                raise RuntimeError(f"source {self.uri} is closed; open a new one")
            self._containers.add(container)
        return container

    def _release(self, container: Any) -> None:
        with self._lock:
            if container in self._containers:
                self._containers.discard(container)
                container.close()

    def _video_stream(self, container: Any) -> Any:
        if not container.streams.video:
            kinds = ", ".join(sorted({s.type for s in container.streams})) or "none"
            raise SourceEmpty(
                f"the file has no video stream (streams: {kinds}); is it the right file?",
                source=self.uri,
            )
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"  # frame + slice threads: several times faster
        return stream

    def _decode(self, container: Any, stream: Any, *, count_errors: bool) -> Iterator[Any]:
        """Every decodable frame in order, stepping over packets FFmpeg cannot read.

        A failing demuxer generator cannot be resumed, but a new one carries on from the
        container's current position, so one bad packet costs that packet, not the run.
        """
        consecutive = 0
        while not self._closed.is_set():
            try:
                with self._lock:
                    if self._closed.is_set():
                        return
                    packets = container.demux(stream)
                for packet in _locked(packets, self._lock, self._closed):
                    try:
                        with self._lock:
                            decoded = [] if self._closed.is_set() else packet.decode()
                    except av.FFmpegError:
                        self._count_error(count_errors)
                        continue
                    consecutive = 0
                    yield from decoded
                return
            except av.FFmpegError:
                self._count_error(count_errors)
                consecutive += 1
                if consecutive >= _MAX_CONSECUTIVE_ERRORS:
                    return

    def _count_error(self, count: bool) -> None:
        # The probe in open() reads the start again in frames(); count each bad packet once.
        if count:
            self.errors += 1

    def _describe(self, container: Any, stream: Any, first: Any) -> SourceInfo:
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        fps = float(rate) if rate else None
        if fps:
            self._interval = 1.0 / fps
        duration: float | None = None
        if stream.duration and stream.time_base:
            duration = float(stream.duration * stream.time_base)
        elif container.duration:
            duration = container.duration / av.time_base
        frame_count: int | None = stream.frames or None
        if frame_count is None and duration and fps:
            frame_count = round(duration * fps)
        return SourceInfo(
            uri=self.uri,
            live=False,
            width=int(first.width),
            height=int(first.height),
            fps=fps,
            duration=duration,
            frame_count=frame_count,
        )


def _locked(packets: Iterator[Any], lock: threading.Lock, closed: threading.Event) -> Iterator[Any]:
    """Step a demuxer under ``lock``, stopping as soon as the source is closed."""
    while True:
        with lock:
            if closed.is_set():
                return
            packet = next(packets, None)
        if packet is None:
            return
        yield packet


def _reason(exc: BaseException) -> str:
    if isinstance(exc, av.FFmpegError) and exc.strerror:
        return str(exc.strerror)
    return type(exc).__name__
