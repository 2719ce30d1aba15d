"""Folders of images: natural order, one sample per image, and the ways a folder is unusable."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from foureyes.errors import SourceDecodeError, SourceEmpty, SourceNotFound
from foureyes.sources import FolderSource, FrameSource, open_source
from foureyes.sources.folder import natural_key

MakeImage = Callable[..., Path]


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["img10", "img2", "img1"], ["img1", "img2", "img10"]),
        (["b", "A", "a10", "a9"], ["A", "a9", "a10", "b"]),
        (["shot-2-10", "shot-2-9", "shot-10-1"], ["shot-2-9", "shot-2-10", "shot-10-1"]),
        (["img01", "img1", "img001"], ["img001", "img01", "img1"]),
        (["frame", "frame0", "10", "9"], ["9", "10", "frame", "frame0"]),
    ],
)
def test_natural_key(names: list[str], expected: list[str]) -> None:
    """Digit runs compare as numbers, letters ignore case, and ties still have one order."""
    assert sorted(names, key=natural_key) == expected


def test_images_in_natural_order_with_ts_from_position(
    tmp_path: Path, make_image: MakeImage, read_index: Callable[[Any], int]
) -> None:
    """Every image is a sample; index is its position, ts is position / sample_fps."""
    names = ["img10.png", "img2.jpg", "img1.PNG", "IMG3.bmp", "img20.TIFF", "img4.webp"]
    order = ["img1.PNG", "img2.jpg", "IMG3.bmp", "img4.webp", "img10.png", "img20.TIFF"]
    for name in names:
        make_image(tmp_path / name, order.index(name))
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "._img1.png").write_bytes(b"\0\5\26\7")  # macOS metadata, not an image
    (tmp_path / "sub.png").mkdir()
    with FolderSource(tmp_path, sample_fps=4) as source:
        assert isinstance(source, FrameSource)
        info = source.open()
        frames = list(source.frames())
        assert source.decoded == 6
    assert [p.name for p in source.files] == order
    assert (info.width, info.height, info.frame_count, info.live) == (64, 48, 6, False)
    assert [f.index for f in frames] == list(range(6))
    assert [f.ts for f in frames] == [i / 4 for i in range(6)]
    assert [read_index(f.image) for f in frames] == list(range(6))
    assert all(f.image.shape == (48, 64, 3) for f in frames)


@pytest.mark.parametrize("start_sample", [0, 2, 5, 9])
def test_resume_skips_images(tmp_path: Path, make_image: MakeImage, start_sample: int) -> None:
    """``start_sample=k`` starts at the k-th image with the same index and ts as before."""
    for i in range(5):
        make_image(tmp_path / f"s{i}.png", i)
    with FolderSource(tmp_path) as source:
        full = [(f.index, f.ts) for f in source.frames()]
        tail = [(f.index, f.ts) for f in source.frames(start_sample=start_sample)]
    assert tail == full[start_sample:]


def test_open_source_picks_the_folder(tmp_path: Path, make_image: MakeImage) -> None:
    """An existing directory, relative to base_dir, is read as a folder of images."""
    (tmp_path / "shots").mkdir()
    make_image(tmp_path / "shots" / "a.png", 0)
    source = open_source("shots", base_dir=tmp_path, sample_fps=1)
    assert isinstance(source, FolderSource)
    with source:
        assert [f.ts for f in source.frames()] == [0.0]


def _empty(folder: Path, make_image: MakeImage) -> None:
    (folder / "readme.txt").write_text("no images here")


def _corrupt(folder: Path, make_image: MakeImage) -> None:
    make_image(folder / "a1.png", 0)
    (folder / "a2.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)


def _truncated(folder: Path, make_image: MakeImage) -> None:
    data = make_image(folder / "a1.png", 0).read_bytes()
    (folder / "a2.png").write_bytes(data[: len(data) // 2])


def _sizes(folder: Path, make_image: MakeImage) -> None:
    make_image(folder / "a1.png", 0)
    make_image(folder / "a2.png", 1, size=(32, 24))


@pytest.mark.parametrize(
    ("make", "error", "says"),
    [
        (_empty, SourceEmpty, "no images"),
        (_corrupt, SourceDecodeError, "cannot read image a2.png"),
        (_truncated, SourceDecodeError, "cannot read image a2.png"),
        (_sizes, SourceDecodeError, "a2.png is 32x24 but a1.png is 64x48"),
    ],
)
def test_unusable_folders(
    tmp_path: Path,
    make_image: MakeImage,
    make: Callable[[Path, MakeImage], None],
    error: type[Exception],
    says: str,
) -> None:
    """Each problem raises its own error naming the folder and the image at fault."""
    make(tmp_path, make_image)
    with pytest.raises(error) as caught, FolderSource(tmp_path) as source:
        list(source.frames())
    assert says in str(caught.value)
    assert str(tmp_path) in str(caught.value)


def test_missing_folder(tmp_path: Path) -> None:
    """A folder that does not exist is SourceNotFound, not an empty run."""
    with pytest.raises(SourceNotFound, match="check the path"):
        FolderSource(tmp_path / "gone").open()
