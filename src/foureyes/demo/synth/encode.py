"""Encode 4:2:0 frames with the drawn codec, at most one encoder thread.

H.264 (libx264) and H.265 (libx265) go into MP4, VP9 (libvpx-vp9) into WebM, MJPEG into
AVI or Matroska. One quality knob, ``crf`` 18-35, drives all four: x264/x265 take it as
is, VP9 maps it onto its 0-63 scale, MJPEG onto a fixed quantiser of 2-12 (drawn with the
factors as ``preset``). Frames carry pts 0, 1, 2... in a 1/fps time base.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from foureyes.demo.synth.factors import VideoFactors
from foureyes.demo.synth.output import Planes

__all__ = ["ENCODERS", "Encoder", "encoder_options"]

ENCODERS = {"h264": "libx264", "h265": "libx265", "vp9": "libvpx-vp9", "mjpeg": "mjpeg"}


def encoder_options(v: VideoFactors) -> tuple[str, dict[str, str]]:
    """The pixel format and encoder options for ``v`` (single-threaded, fast presets)."""
    if v.codec == "h264":
        return "yuv420p", {"crf": str(v.crf), "preset": v.preset, "threads": "1"}
    if v.codec == "h265":
        params = "pools=none:frame-threads=1:lookahead-threads=0:log-level=error"
        return "yuv420p", {"crf": str(v.crf), "preset": v.preset, "x265-params": params}
    if v.codec == "vp9":
        return "yuv420p", {
            "crf": str(round(20 + (v.crf - 18) * 30 / 17)),
            "b": "0",
            "deadline": "realtime",
            "cpu-used": v.preset,
            "threads": "1",
            "row-mt": "0",
        }
    if v.codec == "mjpeg":
        return "yuvj420p", {"qmin": v.preset, "qmax": v.preset}
    raise ValueError(f"unknown codec {v.codec!r}")


class Encoder:
    """A video file being written; use as a context manager.

    The frame is allocated once and :attr:`planes` are views of its memory: the renderer
    draws straight into it and :meth:`write` encodes it as it stands. Every encoder here
    copies its input during ``encode``, so the next frame may be drawn over the last.
    """

    def __init__(self, path: Path, video: VideoFactors) -> None:
        import av

        self.path = path
        self._fps = video.fps
        self._pix_fmt, options = encoder_options(video)
        self._container: Any = av.open(str(path), "w")
        stream: Any = self._container.add_stream(ENCODERS[video.codec], rate=video.fps)
        stream.width, stream.height = video.size
        stream.pix_fmt = self._pix_fmt
        stream.options = options
        stream.codec_context.thread_count = 1
        stream.time_base = Fraction(1, video.fps)
        self._stream = stream
        self._count = 0
        self._frame: Any = av.VideoFrame(video.size[0], video.size[1], self._pix_fmt)
        self._frame.time_base = Fraction(1, video.fps)
        views = [
            np.frombuffer(memoryview(p), np.uint8).reshape(p.height, p.line_size)[:, : p.width]
            for p in self._frame.planes
        ]
        self.planes = Planes(*views)

        self.tap: Callable[[list[Any]], None] | None = None  # sees packets before muxing

    def decoder(self) -> Any:
        """A decoder for this stream, for :class:`~foureyes.demo.synth.lag.LagWatch`."""
        import av

        name = self._stream.codec_context.codec.canonical_name  # libx264 encodes h264
        decoder = av.CodecContext.create(name, "r")
        decoder.thread_count = 1
        return decoder

    def extradata(self) -> bytes | None:
        """The stream's global header (H.264/H.265 parameter sets), once encoding began."""
        data: bytes | None = self._stream.codec_context.extradata
        return data

    def write(self) -> None:
        """Encode :attr:`planes` as the next frame."""
        self._frame.pts = self._count
        self._count += 1
        self._mux(self._stream.encode(self._frame))

    def _mux(self, packets: list[Any]) -> None:
        if self.tap is not None:
            self.tap(packets)
        self._container.mux(packets)

    def close(self) -> None:
        if self._container is None:
            return
        try:
            self._mux(self._stream.encode(None))
        finally:
            self._container.close()
            self._container = None

    def __enter__(self) -> Encoder:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        elif self._container is not None:
            self._container.close()
            self._container = None
