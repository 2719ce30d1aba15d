"""Real media for the source tests: small videos and images whose pixels carry their index.

Each frame shows its index in binary as eight vertical bars (white = 1), wide enough to
survive lossy codecs, so a test can check which frame it was handed, not just how many.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

Pixels = npt.NDArray[np.uint8]
WIDTH, HEIGHT = 64, 48
BITS = 8


def pattern(index: int, width: int = WIDTH, height: int = HEIGHT) -> Pixels:
    """An RGB image showing ``index`` (0-255) as eight black/white bars."""
    image = np.zeros((height, width, 3), np.uint8)
    bar = width // BITS
    for bit in range(BITS):
        if (index >> bit) & 1:
            image[:, bit * bar : (bit + 1) * bar] = 255
    return image


def read_pattern(image: Pixels) -> int:
    """The index drawn by :func:`pattern`, read back from decoded (lossy) pixels."""
    bar = image.shape[1] // BITS
    return sum(1 << b for b in range(BITS) if image[:, b * bar : (b + 1) * bar].mean() > 128)


def encode_video(
    path: Path,
    *,
    frames: int = 90,
    fps: int = 30,
    codec: str = "libx264",
    container_format: str | None = None,
    pts_ms: Sequence[int] | None = None,
) -> Path:
    """Write a video whose frame ``i`` shows ``i``; ``pts_ms`` gives a variable frame rate."""
    with av.open(str(path), "w", format=container_format) as container:
        stream: Any = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        if codec == "libx264":
            stream.options = {"preset": "ultrafast"}
        if pts_ms is not None:
            stream.codec_context.time_base = Fraction(1, 1000)
        count = len(pts_ms) if pts_ms is not None else frames
        for i in range(count):
            frame = av.VideoFrame.from_ndarray(pattern(i), format="rgb24")
            if pts_ms is not None:
                frame.pts, frame.time_base = pts_ms[i], Fraction(1, 1000)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def encode_audio(path: Path) -> Path:
    """A WAV file: a perfectly valid media file with no video stream."""
    with av.open(str(path), "w") as container:
        stream: Any = container.add_stream("pcm_s16le", rate=8000)
        samples = np.zeros((1, 800), np.int16)
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
        frame.sample_rate = 8000
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def save_image(path: Path, index: int, size: tuple[int, int] = (WIDTH, HEIGHT)) -> Path:
    Image.fromarray(pattern(index, *size)).save(path)
    return path


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Videos shared by the tests (encoding is the slow part, so do it once)."""
    root = tmp_path_factory.mktemp("media")
    return {
        "mp4": encode_video(root / "clip.mp4"),
        "mkv": encode_video(root / "clip.mkv", codec="mpeg4"),
        "avi": encode_video(root / "clip.avi", codec="mpeg4"),
        "ts": encode_video(root / "clip.ts", codec="mpeg2video", container_format="mpegts"),
    }


@pytest.fixture
def free_port() -> int:
    """A localhost port with nobody listening on it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def read_index() -> Callable[[Pixels], int]:
    """Reads back the index a test frame shows."""
    return read_pattern


@pytest.fixture
def make_video() -> Callable[..., Path]:
    """:func:`encode_video`, for tests that need a video of their own."""
    return encode_video


@pytest.fixture
def make_audio() -> Callable[[Path], Path]:
    return encode_audio


@pytest.fixture
def make_image() -> Callable[..., Path]:
    """:func:`save_image`: an image file showing an index, optionally at another size."""
    return save_image
