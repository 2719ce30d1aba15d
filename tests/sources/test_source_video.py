"""Video files through PyAV: which frames are sampled, resume, and what goes wrong."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import pytest

from foureyes.errors import SourceDecodeError, SourceEmpty, SourceNotFound
from foureyes.model import Frame
from foureyes.sources import FrameSource, VideoSource, open_source, select_samples

ReadIndex = Callable[[Any], int]


def _collect(source: FrameSource, start_sample: int = 0) -> list[Frame]:
    return list(source.frames(start_sample=start_sample))


@pytest.mark.parametrize("kind", ["mp4", "mkv", "avi", "ts"])
@pytest.mark.parametrize(
    ("sample_fps", "expected"),
    [(2, list(range(0, 90, 15))), (5, list(range(0, 90, 6))), (30, list(range(90)))],
)
def test_samples_the_right_frames(
    media: dict[str, Path], read_index: ReadIndex, kind: str, sample_fps: float, expected: list[int]
) -> None:
    """Every container yields the same samples: index, ts from 0, and the pixels of that frame."""
    with VideoSource(media[kind], sample_fps=sample_fps) as source:
        frames = _collect(source)
        assert source.decoded == 90
        assert source.errors == 0
    assert [f.index for f in frames] == expected
    assert [f.ts for f in frames] == pytest.approx([i / 30 for i in expected], abs=1e-3)
    assert [read_index(f.image) for f in frames] == expected
    first = frames[0]
    assert first.image.shape == (48, 64, 3)
    assert first.image.dtype.name == "uint8"
    assert first.source == str(media[kind])


@pytest.mark.parametrize("kind", ["mp4", "mkv", "avi", "ts"])
def test_info_describes_the_file(media: dict[str, Path], kind: str) -> None:
    """Size, rate, duration and frame count come from the container, estimated if need be."""
    with VideoSource(media[kind]) as source:
        info = source.open()
    assert (info.width, info.height, info.live) == (64, 48, False)
    assert info.fps == pytest.approx(30)
    assert info.duration == pytest.approx(3.0, abs=0.1)
    assert info.frame_count is not None
    assert abs(info.frame_count - 90) <= 2


@pytest.mark.parametrize("start_sample", [0, 1, 3, 5, 6, 50])
def test_resume_gives_the_tail_of_an_uninterrupted_run(
    media: dict[str, Path], start_sample: int
) -> None:
    """``start_sample=k`` yields exactly samples k, k+1, … of a full run (index, ts, pixels)."""
    with VideoSource(media["mp4"], sample_fps=2) as source:
        full = _collect(source)
    with VideoSource(media["mp4"], sample_fps=2) as source:
        tail = _collect(source, start_sample)
    assert [(f.index, f.ts) for f in tail] == [(f.index, f.ts) for f in full[start_sample:]]
    assert all((a.image == b.image).all() for a, b in zip(tail, full[start_sample:], strict=True))


def test_variable_frame_rate_follows_stream_time(
    tmp_path: Path, make_video: Callable[..., Path], read_index: ReadIndex
) -> None:
    """With irregular timestamps, samples follow stream time, not frame counts."""
    pts_ms = [0, 40, 80, 300, 520, 560, 1400, 1440, 1500, 2000, 2010, 2600]
    path = make_video(tmp_path / "vfr.mkv", codec="mpeg4", pts_ms=pts_ms)
    with VideoSource(path, sample_fps=2) as source:
        frames = _collect(source)
    expected = list(select_samples([t / 1000 for t in pts_ms], 2))
    assert expected == [0, 4, 6, 8, 9, 11]
    assert [f.index for f in frames] == expected
    assert [f.ts for f in frames] == pytest.approx([pts_ms[i] / 1000 for i in expected])
    assert [read_index(f.image) for f in frames] == expected


def test_first_frame_is_ts_zero_whatever_the_container_start(media: dict[str, Path]) -> None:
    """MPEG-TS starts its clock above zero; ts is relative to the first frame."""
    with av.open(str(media["ts"])) as container:
        first_time = next(container.decode(video=0)).time
    assert first_time > 0
    with VideoSource(media["ts"]) as source:
        assert next(iter(source.frames())).ts == 0.0


def test_a_corrupt_stretch_is_skipped_not_fatal(
    media: dict[str, Path], tmp_path: Path, read_index: ReadIndex
) -> None:
    """Garbage in the middle of a stream costs the frames it hit, not the whole run."""
    data = bytearray(media["ts"].read_bytes())
    middle = len(data) // 2
    data[middle : middle + 2000] = bytes((i * 37) & 255 for i in range(2000))
    path = tmp_path / "corrupt.ts"
    path.write_bytes(bytes(data))
    with VideoSource(path, sample_fps=30) as source:
        frames = _collect(source)
    indices = [f.index for f in frames]
    assert 45 <= len(frames) < 90
    assert indices == sorted(set(indices))
    assert read_index(frames[0].image) == 0
    assert read_index(frames[-1].image) == 89


def test_context_manager_and_close(media: dict[str, Path]) -> None:
    """close() is idempotent, stops a running iteration, and a closed source stays closed."""
    source = VideoSource(media["mp4"], sample_fps=30)
    assert isinstance(source, FrameSource)
    with source:
        frames = source.frames()
        next(frames)
        source.close()
        assert list(frames) == []
    source.close()
    with pytest.raises(RuntimeError, match="closed"):
        source.open()


Make = Callable[[dict[str, Path], Path, Callable[[Path], Path]], Path]


def _missing(media: dict[str, Path], folder: Path, audio: Callable[[Path], Path]) -> Path:
    return folder / "missing.mp4"


def _text(media: dict[str, Path], folder: Path, audio: Callable[[Path], Path]) -> Path:
    path = folder / "notes.mp4"
    path.write_text("these are not the frames you are looking for\n" * 50)
    return path


def _truncated(media: dict[str, Path], folder: Path, audio: Callable[[Path], Path]) -> Path:
    path = folder / "cut.mp4"
    data = media["mp4"].read_bytes()
    path.write_bytes(data[: len(data) // 2])  # the index (moov) is at the end: now gone
    return path


def _empty(media: dict[str, Path], folder: Path, audio: Callable[[Path], Path]) -> Path:
    path = folder / "empty.mp4"
    path.write_bytes(b"")
    return path


def _audio_only(media: dict[str, Path], folder: Path, audio: Callable[[Path], Path]) -> Path:
    return audio(folder / "sound.wav")


@pytest.mark.parametrize(
    ("make", "error", "says"),
    [
        (_missing, SourceNotFound, "check the path"),
        (_text, SourceDecodeError, "is it a video file"),
        (_truncated, SourceDecodeError, "truncated"),
        (_empty, SourceDecodeError, "is it a video file"),
        (_audio_only, SourceEmpty, "no video stream"),
    ],
)
def test_errors_name_the_file_and_say_what_to_do(
    media: dict[str, Path],
    tmp_path: Path,
    make_audio: Callable[[Path], Path],
    make: Make,
    error: type[Exception],
    says: str,
) -> None:
    """Each way a file can be unusable raises its own error, naming the file, with advice."""
    path = make(media, tmp_path, make_audio)
    with pytest.raises(error) as caught:
        VideoSource(path).open()
    message = str(caught.value)
    assert path.name in message
    assert says in message


def test_open_source_reports_a_missing_relative_path_resolved(tmp_path: Path) -> None:
    """A relative path resolves against base_dir, and the error shows where it looked."""
    with pytest.raises(SourceNotFound) as caught:
        open_source("videos/nope.mp4", base_dir=tmp_path)
    assert str(tmp_path / "videos" / "nope.mp4") in str(caught.value)


def test_stop_event_ends_frames_early(media: dict[str, Path]) -> None:
    """The pipeline's stop Event ends a file source at the next frame, without an error."""
    stop = threading.Event()
    source = open_source(str(media["mp4"]), sample_fps=5, stop=stop)
    with source:
        taken = []
        for frame in source.frames():
            taken.append(frame.index)
            if len(taken) == 3:
                stop.set()
    assert taken == [0, 6, 12]
    assert source.decoded < 90
