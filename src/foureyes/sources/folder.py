"""A folder of still images, read as if each were one frame of a video at ``sample_fps``."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

from foureyes.errors import SourceDecodeError, SourceEmpty, SourceNotFound
from foureyes.model import Frame
from foureyes.model import Image as Pixels
from foureyes.sources.base import SourceBase, SourceInfo
from foureyes.sources.sampling import check_sample_fps

__all__ = ["IMAGE_SUFFIXES", "FolderSource", "natural_key"]

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"})
_DIGITS = re.compile(r"(\d+)")


def natural_key(name: str) -> tuple[object, ...]:
    """Order names as people number them: ``img2`` before ``img10``.

    ``re.split`` with a group alternates text and digit runs, so positions always hold the
    same kind and the tuples compare without mixing str and int. The name itself breaks
    ties (``img01`` vs ``img1``) so the order never depends on the file system.
    """
    parts = _DIGITS.split(name.casefold())
    return (tuple(int(p) if i % 2 else p for i, p in enumerate(parts)), name)


class FolderSource(SourceBase):
    """Every image in a folder is one sample: ``index`` is its position, ``ts`` position/fps.

    Screenshots taken at a fixed interval come in as a folder; treating them as frames at
    ``sample_fps`` lets the tracker's time-based rules work unchanged. Hidden files (a
    leading dot, such as macOS ``._name.png`` metadata) are not images and are skipped.
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
        self.errors = 0  # always 0: a bad image stops the run, since a gap would go unseen
        self._decoded = 0
        self._files: list[Path] = []
        self._info: SourceInfo | None = None
        self._closed = threading.Event()
        self._stop = stop or threading.Event()  # ends frames() early, as close() does

    def open(self) -> SourceInfo:
        """List the images and read the first one for the frame size."""
        if self._closed.is_set():
            raise RuntimeError(f"source {self.uri} is closed; open a new one")
        if self._info is not None:
            return self._info
        if not self.path.is_dir():
            raise SourceNotFound(f"no such folder: {self.path}; check the path", source=self.uri)
        files = [
            p
            for p in self.path.iterdir()
            if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".") and p.is_file()
        ]
        if not files:
            kinds = ", ".join(sorted(s.lstrip(".") for s in IMAGE_SUFFIXES))
            raise SourceEmpty(
                f"the folder has no images ({kinds}); check the path", source=self.uri
            )
        self._files = sorted(files, key=lambda p: natural_key(p.name))
        first = self._load(self._files[0], 0)
        height, width = first.shape[:2]
        n = len(self._files)
        self._info = SourceInfo(
            uri=self.uri,
            live=False,
            width=width,
            height=height,
            fps=self.sample_fps,
            duration=n / self.sample_fps,
            frame_count=n,
        )
        return self._info

    @property
    def files(self) -> tuple[Path, ...]:
        """The images in frame order (empty until :meth:`open`)."""
        return tuple(self._files)

    def frames(self, *, start_sample: int = 0) -> Iterator[Frame]:
        """Yield the images from position ``start_sample`` on."""
        self._check_start(start_sample)
        info = self.open()
        # Skipped images count as passed, so progress against frame_count stays true.
        self._decoded = min(start_sample, len(self._files))
        for index in range(start_sample, len(self._files)):
            if self._closed.is_set() or self._stop.is_set():
                return
            path = self._files[index]
            image = self._load(path, index)
            height, width = image.shape[:2]
            if (width, height) != (info.width, info.height):
                raise SourceDecodeError(
                    f"{path.name} is {width}x{height} but {self._files[0].name} is "
                    f"{info.width}x{info.height}; every image in a folder must have the "
                    "same size (crop or resize them, or split the folder)",
                    source=self.uri,
                    frame=index,
                )
            self._decoded = index + 1
            yield Frame(index=index, ts=index / self.sample_fps, image=image, source=self.uri)

    def _load(self, path: Path, index: int) -> Pixels:
        try:
            with Image.open(path) as img:
                rgb = img.convert("RGB")
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
            raise SourceDecodeError(
                f"cannot read image {path.name} ({exc}); is it a complete, valid image? "
                "Replace or remove it",
                source=self.uri,
                frame=index,
            ) from exc
        return np.array(rgb, dtype=np.uint8)

    def close(self) -> None:
        self._closed.set()
